/* aws_http_loop.c — HTTP transfers an event loop drives (see aws_http.h): a libcurl multi
 * handle in its socket mode, its sockets in one epoll descriptor that the loop polls, its one
 * timer kept as a deadline the loop's timeout honours. Each transfer is begun and ended by
 * the same steps as aws_http_do (aws_http_internal.h), so limits and errors are the same.
 *
 * Ownership: the loop owns its multi handle, its easy handles (a few kept for reuse) and
 * every running transfer, including the copy of its body; a transfer's response goes to its
 * done function.
 */
#include "aws_http.h"
#include "aws_http_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws_time.h"

#define LOOP_BUFFER_BYTES 16384L
#define LOOP_SPARE_EASY 8      /* idle easy handles kept: a handle's setup is not free */
#define LOOP_MAX_CONNECTS 32   /* transfers handed to libcurl at once, each on a connection of its
				  own, kept alive between them; the rest wait here in order (libcurl's
				  own queue lets a newcomer take a freed connection first) */

typedef struct loop_xfer {
	struct loop_xfer *prev, *next;   /* the running list, or the waiting queue (next only) */
	CURL *easy;                      /* NULL while waiting */
	aws_http_xfer x;
	aws_http_response resp;
	aws_http_request req;            /* its strings, headers and body point into copy */
	char *copy;                      /* owned: libcurl sends the body from it */
	aws_http_done_fn *done;
	void *ud;
} loop_xfer;

/* A descriptor libcurl gave the loop: what the epoll set holds for it (EPOLLIN/EPOLLOUT, 0 =
 * not in it), whether libcurl is waiting on it now, and whether it is a connection's socket,
 * opened by on_open. A connection kept alive between transfers stays in the set for reading
 * (parked), which saves two epoll_ctl calls a transfer; one that turns readable while parked
 * (its server closed it) is taken out, and libcurl finds it dead when it next looks. Only
 * connections are parked: libcurl closes them through on_close, which forgets them, so a
 * reused number is never taken for registered. Other descriptors (the resolver's) leave the
 * set as soon as libcurl stops waiting on them. */
typedef struct loop_sock {
	unsigned events;
	int wanted;
	int conn;
} loop_sock;

struct aws_http_loop {
	aws_http *h;
	CURLM *multi;
	int epfd;
	loop_sock *socks;          /* by descriptor */
	size_t nsocks;
	long long deadline_ms;     /* libcurl's timer, on aws_monotonic_ms; -1 = none */
	loop_xfer *running;        /* handed to libcurl: at most LOOP_MAX_CONNECTS */
	int nrunning;
	loop_xfer *waiting, *waiting_tail;   /* the rest, first come first started */
	int nwaiting;
	int closing;               /* aws_http_loop_free has begun */
	CURL *spare[LOOP_SPARE_EASY];
	int nspare;
};

static loop_sock *sock_of(aws_http_loop *l, curl_socket_t s)
{
	if (s < 0)
		return NULL;
	if ((size_t)s >= l->nsocks) {
		size_t n = l->nsocks ? l->nsocks : 64;
		while (n <= (size_t)s)
			n *= 2;
		loop_sock *t = realloc(l->socks, n * sizeof *t);
		if (!t)
			return NULL;
		memset(t + l->nsocks, 0, (n - l->nsocks) * sizeof *t);
		l->socks = t;
		l->nsocks = n;
	}
	return &l->socks[s];
}

static void sock_set(aws_http_loop *l, curl_socket_t s, loop_sock *k, unsigned events)
{
	if (k->events == events)
		return;
	struct epoll_event ev = {.events = events, .data.fd = s};
	int op = !events ? EPOLL_CTL_DEL : k->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, s, &ev) < 0 && (errno == EEXIST || errno == ENOENT) && events)
		epoll_ctl(l->epfd, op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev);
	k->events = events;
}

/* libcurl's socket callback: which of its sockets to wait on, for what. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	(void)socketp;
	aws_http_loop *l = userp;
	loop_sock *k = sock_of(l, s);
	if (!k)
		return -1;   /* out of memory: libcurl fails the transfer */
	if (what == CURL_POLL_REMOVE) {
		k->wanted = 0;
		if (!k->conn || (k->events & EPOLLOUT))   /* parked: connections, for reading */
			sock_set(l, s, k, 0);
		return 0;
	}
	k->wanted = 1;
	sock_set(l, s, k, ((what & CURL_POLL_IN) ? (unsigned)EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? (unsigned)EPOLLOUT : 0u));
	return 0;
}

/* libcurl opens its connections' sockets here, so the loop knows them for its own. */
static curl_socket_t on_open(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)purpose;
	aws_http_loop *l = userp;
	int s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	loop_sock *k = s >= 0 ? sock_of(l, s) : NULL;
	if (s >= 0 && !k) {
		close(s);
		return CURL_SOCKET_BAD;   /* out of memory: the transfer fails */
	}
	if (k)
		*k = (loop_sock){0, 0, 1};
	return s < 0 ? CURL_SOCKET_BAD : s;
}

/* libcurl closes its connections here: close() takes them out of the epoll set. */
static int on_close(void *userp, curl_socket_t s)
{
	aws_http_loop *l = userp;
	if (s >= 0 && (size_t)s < l->nsocks)
		l->socks[s] = (loop_sock){0, 0, 0};
	return close(s);
}

/* libcurl's timer callback: when it must be called back even without socket activity. */
static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	aws_http_loop *l = userp;
	l->deadline_ms = timeout_ms < 0 ? -1 : (long long)aws_monotonic_ms() + timeout_ms;
	return 0;
}

aws_http_loop *aws_http_loop_new(aws_http *h, aws_error *err)
{
	aws_http_loop *l = calloc(1, sizeof *l);
	if (!l) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory creating an HTTP event loop");
		return NULL;
	}
	l->h = h;
	l->deadline_ms = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->multi = l->epfd >= 0 ? curl_multi_init() : NULL;
	if (!l->multi) {
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create an HTTP event loop (%s)",
			      l->epfd < 0 ? "no epoll descriptor" : "no curl multi handle");
		if (l->epfd >= 0)
			close(l->epfd);
		free(l);
		return NULL;
	}
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)LOOP_MAX_CONNECTS);
	curl_multi_setopt(l->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)LOOP_MAX_CONNECTS);
	return l;
}

/* A copy of req in one block: the header array, then every string, then the body. */
static int copy_request(loop_xfer *t, const aws_http_request *req)
{
	size_t n = sizeof(aws_header) * req->nheaders + strlen(req->url) + strlen(req->method) + 2 + req->body_len;
	for (size_t i = 0; i < req->nheaders; i++)
		n += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 2;
	char *p = t->copy = malloc(n + 1);
	if (!p)
		return -1;
	aws_header *hs = (aws_header *)(void *)p;
	p += sizeof(aws_header) * req->nheaders;
	for (size_t i = 0; i < req->nheaders; i++) {
		size_t a = strlen(req->headers[i].name) + 1, b = strlen(req->headers[i].value) + 1;
		hs[i].name = memcpy(p, req->headers[i].name, a);
		hs[i].value = memcpy(p + a, req->headers[i].value, b);
		p += a + b;
	}
	t->req = *req;
	t->req.headers = hs;
	t->req.url = memcpy(p, req->url, strlen(req->url) + 1);
	p += strlen(req->url) + 1;
	t->req.method = memcpy(p, req->method, strlen(req->method) + 1);
	p += strlen(req->method) + 1;
	t->req.body = req->body_len ? memcpy(p, req->body, req->body_len) : NULL;
	return 0;
}

static void free_xfer(loop_xfer *t)
{
	free(t->copy);
	free(t);
}

/* Calls t's done function with resp and rc (err when -1), then frees t. */
static void report(loop_xfer *t, int rc, aws_http_response *resp, const aws_error *err)
{
	aws_http_done_fn *done = t->done;
	void *ud = t->ud;
	free_xfer(t);
	done(ud, rc, resp, rc < 0 ? err : NULL);
}

/* Hands t to libcurl: 0, or -1 with err (t untouched, not listed). */
static int launch(aws_http_loop *l, loop_xfer *t, aws_error *err)
{
	CURL *e = l->nspare ? l->spare[--l->nspare] : curl_easy_init();
	if (!e)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory starting an HTTP request");
	if (aws_http_begin(l->h, e, &t->req, &t->resp, &t->x, err) < 0) {
		curl_easy_cleanup(e);
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
	/* libcurl's receive buffer, one per transfer in flight: the blocking calls' 128 KiB is
	 * for Scan pages; a loop runs dozens of small answers at once. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, LOOP_BUFFER_BYTES);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, l);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close);
	curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, l);
	if (curl_multi_add_handle(l->multi, e) != CURLM_OK) {
		aws_error ignored;
		aws_http_end(l->h, e, CURLE_FAILED_INIT, &t->x, &ignored);
		curl_easy_cleanup(e);
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot start an HTTP request to %s", t->x.host);
	}
	t->easy = e;
	t->prev = NULL;
	t->next = l->running;
	if (l->running)
		l->running->prev = t;
	l->running = t;
	l->nrunning++;
	/* Send it now rather than on the loop's next turn (libcurl asks for a call at once);
	 * what ends is reported by aws_http_loop_run, never from here. */
	int still;
	curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	return 0;
}

/* Starts waiting transfers while there is room; after a cancel, ends them instead. */
static void launch_waiting(aws_http_loop *l)
{
	int cancelled = l->closing || aws_http_cancelled(l->h);
	while (l->waiting && (l->nrunning < LOOP_MAX_CONNECTS || cancelled)) {
		loop_xfer *t = l->waiting;
		l->waiting = t->next;
		if (!l->waiting)
			l->waiting_tail = NULL;
		l->nwaiting--;
		aws_error e;
		aws_error_clear(&e);
		if (cancelled)
			aws_error_set(&e, AWS_ERR_CANCELLED, "%s %s: cancelled, the program is stopping",
				      t->req.method, t->x.host);
		else if (launch(l, t, &e) == 0)
			continue;
		aws_http_response none = {0};
		report(t, -1, &none, &e);
	}
}

/* Takes t off the multi handle and the running list, ends it with code, starts the next
 * waiting transfer and calls t's done function with the response. */
static void finish(aws_http_loop *l, loop_xfer *t, CURLcode code)
{
	curl_multi_remove_handle(l->multi, t->easy);
	aws_error e;
	aws_error_clear(&e);
	int rc = aws_http_end(l->h, t->easy, (int)code, &t->x, &e);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->running = t->next;
	if (t->next)
		t->next->prev = t->prev;
	l->nrunning--;
	if (l->nspare < LOOP_SPARE_EASY)
		l->spare[l->nspare++] = t->easy;
	else
		curl_easy_cleanup(t->easy);
	launch_waiting(l);
	aws_http_response resp = t->resp;
	report(t, rc, &resp, &e);
}

/* Ends every transfer, waiting or running, as cancelled. */
static void cancel_all(aws_http_loop *l)
{
	while (l->waiting || l->running) {
		if (l->running)
			finish(l, l->running, CURLE_ABORTED_BY_CALLBACK);
		else
			launch_waiting(l);   /* cancelled: ends them */
	}
}

void aws_http_loop_free(aws_http_loop *l)
{
	if (!l)
		return;
	l->closing = 1;   /* nothing waiting may start now */
	cancel_all(l);
	for (int i = 0; i < l->nspare; i++)
		curl_easy_cleanup(l->spare[i]);
	curl_multi_cleanup(l->multi);   /* closes kept connections through on_close */
	close(l->epfd);
	free(l->socks);
	free(l);
}

int aws_http_loop_fd(const aws_http_loop *l)
{
	return l->epfd;
}

long aws_http_loop_timeout_ms(const aws_http_loop *l)
{
	if (l->deadline_ms < 0)
		return -1;
	long long left = l->deadline_ms - (long long)aws_monotonic_ms();
	return left > 0 ? (long)left : 0;
}

int aws_http_loop_running(const aws_http_loop *l)
{
	return l->nrunning + l->nwaiting;
}

void aws_http_loop_run(aws_http_loop *l, int fd_ready)
{
	/* libcurl sees a cancel only when a transfer moves; one waiting for an answer would
	 * wait for its timeout. */
	if (aws_http_cancelled(l->h)) {
		cancel_all(l);
		return;
	}
	struct epoll_event ev[16];
	int still = 0;
	int n = fd_ready ? epoll_wait(l->epfd, ev, 16, 0) : 0;
	for (int i = 0; i < n; i++) {
		loop_sock *k = sock_of(l, ev[i].data.fd);
		if (k && !k->wanted) {   /* parked and readable: the server closed it */
			sock_set(l, ev[i].data.fd, k, 0);
			continue;
		}
		int flags = 0;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			flags |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (ev[i].events & EPOLLERR)
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(l->multi, ev[i].data.fd, flags, &still);
	}
	if (l->deadline_ms >= 0 && (long long)aws_monotonic_ms() >= l->deadline_ms) {
		l->deadline_ms = -1;
		curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	}
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(l->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		loop_xfer *t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		CURLcode code = m->data.result;   /* m is invalid once the handle is removed */
		if (t)
			finish(l, t, code);
	}
}

int aws_http_loop_start(aws_http_loop *l, const aws_http_request *req, aws_http_done_fn *done, void *ud,
			aws_error *err)
{
	char host[sizeof ((aws_http_xfer *)0)->host];
	if (aws_http_check(req, host, sizeof host, err) < 0)
		return -1;   /* checked now, so a request that must wait its turn cannot fail later */
	loop_xfer *t = calloc(1, sizeof *t);
	if (!t || copy_request(t, req) < 0) {
		free(t);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory starting an HTTP request");
	}
	memcpy(t->x.host, host, sizeof host);   /* for a cancel's message before it starts */
	t->done = done;
	t->ud = ud;
	if (l->nrunning < LOOP_MAX_CONNECTS && !l->waiting) {
		if (launch(l, t, err) < 0) {
			free_xfer(t);
			return -1;
		}
		return 0;
	}
	if (l->waiting_tail)
		l->waiting_tail->next = t;
	else
		l->waiting = t;
	l->waiting_tail = t;
	l->nwaiting++;
	return 0;
}

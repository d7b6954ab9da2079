/* srv_http.c — the transport: libmicrohttpd in its external epoll mode driven by our event
 * loop, per-connection state, connection and time limits (the slow-client janitor), and
 * graceful shutdown. What a request means is decided in srv_request.c.
 *
 * Design: each TCP connection gets one srv_conn (allocated when it opens, reused by every
 * keep-alive request on it, freed when it closes). Following the libmicrohttpd idiom, the
 * first callback of a request only records it and the response is queued on the next one
 * (queueing on the first would close the connection). Blocking work suspends the
 * connection and goes to a worker; the worker fills the connection's output buffer and
 * resumes it (srv_conn_resume), and the next callback queues the answer. The loop also
 * drives its own AWS calls (aws_http_loop, srv_conn_http_loop): a request that reads an
 * item suspends its connection while the call runs and resumes it from the call's end.
 */
#include "srv_http.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aws_time.h"
#include "srv_conn.h"
#include "srv_log.h"
#include "srv_request.h"

struct srv_server {
	const srv_config *cfg;
	aws_client *client;               /* borrowed: cancelled at shutdown */
	aws_http_loop *hloop;             /* the loop's own AWS calls (item reads); loop thread only */
	srv_pipeline *pl;
	struct MHD_Daemon *mhd;
	int port;
	pthread_t loop;                   /* the event loop: the only thread that runs libmicrohttpd */
	int wake_fd;                      /* eventfd: wakes the loop for a command */
	int epoll_fd;                     /* libmicrohttpd's, polled by the loop */
	int idle_fd;                      /* ours: keep-alive connections waiting for a request */
	int loop_fd;                      /* the loop's one wait: an epoll set of the four above */
	atomic_int loop_cmd;              /* LOOP_RUN, LOOP_QUIESCE, LOOP_STOP */
	atomic_int active;                /* requests between first callback and completion */
	atomic_ulong completed;           /* requests finished, for the janitor's trim */

	pthread_mutex_t conns_mu;
	srv_conn *conns;                  /* newest first */
	long nconns;
	atomic_long closing;              /* shut down by us, not yet closed by libmicrohttpd */
	pthread_t janitor;
	int janitor_started;
	atomic_int janitor_quit;

	srv_conn **by_fd;                 /* open connections by descriptor (loop thread only) */
	size_t nfd;
};

enum { LOOP_RUN, LOOP_QUIESCE, LOOP_STOP };

/* aws_monotonic_ms in the whole milliseconds the deadlines are kept in. */
static long long mono_ms(void)
{
	return (long long)aws_monotonic_ms();
}

/* Wakes the event loop (an eventfd write; safe from any thread). */
static void wake_loop(srv_server *s)
{
	uint64_t one = 1;
	if (write(s->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		srv_log_event(SRV_LOG_WARN, "loop", "wake-up write failed: %s", strerror(errno));
}

/* libmicrohttpd's own wake-up does not reach a loop polling its epoll descriptor from
 * outside, so ours follows it: without it the answer would wait for the loop's next
 * timeout (up to a second). */
void srv_conn_resume(srv_conn *c)
{
	MHD_resume_connection(c->mc);
	wake_loop(c->srv);
}

aws_http_loop *srv_conn_http_loop(const srv_conn *c)
{
	return c->srv->hloop;
}

/* ---------- request deadlines ----------
 *
 * A request must arrive whole within --request-timeout of its first byte; the time a
 * keep-alive connection waits between requests is --idle-timeout (libmicrohttpd's
 * inactivity timeout). libmicrohttpd reports a request only once its request line is in,
 * so a client dripping the next request line a byte at a time would never be timed: while
 * a connection is idle its socket is also in idle_fd (one-shot), and the first byte of
 * the next request arms the deadline that the janitor enforces. */

static void watch_idle(srv_server *s, srv_conn *c)
{
	if (c->fd < 0)
		return;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c};
	int op = c->idle_watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(s->idle_fd, op, c->fd, &ev) == 0)
		c->idle_watched = 1;
}

/* On the loop: idle connections whose next request has begun get their deadline. */
static void idle_ended(srv_server *s)
{
	struct epoll_event ev[64];
	int n = epoll_wait(s->idle_fd, ev, 64, 0);
	long long now = mono_ms();
	for (int i = 0; i < n; i++) {
		srv_conn *c = ev[i].data.ptr;
		long long none = 0;
		atomic_compare_exchange_strong(&c->deadline_ms, &none, now + s->cfg->request_timeout_s * 1000);
	}
}

static void unwatch_idle(srv_server *s, srv_conn *c)
{
	if (c->idle_watched)
		epoll_ctl(s->idle_fd, EPOLL_CTL_DEL, c->fd, NULL);
	c->idle_watched = 0;
}

/* ---------- the raw bytes of request heads ----------
 *
 * Every byte libmicrohttpd reads from a client passes through srv_http_received (see
 * srv_recv.c) and the connection's head scanner (srv_rawhead.h) before libmicrohttpd
 * parses it. The first malformed or oversized head is answered here — 400, 414 or 431 with
 * Connection: close — once every request before it on the connection has been answered;
 * its bytes, and everything after them, never reach libmicrohttpd. The connection then
 * lingers: our side is shut for writing so the answer is delivered before the close, what
 * the client still sends is read and dropped, and it is closed when the client closes or
 * after LINGER_MS (the janitor). A request whose body the scanner cannot follow (chunked)
 * ends its connection the same way once answered, so no later head goes unchecked. */

#define LINGER_MS 2000

static _Thread_local srv_server *loop_server;   /* set on the event loop's thread */

static int fd_register(srv_server *s, srv_conn *c)
{
	if (c->fd < 0)
		return -1;
	size_t fd = (size_t)c->fd;
	if (fd >= s->nfd) {
		size_t n = s->nfd ? s->nfd : 1024;
		while (n <= fd)
			n *= 2;
		srv_conn **t = realloc(s->by_fd, n * sizeof *t);
		if (!t)
			return -1;
		memset(t + s->nfd, 0, (n - s->nfd) * sizeof *t);
		s->by_fd = t;
		s->nfd = n;
	}
	s->by_fd[fd] = c;
	return 0;
}

static void fd_unregister(srv_server *s, srv_conn *c)
{
	if (c->fd >= 0 && (size_t)c->fd < s->nfd && s->by_fd[c->fd] == c)
		s->by_fd[c->fd] = NULL;
}

/* Ends a connection after what has been sent: shut for writing, input dropped from now on,
 * closed when the client closes or the janitor's deadline passes. */
static void linger(srv_conn *c)
{
	shutdown(c->fd, SHUT_WR);
	atomic_store(&c->refused, 1);
	atomic_store(&c->deadline_ms, mono_ms() + LINGER_MS);
}

static void refuse_head(srv_conn *c)
{
	const srv_rawhead *r = &c->raw;
	const char *reason = r->bad == 414 ? "URI Too Long"
			     : r->bad == 431 ? "Request Header Fields Too Large" : "Bad Request";
	char msg[512];
	int n = snprintf(msg, sizeof msg,
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n%s\n",
			 r->bad, reason, strlen(r->why) + 1, r->why);
	/* A short answer into an empty send buffer: it fits, or the client is gone. */
	if (n > 0 && send(c->fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		srv_log_event(SRV_LOG_DEBUG, "request_refused", "answer to %s not sent: %s", c->peer, strerror(errno));
	srv_log_req lr = {.method = r->method, .path = r->path, .status = r->bad, .bytes = strlen(r->why) + 1,
			  .client = c->peer, .request_id = "", .error = r->why};
	srv_log_request(&lr);
	linger(c);
}

ssize_t srv_http_received(int fd, void *buf, ssize_t n)
{
	srv_server *s = loop_server;
	if (!s || fd < 0 || (size_t)fd >= s->nfd || !s->by_fd[fd])
		return n;
	srv_conn *c = s->by_fd[fd];
	if (atomic_load(&c->refused)) {
		errno = EAGAIN;
		return -1;
	}
	size_t pass = srv_rawhead_feed(&c->raw, buf, (size_t)n);
	if (c->raw.bad && c->raw.bad_head == c->done && c->begun == c->done)
		refuse_head(c);   /* nothing before it is still being answered */
	if (pass == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)pass;
}

/* ---------- libmicrohttpd's callbacks ---------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	srv_server *s = cls;
	(void)mc;
	srv_conn *c = *con_cls;
	if (!c)
		return MHD_NO; /* no connection state: cannot happen after on_uri */
	enum MHD_Result r = MHD_YES;
	switch (c->state) {
	case SRV_CONN_NEW:
		c->begun++;
		atomic_fetch_add(&s->active, 1);
		r = srv_request_begin(c, url, method, version);
		break;
	case SRV_CONN_READING:
		if (*upload_data_size) {
			srv_request_body(c, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		r = srv_request_decide(c);
		break;
	case SRV_CONN_WORKING:
		return MHD_YES;
	case SRV_CONN_READY:
		return srv_request_respond(c);
	case SRV_CONN_RESPONDED:
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->state != SRV_CONN_READING)   /* received in full (or refused): no deadline */
		atomic_store(&c->deadline_ms, 0);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	srv_server *s = cls;
	(void)mc;
	srv_conn *c = *con_cls;
	if (!c || c->state == SRV_CONN_NEW)
		return;
	const char *err = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		err = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "connection timed out"
		      : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client closed the connection"
		      : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "server shut down"
								     : "request ended with an error";
	srv_request_end(c, err);
	c->done++;
	atomic_store(&c->deadline_ms, 0);
	c->idle_since_ms = mono_ms();
	watch_idle(s, c);
	atomic_fetch_sub(&s->active, 1);
	atomic_fetch_add(&s->completed, 1);
	*con_cls = NULL;
	if (atomic_load(&c->refused) || c->fd < 0)
		return;
	if (c->raw.bad && c->raw.bad_head == c->done)
		refuse_head(c);           /* the next head is a refused one: answered after this */
	else if (c->raw.stopped && c->raw.stopped_head < c->done)
		linger(c);                /* a body the scanner could not follow */
}

static srv_conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	srv_server *s = cls;
	srv_conn *c = conn_of(mc);
	if (!c)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->idle_since_ms = 0;
	srv_request_target(c, uri);
	c->state = SRV_CONN_NEW;
	if (atomic_load(&c->deadline_ms) == 0)   /* mono_ms() from the same reading */
		atomic_store(&c->deadline_ms, (long long)c->t0.tv_sec * 1000 + c->t0.tv_nsec / 1000000 +
						      s->cfg->request_timeout_s * 1000);
	return c;
}

static void addr_text(int family, const unsigned char *a, char *out, size_t len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (family == AF_INET6 && memcmp(a, mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)len);
	else
		inet_ntop(family, a, out, (socklen_t)len);
}

static srv_conn *conn_open(srv_server *s, struct MHD_Connection *mc)
{
	srv_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL; /* the request will get MHD_NO and the connection closes */
	c->srv = s;
	c->pl = s->pl;
	c->mc = mc;
	c->out.limit = SRV_OUT_LIMIT;
	c->form.limit = (size_t)s->cfg->max_form_bytes;
	const union MHD_ConnectionInfo *fi = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = fi ? fi->connect_fd : -1;
	srv_rawhead_init(&c->raw, (size_t)s->cfg->max_header_bytes, (size_t)s->cfg->max_url_bytes);
	if (fd_register(s, c) != 0) {
		free(c);
		return NULL;   /* its bytes could not be checked: not served */
	}
	const union MHD_ConnectionInfo *ai = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ai && ai->client_addr) {
		const struct sockaddr *sa = ai->client_addr;
		if (sa->sa_family == AF_INET) {
			c->peer_family = AF_INET;
			memcpy(c->peer_addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		} else if (sa->sa_family == AF_INET6) {
			c->peer_family = AF_INET6;
			memcpy(c->peer_addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		}
		if (c->peer_family)
			addr_text(c->peer_family, c->peer_addr, c->peer, sizeof c->peer);
		c->peer_trusted = c->peer_family &&
				  srv_cidr_match(s->cfg->proxies, s->cfg->nproxies, c->peer_family, c->peer_addr);
	}
	c->idle_since_ms = mono_ms();
	atomic_store(&c->deadline_ms, c->idle_since_ms + s->cfg->request_timeout_s * 1000);
	pthread_mutex_lock(&s->conns_mu);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	pthread_mutex_unlock(&s->conns_mu);
	return c;
}

static void conn_close(srv_server *s, srv_conn *c)
{
	unwatch_idle(s, c);   /* before libmicrohttpd closes the descriptor */
	fd_unregister(s, c);
	pthread_mutex_lock(&s->conns_mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	if (c->cut)
		atomic_fetch_sub(&s->closing, 1);
	pthread_mutex_unlock(&s->conns_mu);
	srv_request_conn_free(c);
	free(c);
}

/* ---------- connection limits ----------
 *
 * Checked before libmicrohttpd accepts a connection (its accept policy callback, on the
 * loop). At --max-connections the connection idle the longest — a keep-alive connection
 * between requests, or one that has sent nothing yet — is closed to make room, as nginx
 * does; only when every connection is busy is the new one refused. A client address holds
 * at most --max-connections-per-ip, except the --trusted-proxies, through which many
 * clients come. libmicrohttpd's own limit sits a little above ours, because a connection
 * closed to make room is only counted out once libmicrohttpd has seen it close. */

#define CONN_LIMIT_SLACK 64

static int same_addr(const srv_conn *c, int family, const unsigned char *a)
{
	return c->peer_family == family && memcmp(c->peer_addr, a, family == AF_INET ? 4 : 16) == 0;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	srv_server *s = cls;
	const srv_config *cfg = s->cfg;
	int family = 0;
	unsigned char a[16] = {0};
	if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		family = AF_INET;
		memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		family = AF_INET6;
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
	int per_ip = cfg->max_connections_per_ip > 0 && family &&
		     !srv_cidr_match(cfg->proxies, cfg->nproxies, family, a);
	enum MHD_Result r = MHD_YES;
	pthread_mutex_lock(&s->conns_mu);
	if (per_ip) {
		long mine = 0;
		for (srv_conn *c = s->conns; c; c = c->next)
			mine += !c->cut && same_addr(c, family, a);
		if (mine >= cfg->max_connections_per_ip)
			r = MHD_NO;
	}
	long open = 0;
	srv_conn *oldest = NULL;
	for (srv_conn *c = s->conns; c && r == MHD_YES; c = c->next) {
		if (c->cut)
			continue;   /* closing already */
		open++;
		if (c->idle_since_ms && (!oldest || c->idle_since_ms <= oldest->idle_since_ms))
			oldest = c;
	}
	if (r == MHD_YES && open >= cfg->max_connections) {
		if (oldest && oldest->fd >= 0) {
			oldest->cut = 1;
			atomic_fetch_add(&s->closing, 1);
			shutdown(oldest->fd, SHUT_RDWR);   /* libmicrohttpd sees the end and closes it */
		} else {
			r = MHD_NO;
		}
	}
	pthread_mutex_unlock(&s->conns_mu);
	if (r == MHD_NO)
		srv_log_event(SRV_LOG_INFO, "connection_refused", "%s limit reached",
			      per_ip && open < cfg->max_connections ? "per-address" : "connection");
	return r;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	srv_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = conn_open(s, mc);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		conn_close(s, *socket_context);
		*socket_context = NULL;
	}
}

/* ---------- the slow-client janitor ---------- */

/* Cuts off connections that have not delivered their request in time (slowloris). shutdown()
 * makes libmicrohttpd see the end of the stream and close the connection itself; the fd is
 * still libmicrohttpd's (it closes sockets only after the CLOSED notification, which waits
 * for conns_mu), so it cannot be another connection's. */
static void *janitor_main(void *arg)
{
	srv_server *s = arg;
	unsigned long trimmed_at = 0, seen = 0;   /* trim only after a quiet tick */
	long long last_trim = 0;
	for (;;) {
		if (atomic_load(&s->janitor_quit))
			return NULL;
		long long now = mono_ms();
		pthread_mutex_lock(&s->conns_mu);
		for (srv_conn *c = s->conns; c; c = c->next) {
			long long d = atomic_load(&c->deadline_ms);
			if (d && now > d && !c->cut && c->fd >= 0) {
				c->cut = 1;
				atomic_fetch_add(&s->closing, 1);
				shutdown(c->fd, SHUT_RDWR);
				if (!atomic_load(&c->refused))   /* a refused one's lingering ended: logged already */
					srv_log_event(SRV_LOG_INFO, "slow_client",
					      "cut off %s: no complete request within %ld s", c->peer, s->cfg->request_timeout_s);
			}
		}
		pthread_mutex_unlock(&s->conns_mu);
		/* After a burst (pages of results are large), give the freed heap back to the
		 * system once things are quiet, so the resident size returns to its idle level. */
		unsigned long done = atomic_load(&s->completed);
		if (done != trimmed_at && done == seen && atomic_load(&s->active) == 0 && now - last_trim >= 1000) {
			malloc_trim(0);
			trimmed_at = done;
			last_trim = now;
		}
		seen = done;
		srv_log_tick();
		struct timespec ts = {0, 100 * 1000000};
		nanosleep(&ts, NULL);
	}
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!srv_log_enabled(SRV_LOG_DEBUG))
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	srv_log_event(SRV_LOG_DEBUG, "httpd", "%s", msg);
}

/* ---------- the event loop, start and stop ---------- */

/* The loop's descriptors, as loop_fd reports them (one bit each). */
enum { LOOP_FD_MHD = 1, LOOP_FD_WAKE = 2, LOOP_FD_IDLE = 4, LOOP_FD_HTTP = 8 };

/* One epoll set holding the loop's four descriptors (each itself pollable): one wait a turn
 * costs one epoll_wait rather than a poll() that registers on four descriptors and takes
 * itself off them again. Returns the set, or -1. */
static int loop_fd_new(srv_server *s)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);
	const int fds[4] = {s->epoll_fd, s->wake_fd, s->idle_fd, aws_http_loop_fd(s->hloop)};
	const unsigned bits[4] = {LOOP_FD_MHD, LOOP_FD_WAKE, LOOP_FD_IDLE, LOOP_FD_HTTP};
	for (int i = 0; fd >= 0 && i < 4; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = bits[i]};
		if (epoll_ctl(fd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* The event loop. libmicrohttpd runs in its "external" epoll mode, driven from here: one
 * wait on loop_fd (its epoll descriptor, our wake-up eventfd, the idle connections and the
 * item reads' transfers) with the timeout it asks for, then MHD_run(), which drains the
 * ready events without blocking. Its own internal epoll thread is not used because
 * libmicrohttpd 0.9.75 keeps waiting with the full timeout after a batch of exactly 128
 * events, so with 256 or 512 busy connections every reply waits for the next unrelated
 * event (bench/README.md); poll() mode avoids that but costs a scan of every connection per
 * wake-up. Quiescing happens here too, so the listening socket is only ever touched by this
 * thread. */
static void *loop_main(void *arg)
{
	srv_server *s = arg;
	loop_server = s;
	int quiesced = 0, skipped = 0;
	for (;;) {
		int cmd = atomic_load(&s->loop_cmd);
		if (cmd == LOOP_STOP)
			return NULL;
		if (cmd == LOOP_QUIESCE && !quiesced) {
			MHD_socket ls = MHD_quiesce_daemon(s->mhd);
			if (ls != MHD_INVALID_SOCKET)
				close(ls);
			quiesced = 1;
		}
		MHD_UNSIGNED_LONG_LONG to = 0;
		int ms = 1000;
		if (MHD_get_timeout(s->mhd, &to) == MHD_YES && to < 1000)
			ms = (int)to;
		/* While connections we shut down are being closed, libmicrohttpd may have stopped
		 * listening at its own limit; it listens again only in the MHD_run after they are
		 * gone, so come back at once rather than after a quiet second. */
		if (atomic_load(&s->closing) > 0 && ms > 1)
			ms = 1;
		long hms = aws_http_loop_timeout_ms(s->hloop);
		if (hms >= 0 && hms < ms)
			ms = (int)hms;
		/* libmicrohttpd has work at once (an answer to finish, a connection resumed): run it
		 * without asking the kernel first — but only every other turn, so the other
		 * descriptors are looked at however busy it stays. */
		unsigned ready = 0;
		if (ms == 0 && !skipped) {
			skipped = 1;
		} else {
			struct epoll_event ev[4];
			int n = epoll_wait(s->loop_fd, ev, 4, ms);
			for (int i = 0; i < n; i++)
				ready |= ev[i].data.u32;
			skipped = 0;
		}
		if (ready & LOOP_FD_WAKE) {
			uint64_t v;
			if (read(s->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
				srv_log_event(SRV_LOG_WARN, "loop", "wake-up read failed: %s", strerror(errno));
		}
		if (ready & LOOP_FD_IDLE)
			idle_ended(s);
		aws_http_loop_run(s->hloop, (ready & LOOP_FD_HTTP) != 0);   /* item reads that ended resume their connections */
		MHD_run(s->mhd);
	}
}

static void loop_command(srv_server *s, int cmd)
{
	atomic_store(&s->loop_cmd, cmd);
	wake_loop(s);
}

static struct MHD_Daemon *start_mhd(srv_server *s, unsigned flags, const struct sockaddr *sa)
{
	const srv_config *cfg = s->cfg;
	/* libmicrohttpd keeps a request's header, its parsed fields, a copy of its Cookie
	 * header (it parses cookies, unasked) and the response's header lines in one memory
	 * pool per connection, and reads into half of it. It never sees a head over the limit
	 * (refused on the bytes, srv_rawhead.h), so a head of the limit, mostly cookie, needs
	 * room for itself twice plus the response's lines. */
	size_t pool = (size_t)cfg->max_header_bytes * 2 + 4096;
	return MHD_start_daemon(
		flags, (uint16_t)cfg->listen_port, on_accept, s, on_request, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections + CONN_LIMIT_SLACK),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, sa,
		MHD_OPTION_END);
}

/* Listens where cfg says: every address (IPv4 and IPv6, or IPv4 alone when this network
 * namespace has no IPv6), or the one address given. */
static struct MHD_Daemon *listen_on(srv_server *s)
{
	/* External epoll mode, driven by loop_main (see there why not the internal thread). */
	unsigned base = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			MHD_USE_TURBO;
	const srv_config *cfg = s->cfg;
	if (cfg->listen_host[0] == '\0') {
		struct MHD_Daemon *d = start_mhd(s, base | MHD_USE_DUAL_STACK, NULL);
		if (!d) {
			d = start_mhd(s, base, NULL);
			if (d)
				srv_log_event(SRV_LOG_WARN, "listen", "IPv6 not available, listening on IPv4 only");
		}
		return d;
	}
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	memset(&in4, 0, sizeof in4);
	memset(&in6, 0, sizeof in6);
	if (inet_pton(AF_INET, cfg->listen_host, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		in4.sin_port = htons((uint16_t)cfg->listen_port);
		return start_mhd(s, base, (const struct sockaddr *)&in4);
	}
	if (inet_pton(AF_INET6, cfg->listen_host, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)cfg->listen_port);
		return start_mhd(s, base | MHD_USE_IPv6, (const struct sockaddr *)&in6);
	}
	return NULL;
}

static void stop_janitor(srv_server *s)
{
	atomic_store(&s->janitor_quit, 1);
	if (s->janitor_started)
		pthread_join(s->janitor, NULL);
	s->janitor_started = 0;
}

/* Frees what srv_http_start built; the daemon, if any, must be stopped already. */
static void free_server(srv_server *s)
{
	stop_janitor(s);
	srv_pipeline_free(s->pl);
	aws_http_loop_free(s->hloop);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->idle_fd >= 0)
		close(s->idle_fd);
	if (s->loop_fd >= 0)
		close(s->loop_fd);
	pthread_mutex_destroy(&s->conns_mu);
	free(s->by_fd);
	free(s);
}

srv_server *srv_http_start(const srv_deps *deps, aws_error *err)
{
	srv_server *s = calloc(1, sizeof *s);
	if (!s) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->wake_fd = -1;
	s->idle_fd = -1;
	s->loop_fd = -1;
	s->cfg = deps->cfg;
	s->client = deps->client;
	pthread_mutex_init(&s->conns_mu, NULL);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		aws_error_set(err, AWS_ERR_IO, "cannot create an eventfd: %s", strerror(errno));
		free_server(s);
		return NULL;
	}
	s->idle_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->idle_fd < 0) {
		aws_error_set(err, AWS_ERR_IO, "cannot create an epoll descriptor: %s", strerror(errno));
		free_server(s);
		return NULL;
	}
	s->hloop = aws_http_loop_new(aws_client_http(s->client), err);
	if (!s->hloop) {
		free_server(s);
		return NULL;
	}
	s->pl = srv_pipeline_new(deps, err);
	if (!s->pl) {
		free_server(s);
		return NULL;
	}
	if (pthread_create(&s->janitor, NULL, janitor_main, s) == 0)
		s->janitor_started = 1;
	if (!s->janitor_started) {
		aws_error_set(err, AWS_ERR_IO, "cannot start threads");
		free_server(s);
		return NULL;
	}
	/* The request head checks rely on recv() being ours for libmicrohttpd (srv_recv.c). */
	if (dlsym(RTLD_DEFAULT, "recv") != (void *)srv_recv_hook) {
		aws_error_set(err, AWS_ERR_IO, "cannot check request heads: this program's recv() is not the one "
			      "libmicrohttpd calls (a static or unusual link?)");
		free_server(s);
		return NULL;
	}
	s->mhd = listen_on(s);
	const srv_config *cfg = s->cfg;
	if (!s->mhd) {
		aws_error_set(err, AWS_ERR_IO, "cannot listen on %s:%d (in use, or not an address of this machine?)",
			      cfg->listen_host[0] ? cfg->listen_host : "*", cfg->listen_port);
		free_server(s);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->listen_port;
	const union MHD_DaemonInfo *ei = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	s->epoll_fd = ei ? ei->epoll_fd : -1;
	if (s->epoll_fd >= 0)
		s->loop_fd = loop_fd_new(s);
	if (s->loop_fd < 0 || pthread_create(&s->loop, NULL, loop_main, s) != 0) {
		aws_error_set(err, AWS_ERR_IO, "cannot start the event loop (%s)",
			      s->epoll_fd < 0 ? "libmicrohttpd has no epoll descriptor"
			      : s->loop_fd < 0 ? strerror(errno) : "no thread");
		srv_pipeline_stop(s->pl);
		MHD_stop_daemon(s->mhd);
		free_server(s);
		return NULL;
	}
	return s;
}

int srv_http_port(const srv_server *s) { return s->port; }

/* Waits until no request is in flight or ms have passed; returns how many still are. */
static int wait_idle(srv_server *s, long ms)
{
	long long deadline = mono_ms() + ms;
	while (atomic_load(&s->active) > 0 && mono_ms() < deadline) {
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	return atomic_load(&s->active);
}

int srv_http_shutdown(srv_server *s, long grace_ms)
{
	loop_command(s, LOOP_QUIESCE);   /* stop accepting; requests in flight go on */
	int left = wait_idle(s, grace_ms);
	if (left > 0) {
		/* Scans still running (say, in AWS retries) would hold the workers past the grace
		 * period: cut their calls short — they end within about a second with a 503 page
		 * ("server stopping") — and give those pages a moment to go out. */
		aws_client_cancel(s->client);
		wake_loop(s);   /* its own item reads end in its next turn */
		wait_idle(s, 1500);
	}
	srv_pipeline_stop(s->pl);   /* workers finish the jobs they hold, then exit */
	stop_janitor(s);
	loop_command(s, LOOP_STOP);
	pthread_join(s->loop, NULL);
	/* An item read still running (the grace period and the cut both ran out) ends here,
	 * its connection resumed with a 503, before libmicrohttpd closes it. */
	aws_http_loop_free(s->hloop);
	s->hloop = NULL;
	MHD_stop_daemon(s->mhd);   /* closes what is left, from this thread: the loop is gone */
	free_server(s);
	return left;
}

/* srv_http.c — libmicrohttpd glue: the event loop, per-connection state, routing, auth,
 * the worker pool, the slow-client janitor, graceful shutdown.
 *
 * Design: each TCP connection gets one srv_conn (allocated when it opens, reused by every
 * keep-alive request on it, freed when it closes), so the hot paths (/ping, static files,
 * pages with a cached login) allocate nothing of ours per request: they queue prebuilt
 * responses or a response pointing into the connection's reused output buffer. Following
 * the libmicrohttpd idiom, the first callback of a request only records it and the
 * response is queued on the next one (queueing on the first would close the connection).
 * Blocking work suspends the connection and goes to a worker; the worker fills the
 * connection's output buffer and resumes it, and the next callback queues the answer.
 */
#include "srv_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aws_crypto.h"
#include "srv_errors.h"
#include "srv_log.h"
#include "srv_page.h"
#include "srv_render.h"
#include "srv_route.h"

#define OUT_LIMIT (32u << 20)   /* largest page we build */
#define OUT_KEEP (16u << 10)    /* output buffer kept between requests on a connection: a start page fits */
#define LIMIT_TEXT_MAX 32

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

enum conn_state { ST_NEW, ST_READING, ST_WORKING, ST_READY, ST_RESPONDED };
enum body_kind { BODY_HTML, BODY_JSON };

typedef struct srv_conn {
	srv_server *srv;
	struct MHD_Connection *mc;
	int fd;
	struct srv_conn *prev, *next;     /* all connections, for the janitor */
	_Atomic long long deadline_ms;    /* request must be received by then; 0 = none */
	int cut;                          /* the janitor shut it down */
	char peer[64];                    /* the TCP peer */
	int peer_family;
	unsigned char peer_addr[16];
	int peer_trusted;

	/* per request */
	enum conn_state state;
	struct timespec t0;
	size_t uri_len;
	char method[8];
	char path[256];
	char rid[32];
	char trace[128];                  /* X-Amzn-Trace-Id from the load balancer, for the log */
	char client[64];
	char user[SRV_AUTH_USER_MAX + 1];
	int status;
	size_t bytes;
	char errlog[1400];                /* detail for the log line, "" = none */
	srv_route route;
	aws_buf form;                     /* POST body */
	int form_too_big;
	aws_buf out;                      /* the response body we built */

	/* job for a worker */
	struct srv_conn *next_job;
	int job_verify;
	char authz[SRV_AUTH_HEADER_MAX + 1];
	char *q, *cursor;
	char limit_text[LIMIT_TEXT_MAX];
	int bad_params;                   /* q, cursor or limit unusable: 400 once logged in */
	int res_status;
	enum body_kind res_kind;
} srv_conn;

static const char BAD_PARAMS[] =
	"A parameter (q, cursor or limit) is malformed or too long — start again from the first page.";

/* Start pages already rendered, as reusable responses: the page depends only on the table
 * and the user, so a logged-in "/" costs a lookup like /ping instead of a render. Used by
 * the libmicrohttpd thread only (no lock); libmicrohttpd frees an evicted page's body when
 * its last send finishes (MHD_RESPMEM_MUST_FREE + reference count). */
#define START_CACHE 16
typedef struct start_page {
	char user[SRV_AUTH_USER_MAX + 1];
	char table[SRV_TABLE_NAME_MAX];
	struct MHD_Response *resp;
	size_t len;
} start_page;

struct srv_server {
	srv_deps d;
	start_page start[START_CACHE];
	unsigned start_next;              /* round-robin eviction */
	const srv_config *cfg;
	struct MHD_Daemon *mhd;
	int port;
	pthread_t loop;                   /* the event loop: the only thread that runs libmicrohttpd */
	int wake_fd;                      /* eventfd: wakes the loop for a command */
	int epoll_fd;                     /* libmicrohttpd's, polled by the loop */
	atomic_int loop_cmd;              /* LOOP_RUN, LOOP_QUIESCE, LOOP_STOP */
	atomic_int active;                /* requests between first callback and completion */
	atomic_ulong completed;           /* requests finished, for the janitor's trim */
	atomic_ullong rid_counter;
	char rid_prefix[12];

	struct MHD_Response *r_ping, *r_401, *r_404, *r_429, *r_500, *r_503;
	size_t n_ping, n_401, n_404, n_429, n_500, n_503;
	aws_buf b_401, b_404, b_429, b_500, b_503;

	pthread_mutex_t conns_mu;
	srv_conn *conns;
	pthread_t janitor;
	int janitor_started;

	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	srv_conn *qhead, *qtail;
	int qlen;
	int quit;
	pthread_t *workers;
	int nworkers;
};

enum { LOOP_RUN, LOOP_QUIESCE, LOOP_STOP };

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- responses ---------- */

static void add_page_headers(struct MHD_Response *r, enum body_kind kind)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				kind == BODY_JSON ? "application/json; charset=utf-8" : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

/* A response over a buffer that lives as long as the server. */
static struct MHD_Response *prebuilt(const aws_buf *b, enum body_kind kind)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->data ? b->data : (void *)"",
								 MHD_RESPMEM_PERSISTENT);
	if (r)
		add_page_headers(r, kind);
	return r;
}

static enum MHD_Result queue(srv_conn *c, int status, struct MHD_Response *r, size_t bytes)
{
	c->status = status;
	c->bytes = bytes;
	c->state = ST_RESPONDED;
	if (!r)
		return MHD_NO;
	return MHD_queue_response(c->mc, (unsigned)status, r);
}

/* Queues c->out as the body, with the page headers and the request id. */
static enum MHD_Result queue_out(srv_conn *c, int status, enum body_kind kind, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(c->out.len, c->out.data ? c->out.data : (void *)"",
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return queue(c, 503, c->srv->r_503, c->srv->n_503);
	add_page_headers(r, kind);
	MHD_add_response_header(r, "X-Request-Id", c->rid);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"showtable\", charset=\"UTF-8\"");
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	enum MHD_Result rc = queue(c, status, r, c->out.len);
	MHD_destroy_response(r);
	return rc;
}

/* Renders an error into c->out as a page, or as JSON for the API. */
static void render_error(srv_conn *c, int status, const char *title, const char *detail)
{
	aws_buf_reset(&c->out);
	int rc;
	if (c->route.id == SRV_ROUTE_API_ITEMS) {
		rc = aws_buf_printf(&c->out, "{\"error\":{\"status\":%d,\"title\":\"", status);
		rc = rc || srv_json_escape(&c->out, title, strlen(title));
		rc = rc || aws_buf_puts(&c->out, "\",\"detail\":\"");
		rc = rc || srv_json_escape(&c->out, detail ? detail : "", detail ? strlen(detail) : 0);
		rc = rc || aws_buf_puts(&c->out, "\"}}");
	} else {
		rc = srv_render_error(&c->out, status, title, detail);
	}
	if (rc)
		aws_buf_reset(&c->out);
	c->res_status = status;
	c->res_kind = c->route.id == SRV_ROUTE_API_ITEMS ? BODY_JSON : BODY_HTML;
}

static enum MHD_Result respond_error(srv_conn *c, int status, const char *title, const char *detail,
				     const char *allow)
{
	render_error(c, status, title, detail);
	return queue_out(c, status, c->res_kind, allow);
}

/* ---------- clients ---------- */

static void addr_text(int family, const unsigned char *a, char *out, size_t len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (family == AF_INET6 && memcmp(a, mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)len);
	else
		inet_ntop(family, a, out, (socklen_t)len);
}

/* The client: the TCP peer, or — when the peer is a trusted proxy — the rightmost address
 * in X-Forwarded-For that is not itself a trusted proxy. */
static void find_client(srv_conn *c)
{
	const srv_config *cfg = c->srv->cfg;   /* c->client is the peer already (begin) */
	if (!c->peer_trusted)
		return;
	const char *xff = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "X-Forwarded-For");
	if (!xff)
		return;
	const char *end = xff + strlen(xff);
	while (end > xff) {
		const char *start = end;
		while (start > xff && start[-1] != ',')
			start--;
		const char *s = start, *e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		char one[64];
		unsigned char a[16];
		int fam = 0;
		if (e > s && (size_t)(e - s) < sizeof one) {
			memcpy(one, s, (size_t)(e - s));
			one[e - s] = '\0';
			if (inet_pton(AF_INET, one, a) == 1)
				fam = AF_INET;
			else if (inet_pton(AF_INET6, one, a) == 1)
				fam = AF_INET6;
		}
		if (!fam)
			return; /* garbage: keep the last address we could trust */
		snprintf(c->client, sizeof c->client, "%s", one);
		if (!srv_cidr_match(cfg->proxies, cfg->nproxies, fam, a))
			return;
		end = start > xff ? start - 1 : xff;
	}
}

/* ---------- worker pool ---------- */

/* Wakes the event loop (an eventfd write; safe from any thread). */
static void wake_loop(srv_server *s)
{
	uint64_t one = 1;
	if (write(s->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		srv_log_event(SRV_LOG_WARN, "loop", "wake-up write failed: %s", strerror(errno));
}

/* Hands a suspended connection back to the event loop. libmicrohttpd's own wake-up does
 * not reach a loop polling its epoll descriptor from outside, so ours follows it: without
 * it the answer would wait for the loop's next timeout (up to a second). */
static void resume(srv_conn *c)
{
	MHD_resume_connection(c->mc);
	wake_loop(c->srv);
}

static void job_result_page(srv_conn *c)
{
	srv_server *s = c->srv;
	aws_error e;
	aws_error_clear(&e);
	aws_buf_reset(&c->out);
	if (c->job_verify) {
		srv_auth_result r = srv_auth_verify(s->d.auth, c->authz, c->user, sizeof c->user);
		explicit_bzero(c->authz, sizeof c->authz);
		if (r != SRV_AUTH_OK) {
			srv_auth_client_failed(s->d.auth, c->client);
			snprintf(c->errlog, sizeof c->errlog, "login failed: %s",
				 r == SRV_AUTH_MALFORMED ? "malformed Authorization header" : "wrong user or password");
			render_error(c, 401, "Login required",
				     r == SRV_AUTH_MALFORMED ? "The login could not be read: use a user name and password."
							     : "Wrong user name or password.");
			return;
		}
	}
	if (c->bad_params) {
		snprintf(c->errlog, sizeof c->errlog, "bad parameter");
		render_error(c, 400, "Bad request", BAD_PARAMS);
		return;
	}
	char table[SRV_TABLE_NAME_MAX];
	if (srv_table_get(s->d.table, s->d.client, table, sizeof table, &e)) {
		srv_http_error he;
		srv_error_map(&e, "ssm:GetParameter", srv_table_param(s->d.table), &he);
		snprintf(c->errlog, sizeof c->errlog, "%s", he.detail);
		render_error(c, he.status, he.title, he.detail);
		return;
	}
	if (c->route.id == SRV_ROUTE_START) {
		if (srv_render_start(&c->out, table, c->user)) {
			render_error(c, 500, "Page too large", "The page could not be built.");
			return;
		}
		c->res_status = 200;
		c->res_kind = BODY_HTML;
		return;
	}
	long limit = 0;
	srv_page p;
	memset(&p, 0, sizeof p);
	int rc = srv_page_parse_limit(c->limit_text, &limit, &e);
	if (rc == 0)
		rc = srv_page_fetch(s->d.client, table, c->q ? c->q : "", c->cursor, limit, s->cfg->scan_budget_ms,
				    &s->d.cursor_key, &p, &e);
	if (rc) {
		srv_http_error he;
		srv_error_map(&e, "dynamodb:Scan", table, &he);
		snprintf(c->errlog, sizeof c->errlog, "%s", he.detail);
		render_error(c, he.status, he.title, he.detail);
		srv_page_free(&p);
		return;
	}
	int json = c->route.id == SRV_ROUTE_API_ITEMS;
	rc = json ? srv_render_items_json(&c->out, &p) : srv_render_results(&c->out, &p);
	srv_page_free(&p);
	if (rc) {
		snprintf(c->errlog, sizeof c->errlog, "page over %u bytes", OUT_LIMIT);
		render_error(c, 500, "Page too large",
			     "This page is too large to show — ask for fewer items per page (limit).");
		return;
	}
	c->res_status = 200;
	c->res_kind = json ? BODY_JSON : BODY_HTML;
}

static void *worker_main(void *arg)
{
	srv_server *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->qmu);
		while (!s->qhead && !s->quit)
			pthread_cond_wait(&s->qcv, &s->qmu);
		srv_conn *c = s->qhead;
		if (!c) {
			pthread_mutex_unlock(&s->qmu);
			return NULL;
		}
		s->qhead = c->next_job;
		if (!s->qhead)
			s->qtail = NULL;
		s->qlen--;
		pthread_mutex_unlock(&s->qmu);
		c->next_job = NULL;
		job_result_page(c);
		c->state = ST_READY;
		resume(c);
	}
}

/* Suspends c and hands it to a worker. When the queue is full or the server is stopping,
 * the 503 is prepared here and the connection resumed at once: the check and the enqueue
 * are one critical section, so no job can be left behind by workers that have exited. */
static enum MHD_Result to_worker(srv_conn *c)
{
	srv_server *s = c->srv;
	c->state = ST_WORKING;
	MHD_suspend_connection(c->mc);
	pthread_mutex_lock(&s->qmu);
	if (s->qlen >= s->cfg->max_waiting || s->quit) {
		pthread_mutex_unlock(&s->qmu);
		snprintf(c->errlog, sizeof c->errlog, "%s", s->quit ? "server stopping" : "worker queue full");
		render_error(c, 503, "Server busy", "The server has too much to do: try again in a moment.");
		c->state = ST_READY;
		resume(c);
		return MHD_YES;
	}
	c->next_job = NULL;
	if (s->qtail)
		s->qtail->next_job = c;
	else
		s->qhead = c;
	s->qtail = c;
	s->qlen++;
	pthread_cond_signal(&s->qcv);
	pthread_mutex_unlock(&s->qmu);
	return MHD_YES;
}

/* ---------- request handling ---------- */

static int etag_matches(const char *inm, const char *etag)
{
	if (strcmp(inm, "*") == 0)
		return 1;
	size_t n = strlen(etag);
	for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
		char after = p[n];
		if (after == '\0' || after == ',' || after == ' ')
			return 1;
	}
	return 0;
}

static enum MHD_Result serve_static(srv_conn *c)
{
	srv_server *s = c->srv;
	srv_asset *a = srv_static_find(s->d.assets, c->path);
	if (!a)
		return queue(c, 404, s->r_404, s->n_404);
	const char *inm = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && etag_matches(inm, a->etag))
		return queue(c, 304, a->resp[2], 0);
	const char *ae = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (a->gz && srv_static_accepts_gzip(ae))
		return queue(c, 200, a->resp[1], a->gz_len);
	return queue(c, 200, a->resp[0], a->len);
}

/* Copies a request parameter (query for GET, form for POST). -1: malformed or too long. */
static int param(srv_conn *c, const char *name, char *out, size_t outlen)
{
	if (c->route.is_post)
		return srv_form_get(c->form.data ? c->form.data : "", c->form.len, name, out, outlen);
	const char *v = MHD_lookup_connection_value(c->mc, MHD_GET_ARGUMENT_KIND, name);
	if (!v)
		return 0;
	if (strlen(v) >= outlen)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 1;
}

static char *param_dup(srv_conn *c, const char *name, size_t max, int *bad)
{
	char *buf = malloc(max + 1);
	if (!buf) {
		*bad = 1;
		return NULL;
	}
	int r = param(c, name, buf, max + 1);
	if (r <= 0) {
		free(buf);
		if (r < 0)
			*bad = 1;
		return NULL;
	}
	return buf;
}

/* The cached start page for (table, user), rendered on first use; NULL when it cannot be
 * built (the caller renders into the connection's buffer instead). */
static start_page *start_page_for(srv_server *s, const char *table, const char *user)
{
	for (int i = 0; i < START_CACHE; i++) {
		start_page *sp = &s->start[i];
		if (sp->resp && strcmp(sp->user, user) == 0 && strcmp(sp->table, table) == 0)
			return sp;
	}
	aws_buf b = AWS_BUF_INIT;
	b.limit = OUT_KEEP * 4;
	if (srv_render_start(&b, table, user)) {
		aws_buf_free(&b);
		return NULL;
	}
	size_t len = 0;
	char *body = aws_buf_steal(&b, &len);
	if (!body)
		return NULL;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return NULL;
	}
	add_page_headers(r, BODY_HTML);
	start_page *sp = &s->start[s->start_next++ % START_CACHE];
	if (sp->resp)
		MHD_destroy_response(sp->resp);   /* pages being sent keep their reference */
	snprintf(sp->user, sizeof sp->user, "%s", user);
	snprintf(sp->table, sizeof sp->table, "%s", table);
	sp->resp = r;
	sp->len = len;
	return sp;
}

/* The request is fully received: decide and answer (or hand to a worker). */
static enum MHD_Result act(srv_conn *c)
{
	srv_server *s = c->srv;
	const srv_config *cfg = s->cfg;
	atomic_store(&c->deadline_ms, 0);
	if (c->route.id == SRV_ROUTE_PING && c->route.method_allowed)
		return queue(c, 200, s->r_ping, s->n_ping);
	if (c->uri_len > (size_t)cfg->max_url_bytes)
		return respond_error(c, 414, "URL too long", "The address is longer than this server accepts.", NULL);
	if (!c->route.method_allowed) {
		if (c->route.id == SRV_ROUTE_NOT_FOUND)
			return queue(c, 404, s->r_404, s->n_404);
		return respond_error(c, 405, "Method not allowed", "This address does not accept that method.",
				     c->route.allow);
	}
	if (c->route.id == SRV_ROUTE_STATIC)
		return serve_static(c);
	if (c->route.id == SRV_ROUTE_NOT_FOUND)
		return queue(c, 404, s->r_404, s->n_404);

	/* Authenticated routes. */
	find_client(c);
	const char *authz = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	c->job_verify = 0;
	if (!authz)
		return queue(c, 401, s->r_401, s->n_401);
	if (!srv_auth_cached(s->d.auth, authz, c->user, sizeof c->user)) {
		if (srv_auth_client_blocked(s->d.auth, c->client)) {
			snprintf(c->errlog, sizeof c->errlog, "too many failed logins from this client");
			return queue(c, 429, s->r_429, s->n_429);
		}
		if (strlen(authz) > SRV_AUTH_HEADER_MAX) {
			srv_auth_client_failed(s->d.auth, c->client);
			snprintf(c->errlog, sizeof c->errlog, "login failed: Authorization header too long");
			return queue(c, 401, s->r_401, s->n_401);
		}
		snprintf(c->authz, sizeof c->authz, "%s", authz);
		c->job_verify = 1;
	}
	if (c->route.is_post) {
		if (c->form_too_big)
			return respond_error(c, 413, "Form too large", "The form sent is larger than this server accepts.",
					     NULL);
		const char *ct = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
			return respond_error(c, 415, "Unsupported form",
					     "POST /query takes an application/x-www-form-urlencoded form (fields q, limit, cursor).",
					     NULL);
	}
	if (c->route.id == SRV_ROUTE_START && !c->job_verify) {
		char table[SRV_TABLE_NAME_MAX];
		if (srv_table_peek(s->d.table, table, sizeof table)) {
			start_page *sp = start_page_for(s, table, c->user);
			if (sp)
				return queue(c, 200, sp->resp, sp->len);
			aws_buf_reset(&c->out);
			if (srv_render_start(&c->out, table, c->user))
				return queue(c, 500, s->r_500, s->n_500);
			return queue_out(c, 200, BODY_HTML, NULL);
		}
	}
	if (c->route.id == SRV_ROUTE_QUERY || c->route.id == SRV_ROUTE_API_ITEMS) {
		int bad = 0;
		c->q = param_dup(c, "q", 4 * SRV_PAGE_Q_MAX, &bad);
		c->cursor = param_dup(c, "cursor", SRV_CURSOR_MAX, &bad);
		int lr = param(c, "limit", c->limit_text, sizeof c->limit_text);
		if (lr <= 0)
			c->limit_text[0] = '\0';
		/* A cursor over the maximum is a damaged link, the rest bad input: both 400 — but
		 * only to someone logged in; an unverified login goes to the worker first. */
		c->bad_params = bad || lr < 0;
		if (c->bad_params && !c->job_verify) {
			snprintf(c->errlog, sizeof c->errlog, "bad parameter");
			return respond_error(c, 400, "Bad request", BAD_PARAMS, NULL);
		}
	}
	return to_worker(c);
}

/* Bounded copy, always NUL-terminated (per-request bookkeeping without printf). */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* "<8 hex of the process prefix>-<counter in hex>" into out[32]. */
static void request_id(char *out, const char *prefix, unsigned long long n)
{
	static const char hex[] = "0123456789abcdef";
	size_t p = strnlen(prefix, 12);
	memcpy(out, prefix, p);
	out[p++] = '-';
	char d[16];
	int k = 0;
	do {
		d[k++] = hex[n & 15];
		n >>= 4;
	} while (n);
	while (k > 0)
		out[p++] = d[--k];
	out[p] = '\0';
}

static void begin(srv_conn *c, const char *url, const char *method)
{
	srv_server *s = c->srv;
	c->state = ST_READING;
	c->status = 0;
	c->bytes = 0;
	c->errlog[0] = '\0';
	c->user[0] = '\0';
	c->form_too_big = 0;
	c->bad_params = 0;
	aws_buf_reset(&c->form);
	copy_str(c->method, sizeof c->method, method);
	copy_str(c->path, sizeof c->path, url);
	copy_str(c->client, sizeof c->client, c->peer);
	request_id(c->rid, s->rid_prefix, atomic_fetch_add(&s->rid_counter, 1));
	c->route = srv_route_match(method, url);
	const char *trace = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "X-Amzn-Trace-Id");
	copy_str(c->trace, sizeof c->trace, trace ? trace : "");
	atomic_fetch_add(&s->active, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	(void)cls;
	(void)version;
	srv_conn *c = *con_cls;
	if (!c)
		return MHD_NO; /* no connection state: cannot happen after on_uri */
	switch (c->state) {
	case ST_NEW: {
		begin(c, url, method);
		/* A declared body over the form limit is refused before reading it; queueing now
		 * (first callback) makes libmicrohttpd close the connection, which is what we want. */
		const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > (unsigned long long)c->srv->cfg->max_form_bytes) {
			atomic_store(&c->deadline_ms, 0);
			return respond_error(c, 413, "Request too large", "The request body is larger than this server accepts.",
					     NULL);
		}
		return MHD_YES;
	}
	case ST_READING:
		if (*upload_data_size) {
			if (c->route.is_post && !c->form_too_big &&
			    aws_buf_append(&c->form, upload_data, *upload_data_size))
				c->form_too_big = 1;
			*upload_data_size = 0;
			return MHD_YES;
		}
		return act(c);
	case ST_WORKING:
		return MHD_YES;
	case ST_READY:
		return queue_out(c, c->res_status, c->res_kind, NULL);
	case ST_RESPONDED:
		*upload_data_size = 0;
		return MHD_YES;
	}
	return MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	srv_server *s = cls;
	(void)mc;
	srv_conn *c = *con_cls;
	if (!c || c->state == ST_NEW)
		return;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const char *err = c->errlog[0] ? c->errlog : NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !err)
		err = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "connection timed out"
		      : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "client closed the connection"
		      : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "server shut down"
								     : "request ended with an error";
	srv_log_req lr = {
		.method = c->method, .path = c->path, .status = c->status, .bytes = c->bytes,
		.duration_ms = (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e6,
		.user = c->user, .client = c->client, .request_id = c->rid, .trace_id = c->trace, .error = err,
	};
	srv_log_request(&lr);
	free(c->q);
	free(c->cursor);
	c->q = c->cursor = NULL;
	if (c->authz[0])   /* held only for a login still to verify */
		explicit_bzero(c->authz, sizeof c->authz);
	if (c->out.cap > OUT_KEEP)
		aws_buf_free(&c->out);
	if (c->form.cap > OUT_KEEP)
		aws_buf_free(&c->form);
	c->state = ST_NEW;
	atomic_store(&c->deadline_ms, 0);
	atomic_fetch_sub(&s->active, 1);
	atomic_fetch_add(&s->completed, 1);
	*con_cls = NULL;
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
	c->uri_len = strlen(uri);
	c->state = ST_NEW;
	if (atomic_load(&c->deadline_ms) == 0)   /* mono_ms() from the same reading */
		atomic_store(&c->deadline_ms, (long long)c->t0.tv_sec * 1000 + c->t0.tv_nsec / 1000000 +
						      s->cfg->request_timeout_s * 1000);
	return c;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	srv_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		srv_conn *c = calloc(1, sizeof *c);
		if (!c)
			return; /* the request will get MHD_NO and the connection closes */
		c->srv = s;
		c->mc = mc;
		c->out.limit = OUT_LIMIT;
		c->form.limit = (size_t)s->cfg->max_form_bytes;
		const union MHD_ConnectionInfo *fi = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = fi ? fi->connect_fd : -1;
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
		atomic_store(&c->deadline_ms, mono_ms() + s->cfg->request_timeout_s * 1000);
		pthread_mutex_lock(&s->conns_mu);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		pthread_mutex_unlock(&s->conns_mu);
		*socket_context = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		srv_conn *c = *socket_context;
		if (!c)
			return;
		pthread_mutex_lock(&s->conns_mu);
		if (c->prev)
			c->prev->next = c->next;
		else
			s->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&s->conns_mu);
		free(c->q);
		free(c->cursor);
		aws_buf_free(&c->out);
		aws_buf_free(&c->form);
		free(c);
		*socket_context = NULL;
	}
}

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
		pthread_mutex_lock(&s->qmu);
		int quit = s->quit;
		pthread_mutex_unlock(&s->qmu);
		if (quit)
			return NULL;
		long long now = mono_ms();
		pthread_mutex_lock(&s->conns_mu);
		for (srv_conn *c = s->conns; c; c = c->next) {
			long long d = atomic_load(&c->deadline_ms);
			if (d && now > d && !c->cut && c->fd >= 0) {
				c->cut = 1;
				shutdown(c->fd, SHUT_RDWR);
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

/* ---------- start and stop ---------- */

static int build_prebuilt(srv_server *s)
{
	static const char pong[] = "{\"message\":\"pong\"}";
	s->r_ping = MHD_create_response_from_buffer(sizeof pong - 1, (void *)pong, MHD_RESPMEM_PERSISTENT);
	s->n_ping = sizeof pong - 1;
	if (!s->r_ping)
		return -1;
	MHD_add_response_header(s->r_ping, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	MHD_add_response_header(s->r_ping, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(s->r_ping, "X-Content-Type-Options", "nosniff");
	struct { aws_buf *b; struct MHD_Response **r; size_t *n; int status; const char *title, *detail; } P[] = {
		{&s->b_401, &s->r_401, &s->n_401, 401, "Login required", "This page needs a user name and password."},
		{&s->b_404, &s->r_404, &s->n_404, 404, "Not found", "There is no page at this address."},
		{&s->b_429, &s->r_429, &s->n_429, 429, "Too many failed logins",
		 "Too many wrong passwords from your address: wait a minute and try again."},
		{&s->b_500, &s->r_500, &s->n_500, 500, "Page too large", "The page could not be built."},
		{&s->b_503, &s->r_503, &s->n_503, 503, "Server busy", "The server has too much to do: try again in a moment."},
	};
	for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
		if (srv_render_error(P[i].b, P[i].status, P[i].title, P[i].detail))
			return -1;
		*P[i].r = prebuilt(P[i].b, BODY_HTML);
		*P[i].n = P[i].b->len;
		if (!*P[i].r)
			return -1;
	}
	MHD_add_response_header(s->r_401, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"showtable\", charset=\"UTF-8\"");
	MHD_add_response_header(s->r_429, MHD_HTTP_HEADER_RETRY_AFTER, "60");
	MHD_add_response_header(s->r_503, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	for (size_t i = 0; i < srv_static_count(s->d.assets); i++) {
		srv_asset *a = srv_static_at(s->d.assets, i);
		a->resp[0] = MHD_create_response_from_buffer(a->len, a->data, MHD_RESPMEM_PERSISTENT);
		a->resp[1] = a->gz ? MHD_create_response_from_buffer(a->gz_len, a->gz, MHD_RESPMEM_PERSISTENT) : NULL;
		a->resp[2] = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		for (int k = 0; k < 3; k++) {
			struct MHD_Response *r = a->resp[k];
			if (!r) {
				if (k == 1)
					continue;
				return -1;
			}
			if (k < 2)
				MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
			if (k == 1)
				MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
			MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
			MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=3600");
			MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
			MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
		}
	}
	return 0;
}

static void free_server(srv_server *s)
{
	for (int i = 0; i < START_CACHE; i++)
		if (s->start[i].resp)
			MHD_destroy_response(s->start[i].resp);
	struct MHD_Response *rs[] = {s->r_ping, s->r_401, s->r_404, s->r_429, s->r_500, s->r_503};
	for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
		if (rs[i])
			MHD_destroy_response(rs[i]);
	aws_buf *bs[] = {&s->b_401, &s->b_404, &s->b_429, &s->b_500, &s->b_503};
	for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++)
		aws_buf_free(bs[i]);
	for (size_t i = 0; s->d.assets && i < srv_static_count(s->d.assets); i++) {
		srv_asset *a = srv_static_at(s->d.assets, i);
		for (int k = 0; k < 3; k++)
			if (a->resp[k]) {
				MHD_destroy_response(a->resp[k]);
				a->resp[k] = NULL;
			}
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->conns_mu);
	pthread_mutex_destroy(&s->qmu);
	pthread_cond_destroy(&s->qcv);
	free(s->workers);
	free(s);
}

static void stop_threads(srv_server *s)
{
	pthread_mutex_lock(&s->qmu);
	s->quit = 1;
	pthread_cond_broadcast(&s->qcv);
	pthread_mutex_unlock(&s->qmu);
	for (int i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	s->nworkers = 0;
	if (s->janitor_started)
		pthread_join(s->janitor, NULL);
	s->janitor_started = 0;
}

/* The event loop. libmicrohttpd runs in its "external" epoll mode, driven from here: poll()
 * on its epoll descriptor (and our wake-up eventfd) with the timeout it asks for, then
 * MHD_run(), which drains the ready events without blocking. Its own internal epoll thread
 * is not used because libmicrohttpd 0.9.75 keeps waiting with the full timeout after a
 * batch of exactly 128 events, so with 256 or 512 busy connections every reply waits for
 * the next unrelated event (bench/README.md); poll() mode avoids that but costs a scan of
 * every connection per wake-up. Quiescing happens here too, so the listening socket is
 * only ever touched by this thread. */
static void *loop_main(void *arg)
{
	srv_server *s = arg;
	struct pollfd p[2] = {{s->epoll_fd, POLLIN, 0}, {s->wake_fd, POLLIN, 0}};
	int quiesced = 0;
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
		if (poll(p, 2, ms) > 0 && (p[1].revents & POLLIN)) {
			uint64_t v;
			if (read(s->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
				srv_log_event(SRV_LOG_WARN, "loop", "wake-up read failed: %s", strerror(errno));
		}
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
	return MHD_start_daemon(
		flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->max_header_bytes,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		sa ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, sa,
		MHD_OPTION_END);
}

srv_server *srv_http_start(const srv_deps *deps, aws_error *err)
{
	srv_server *s = calloc(1, sizeof *s);
	if (!s) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->wake_fd = -1;
	s->d = *deps;
	s->cfg = deps->cfg;
	pthread_mutex_init(&s->conns_mu, NULL);
	pthread_mutex_init(&s->qmu, NULL);
	pthread_cond_init(&s->qcv, NULL);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		aws_error_set(err, AWS_ERR_IO, "cannot create an eventfd: %s", strerror(errno));
		free_server(s);
		return NULL;
	}
	unsigned char rnd[4] = {0};
	aws_random_bytes(rnd, sizeof rnd);
	snprintf(s->rid_prefix, sizeof s->rid_prefix, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (build_prebuilt(s)) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the fixed responses");
		free_server(s);
		return NULL;
	}
	s->workers = calloc((size_t)s->cfg->workers, sizeof *s->workers);
	if (!s->workers) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		free_server(s);
		return NULL;
	}
	for (long i = 0; i < s->cfg->workers; i++) {
		if (pthread_create(&s->workers[i], NULL, worker_main, s))
			break;
		s->nworkers++;
	}
	if (pthread_create(&s->janitor, NULL, janitor_main, s) == 0)
		s->janitor_started = 1;
	if (s->nworkers == 0 || !s->janitor_started) {
		aws_error_set(err, AWS_ERR_IO, "cannot start threads");
		stop_threads(s);
		free_server(s);
		return NULL;
	}
	/* External epoll mode, driven by loop_main (see there why not the internal thread). */
	unsigned base = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			MHD_USE_TURBO;
	const srv_config *cfg = s->cfg;
	if (cfg->listen_host[0] == '\0') {
		s->mhd = start_mhd(s, base | MHD_USE_DUAL_STACK, NULL);
		if (!s->mhd) { /* no IPv6 in this network namespace: IPv4 only */
			s->mhd = start_mhd(s, base, NULL);
			if (s->mhd)
				srv_log_event(SRV_LOG_WARN, "listen", "IPv6 not available, listening on IPv4 only");
		}
	} else {
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
		memset(&in4, 0, sizeof in4);
		memset(&in6, 0, sizeof in6);
		if (inet_pton(AF_INET, cfg->listen_host, &in4.sin_addr) == 1) {
			in4.sin_family = AF_INET;
			in4.sin_port = htons((uint16_t)cfg->listen_port);
			s->mhd = start_mhd(s, base, (const struct sockaddr *)&in4);
		} else if (inet_pton(AF_INET6, cfg->listen_host, &in6.sin6_addr) == 1) {
			in6.sin6_family = AF_INET6;
			in6.sin6_port = htons((uint16_t)cfg->listen_port);
			s->mhd = start_mhd(s, base | MHD_USE_IPv6, (const struct sockaddr *)&in6);
		}
	}
	if (!s->mhd) {
		aws_error_set(err, AWS_ERR_IO, "cannot listen on %s:%d (in use, or not an address of this machine?)",
			      cfg->listen_host[0] ? cfg->listen_host : "*", cfg->listen_port);
		stop_threads(s);
		free_server(s);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->listen_port;
	const union MHD_DaemonInfo *ei = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	s->epoll_fd = ei ? ei->epoll_fd : -1;
	if (s->epoll_fd < 0 || pthread_create(&s->loop, NULL, loop_main, s) != 0) {
		aws_error_set(err, AWS_ERR_IO, "cannot start the event loop (%s)",
			      s->epoll_fd < 0 ? "libmicrohttpd has no epoll descriptor" : "no thread");
		stop_threads(s);
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
		aws_client_cancel(s->d.client);
		wait_idle(s, 1500);
	}
	stop_threads(s);   /* workers finish the jobs they hold, then exit */
	loop_command(s, LOOP_STOP);
	pthread_join(s->loop, NULL);
	MHD_stop_daemon(s->mhd);   /* closes what is left, from this thread: the loop is gone */
	free_server(s);
	return left;
}

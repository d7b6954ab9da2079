/* srv_request.c — the request pipeline (see srv_request.h): route → auth → table name → page,
 * item or export → render → response, read top to bottom.
 *
 * The event loop runs begin, body, decide and respond, so those never block: they answer
 * from fixed responses, from the start-page cache or from the connection's reused output
 * buffer, and allocate nothing of ours on the hot paths (/ping, static files, pages with a
 * cached login). What blocks — a password hash, the table name from SSM, a Scan, a GetItem
 * not yet possible without blocking — runs in srv_request_work on a worker while the
 * connection is suspended. An item whose table and key are cached is read on the event loop
 * itself, without blocking (srv_request_item.c). An export is checked on a worker too, then
 * streamed by its own thread (srv_export.h).
 */
#include "srv_request.h"

#include <pthread.h>
#include <time.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_crypto.h"
#include "aws_jtext.h"
#include "aws_time.h"
#include "srv_errors.h"
#include "srv_export.h"
#include "srv_filter.h"
#include "srv_fixed.h"
#include "srv_head.h"
#include "srv_item.h"
#include "srv_log.h"
#include "srv_page.h"
#include "srv_params.h"
#include "srv_render.h"
#include "srv_request_internal.h"

#define OUT_KEEP (16u << 10)    /* output buffer kept between requests on a connection: a start page fits */

static const char BAD_PARAMS[] =
	"A parameter (q, mode, cursor or limit) is malformed or too long — start again from the first page.";

/* The steps' helpers, defined after the steps. */
static enum MHD_Result queue(srv_conn *c, int status, const srv_fixed *f);
static enum MHD_Result refuse(srv_conn *c, const srv_fixed *f);
static enum MHD_Result queue_response(srv_conn *c, int status, struct MHD_Response *r, size_t bytes);
static enum MHD_Result queue_out(srv_conn *c, int status, enum srv_body_kind kind, const char *allow);
static enum MHD_Result respond_error(srv_conn *c, int status, const char *title, const char *detail,
				     const char *allow);
static const char *header(srv_conn *c, const char *name);
static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *name, const char *value);
static enum MHD_Result serve_static(srv_conn *c);
static void copy_str(char *dst, size_t len, const char *src);
static void request_id(char *out, const char *prefix, unsigned long long n);

/* ---------- on the event loop: receiving and deciding ---------- */

void srv_request_target(srv_conn *c, const char *uri)
{
	srv_params_keep_target(c, uri);
}

enum MHD_Result srv_request_begin(srv_conn *c, const char *url, const char *method, const char *version)
{
	srv_pipeline *pl = c->pl;
	c->state = SRV_CONN_READING;
	c->status = 0;
	c->bytes = 0;
	c->errlog[0] = '\0';
	c->user[0] = '\0';
	c->form_too_big = 0;
	c->bad_params = 0;
	c->bad_why[0] = '\0';
	aws_buf_reset(&c->form);
	copy_str(c->method, sizeof c->method, method);
	copy_str(c->path, sizeof c->path, url);
	copy_str(c->client, sizeof c->client, c->peer);
	request_id(c->rid, pl->rid_prefix, atomic_fetch_add(&pl->rid_counter, 1));
	c->route = srv_route_match(method, url);
	if (c->route.arg) {
		c->item_id = srv_params_item_id(c, url, &c->item_id_len);
		c->bad_params = !c->item_id;
	}
	const char *trace = header(c, "X-Amzn-Trace-Id");
	copy_str(c->trace, sizeof c->trace, trace ? trace : "");
	/* Refusals here are queued on libmicrohttpd's first callback, which makes it close
	 * the connection after them: nothing that follows is read as another request. First
	 * the head: framing two parsers could read differently. (A target over --max-url-bytes
	 * or a head over --max-header-bytes never gets here: the transport refused its bytes,
	 * srv_rawhead.h.) */
	srv_head h;
	srv_head_init(&h);
	MHD_get_connection_values(c->mc, MHD_HEADER_KIND, head_field, &h);
	const char *why = NULL;
	int status = srv_head_verdict(&h, version, &why);
	if (status) {
		snprintf(c->errlog, sizeof c->errlog, "refused: %s", why);
		return respond_error(c, status, status == 501 ? "Not implemented" : "Bad request", why, NULL);
	}
	/* A declared body over the form limit is refused before reading it. */
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > (unsigned long long)pl->cfg->max_form_bytes)
		return respond_error(c, 413, "Request too large", "The request body is larger than this server accepts.",
				     NULL);
	return MHD_YES;
}

void srv_request_body(srv_conn *c, const char *data, size_t n)
{
	if (c->route.is_post && !c->form_too_big && aws_buf_append(&c->form, data, n))
		c->form_too_big = 1;
}

/* The login of an authenticated route: known at once when seen recently; any other is
 * admitted for a check on a worker (hashing takes tens of milliseconds), c->job_verify set.
 * 1 with *answer set when the request is answered here (refused), else 0. */
static int login_step(srv_conn *c, enum MHD_Result *answer)
{
	srv_pipeline *pl = c->pl;
	srv_params_find_client(c, pl->cfg);
	const char *authz = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	c->job_verify = 0;
	if (!authz) {
		*answer = refuse(c, &pl->fx.e401);
		return 1;
	}
	if (srv_auth_cached(pl->d.auth, authz, c->user, sizeof c->user))
		return 0;
	const srv_fixed *refusal = NULL;
	if (srv_auth_client_blocked(pl->d.auth, c->client)) {
		snprintf(c->errlog, sizeof c->errlog, "too many failed logins from this client");
		refusal = &pl->fx.e429;
	} else if (strlen(authz) > SRV_AUTH_HEADER_MAX) {
		srv_auth_client_failed(pl->d.auth, c->client);
		snprintf(c->errlog, sizeof c->errlog, "login failed: Authorization header too long");
		refusal = &pl->fx.e401;
	} else {
		srv_auth_admission adm = srv_auth_admit(pl->d.auth, c->client, authz, &c->ticket);
		if (adm == SRV_AUTH_BUSY) {
			snprintf(c->errlog, sizeof c->errlog, "too many logins being checked at once");
			refusal = &pl->fx.e503;
		} else if (adm != SRV_AUTH_ADMITTED) {
			snprintf(c->errlog, sizeof c->errlog, "%s", adm == SRV_AUTH_BLOCKED
				 ? "too many failed logins from this client" : "too many logins at once from this client");
			refusal = &pl->fx.e429;
		}
	}
	if (refusal) {
		*answer = refuse(c, refusal);
		return 1;
	}
	snprintf(c->authz, sizeof c->authz, "%s", authz);
	c->job_verify = 1;
	return 0;
}

/* The start page of a known user and table, from the cache (rendered once and kept); 0
 * when the table or its description is not known yet (a worker reads them). */
static int start_from_cache(srv_conn *c, enum MHD_Result *answer)
{
	srv_pipeline *pl = c->pl;
	char table[SRV_TABLE_NAME_MAX];
	srv_table_info info;
	unsigned gen;
	if (!srv_table_peek(pl->d.table, table, sizeof table) || !srv_table_info_peek(pl->d.table, table, &info, &gen))
		return 0;
	const srv_start_page *sp = srv_fixed_start_page(&pl->fx, table, c->user, &info, gen);
	if (sp) {
		*answer = queue_response(c, 200, sp->resp, sp->len);
		return 1;
	}
	aws_buf_reset(&c->out);
	*answer = srv_render_start(&c->out, table, c->user, &info) ? queue(c, 500, &pl->fx.e500)
								    : queue_out(c, 200, SRV_BODY_HTML, NULL);
	return 1;
}

/* Route first (what needs no login), then the login, then what the page needs. */
enum MHD_Result srv_request_decide(srv_conn *c)
{
	srv_pipeline *pl = c->pl;
	if (c->route.id == SRV_ROUTE_PING && c->route.method_allowed)
		return queue(c, 200, &pl->fx.ping);
	if (!c->route.method_allowed) {
		if (c->route.id == SRV_ROUTE_NOT_FOUND)
			return queue(c, 404, &pl->fx.e404);
		return respond_error(c, 405, "Method not allowed", "This address does not accept that method.",
				     c->route.allow);
	}
	if (c->route.id == SRV_ROUTE_STATIC)
		return serve_static(c);
	if (c->route.id == SRV_ROUTE_NOT_FOUND)
		return queue(c, 404, &pl->fx.e404);

	/* Authenticated routes: the login first. */
	enum MHD_Result answer;
	if (login_step(c, &answer))
		return answer;
	if (c->route.is_post) {
		if (c->form_too_big)
			return respond_error(c, 413, "Form too large", "The form sent is larger than this server accepts.",
					     NULL);
		const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
			return respond_error(c, 415, "Unsupported form",
					     "POST /query takes an application/x-www-form-urlencoded form (fields q, limit, cursor).",
					     NULL);
	}

	if (c->route.id == SRV_ROUTE_START && !c->job_verify && start_from_cache(c, &answer))
		return answer;

	/* A page of items: its parameters are read here, while the request is at hand. A bad
	 * one is a 400 — but only to someone logged in; an unverified login goes to the
	 * worker first. */
	if (c->route.id == SRV_ROUTE_QUERY || c->route.id == SRV_ROUTE_API_ITEMS || c->route.id == SRV_ROUTE_EXPORT ||
	    c->route.id == SRV_ROUTE_EXPORT_CSV)
		c->bad_params = srv_params_read(c);
	if (c->bad_params && !c->job_verify) {
		snprintf(c->errlog, sizeof c->errlog, "bad parameter");
		return respond_error(c, 400, "Bad request", c->bad_why[0] ? c->bad_why : BAD_PARAMS, NULL);
	}

	/* One item whose table and key are known: read on the event loop, no hand-off. */
	if ((c->route.id == SRV_ROUTE_ITEM || c->route.id == SRV_ROUTE_API_ITEM) && !c->job_verify &&
	    srv_item_route_start(c))
		return MHD_YES;

	/* The hand-off: the connection is suspended and srv_request_work runs on a worker. */
	c->state = SRV_CONN_WORKING;
	MHD_suspend_connection(c->mc);
	srv_req_to_worker(c);
	return MHD_YES;
}

/* Queues a suspended connection's request for a worker — a login worker when the password
 * must be checked first, so that a flood of logins (wrong ones, say) waits in its own queue
 * and never delays logged-in users. When the queue is full or the server is stopping, the
 * 503 is prepared here and the connection resumed at once. */
void srv_req_to_worker(srv_conn *c)
{
	srv_pipeline *pl = c->pl;
	srv_pool *pool = c->job_verify ? pl->logins : pl->pages;   /* NULL once stopped */
	srv_pool_result pr = pool ? srv_pool_submit(pool, &c->job) : SRV_POOL_STOPPING;
	if (pr != SRV_POOL_QUEUED) {
		snprintf(c->errlog, sizeof c->errlog, "%s",
			 pr == SRV_POOL_STOPPING ? "server stopping" : "worker queue full");
		srv_req_render_error(c, 503, "Server busy", "The server has too much to do: try again in a moment.");
		c->state = SRV_CONN_READY;
		srv_conn_resume(c);
	}
}

/* ---------- on a worker: the blocking steps ---------- */

static void work_page(srv_conn *c, const char *table);
static void work_export(srv_conn *c, const char *table);

/* The table's key schema and counts (DescribeTable, cached with the name) into *info; 0, or -1
 * with the error page already set. */
int srv_req_table_info(srv_conn *c, const char *table, srv_table_info *info)
{
	aws_error e;
	aws_error_clear(&e);
	if (srv_table_info_get(c->pl->d.table, c->pl->d.client, table, info, &e) == 0)
		return 0;
	srv_req_aws_failed(c, &e, "dynamodb:DescribeTable", table);
	return -1;
}

/* login → parameters → table name → page or item → render, into c->out / res_status /
 * res_kind. */
static void work(srv_conn *c)
{
	srv_pipeline *pl = c->pl;
	aws_error e;
	aws_error_clear(&e);
	aws_buf_reset(&c->out);
	if (c->job_verify) {
		srv_auth_result r = srv_auth_check(pl->d.auth, &c->ticket, c->authz, c->user, sizeof c->user);
		explicit_bzero(c->authz, sizeof c->authz);
		if (r != SRV_AUTH_OK) {   /* the attempt was counted when it was admitted */
			snprintf(c->errlog, sizeof c->errlog, "login failed: %s",
				 r == SRV_AUTH_MALFORMED ? "malformed Authorization header" : "wrong user or password");
			srv_req_render_error(c, 401, "Login required",
				     r == SRV_AUTH_MALFORMED ? "The login could not be read: use a user name and password."
							     : "Wrong user name or password.");
			return;
		}
	}
	if (c->bad_params) {
		snprintf(c->errlog, sizeof c->errlog, "bad parameter");
		srv_req_render_error(c, 400, "Bad request", c->bad_why[0] ? c->bad_why : BAD_PARAMS);
		return;
	}
	char table[SRV_TABLE_NAME_MAX];
	if (srv_table_get(pl->d.table, pl->d.client, table, sizeof table, &e)) {
		srv_http_error he;
		srv_error_map(&e, "ssm:GetParameter", srv_table_param(pl->d.table), &he);
		snprintf(c->errlog, sizeof c->errlog, "%s", he.detail);
		srv_req_render_error(c, he.status, he.title, he.detail);
		return;
	}
	if (c->route.id == SRV_ROUTE_START) {
		/* Without its description the page still shows, with what is unknown said so. */
		srv_table_info info;
		int known = srv_table_info_get(pl->d.table, pl->d.client, table, &info, &e) == 0;
		if (!known) {
			char why[512];
			aws_error_str(&e, why, sizeof why);
			snprintf(c->errlog, sizeof c->errlog, "start page without the table's description: %s", why);
		}
		if (srv_render_start(&c->out, table, c->user, known ? &info : NULL)) {
			srv_req_render_error(c, 500, "Page too large", "The page could not be built.");
			return;
		}
		c->res_status = 200;
		c->res_kind = SRV_BODY_HTML;
		return;
	}
	if (c->route.id == SRV_ROUTE_ITEM || c->route.id == SRV_ROUTE_API_ITEM)
		srv_item_route_work(c, table);
	else if (c->route.id == SRV_ROUTE_EXPORT || c->route.id == SRV_ROUTE_EXPORT_CSV)
		work_export(c, table);
	else
		work_page(c, table);
}

/* Takes the user's export slot: NULL when the user already has an export running (*busy
 * 1) or every slot is taken (*busy 0). */
static export_slot *export_take(srv_pipeline *pl, const char *user, int *busy)
{
	export_slot *free_slot = NULL;
	*busy = 0;
	pthread_mutex_lock(&pl->ex_mu);
	for (int i = 0; i < EXPORTS_MAX; i++) {
		export_slot *s = &pl->exports[i];
		if (s->used && strcmp(s->user, user) == 0) {
			*busy = 1;
			free_slot = NULL;
			break;
		}
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (free_slot) {
		free_slot->used = 1;
		snprintf(free_slot->user, sizeof free_slot->user, "%s", user);
	}
	pthread_mutex_unlock(&pl->ex_mu);
	return free_slot;
}

/* srv_export_done_fn: the export is over; its slot is free again. */
static void export_done(void *ctx)
{
	export_slot *s = ctx;
	srv_pipeline *pl = s->pl;
	pthread_mutex_lock(&pl->ex_mu);
	s->used = 0;
	pthread_cond_broadcast(&pl->ex_cv);
	pthread_mutex_unlock(&pl->ex_mu);
}

/* /export.ndjson and /export.csv: checked here (one per user, the table described), streamed once the
 * event loop queues it (srv_request_respond). */
static void work_export(srv_conn *c, const char *table)
{
	srv_pipeline *pl = c->pl;
	srv_table_info info;
	if (srv_req_table_info(c, table, &info))
		return;
	int busy;
	export_slot *slot = export_take(pl, c->user, &busy);
	if (!slot) {
		snprintf(c->errlog, sizeof c->errlog, "%s", busy ? "an export of this user is running" : "too many exports");
		srv_req_render_error(c, busy ? 429 : 503, busy ? "An export is running" : "Server busy",
			     busy ? "You have an export running already: wait for it to finish (one at a time)."
				  : "Too many exports are running: try again in a moment.");
		return;
	}
	c->export_slot = slot;
	snprintf(c->table, sizeof c->table, "%s", table);
	c->res_status = 200;
	c->res_kind = SRV_BODY_EXPORT;
}

/* An AWS failure as the error page (or JSON) for the action that failed. */
void srv_req_aws_failed(srv_conn *c, const aws_error *e, const char *action, const char *table)
{
	srv_http_error he;
	srv_error_map(e, action, table, &he);
	snprintf(c->errlog, sizeof c->errlog, "%s", he.detail);
	srv_req_render_error(c, he.status, he.title, he.detail);
}

void srv_req_page_too_large(srv_conn *c)
{
	snprintf(c->errlog, sizeof c->errlog, "page over %u bytes", SRV_OUT_LIMIT);
	srv_req_render_error(c, 500, "Page too large", "This page is too large to show — ask for fewer items per page (limit).");
}

/* /query and /api/items: a page of the Scan, or of an exact lookup (GetItem). */
static void work_page(srv_conn *c, const char *table)
{
	srv_pipeline *pl = c->pl;
	aws_error e;
	aws_error_clear(&e);
	long limit = 0;
	srv_page p;
	memset(&p, 0, sizeof p);
	const char *q = c->q ? c->q : "";
	const char *action = "dynamodb:Scan";
	int rc = srv_page_parse_limit(c->limit_text, &limit, &e);
	if (rc == 0 && c->exact && *q) {
		srv_table_info info;
		action = "dynamodb:DescribeTable";
		rc = srv_table_info_get(pl->d.table, pl->d.client, table, &info, &e);
		if (rc == 0) {
			action = "dynamodb:GetItem";
			rc = srv_page_lookup(pl->d.client, table, &info, q, limit, &p, &e);
		}
	} else if (rc == 0) {
		rc = srv_page_fetch(pl->d.client, table, q, c->filter, c->cursor, limit, pl->cfg->scan_budget_ms,
				    &pl->d.cursor_key, &p, &e);
	}
	if (rc) {
		srv_req_aws_failed(c, &e, action, table);
		srv_page_free(&p);
		return;
	}
	int json = c->route.is_api;
	p.show = c->show;
	p.nshow = c->nshow;
	rc = json ? srv_render_items_json(&c->out, &p) : srv_render_results(&c->out, &p);
	srv_page_free(&p);
	if (rc) {
		srv_req_page_too_large(c);
		return;
	}
	c->res_status = 200;
	c->res_kind = json ? SRV_BODY_JSON : SRV_BODY_HTML;
}

void srv_request_work(srv_job *job)
{
	srv_conn *c = (srv_conn *)(void *)((char *)job - offsetof(srv_conn, job));
	work(c);
	c->state = SRV_CONN_READY;
	srv_conn_resume(c);   /* → srv_request_respond on the event loop */
}

/* ---------- back on the event loop: answering and ending ---------- */

/* The export's chunked response, started here on the event loop. */
static enum MHD_Result queue_export(srv_conn *c)
{
	export_slot *slot = c->export_slot;
	c->export_slot = NULL;
	aws_error e;
	aws_error_clear(&e);
	int csv = c->route.id == SRV_ROUTE_EXPORT_CSV;
	struct MHD_Response *r = srv_export_start(c->pl->d.client, c->table, c->q, c->filter,
						  csv ? SRV_EXPORT_CSV : SRV_EXPORT_NDJSON, c, export_done, slot, &e);
	if (!r) {
		export_done(slot);
		snprintf(c->errlog, sizeof c->errlog, "%s", e.message);
		return queue(c, 503, &c->pl->fx.e503);
	}
	char disp[SRV_TABLE_NAME_MAX + 64];
	snprintf(disp, sizeof disp, "attachment; filename=\"%s.%s\"", c->table,   /* names: [A-Za-z0-9_.-] */
		 csv ? "csv" : "ndjson");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				csv ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson; charset=utf-8");
	MHD_add_response_header(r, "Content-Disposition", disp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Request-Id", c->rid);
	enum MHD_Result rc = queue_response(c, 200, r, 0);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result srv_request_respond(srv_conn *c)
{
	if (c->res_kind == SRV_BODY_EXPORT)
		return queue_export(c);
	return queue_out(c, c->res_status, c->res_kind, NULL);
}


void srv_request_end(srv_conn *c, const char *transport_error)
{
	srv_log_req lr = {
		.method = c->method, .path = c->path, .status = c->status, .bytes = c->bytes,
		.duration_ms = aws_monotonic_since_ms(&c->t0),
		.user = c->user, .client = c->client, .request_id = c->rid, .trace_id = c->trace,
		.error = c->errlog[0] ? c->errlog : transport_error,
	};
	srv_log_request(&lr);
	srv_params_free(c);
	if (c->authz[0])   /* held only for a login still to verify */
		explicit_bzero(c->authz, sizeof c->authz);
	srv_auth_release(c->pl->d.auth, &c->ticket);   /* a check that never ran */
	if (c->out.cap > OUT_KEEP)
		aws_buf_free(&c->out);
	if (c->form.cap > OUT_KEEP)
		aws_buf_free(&c->form);
	c->state = SRV_CONN_NEW;
}

void srv_request_conn_free(srv_conn *c)
{
	srv_params_free(c);
	aws_buf_free(&c->out);
	aws_buf_free(&c->form);
}

/* ---------- responses ---------- */

static enum MHD_Result queue_response(srv_conn *c, int status, struct MHD_Response *r, size_t bytes)
{
	c->status = status;
	c->bytes = bytes;
	c->state = SRV_CONN_RESPONDED;
	if (!r)
		return MHD_NO;
	return MHD_queue_response(c->mc, (unsigned)status, r);
}

static enum MHD_Result queue(srv_conn *c, int status, const srv_fixed *f)
{
	return queue_response(c, status, f->r, f->len);
}

/* A fixed error page, or for the API the same error as JSON (with the same headers). */
static enum MHD_Result refuse(srv_conn *c, const srv_fixed *f)
{
	if (c->route.is_api)
		return respond_error(c, f->status, f->title, f->detail, NULL);
	return queue(c, f->status, f);
}

/* Queues c->out as the body, with the page headers and the request id. */
static enum MHD_Result queue_out(srv_conn *c, int status, enum srv_body_kind kind, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(c->out.len, c->out.data ? c->out.data : (void *)"",
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return queue(c, 503, &c->pl->fx.e503);
	srv_fixed_page_headers(r, kind);
	MHD_add_response_header(r, "X-Request-Id", c->rid);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, SRV_BASIC_REALM);
	if (status == 429)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
	if (status == 503)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	enum MHD_Result rc = queue_response(c, status, r, c->out.len);
	MHD_destroy_response(r);
	return rc;
}

/* Renders an error into c->out as a page, or as JSON for the API. */
void srv_req_render_error(srv_conn *c, int status, const char *title, const char *detail)
{
	aws_buf_reset(&c->out);
	int rc;
	if (c->route.is_api) {
		rc = aws_buf_printf(&c->out, "{\"error\":{\"status\":%d,\"title\":\"", status);
		rc = rc || aws_jtext_json_escape(&c->out, title, strlen(title), AWS_JTEXT_HTML_SAFE);
		rc = rc || aws_buf_puts(&c->out, "\",\"detail\":\"");
		rc = rc || aws_jtext_json_escape(&c->out, detail ? detail : "", detail ? strlen(detail) : 0,
						 AWS_JTEXT_HTML_SAFE);
		rc = rc || aws_buf_puts(&c->out, "\"}}");
	} else {
		rc = srv_render_error(&c->out, status, title, detail);
	}
	if (rc)
		aws_buf_reset(&c->out);
	c->res_status = status;
	c->res_kind = c->route.is_api ? SRV_BODY_JSON : SRV_BODY_HTML;
}

static enum MHD_Result respond_error(srv_conn *c, int status, const char *title, const char *detail,
				     const char *allow)
{
	srv_req_render_error(c, status, title, detail);
	return queue_out(c, status, c->res_kind, allow);
}

/* ---------- reading the request ---------- */

static const char *header(srv_conn *c, const char *name)
{
	return MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, name);
}

static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
	(void)kind;
	srv_head_field(cls, name, value);
	return MHD_YES;
}

static enum MHD_Result serve_static(srv_conn *c)
{
	const srv_asset *a = srv_static_find(c->pl->d.assets, c->path);
	if (!a)
		return queue(c, 404, &c->pl->fx.e404);
	int status;
	size_t bytes;
	struct MHD_Response *r = srv_fixed_asset(a, header(c, MHD_HTTP_HEADER_IF_NONE_MATCH),
						 header(c, MHD_HTTP_HEADER_ACCEPT_ENCODING), &status, &bytes);
	return queue_response(c, status, r, bytes);
}



/* Bounded copy, always NUL-terminated (per-request bookkeeping without printf); a cut
 * falls before a UTF-8 character, never inside one. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);
	for (int k = 0; src[n] && k < 3 && n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80; k++)
		n--;
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

srv_pipeline *srv_pipeline_new(const srv_deps *deps, aws_error *err)
{
	srv_pipeline *pl = calloc(1, sizeof *pl);
	if (!pl) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pl->d = *deps;
	pl->cfg = deps->cfg;
	pthread_mutex_init(&pl->ex_mu, NULL);
	pthread_cond_init(&pl->ex_cv, NULL);
	for (int i = 0; i < EXPORTS_MAX; i++)
		pl->exports[i].pl = pl;
	unsigned char rnd[4] = {0};
	aws_random_bytes(rnd, sizeof rnd);
	snprintf(pl->rid_prefix, sizeof pl->rid_prefix, "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (srv_fixed_build(&pl->fx, pl->d.assets)) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the fixed responses");
		srv_pipeline_free(pl);
		return NULL;
	}
	/* Password hashes are CPU work that can wait: the login workers also yield the CPU
	 * to the event loop and the page workers. */
	pl->pages = srv_pool_start("page workers", pl->cfg->workers, pl->cfg->max_waiting, 0, srv_request_work, err);
	if (pl->pages)
		pl->logins = srv_pool_start("login workers", pl->cfg->login_workers, pl->cfg->max_waiting, 10,
					    srv_request_work, err);
	if (!pl->pages || !pl->logins) {
		srv_pipeline_free(pl);
		return NULL;
	}
	return pl;
}

void srv_pipeline_stop(srv_pipeline *pl)
{
	srv_pool_stop(pl->logins);
	srv_pool_stop(pl->pages);
	pl->logins = pl->pages = NULL;
}

void srv_pipeline_free(srv_pipeline *pl)
{
	if (!pl)
		return;
	srv_pipeline_stop(pl);
	/* Exports end once libmicrohttpd has let go of their responses (stopped before this)
	 * and their AWS calls were cut: wait for their threads, a few seconds at most. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&pl->ex_mu);
	for (;;) {
		int running = 0;
		for (int i = 0; i < EXPORTS_MAX; i++)
			running += pl->exports[i].used;
		if (!running || pthread_cond_timedwait(&pl->ex_cv, &pl->ex_mu, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&pl->ex_mu);
	srv_fixed_free(&pl->fx, pl->d.assets);
	free(pl);
}

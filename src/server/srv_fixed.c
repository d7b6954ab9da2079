/* srv_fixed.c — responses made once and reused (see srv_fixed.h): built at start-up, or for
 * a start page on its first request, so that /ping, static files, refusals and a logged-in
 * "/" cost a lookup instead of a render.
 */
#include "srv_fixed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_render.h"

#define START_PAGE_MAX (64u << 10)   /* a start page is a few KiB */

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
			  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void srv_fixed_page_headers(struct MHD_Response *r, enum srv_body_kind kind)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				kind == SRV_BODY_JSON ? "application/json; charset=utf-8" : "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

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

struct MHD_Response *srv_fixed_asset(const srv_asset *a, const char *if_none_match, const char *accept_encoding,
				     int *status, size_t *bytes)
{
	*status = 200;
	if (if_none_match && etag_matches(if_none_match, a->etag)) {
		*status = 304;
		*bytes = 0;
		return a->resp[2];
	}
	if (a->gz && srv_static_accepts_gzip(accept_encoding)) {
		*bytes = a->gz_len;
		return a->resp[1];
	}
	*bytes = a->len;
	return a->resp[0];
}

const srv_start_page *srv_fixed_start_page(srv_fixed_set *fs, const char *table, const char *user,
					   const srv_table_info *info, unsigned gen)
{
	srv_start_page *sp = NULL;
	for (int i = 0; i < SRV_START_CACHE && !sp; i++) {
		srv_start_page *s = &fs->start[i];
		if (s->resp && strcmp(s->user, user) == 0 && strcmp(s->table, table) == 0) {
			if (s->gen == gen)
				return s;
			sp = s;   /* stale: rendered again in its place */
		}
	}
	aws_buf b = AWS_BUF_INIT;
	b.limit = START_PAGE_MAX;
	if (srv_render_start(&b, table, user, info)) {
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
	srv_fixed_page_headers(r, SRV_BODY_HTML);
	if (!sp)
		sp = &fs->start[fs->start_next++ % SRV_START_CACHE];
	if (sp->resp)
		MHD_destroy_response(sp->resp);   /* pages being sent keep their reference */
	snprintf(sp->user, sizeof sp->user, "%s", user);
	snprintf(sp->table, sizeof sp->table, "%s", table);
	sp->resp = r;
	sp->len = len;
	sp->gen = gen;
	return sp;
}

/* An error page as a fixed response. */
static int fixed_error(srv_fixed *f, int status, const char *title, const char *detail)
{
	f->status = status;
	f->title = title;
	f->detail = detail;
	if (srv_render_error(&f->body, status, title, detail))
		return -1;
	f->len = f->body.len;
	f->r = MHD_create_response_from_buffer(f->body.len, f->body.data ? f->body.data : (void *)"",
					       MHD_RESPMEM_PERSISTENT);
	if (!f->r)
		return -1;
	srv_fixed_page_headers(f->r, SRV_BODY_HTML);
	return 0;
}

/* Each static file as three responses: plain, gzip (when it has one), 304. */
static int fixed_assets(srv_static *assets)
{
	for (size_t i = 0; i < srv_static_count(assets); i++) {
		srv_asset *a = srv_static_at(assets, i);
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

int srv_fixed_build(srv_fixed_set *fs, srv_static *assets)
{
	static const char pong[] = "{\"message\":\"pong\"}";
	fs->ping.r = MHD_create_response_from_buffer(sizeof pong - 1, (void *)pong, MHD_RESPMEM_PERSISTENT);
	fs->ping.len = sizeof pong - 1;
	if (!fs->ping.r)
		return -1;
	MHD_add_response_header(fs->ping.r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	MHD_add_response_header(fs->ping.r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(fs->ping.r, "X-Content-Type-Options", "nosniff");
	if (fixed_error(&fs->e401, 401, "Login required", "This page needs a user name and password.") ||
	    fixed_error(&fs->e404, 404, "Not found", "There is no page at this address.") ||
	    fixed_error(&fs->e429, 429, "Too many login attempts",
			"Too many login attempts from your address: wait a minute and try again.") ||
	    fixed_error(&fs->e500, 500, "Page too large", "The page could not be built.") ||
	    fixed_error(&fs->e503, 503, "Server busy", "The server has too much to do: try again in a moment."))
		return -1;
	MHD_add_response_header(fs->e401.r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, SRV_BASIC_REALM);
	MHD_add_response_header(fs->e429.r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
	MHD_add_response_header(fs->e503.r, MHD_HTTP_HEADER_RETRY_AFTER, "5");
	return fixed_assets(assets);
}

void srv_fixed_free(srv_fixed_set *fs, srv_static *assets)
{
	for (int i = 0; i < SRV_START_CACHE; i++)
		if (fs->start[i].resp)
			MHD_destroy_response(fs->start[i].resp);
	srv_fixed *f[] = {&fs->ping, &fs->e401, &fs->e404, &fs->e429, &fs->e500, &fs->e503};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (f[i]->r)
			MHD_destroy_response(f[i]->r);
		aws_buf_free(&f[i]->body);
	}
	for (size_t i = 0; assets && i < srv_static_count(assets); i++) {
		srv_asset *a = srv_static_at(assets, i);
		for (int k = 0; k < 3; k++)
			if (a->resp[k]) {
				MHD_destroy_response(a->resp[k]);
				a->resp[k] = NULL;
			}
	}
}

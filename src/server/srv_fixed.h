/* srv_fixed.h — responses made once and reused for every request that needs them: the
 * fixed ones built at start-up (the ping, the 401, 404, 429, 431, 500 and 503 pages), each
 * static file's three (plain, gzip, 304), and the start pages already rendered (per table
 * and user); and the headers every page carries.
 *
 * Used by the event loop only: nothing here locks. libmicrohttpd reference-counts its
 * responses, so a start page evicted from the cache lives until its last send finishes.
 * Ownership: the set owns its responses and bodies; the static files' responses are stored
 * in their srv_asset (resp[]) and freed by srv_fixed_free.
 */
#ifndef SRV_FIXED_H
#define SRV_FIXED_H

#include <microhttpd.h>

#include "aws_buf.h"
#include "srv_auth.h"
#include "srv_conn.h"
#include "srv_static.h"
#include "srv_table.h"

#define SRV_BASIC_REALM "Basic realm=\"showtable\", charset=\"UTF-8\""

/* A response built once, over a body that lives as long as the set. */
typedef struct srv_fixed {
	struct MHD_Response *r;
	size_t len;
	aws_buf body;
	int status;                       /* for the error pages: what they say */
	const char *title, *detail;
} srv_fixed;

#define SRV_START_CACHE 16
typedef struct srv_start_page {
	char user[SRV_AUTH_USER_MAX + 1];
	char table[SRV_TABLE_NAME_MAX];
	struct MHD_Response *resp;
	size_t len;
	unsigned gen;                     /* of the table description it shows */
} srv_start_page;

typedef struct srv_fixed_set {
	srv_fixed ping, e401, e404, e429, e500, e503;
	srv_start_page start[SRV_START_CACHE];
	unsigned start_next;              /* round-robin eviction */
} srv_fixed_set;

/* Builds the fixed responses into fs (zeroed by the caller) and assets' responses: 0, or -1
 * when out of memory (srv_fixed_free then frees what was built). */
int srv_fixed_build(srv_fixed_set *fs, srv_static *assets);
/* Frees fs's responses and assets' (assets may be NULL); only once libmicrohttpd is stopped. */
void srv_fixed_free(srv_fixed_set *fs, srv_static *assets);

/* The headers of every page (HTML or JSON): content type, CSP, no sniffing or framing, no
 * referrer, no caching. */
void srv_fixed_page_headers(struct MHD_Response *r, enum srv_body_kind kind);

/* Which of a's responses answers a request with these If-None-Match and Accept-Encoding
 * headers (either may be NULL): 304, gzip or plain, with its status and body size. */
struct MHD_Response *srv_fixed_asset(const srv_asset *a, const char *if_none_match, const char *accept_encoding,
				     int *status, size_t *bytes);

/* The cached start page for (table, user) and the table's description generation gen,
 * rendered on first use and again when the description changes; NULL when it cannot be
 * built (the caller renders into the connection's buffer instead). */
const srv_start_page *srv_fixed_start_page(srv_fixed_set *fs, const char *table, const char *user,
					   const srv_table_info *info, unsigned gen);

#endif

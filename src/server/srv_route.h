/* srv_route.h — which handler a request goes to, which methods it allows, and the
 * application/x-www-form-urlencoded decoding used for POST /query.
 *
 * Pure functions of the request line: no I/O, no allocation, so they are unit-tested alone.
 */
#ifndef SRV_ROUTE_H
#define SRV_ROUTE_H

#include <stddef.h>

typedef enum srv_route_id {
	SRV_ROUTE_PING,        /* GET /ping, no auth */
	SRV_ROUTE_START,       /* GET / */
	SRV_ROUTE_QUERY,       /* GET or POST /query */
	SRV_ROUTE_API_ITEMS,   /* GET /api/items */
	SRV_ROUTE_ITEM,        /* GET /item/<itemID> */
	SRV_ROUTE_API_ITEM,    /* GET /api/item/<itemID> */
	SRV_ROUTE_EXPORT,      /* GET /export.ndjson */
	SRV_ROUTE_EXPORT_CSV,  /* GET /export.csv */
	SRV_ROUTE_STATIC,      /* GET under /css/, /js/, /favicon.ico */
	SRV_ROUTE_NOT_FOUND,
} srv_route_id;

typedef struct srv_route {
	srv_route_id id;
	int method_allowed;    /* 0: answer 405 with Allow: allow */
	int needs_auth;
	int is_post;
	const char *allow;     /* the Allow header for this path */
	int is_api;            /* answers in JSON, errors included */
	size_t arg;            /* ITEM, API_ITEM: where the itemID starts in the path */
} srv_route;

/* Routes method + path (percent-decoded, without the query). HEAD is allowed wherever GET is.
 * /item/ and /api/item/ with nothing after them are not found. */
srv_route srv_route_match(const char *method, const char *path);

/* Finds field name in a form-encoded body (fields "a=b&c=d", '+' is a space, %XX decoded)
 * and writes its decoded value, NUL-terminated, into out. Returns 1 when found, 0 when the
 * field is absent, -1 when its value is malformed (bad %XX, an encoded NUL) or longer than
 * outlen - 1 bytes. The first occurrence wins. */
int srv_form_get(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* The same for the nth (0-based) occurrence of field name: a form may repeat a field (one
 * per row of filter conditions). */
int srv_form_get_nth(const char *body, size_t len, const char *name, int nth, char *out, size_t outlen);

#endif

/* srv_route.c — the route table and form decoding. */
#include "srv_route.h"

#include <string.h>

#include "srv_static.h"

srv_route srv_route_match(const char *method, const char *path)
{
	srv_route r = {SRV_ROUTE_NOT_FOUND, 1, 0, 0, "GET, HEAD", 0, 0};
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	if (strcmp(path, "/ping") == 0) {
		r.id = SRV_ROUTE_PING;
	} else if (strcmp(path, "/") == 0) {
		r.id = SRV_ROUTE_START;
		r.needs_auth = 1;
	} else if (strcmp(path, "/query") == 0) {
		r.id = SRV_ROUTE_QUERY;
		r.needs_auth = 1;
		r.allow = "GET, HEAD, POST";
		r.is_post = post;
		r.method_allowed = get || post;
		return r;
	} else if (strcmp(path, "/api/items") == 0) {
		r.id = SRV_ROUTE_API_ITEMS;
		r.needs_auth = 1;
		r.is_api = 1;
	} else if (strcmp(path, "/export.ndjson") == 0 || strcmp(path, "/export.csv") == 0) {
		r.id = path[8] == 'c' ? SRV_ROUTE_EXPORT_CSV : SRV_ROUTE_EXPORT;
		r.needs_auth = 1;
	} else if (strncmp(path, "/item/", 6) == 0 && path[6]) {
		r.id = SRV_ROUTE_ITEM;
		r.needs_auth = 1;
		r.arg = 6;
	} else if (strncmp(path, "/api/item/", 10) == 0 && path[10]) {
		r.id = SRV_ROUTE_API_ITEM;
		r.needs_auth = 1;
		r.is_api = 1;
		r.arg = 10;
	} else if (srv_static_is_static_path(path)) {
		r.id = SRV_ROUTE_STATIC;
	} else {
		return r; /* 404 whatever the method */
	}
	r.method_allowed = get;
	return r;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int srv_form_get(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	return srv_form_get_nth(body, len, name, 0, out, outlen);
}

int srv_form_get_nth(const char *body, size_t len, const char *name, int nth, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		const char *ke = eq ? eq : fe;
		if ((size_t)(ke - p) == nl && memcmp(p, name, nl) == 0 && nth-- == 0) {
			size_t o = 0;
			for (const char *v = eq ? eq + 1 : fe; v < fe; v++) {
				int c = (unsigned char)*v;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int h = v + 2 < fe ? hexval(v[1]) : -1, l = h >= 0 ? hexval(v[2]) : -1;
					if (h < 0 || l < 0)
						return -1;
					c = h * 16 + l;
					v += 2;
				}
				if (c == 0 || o + 1 >= outlen)
					return -1;
				out[o++] = (char)c;
			}
			if (outlen == 0)
				return -1;
			out[o] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

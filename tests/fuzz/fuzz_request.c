/* fuzz_request.c — the request path as far as it runs without a socket: the route for a
 * method and a path, the Authorization header checked against a user (srv_auth_verify:
 * Basic parsing, base64, the user lookup), the q / limit / cursor fields of an
 * x-www-form-urlencoded body or query string (srv_form_get), the limit and the cursor
 * parsed from them. Properties: a field found fits its buffer; limits are
 * 1..SRV_PAGE_LIMIT_MAX or refused; no cursor from the input opens; no login from the input
 * succeeds except the one user's. Input: method ‖ ' ' ‖ path ‖ '\n' ‖ Authorization ‖ '\n'
 * ‖ body.
 */
#include "fuzz.h"
#include "srv_auth.h"
#include "srv_cursor.h"
#include "srv_page.h"
#include "srv_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 16))
		return 0;
	const uint8_t *line, *rest, *authz, *body, *m, *path;
	size_t ln, rn, an, bn, mn, pn;
	fuzz_split(data, size, '\n', &line, &ln, &rest, &rn);
	fuzz_split(rest, rn, '\n', &authz, &an, &body, &bn);
	fuzz_split(line, ln, ' ', &m, &mn, &path, &pn);
	static srv_auth *auth;
	if (!auth) {
		/* alice:pw as SHA-256 crypt with the fewest rounds libcrypt allows: cheap checks */
		static const char users[] = "alice:$5$rounds=1000$fuzzsalt$mHgO0SkrCLgPfQN0WzvafcDYfx8VQqxcrLH3/VCZqKC\n";
		auth = srv_auth_new(4, 60, 1000000, NULL);
		if (!auth || srv_auth_load(auth, users, sizeof users - 1, "fuzz", NULL, NULL))
			abort();
	}
	char *hdr = fuzz_strndup(authz, an), user[SRV_AUTH_USER_MAX + 1] = "";
	if (srv_auth_verify(auth, hdr, user, sizeof user) == SRV_AUTH_OK)
		FUZZ_CHECK(strcmp(user, "alice") == 0, "logged in as %s", user);
	free(hdr);
	char *method = fuzz_strndup(m, mn), *p = fuzz_strndup(path, pn);
	srv_route r = srv_route_match(method, p);
	FUZZ_CHECK(r.id >= SRV_ROUTE_PING && r.id <= SRV_ROUTE_NOT_FOUND, "route out of range");
	FUZZ_CHECK(!r.method_allowed || r.id == SRV_ROUTE_NOT_FOUND || r.allow, "no Allow for an allowed route");
	static const char *fields[] = {"q", "limit", "cursor", ""};
	char out[SRV_CURSOR_MAX + 1];
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		size_t cap = 1 + (bn % sizeof out);
		int got = srv_form_get((const char *)body, bn, fields[i], out, cap);
		FUZZ_CHECK(got >= -1 && got <= 1, "srv_form_get returned %d", got);
		if (got == 1) {
			FUZZ_CHECK(strlen(out) < cap, "field longer than its buffer");
			if (i == 2) {
				static const srv_cursor_key key = {{9}};
				json_t *lk = NULL;
				aws_error err;
				FUZZ_CHECK(srv_cursor_decode(&key, out, "", &lk, &err) == -1, "a cursor from the input opened");
			}
			if (i == 1) {
				long limit = 0;
				aws_error err;
				if (srv_page_parse_limit(out, &limit, &err) == 0)
					FUZZ_CHECK(limit >= 1 && limit <= SRV_PAGE_LIMIT_MAX, "limit %ld", limit);
			}
		}
	}
	free(method);
	free(p);
	return 0;
}

/* fuzz_form_query.c — what a request line and a form body bring: the route for a method and
 * a path, the q / limit / cursor fields of an x-www-form-urlencoded body or query string
 * (srv_form_get), and the limit parsed from them. Properties: a field found fits its buffer
 * and holds no NUL; limits are 1..SRV_PAGE_LIMIT_MAX or refused. Input: method ‖ ' ' ‖ path
 * ‖ '\n' ‖ body.
 */
#include "fuzz.h"
#include "srv_page.h"
#include "srv_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *line, *body, *m, *path;
	size_t ln, bn, mn, pn;
	fuzz_split(data, size, '\n', &line, &ln, &body, &bn);
	fuzz_split(line, ln, ' ', &m, &mn, &path, &pn);
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

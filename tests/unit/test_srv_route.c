/* test_srv_route.c — the route table (methods, auth, Allow) and form-field decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "srv_route.h"

static void ping_is_public_and_get_only(void **state)
{
	(void)state;
	srv_route r = srv_route_match("GET", "/ping");
	assert_int_equal(r.id, SRV_ROUTE_PING);
	assert_int_equal(r.needs_auth, 0);
	assert_int_equal(r.method_allowed, 1);
	assert_int_equal(srv_route_match("HEAD", "/ping").method_allowed, 1);
	assert_int_equal(srv_route_match("POST", "/ping").method_allowed, 0);
}

static void pages_need_auth_and_query_takes_post(void **state)
{
	(void)state;
	assert_int_equal(srv_route_match("GET", "/").needs_auth, 1);
	assert_int_equal(srv_route_match("POST", "/").method_allowed, 0);
	srv_route q = srv_route_match("POST", "/query");
	assert_int_equal(q.id, SRV_ROUTE_QUERY);
	assert_int_equal(q.method_allowed, 1);
	assert_int_equal(q.is_post, 1);
	assert_string_equal(q.allow, "GET, HEAD, POST");
	assert_int_equal(srv_route_match("DELETE", "/query").method_allowed, 0);
	assert_int_equal(srv_route_match("GET", "/api/items").id, SRV_ROUTE_API_ITEMS);
	assert_int_equal(srv_route_match("POST", "/api/items").method_allowed, 0);
}

static void item_routes_carry_where_the_itemID_starts(void **state)
{
	(void)state;
	srv_route r = srv_route_match("GET", "/item/a/b c");
	assert_int_equal(r.id, SRV_ROUTE_ITEM);
	assert_int_equal(r.needs_auth, 1);
	assert_int_equal(r.is_api, 0);
	assert_string_equal(&"/item/a/b c"[r.arg], "a/b c");
	r = srv_route_match("HEAD", "/api/item/x");
	assert_int_equal(r.id, SRV_ROUTE_API_ITEM);
	assert_int_equal(r.is_api, 1);
	assert_int_equal(r.method_allowed, 1);
	assert_string_equal(&"/api/item/x"[r.arg], "x");
	assert_int_equal(srv_route_match("GET", "/api/items").is_api, 1);
	assert_int_equal(srv_route_match("POST", "/item/x").method_allowed, 0);
	assert_int_equal(srv_route_match("GET", "/item/").id, SRV_ROUTE_NOT_FOUND);
	assert_int_equal(srv_route_match("GET", "/item").id, SRV_ROUTE_NOT_FOUND);
	assert_int_equal(srv_route_match("GET", "/api/item/").id, SRV_ROUTE_NOT_FOUND);
	assert_int_equal(srv_route_match("GET", "/").arg, 0);
	srv_route x = srv_route_match("GET", "/export.ndjson");
	assert_int_equal(x.id, SRV_ROUTE_EXPORT);
	assert_int_equal(x.needs_auth, 1);
	assert_int_equal(srv_route_match("POST", "/export.ndjson").method_allowed, 0);
	assert_int_equal(srv_route_match("GET", "/export.csv").id, SRV_ROUTE_EXPORT_CSV);
	assert_int_equal(srv_route_match("GET", "/export.json").id, SRV_ROUTE_NOT_FOUND);
}

static void static_namespace_and_unknown_paths(void **state)
{
	(void)state;
	assert_int_equal(srv_route_match("GET", "/css/x.css").id, SRV_ROUTE_STATIC);
	assert_int_equal(srv_route_match("GET", "/js/x.js").id, SRV_ROUTE_STATIC);
	assert_int_equal(srv_route_match("GET", "/favicon.ico").id, SRV_ROUTE_STATIC);
	assert_int_equal(srv_route_match("GET", "/cssx").id, SRV_ROUTE_NOT_FOUND);
	assert_int_equal(srv_route_match("GET", "/query/").id, SRV_ROUTE_NOT_FOUND);
	assert_int_equal(srv_route_match("BREW", "/nope").id, SRV_ROUTE_NOT_FOUND);
}

static void form_fields_are_decoded(void **state)
{
	(void)state;
	const char *body = "limit=50&q=a+b%26c%3D&cursor=";
	char out[64];
	assert_int_equal(srv_form_get(body, strlen(body), "q", out, sizeof out), 1);
	assert_string_equal(out, "a b&c=");
	assert_int_equal(srv_form_get(body, strlen(body), "limit", out, sizeof out), 1);
	assert_string_equal(out, "50");
	assert_int_equal(srv_form_get(body, strlen(body), "cursor", out, sizeof out), 1);
	assert_string_equal(out, "");
	assert_int_equal(srv_form_get(body, strlen(body), "missing", out, sizeof out), 0);
	assert_int_equal(srv_form_get("qq=1", 4, "q", out, sizeof out), 0);
}

static void malformed_or_long_fields_are_refused(void **state)
{
	(void)state;
	char out[8];
	assert_int_equal(srv_form_get("q=%zz", 5, "q", out, sizeof out), -1);
	assert_int_equal(srv_form_get("q=%4", 4, "q", out, sizeof out), -1);
	assert_int_equal(srv_form_get("q=%00", 5, "q", out, sizeof out), -1);
	assert_int_equal(srv_form_get("q=12345678", 10, "q", out, sizeof out), -1);
	assert_int_equal(srv_form_get("q=1234567", 9, "q", out, sizeof out), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ping_is_public_and_get_only),
		cmocka_unit_test(pages_need_auth_and_query_takes_post),
		cmocka_unit_test(static_namespace_and_unknown_paths),
		cmocka_unit_test(item_routes_carry_where_the_itemID_starts),
		cmocka_unit_test(form_fields_are_decoded),
		cmocka_unit_test(malformed_or_long_fields_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

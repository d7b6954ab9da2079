/* test_json.c — the aws_json scanner: the whole-body check aws_client applies to 2xx JSON
 * responses (reasons and offsets), the rules it shares with jansson (UTF-8, surrogates,
 * repeated names, depth), and the member/value steps aws_ddb reads a Scan page with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_json.h"

static void json_ok(const char *s)
{
	const char *why = NULL;
	size_t at = 0;
	if (aws_json_check(s, strlen(s), &why, &at) != 0)
		fail_msg("'%s' should be accepted: %s at %zu", s, why, at);
}

static void json_bad(const char *s, const char *why_has, size_t want_at)
{
	const char *why = NULL;
	size_t at = 0;
	assert_int_equal(aws_json_check(s, strlen(s), &why, &at), -1);
	if (!why || !strstr(why, why_has))
		fail_msg("'%s': reason '%s' should mention '%s'", s, why ? why : "", why_has);
	if (at != want_at)
		fail_msg("'%s': reported at byte %zu, want %zu", s, at, want_at);
}

static void check_accepts_aws_shaped_objects(void **state)
{
	(void)state;
	json_ok("{}");
	json_ok(" \r\n{ } \n");
	json_ok("{\"Items\":[{\"id\":{\"S\":\"a\\\"b\\\\c\\u00e9\\/\"},\"n\":{\"N\":\"-1.5e+10\"}}],"
		"\"Count\":1,\"ScannedCount\":0,\"x\":[true,false,null,[],{}],\"z\":0.25}");
	json_ok("{\"Value\":\"Gr\xc3\xbc\xc3\x9f" "e\"}");
	json_ok("{\"e\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80 \\u0000\"}");
	/* the same name in different objects is no repeat */
	json_ok("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}");
}

static void check_reports_truncation_with_its_offset(void **state)
{
	(void)state;
	json_bad("{\"Parameter\":{\"Name\":\"/x\",\"Val", "truncated", 30);
	json_bad("{\"a\":[1,2", "truncated", 9);
	json_bad("{\"a\":\"\\u00", "truncated", 10);
	json_bad("{\"a\":tr", "truncated", 7);
	json_bad("{\"a\":\"\xe2\x82", "truncated", 8);
	json_bad("{\"a\":\"\\ud83d", "truncated", 12);
}

static void check_rejects_non_objects_and_trailing_text(void **state)
{
	(void)state;
	json_bad("", "empty", 0);
	json_bad("   ", "empty", 0);
	json_bad("<html>502</html>", "not a JSON object", 0);
	json_bad("[1]", "not a JSON object", 0);
	json_bad("{} {}", "after the JSON object", 3);
	json_bad("{\"a\":1,}", "member name", 7);
	json_bad("{\"a\":01}", "expected ','", 6);
	json_bad("{\"a\":tru}", "unexpected character", 5);
	json_bad("{\"a\":\"x\ny\"}", "control character", 7);
	json_bad("{\"a\":\"\\q\"}", "bad escape", 7);
	json_bad("{a:1}", "member name", 1);
	json_bad("{\"a\":+1}", "unexpected character", 5);
	json_bad("{\"a\":1.}", "bad number", 7);
}

static void check_rejects_what_jansson_rejects_in_strings(void **state)
{
	(void)state;
	json_bad("{\"a\":\"\xff\"}", "UTF-8", 6);
	json_bad("{\"a\":\"\xc0\xaf\"}", "UTF-8", 6);          /* overlong '/' */
	json_bad("{\"a\":\"\xed\xa0\x80\"}", "UTF-8", 6);      /* encoded surrogate */
	json_bad("{\"a\":\"\xf4\x90\x80\x80\"}", "UTF-8", 6);  /* above U+10FFFF */
	json_bad("{\"a\":\"\\udc00\"}", "lone low surrogate", 12);
	json_bad("{\"a\":\"\\ud800x\"}", "unpaired surrogate", 12);
	json_bad("{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate", 18);
	json_bad("{\"a\":\"\\u00g0\"}", "bad \\u escape", 10);
}

static void check_rejects_a_member_name_given_twice(void **state)
{
	(void)state;
	json_bad("{\"a\":1,\"a\":2}", "given twice", 13);
	json_bad("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}", "given twice", 24);
	/* compared decoded: "\u0061" is "a" */
	json_bad("{\"a\":1,\"\\u0061\":2}", "given twice", 18);
	/* past the small-object shortcut: 40 distinct names, then one repeated */
	char big[1024];
	size_t n = 0;
	big[n++] = '{';
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", i, i);
	n += (size_t)snprintf(big + n, sizeof big - n, "\"k7\":0}");
	json_bad(big, "given twice", n);
	memcpy(big + n - 7, "\"zz\":0}", 7);
	json_ok(big);
}

static void check_limits_nesting_depth(void **state)
{
	(void)state;
	char deep[2000];
	size_t n = 0;
	memcpy(deep, "{\"a\":", 5);
	n = 5;
	for (int i = 0; i < 600; i++)
		deep[n++] = '[';
	const char *why;
	size_t at;
	assert_int_equal(aws_json_check(deep, n, &why, &at), -1);
	assert_non_null(strstr(why, "nested too deeply"));
	/* AWS_JSON_MAX_DEPTH containers in all are fine */
	n = 5;
	for (int i = 1; i < AWS_JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 1; i < AWS_JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	assert_int_equal(aws_json_check(deep, n, &why, &at), 0);
}

/* aws_ddb's way: walk the members of an object, slicing one member's value out. */
static void member_and_value_steps_slice_the_text(void **state)
{
	(void)state;
	const char *text = "{ \"Count\" : 2 , \"Items\" : [ {\"a\": 1}, {\"b\":[2]} ] }";
	aws_json_lex l;
	aws_json_lex_init(&l, text, strlen(text));
	aws_json_ws(&l);
	assert_int_equal(*l.p, '{');
	l.p++;
	const unsigned char *name;
	size_t nlen;
	assert_int_equal(aws_json_member(&l, &name, &nlen), 0);
	assert_int_equal(nlen, 5);
	assert_memory_equal(name, "Count", 5);
	assert_int_equal(aws_json_value(&l, 1), 0);
	aws_json_ws(&l);
	assert_int_equal(*l.p++, ',');
	assert_int_equal(aws_json_member(&l, &name, &nlen), 0);
	assert_memory_equal(name, "Items", 5);
	const unsigned char *b = l.p;
	l.ws = 0;
	assert_int_equal(aws_json_value(&l, 1), 0);
	assert_int_equal(l.ws, 1);
	assert_int_equal(l.p - b, strlen("[ {\"a\": 1}, {\"b\":[2]} ]"));
	assert_memory_equal(b, "[ {\"a\": 1}, {\"b\":[2]} ]", (size_t)(l.p - b));
	assert_int_equal(l.nnames, 2);
	assert_int_equal(aws_json_names_end(&l, 0), 0);
	assert_int_equal(l.nnames, 0);
	aws_json_lex_free(&l);
}

static void many_open_names_spill_to_the_heap_and_still_check(void **state)
{
	(void)state;
	/* more names open at once than the inline room: nested objects each with 3 names */
	size_t cap = 16384, n = 0;
	char *t = malloc(cap);
	assert_non_null(t);
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(t + n, cap - n, "{\"x\":1,\"y\":2,\"z%d\":", i);
	n += (size_t)snprintf(t + n, cap - n, "0");
	for (int i = 0; i < 60; i++)
		t[n++] = '}';
	const char *why = NULL;
	size_t at;
	if (aws_json_check(t, n, &why, &at) != 0)
		fail_msg("rejected: %s at %zu", why, at);
	t[n - 61] = 'x';   /* the innermost "z59" name stays, its value becomes bad */
	assert_int_equal(aws_json_check(t, n, &why, &at), -1);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_accepts_aws_shaped_objects),
		cmocka_unit_test(check_reports_truncation_with_its_offset),
		cmocka_unit_test(check_rejects_non_objects_and_trailing_text),
		cmocka_unit_test(check_rejects_what_jansson_rejects_in_strings),
		cmocka_unit_test(check_rejects_a_member_name_given_twice),
		cmocka_unit_test(check_limits_nesting_depth),
		cmocka_unit_test(member_and_value_steps_slice_the_text),
		cmocka_unit_test(many_open_names_spill_to_the_heap_and_still_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

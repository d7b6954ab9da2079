/* test_jtext.c — JSON and text at the byte level (aws_jtext): UTF-8 both ways, the HTML,
 * JSON and URL escapers against hostile text, and the in-place walker: members and elements
 * as exact spans, strings decoded only when escaped, and every step staying inside the span
 * it is given, which the prefix, slice and cut tests check under ASan with buffers of exact
 * size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws_jtext.h"

static aws_jtext_val jv(const char *s)
{
	return (aws_jtext_val){s, strlen(s)};
}

static void span_is(aws_jtext_val v, const char *want)
{
	if (v.n != strlen(want) || memcmp(v.p, want, v.n) != 0)
		fail_msg("span '%.*s', want '%s'", (int)v.n, v.p, want);
}

/* The next member (name and value) or element (value only) of a walk begun with open. */
static int step(aws_jtext_iter *it, char open, aws_jtext_val *name, aws_jtext_val *val)
{
	return open == '{' ? aws_jtext_member(it, name, val) : aws_jtext_elem(it, val);
}

/* Walks text (an object or array) and wants its entries to be exactly want: name and
 * value spans in turn for an object, NULL-terminated; then the end, twice. */
static void entries_are(const char *text, const char *const *want)
{
	aws_jtext_iter it;
	aws_jtext_val n, v;
	char open = text[0];
	assert_int_equal(aws_jtext_iter_init(&it, jv(text), open), 0);
	for (; *want; want++) {
		assert_int_equal(step(&it, open, &n, &v), 1);
		if (open == '{')
			span_is(n, *want++);
		span_is(v, *want);
	}
	assert_int_equal(step(&it, open, &n, &v), 0);
	assert_int_equal(step(&it, open, &n, &v), 0);
}
#define ENTRIES_ARE(text, ...) entries_are(text, (const char *const[]){__VA_ARGS__, NULL})

/* The bytes s decodes to must be want (wn bytes: it may hold a NUL). */
static void decodes_to(const char *s, const char *want, size_t wn)
{
	aws_buf b = AWS_BUF_INIT;
	const char *out = NULL;
	size_t len = 0;
	assert_int_equal(aws_jtext_str(jv(s), &b, &out, &len), 0);
	if (len != wn || memcmp(out, want, wn) != 0)
		fail_msg("%s decoded to %zu bytes '%.*s', want %zu", s, len, (int)len, out, wn);
	aws_buf_free(&b);
}
#define DECODES_TO(s, lit) decodes_to(s, lit, sizeof lit - 1)

/* Walks v completely as a caller would: 0 when every step succeeded, -1 at the first
 * that did not. */
static int walk(aws_jtext_val v, aws_buf *scratch)
{
	aws_jtext_iter it;
	aws_jtext_val n, e;
	const char *out;
	size_t len;
	int r;
	int kind = aws_jtext_kind(v);
	switch (kind) {
	case '{':
	case '[':
		if (aws_jtext_iter_init(&it, v, (char)kind) < 0)
			return -1;
		while ((r = step(&it, (char)kind, &n, &e)) == 1)
			if ((kind == '{' && walk(n, scratch) < 0) || walk(e, scratch) < 0)
				return -1;
		return r;
	case '"':
		(void)aws_jtext_str_is_plain(v);
		return aws_jtext_str(v, scratch, &out, &len);
	case 0:
		return -1;
	default:
		return 0;
	}
}

/* Valid texts whose every prefix and slice is walked: escapes, brackets inside strings,
 * whitespace, every kind. */
static const char *const items[] = {
	"{\"id\":{\"S\":\"a\\\"b\\\\c]}\"},\"n\":{\"N\":\"-1.5e3\"},\"l\":{\"L\":[{\"S\":\"x\"},"
	"{\"N\":\"2\"},{\"BOOL\":true},{\"NULL\":true}]},\"m\":{\"M\":{\"k\":{\"S\":"
	"\"\\u00e9\\ud83d\\ude00\\/\\n\"}}},\"ss\":{\"SS\":[\"[\",\"{\",\",\",\":\"]}}",
	"{ \"a\" :\t[ 1 , \"b\\n\" , { } , [ ] ] ,\n\t\"c\":false\r\n}",
	"[{\"a\":\"}\"},[[\"]\"]],null,-0.5,\"\\\\\"]",
};

static void members_come_in_order_as_exact_spans(void **state)
{
	(void)state;
	ENTRIES_ARE("{\"id\":{\"S\":\"x\"},\"n\":12,\"s\":\"v\",\"b\":true}",
		    "\"id\"", "{\"S\":\"x\"}", "\"n\"", "12", "\"s\"", "\"v\"", "\"b\"", "true");
}

static void nested_containers_are_one_value(void **state)
{
	(void)state;
	ENTRIES_ARE("{\"a\":{\"b\":[1,{\"c\":[]}]},\"d\":[[{}]]}",
		    "\"a\"", "{\"b\":[1,{\"c\":[]}]}", "\"d\"", "[[{}]]");
}

static void brackets_and_escaped_quotes_inside_strings_do_not_end_a_value(void **state)
{
	(void)state;
	ENTRIES_ARE("{\"x]}\\\"\":\"}],:{[\\\"\\\\\",\"y\":{\"z\":\"}\\\\\"},\"w\":1}",
		    "\"x]}\\\"\"", "\"}],:{[\\\"\\\\\"", "\"y\"", "{\"z\":\"}\\\\\"}", "\"w\"", "1");
}

static void whitespace_between_tokens_is_skipped(void **state)
{
	(void)state;
	ENTRIES_ARE("{ \n\t\"a\" \t:\n [ 1 ,\t2 ] \r\n,\t\"b\"\n:\"c\" \n}",
		    "\"a\"", "[ 1 ,\t2 ]", "\"b\"", "\"c\"");
}

static void empty_object_and_array_end_at_once(void **state)
{
	(void)state;
	entries_are("{}", (const char *const[]){NULL});
	entries_are("[ \n]", (const char *const[]){NULL});
}

static void elem_walks_strings_numbers_and_literals(void **state)
{
	(void)state;
	ENTRIES_ARE("[\"a\",\"b,c\",-1.5e+3,0,true,false,null]",
		    "\"a\"", "\"b,c\"", "-1.5e+3", "0", "true", "false", "null");
}

static void elem_returns_nested_containers_whole(void **state)
{
	(void)state;
	ENTRIES_ARE("[[1,[2]],{\"a\":[3]},[],{}]", "[1,[2]]", "{\"a\":[3]}", "[]", "{}");
}

static void kind_is_named_by_the_first_byte_and_0_for_empty_or_garbage(void **state)
{
	(void)state;
	const char *text[] = {"{}", "[]", "\"s\"", "true", "false", "null", "12", "-0.5",
			      "", "}", "]", " 1", "x", "+1"};
	const int kind[] = {'{', '[', '"', 't', 'f', 'n', '0', '0', 0, 0, 0, 0, 0, 0};
	for (size_t i = 0; i < sizeof text / sizeof *text; i++)
		assert_int_equal(aws_jtext_kind(jv(text[i])), kind[i]);
	assert_int_equal(aws_jtext_kind((aws_jtext_val){NULL, 0}), 0);
	assert_int_equal(aws_jtext_kind((aws_jtext_val){"{}", 0}), 0);
}

static void plain_string_points_into_the_text(void **state)
{
	(void)state;
	const char *s = "\"caf\xc3\xa9 ]}\"";
	aws_buf b = AWS_BUF_INIT;
	const char *out = NULL;
	size_t len = 0;
	assert_int_equal(aws_jtext_str(jv(s), &b, &out, &len), 0);
	assert_ptr_equal(out, s + 1);
	assert_int_equal(len, strlen(s) - 2);
	assert_null(b.data);
}

static void simple_escapes_are_decoded(void **state)
{
	(void)state;
	DECODES_TO("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "a\"b\\c/d\be\ff\ng\rh\ti");
	DECODES_TO("\"\\\\\"", "\\");
}

static void u_escapes_become_utf8(void **state)
{
	(void)state;
	DECODES_TO("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
	DECODES_TO("\"caf\\u00e9\"", "caf\xc3\xa9");
}

static void surrogate_pair_becomes_one_4_byte_character(void **state)
{
	(void)state;
	DECODES_TO("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	DECODES_TO("\"x\\uD83D\\uDE00y\"", "x\xf0\x9f\x98\x80y");
}

static void lone_surrogate_becomes_replacement_character(void **state)
{
	(void)state;
	DECODES_TO("\"\\ud800x\"", "\xef\xbf\xbdx");
	DECODES_TO("\"\\ud800\"", "\xef\xbf\xbd");
	DECODES_TO("\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A");
	DECODES_TO("\"\\ud800\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd");
	DECODES_TO("\"\\ude00\"", "\xef\xbf\xbd");
}

static void u0000_is_a_nul_byte_counted_in_len(void **state)
{
	(void)state;
	DECODES_TO("\"a\\u0000b\"", "a\0b");
}

static void scratch_is_reused_between_calls(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	const char *out1 = NULL, *out2 = NULL;
	size_t len = 0;
	assert_int_equal(aws_jtext_str(jv("\"first\\nlonger\""), &b, &out1, &len), 0);
	assert_ptr_equal(out1, b.data);
	assert_int_equal(aws_jtext_str(jv("\"2\\t\""), &b, &out2, &len), 0);
	assert_ptr_equal(out2, b.data);
	assert_int_equal(len, 2);
	assert_int_equal(b.len, 2);
	assert_memory_equal(out2, "2\t", 3);
	aws_buf_free(&b);
}

/* Past the 256 bytes aws_buf starts with; a buffer of exact size, no NUL after it. */
static void long_string_grows_scratch_to_fit(void **state)
{
	(void)state;
	char *s = malloc(5000);
	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, 'x', 4996);
	memcpy(s + 4997, "\\n\"", 3);
	aws_buf b = AWS_BUF_INIT;
	const char *out;
	size_t len;
	assert_int_equal(aws_jtext_str((aws_jtext_val){s, 5000}, &b, &out, &len), 0);
	assert_int_equal(len, 4997);
	assert_true(out[0] == 'x' && out[4995] == 'x' && out[4996] == '\n' && out[4997] == '\0');
	aws_buf_free(&b);
	free(s);
}

static void scratch_at_its_limit_is_an_error(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	b.limit = 4;
	const char *out;
	size_t len;
	assert_int_equal(aws_jtext_str(jv("\"0123456789\\n\""), &b, &out, &len), -1);
	aws_buf_free(&b);
}

static void str_rejects_what_is_not_a_string(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	const char *out;
	size_t len;
	const char *bad[] = {"", "\"", "abc", "12", "{}", "\"abc", "abc\"", "\"a\\\"",
			     "\"\\x\"", "\"\\u12\"", "\"\\u12g4\""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (aws_jtext_str(jv(bad[i]), &b, &out, &len) != -1)
			fail_msg("aws_jtext_str accepted %s", bad[i]);
	assert_int_equal(aws_jtext_str((aws_jtext_val){NULL, 0}, &b, &out, &len), -1);
	aws_buf_free(&b);
}

/* A string cut after any byte of its text and closed again decodes (to no more bytes than
 * its text) or fails, reading only its span. */
static void every_cut_of_an_escaped_string_decodes_inside_its_span(void **state)
{
	(void)state;
	const char *body = "a\\u00e9\\ud83d\\ude00\\ud800\\u0041\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000z";
	aws_buf b = AWS_BUF_INIT;
	const char *out;
	size_t len;
	for (size_t k = 0, n = strlen(body); k <= n; k++) {
		char *p = malloc(k + 2);
		assert_non_null(p);
		p[0] = p[k + 1] = '"';
		memcpy(p + 1, body, k);
		if (aws_jtext_str((aws_jtext_val){p, k + 2}, &b, &out, &len) == 0 && len > k)
			fail_msg("cut after %zu bytes decoded to %zu", k, len);
		free(p);
	}
	aws_buf_free(&b);
}

/* Walks text[from, to) copied into a buffer of exactly that size, so ASan sees any read
 * outside it. */
static int walk_exact(const char *text, size_t from, size_t to, aws_buf *scratch)
{
	char *p = malloc(to > from ? to - from : 1);
	assert_non_null(p);
	memcpy(p, text + from, to - from);
	int r = walk((aws_jtext_val){p, to - from}, scratch);
	free(p);
	return r;
}

static void every_prefix_of_an_item_fails_inside_its_span(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
		size_t n = strlen(items[i]);
		assert_int_equal(walk_exact(items[i], 0, n, &b), 0);
		for (size_t k = 0; k < n; k++)
			if (walk_exact(items[i], 0, k, &b) != -1)
				fail_msg("prefix of %zu bytes walked clean: %.*s", k, (int)k, items[i]);
	}
	aws_buf_free(&b);
}

/* Any slice at all may fail or not, but is walked without reading outside it. */
static void every_slice_of_an_item_is_walked_inside_its_span(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	for (size_t i = 0; i < sizeof items / sizeof *items; i++)
		for (size_t from = 0, n = strlen(items[i]); from < n; from++)
			for (size_t to = from + 1; to <= n; to++)
				(void)walk_exact(items[i], from, to, &b);
	aws_buf_free(&b);
}

/* The container's own steps, not a walk below them, must report -1. */
static int steps(const char *text)
{
	aws_jtext_iter it;
	aws_jtext_val n, v;
	int r;
	assert_int_equal(aws_jtext_iter_init(&it, jv(text), text[0]), 0);
	while ((r = step(&it, text[0], &n, &v)) == 1)
		;
	return r;
}

static void malformed_members_and_elements_are_errors(void **state)
{
	(void)state;
	const char *bad[] = {"{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\":1,}", "{,\"a\":1}",
			     "{\"a\":}", "{\"a\":,\"b\":1}", "{a:1}", "{\"a\"}", "{\"a\" :}",
			     "[1 2]", "[1 22]", "[1,]", "[,1]", "[1,,2]", "[{}{}]", "[\"a\"\"b\"]"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (steps(bad[i]) != -1)
			fail_msg("walked clean: %s", bad[i]);
}

static void wrong_closing_bracket_is_an_error(void **state)
{
	(void)state;
	aws_jtext_iter it;
	aws_jtext_val n, v;
	assert_int_equal(aws_jtext_iter_init(&it, jv("[1,2}"), '['), -1);
	assert_int_equal(aws_jtext_iter_init(&it, jv("{\"a\":1]"), '{'), -1);
	assert_int_equal(aws_jtext_iter_init(&it, jv("{\"a\":[1,2}}"), '{'), 0);
	assert_int_equal(aws_jtext_member(&it, &n, &v), 1);
	span_is(v, "[1,2}");
	assert_int_equal(aws_jtext_iter_init(&it, v, '['), -1);
}

static void init_rejects_non_containers_and_the_wrong_open(void **state)
{
	(void)state;
	aws_jtext_iter it;
	const char *bad[] = {"", "{", "}", "\"{}\"", "12", "true", "null", " {}", "{} "};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (aws_jtext_iter_init(&it, jv(bad[i]), '{') != -1 || aws_jtext_iter_init(&it, jv(bad[i]), '[') != -1)
			fail_msg("aws_jtext_iter_init accepted '%s'", bad[i]);
	}
	assert_int_equal(aws_jtext_iter_init(&it, (aws_jtext_val){NULL, 0}, '{'), -1);
	assert_int_equal(aws_jtext_iter_init(&it, jv("{}"), '['), -1);
	assert_int_equal(aws_jtext_iter_init(&it, jv("[]"), '{'), -1);
}

static void jstr_is_plain_only_without_escapes(void **state)
{
	(void)state;
	const struct { const char *s; int want; } t[] = {
		{"\"abc\"", 1}, {"\"\"", 1}, {"\"caf\xc3\xa9\"", 1}, {"\"a\\nb\"", 0},
		{"\"\\\\\"", 0}, {"abc", 0}, {"\"", 0}, {"", 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (aws_jtext_str_is_plain(jv(t[i].s)) != t[i].want)
			fail_msg("aws_jtext_str_is_plain(%s) should be %d", t[i].s, t[i].want);
	assert_false(aws_jtext_str_is_plain((aws_jtext_val){NULL, 0}));
}

/* ---- UTF-8 and escapers ---- */

static char *html_escaped(const char *s, size_t n)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_jtext_html_escape(&b, s, n, 0), 0);
	return aws_buf_steal(&b, NULL);
}

static char *json_escaped(const char *s, size_t n)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_jtext_json_escape(&b, s, n, AWS_JTEXT_HTML_SAFE), 0);
	return aws_buf_steal(&b, NULL);
}

static void utf8_round_trips_every_length_and_refuses_what_rfc3629_forbids(void **state)
{
	(void)state;
	const uint32_t cps[] = {0x24, 0x7f, 0x80, 0xa2, 0x7ff, 0x800, 0x20ac, 0xfffd, 0x10000, 0x1f600, 0x10ffff};
	for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		char o[4];
		size_t n = aws_jtext_utf8_put(o, cps[i]);
		uint32_t back = 0;
		assert_int_equal(aws_jtext_utf8_next((const unsigned char *)o, n, &back), n);
		assert_int_equal(back, cps[i]);
		if (n > 1)   /* cut short: not a character */
			assert_int_equal(aws_jtext_utf8_next((const unsigned char *)o, n - 1, &back), 0);
	}
	const char *bad[] = {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x80"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t cp;
		if (aws_jtext_utf8_next((const unsigned char *)bad[i], strlen(bad[i]), &cp) != 0)
			fail_msg("accepted bad UTF-8 #%zu", i);
	}
}

/* ---- escapers ---- */

static void html_escape_neutralises_script_tags_and_quotes(void **state)
{
	(void)state;
	const char *in = "<script>alert(\"x\" + 'y')</script> & co";
	char *o = html_escaped(in, strlen(in));
	assert_string_equal(o, "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; "
			       "&amp; co");
	free(o);
}

static void html_escape_keeps_unicode_text(void **state)
{
	(void)state;
	const char *in = "Zürich 日本 😀";
	char *o = html_escaped(in, strlen(in));
	assert_string_equal(o, in);
	free(o);
}

static void html_escape_shows_control_characters_visibly(void **state)
{
	(void)state;
	const char in[] = "a\x01" "b\nc\td\x7f" "e\0f";
	char *o = html_escaped(in, sizeof in - 1);
	assert_string_equal(o, "a\\x01b\\nc\\td\\x7fe\\x00f");
	free(o);
}

static void html_escape_shows_bidi_overrides_and_replaces_bad_utf8(void **state)
{
	(void)state;
	const char in[] = "abc\xe2\x80\xae" "def \xff \xc0\xaf \xed\xa0\x80";
	char *o = html_escaped(in, sizeof in - 1);
	assert_string_equal(o, "abc\\u202edef \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
			       "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(o);
}

static void json_escape_handles_quotes_controls_and_line_separators(void **state)
{
	(void)state;
	const char in[] = "\"\\\x01\n</script>\xe2\x80\xa8\xe2\x80\xa9" "é";
	char *o = json_escaped(in, sizeof in - 1);
	assert_string_equal(o, "\\\"\\\\\\u0001\\n\\u003c/script\\u003e\\u2028\\u2029é");
	free(o);
}

static void url_escape_keeps_unreserved_only(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_jtext_url_escape(&b, "a-Z_0.~ &=?/ü"), 0);
	assert_string_equal(b.data, "a-Z_0.~%20%26%3D%3F%2F%C3%BC");
	aws_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_round_trips_every_length_and_refuses_what_rfc3629_forbids),
		cmocka_unit_test(html_escape_neutralises_script_tags_and_quotes),
		cmocka_unit_test(html_escape_keeps_unicode_text),
		cmocka_unit_test(html_escape_shows_control_characters_visibly),
		cmocka_unit_test(html_escape_shows_bidi_overrides_and_replaces_bad_utf8),
		cmocka_unit_test(json_escape_handles_quotes_controls_and_line_separators),
		cmocka_unit_test(url_escape_keeps_unreserved_only),
		cmocka_unit_test(members_come_in_order_as_exact_spans),
		cmocka_unit_test(nested_containers_are_one_value),
		cmocka_unit_test(brackets_and_escaped_quotes_inside_strings_do_not_end_a_value),
		cmocka_unit_test(whitespace_between_tokens_is_skipped),
		cmocka_unit_test(empty_object_and_array_end_at_once),
		cmocka_unit_test(elem_walks_strings_numbers_and_literals),
		cmocka_unit_test(elem_returns_nested_containers_whole),
		cmocka_unit_test(kind_is_named_by_the_first_byte_and_0_for_empty_or_garbage),
		cmocka_unit_test(plain_string_points_into_the_text),
		cmocka_unit_test(simple_escapes_are_decoded),
		cmocka_unit_test(u_escapes_become_utf8),
		cmocka_unit_test(surrogate_pair_becomes_one_4_byte_character),
		cmocka_unit_test(lone_surrogate_becomes_replacement_character),
		cmocka_unit_test(u0000_is_a_nul_byte_counted_in_len),
		cmocka_unit_test(scratch_is_reused_between_calls),
		cmocka_unit_test(long_string_grows_scratch_to_fit),
		cmocka_unit_test(scratch_at_its_limit_is_an_error),
		cmocka_unit_test(str_rejects_what_is_not_a_string),
		cmocka_unit_test(every_cut_of_an_escaped_string_decodes_inside_its_span),
		cmocka_unit_test(every_prefix_of_an_item_fails_inside_its_span),
		cmocka_unit_test(every_slice_of_an_item_is_walked_inside_its_span),
		cmocka_unit_test(malformed_members_and_elements_are_errors),
		cmocka_unit_test(wrong_closing_bracket_is_an_error),
		cmocka_unit_test(init_rejects_non_containers_and_the_wrong_open),
		cmocka_unit_test(jstr_is_plain_only_without_escapes),
	};
	return cmocka_run_group_tests_name("item", tests, NULL, NULL);
}

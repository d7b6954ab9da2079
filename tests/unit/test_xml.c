/* test_xml.c — aws_xml, the expat-based reader for AWS XML answers: names without prefixes,
 * path lookups, member lists, decoded text, and the refusals that keep hostile input
 * harmless (DOCTYPE and entities, malformed or truncated input, size and depth limits).
 *
 * tests/data/xml/describe_stacks.xml is shaped like a CloudFormation DescribeStacks answer,
 * with one non-member element added inside a member list to check that iteration skips it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_xml.h"

static aws_xml_doc *parse_ok(const char *xml)
{
	aws_xml_doc *d = NULL;
	aws_error e;
	if (aws_xml_parse(xml, strlen(xml), &d, &e) != 0)
		fail_msg("parse failed: %s", e.message);
	assert_non_null(d);
	return d;
}

/* Parses xml expecting a refusal; returns the error for the caller to inspect. */
static aws_error parse_fails(const char *xml, size_t len)
{
	aws_xml_doc *d = (aws_xml_doc *)&d;   /* must be reset to NULL */
	aws_error e;
	aws_error_clear(&e);
	assert_int_equal(aws_xml_parse(xml, len, &d, &e), -1);
	assert_null(d);
	assert_int_equal(e.kind, AWS_ERR_PROTOCOL);
	assert_true(e.message[0] != '\0');
	return e;
}

static char *read_data(const char *name, size_t *len)
{
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/xml/%s", dir ? dir : "tests/data", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot read %s (set SHOWTABLE_TESTDATA)", path);
	static char buf[65536];
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void namespaced_elements_are_named_by_local_name(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<q:R xmlns:q=\"urn:a\" xmlns=\"urn:d\"><q:A>x</q:A>"
				  "<B xmlns=\"urn:b\"/><C/></q:R>");
	const aws_xml_node *r = aws_xml_root(d);
	assert_string_equal(aws_xml_name(r), "R");
	assert_string_equal(aws_xml_ns(r), "urn:a");
	assert_string_equal(aws_xml_text(aws_xml_child(r, "A"), NULL), "x");
	assert_string_equal(aws_xml_ns(aws_xml_child(r, "A")), "urn:a");
	assert_string_equal(aws_xml_ns(aws_xml_child(r, "B")), "urn:b");
	assert_string_equal(aws_xml_ns(aws_xml_child(r, "C")), "urn:d");
	assert_null(aws_xml_child(r, "q:A"));
	aws_xml_free(d);

	d = parse_ok("<plain><x>1</x></plain>");
	assert_string_equal(aws_xml_ns(aws_xml_root(d)), "");
	aws_xml_free(d);
}

static void undeclared_prefix_is_an_error(void **state)
{
	(void)state;
	aws_error e = parse_fails("<q:R><a/></q:R>", 15);
	assert_non_null(strstr(e.message, "prefix"));
}

static void path_lookup_follows_first_children(void **state)
{
	(void)state;
	size_t n;
	const char *xml = read_data("describe_stacks.xml", &n);
	aws_xml_doc *d = NULL;
	assert_int_equal(aws_xml_parse(xml, n, &d, NULL), 0);
	const aws_xml_node *r = aws_xml_root(d);
	const aws_xml_node *s = aws_xml_find(r, "DescribeStacksResult/Stacks/member");
	assert_non_null(s);
	char buf[64];
	assert_int_equal(aws_xml_copy(aws_xml_child(s, "StackName"), buf, sizeof buf), 12);
	assert_string_equal(buf, "showtable-db");
	aws_xml_copy(aws_xml_find(r, "ResponseMetadata/RequestId"), buf, sizeof buf);
	assert_string_equal(buf, "b9b4b068-3a41-11e5-94eb-example");
	assert_ptr_equal(aws_xml_find(r, ""), r);
	assert_null(aws_xml_find(r, "DescribeStacksResult/Nope/member"));
	assert_null(aws_xml_find(r, "DescribeStacksResult/Stacks/member/StackNam"));
	assert_null(aws_xml_find(NULL, "A"));
	/* Lookups on a missing node chain to NULL instead of crashing. */
	assert_null(aws_xml_child(aws_xml_child(r, "Nope"), "member"));
	assert_string_equal(aws_xml_text(NULL, NULL), "");
	assert_string_equal(aws_xml_name(NULL), "");
	aws_xml_free(d);
}

static void member_lists_iterate_in_document_order(void **state)
{
	(void)state;
	size_t n;
	const char *xml = read_data("describe_stacks.xml", &n);
	aws_xml_doc *d = NULL;
	assert_int_equal(aws_xml_parse(xml, n, &d, NULL), 0);
	const aws_xml_node *outs =
		aws_xml_find(aws_xml_root(d), "DescribeStacksResult/Stacks/member/Outputs");
	const char *want[] = {"TableArn", "ParamPrefix", "Note"};
	size_t k = 0;
	char key[64];
	for (const aws_xml_node *m = aws_xml_child(outs, "member"); m; m = aws_xml_next(m)) {
		assert_true(k < 3);
		aws_xml_copy(aws_xml_child(m, "OutputKey"), key, sizeof key);
		assert_string_equal(key, want[k]);
		k++;
	}
	assert_int_equal(k, 3);
	assert_int_equal(aws_xml_count(outs, "member"), 3);
	assert_int_equal(aws_xml_count(outs, NULL), 4);
	size_t all = 0;
	for (const aws_xml_node *c = aws_xml_first(outs); c; c = aws_xml_sibling(c))
		all++;
	assert_int_equal(all, 4);
	aws_xml_free(d);
}

static void long_member_lists_keep_every_text(void **state)
{
	(void)state;
	/* Enough elements and text to spread over many arena chunks and scratch regrowths. */
	enum { N = 20000 };
	char *xml = malloc(N * 40 + 64);
	assert_non_null(xml);
	size_t o = (size_t)sprintf(xml, "<L>");
	for (int i = 0; i < N; i++)
		o += (size_t)sprintf(xml + o, "<member>value-%d</member>", i);
	o += (size_t)sprintf(xml + o, "</L>");
	aws_xml_doc *d = NULL;
	assert_int_equal(aws_xml_parse(xml, o, &d, NULL), 0);
	int i = 0;
	char want[32];
	for (const aws_xml_node *m = aws_xml_child(aws_xml_root(d), "member"); m;
	     m = aws_xml_next(m), i++) {
		snprintf(want, sizeof want, "value-%d", i);
		assert_string_equal(aws_xml_text(m, NULL), want);
	}
	assert_int_equal(i, N);
	aws_xml_free(d);
	free(xml);
}

static void entities_and_character_references_are_decoded(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<a>&amp;&lt;&gt;&quot;&apos; &#65;&#x20AC;</a>");
	size_t len;
	assert_string_equal(aws_xml_text(aws_xml_root(d), &len), "&<>\"' A\xe2\x82\xac");
	assert_int_equal(len, 10);
	aws_xml_free(d);
}

static void cdata_is_taken_as_text(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<a>x<![CDATA[<b>&amp;</b>]]>y</a>");
	assert_string_equal(aws_xml_text(aws_xml_root(d), NULL), "x<b>&amp;</b>y");
	assert_null(aws_xml_first(aws_xml_root(d)));
	aws_xml_free(d);
}

static void text_is_the_elements_own_not_its_childrens(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<a>x<b>y<c>z</c></b>w<!-- no --><?pi no?></a>");
	const aws_xml_node *a = aws_xml_root(d);
	assert_string_equal(aws_xml_text(a, NULL), "xw");
	assert_string_equal(aws_xml_text(aws_xml_child(a, "b"), NULL), "y");
	assert_string_equal(aws_xml_text(aws_xml_find(a, "b/c"), NULL), "z");
	aws_xml_free(d);
}

static void copy_trims_white_space_and_truncates(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<a><b>\n\t  Access denied \r\n</b><e/></a>");
	char out[7];
	const aws_xml_node *b = aws_xml_child(aws_xml_root(d), "b");
	assert_int_equal(aws_xml_copy(b, out, sizeof out), 13);   /* 13 >= 7: was cut */
	assert_string_equal(out, "Access");
	char big[32];
	assert_int_equal(aws_xml_copy(b, big, sizeof big), 13);
	assert_string_equal(big, "Access denied");
	assert_int_equal(aws_xml_copy(aws_xml_child(aws_xml_root(d), "e"), big, sizeof big), 0);
	assert_string_equal(big, "");
	assert_int_equal(aws_xml_copy(NULL, big, sizeof big), 0);
	assert_string_equal(big, "");
	aws_xml_free(d);
}

static void search_finds_the_first_in_document_order(void **state)
{
	(void)state;
	/* EC2 nests its error one level deeper than the Query protocol does. */
	aws_xml_doc *d = parse_ok("<Response><Errors><Error><Code>First</Code></Error>"
				  "<Error><Code>Second</Code></Error></Errors>"
				  "<RequestID>r</RequestID></Response>");
	const aws_xml_node *r = aws_xml_root(d);
	assert_string_equal(aws_xml_text(aws_xml_search(r, "Code"), NULL), "First");
	assert_ptr_equal(aws_xml_search(r, "Response"), r);
	assert_string_equal(aws_xml_text(aws_xml_search(r, "RequestID"), NULL), "r");
	assert_null(aws_xml_search(r, "Message"));
	aws_xml_free(d);
}

static void declared_encoding_is_converted_to_utf8(void **state)
{
	(void)state;
	aws_xml_doc *d = parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>");
	assert_string_equal(aws_xml_text(aws_xml_root(d), NULL), "caf\xc3\xa9");
	aws_xml_free(d);
}

static void doctype_is_refused(void **state)
{
	(void)state;
	const char *xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e \"boom\">]>\n"
			  "<a>&e;</a>";
	aws_error e = parse_fails(xml, strlen(xml));
	assert_non_null(strstr(e.message, "DOCTYPE"));
	assert_non_null(strstr(e.message, "line 2"));
	/* Even a DOCTYPE with nothing in it. */
	e = parse_fails("<!DOCTYPE a><a/>", 16);
	assert_non_null(strstr(e.message, "DOCTYPE"));
}

static void external_entity_is_never_loaded(void **state)
{
	(void)state;
	char xml[1024];
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	snprintf(xml, sizeof xml,
		 "<!DOCTYPE r [<!ENTITY x SYSTEM \"file://%s/client/xxe_marker.txt\">]>"
		 "<r>&x;</r>", dir ? dir : "tests/data");
	aws_error e = parse_fails(xml, strlen(xml));
	assert_null(strstr(e.message, "XXE-MARKER"));
	e = parse_fails("<!DOCTYPE r SYSTEM \"http://127.0.0.1:9/evil.dtd\"><r/>", 51);
	assert_non_null(strstr(e.message, "DOCTYPE"));
}

static void billion_laughs_is_refused_at_once(void **state)
{
	(void)state;
	char xml[4096];
	size_t o = (size_t)sprintf(xml, "<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">");
	for (int i = 1; i < 10; i++)
		o += (size_t)sprintf(xml + o, "<!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;"
				     "&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;\">",
				     i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
				     i - 1);
	o += (size_t)sprintf(xml + o, "]><lolz>&lol9;</lolz>");
	clock_t t0 = clock();
	aws_error e = parse_fails(xml, o);
	assert_non_null(strstr(e.message, "DOCTYPE"));
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
}

static void undeclared_entity_is_an_error(void **state)
{
	(void)state;
	aws_error e = parse_fails("<a>&nbsp;</a>", 13);
	assert_non_null(strstr(e.message, "entity"));
}

static void malformed_xml_is_a_clean_error(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"<a><b></a></b>", "<a>", "not xml at all", "<a></a><b></b>", "<a x=1/>",
		"<a>\xff\xfe</a>", "<a>&#0;</a>", "<a>text</a>trailing", "</a>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		aws_error e = parse_fails(bad[i], strlen(bad[i]));
		assert_non_null(strstr(e.message, "malformed at line 1"));
	}
	parse_fails("", 0);
	parse_fails(NULL, 0);
	/* A NUL byte inside the input is not XML. */
	parse_fails("<a>x\0y</a>", 10);
}

static void every_truncation_of_a_document_is_an_error(void **state)
{
	(void)state;
	const char *xml = "<?xml version=\"1.0\"?><R xmlns=\"urn:x\"><A>t&amp;u</A>"
			  "<B><![CDATA[c]]></B></R>";
	size_t n = strlen(xml);
	for (size_t l = 0; l < n; l++)
		parse_fails(xml, l);
	aws_xml_free(parse_ok(xml));
}

static void oversize_input_is_refused_unread(void **state)
{
	(void)state;
	/* The limit is checked before any byte is read, so a pointer to too little memory
	 * is never touched. */
	char small[8] = "<a/>";
	aws_error e = parse_fails(small, AWS_XML_MAX_BYTES + 1);
	assert_non_null(strstr(e.message, "larger"));
}

static char *nested(int depth, size_t *len)
{
	char *s = malloc((size_t)depth * 7 + 1);
	assert_non_null(s);
	size_t o = 0;
	for (int i = 0; i < depth; i++)
		o += (size_t)sprintf(s + o, "<a>");
	for (int i = 0; i < depth; i++)
		o += (size_t)sprintf(s + o, "</a>");
	*len = o;
	return s;
}

static void nesting_deeper_than_the_limit_is_refused(void **state)
{
	(void)state;
	size_t len;
	char *ok = nested(AWS_XML_MAX_DEPTH, &len);
	aws_xml_doc *d = NULL;
	assert_int_equal(aws_xml_parse(ok, len, &d, NULL), 0);
	char path[4 * AWS_XML_MAX_DEPTH];
	size_t o = 0;
	for (int i = 1; i < AWS_XML_MAX_DEPTH; i++)
		o += (size_t)sprintf(path + o, i > 1 ? "/a" : "a");
	assert_non_null(aws_xml_find(aws_xml_root(d), path));
	aws_xml_free(d);
	free(ok);

	char *deep = nested(AWS_XML_MAX_DEPTH + 1, &len);
	aws_error e = parse_fails(deep, len);
	assert_non_null(strstr(e.message, "nested too deeply"));
	free(deep);
	/* Far deeper input stops at the limit instead of recursing. */
	deep = nested(100000, &len);
	parse_fails(deep, len);
	free(deep);
}

static void too_many_elements_are_refused(void **state)
{
	(void)state;
	size_t n = AWS_XML_MAX_ELEMENTS;           /* + the root = one too many */
	char *xml = malloc(n * 4 + 16);
	assert_non_null(xml);
	size_t o = (size_t)sprintf(xml, "<r>");
	for (size_t i = 0; i < n; i++) {
		memcpy(xml + o, "<a/>", 4);
		o += 4;
	}
	o += (size_t)sprintf(xml + o, "</r>");
	aws_error e = parse_fails(xml, o);
	assert_non_null(strstr(e.message, "too many elements"));
	/* One fewer fits. */
	memmove(xml + o - 8, "</r>", 4);
	aws_xml_doc *d = NULL;
	assert_int_equal(aws_xml_parse(xml, o - 4, &d, NULL), 0);
	assert_int_equal(aws_xml_count(aws_xml_root(d), "a"), n - 1);
	aws_xml_free(d);
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(namespaced_elements_are_named_by_local_name),
		cmocka_unit_test(undeclared_prefix_is_an_error),
		cmocka_unit_test(path_lookup_follows_first_children),
		cmocka_unit_test(member_lists_iterate_in_document_order),
		cmocka_unit_test(long_member_lists_keep_every_text),
		cmocka_unit_test(entities_and_character_references_are_decoded),
		cmocka_unit_test(cdata_is_taken_as_text),
		cmocka_unit_test(text_is_the_elements_own_not_its_childrens),
		cmocka_unit_test(copy_trims_white_space_and_truncates),
		cmocka_unit_test(search_finds_the_first_in_document_order),
		cmocka_unit_test(declared_encoding_is_converted_to_utf8),
		cmocka_unit_test(doctype_is_refused),
		cmocka_unit_test(external_entity_is_never_loaded),
		cmocka_unit_test(billion_laughs_is_refused_at_once),
		cmocka_unit_test(undeclared_entity_is_an_error),
		cmocka_unit_test(malformed_xml_is_a_clean_error),
		cmocka_unit_test(every_truncation_of_a_document_is_an_error),
		cmocka_unit_test(oversize_input_is_refused_unread),
		cmocka_unit_test(nesting_deeper_than_the_limit_is_refused),
		cmocka_unit_test(too_many_elements_are_refused),
	};
	return cmocka_run_group_tests_name("xml", tests, NULL, NULL);
}

/* test_srv_filter.c — attribute conditions (srv_filter): what is accepted and refused, the
 * FilterExpression with its names and values (user text only ever in the maps), and the
 * canonical text cursors are bound to. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "srv_filter.h"

static void add_ok(srv_filter *f, const char *attr, const char *op, const char *type, const char *value)
{
	aws_error err;
	if (srv_filter_add(f, attr, op, type, value, &err) != 0)
		fail_msg("%s %s refused: %s", attr, op ? op : "", err.message);
}

static void assert_expression(const srv_filter *f, const char *q, const char *want_expr, const char *want_names,
			      const char *want_values)
{
	aws_buf expr = AWS_BUF_INIT;
	json_t *names, *values;
	assert_int_equal(srv_filter_expression(f, q, &expr, &names, &values, NULL), 0);
	assert_string_equal(expr.data, want_expr);
	json_t *wn = json_loads(want_names, 0, NULL), *wv = json_loads(want_values, 0, NULL);
	assert_non_null(wn);
	assert_non_null(wv);
	if (!json_equal(names, wn) || !json_equal(values, wv))
		fail_msg("names %s values %s", json_dumps(names, JSON_COMPACT), json_dumps(values, JSON_COMPACT));
	json_decref(wn);
	json_decref(wv);
	json_decref(names);
	json_decref(values);
	aws_buf_free(&expr);
}

static void every_op_becomes_its_own_words_with_placeholders(void **state)
{
	(void)state;
	srv_filter f = {0};
	add_ok(&f, "price", "gt", "number", "9.5");
	add_ok(&f, "name", "begins_with", "", "ab");
	add_ok(&f, "tags", "contains", "string", "red");
	add_ok(&f, "done", "eq", "bool", "true");
	add_ok(&f, "gone", "not_exists", NULL, "ignored");
	add_ok(&f, "x", "ne", "string", "");
	add_ok(&f, "y", "lt", "number", "-1e3");
	add_ok(&f, "z", "exists", NULL, NULL);
	assert_expression(&f, "", "#a0 > :v0 AND begins_with(#a1, :v1) AND contains(#a2, :v2) AND #a3 = :v3 AND "
				  "attribute_not_exists(#a4) AND #a5 <> :v5 AND #a6 < :v6 AND attribute_exists(#a7)",
			  "{\"#a0\":\"price\",\"#a1\":\"name\",\"#a2\":\"tags\",\"#a3\":\"done\",\"#a4\":\"gone\","
			  "\"#a5\":\"x\",\"#a6\":\"y\",\"#a7\":\"z\"}",
			  "{\":v0\":{\"N\":\"9.5\"},\":v1\":{\"S\":\"ab\"},\":v2\":{\"S\":\"red\"},\":v3\":{\"BOOL\":true},"
			  "\":v5\":{\"S\":\"\"},\":v6\":{\"N\":\"-1e3\"}}");
}

static void itemID_text_joins_the_conditions(void **state)
{
	(void)state;
	srv_filter f = {0};
	assert_expression(&f, "it", "contains(#k, :q)", "{\"#k\":\"itemID\"}", "{\":q\":{\"S\":\"it\"}}");
	add_ok(&f, "n", "eq", "number", "1");
	assert_expression(&f, "it", "#a0 = :v0 AND contains(#k, :q)", "{\"#a0\":\"n\",\"#k\":\"itemID\"}",
			  "{\":v0\":{\"N\":\"1\"},\":q\":{\"S\":\"it\"}}");
	aws_buf expr = AWS_BUF_INIT;
	json_t *names, *values;
	srv_filter none = {0};
	assert_int_equal(srv_filter_expression(&none, "", &expr, &names, &values, NULL), 0);
	assert_int_equal(expr.len, 0);
	assert_null(names);
	assert_null(values);
	aws_buf_free(&expr);
}

static void names_and_values_never_enter_the_expression(void **state)
{
	(void)state;
	srv_filter f = {0};
	add_ok(&f, "a) OR attribute_exists(itemID", "eq", "string", ":v0 OR #a0 = #a0");
	add_ok(&f, "#a0", "contains", "string", "x)");
	add_ok(&f, "with.dot", "exists", NULL, NULL);
	assert_expression(&f, "", "#a0 = :v0 AND contains(#a1, :v1) AND attribute_exists(#a2)",
			  "{\"#a0\":\"a) OR attribute_exists(itemID\",\"#a1\":\"#a0\",\"#a2\":\"with.dot\"}",
			  "{\":v0\":{\"S\":\":v0 OR #a0 = #a0\"},\":v1\":{\"S\":\"x)\"}}");
}

static void assert_refused(const char *attr, const char *op, const char *type, const char *value, const char *words)
{
	srv_filter f = {0};
	aws_error err;
	assert_int_equal(srv_filter_add(&f, attr, op, type, value, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_int_equal(f.n, 0);
	if (!strstr(err.message, words))
		fail_msg("\"%s\" does not say \"%s\"", err.message, words);
}

static void bad_conditions_are_refused_with_a_reason(void **state)
{
	(void)state;
	char name[300], value[1100];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	assert_refused(name, "eq", "string", "x", "attribute name is 1 to 255 bytes");
	assert_refused("a", "eq", "string", value, "at most 1024 bytes");
	assert_refused("a", "like", "string", "x", "op must be one of");
	assert_refused("a", "eq", "date", "x", "type must be string, number or bool");
	assert_refused("a", "eq", "number", "12x", "is not a number");
	assert_refused("a", "gt", "number", "", "is not a number");
	assert_refused("a", "eq", "bool", "yes", "true or false");
	assert_refused("a", "begins_with", "number", "1", "strings only");
	assert_refused("a", "lt", "bool", "true", "not ordered");
	assert_refused("a", "contains", "string", "", "needs a value");
	assert_refused("\xff", "eq", "string", "x", "UTF-8");
	assert_refused("a", "eq", "string", "\xc3", "UTF-8");
}

static void a_blank_row_adds_nothing_and_the_ninth_condition_is_refused(void **state)
{
	(void)state;
	srv_filter f = {0};
	assert_int_equal(srv_filter_add(&f, "", "gt", "bool", "nonsense", NULL), 0);
	assert_int_equal(srv_filter_add(&f, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(f.n, 0);
	for (int i = 0; i < SRV_FILTER_MAX; i++)
		add_ok(&f, "a", "exists", NULL, NULL);
	aws_error err;
	assert_int_equal(srv_filter_add(&f, "a", "exists", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.message, "at most 8 conditions"));
	assert_int_equal(f.n, SRV_FILTER_MAX);
}

static char *bound(const srv_filter *f, const char *q)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_filter_bound(f, q, &b), 0);
	return aws_buf_steal(&b, NULL) ?: strdup("");
}

static void bound_text_is_q_alone_or_tells_every_filter_apart(void **state)
{
	(void)state;
	srv_filter none = {0}, a = {0}, b = {0}, c = {0};
	char *t = bound(&none, "item");
	assert_string_equal(t, "item");
	free(t);
	add_ok(&a, "x", "eq", "string", "1");
	add_ok(&b, "x", "eq", "number", "1");
	add_ok(&c, "x", "ne", "string", "1");
	char *texts[] = {bound(&a, ""), bound(&b, ""), bound(&c, ""), bound(&a, "q"), bound(&none, ""),
			 bound(&none, "\x1f" "0:1:x2:eq6:string1:1")};
	size_t n = sizeof texts / sizeof texts[0];
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(texts[i], texts[j]) == 0)
				fail_msg("filters %zu and %zu share the text %s", i, j, texts[i]);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_op_becomes_its_own_words_with_placeholders),
		cmocka_unit_test(itemID_text_joins_the_conditions),
		cmocka_unit_test(names_and_values_never_enter_the_expression),
		cmocka_unit_test(bad_conditions_are_refused_with_a_reason),
		cmocka_unit_test(a_blank_row_adds_nothing_and_the_ninth_condition_is_refused),
		cmocka_unit_test(bound_text_is_q_alone_or_tells_every_filter_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

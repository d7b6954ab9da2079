/* test_srv_export.c — CSV fields as the export writes them: RFC 4180 quoting and the prefix
 * that keeps a spreadsheet from running a cell as a formula. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "srv_export.h"

static void assert_field(const char *in, size_t n, int formula, const char *want)
{
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(srv_export_csv_field(&b, in, n, formula), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data ? b.data : "", want, b.len);
	aws_buf_free(&b);
}

static void plain_text_is_written_as_is(void **state)
{
	(void)state;
	assert_field("item-1", 6, 1, "item-1");
	assert_field("", 0, 1, "");
	assert_field("Zürich 日本", strlen("Zürich 日本"), 1, "Zürich 日本");
}

static void commas_quotes_and_line_breaks_are_quoted_with_quotes_doubled(void **state)
{
	(void)state;
	assert_field("a,b", 3, 1, "\"a,b\"");
	assert_field("say \"hi\"", 8, 1, "\"say \"\"hi\"\"\"");
	assert_field("\"", 1, 1, "\"\"\"\"");
	assert_field("a\r\nb", 4, 1, "\"a\r\nb\"");
	assert_field("a\nb", 3, 1, "\"a\nb\"");
}

static void formula_starts_get_a_quote_mark_unless_the_cell_is_a_number(void **state)
{
	(void)state;
	assert_field("=1+1", 4, 1, "'=1+1");
	assert_field("+1", 2, 1, "'+1");
	assert_field("-2", 2, 1, "'-2");
	assert_field("@SUM(A1)", 8, 1, "'@SUM(A1)");
	assert_field("\tx", 2, 1, "'\tx");
	assert_field("\rx", 2, 1, "\"'\rx\"");
	assert_field("=a,b", 4, 1, "\"'=a,b\"");
	assert_field("-2", 2, 0, "-2");   /* a DynamoDB number is never a formula */
	assert_field("a=b", 3, 1, "a=b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_text_is_written_as_is),
		cmocka_unit_test(commas_quotes_and_line_breaks_are_quoted_with_quotes_doubled),
		cmocka_unit_test(formula_starts_get_a_quote_mark_unless_the_cell_is_a_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

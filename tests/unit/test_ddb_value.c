/* test_ddb_value.c — the DynamoDB attribute-value and item validators (aws_ddb_value_valid,
 * aws_ddb_item_valid): each type's rules, numbers, base64, sets, nesting, item limits, and
 * messages that say which attribute is wrong and why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aws_ddb_value.h"

static char why[512];

/* Parses text (JSON) and runs the value validator on it. */
static int value_ok(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
	if (!v)
		fail_msg("test JSON does not parse: %s: %s", text, e.text);
	int r = aws_ddb_value_valid(v, why, sizeof why);
	json_decref(v);
	return r;
}

static int item_ok(const char *text, const char *key)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("test JSON does not parse: %s: %s", text, e.text);
	int r = aws_ddb_item_valid(v, key, why, sizeof why);
	json_decref(v);
	return r;
}

static int number_ok(const char *n)
{
	json_t *v = json_pack("{s:s}", "N", n);
	int r = aws_ddb_value_valid(v, why, sizeof why);
	json_decref(v);
	return r;
}

#define assert_why_contains(s) \
	do { \
		if (!strstr(why, (s))) \
			fail_msg("message \"%s\" does not contain \"%s\"", why, (s)); \
	} while (0)

/* ---- S ---- */
static void s_string_is_valid_including_empty_and_unicode(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"S\": \"text\"}"), 1);
	assert_int_equal(value_ok("{\"S\": \"\"}"), 1);
	assert_int_equal(value_ok("{\"S\": \"Grüße, 世界 🎉\"}"), 1);
}

static void s_that_is_not_a_string_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"S\": 5}"), 0);
	assert_why_contains("S value must be a JSON string");
}

/* ---- N ---- */
static void n_integer_decimal_and_exponent_forms_are_valid(void **state)
{
	(void)state;
	const char *good[] = {"0", "42", "-42", "3.14", "-0.5", ".5", "5.", "1e10", "1E10",
			      "1e+10", "2.5e-3", "-7E-2", "007", "100.000"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!number_ok(good[i]))
			fail_msg("\"%s\" rejected: %s", good[i], why);
}

static void n_with_38_significant_digits_is_valid(void **state)
{
	(void)state;
	assert_int_equal(number_ok("12345678901234567890123456789012345678"), 1);
	assert_int_equal(number_ok("-1.2345678901234567890123456789012345678"), 1);
	assert_int_equal(number_ok("0.00012345678901234567890123456789012345678"), 1);
}

static void n_with_39_significant_digits_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(number_ok("123456789012345678901234567890123456789"), 0);
	assert_why_contains("more than 38 significant digits");
	assert_int_equal(number_ok("1.00000000000000000000000000000000000001"), 0);
}

static void n_leading_and_trailing_zeros_are_not_significant(void **state)
{
	(void)state;
	/* 38 significant digits surrounded by zeros */
	assert_int_equal(number_ok("000012345678901234567890123456789012345678000000"), 1);
	assert_int_equal(number_ok("1000000000000000000000000000000000000000000000000000"), 1);
}

static void n_range_limits_are_valid(void **state)
{
	(void)state;
	assert_int_equal(number_ok("9.9999999999999999999999999999999999999E+125"), 1);
	assert_int_equal(number_ok("-9.9999999999999999999999999999999999999E+125"), 1);
	assert_int_equal(number_ok("1E-130"), 1);
	assert_int_equal(number_ok("-1E-130"), 1);
	assert_int_equal(number_ok("0.1e-129"), 1);
}

static void n_above_the_range_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(number_ok("1E+126"), 0);
	assert_why_contains("too large");
	assert_int_equal(number_ok("10E125"), 0);
}

static void n_below_the_range_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(number_ok("1E-131"), 0);
	assert_why_contains("too small");
	assert_int_equal(number_ok("0.1E-130"), 0);
}

static void n_zero_in_any_spelling_is_valid(void **state)
{
	(void)state;
	assert_int_equal(number_ok("-0"), 1);
	assert_int_equal(number_ok("0.000"), 1);
	assert_int_equal(number_ok("0e999"), 1);
}

static void n_malformed_text_is_rejected_with_the_value(void **state)
{
	(void)state;
	const char *bad[] = {"", "1x", "+1", " 1", "1 ", "1e", "1e+", "--1", ".", "-", "1.2.3",
			     "0x10", "NaN", "Infinity", "1,5", "e5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (number_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(number_ok("1x"), 0);
	assert_why_contains("N value \"1x\" is not a number");
}

static void n_huge_exponent_is_out_of_range_not_overflowed(void **state)
{
	(void)state;
	assert_int_equal(number_ok("1e99999999999999999999999999"), 0);
	assert_why_contains("too large");
	assert_int_equal(number_ok("1e-99999999999999999999999999"), 0);
	assert_why_contains("too small");
}

static void n_as_a_json_number_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"N\": 42}"), 0);
	assert_why_contains("number written as a string");
}

/* ---- B ---- */
static void b_padded_base64_is_valid(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"B\": \"\"}"), 1);
	assert_int_equal(value_ok("{\"B\": \"AA==\"}"), 1);
	assert_int_equal(value_ok("{\"B\": \"AAE=\"}"), 1);
	assert_int_equal(value_ok("{\"B\": \"aGVsbG8gd29ybGQ+Pz8/\"}"), 1);
}

static void b_malformed_base64_is_rejected(void **state)
{
	(void)state;
	const char *bad[] = {"{\"B\": \"A\"}", "{\"B\": \"AA=\"}", "{\"B\": \"A===\"}",
			     "{\"B\": \"AA==AA==\"}", "{\"B\": \"A A=\"}", "{\"B\": \"AB*=\"}",
			     "{\"B\": \"AAAA\\n\"}", "{\"B\": \"aGk\"}", "{\"B\": \"=AAA\"}",
			     "{\"B\": \"aGVsbG8-_w==\"}", "{\"B\": 12}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (value_ok(bad[i]))
			fail_msg("%s accepted", bad[i]);
	assert_int_equal(value_ok("{\"B\": \"AB*=\"}"), 0);
	assert_why_contains("not valid base64");
}

/* ---- BOOL, NULL ---- */
static void bool_must_be_true_or_false(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"BOOL\": true}"), 1);
	assert_int_equal(value_ok("{\"BOOL\": false}"), 1);
	assert_int_equal(value_ok("{\"BOOL\": \"true\"}"), 0);
	assert_why_contains("true or false");
}

static void null_must_be_true(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"NULL\": true}"), 1);
	assert_int_equal(value_ok("{\"NULL\": false}"), 0);
	assert_why_contains("NULL value must be true");
}

/* ---- shape ---- */
static void value_that_is_not_an_object_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("\"text\""), 0);
	assert_why_contains("expected an object with one type key");
}

static void value_without_a_type_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{}"), 0);
	assert_why_contains("needs exactly one of");
}

static void value_with_two_types_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"S\": \"a\", \"N\": \"1\"}"), 0);
	assert_why_contains("2 type keys");
}

static void unknown_type_is_rejected_by_name(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"STRING\": \"a\"}"), 0);
	assert_why_contains("unknown type \"STRING\"");
}

/* ---- M, L ---- */
static void m_and_l_hold_any_valid_values(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"M\": {}}"), 1);
	assert_int_equal(value_ok("{\"L\": []}"), 1);
	assert_int_equal(value_ok("{\"M\": {\"a\": {\"L\": [{\"N\": \"1\"}, {\"S\": \"x\"}, "
				  "{\"M\": {\"b\": {\"NULL\": true}}}, {\"SS\": [\"p\"]}]}}}"), 1);
}

static void nested_error_names_the_path(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"M\": {\"a\": {\"L\": [{\"N\": \"1\"}, {\"N\": \"x\"}]}}}"),
			 0);
	assert_why_contains("attribute \"a[1]\": N value \"x\" is not a number");
}

static void m_and_l_of_the_wrong_json_type_are_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"M\": []}"), 0);
	assert_why_contains("M value must be a JSON object");
	assert_int_equal(value_ok("{\"L\": {}}"), 0);
	assert_why_contains("L value must be a JSON array");
}

/* Builds n levels of alternating M and L around a string. */
static json_t *nested(int n)
{
	json_t *v = json_pack("{s:s}", "S", "deep");
	for (int i = 0; i < n; i++)
		v = i % 2 ? json_pack("{s:[o]}", "L", v) : json_pack("{s:{s:o}}", "M", "k", v);
	return v;
}

static void nesting_of_32_levels_is_valid(void **state)
{
	(void)state;
	json_t *v = nested(32);
	assert_int_equal(aws_ddb_value_valid(v, why, sizeof why), 1);
	json_decref(v);
}

static void nesting_of_33_levels_is_rejected(void **state)
{
	(void)state;
	json_t *v = nested(33);
	assert_int_equal(aws_ddb_value_valid(v, why, sizeof why), 0);
	assert_why_contains("nested deeper than 32 levels");
	json_decref(v);
}

/* ---- sets ---- */
static void sets_with_unique_members_are_valid(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"SS\": [\"a\", \"b\", \"\"]}"), 1);
	assert_int_equal(value_ok("{\"NS\": [\"1\", \"-1\", \"1.5\", \"1e2\"]}"), 1);
	assert_int_equal(value_ok("{\"BS\": [\"AA==\", \"AAA=\", \"\"]}"), 1);
}

static void empty_sets_are_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"SS\": []}"), 0);
	assert_why_contains("SS set is empty");
	assert_int_equal(value_ok("{\"NS\": []}"), 0);
	assert_int_equal(value_ok("{\"BS\": []}"), 0);
}

static void ss_with_a_duplicate_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"SS\": [\"a\", \"b\", \"a\"]}"), 0);
	assert_why_contains("SS contains \"a\" twice");
}

static void ns_duplicates_are_found_by_value(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"NS\": [\"1\", \"1.0\"]}"), 0);
	assert_why_contains("twice");
	assert_int_equal(value_ok("{\"NS\": [\"100\", \"1e2\"]}"), 0);
	assert_int_equal(value_ok("{\"NS\": [\"0\", \"-0.0\"]}"), 0);
	assert_int_equal(value_ok("{\"NS\": [\"1\", \"-1\"]}"), 1);
}

static void bs_duplicates_are_found_by_bytes(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"BS\": [\"AA==\", \"AAA=\", \"AA==\"]}"), 0);
	assert_why_contains("BS contains the same binary value twice");
}

static void set_members_of_the_wrong_type_are_rejected(void **state)
{
	(void)state;
	assert_int_equal(value_ok("{\"SS\": [\"a\", 1]}"), 0);
	assert_why_contains("SS element 1 is not a string");
	assert_int_equal(value_ok("{\"NS\": [\"1\", \"two\"]}"), 0);
	assert_why_contains("NS element 1 \"two\" is not a number");
	assert_int_equal(value_ok("{\"BS\": [\"AA==\", \"*\"]}"), 0);
	assert_why_contains("BS element 1 is not valid base64");
	assert_int_equal(value_ok("{\"SS\": \"a\"}"), 0);
	assert_why_contains("SS must be a JSON array");
}

/* ---- items ---- */
static void item_with_its_string_key_is_valid(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"itemID\": {\"S\": \"a\"}, \"n\": {\"N\": \"1\"}}", "itemID"),
			 1);
}

static void item_error_names_the_attribute(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"itemID\": {\"S\": \"a\"}, \"price\": {\"N\": \"1x\"}}",
				 "itemID"), 0);
	assert_string_equal(why, "attribute \"price\": N value \"1x\" is not a number");
}

static void item_without_the_key_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"id\": {\"S\": \"a\"}}", "itemID"), 0);
	assert_why_contains("missing the key attribute \"itemID\"");
}

static void item_key_must_be_a_non_empty_string(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"itemID\": {\"N\": \"1\"}}", "itemID"), 0);
	assert_why_contains("must be a string");
	assert_int_equal(item_ok("{\"itemID\": {\"S\": \"\"}}", "itemID"), 0);
	assert_why_contains("1 to 2048 bytes");
}

static void item_key_check_is_skipped_when_key_is_null(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"anything\": {\"BOOL\": true}}", NULL), 1);
}

static void item_that_is_not_an_object_or_empty_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(item_ok("[1]", NULL), 0);
	assert_why_contains("must be a JSON object");
	assert_int_equal(item_ok("{}", NULL), 0);
	assert_why_contains("no attributes");
}

static void item_with_an_empty_attribute_name_is_rejected(void **state)
{
	(void)state;
	assert_int_equal(item_ok("{\"\": {\"S\": \"a\"}}", NULL), 0);
	assert_why_contains("attribute names must be 1 to 65535 bytes");
}

static void item_over_400_kb_is_rejected(void **state)
{
	(void)state;
	size_t n = 401 * 1024;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	json_t *it = json_pack("{s:{s:s}, s:{s:s}}", "itemID", "S", "a", "blob", "S", big);
	free(big);
	assert_int_equal(aws_ddb_item_valid(it, "itemID", why, sizeof why), 0);
	assert_why_contains("at most 400 KB");
	json_decref(it);
}

static void message_is_truncated_safely_in_a_small_buffer(void **state)
{
	(void)state;
	char small[16];
	json_t *v = json_pack("{s:s}", "N", "definitely not a number");
	assert_int_equal(aws_ddb_value_valid(v, small, sizeof small), 0);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_int_equal(aws_ddb_value_valid(v, NULL, 0), 0);
	json_decref(v);
}

static void message_shortens_long_values_at_a_character_boundary(void **state)
{
	(void)state;
	/* 30 two-byte characters: byte 40 falls inside one */
	char n[128] = "x";
	for (int i = 0; i < 30; i++)
		strcat(n, "\xc3\xa9");
	assert_int_equal(number_ok(n), 0);
	assert_why_contains("...\" is not a number");
	json_t *valid_utf8 = json_string(why);   /* NULL for invalid UTF-8 */
	assert_non_null(valid_utf8);
	json_decref(valid_utf8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(s_string_is_valid_including_empty_and_unicode),
		cmocka_unit_test(s_that_is_not_a_string_is_rejected),
		cmocka_unit_test(n_integer_decimal_and_exponent_forms_are_valid),
		cmocka_unit_test(n_with_38_significant_digits_is_valid),
		cmocka_unit_test(n_with_39_significant_digits_is_rejected),
		cmocka_unit_test(n_leading_and_trailing_zeros_are_not_significant),
		cmocka_unit_test(n_range_limits_are_valid),
		cmocka_unit_test(n_above_the_range_is_rejected),
		cmocka_unit_test(n_below_the_range_is_rejected),
		cmocka_unit_test(n_zero_in_any_spelling_is_valid),
		cmocka_unit_test(n_malformed_text_is_rejected_with_the_value),
		cmocka_unit_test(n_huge_exponent_is_out_of_range_not_overflowed),
		cmocka_unit_test(n_as_a_json_number_is_rejected),
		cmocka_unit_test(b_padded_base64_is_valid),
		cmocka_unit_test(b_malformed_base64_is_rejected),
		cmocka_unit_test(bool_must_be_true_or_false),
		cmocka_unit_test(null_must_be_true),
		cmocka_unit_test(value_that_is_not_an_object_is_rejected),
		cmocka_unit_test(value_without_a_type_is_rejected),
		cmocka_unit_test(value_with_two_types_is_rejected),
		cmocka_unit_test(unknown_type_is_rejected_by_name),
		cmocka_unit_test(m_and_l_hold_any_valid_values),
		cmocka_unit_test(nested_error_names_the_path),
		cmocka_unit_test(m_and_l_of_the_wrong_json_type_are_rejected),
		cmocka_unit_test(nesting_of_32_levels_is_valid),
		cmocka_unit_test(nesting_of_33_levels_is_rejected),
		cmocka_unit_test(sets_with_unique_members_are_valid),
		cmocka_unit_test(empty_sets_are_rejected),
		cmocka_unit_test(ss_with_a_duplicate_is_rejected),
		cmocka_unit_test(ns_duplicates_are_found_by_value),
		cmocka_unit_test(bs_duplicates_are_found_by_bytes),
		cmocka_unit_test(set_members_of_the_wrong_type_are_rejected),
		cmocka_unit_test(item_with_its_string_key_is_valid),
		cmocka_unit_test(item_error_names_the_attribute),
		cmocka_unit_test(item_without_the_key_is_rejected),
		cmocka_unit_test(item_key_must_be_a_non_empty_string),
		cmocka_unit_test(item_key_check_is_skipped_when_key_is_null),
		cmocka_unit_test(item_that_is_not_an_object_or_empty_is_rejected),
		cmocka_unit_test(item_with_an_empty_attribute_name_is_rejected),
		cmocka_unit_test(item_over_400_kb_is_rejected),
		cmocka_unit_test(message_is_truncated_safely_in_a_small_buffer),
		cmocka_unit_test(message_shortens_long_values_at_a_character_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

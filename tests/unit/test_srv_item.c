/* test_srv_item.c — a table's description as the pages use it (srv_table_info_parse, from
 * recorded DescribeTable answers in tests/data/describe) and the GetItem key an itemID from
 * a URL becomes (srv_item_key): typed by the table's key, refused when it cannot be one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "srv_item.h"
#include "srv_table.h"

static json_t *described(const char *name)
{
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	char path[4096];
	snprintf(path, sizeof path, "%s/describe/%s", dir ? dir : "tests/data", name);
	json_error_t je;
	json_t *t = json_load_file(path, 0, &je);
	if (!t)
		fail_msg("cannot load %s: %s (set SHOWTABLE_TESTDATA)", path, je.text);
	return t;
}

static void info_reads_key_billing_and_approximate_size(void **state)
{
	(void)state;
	json_t *t = described("string_key.json");
	srv_table_info info;
	assert_int_equal(srv_table_info_parse(t, &info, NULL), 0);
	assert_string_equal(info.hash, "itemID");
	assert_int_equal(info.hash_type, 'S');
	assert_string_equal(info.range, "");
	assert_string_equal(info.billing, "PAY_PER_REQUEST");
	assert_int_equal(info.item_count, 300);
	assert_int_equal(info.size_bytes, 61234);
	json_decref(t);
}

static void info_reads_a_sort_key_and_calls_no_summary_provisioned(void **state)
{
	(void)state;
	json_t *t = described("composite_key_provisioned.json");
	srv_table_info info;
	assert_int_equal(srv_table_info_parse(t, &info, NULL), 0);
	assert_string_equal(info.hash, "pk");
	assert_int_equal(info.hash_type, 'N');
	assert_string_equal(info.range, "sk");
	assert_int_equal(info.range_type, 'B');
	assert_string_equal(info.billing, "PROVISIONED");
	json_decref(t);
}

static void info_without_a_usable_partition_key_is_a_protocol_error(void **state)
{
	(void)state;
	const char *bad[] = {"no_hash_key.json", "key_without_definition.json"};
	for (size_t i = 0; i < 2; i++) {
		json_t *t = described(bad[i]);
		srv_table_info info;
		aws_error err;
		assert_int_equal(srv_table_info_parse(t, &info, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		json_decref(t);
	}
}

static srv_table_info key_info(const char *name, char type)
{
	srv_table_info info;
	memset(&info, 0, sizeof info);
	snprintf(info.hash, sizeof info.hash, "%s", name);
	info.hash_type = type;
	return info;
}

static void assert_key(const srv_table_info *info, const char *id, size_t n, const char *want)
{
	json_t *key;
	aws_error err;
	if (srv_item_key(info, id, n, &key, &err) != 0)
		fail_msg("%s: %s", id, err.message);
	json_t *w = json_loads(want, JSON_ALLOW_NUL, NULL);
	assert_non_null(w);
	if (!json_equal(key, w))
		fail_msg("key for %s is not %s", id, want);
	json_decref(w);
	json_decref(key);
}

static void item_key_is_the_tables_key_typed(void **state)
{
	(void)state;
	srv_table_info s = key_info("itemID", 'S'), n = key_info("id", 'N'), b = key_info("k", 'B');
	assert_key(&s, "a/b \"c\" ü", strlen("a/b \"c\" ü"), "{\"itemID\":{\"S\":\"a/b \\\"c\\\" ü\"}}");
	assert_key(&s, "a\0b", 3, "{\"itemID\":{\"S\":\"a\\u0000b\"}}");
	assert_key(&n, "-1.5e3", 6, "{\"id\":{\"N\":\"-1.5e3\"}}");
	assert_key(&b, "AAEC", 4, "{\"k\":{\"B\":\"AAEC\"}}");
}

static void assert_refused(const srv_table_info *info, const char *id, size_t n, const char *words)
{
	json_t *key = (json_t *)1;
	aws_error err;
	assert_int_equal(srv_item_key(info, id, n, &key, &err), -1);
	assert_null(key);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	if (!strstr(err.message, words))
		fail_msg("\"%s\" does not say \"%s\"", err.message, words);
}

static void item_key_refuses_what_cannot_be_the_key(void **state)
{
	(void)state;
	srv_table_info s = key_info("itemID", 'S'), n = key_info("id", 'N'), b = key_info("k", 'B');
	srv_table_info both = key_info("pk", 'S');
	snprintf(both.range, sizeof both.range, "sk");
	both.range_type = 'S';
	assert_refused(&both, "x", 1, "cannot be found by pk alone");
	assert_refused(&n, "12x", 3, "a number");
	assert_refused(&b, "!!", 2, "base64");
	assert_refused(&s, "\xff", 1, "UTF-8");
	assert_refused(&s, "", 0, "1 to 2048 bytes");
	char *big = malloc(2049);
	memset(big, 'a', 2049);
	assert_refused(&s, big, 2049, "1 to 2048 bytes");
	json_t *key;
	assert_int_equal(srv_item_key(&s, big, 2048, &key, NULL), 0);   /* the largest key is fine */
	assert_int_equal(json_string_length(json_object_get(json_object_get(key, "itemID"), "S")), 2048);
	json_decref(key);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(info_reads_key_billing_and_approximate_size),
		cmocka_unit_test(info_reads_a_sort_key_and_calls_no_summary_provisioned),
		cmocka_unit_test(info_without_a_usable_partition_key_is_a_protocol_error),
		cmocka_unit_test(item_key_is_the_tables_key_typed),
		cmocka_unit_test(item_key_refuses_what_cannot_be_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_cursor.c — next-page cursors (srv_cursor): they round-trip the key, are URL-safe, and
 * every kind of damage (tampered byte, other key, other filter, truncated, oversized, bad
 * base64) is refused with AWS_ERR_INVALID and a message a person can act on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "srv_cursor.h"

static srv_cursor_key key1, key2;

static json_t *sample_key(void)
{
	return json_pack("{s{ss}}", "itemID", "S", "item-0042 \"quoted\" ü <x>");
}

/* Encodes sample_key() with key and q into a malloc'd string. */
static char *make_cursor(const srv_cursor_key *k, const char *q)
{
	aws_buf b = AWS_BUF_INIT;
	aws_error err;
	json_t *lk = sample_key();
	assert_int_equal(srv_cursor_encode(k, lk, q, &b, &err), 0);
	json_decref(lk);
	return aws_buf_steal(&b, NULL);
}

static void expect_invalid(const srv_cursor_key *k, const char *cursor, const char *q)
{
	aws_error err;
	json_t *lk = (json_t *)1;
	assert_int_equal(srv_cursor_decode(k, cursor, q, &lk, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_null(lk);
	assert_non_null(strstr(err.message, "start again from the first page"));
}

static int setup(void **state)
{
	(void)state;
	memset(&key1, 0x11, sizeof key1);
	memset(&key2, 0x22, sizeof key2);
	return 0;
}

static void round_trip_returns_the_same_key(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "item");
	json_t *lk = NULL, *want = sample_key();
	aws_error err;
	assert_int_equal(srv_cursor_decode(&key1, c, "item", &lk, &err), 0);
	assert_true(json_equal(lk, want));
	json_decref(lk);
	json_decref(want);
	free(c);
}

static void null_q_is_the_same_as_empty_q(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, NULL);
	json_t *lk = NULL;
	aws_error err;
	assert_int_equal(srv_cursor_decode(&key1, c, "", &lk, &err), 0);
	json_decref(lk);
	free(c);
}

static void cursor_uses_only_url_safe_characters(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "q");
	assert_true(strlen(c) > 40);
	for (const char *p = c; *p; p++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-_", *p));
	free(c);
}

static void every_tampered_character_is_invalid(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "");
	size_t n = strlen(c);
	for (size_t i = 0; i < n; i++) {
		char saved = c[i];
		c[i] = saved == 'A' ? 'B' : 'A';
		/* The last character may carry only padding bits: changing those can leave
		 * the decoded bytes as they were, which is harmless. */
		aws_error err;
		json_t *lk = NULL;
		int rc = srv_cursor_decode(&key1, c, "", &lk, &err);
		if (rc == 0) {
			assert_int_equal(i, n - 1);
			json_decref(lk);
		} else {
			assert_int_equal(err.kind, AWS_ERR_INVALID);
		}
		c[i] = saved;
	}
	free(c);
}

static void cursor_from_another_key_is_invalid(void **state)
{
	(void)state;
	char *c = make_cursor(&key2, "");
	expect_invalid(&key1, c, "");
	free(c);
}

static void cursor_with_another_filter_is_invalid(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "abc");
	expect_invalid(&key1, c, "abd");
	expect_invalid(&key1, c, "");
	expect_invalid(&key1, c, "abc ");
	free(c);
}

static void truncated_cursor_is_invalid(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "");
	size_t n = strlen(c);
	for (size_t cut = 1; cut < n; cut += 7) {
		c[n - cut] = '\0';
		expect_invalid(&key1, c, "");
	}
	expect_invalid(&key1, "A", "");
	expect_invalid(&key1, "AAAA", "");
	free(c);
}

static void empty_cursor_is_invalid(void **state)
{
	(void)state;
	expect_invalid(&key1, "", "");
	expect_invalid(&key1, NULL, "");
}

static void oversized_cursor_is_invalid(void **state)
{
	(void)state;
	char *big = malloc(SRV_CURSOR_MAX + 2);
	memset(big, 'A', SRV_CURSOR_MAX + 1);
	big[SRV_CURSOR_MAX + 1] = '\0';
	expect_invalid(&key1, big, "");
	free(big);
}

static void bad_base64_is_invalid(void **state)
{
	(void)state;
	char *c = make_cursor(&key1, "");
	const char bad[] = {'+', '/', '=', '!', '%', ' ', '.', '\xc3'};
	for (size_t i = 0; i < sizeof bad; i++) {
		char saved = c[5];
		c[5] = bad[i];
		expect_invalid(&key1, c, "");
		c[5] = saved;
	}
	expect_invalid(&key1, "not a cursor at all", "");
	expect_invalid(&key1, "%41%41%41%41", "");
	free(c);
}

static void key_too_large_for_a_link_is_refused_when_encoding(void **state)
{
	(void)state;
	char *s = malloc(SRV_CURSOR_MAX);
	memset(s, 'x', SRV_CURSOR_MAX - 1);
	s[SRV_CURSOR_MAX - 1] = '\0';
	json_t *lk = json_pack("{s{ss}}", "itemID", "S", s);
	aws_buf b = AWS_BUF_INIT;
	aws_error err;
	assert_int_equal(srv_cursor_encode(&key1, lk, "", &b, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_int_equal(b.len, 0);
	json_decref(lk);
	free(s);
	aws_buf_free(&b);
}

static void largest_dynamodb_key_fits_in_a_cursor(void **state)
{
	(void)state;
	/* 2048-byte partition key + 1024-byte sort key: DynamoDB's maximum. */
	char pk[2049], sk[1025];
	memset(pk, 'p', 2048);
	pk[2048] = '\0';
	memset(sk, 's', 1024);
	sk[1024] = '\0';
	json_t *lk = json_pack("{s{ss}s{ss}}", "itemID", "S", pk, "sort", "S", sk);
	aws_buf b = AWS_BUF_INIT;
	aws_error err;
	assert_int_equal(srv_cursor_encode(&key1, lk, "", &b, &err), 0);
	json_t *back = NULL;
	assert_int_equal(srv_cursor_decode(&key1, b.data, "", &back, &err), 0);
	assert_true(json_equal(lk, back));
	json_decref(back);
	json_decref(lk);
	aws_buf_free(&b);
}

static void random_keys_differ(void **state)
{
	(void)state;
	srv_cursor_key a, b;
	aws_error err;
	assert_int_equal(srv_cursor_key_random(&a, &err), 0);
	assert_int_equal(srv_cursor_key_random(&b, &err), 0);
	assert_memory_not_equal(a.k, b.k, sizeof a.k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_returns_the_same_key),
		cmocka_unit_test(null_q_is_the_same_as_empty_q),
		cmocka_unit_test(cursor_uses_only_url_safe_characters),
		cmocka_unit_test(every_tampered_character_is_invalid),
		cmocka_unit_test(cursor_from_another_key_is_invalid),
		cmocka_unit_test(cursor_with_another_filter_is_invalid),
		cmocka_unit_test(truncated_cursor_is_invalid),
		cmocka_unit_test(empty_cursor_is_invalid),
		cmocka_unit_test(oversized_cursor_is_invalid),
		cmocka_unit_test(bad_base64_is_invalid),
		cmocka_unit_test(key_too_large_for_a_link_is_refused_when_encoding),
		cmocka_unit_test(largest_dynamodb_key_fits_in_a_cursor),
		cmocka_unit_test(random_keys_differ),
	};
	return cmocka_run_group_tests_name("cursor", tests, setup, NULL);
}

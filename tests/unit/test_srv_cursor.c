/* test_srv_cursor.c — next-page cursors (srv_cursor): they round-trip the key, are URL-safe, and
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
#include "aws_crypto.h"

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

/* Decodes cursor with k and q and checks it holds want (which it releases). */
static void expect_key(const srv_cursor_key *k, const char *cursor, const char *q, json_t *want)
{
	json_t *lk = NULL;
	aws_error err;
	assert_int_equal(srv_cursor_decode(k, cursor, q, &lk, &err), 0);
	assert_true(json_equal(lk, want));
	json_decref(lk);
	json_decref(want);
}

/* Encodes lk (released here) with key1 and q, checks that it decodes to lk; returns the
 * cursor's length. */
static size_t round_trip(json_t *lk, const char *q)
{
	assert_non_null(lk);
	aws_buf b = AWS_BUF_INIT;
	aws_error err;
	assert_int_equal(srv_cursor_encode(&key1, lk, q, &b, &err), 0);
	size_t n = b.len;
	expect_key(&key1, b.data, q, lk);
	aws_buf_free(&b);
	return n;
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
	expect_key(&key1, c, "item", sample_key());
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
	/* DynamoDB's maximum: 255-byte attribute names, a 2048-byte partition key and a 1024-byte
	 * sort key, as B (binary) values, whose base64 text is the longest form of a key. */
	char pn[256], sn[256], pk[2733], sk[1369];
	memset(pn, 'p', 255);
	pn[255] = '\0';
	memset(sn, 's', 255);
	sn[255] = '\0';
	memset(pk, 'Q', 2732);   /* base64 of 2049 bytes' worth: more than 2048 */
	pk[2732] = '\0';
	memset(sk, 'R', 1368);
	sk[1368] = '\0';
	assert_true(round_trip(json_pack("{s{ss}s{ss}}", pn, "B", pk, sn, "B", sk), "") <= SRV_CURSOR_MAX);
}

/* A cursor with a valid MAC over any payload, made as the server makes them (version 0x02 ‖
 * payload ‖ HMAC over version, be32 len q, q, payload; base64url), to show that the
 * payload is checked even when the signature is right. */
static char *forge(const srv_cursor_key *k, const uint8_t *payload, size_t len)
{
	uint8_t raw[600], m[600];
	assert_true(len + 40 < sizeof raw);
	m[0] = raw[0] = 0x02;
	memset(m + 1, 0, 4);   /* q = "" */
	memcpy(m + 5, payload, len);
	memcpy(raw + 1, payload, len);
	aws_hmac_sha256(k->k, sizeof k->k, m, 5 + len, raw + 1 + len);
	char *b64 = malloc(1000);
	size_t n = aws_base64_encode(raw, 1 + len + 32, b64, 1000);
	assert_true(n > 0);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	b64[n] = '\0';
	return b64;
}

static void forged_payload_decodes_when_well_formed(void **state)
{
	(void)state;
	/* the check of forge() itself: a well-formed payload gives the key back */
	static const uint8_t ok[] = {6, 'i', 't', 'e', 'm', 'I', 'D', 'S', 0, 2, 'h', 'i'};
	char *c = forge(&key1, ok, sizeof ok);
	expect_key(&key1, c, "", json_pack("{s{ss}}", "itemID", "S", "hi"));
	free(c);
}

static void malformed_payload_with_a_good_signature_is_invalid(void **state)
{
	(void)state;
	static const struct { const char *why; uint8_t p[16]; size_t n; } bad[] = {
		{"type letter not S, N or B", {6, 'i', 't', 'e', 'm', 'I', 'D', 'X', 0, 2, 'h', 'i'}, 12},
		{"value longer than the payload", {6, 'i', 't', 'e', 'm', 'I', 'D', 'S', 0, 3, 'h', 'i'}, 12},
		{"name cut short", {9, 'i', 't', 'e', 'm'}, 5},
		{"empty name", {0, 'S', 0, 1, 'x'}, 5},
		{"name with a NUL", {2, 'a', 0, 'S', 0, 1, 'x'}, 7},
		{"same name twice", {1, 'a', 'S', 0, 1, 'x', 1, 'a', 'N', 0, 1, '1'}, 12},
		{"value not UTF-8", {1, 'a', 'S', 0, 2, 0xc3, 0x28}, 7},
		{"trailing byte", {1, 'a', 'S', 0, 1, 'x', 7}, 7},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *c = forge(&key1, bad[i].p, bad[i].n);
		print_message("%s\n", bad[i].why);
		expect_invalid(&key1, c, "");
		free(c);
	}
}

static void keys_of_every_key_type_round_trip(void **state)
{
	(void)state;
	char nul_and_controls[] = "a\0b\x01\x1f\"\\\x7f<\u00fc>";
	json_t *keys[] = {
		json_pack("{s{ss}s{ss}}", "pk", "N", "-12345678901234567890.000000000000000001", "sk", "B", "AAEC/w=="),
		json_pack("{s{s:s%}}", "itemID", "S", nul_and_controls, sizeof nul_and_controls - 1),
		json_pack("{s{ss}}", "ünï", "S", ""),
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		round_trip(keys[i], "q");
}

static void cursor_length_follows_the_key_bytes_not_its_escaping(void **state)
{
	(void)state;
	/* 2048 bytes (DynamoDB's largest partition key) that JSON would escape 2x and 6x */
	const char fill[] = {'"', '\x01'};
	for (size_t f = 0; f < sizeof fill; f++) {
		char pk[2049];
		memset(pk, fill[f], 2048);
		pk[2048] = '\0';
		/* fits a URL in the default 8 KiB request */
		assert_true(round_trip(json_pack("{s{ss}}", "itemID", "S", pk), "") <= 2900);
	}
}

static void keys_this_format_cannot_hold_are_refused_when_encoding(void **state)
{
	(void)state;
	char longname[257];
	memset(longname, 'n', 256);
	longname[256] = '\0';
	json_t *keys[] = {
		json_pack("{s{sb}}", "itemID", "BOOL", 1),
		json_pack("{s{ssss}}", "itemID", "S", "a", "N", "1"),
		json_pack("{s{}}", "itemID"),
		json_pack("{s{si}}", "itemID", "N", 1),
		json_pack("{s{ss}}", longname, "S", "a"),
		json_pack("{s{ss}}", "", "S", "a"),
		json_pack("{si}", "itemID", 1),
		json_object(),
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		assert_non_null(keys[i]);
		aws_buf b = AWS_BUF_INIT;
		aws_error err;
		assert_int_equal(srv_cursor_encode(&key1, keys[i], "", &b, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		assert_int_equal(b.len, 0);
		json_decref(keys[i]);
		aws_buf_free(&b);
	}
}

/* DynamoDB's LastEvaluatedKey as text, with a type name the format has no letter for: an
 * empty one (a one-byte key in jansson's table, read past its end when only the letter was
 * looked at) or a longer one. */
static void key_types_of_other_lengths_are_refused_without_reading_past_them(void **state)
{
	(void)state;
	static const char *texts[] = {
		"{\"itemID\":{\"\":\"x\"}}",
		"{\"itemID\":{\"SS\":\"x\"}}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *lk = json_loads(texts[i], JSON_ALLOW_NUL, NULL);
		assert_non_null(lk);
		aws_buf b = AWS_BUF_INIT;
		aws_error err;
		assert_int_equal(srv_cursor_encode(&key1, lk, "", &b, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		json_decref(lk);
		aws_buf_free(&b);
	}
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
		cmocka_unit_test(forged_payload_decodes_when_well_formed),
		cmocka_unit_test(malformed_payload_with_a_good_signature_is_invalid),
		cmocka_unit_test(keys_of_every_key_type_round_trip),
		cmocka_unit_test(cursor_length_follows_the_key_bytes_not_its_escaping),
		cmocka_unit_test(keys_this_format_cannot_hold_are_refused_when_encoding),
		cmocka_unit_test(key_types_of_other_lengths_are_refused_without_reading_past_them),
		cmocka_unit_test(random_keys_differ),
	};
	return cmocka_run_group_tests_name("cursor", tests, setup, NULL);
}

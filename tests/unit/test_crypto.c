/* test_crypto.c — HMAC-SHA-256, prepared (aws_hmac_key) and one-shot, and SHA-256: RFC 4231's
 * and FIPS 180-2's test vectors, long keys hashed first, many threads signing at once, and
 * how many allocations a hash costs (counted through libcrypto's memory
 * hooks, installed before libcrypto allocates anything). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cmocka.h>
#include <openssl/crypto.h>
#include "aws_crypto.h"

static atomic_long n_allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file; (void)line;
	atomic_fetch_add(&n_allocs, 1);
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file; (void)line;
	atomic_fetch_add(&n_allocs, 1);
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file; (void)line;
	free(p);
}

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* RFC 4231 section 4, HMAC-SHA-256 results. Case 5 is truncated to 128 bits by the RFC. */
typedef struct vector {
	const char *key_hex;   /* NULL: key is fill repeated key_len times */
	uint8_t fill;
	size_t key_len;
	const char *data;      /* text, or NULL: data is dfill repeated data_len times */
	uint8_t dfill;
	size_t data_len;
	const char *mac_hex;
} vector;

static const vector RFC4231[] = {
	{NULL, 0x0b, 20, "Hi There", 0, 0,
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"4a656665", 0, 0, "what do ya want for nothing?", 0, 0,
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{NULL, 0xaa, 20, NULL, 0xdd, 50,
	 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, 0xcd, 50,
	 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{NULL, 0x0c, 20, "Test With Truncation", 0, 0, "a3b6167473100ee06e0c796c2955552b"},
	{NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{NULL, 0xaa, 131,
	 "This is a test using a larger than block-size key and a larger than block-size data. "
	 "The key needs to be hashed before being used by the HMAC algorithm.", 0, 0,
	 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

static void rfc4231_vectors_match_prepared_and_one_shot(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof RFC4231 / sizeof RFC4231[0]; i++) {
		const vector *v = &RFC4231[i];
		uint8_t key[200], data[200], want[32], one[32], prep[32];
		size_t kl = v->key_hex ? unhex(v->key_hex, key) : v->key_len;
		if (!v->key_hex)
			memset(key, v->fill, kl);
		size_t dl = v->data ? strlen(v->data) : v->data_len;
		if (v->data)
			memcpy(data, v->data, dl);
		else
			memset(data, v->dfill, dl);
		size_t wl = unhex(v->mac_hex, want);

		aws_hmac_sha256(key, kl, data, dl, one);
		aws_hmac_key *k = aws_hmac_key_new(key, kl);
		assert_non_null(k);
		assert_int_equal(aws_hmac_key_sign(k, data, dl, prep), 0);
		/* twice: the second signature starts from the saved states, not from the first's */
		assert_int_equal(aws_hmac_key_sign(k, data, dl, prep), 0);
		aws_hmac_key_free(k);
		printf("RFC 4231 case %zu\n", i + 1);
		assert_memory_equal(one, want, wl);
		assert_memory_equal(prep, want, wl);
		assert_memory_equal(prep, one, sizeof one);
	}
}

static void empty_key_and_empty_data_match_one_shot(void **state)
{
	(void)state;
	uint8_t one[32], prep[32];
	aws_hmac_sha256("", 0, "", 0, one);
	aws_hmac_key *k = aws_hmac_key_new(NULL, 0);
	assert_non_null(k);
	assert_int_equal(aws_hmac_key_sign(k, NULL, 0, prep), 0);
	assert_memory_equal(prep, one, sizeof one);
	aws_hmac_key_free(k);
	aws_hmac_key_free(NULL);
}

static void long_key_is_hashed_first(void **state)
{
	(void)state;
	uint8_t key[100], hashed[32], a[32], b[32];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	aws_sha256(key, sizeof key, hashed);
	aws_hmac_key *lk = aws_hmac_key_new(key, sizeof key);
	aws_hmac_key *hk = aws_hmac_key_new(hashed, sizeof hashed);
	assert_non_null(lk);
	assert_non_null(hk);
	assert_int_equal(aws_hmac_key_sign(lk, "msg", 3, a), 0);
	assert_int_equal(aws_hmac_key_sign(hk, "msg", 3, b), 0);
	assert_memory_equal(a, b, sizeof a);
	aws_hmac_key_free(lk);
	aws_hmac_key_free(hk);

	/* a key of exactly one block (64 bytes) is used as it is, not hashed */
	aws_sha256(key, 64, hashed);
	lk = aws_hmac_key_new(key, 64);
	hk = aws_hmac_key_new(hashed, sizeof hashed);
	assert_int_equal(aws_hmac_key_sign(lk, "msg", 3, a), 0);
	assert_int_equal(aws_hmac_key_sign(hk, "msg", 3, b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	aws_hmac_sha256(key, 64, "msg", 3, b);
	assert_memory_equal(a, b, sizeof a);
	aws_hmac_key_free(lk);
	aws_hmac_key_free(hk);
}

static void caller_key_buffer_can_be_wiped_after_new(void **state)
{
	(void)state;
	uint8_t key[32], want[32], got[32];
	memset(key, 0x42, sizeof key);
	aws_hmac_sha256(key, sizeof key, "abc", 3, want);
	aws_hmac_key *k = aws_hmac_key_new(key, sizeof key);
	assert_non_null(k);
	memset(key, 0, sizeof key);
	assert_int_equal(aws_hmac_key_sign(k, "abc", 3, got), 0);
	assert_memory_equal(got, want, sizeof want);
	aws_hmac_key_free(k);
}

#define THREADS 8
#define PER_THREAD 400

typedef struct job {
	const aws_hmac_key *k;
	const uint8_t *key;
	int id;
	int bad;
} job;

static void *signer(void *arg)
{
	job *j = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char msg[96];
		int n = snprintf(msg, sizeof msg, "Basic thread-%d-message-%d-%0*d", j->id, i, i % 40, 0);
		uint8_t want[32], got[32];
		aws_hmac_sha256(j->key, 32, msg, (size_t)n, want);
		if (aws_hmac_key_sign(j->k, msg, (size_t)n, got) != 0 || memcmp(got, want, 32) != 0)
			j->bad++;
	}
	return NULL;
}

static void many_threads_sign_at_once_correctly(void **state)
{
	(void)state;
	uint8_t key[32];
	assert_int_equal(aws_random_bytes(key, sizeof key), 0);
	aws_hmac_key *k = aws_hmac_key_new(key, sizeof key);
	assert_non_null(k);
	pthread_t t[THREADS];
	job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (job){k, key, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, signer, &jobs[i]), 0);
	}
	int bad = 0;
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		bad += jobs[i].bad;
	}
	assert_int_equal(bad, 0);
	aws_hmac_key_free(k);
}

/* Neither path looks SHA-256 up in the provider or sets up contexts per call (libcrypto's own
 * one-shot HMAC() makes 13 allocations, EVP_Digest 3). What is left on OpenSSL 3.0 is the
 * provider's copy of SHA-256's state each time a hash starts: one per aws_sha256, two per
 * HMAC, prepared (EVP_MD_CTX_copy_ex) or one-shot (EVP_DigestInit_ex2). Newer libcrypto:
 * fewer. */
static void hashing_allocates_only_the_hash_states(void **state)
{
	(void)state;
	uint8_t key[32] = {1}, out[32];
	const char *hdr = "Basic YmVuY2g6YmVuY2gtcGFzc3dvcmQtbm90LXNlY3JldA==";
	aws_hmac_key *k = aws_hmac_key_new(key, sizeof key);
	assert_non_null(k);
	assert_int_equal(aws_hmac_key_sign(k, hdr, strlen(hdr), out), 0);   /* makes the scratch */
	aws_hmac_sha256(key, sizeof key, hdr, strlen(hdr), out);             /* fetches SHA-256 */
	long a0 = atomic_load(&n_allocs);
	for (int i = 0; i < 100; i++)
		assert_int_equal(aws_hmac_key_sign(k, hdr, strlen(hdr), out), 0);
	long prepared = atomic_load(&n_allocs) - a0;
	a0 = atomic_load(&n_allocs);
	for (int i = 0; i < 100; i++)
		aws_hmac_sha256(key, sizeof key, hdr, strlen(hdr), out);
	long one_shot = atomic_load(&n_allocs) - a0;
	a0 = atomic_load(&n_allocs);
	for (int i = 0; i < 100; i++)
		aws_sha256(hdr, strlen(hdr), out);
	long digest = atomic_load(&n_allocs) - a0;
	printf("libcrypto allocations a call: prepared HMAC %.1f, one-shot HMAC %.1f, SHA-256 %.1f\n",
	       prepared / 100.0, one_shot / 100.0, digest / 100.0);
	assert_true(prepared <= 200);
	assert_true(one_shot <= 200);
	assert_true(digest <= 100);
	aws_hmac_key_free(k);
}

/* FIPS 180-2's examples (one block, two blocks, a million bytes) and the empty message. */
static void sha256_vectors(void **state)
{
	(void)state;
	static const struct { const char *text; size_t repeat; const char *hex; } v[] = {
		{"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t len = strlen(v[i].text) * v[i].repeat;
		char *msg = malloc(len + 1);
		assert_non_null(msg);
		for (size_t j = 0; j < v[i].repeat; j++)
			memcpy(msg + j * strlen(v[i].text), v[i].text, strlen(v[i].text));
		char hex[65];
		aws_sha256_hex(msg, len, hex);
		assert_string_equal(hex, v[i].hex);
		free(msg);
	}
}

int main(void)
{
	/* must come before libcrypto's first allocation */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "test_crypto: libcrypto allocated before main; cannot count\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4231_vectors_match_prepared_and_one_shot),
		cmocka_unit_test(empty_key_and_empty_data_match_one_shot),
		cmocka_unit_test(long_key_is_hashed_first),
		cmocka_unit_test(caller_key_buffer_can_be_wiped_after_new),
		cmocka_unit_test(many_threads_sign_at_once_correctly),
		cmocka_unit_test(hashing_allocates_only_the_hash_states),
		cmocka_unit_test(sha256_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

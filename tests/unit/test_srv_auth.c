/* test_srv_auth.c — srv_auth: which htpasswd hashes load, password checks for every supported
 * scheme, malformed Authorization headers, the verified-login cache (and its reset on
 * rotation), and the failed-attempt limiter. Hashes are made here with libcrypt. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crypt.h>
#include <pthread.h>
#include <cmocka.h>
#include "aws_crypto.h"
#include "srv_auth.h"

/* "user:hash\n" for password with the given crypt prefix ("$2b$", "$6$", "$y$", ...). */
static void line_for(char *out, size_t len, const char *user, const char *password, const char *prefix)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	unsigned long cost = strncmp(prefix, "$2", 2) == 0 ? 4 : 0;
	assert_non_null(crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof salt));
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *h = crypt_r(password, salt, &cd);
	assert_non_null(h);
	assert_true(h[0] == '$');
	snprintf(out, len, "%s:%s\n", user, h);
}

static void header_for(char *out, size_t len, const char *userpass)
{
	assert_true(len > 7);
	memcpy(out, "Basic ", 6);
	assert_true(aws_base64_encode(userpass, strlen(userpass), out + 6, len - 6) > 0);
}

static srv_auth *new_auth(long fail_limit)
{
	srv_auth *a = srv_auth_new(16, 300, fail_limit, NULL);
	assert_non_null(a);
	return a;
}

static void every_supported_scheme_verifies_its_password(void **state)
{
	(void)state;
	static const char *prefixes[] = {"$2b$", "$2y$", "$6$", "$5$", "$y$"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		srv_auth *a = new_auth(10);
		char line[512], hdr[256], user[SRV_AUTH_USER_MAX + 1] = "";
		line_for(line, sizeof line, "alice", "pw one", prefixes[i]);
		aws_error e;
		assert_int_equal(srv_auth_load(a, line, strlen(line), "test", NULL, &e), 0);
		header_for(hdr, sizeof hdr, "alice:pw one");
		assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
		assert_string_equal(user, "alice");
		header_for(hdr, sizeof hdr, "alice:pw two");
		assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
		srv_auth_free(a);
	}
}

static void apr1_and_plain_hashes_are_refused_with_how_to(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	aws_error e;
	const char *apr = "bob:$apr1$abcdefgh$0123456789abcdefghijkl\n";
	assert_int_equal(srv_auth_load(a, apr, strlen(apr), "file.htpasswd", NULL, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(e.message, "file.htpasswd line 1"));
	assert_non_null(strstr(e.message, "$apr1$"));
	assert_non_null(strstr(e.message, "htpasswd -nbB"));
	const char *plain = "bob:secret\n";
	assert_int_equal(srv_auth_load(a, plain, strlen(plain), "f", NULL, &e), -1);
	assert_non_null(strstr(e.message, "yescrypt"));
	srv_auth_free(a);
}

static void damaged_duplicate_and_empty_files_are_refused_and_old_users_kept(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	char good[512], hdr[256], user[SRV_AUTH_USER_MAX + 1];
	line_for(good, sizeof good, "alice", "pw", "$6$");
	aws_error e;
	assert_int_equal(srv_auth_load(a, good, strlen(good), "f", NULL, &e), 0);
	const char *damaged = "alice:$6$\n";
	assert_int_equal(srv_auth_load(a, damaged, strlen(damaged), "f", NULL, &e), -1);
	assert_non_null(strstr(e.message, "damaged"));
	char dup[1100];
	snprintf(dup, sizeof dup, "%s%s", good, good);
	assert_int_equal(srv_auth_load(a, dup, strlen(dup), "f", NULL, &e), -1);
	assert_non_null(strstr(e.message, "twice"));
	const char *empty = "# nobody here\n\n";
	assert_int_equal(srv_auth_load(a, empty, strlen(empty), "f", NULL, &e), -1);
	assert_non_null(strstr(e.message, "no users"));
	header_for(hdr, sizeof hdr, "alice:pw");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	srv_auth_free(a);
}

static void comments_blank_lines_and_crlf_are_accepted(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	char l1[512], l2[512], text[1200], hdr[256], user[SRV_AUTH_USER_MAX + 1];
	line_for(l1, sizeof l1, "alice", "a", "$5$");
	line_for(l2, sizeof l2, "bob", "b", "$2y$");
	l1[strlen(l1) - 1] = '\0';
	snprintf(text, sizeof text, "# users\r\n\r\n%s\r\n%s", l1, l2);
	assert_int_equal(srv_auth_load(a, text, strlen(text), "f", NULL, NULL), 0);
	assert_int_equal(srv_auth_user_count(a), 2);
	header_for(hdr, sizeof hdr, "bob:b");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	assert_string_equal(user, "bob");
	srv_auth_free(a);
}

static void malformed_headers_are_told_apart_from_wrong_passwords(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	char line[512], user[SRV_AUTH_USER_MAX + 1], hdr[256];
	line_for(line, sizeof line, "alice", "pw", "$6$");
	assert_int_equal(srv_auth_load(a, line, strlen(line), "f", NULL, NULL), 0);
	assert_int_equal(srv_auth_verify(a, NULL, user, sizeof user), SRV_AUTH_MISSING);
	assert_int_equal(srv_auth_verify(a, "Basic !!!", user, sizeof user), SRV_AUTH_MALFORMED);
	assert_int_equal(srv_auth_verify(a, "Bearer abc", user, sizeof user), SRV_AUTH_MALFORMED);
	header_for(hdr, sizeof hdr, "no-colon");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_MALFORMED);
	header_for(hdr, sizeof hdr, ":pw");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_MALFORMED);
	char huge[SRV_AUTH_HEADER_MAX + 100];
	memset(huge, 'A', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	memcpy(huge, "Basic ", 6);
	assert_int_equal(srv_auth_verify(a, huge, user, sizeof user), SRV_AUTH_MALFORMED);
	header_for(hdr, sizeof hdr, "mallory:pw");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
	srv_auth_free(a);
}

static void a_verified_login_is_cached_and_rotation_forgets_it(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	char line[512], hdr[256], user[SRV_AUTH_USER_MAX + 1] = "";
	line_for(line, sizeof line, "alice", "old", "$6$");
	assert_int_equal(srv_auth_load(a, line, strlen(line), "f", NULL, NULL), 0);
	header_for(hdr, sizeof hdr, "alice:old");
	assert_int_equal(srv_auth_cached(a, hdr, user, sizeof user), 0);
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	user[0] = '\0';
	assert_int_equal(srv_auth_cached(a, hdr, user, sizeof user), 1);
	assert_string_equal(user, "alice");
	int changed = -1;
	assert_int_equal(srv_auth_load(a, line, strlen(line), "f", &changed, NULL), 0);
	assert_int_equal(changed, 0);                           /* same text: cache kept */
	assert_int_equal(srv_auth_cached(a, hdr, user, sizeof user), 1);
	line_for(line, sizeof line, "alice", "new", "$6$");
	assert_int_equal(srv_auth_load(a, line, strlen(line), "f", &changed, NULL), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(srv_auth_cached(a, hdr, user, sizeof user), 0);
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
	srv_auth_free(a);
}

static void the_cache_stays_bounded_under_many_logins(void **state)
{
	(void)state;
	srv_auth *a = srv_auth_new(4, 300, 1000, NULL);
	char text[4096] = "", line[512], hdr[256], user[SRV_AUTH_USER_MAX + 1];
	for (int i = 0; i < 12; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		line_for(line, sizeof line, name, "pw", "$5$");
		strcat(text, line);
	}
	assert_int_equal(srv_auth_load(a, text, strlen(text), "f", NULL, NULL), 0);
	int cached = 0;
	for (int i = 0; i < 12; i++) {
		char up[32];
		snprintf(up, sizeof up, "u%d:pw", i);
		header_for(hdr, sizeof hdr, up);
		assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	}
	for (int i = 0; i < 12; i++) {
		char up[32];
		snprintf(up, sizeof up, "u%d:pw", i);
		header_for(hdr, sizeof hdr, up);
		cached += srv_auth_cached(a, hdr, user, sizeof user);
	}
	assert_true(cached >= 1 && cached <= 4);
	srv_auth_free(a);
}

/* Threads that call srv_auth_verify with the same header at the same moment. */
typedef struct burst {
	srv_auth *a;
	const char *hdr;
	pthread_barrier_t *go;
	srv_auth_result r;
	char user[SRV_AUTH_USER_MAX + 1];
} burst;

static void *burst_main(void *arg)
{
	burst *b = arg;
	pthread_barrier_wait(b->go);
	b->r = srv_auth_verify(b->a, b->hdr, b->user, sizeof b->user);
	return NULL;
}

static void run_burst(srv_auth *a, const char *hdr, burst *bs, int n)
{
	pthread_t t[16];
	pthread_barrier_t go;
	assert_true(n <= 16);
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		bs[i] = (burst){.a = a, .hdr = hdr, .go = &go};
		assert_int_equal(pthread_create(&t[i], NULL, burst_main, &bs[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
}

static void a_burst_of_the_same_login_hashes_the_password_once(void **state)
{
	(void)state;
	srv_auth *a = new_auth(100);
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], line[512], hdr[256];
	/* cost 10: each hash takes tens of milliseconds, so the eight calls overlap */
	assert_non_null(crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof salt));
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	snprintf(line, sizeof line, "alice:%s\n", crypt_r("right", salt, &cd));
	aws_error e;
	assert_int_equal(srv_auth_load(a, line, strlen(line), "test", NULL, &e), 0);
	burst bs[8];
	header_for(hdr, sizeof hdr, "alice:right");
	run_burst(a, hdr, bs, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(bs[i].r, SRV_AUTH_OK);
		assert_string_equal(bs[i].user, "alice");
	}
	assert_int_equal(srv_auth_hash_count(a), 1);
	/* a wrong password is never taken from another call: each one is checked */
	header_for(hdr, sizeof hdr, "alice:wrong");
	run_burst(a, hdr, bs, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bs[i].r, SRV_AUTH_WRONG);
	assert_int_equal(srv_auth_hash_count(a), 1 + 4);
	srv_auth_free(a);
}

static void failed_attempts_block_a_client_after_the_limit(void **state)
{
	(void)state;
	srv_auth *a = new_auth(3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(srv_auth_client_blocked(a, "192.0.2.1"), 0);
		srv_auth_client_failed(a, "192.0.2.1");
	}
	assert_int_equal(srv_auth_client_blocked(a, "192.0.2.1"), 1);
	assert_int_equal(srv_auth_client_blocked(a, "192.0.2.2"), 0);
	for (int i = 0; i < 10000; i++) {   /* many other clients cannot grow the table */
		char c[32];
		snprintf(c, sizeof c, "10.%d.%d.1", i / 250, i % 250);
		srv_auth_client_failed(a, c);
	}
	srv_auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_supported_scheme_verifies_its_password),
		cmocka_unit_test(apr1_and_plain_hashes_are_refused_with_how_to),
		cmocka_unit_test(damaged_duplicate_and_empty_files_are_refused_and_old_users_kept),
		cmocka_unit_test(comments_blank_lines_and_crlf_are_accepted),
		cmocka_unit_test(malformed_headers_are_told_apart_from_wrong_passwords),
		cmocka_unit_test(a_verified_login_is_cached_and_rotation_forgets_it),
		cmocka_unit_test(the_cache_stays_bounded_under_many_logins),
		cmocka_unit_test(a_burst_of_the_same_login_hashes_the_password_once),
		cmocka_unit_test(failed_attempts_block_a_client_after_the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

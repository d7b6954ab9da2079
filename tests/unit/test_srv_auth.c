/* test_srv_auth.c — srv_auth: which htpasswd hashes load, password checks for every supported
 * scheme, malformed Authorization headers, the verified-login cache (and its reset on
 * rotation), the attempt limiter and the limits on checks at once. Hashes are made here with
 * libcrypt. crypt_r and aws_ct_equal are wrapped (below) so the tests see which hash an
 * unknown user is checked against and that hashes are compared in constant time. */
/* link: -Wl,--wrap=crypt_r -Wl,--wrap=aws_ct_equal */
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

/* The seams: every crypt_r call records its settings, every aws_ct_equal call its length. */
static char last_setting[256];
static long ct_calls_of_len[128];
char *__real_crypt_r(const char *phrase, const char *setting, struct crypt_data *data);
char *__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data);
char *__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	snprintf(last_setting, sizeof last_setting, "%s", setting);
	return __real_crypt_r(phrase, setting, data);
}
int __real_aws_ct_equal(const void *a, const void *b, size_t n);
int __wrap_aws_ct_equal(const void *a, const void *b, size_t n);
int __wrap_aws_ct_equal(const void *a, const void *b, size_t n)
{
	if (n < sizeof ct_calls_of_len / sizeof ct_calls_of_len[0])
		__atomic_add_fetch(&ct_calls_of_len[n], 1, __ATOMIC_RELAXED);
	return __real_aws_ct_equal(a, b, n);
}

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

/* A cost that makes each check take seconds to days, or hundreds of MiB, is refused at load
 * — without running it (crypt_r at bcrypt cost 31 would not return today; yescrypt at
 * N=2^18, r=32 takes 1 GiB) — naming the line and the most accepted. */
static void hashes_too_costly_to_check_are_refused_at_load(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	static const struct {
		const char *line, *limit;
	} cases[] = {
		{"alice:$2b$31$abcdefghijklmnopqrstuu5Nj8pNLuKc5nOzZwhKMYeS9g2kL2Uq\n", "most accepted is 14"},
		{"alice:$2y$15$abcdefghijklmnopqrstuu5Nj8pNLuKc5nOzZwhKMYeS9g2kL2Uq\n", "most accepted is 14"},
		{"alice:$6$rounds=999999999$saltsalt$abc\n", "most accepted is 5000000"},
		{"alice:$5$rounds=5000001$saltsalt$abc\n", "most accepted is 5000000"},
		/* yescrypt N=2^18 r=32 (mkpasswd -R 11); N=2^30; N=2^12 r=32 with p=6; with t=3 */
		{"alice:$y$jFT$4PFRB3IIK0SZmdriDWEUp0$hIpAGNWqBCnPRsVok31d5Cw23yyhSSlYdmt1/6KkMHC\n", "2^19"},
		{"alice:$y$jR.$4PFRB3IIK0SZmdriDWEUp0$hIpAGNWqBCnPRsVok31d5Cw23yyhSSlYdmt1/6KkMHC\n", "2^19"},
		{"alice:$y$j9T.2$4PFRB3IIK0SZmdriDWEUp0$hIpAGNWqBCnPRsVok31d5Cw23yyhSSlYdmt1/6KkMHC\n", "2^19"},
		{"alice:$y$j9T/1$4PFRB3IIK0SZmdriDWEUp0$hIpAGNWqBCnPRsVok31d5Cw23yyhSSlYdmt1/6KkMHC\n", "2^19"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		aws_error e;
		last_setting[0] = '\0';
		assert_int_equal(srv_auth_load(a, cases[i].line, strlen(cases[i].line), "f", NULL, &e), -1);
		assert_non_null(strstr(e.message, "f line 1 (user \"alice\")"));
		assert_non_null(strstr(e.message, "per login"));
		assert_non_null(strstr(e.message, cases[i].limit));
		assert_string_equal(last_setting, "");   /* refused before any hashing */
	}
	srv_auth_free(a);
}

/* "user:hash\n" for password, hashed by libcrypt with the yescrypt parameters params (as
 * they stand between "$y$" and the salt). */
static void yescrypt_line(char *out, size_t len, const char *params, const char *password)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], setting[CRYPT_GENSALT_OUTPUT_SIZE + 16];
	assert_non_null(crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt));
	snprintf(setting, sizeof setting, "$y$%s%s", params, strchr(salt + 3, '$'));
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	const char *h = crypt_r(password, setting, &cd);
	assert_true(h && h[0] == '$');
	snprintf(out, len, "alice:%s\n", h);
}

/* The yescrypt limit is N·r·p·(t+1) = 2^19 blocks of 128 bytes: N=2^16 with r=8 is exactly
 * that and loads (and verifies); r=9 is one step over and is refused. */
static void yescrypt_at_the_limit_loads_and_just_above_it_is_refused(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	char line[512], hdr[128], user[SRV_AUTH_USER_MAX + 1];
	aws_error e;
	yescrypt_line(line, sizeof line, "jD5", "pw");   /* flavour j, N = 2^(13+3), r = 7+1 */
	assert_int_equal(srv_auth_load(a, line, strlen(line), "f", NULL, &e), 0);
	header_for(hdr, sizeof hdr, "alice:pw");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	char over[512];
	snprintf(over, sizeof over, "%s", line);
	over[strlen("alice:$y$jD")] = '6';   /* r = 9: still a usable hash to libcrypt */
	assert_int_equal(srv_auth_load(a, over, strlen(over), "f", NULL, &e), -1);
	assert_non_null(strstr(e.message, "N=2^16 r=9 p=1 t=0"));
	assert_int_equal(srv_auth_user_count(a), 1);   /* the loaded users stay */
	srv_auth_free(a);
}

/* yescrypt parameters that cannot be read cannot be bounded: refused, not guessed at. */
static void unreadable_yescrypt_parameters_are_refused(void **state)
{
	(void)state;
	srv_auth *a = new_auth(10);
	static const char *lines[] = {"alice:$y$j9\n", "alice:$y$j9T!$salt$hash\n", "alice:$y$$salt$hash\n"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		aws_error e;
		assert_int_equal(srv_auth_load(a, lines[i], strlen(lines[i]), "f", NULL, &e), -1);
		assert_non_null(strstr(e.message, "f line 1"));
	}
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
	/* a wrong password is shared too while its check runs: at most one hash per call */
	header_for(hdr, sizeof hdr, "alice:wrong");
	run_burst(a, hdr, bs, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bs[i].r, SRV_AUTH_WRONG);
	assert_true(srv_auth_hash_count(a) >= 1 + 1 && srv_auth_hash_count(a) <= 1 + 4);
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
	assert_true(srv_auth_clients_tracked(a) <= SRV_AUTH_CLIENTS_MAX);
	assert_true(srv_auth_clients_tracked(a) > SRV_AUTH_CLIENTS_MAX / 2);
	/* ... nor wash a blocked client out of it */
	assert_int_equal(srv_auth_client_blocked(a, "192.0.2.1"), 1);
	srv_auth_free(a);
}

/* An htpasswd with alice:right (bcrypt cost 4) and users with wrong headers at hand. */
static srv_auth *auth_with_alice(long fail_limit)
{
	srv_auth *a = new_auth(fail_limit);
	char line[512];
	line_for(line, sizeof line, "alice", "right", "$2b$");
	assert_int_equal(srv_auth_load(a, line, strlen(line), "test", NULL, NULL), 0);
	return a;
}

static void guess(char *hdr, size_t len, int i)
{
	char up[64];
	snprintf(up, sizeof up, "alice:guess-%d", i);
	header_for(hdr, len, up);
}

static void a_parallel_burst_is_held_to_the_limit_as_it_is_admitted(void **state)
{
	(void)state;
	srv_auth *a = auth_with_alice(5);
	srv_auth_set_check_limits(a, 1000, 1000);
	srv_auth_ticket *t[200];
	int admitted = 0, blocked = 0;
	for (int i = 0; i < 200; i++) {   /* all arrive before any check has run */
		char hdr[128];
		guess(hdr, sizeof hdr, i);
		srv_auth_admission r = srv_auth_admit(a, "192.0.2.9", hdr, &t[i]);
		admitted += r == SRV_AUTH_ADMITTED;
		blocked += r == SRV_AUTH_BLOCKED;
		if (r != SRV_AUTH_ADMITTED)
			assert_null(t[i]);
	}
	assert_int_equal(admitted, 5);
	assert_int_equal(blocked, 195);
	for (int i = 0; i < 5; i++) {
		char hdr[128], user[SRV_AUTH_USER_MAX + 1];
		guess(hdr, sizeof hdr, i);
		assert_int_equal(srv_auth_check(a, &t[i], hdr, user, sizeof user), SRV_AUTH_WRONG);
		assert_null(t[i]);
	}
	assert_int_equal(srv_auth_hash_count(a), 5);
	assert_int_equal(srv_auth_client_blocked(a, "192.0.2.9"), 1);
	assert_int_equal(srv_auth_client_blocked(a, "192.0.2.10"), 0);
	srv_auth_free(a);
}

static void checks_at_once_are_capped_per_client_and_in_total(void **state)
{
	(void)state;
	srv_auth *a = auth_with_alice(100);
	srv_auth_set_check_limits(a, 2, 3);
	srv_auth_ticket *t[6] = {0};
	char hdr[6][128];
	for (int i = 0; i < 6; i++)
		guess(hdr[i], sizeof hdr[i], i);
	assert_int_equal(srv_auth_admit(a, "A", hdr[0], &t[0]), SRV_AUTH_ADMITTED);
	assert_int_equal(srv_auth_admit(a, "A", hdr[1], &t[1]), SRV_AUTH_ADMITTED);
	assert_int_equal(srv_auth_admit(a, "A", hdr[2], &t[2]), SRV_AUTH_CLIENT_BUSY);
	assert_null(t[2]);
	assert_int_equal(srv_auth_admit(a, "B", hdr[3], &t[3]), SRV_AUTH_ADMITTED);
	assert_int_equal(srv_auth_admit(a, "C", hdr[4], &t[4]), SRV_AUTH_BUSY);
	assert_null(t[4]);
	/* the same header as one admitted shares its check: no slot needed */
	assert_int_equal(srv_auth_admit(a, "C", hdr[3], &t[5]), SRV_AUTH_ADMITTED);
	char user[SRV_AUTH_USER_MAX + 1];
	assert_int_equal(srv_auth_check(a, &t[0], hdr[0], user, sizeof user), SRV_AUTH_WRONG);
	assert_int_equal(srv_auth_admit(a, "C", hdr[4], &t[4]), SRV_AUTH_ADMITTED);
	srv_auth_release(a, &t[1]);
	assert_null(t[1]);
	assert_int_equal(srv_auth_admit(a, "A", hdr[2], &t[2]), SRV_AUTH_ADMITTED);
	for (int i = 2; i < 6; i++)
		assert_int_equal(srv_auth_check(a, &t[i], hdr[i], user, sizeof user), SRV_AUTH_WRONG);
	assert_int_equal(srv_auth_hash_count(a), 1 + 3);   /* t[5] took t[3]'s answer */
	srv_auth_free(a);
}

static void attempts_that_succeed_or_never_run_are_given_back(void **state)
{
	(void)state;
	srv_auth *a = auth_with_alice(2);
	char right[128], wrong[128], user[SRV_AUTH_USER_MAX + 1];
	header_for(right, sizeof right, "alice:right");
	srv_auth_ticket *t;
	for (int i = 0; i < 3; i++) {   /* never run: e.g. the request was refused for its size */
		guess(wrong, sizeof wrong, i);
		assert_int_equal(srv_auth_admit(a, "C", wrong, &t), SRV_AUTH_ADMITTED);
		srv_auth_release(a, &t);
	}
	assert_int_equal(srv_auth_admit(a, "C", right, &t), SRV_AUTH_ADMITTED);
	assert_int_equal(srv_auth_check(a, &t, right, user, sizeof user), SRV_AUTH_OK);
	assert_string_equal(user, "alice");
	assert_int_equal(srv_auth_client_blocked(a, "C"), 0);
	for (int i = 0; i < 2; i++) {
		guess(wrong, sizeof wrong, 10 + i);
		assert_int_equal(srv_auth_admit(a, "C", wrong, &t), SRV_AUTH_ADMITTED);
		assert_int_equal(srv_auth_check(a, &t, wrong, user, sizeof user), SRV_AUTH_WRONG);
	}
	assert_int_equal(srv_auth_client_blocked(a, "C"), 1);
	guess(wrong, sizeof wrong, 99);
	assert_int_equal(srv_auth_admit(a, "C", wrong, &t), SRV_AUTH_BLOCKED);
	srv_auth_free(a);
}

/* bcrypt hash of password at cost, as "user:hash\n". */
static void bcrypt_line(char *out, size_t len, const char *user, const char *password, unsigned long cost)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	assert_non_null(crypt_gensalt_rn("$2b$", cost, NULL, 0, salt, sizeof salt));
	struct crypt_data cd;
	memset(&cd, 0, sizeof cd);
	snprintf(out, len, "%s:%s\n", user, crypt_r(password, salt, &cd));
}

static void unknown_users_are_checked_against_a_dummy_of_the_highest_cost(void **state)
{
	(void)state;
	srv_auth *a = new_auth(100);
	char l1[256], l2[256], text[600], hdr[128], user[SRV_AUTH_USER_MAX + 1];
	bcrypt_line(l1, sizeof l1, "alice", "a", 4);
	bcrypt_line(l2, sizeof l2, "bob", "b", 9);
	snprintf(text, sizeof text, "%s%s", l1, l2);
	assert_int_equal(srv_auth_load(a, text, strlen(text), "test", NULL, NULL), 0);
	long before = srv_auth_hash_count(a);
	header_for(hdr, sizeof hdr, "mallory:b");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
	assert_int_equal(srv_auth_hash_count(a), before + 1);
	assert_memory_equal(last_setting, "$2b$09$", 7);        /* bob's cost, not alice's */
	l2[strlen(l2) - 1] = '\0';
	assert_string_not_equal(last_setting, strchr(l2, ':') + 1);   /* not bob's own hash */
	/* the users change: so does the dummy */
	assert_int_equal(srv_auth_load(a, l1, strlen(l1), "test", NULL, NULL), 0);
	header_for(hdr, sizeof hdr, "mallory:c");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
	assert_memory_equal(last_setting, "$2b$04$", 7);
	srv_auth_free(a);
}

static void password_hashes_are_compared_in_constant_time(void **state)
{
	(void)state;
	srv_auth *a = auth_with_alice(100);
	char hdr[128], user[SRV_AUTH_USER_MAX + 1];
	const size_t bcrypt_len = 60;
	long before = ct_calls_of_len[bcrypt_len];
	header_for(hdr, sizeof hdr, "alice:wrong");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_WRONG);
	assert_int_equal(ct_calls_of_len[bcrypt_len], before + 1);
	header_for(hdr, sizeof hdr, "alice:right");
	assert_int_equal(srv_auth_verify(a, hdr, user, sizeof user), SRV_AUTH_OK);
	assert_int_equal(ct_calls_of_len[bcrypt_len], before + 2);
	srv_auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_supported_scheme_verifies_its_password),
		cmocka_unit_test(apr1_and_plain_hashes_are_refused_with_how_to),
		cmocka_unit_test(damaged_duplicate_and_empty_files_are_refused_and_old_users_kept),
		cmocka_unit_test(hashes_too_costly_to_check_are_refused_at_load),
		cmocka_unit_test(yescrypt_at_the_limit_loads_and_just_above_it_is_refused),
		cmocka_unit_test(unreadable_yescrypt_parameters_are_refused),
		cmocka_unit_test(comments_blank_lines_and_crlf_are_accepted),
		cmocka_unit_test(malformed_headers_are_told_apart_from_wrong_passwords),
		cmocka_unit_test(a_verified_login_is_cached_and_rotation_forgets_it),
		cmocka_unit_test(the_cache_stays_bounded_under_many_logins),
		cmocka_unit_test(a_burst_of_the_same_login_hashes_the_password_once),
		cmocka_unit_test(failed_attempts_block_a_client_after_the_limit),
		cmocka_unit_test(a_parallel_burst_is_held_to_the_limit_as_it_is_admitted),
		cmocka_unit_test(checks_at_once_are_capped_per_client_and_in_total),
		cmocka_unit_test(attempts_that_succeed_or_never_run_are_given_back),
		cmocka_unit_test(unknown_users_are_checked_against_a_dummy_of_the_highest_cost),
		cmocka_unit_test(password_hashes_are_compared_in_constant_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

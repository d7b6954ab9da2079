/* test_creds.c — unit tests of the credentials chain: environment, profile files,
 * credential_process output, the "nothing found" message, the refresh-ahead cache with an
 * injected clock and under threads, the pure parsers of ECS/IMDS/STS/SSO answers, and the
 * role credential cache shared with the AWS CLI.
 * No network: the HTTP sources are exercised in tests/integration/test_creds.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws_creds.h"
#include "aws_creds_internal.h"

#define FAKE_SECRET "FAKE-secret-for-tests-wJalrXUtnFEMI-EXAMPLEKEY"

static char tmpdir[256];
static char datadir[512];

/* ---- the injected clock (read from several threads) ---- */
static time_t fake_now_v;
static time_t fake_now(void) { return __atomic_load_n(&fake_now_v, __ATOMIC_SEQ_CST); }
static void set_now(time_t t) { __atomic_store_n(&fake_now_v, t, __ATOMIC_SEQ_CST); }

/* 2030-01-01T00:00:00Z; the counter process's credentials expire an hour later. */
#define T0 ((time_t)1893456000)
#define EXP_STR "2030-01-01T01:00:00Z"
#define EXP (T0 + 3600)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void path_in_tmp(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", tmpdir, name);
}

/* Every test starts from an environment with no AWS settings and files in tmpdir. */
static int setup(void **state)
{
	(void)state;
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	char p[512];
	path_in_tmp(p, sizeof p, "config");
	setenv("AWS_CONFIG_FILE", p, 1);
	unlink(p);
	path_in_tmp(p, sizeof p, "credentials");
	setenv("AWS_SHARED_CREDENTIALS_FILE", p, 1);
	unlink(p);
	path_in_tmp(p, sizeof p, "count");
	unlink(p);
	path_in_tmp(p, sizeof p, "count.fail");
	unlink(p);
	setenv("HOME", tmpdir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	set_now(T0);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	const char *d = getenv("SHOWTABLE_TESTDATA");
	snprintf(datadir, sizeof datadir, "%s/creds", d ? d : "tests/data");
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_creds.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void copy_data(const char *name, const char *env)
{
	char src[800], cmd[2000];
	snprintf(src, sizeof src, "%s/%s", datadir, name);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, getenv(env));
	assert_int_equal(system(cmd), 0);
}

/* A config file with a credential_process profile "proc" using counter_process.sh. */
static void write_process_profile(const char *expiration)
{
	char text[2048], count[512];
	path_in_tmp(count, sizeof count, "count");
	snprintf(text, sizeof text,
		 "[profile proc]\ncredential_process = sh '%s/counter_process.sh' '%s' %s 2>/dev/null\n",
		 datadir, count, expiration);
	write_file(getenv("AWS_CONFIG_FILE"), text);
}

static int process_runs(void)
{
	char p[512];
	path_in_tmp(p, sizeof p, "count");
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	int n = 0;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static void make_refresh_fail(int fail)
{
	char p[512];
	path_in_tmp(p, sizeof p, "count.fail");
	if (fail)
		write_file(p, "");
	else
		unlink(p);
}

static aws_creds_provider *chain(const char *profile)
{
	aws_error e;
	aws_creds_provider *p = aws_creds_provider_default(NULL, profile, NULL, &e);
	assert_non_null(p);
	aws_creds_set_clock(p, fake_now);
	return p;
}

/* A chain that must fail: builds it, asserts aws_creds_get fails, frees it, returns the error. */
static aws_error chain_error(const char *profile)
{
	aws_creds_provider *p = chain(profile);
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), -1);
	aws_creds_provider_free(p);
	return e;
}

/* ------------------------------------------------------------------ time parsing */

static void parse_time_accepts_utc_forms(void **state)
{
	(void)state;
	time_t t;
	assert_int_equal(aws_creds_parse_time("2030-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(aws_creds_parse_time("2030-01-01T00:00:00.359Z", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(aws_creds_parse_time("2030-01-01T02:00:00+02:00", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(aws_creds_parse_time("2029-12-31T23:30:00-0030", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(aws_creds_parse_time("2030-01-01T00:00:00UTC", &t), 0);
	assert_int_equal(t, T0);
	char buf[21];
	aws_creds_format_time(T0, buf);
	assert_string_equal(buf, "2030-01-01T00:00:00Z");
}

static void parse_time_rejects_garbage(void **state)
{
	(void)state;
	time_t t;
	assert_int_equal(aws_creds_parse_time("", &t), -1);
	assert_int_equal(aws_creds_parse_time("tomorrow", &t), -1);
	assert_int_equal(aws_creds_parse_time("2030-13-01T00:00:00Z", &t), -1);
	assert_int_equal(aws_creds_parse_time("2030-01-01T00:00:00Zjunk", &t), -1);
	assert_int_equal(aws_creds_parse_time("1893456000", &t), -1);
}

/* ------------------------------------------------------------------ environment */

static void env_keys_come_first(void **state)
{
	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET, 1);
	setenv("AWS_SESSION_TOKEN", "FAKETOKEN", 1);
	copy_data("credentials_static.ini", "AWS_SHARED_CREDENTIALS_FILE");  /* loses */
	aws_creds_provider *p = chain(NULL);
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.source, "environment");
	assert_string_equal(c.access_key_id, "AKIDEXAMPLE");
	assert_string_equal(c.secret_access_key, FAKE_SECRET);
	assert_string_equal(c.session_token, "FAKETOKEN");
	assert_int_equal(c.expiration, 0);
	aws_creds_provider_free(p);
}

static void named_profile_wins_over_environment_keys(void **state)
{
	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET, 1);
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	aws_creds_provider *p = chain("dev");              /* like --profile dev */
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKIDEXAMPLEDEV");
	aws_creds_provider_free(p);
	setenv("AWS_PROFILE", "dev", 1);                   /* AWS_PROFILE does not override */
	p = chain(NULL);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKIDEXAMPLE");
	aws_creds_provider_free(p);
}

static void env_key_without_secret_is_an_error(void **state)
{
	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	aws_error e = chain_error(NULL);
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "AWS_SECRET_ACCESS_KEY is not"));
}

/* ------------------------------------------------------------------ profiles */

static void profile_static_keys_from_credentials_file(void **state)
{
	(void)state;
	copy_data("credentials_static.ini", "AWS_SHARED_CREDENTIALS_FILE");
	aws_creds_provider *p = chain(NULL);
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.source, "profile default");
	assert_string_equal(c.access_key_id, "AKIDEXAMPLE");
	assert_string_equal(c.session_token, "");
	aws_creds_provider_free(p);

	setenv("AWS_PROFILE", "withtoken", 1);
	p = chain(NULL);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKIDEXAMPLETOKEN");
	assert_string_equal(c.session_token, "FAKESESSIONTOKEN");
	aws_creds_provider_free(p);
}

static void profile_static_keys_from_config_file(void **state)
{
	(void)state;
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	aws_creds_provider *p = chain("dev");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.source, "profile dev");
	assert_string_equal(c.access_key_id, "AKIDEXAMPLEDEV");
	aws_creds_provider_free(p);
}

static void profile_with_half_the_keys_is_an_error(void **state)
{
	(void)state;
	copy_data("credentials_static.ini", "AWS_SHARED_CREDENTIALS_FILE");
	aws_error e = chain_error("halfkeys");
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "no aws_secret_access_key"));
}

static void explicit_missing_profile_is_an_error(void **state)
{
	(void)state;
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	setenv("AWS_PROFILE", "nosuch", 1);
	aws_error e = chain_error(NULL);
	assert_non_null(strstr(e.message, "profile \"nosuch\" is not in"));
}

static void malformed_profile_file_is_an_error_naming_it(void **state)
{
	(void)state;
	copy_data("config_malformed.ini", "AWS_CONFIG_FILE");
	aws_error e = chain_error(NULL);
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, getenv("AWS_CONFIG_FILE")));
	assert_non_null(strstr(e.message, ":3"));   /* the line */
}

static void role_arn_without_source_is_an_error(void **state)
{
	(void)state;
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	aws_error e = chain_error("nosource");
	assert_non_null(strstr(e.message, "neither source_profile, credential_source nor web_identity_token_file"));
}

static void source_profile_loop_is_an_error(void **state)
{
	(void)state;
	write_file(getenv("AWS_CONFIG_FILE"),
		   "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
		   "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n");
	aws_error e = chain_error("a");
	assert_non_null(strstr(e.message, "role chain is longer than"));
}

static void sso_profile_without_login_says_run_aws_sso_login(void **state)
{
	(void)state;
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	aws_creds_ctx ctx = {.http = NULL, .region = "", .now = T0};
	aws_credentials c;
	aws_error e;
	char why[256];
	assert_int_equal(aws_creds_from_profile(&ctx, "sso-nologin", 1, &c, why, sizeof why, &e),
			 AWS_CREDS_FAILED);
	assert_non_null(strstr(e.message, "run `aws sso login --sso-session corp`"));
}

/* ------------------------------------------------------------------ nothing found */

static void no_credentials_error_names_every_source(void **state)
{
	(void)state;
	aws_error e = chain_error(NULL);
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "no AWS credentials found"));
	assert_non_null(strstr(e.message, "environment (AWS_ACCESS_KEY_ID not set)"));
	assert_non_null(strstr(e.message, "profile \"default\" (not in "));
	assert_non_null(strstr(e.message, getenv("AWS_SHARED_CREDENTIALS_FILE")));
	assert_non_null(strstr(e.message, getenv("AWS_CONFIG_FILE")));
	assert_non_null(strstr(e.message, "ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
	assert_non_null(strstr(e.message, "EC2 IMDS (disabled by AWS_EC2_METADATA_DISABLED)"));
}

static void profile_without_credentials_is_reported_as_such(void **state)
{
	(void)state;
	copy_data("config_profiles.ini", "AWS_CONFIG_FILE");
	aws_error e = chain_error("regiononly");
	assert_non_null(strstr(e.message, "profile \"regiononly\" (has no aws_access_key_id"));
}

/* ------------------------------------------------------------------ credential_process */

static int parse(const char *json, aws_credentials *c, aws_error *e)
{
	return aws_creds_process_parse(json, strlen(json), T0, c, e);
}

static void process_output_with_all_fields_is_used(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"ASIAFAKE\", \"SecretAccessKey\":"
			       " \"" FAKE_SECRET "\", \"SessionToken\": \"TOK\", \"Expiration\": \""
			       EXP_STR "\"}", &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE");
	assert_string_equal(c.session_token, "TOK");
	assert_int_equal(c.expiration, EXP);
	assert_string_equal(c.source, "credential_process");
	/* Long-term keys: no token, no expiration. */
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"AKIDEXAMPLE\", "
			       "\"SecretAccessKey\": \"s\"}", &c, &e), 0);
	assert_int_equal(c.expiration, 0);
	assert_string_equal(c.session_token, "");
}

static void process_output_bad_json_is_an_error_without_the_text(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	assert_int_equal(parse("{\"Version\": 1, \"SecretAccessKey\": \"" FAKE_SECRET "\",,}", &c,
			       &e), -1);
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "not JSON"));
	assert_null(strstr(e.message, "wJalr"));
	assert_int_equal(parse("", &c, &e), -1);
	assert_non_null(strstr(e.message, "printed nothing"));
	assert_int_equal(parse("[1, 2]", &c, &e), -1);
	assert_non_null(strstr(e.message, "not an object"));
}

static void process_output_version_other_than_1_is_an_error(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	assert_int_equal(parse("{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}",
			       &c, &e), -1);
	assert_non_null(strstr(e.message, "\"Version\" must be the number 1"));
	assert_int_equal(parse("{\"Version\": \"1\", \"AccessKeyId\": \"A\", "
			       "\"SecretAccessKey\": \"s\"}", &c, &e), -1);
	assert_int_equal(parse("{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}", &c, &e), -1);
	assert_non_null(strstr(e.message, "\"Version\": 1 is missing"));
}

static void process_output_missing_fields_is_an_error(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	assert_int_equal(parse("{\"Version\": 1, \"SecretAccessKey\": \"s\"}", &c, &e), -1);
	assert_non_null(strstr(e.message, "AccessKeyId"));
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"A\"}", &c, &e), -1);
	assert_non_null(strstr(e.message, "SecretAccessKey"));
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", "
			       "\"Expiration\": \"soon\"}", &c, &e), -1);
	assert_non_null(strstr(e.message, "Expiration"));
}

static void process_output_already_expired_is_an_error(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	assert_int_equal(parse("{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\", "
			       "\"Expiration\": \"2029-12-31T23:59:59Z\"}", &c, &e), -1);
	assert_non_null(strstr(e.message, "expired at 2029-12-31T23:59:59Z"));
}

static void process_failure_exit_status_is_reported(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	aws_error e;
	assert_int_equal(aws_creds_process_run("exit 7", 5000, 1024, &b, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_IO);
	assert_non_null(strstr(e.message, "status 7"));
	assert_int_equal(aws_creds_process_run("no-such-command-xyz 2>/dev/null", 5000, 1024, &b,
					       &e), -1);
	assert_non_null(strstr(e.message, "127"));
	assert_int_equal(aws_creds_process_run("printf 'a b'", 5000, 1024, &b, &e), 0);
	assert_string_equal(b.data, "a b");
	aws_buf_free(&b);
}

static void process_over_time_limit_is_killed(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	aws_error e;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(aws_creds_process_run("exec sleep 10", 300, 1024, &b, &e), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(strstr(e.message, "did not finish within 300 ms"));
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	aws_buf_free(&b);
}

static void process_over_size_limit_is_killed(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	aws_error e;
	assert_int_equal(aws_creds_process_run("exec yes", 5000, 10000, &b, &e), -1);
	assert_non_null(strstr(e.message, "more than 10000 bytes"));
	aws_buf_free(&b);
}

static void process_profile_goes_through_the_chain(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.source, "credential_process");
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	assert_string_equal(c.session_token, "FAKETOKEN1");
	assert_int_equal(c.expiration, EXP);
	aws_creds_provider_free(p);
}

static void process_failure_names_the_profile(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	make_refresh_fail(1);
	aws_error e = chain_error("proc");
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "profile \"proc\": credential_process"));
	assert_non_null(strstr(e.message, "status 3"));
}

/* ------------------------------------------------------------------ cache and refresh */

static void cached_credentials_are_reused_until_the_refresh_window(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	set_now(EXP - AWS_CREDS_REFRESH_AHEAD_S - 1);      /* 301 s left: still fresh */
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	assert_int_equal(process_runs(), 1);
	set_now(EXP - AWS_CREDS_REFRESH_AHEAD_S + 1);      /* 299 s left: refresh */
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0002");
	assert_int_equal(process_runs(), 2);
	aws_creds_provider_free(p);
}

/* aws_creds_peek answers exactly when aws_creds_get would answer from its cache, and never
 * fetches: nothing before the first fetch, nothing once a refresh is due, the old
 * credentials while a failed refresh waits for its retry time. */
static void peek_answers_only_from_the_cache(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_peek(p, &c), -1);
	assert_int_equal(process_runs(), 0);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	memset(&c, 0, sizeof c);
	assert_int_equal(aws_creds_peek(p, &c), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	set_now(EXP - AWS_CREDS_REFRESH_AHEAD_S + 1);      /* a refresh is due */
	assert_int_equal(aws_creds_peek(p, &c), -1);
	assert_int_equal(process_runs(), 1);
	make_refresh_fail(1);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);      /* refresh failed: old ones, retry later */
	assert_int_equal(aws_creds_peek(p, &c), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	set_now(EXP - AWS_CREDS_REFRESH_AHEAD_S + 1 + AWS_CREDS_RETRY_S);
	assert_int_equal(aws_creds_peek(p, &c), -1);        /* the retry time has come */
	assert_int_equal(process_runs(), 2);
	make_refresh_fail(0);
	aws_creds_provider_free(p);
}

static void failed_refresh_keeps_valid_credentials_and_retries_later(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	make_refresh_fail(1);
	set_now(EXP - 200);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);      /* refresh failed: old ones */
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	assert_int_equal(process_runs(), 2);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);      /* not retried at once */
	assert_int_equal(process_runs(), 2);
	set_now(EXP - 200 + AWS_CREDS_RETRY_S);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);      /* retried, failed again */
	assert_string_equal(c.access_key_id, "ASIAFAKE0001");
	assert_int_equal(process_runs(), 3);
	make_refresh_fail(0);
	set_now(EXP - 200 + 2 * AWS_CREDS_RETRY_S);
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0004");
	aws_creds_provider_free(p);
}

static void expired_credentials_and_failed_refresh_is_an_error(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	make_refresh_fail(1);
	set_now(EXP - AWS_CREDS_EXPIRY_MARGIN_S);           /* too close to expiry to use */
	assert_int_equal(aws_creds_get(p, &c, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
	assert_non_null(strstr(e.message, "credential_process"));
	assert_null(strstr(e.message, "wJalr"));
	aws_creds_provider_free(p);
}

struct thread_arg {
	aws_creds_provider *p;
	int failures;
	int seen1, seen2, other;
};

static void *getter(void *a)
{
	struct thread_arg *t = a;
	for (int i = 0; i < 200; i++) {
		aws_credentials c;
		aws_error e;
		if (aws_creds_get(t->p, &c, &e) != 0) {
			t->failures++;
			continue;
		}
		if (strcmp(c.access_key_id, "ASIAFAKE0001") == 0)
			t->seen1++;
		else if (strcmp(c.access_key_id, "ASIAFAKE0002") == 0)
			t->seen2++;
		else
			t->other++;
	}
	return NULL;
}

static void run_getters(aws_creds_provider *p, struct thread_arg *args, int n)
{
	pthread_t tid[8];
	for (int i = 0; i < n; i++) {
		memset(&args[i], 0, sizeof args[i]);
		args[i].p = p;
		assert_int_equal(pthread_create(&tid[i], NULL, getter, &args[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
}

static void threads_share_one_first_fetch(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	struct thread_arg args[8];
	run_getters(p, args, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(args[i].failures, 0);
		assert_int_equal(args[i].seen1, 200);
	}
	assert_int_equal(process_runs(), 1);       /* one fetch served all 1600 gets */
	aws_creds_provider_free(p);
}

static void threads_keep_using_cached_credentials_during_one_refresh(void **state)
{
	(void)state;
	write_process_profile(EXP_STR);
	aws_creds_provider *p = chain("proc");
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	set_now(EXP - 200);                        /* refresh window, still valid */
	struct thread_arg args[8];
	run_getters(p, args, 8);
	int seen2 = 0;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(args[i].failures, 0);
		assert_int_equal(args[i].other, 0);
		seen2 += args[i].seen2;
	}
	assert_true(seen2 > 0);
	assert_int_equal(process_runs(), 2);       /* exactly one refresh */
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAFAKE0002");
	aws_creds_provider_free(p);
}

static void static_provider_returns_its_credentials(void **state)
{
	(void)state;
	aws_credentials in = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = FAKE_SECRET};
	aws_error e;
	aws_creds_provider *p = aws_creds_provider_static(&in, &e);
	assert_non_null(p);
	aws_credentials c;
	assert_int_equal(aws_creds_get(p, &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKIDEXAMPLE");
	assert_string_equal(c.source, "static");
	aws_creds_provider_free(p);
	aws_credentials empty = {0};
	assert_null(aws_creds_provider_static(&empty, &e));
	assert_int_equal(e.kind, AWS_ERR_INVALID);
}

/* ------------------------------------------------------------------ HTTP sources' parts */

static void ecs_full_uri_allows_only_loopback_and_container_hosts(void **state)
{
	(void)state;
	aws_error e;
	const char *ok[] = {"http://127.0.0.1:8080/creds", "http://127.1.2.3/", "http://[::1]:80/x",
			    "http://localhost/creds", "http://169.254.170.2/v2/credentials/x",
			    "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1",
			    "https://creds.example.com/anything"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		assert_int_equal(aws_creds_ecs_url_allowed(ok[i], &e), 0);
	const char *bad[] = {"http://10.0.0.1/creds", "http://169.254.169.254/latest",
			     "http://192.168.1.10:8080/", "ftp://127.0.0.1/",
			     "http://user@127.0.0.1/", "http:///nohost"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(aws_creds_ecs_url_allowed(bad[i], &e), -1);
		assert_int_equal(e.kind, AWS_ERR_CREDENTIALS);
		assert_non_null(strstr(e.message, "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
	}
}

static void metadata_document_is_parsed(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	const char *ecs = "{\"AccessKeyId\": \"ASIAECS\", \"SecretAccessKey\": \"s\", \"Token\": "
			  "\"T\", \"Expiration\": \"" EXP_STR "\", \"RoleArn\": \"arn:aws:iam::1:role/r\"}";
	assert_int_equal(aws_creds_metadata_parse(ecs, strlen(ecs), "ecs", T0, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAECS");
	assert_string_equal(c.session_token, "T");
	assert_int_equal(c.expiration, EXP);
	assert_string_equal(c.source, "ecs");
	const char *imds_bad = "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"Message\": \"no\"}";
	assert_int_equal(aws_creds_metadata_parse(imds_bad, strlen(imds_bad), "imds", T0, &c, &e), -1);
	assert_non_null(strstr(e.message, "Code=AssumeRoleUnauthorizedAccess"));
	const char *ecs_err = "{\"code\": \"InvalidToken\", \"message\": \"bad token\"}";
	assert_int_equal(aws_creds_metadata_parse(ecs_err, strlen(ecs_err), "ecs", T0, &c, &e), -1);
	assert_non_null(strstr(e.message, "bad token"));
	assert_int_equal(aws_creds_metadata_parse("<html>", 6, "ecs", T0, &c, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_PROTOCOL);
}

static char *read_data(const char *name, size_t *len)
{
	char path[800];
	snprintf(path, sizeof path, "%s/%s", datadir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[16384];
	*len = fread(buf, 1, sizeof buf - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

static void sts_assume_role_response_is_parsed(void **state)
{
	(void)state;
	size_t n;
	char *xml = read_data("sts_assume_role.xml", &n);
	aws_credentials c;
	aws_error e;
	time_t issued = 1573302881 - 3600;             /* an hour before 2019-11-09T13:34:41Z */
	assert_int_equal(aws_creds_sts_parse(xml, n, 200, issued, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	assert_string_equal(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
	assert_true(strncmp(c.session_token, "AQoDYXdzEPT//////////wEXAMPLE", 29) == 0);
	assert_int_equal(c.expiration, 1573306481);
	assert_string_equal(c.source, "assume-role");
	/* The same answer read a day later holds expired credentials. */
	assert_int_equal(aws_creds_sts_parse(xml, n, 200, issued + 86400, &c, &e), -1);
	assert_non_null(strstr(e.message, "already expired"));
}

static void sts_error_response_becomes_a_service_error(void **state)
{
	(void)state;
	size_t n;
	char *xml = read_data("sts_error_access_denied.xml", &n);
	aws_credentials c;
	aws_error e;
	assert_int_equal(aws_creds_sts_parse(xml, n, 403, T0, &c, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_SERVICE);
	assert_string_equal(e.type, "AccessDenied");
	assert_int_equal(e.http_status, 403);
	assert_string_equal(e.request_id, "4c8a2c0b-0c33-4d38-9c1e-EXAMPLE");
	assert_non_null(strstr(e.message, "not authorized to perform: sts:AssumeRole"));
	assert_int_equal(aws_creds_sts_parse("not xml", 7, 500, T0, &c, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_PROTOCOL);
}

static void sso_cache_file_is_named_by_sha1_of_the_session(void **state)
{
	(void)state;
	char path[1024], want[1024];
	aws_creds_sso_cache_path("my-sso", path, sizeof path);
	/* sha1("my-sso") */
	snprintf(want, sizeof want, "%s/.aws/sso/cache/%s.json", tmpdir,
		 "0ad374308c5a4e22f723adf10145eafad7c4031c");
	assert_string_equal(path, want);
}

static void sso_token_cache_expired_or_missing_says_run_login(void **state)
{
	(void)state;
	char path[600], tok[256];
	aws_error e;
	path_in_tmp(path, sizeof path, "sso.json");
	unlink(path);
	assert_int_equal(aws_creds_sso_read_token(path, "aws sso login --sso-session corp", T0, tok,
						  sizeof tok, &e), -1);
	assert_non_null(strstr(e.message, "run `aws sso login --sso-session corp`"));
	write_file(path, "{\"accessToken\": \"TOKEN\", \"expiresAt\": \"2029-12-31T23:00:00Z\"}");
	assert_int_equal(aws_creds_sso_read_token(path, "aws sso login --sso-session corp", T0, tok,
						  sizeof tok, &e), -1);
	assert_non_null(strstr(e.message, "expired"));
	assert_non_null(strstr(e.message, "aws sso login --sso-session corp"));
	write_file(path, "{\"accessToken\": \"TOKEN\", \"expiresAt\": \"" EXP_STR "\"}");
	assert_int_equal(aws_creds_sso_read_token(path, "x", T0, tok, sizeof tok, &e), 0);
	assert_string_equal(tok, "TOKEN");
}

static void sso_role_credentials_are_parsed(void **state)
{
	(void)state;
	aws_credentials c;
	aws_error e;
	const char *j = "{\"roleCredentials\": {\"accessKeyId\": \"ASIASSO\", \"secretAccessKey\": "
			"\"s\", \"sessionToken\": \"T\", \"expiration\": 1893459600000}}";
	assert_int_equal(aws_creds_sso_parse(j, strlen(j), T0, &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIASSO");
	assert_int_equal(c.expiration, EXP);
	assert_string_equal(c.source, "sso");
	assert_int_equal(aws_creds_sso_parse("{}", 2, T0, &c, &e), -1);
}

/* ---- credentials of MFA roles kept between runs (the AWS CLI's cache) ---- */

/* Keys from botocore 1.29's AssumeRoleCredentialFetcher for the same arguments. */
static void role_cache_key_is_the_aws_clis(void **state)
{
	(void)state;
	char key[41];
	aws_creds_assume_role ar = {.role_arn = "arn:aws:iam::123456789012:role/deploy",
				    .serial_number = "arn:aws:iam::123456789012:mfa/alice"};
	assert_int_equal(aws_creds_role_cache_key(&ar, key), 0);
	assert_string_equal(key, "0e2911c0ceabd34fcc525a48ea31c8f1d5bf1e11");
	ar.token_code = "123456";   /* the code is not part of the session's name */
	assert_int_equal(aws_creds_role_cache_key(&ar, key), 0);
	assert_string_equal(key, "0e2911c0ceabd34fcc525a48ea31c8f1d5bf1e11");
	ar.session_name = "alice-laptop";
	ar.external_id = "corp-7";
	ar.duration_s = 7200;
	assert_int_equal(aws_creds_role_cache_key(&ar, key), 0);
	assert_string_equal(key, "b625636bbdda096a15deba721f78673a6f5f3358");
	ar.external_id = "caf\xc3\xa9";   /* Python would escape it as \u00e9: no key */
	assert_int_equal(aws_creds_role_cache_key(&ar, key), -1);
}

static void role_cache_round_trip_and_window(void **state)
{
	(void)state;
	char dir[512], key[] = "00000000000000000000000000000000000000aa";
	path_in_tmp(dir, sizeof dir, "cli/cache");
	aws_credentials c, got;
	assert_int_equal(aws_creds_fill(&c, "t", "ASIAROUNDTRIP", FAKE_SECRET, "tok\"en", T0 + 3600, "x", NULL), 0);
	aws_error e;
	assert_int_equal(aws_creds_role_cache_write(dir, key, &c, &e), 0);
	char path[700];
	snprintf(path, sizeof path, "%s/%s.json", dir, key);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(aws_creds_role_cache_read(dir, key, T0, "cached", &got), 0);
	assert_string_equal(got.access_key_id, "ASIAROUNDTRIP");
	assert_string_equal(got.secret_access_key, FAKE_SECRET);
	assert_string_equal(got.session_token, "tok\"en");
	assert_int_equal(got.expiration, T0 + 3600);
	assert_string_equal(got.source, "cached");
	/* At 15 minutes left exactly still used, one second less not. */
	assert_int_equal(aws_creds_role_cache_read(dir, key, T0 + 2700, "cached", &got), 0);
	assert_int_equal(aws_creds_role_cache_read(dir, key, T0 + 2701, "cached", &got), -1);
	assert_int_equal(aws_creds_role_cache_read(dir, "00000000000000000000000000000000000000ab", T0, "c", &got), -1);
}

static void role_cache_write_failure_names_the_path(void **state)
{
	(void)state;
	char file[512], dir[600];
	path_in_tmp(file, sizeof file, "plain-file");
	write_file(file, "x");
	snprintf(dir, sizeof dir, "%s/cache", file);   /* under a file: no folder can be made */
	aws_credentials c;
	assert_int_equal(aws_creds_fill(&c, "t", "ASIAX", FAKE_SECRET, "tok", T0 + 3600, "x", NULL), 0);
	aws_error e;
	assert_int_equal(aws_creds_role_cache_write(dir, "k", &c, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_IO);
	assert_non_null(strstr(e.message, dir));
	assert_non_null(strstr(e.message, "Not a directory"));
	assert_null(strstr(e.message, FAKE_SECRET));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(parse_time_accepts_utc_forms, setup),
		cmocka_unit_test_setup(parse_time_rejects_garbage, setup),
		cmocka_unit_test_setup(env_keys_come_first, setup),
		cmocka_unit_test_setup(named_profile_wins_over_environment_keys, setup),
		cmocka_unit_test_setup(env_key_without_secret_is_an_error, setup),
		cmocka_unit_test_setup(profile_static_keys_from_credentials_file, setup),
		cmocka_unit_test_setup(profile_static_keys_from_config_file, setup),
		cmocka_unit_test_setup(profile_with_half_the_keys_is_an_error, setup),
		cmocka_unit_test_setup(explicit_missing_profile_is_an_error, setup),
		cmocka_unit_test_setup(malformed_profile_file_is_an_error_naming_it, setup),
		cmocka_unit_test_setup(role_arn_without_source_is_an_error, setup),
		cmocka_unit_test_setup(source_profile_loop_is_an_error, setup),
		cmocka_unit_test_setup(sso_profile_without_login_says_run_aws_sso_login, setup),
		cmocka_unit_test_setup(no_credentials_error_names_every_source, setup),
		cmocka_unit_test_setup(profile_without_credentials_is_reported_as_such, setup),
		cmocka_unit_test_setup(process_output_with_all_fields_is_used, setup),
		cmocka_unit_test_setup(process_output_bad_json_is_an_error_without_the_text, setup),
		cmocka_unit_test_setup(process_output_version_other_than_1_is_an_error, setup),
		cmocka_unit_test_setup(process_output_missing_fields_is_an_error, setup),
		cmocka_unit_test_setup(process_output_already_expired_is_an_error, setup),
		cmocka_unit_test_setup(process_failure_exit_status_is_reported, setup),
		cmocka_unit_test_setup(process_over_time_limit_is_killed, setup),
		cmocka_unit_test_setup(process_over_size_limit_is_killed, setup),
		cmocka_unit_test_setup(process_profile_goes_through_the_chain, setup),
		cmocka_unit_test_setup(process_failure_names_the_profile, setup),
		cmocka_unit_test_setup(cached_credentials_are_reused_until_the_refresh_window, setup),
		cmocka_unit_test_setup(peek_answers_only_from_the_cache, setup),
		cmocka_unit_test_setup(failed_refresh_keeps_valid_credentials_and_retries_later, setup),
		cmocka_unit_test_setup(expired_credentials_and_failed_refresh_is_an_error, setup),
		cmocka_unit_test_setup(threads_share_one_first_fetch, setup),
		cmocka_unit_test_setup(threads_keep_using_cached_credentials_during_one_refresh, setup),
		cmocka_unit_test_setup(static_provider_returns_its_credentials, setup),
		cmocka_unit_test_setup(ecs_full_uri_allows_only_loopback_and_container_hosts, setup),
		cmocka_unit_test_setup(metadata_document_is_parsed, setup),
		cmocka_unit_test_setup(sts_assume_role_response_is_parsed, setup),
		cmocka_unit_test_setup(sts_error_response_becomes_a_service_error, setup),
		cmocka_unit_test_setup(sso_cache_file_is_named_by_sha1_of_the_session, setup),
		cmocka_unit_test_setup(sso_token_cache_expired_or_missing_says_run_login, setup),
		cmocka_unit_test_setup(sso_role_credentials_are_parsed, setup),
		cmocka_unit_test_setup(role_cache_key_is_the_aws_clis, setup),
		cmocka_unit_test_setup(role_cache_round_trip_and_window, setup),
		cmocka_unit_test_setup(role_cache_write_failure_names_the_path, setup),
	};
	return cmocka_run_group_tests_name("creds", tests, group_setup, group_teardown);
}

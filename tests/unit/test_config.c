/* test_config.c — shared config/credentials parsing, region order and endpoint resolution.
 *
 * Profile files come from tests/data/config/; each test starts with every AWS_* variable
 * unset so the outcome depends only on what the test sets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_config.h"

extern char **environ;

static char data_dir[1024];

static const char *data(const char *name)
{
	static char path[2][1200];
	static int which;
	which ^= 1;
	snprintf(path[which], sizeof path[which], "%s/%s", data_dir, name);
	return path[which];
}

static int clean_env(void **state)
{
	(void)state;
	/* Unset every AWS_* variable (collect names first: unsetenv edits environ). */
	char names[64][128];
	int n = 0;
	for (char **e = environ; *e && n < 64; e++) {
		if (strncmp(*e, "AWS_", 4) == 0) {
			size_t l = strcspn(*e, "=");
			if (l < sizeof names[0]) {
				memcpy(names[n], *e, l);
				names[n++][l] = '\0';
			}
		}
	}
	for (int i = 0; i < n; i++)
		unsetenv(names[i]);
	setenv("AWS_CONFIG_FILE", data("config"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", data("credentials"), 1);
	return 0;
}

static aws_profile *load_ok(const char *name)
{
	aws_error err;
	aws_profile *p = aws_profile_load(name, &err);
	if (!p)
		fail_msg("aws_profile_load(%s): %s", name ? name : "NULL", err.message);
	return p;
}

/* ---- profiles */

static void test_default_profile_merges_credentials_and_config(void **state)
{
	(void)state;
	aws_profile *p = load_ok(NULL);
	assert_true(aws_profile_exists(p));
	assert_string_equal(aws_profile_name(p), "default");
	assert_string_equal(aws_profile_get(p, "aws_access_key_id"), "AKIDEXAMPLE");
	assert_string_equal(aws_profile_get(p, "region"), "eu-central-1");
	assert_string_equal(aws_profile_get(p, "output"), "json");
	assert_null(aws_profile_get(p, "nothing"));
	aws_profile_free(p);
}

static void test_profile_prefix_spacing_and_key_case_are_normalised(void **state)
{
	(void)state;
	aws_profile *p = load_ok("dev");
	assert_true(aws_profile_exists(p));
	assert_string_equal(aws_profile_get(p, "region"), "us-west-2");
	assert_string_equal(aws_profile_get(p, "REGION"), "us-west-2");
	assert_string_equal(aws_profile_get(p, "role_arn"), "arn:aws:iam::123456789012:role/dev");
	aws_profile_free(p);
}

static void test_indented_sub_properties_are_kept_under_their_parent(void **state)
{
	(void)state;
	aws_profile *p = load_ok("dev");
	assert_string_equal(aws_profile_get(p, "s3"), "");
	assert_null(aws_profile_get(p, "max_concurrent_requests"));
	assert_string_equal(aws_profile_get(p, "s3.max_concurrent_requests"), "20");
	assert_string_equal(aws_profile_get(p, "s3.addressing_style"), "path");
	aws_profile_free(p);
}

static void test_indented_line_after_a_value_continues_it(void **state)
{
	(void)state;
	aws_profile *p = load_ok("dev");
	assert_string_equal(aws_profile_get(p, "credential_process"),
			    "/usr/bin/printf\n--flag continued");
	aws_profile_free(p);
}

static void test_credentials_file_wins_over_config_file(void **state)
{
	(void)state;
	aws_profile *p = load_ok("both");
	assert_string_equal(aws_profile_get(p, "aws_access_key_id"), "AKIDFROMCREDENTIALS");
	assert_string_equal(aws_profile_get(p, "region"), "ap-southeast-2");
	aws_profile_free(p);
}

static void test_config_section_without_profile_prefix_is_ignored(void **state)
{
	(void)state;
	aws_profile *p = load_ok("plain");
	assert_true(aws_profile_exists(p));   /* from the credentials file */
	assert_string_equal(aws_profile_get(p, "aws_access_key_id"), "AKIDPLAIN");
	assert_null(aws_profile_get(p, "region"));
	aws_profile_free(p);
}

static void test_aws_profile_env_selects_the_profile(void **state)
{
	(void)state;
	setenv("AWS_PROFILE", "dev", 1);
	aws_profile *p = load_ok(NULL);
	assert_string_equal(aws_profile_name(p), "dev");
	assert_string_equal(aws_profile_get(p, "region"), "us-west-2");
	aws_profile_free(p);
}

static void test_unknown_profile_is_empty_not_an_error(void **state)
{
	(void)state;
	aws_profile *p = load_ok("nobody");
	assert_false(aws_profile_exists(p));
	assert_null(aws_profile_get(p, "region"));
	aws_profile_free(p);
}

static void test_missing_files_are_not_an_error(void **state)
{
	(void)state;
	setenv("AWS_CONFIG_FILE", data("does-not-exist"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", data("does-not-exist-either"), 1);
	aws_profile *p = load_ok(NULL);
	assert_false(aws_profile_exists(p));
	aws_profile_free(p);
}

static void test_sso_session_section_loads(void **state)
{
	(void)state;
	aws_error err;
	aws_profile *p = aws_profile_load_sso_session("my-sso", &err);
	assert_non_null(p);
	assert_true(aws_profile_exists(p));
	assert_string_equal(aws_profile_get(p, "sso_start_url"), "https://example.awsapps.com/start");
	aws_profile_free(p);
	p = aws_profile_load("my-sso", &err);   /* not a profile */
	assert_false(aws_profile_exists(p));
	aws_profile_free(p);
}

static void test_crlf_line_endings_are_accepted(void **state)
{
	(void)state;
	setenv("AWS_CONFIG_FILE", data("crlf"), 1);
	aws_profile *p = load_ok(NULL);
	assert_string_equal(aws_profile_get(p, "region"), "us-east-2");
	aws_profile_free(p);
}

/* A malformed file fails with AWS_ERR_CONFIG naming the file and the line. */
static void expect_malformed(const char *file, const char *line_tag)
{
	setenv("AWS_CONFIG_FILE", data(file), 1);
	aws_error err;
	aws_profile *p = aws_profile_load(NULL, &err);
	assert_null(p);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	if (!strstr(err.message, file) || !strstr(err.message, line_tag))
		fail_msg("message '%s' should name %s and %s", err.message, file, line_tag);
}

static void test_section_header_without_bracket_is_malformed(void **state)
{
	(void)state;
	expect_malformed("malformed_header", ":3:");
}

static void test_line_without_equals_is_malformed(void **state)
{
	(void)state;
	expect_malformed("malformed_line", ":3:");
}

static void test_setting_before_any_section_is_malformed(void **state)
{
	(void)state;
	expect_malformed("malformed_no_section", ":1:");
}

static void test_setting_with_empty_name_is_malformed(void **state)
{
	(void)state;
	expect_malformed("malformed_empty_key", ":2:");
}

static void test_empty_section_name_is_malformed(void **state)
{
	(void)state;
	expect_malformed("malformed_empty_section", ":4:");
}

static void test_directory_as_config_file_is_an_error(void **state)
{
	(void)state;
	setenv("AWS_CONFIG_FILE", data_dir, 1);
	aws_error err;
	assert_null(aws_profile_load(NULL, &err));
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	assert_non_null(strstr(err.message, data_dir));
}

/* ---- region */

static void resolve_region(const char *want)
{
	char r[64];
	aws_error err;
	if (aws_region_resolve(NULL, r, sizeof r, &err) < 0)
		fail_msg("aws_region_resolve: %s", err.message);
	assert_string_equal(r, want);
}

static void test_region_from_aws_region_first(void **state)
{
	(void)state;
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
	resolve_region("us-east-1");
}

static void test_region_from_aws_default_region_second(void **state)
{
	(void)state;
	setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
	resolve_region("eu-west-3");
}

static void test_region_from_profile_last(void **state)
{
	(void)state;
	resolve_region("eu-central-1");
	setenv("AWS_PROFILE", "dev", 1);
	resolve_region("us-west-2");
}

static void test_empty_region_variable_counts_as_unset(void **state)
{
	(void)state;
	setenv("AWS_REGION", "", 1);
	resolve_region("eu-central-1");
}

static void test_no_region_anywhere_says_how_to_set_one(void **state)
{
	(void)state;
	setenv("AWS_PROFILE", "nobody", 1);
	char r[64];
	aws_error err;
	assert_int_equal(aws_region_resolve(NULL, r, sizeof r, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "AWS_REGION"));
	assert_non_null(strstr(err.message, "nobody"));
}

static void test_region_with_bad_characters_is_rejected(void **state)
{
	(void)state;
	setenv("AWS_REGION", "us-east-1.evil.com/", 1);
	char r[64];
	aws_error err;
	assert_int_equal(aws_region_resolve(NULL, r, sizeof r, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "AWS_REGION"));
}

static void test_region_from_given_profile_object(void **state)
{
	(void)state;
	aws_profile *p = load_ok("china");
	char r[64];
	assert_int_equal(aws_region_resolve(p, r, sizeof r, NULL), 0);
	assert_string_equal(r, "cn-north-1");
	aws_profile_free(p);
}

/* ---- endpoints */

static void endpoint_is(const char *id, const char *prefix, const char *region, const char *want)
{
	char out[512];
	aws_error err;
	if (aws_endpoint_resolve(id, prefix, region, out, sizeof out, &err) < 0)
		fail_msg("aws_endpoint_resolve(%s): %s", id, err.message);
	assert_string_equal(out, want);
}

static void endpoint_fails(const char *id, const char *must_mention)
{
	char out[512];
	aws_error err;
	assert_int_equal(aws_endpoint_resolve(id, "x", "us-east-1", out, sizeof out, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	if (!strstr(err.message, must_mention))
		fail_msg("message '%s' should mention '%s'", err.message, must_mention);
}

static void test_default_endpoint_is_regional_amazonaws_com(void **state)
{
	(void)state;
	endpoint_is("SSM", "ssm", "eu-central-1", "https://ssm.eu-central-1.amazonaws.com");
	endpoint_is("ECR", "api.ecr", "us-east-1", "https://api.ecr.us-east-1.amazonaws.com");
}

static void test_china_regions_use_amazonaws_com_cn(void **state)
{
	(void)state;
	endpoint_is("DynamoDB", "dynamodb", "cn-north-1", "https://dynamodb.cn-north-1.amazonaws.com.cn");
	endpoint_is("DynamoDB", "dynamodb", "cn-northwest-1",
		    "https://dynamodb.cn-northwest-1.amazonaws.com.cn");
}

static void test_service_specific_env_wins_over_global(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", 1);
	endpoint_is("DynamoDB", "dynamodb", "us-east-1", "http://127.0.0.1:8000");
	endpoint_is("SSM", "ssm", "us-east-1", "http://127.0.0.1:4566");
}

static void test_service_id_spaces_and_dashes_become_underscores(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://localhost:1", 1);
	setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://localhost:2", 1);
	setenv("AWS_ENDPOINT_URL_ACM_PCA", "http://localhost:3", 1);
	endpoint_is("CloudWatch Logs", "logs", "us-east-1", "http://localhost:1");
	endpoint_is("Elastic Load Balancing v2", "elasticloadbalancing", "us-east-1",
		    "http://localhost:2");
	endpoint_is("ACM-PCA", "acm-pca", "us-east-1", "http://localhost:3");
}

static void test_endpoint_override_keeps_path_and_drops_trailing_slash(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL_SSM", "https://proxy.example.com:8443/aws/ssm/", 1);
	endpoint_is("SSM", "ssm", "us-east-1", "https://proxy.example.com:8443/aws/ssm");
	setenv("AWS_ENDPOINT_URL_SSM", "http://[::1]:8000/", 1);
	endpoint_is("SSM", "ssm", "us-east-1", "http://[::1]:8000");
}

static void test_empty_endpoint_variable_counts_as_unset(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL_SSM", "", 1);
	endpoint_is("SSM", "ssm", "us-east-1", "https://ssm.us-east-1.amazonaws.com");
}

static void test_ignore_configured_endpoint_urls(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:1", 1);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	endpoint_is("SSM", "ssm", "us-east-1", "https://ssm.us-east-1.amazonaws.com");
}

static void test_endpoint_without_http_scheme_is_rejected(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL_SSM", "127.0.0.1:8000", 1);
	endpoint_fails("SSM", "AWS_ENDPOINT_URL_SSM");
	setenv("AWS_ENDPOINT_URL_SSM", "ftp://127.0.0.1:8000", 1);
	endpoint_fails("SSM", "http://");
}

static void test_endpoint_with_bad_host_or_port_is_rejected(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL", "http://", 1);
	endpoint_fails("SSM", "no host");
	setenv("AWS_ENDPOINT_URL", "http://localhost:99999", 1);
	endpoint_fails("SSM", "bad port");
	setenv("AWS_ENDPOINT_URL", "http://localhost:80x", 1);
	endpoint_fails("SSM", "bad port");
	setenv("AWS_ENDPOINT_URL", "http://local host", 1);
	endpoint_fails("SSM", "AWS_ENDPOINT_URL");
	setenv("AWS_ENDPOINT_URL", "http://localhost/?x=1", 1);
	endpoint_fails("SSM", "query");
}

static void test_default_endpoint_needs_a_valid_region(void **state)
{
	(void)state;
	char out[512];
	aws_error err;
	assert_int_equal(aws_endpoint_resolve("SSM", "ssm", NULL, out, sizeof out, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	assert_int_equal(aws_endpoint_resolve("SSM", "ssm", "x/y", out, sizeof out, &err), -1);
}

/* ---- endpoints from the config file */

static void profile_endpoint_is(const char *profile, const char *id, const char *prefix, const char *want)
{
	aws_profile *p = load_ok(profile);
	char out[512];
	aws_error err;
	if (aws_endpoint_resolve_profile(p, id, prefix, "us-east-1", out, sizeof out, &err) < 0)
		fail_msg("aws_endpoint_resolve_profile(%s, %s): %s", profile, id, err.message);
	assert_string_equal(out, want);
	aws_profile_free(p);
}

static void test_services_section_and_profile_endpoint_url(void **state)
{
	(void)state;
	/* the service's entry in the profile's [services] section, else its endpoint_url */
	profile_endpoint_is("local", "DynamoDB", "dynamodb", "http://127.0.0.1:8000");
	profile_endpoint_is("local", "CloudWatch Logs", "logs", "http://127.0.0.1:9000");
	profile_endpoint_is("local", "SSM", "ssm", "http://127.0.0.1:4566");
	profile_endpoint_is("default", "SSM", "ssm", "https://ssm.us-east-1.amazonaws.com");
}

static void test_environment_wins_over_the_config_file(void **state)
{
	(void)state;
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111", 1);
	profile_endpoint_is("local", "DynamoDB", "dynamodb", "http://127.0.0.1:1111");
	profile_endpoint_is("local", "SSM", "ssm", "http://127.0.0.1:1111");
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2222", 1);
	profile_endpoint_is("local", "DynamoDB", "dynamodb", "http://127.0.0.1:2222");
}

static void test_ignore_configured_endpoint_urls_in_the_profile(void **state)
{
	(void)state;
	profile_endpoint_is("local-ignored", "DynamoDB", "dynamodb", "https://dynamodb.us-east-1.amazonaws.com");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111", 1);   /* ignored too */
	profile_endpoint_is("local-ignored", "SSM", "ssm", "https://ssm.us-east-1.amazonaws.com");
}

static void test_bad_endpoint_in_a_services_section_names_where_it_is(void **state)
{
	(void)state;
	aws_profile *p = load_ok("bad-services");
	char out[512];
	aws_error err;
	assert_int_equal(aws_endpoint_resolve_profile(p, "SSM", "ssm", "us-east-1", out, sizeof out, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "ssm.endpoint_url in [services broken]"));
	aws_profile_free(p);
}

int main(void)
{
	const char *td = getenv("SHOWTABLE_TESTDATA");
	snprintf(data_dir, sizeof data_dir, "%s/config", td ? td : "tests/data");
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup(f, clean_env)
		T(test_default_profile_merges_credentials_and_config),
		T(test_profile_prefix_spacing_and_key_case_are_normalised),
		T(test_indented_sub_properties_are_kept_under_their_parent),
		T(test_indented_line_after_a_value_continues_it),
		T(test_credentials_file_wins_over_config_file),
		T(test_config_section_without_profile_prefix_is_ignored),
		T(test_aws_profile_env_selects_the_profile),
		T(test_unknown_profile_is_empty_not_an_error),
		T(test_missing_files_are_not_an_error),
		T(test_sso_session_section_loads),
		T(test_crlf_line_endings_are_accepted),
		T(test_section_header_without_bracket_is_malformed),
		T(test_line_without_equals_is_malformed),
		T(test_setting_before_any_section_is_malformed),
		T(test_setting_with_empty_name_is_malformed),
		T(test_empty_section_name_is_malformed),
		T(test_directory_as_config_file_is_an_error),
		T(test_region_from_aws_region_first),
		T(test_region_from_aws_default_region_second),
		T(test_region_from_profile_last),
		T(test_empty_region_variable_counts_as_unset),
		T(test_no_region_anywhere_says_how_to_set_one),
		T(test_region_with_bad_characters_is_rejected),
		T(test_region_from_given_profile_object),
		T(test_default_endpoint_is_regional_amazonaws_com),
		T(test_china_regions_use_amazonaws_com_cn),
		T(test_service_specific_env_wins_over_global),
		T(test_service_id_spaces_and_dashes_become_underscores),
		T(test_endpoint_override_keeps_path_and_drops_trailing_slash),
		T(test_empty_endpoint_variable_counts_as_unset),
		T(test_ignore_configured_endpoint_urls),
		T(test_endpoint_without_http_scheme_is_rejected),
		T(test_endpoint_with_bad_host_or_port_is_rejected),
		T(test_default_endpoint_needs_a_valid_region),
		T(test_services_section_and_profile_endpoint_url),
		T(test_environment_wins_over_the_config_file),
		T(test_ignore_configured_endpoint_urls_in_the_profile),
		T(test_bad_endpoint_in_a_services_section_names_where_it_is),
#undef T
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

/* test_srv_config.c — flags, SHOWTABLE_* variables and defaults; CIDR ranges; errors that
 * name the option. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "srv_config.h"

static int parse(srv_config *cfg, int argc, const char **argv, aws_error *e)
{
	srv_config_result what;
	return srv_config_parse(cfg, argc, (char **)argv, &what, e);
}

static int clear_env(void **state)
{
	(void)state;
	unsetenv("SHOWTABLE_LISTEN");
	unsetenv("SHOWTABLE_GRACE");
	unsetenv("SHOWTABLE_TABLE");
	unsetenv("SHOWTABLE_TRUSTED_PROXIES");
	unsetenv("SHOWTABLE_HEALTHY_CODES");
	unsetenv("SHOWTABLE_HEALTH_CHECK");
	return 0;
}

static void defaults_match_the_seed(void **state)
{
	(void)state;
	srv_config cfg;
	const char *argv[] = {"showtable"};
	assert_int_equal(parse(&cfg, 1, argv, NULL), 0);
	assert_string_equal(cfg.listen_host, "");
	assert_int_equal(cfg.listen_port, 8080);
	assert_string_equal(cfg.param_prefix, "/go-on-aws");
	assert_null(cfg.table);
	assert_null(cfg.htpasswd);
	assert_int_equal(cfg.table_ttl_s, 60);
	assert_int_equal(cfg.grace_s, 10);
	assert_int_equal(cfg.log_level, SRV_LOG_INFO);
}

static void a_flag_beats_its_variable_which_beats_the_default(void **state)
{
	(void)state;
	srv_config cfg;
	setenv("SHOWTABLE_GRACE", "25", 1);
	setenv("SHOWTABLE_TABLE", "from-env", 1);
	const char *argv[] = {"showtable", "--grace", "3", "--listen=[::1]:9000"};
	assert_int_equal(parse(&cfg, 4, argv, NULL), 0);
	assert_int_equal(cfg.grace_s, 3);
	assert_string_equal(cfg.table, "from-env");
	assert_string_equal(cfg.listen_host, "::1");
	assert_int_equal(cfg.listen_port, 9000);
	clear_env(NULL);
}

static void bad_values_name_the_flag_or_variable(void **state)
{
	(void)state;
	srv_config cfg;
	aws_error e;
	const char *a1[] = {"showtable", "--grace", "soon"};
	assert_int_equal(parse(&cfg, 3, a1, &e), -1);
	assert_non_null(strstr(e.message, "--grace"));
	const char *a2[] = {"showtable", "--no-such-flag"};
	assert_int_equal(parse(&cfg, 2, a2, &e), -1);
	assert_non_null(strstr(e.message, "--no-such-flag"));
	const char *a3[] = {"showtable", "--table"};
	assert_int_equal(parse(&cfg, 2, a3, &e), -1);
	setenv("SHOWTABLE_LISTEN", "localhost:80", 1);
	const char *a4[] = {"showtable"};
	assert_int_equal(parse(&cfg, 1, a4, &e), -1);
	assert_non_null(strstr(e.message, "SHOWTABLE_LISTEN"));
	clear_env(NULL);
	const char *a5[] = {"showtable", "--param-prefix", "no-slash"};
	assert_int_equal(parse(&cfg, 3, a5, &e), -1);
	const char *a6[] = {"showtable", "--trusted-proxies", "10.0.0.0/33"};
	assert_int_equal(parse(&cfg, 3, a6, &e), -1);
}

static void help_and_version_are_recognised(void **state)
{
	(void)state;
	srv_config cfg;
	srv_config_result what;
	const char *a1[] = {"showtable", "--help"};
	assert_int_equal(srv_config_parse(&cfg, 2, (char **)a1, &what, NULL), 0);
	assert_int_equal(what, SRV_CONFIG_HELP);
	const char *a2[] = {"showtable", "--version"};
	assert_int_equal(srv_config_parse(&cfg, 2, (char **)a2, &what, NULL), 0);
	assert_int_equal(what, SRV_CONFIG_VERSION);
}

static void cidr_ranges_match_v4_v6_and_mapped_addresses(void **state)
{
	(void)state;
	srv_config cfg;
	const char *argv[] = {"showtable", "--trusted-proxies", "10.0.0.0/16, fd00::/8"};
	assert_int_equal(parse(&cfg, 3, argv, NULL), 0);
	assert_int_equal(cfg.nproxies, 2);
	unsigned char a[16];
	inet_pton(AF_INET, "10.0.200.1", a);
	assert_int_equal(srv_cidr_match(cfg.proxies, cfg.nproxies, AF_INET, a), 1);
	inet_pton(AF_INET, "10.1.0.1", a);
	assert_int_equal(srv_cidr_match(cfg.proxies, cfg.nproxies, AF_INET, a), 0);
	inet_pton(AF_INET6, "::ffff:10.0.3.4", a);
	assert_int_equal(srv_cidr_match(cfg.proxies, cfg.nproxies, AF_INET6, a), 1);
	inet_pton(AF_INET6, "fd12::1", a);
	assert_int_equal(srv_cidr_match(cfg.proxies, cfg.nproxies, AF_INET6, a), 1);
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_int_equal(srv_cidr_match(cfg.proxies, cfg.nproxies, AF_INET6, a), 0);
	srv_cidr c;
	assert_int_equal(srv_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(srv_cidr_parse("nonsense/8", &c), -1);
}

static void health_check_is_a_mode_taken_from_argv_only(void **state)
{
	(void)state;
	srv_config cfg;
	srv_config_result what;
	const char *a1[] = {"showtable", "--health-check", "http://127.0.0.1:8080/ping", "--healthy-codes", "200,401"};
	assert_int_equal(srv_config_parse(&cfg, 5, (char **)a1, &what, NULL), 0);
	assert_int_equal(what, SRV_CONFIG_HEALTH_CHECK);
	assert_string_equal(cfg.health_url, "http://127.0.0.1:8080/ping");
	assert_int_equal(cfg.nhealthy, 2);
	assert_int_equal(cfg.health_timeout_ms, 4000);
	const char *a2[] = {"showtable", "--health-check=https://example.com/"};
	assert_int_equal(srv_config_parse(&cfg, 2, (char **)a2, &what, NULL), 0);
	assert_int_equal(what, SRV_CONFIG_HEALTH_CHECK);
	/* Defaults: 2xx is healthy. */
	assert_int_equal(srv_codes_match(cfg.healthy, cfg.nhealthy, 204), 1);
	assert_int_equal(srv_codes_match(cfg.healthy, cfg.nhealthy, 401), 0);
	/* A variable left in a task's environment never makes the server a checker. */
	setenv("SHOWTABLE_HEALTH_CHECK", "http://127.0.0.1:8080/ping", 1);
	const char *a3[] = {"showtable"};
	assert_int_equal(srv_config_parse(&cfg, 1, (char **)a3, &what, NULL), 0);
	assert_int_equal(what, SRV_CONFIG_RUN);
	assert_null(cfg.health_url);
	clear_env(NULL);
}

static void health_check_needs_an_http_url(void **state)
{
	(void)state;
	srv_config cfg;
	aws_error e;
	const char *a1[] = {"showtable", "--health-check"};
	assert_int_equal(parse(&cfg, 2, a1, &e), -1);
	assert_non_null(strstr(e.message, "--health-check"));
	const char *a2[] = {"showtable", "--health-check", "file:///etc/passwd"};
	assert_int_equal(parse(&cfg, 3, a2, &e), -1);
	const char *a3[] = {"showtable", "--health-check", "127.0.0.1:8080/ping"};
	assert_int_equal(parse(&cfg, 3, a3, &e), -1);
}

static void healthy_codes_are_codes_and_ranges(void **state)
{
	(void)state;
	srv_code_range r[SRV_MAX_CODE_RANGES];
	assert_int_equal(srv_codes_parse("200", r, SRV_MAX_CODE_RANGES), 1);
	assert_int_equal(srv_codes_parse("200,401", r, SRV_MAX_CODE_RANGES), 2);
	assert_int_equal(srv_codes_parse("200-299,401", r, SRV_MAX_CODE_RANGES), 2);
	assert_int_equal(srv_codes_match(r, 2, 200), 1);
	assert_int_equal(srv_codes_match(r, 2, 299), 1);
	assert_int_equal(srv_codes_match(r, 2, 401), 1);
	assert_int_equal(srv_codes_match(r, 2, 300), 0);
	assert_int_equal(srv_codes_match(r, 2, 0), 0);   /* no response at all */
	static const char *bad[] = {"", "ok", "200,", ",200", "99", "600", "299-200", "200-", "-200",
				    "200 ,401", "+200", "200-+299", "2OO"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(srv_codes_parse(bad[i], r, SRV_MAX_CODE_RANGES), -1);
	assert_int_equal(srv_codes_parse("200,201", r, 1), -1);   /* more ranges than room */
	srv_config cfg;
	aws_error e;
	setenv("SHOWTABLE_HEALTHY_CODES", "ok", 1);
	const char *a1[] = {"showtable"};
	assert_int_equal(parse(&cfg, 1, a1, &e), -1);
	assert_non_null(strstr(e.message, "SHOWTABLE_HEALTHY_CODES"));
	clear_env(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults_match_the_seed, clear_env),
		cmocka_unit_test_setup(a_flag_beats_its_variable_which_beats_the_default, clear_env),
		cmocka_unit_test_setup(bad_values_name_the_flag_or_variable, clear_env),
		cmocka_unit_test_setup(help_and_version_are_recognised, clear_env),
		cmocka_unit_test_setup(cidr_ranges_match_v4_v6_and_mapped_addresses, clear_env),
		cmocka_unit_test_setup(health_check_is_a_mode_taken_from_argv_only, clear_env),
		cmocka_unit_test_setup(health_check_needs_an_http_url, clear_env),
		cmocka_unit_test_setup(healthy_codes_are_codes_and_ranges, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

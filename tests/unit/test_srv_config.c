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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults_match_the_seed, clear_env),
		cmocka_unit_test_setup(a_flag_beats_its_variable_which_beats_the_default, clear_env),
		cmocka_unit_test_setup(bad_values_name_the_flag_or_variable, clear_env),
		cmocka_unit_test_setup(help_and_version_are_recognised, clear_env),
		cmocka_unit_test_setup(cidr_ranges_match_v4_v6_and_mapped_addresses, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

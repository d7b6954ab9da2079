/* test_registry.c — the registry client's parsing of WWW-Authenticate challenges (Bearer and
 * Basic, odd and oversized ones), the part of the image push path that needs no network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "registry.h"

static void bearer_challenge_gives_realm_service_and_scope(void **state)
{
	(void)state;
	registry_challenge c;
	assert_int_equal(registry_parse_challenge(
				 "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
				 "scope=\"repository:samalba/my-app:pull,push\"", &c), 0);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:samalba/my-app:pull,push");
}

static void basic_challenge_gives_the_scheme(void **state)
{
	(void)state;
	registry_challenge c;
	assert_int_equal(registry_parse_challenge("Basic realm=\"test-registry\"", &c), 0);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "test-registry");
	assert_string_equal(c.scope, "");
}

static void odd_challenges_do_not_overflow(void **state)
{
	(void)state;
	registry_challenge c;
	char big[5000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "Bearer realm=\"", 14);
	assert_int_equal(registry_parse_challenge(big, &c), 0);
	assert_int_equal(strlen(c.realm), sizeof c.realm - 1);
	assert_int_equal(registry_parse_challenge("", &c), -1);
	assert_int_equal(registry_parse_challenge(NULL, &c), -1);
	assert_int_equal(registry_parse_challenge("Bearer realm", &c), 0);
	assert_int_equal(registry_parse_challenge("Bearer realm=\"x\\\"y\",scope=unquoted", &c), 0);
	assert_string_equal(c.realm, "x\"y");
	assert_string_equal(c.scope, "unquoted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bearer_challenge_gives_realm_service_and_scope),
		cmocka_unit_test(basic_challenge_gives_the_scheme),
		cmocka_unit_test(odd_challenges_do_not_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_srv_errors.c — which status and words each kind of AWS failure gets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "srv_errors.h"

static aws_error service(const char *type, int status)
{
	aws_error e;
	aws_error_set(&e, AWS_ERR_SERVICE, "something happened");
	snprintf(e.type, sizeof e.type, "%s", type);
	e.http_status = status;
	return e;
}

static void missing_table_is_502_with_the_deploy_hint(void **state)
{
	(void)state;
	aws_error e = service("ResourceNotFoundException", 400);
	srv_http_error h;
	srv_error_map(&e, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 502);
	assert_non_null(strstr(h.detail, "table items not found — is the table stack deployed?"));
}

static void access_denied_names_the_action_and_the_task_role(void **state)
{
	(void)state;
	aws_error e = service("AccessDeniedException", 400);
	srv_http_error h;
	srv_error_map(&e, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 502);
	assert_non_null(strstr(h.detail, "access denied for dynamodb:Scan on items — check the task role"));
}

static void throttling_is_503_and_timeouts_504(void **state)
{
	(void)state;
	aws_error e = service("ProvisionedThroughputExceededException", 400);
	srv_http_error h;
	srv_error_map(&e, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 503);
	aws_error t;
	aws_error_set(&t, AWS_ERR_TIMEOUT, "took too long");
	srv_error_map(&t, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 504);
	aws_error x = service("SomethingElse", 500);
	x.throttled = 1;
	srv_error_map(&x, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 503);
}

static void a_call_cut_short_by_shutdown_is_503_server_stopping(void **state)
{
	(void)state;
	aws_error e;
	aws_error_set(&e, AWS_ERR_CANCELLED, "cancelled");
	srv_http_error h;
	srv_error_map(&e, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 503);
	assert_string_equal(h.title, "Server stopping");
	assert_non_null(strstr(h.detail, "cut dynamodb:Scan on items short — try again in a moment"));
}

static void bad_input_is_400_with_its_message(void **state)
{
	(void)state;
	aws_error e;
	aws_error_set(&e, AWS_ERR_INVALID, "this next-page link is damaged");
	srv_http_error h;
	srv_error_map(&e, "dynamodb:Scan", "items", &h);
	assert_int_equal(h.status, 400);
	assert_string_equal(h.detail, "this next-page link is damaged");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_table_is_502_with_the_deploy_hint),
		cmocka_unit_test(access_denied_names_the_action_and_the_task_role),
		cmocka_unit_test(throttling_is_503_and_timeouts_504),
		cmocka_unit_test(bad_input_is_400_with_its_message),
		cmocka_unit_test(a_call_cut_short_by_shutdown_is_503_server_stopping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

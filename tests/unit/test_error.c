/* test_error.c — aws_error: the one classification of AWS failures (what is throttled,
 * retried, denied, refused, expired or missing), and the one-line form for a person. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "aws_error.h"

static void throttling_codes_are_throttled_whatever_the_status(void **state)
{
	(void)state;
	assert_int_equal(aws_error_classify(400, "ThrottlingException"), AWS_CLASS_THROTTLED);
	assert_int_equal(aws_error_classify(400, "ProvisionedThroughputExceededException"),
			 AWS_CLASS_THROTTLED);
	assert_int_equal(aws_error_classify(503, "SlowDown"), AWS_CLASS_THROTTLED);
	assert_true(aws_error_code_is_throttling("RequestLimitExceeded"));
	assert_false(aws_error_code_is_throttling("ThrottlingIsNotACode"));
	assert_false(aws_error_code_is_throttling(NULL));
}

static void the_throttled_flag_wins_over_the_code(void **state)
{
	(void)state;
	aws_error e;
	aws_error_set(&e, AWS_ERR_SERVICE, "still unprocessed");
	snprintf(e.type, sizeof e.type, "UnprocessedItems");
	assert_int_equal(aws_error_class(&e), AWS_CLASS_OTHER);
	e.throttled = 1;
	assert_int_equal(aws_error_class(&e), AWS_CLASS_THROTTLED);
	assert_int_equal(aws_error_class(NULL), AWS_CLASS_OTHER);
}

static void denied_refused_and_expired_are_told_apart(void **state)
{
	(void)state;
	assert_int_equal(aws_error_classify(400, "AccessDeniedException"), AWS_CLASS_ACCESS_DENIED);
	assert_int_equal(aws_error_classify(403, "AccessDenied"), AWS_CLASS_ACCESS_DENIED);
	assert_int_equal(aws_error_classify(403, "UnauthorizedOperation"), AWS_CLASS_ACCESS_DENIED);
	assert_int_equal(aws_error_classify(403, ""), AWS_CLASS_ACCESS_DENIED);
	assert_int_equal(aws_error_classify(400, "UnrecognizedClientException"),
			 AWS_CLASS_CREDS_REFUSED);
	assert_int_equal(aws_error_classify(403, "SignatureDoesNotMatch"), AWS_CLASS_CREDS_REFUSED);
	assert_int_equal(aws_error_classify(400, "ExpiredTokenException"), AWS_CLASS_CREDS_EXPIRED);
	assert_int_equal(aws_error_classify(400, "RequestExpired"), AWS_CLASS_CREDS_EXPIRED);
}

static void missing_resources_are_not_found_but_a_bare_404_is_not(void **state)
{
	(void)state;
	assert_int_equal(aws_error_classify(400, "ResourceNotFoundException"), AWS_CLASS_NOT_FOUND);
	assert_int_equal(aws_error_classify(400, "ParameterNotFound"), AWS_CLASS_NOT_FOUND);
	assert_int_equal(aws_error_classify(400, "RepositoryNotFoundException"),
			 AWS_CLASS_NOT_FOUND);
	assert_int_equal(aws_error_classify(404, ""), AWS_CLASS_OTHER);
	assert_int_equal(aws_error_classify(400, "ValidationException"), AWS_CLASS_OTHER);
	assert_int_equal(aws_error_classify(0, NULL), AWS_CLASS_OTHER);
}

static void every_sdk_throttling_code_is_retried_and_no_other_4xx(void **state)
{
	(void)state;
	static const char *const throttles[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
	};
	for (size_t i = 0; i < sizeof throttles / sizeof throttles[0]; i++)
		assert_true(aws_error_retryable(400, throttles[i]));
	assert_false(aws_error_retryable(400, "ValidationException"));
	assert_false(aws_error_retryable(400, "AccessDeniedException"));
	assert_false(aws_error_retryable(404, ""));
	assert_false(aws_error_retryable(403, "UnrecognizedClientException"));
	assert_false(aws_error_retryable(400, "ConditionalCheckFailedException"));
}

static void server_failures_are_transient_and_retried(void **state)
{
	(void)state;
	assert_int_equal(aws_error_classify(500, "InternalFailure"), AWS_CLASS_TRANSIENT);
	assert_int_equal(aws_error_classify(400, "RequestTimeout"), AWS_CLASS_TRANSIENT);
	assert_true(aws_error_retryable(500, ""));
	assert_true(aws_error_retryable(502, ""));
	assert_true(aws_error_retryable(503, ""));
	assert_true(aws_error_retryable(504, ""));
	assert_true(aws_error_retryable(500, "AccessDeniedException"));
	assert_true(aws_error_retryable(400, "RequestTimeoutException"));
	assert_false(aws_error_retryable(501, ""));
	assert_false(aws_error_retryable(403, ""));
}

static void the_line_for_a_person_has_code_status_and_request_id(void **state)
{
	(void)state;
	aws_error e;
	aws_error_set(&e, AWS_ERR_SERVICE, "no such table");
	snprintf(e.type, sizeof e.type, "ResourceNotFoundException");
	e.http_status = 400;
	snprintf(e.request_id, sizeof e.request_id, "R1");
	char buf[256];
	assert_string_equal(aws_error_str(&e, buf, sizeof buf),
			    "ResourceNotFoundException: no such table (HTTP 400, request id R1)");
	aws_error_prefix(&e, "scan of %s", "items");
	assert_string_equal(e.message, "scan of items: no such table");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(throttling_codes_are_throttled_whatever_the_status),
		cmocka_unit_test(the_throttled_flag_wins_over_the_code),
		cmocka_unit_test(denied_refused_and_expired_are_told_apart),
		cmocka_unit_test(missing_resources_are_not_found_but_a_bare_404_is_not),
		cmocka_unit_test(every_sdk_throttling_code_is_retried_and_no_other_4xx),
		cmocka_unit_test(server_failures_are_transient_and_retried),
		cmocka_unit_test(the_line_for_a_person_has_code_status_and_request_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

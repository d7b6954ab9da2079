/* test_client.c — how aws_client reads AWS answers: error parsing, retry classification,
 * service descriptors, form encoding and the body's CRC-32. (The check of 2xx JSON bodies is aws_json's:
 * test_json.c.)
 *
 * Error cases are data: every tests/data/client/NAME.http (a recorded response: status line,
 * headers, blank line, body) is parsed and checked against NAME.expect ("key: value" lines:
 * type, status, throttled, retryable, request_id, message_has, message_lacks). A case added
 * is a file pair added.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_client.h"
#include "testdata.h"
#include "aws_client_internal.h"

#define ENDPOINT "https://ssm.us-east-1.amazonaws.com"


/* Builds a response as aws_http would hand it over from a recorded .http file. */
static void load_response(const char *path, aws_http_response *r)
{
	size_t len;
	char *text = testdata_read(path, &len);
	if (!text)
		fail_msg("cannot read %s", path);
	memset(r, 0, sizeof *r);
	char *sep = strstr(text, "\n\n");
	if (!sep)
		fail_msg("%s: no blank line between headers and body", path);
	if (sscanf(text, "HTTP/1.1 %ld", &r->status) != 1)
		fail_msg("%s: no status line", path);
	assert_int_equal(aws_buf_append(&r->headers, text, (size_t)(sep - text) + 1), 0);
	assert_int_equal(aws_buf_append(&r->body, sep + 2, len - (size_t)(sep + 2 - text)), 0);
	free(text);
}

static void test_recorded_error_case(void **state)
{
	const char *base = *state;   /* tests/data/client/<case>, without .http */
	char path[1200];
	snprintf(path, sizeof path, "%s.http", base);
	aws_http_response r;
	load_response(path, &r);
	aws_error e;
	aws_client_parse_error("SSM", "GetParameter", ENDPOINT, &r, &e);

	snprintf(path, sizeof path, "%s.expect", base);
	size_t len;
	char *exp = testdata_read(path, &len);
	if (!exp)
		fail_msg("cannot read %s", path);
	assert_int_equal(e.kind, AWS_ERR_SERVICE);
	assert_int_equal(e.http_status, (int)r.status);
	int checks = 0;
	for (char *line = strtok(exp, "\n"); line; line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':');
		if (!colon)
			fail_msg("%s: bad line '%s'", path, line);
		*colon = '\0';
		const char *key = line, *val = colon + 1;
		while (*val == ' ')
			val++;
		checks++;
		if (strcmp(key, "type") == 0) {
			assert_string_equal(e.type, val);
		} else if (strcmp(key, "status") == 0) {
			assert_int_equal(e.http_status, atoi(val));
		} else if (strcmp(key, "throttled") == 0) {
			assert_int_equal(e.throttled, atoi(val));
		} else if (strcmp(key, "retryable") == 0) {
			assert_int_equal(aws_error_retryable(r.status, e.type), atoi(val));
		} else if (strcmp(key, "request_id") == 0) {
			assert_string_equal(e.request_id, val);
		} else if (strcmp(key, "message_has") == 0) {
			if (!strstr(e.message, val))
				fail_msg("%s: message '%s' lacks '%s'", base, e.message, val);
		} else if (strcmp(key, "message_lacks") == 0) {
			if (*val && strstr(e.message, val))
				fail_msg("%s: message '%s' contains '%s'", base, e.message, val);
		} else {
			fail_msg("%s: unknown key '%s'", path, key);
		}
	}
	assert_true(checks > 0);
	/* Whatever the case, the message names what failed and is printable text. */
	assert_non_null(strstr(e.message, "SSM GetParameter"));
	for (const char *m = e.message; *m; m++)
		assert_true((unsigned char)*m >= 0x20 && (unsigned char)*m < 0x7f);
	free(exp);
	aws_http_response_free(&r);
}

/* ---- service descriptors */

static void test_service_descriptors_match_the_api_references(void **state)
{
	(void)state;
	assert_string_equal(AWS_SERVICE_DYNAMODB.json_version, "1.0");
	assert_string_equal(AWS_SERVICE_DYNAMODB.target_prefix, "DynamoDB_20120810");
	assert_string_equal(AWS_SERVICE_SSM.json_version, "1.1");
	assert_string_equal(AWS_SERVICE_SSM.target_prefix, "AmazonSSM");
	assert_null(AWS_SERVICE_STS.json_version);
	assert_string_equal(AWS_SERVICE_STS.api_version, "2011-06-15");
	assert_string_equal(AWS_SERVICE_CLOUDFORMATION.api_version, "2010-05-15");
	assert_string_equal(AWS_SERVICE_ECR.target_prefix, "AmazonEC2ContainerRegistry_V20150921");
	assert_string_equal(AWS_SERVICE_ECR.endpoint_prefix, "api.ecr");
	assert_string_equal(AWS_SERVICE_ECR.signing_name, "ecr");
	assert_string_equal(AWS_SERVICE_LOGS.target_prefix, "Logs_20140328");
	assert_string_equal(AWS_SERVICE_LOGS.signing_name, "logs");
	assert_string_equal(AWS_SERVICE_LOGS.service_id, "CloudWatch Logs");
	assert_string_equal(AWS_SERVICE_ECS.target_prefix, "AmazonEC2ContainerServiceV20141113");
	assert_string_equal(AWS_SERVICE_ELBV2.endpoint_prefix, "elasticloadbalancing");
	assert_string_equal(AWS_SERVICE_ELBV2.api_version, "2015-12-01");
	assert_null(AWS_SERVICE_ELBV2.target_prefix);
}

/* ---- the body's CRC-32 (DynamoDB's x-amz-crc32) */

/* A response with header line hdr (may be NULL) and body. */
static void crc_response(aws_http_response *r, long status, const char *hdr, const char *body)
{
	memset(r, 0, sizeof *r);
	r->status = status;
	assert_int_equal(aws_buf_append(&r->headers, "HTTP/1.1 200 OK\r\nx-amzn-RequestId: RID7\r\n", 41), 0);
	if (hdr) {
		assert_int_equal(aws_buf_append(&r->headers, hdr, strlen(hdr)), 0);
		assert_int_equal(aws_buf_append(&r->headers, "\r\n", 2), 0);
	}
	assert_int_equal(aws_buf_append(&r->body, body, strlen(body)), 0);
}

static int intact(const aws_service *svc, long status, const char *hdr, const char *body, aws_error *e)
{
	aws_http_response r;
	crc_response(&r, status, hdr, body);
	aws_error_clear(e);
	int ok = aws_client_body_intact(svc, "GetItem", "http://127.0.0.1:8000", &r, e);
	aws_http_response_free(&r);
	return ok;
}

/* The pairs are the ones DynamoDB gives for its health check and for a request it cannot
 * route (as dynalite replays them): the check must agree with the service's own CRC. */
static void test_crc32_header_matching_the_body_passes(void **state)
{
	(void)state;
	aws_error e;
	assert_true(intact(&AWS_SERVICE_DYNAMODB, 200, "x-amz-crc32: 3128867991",
			   "healthy: dynamodb.us-east-1.amazonaws.com ", &e));
	assert_true(intact(&AWS_SERVICE_DYNAMODB, 404, "X-Amz-Crc32:3552371480", "<UnknownOperationException/>\n", &e));
	assert_true(intact(&AWS_SERVICE_DYNAMODB, 200, "x-amz-crc32: 0", "", &e));
	assert_int_equal(e.kind, AWS_OK);
}

static void test_crc32_header_absent_or_not_the_services_is_not_checked(void **state)
{
	(void)state;
	aws_error e;
	assert_true(intact(&AWS_SERVICE_DYNAMODB, 200, NULL, "{}", &e));
	/* SSM sends no such header; one that appears is not its contract. */
	assert_true(intact(&AWS_SERVICE_SSM, 200, "x-amz-crc32: 1", "{}", &e));
}

static void test_crc32_mismatch_is_a_protocol_error_saying_both_values(void **state)
{
	(void)state;
	aws_error e;
	/* One byte changed on the way ('h' → 'H'). */
	assert_false(intact(&AWS_SERVICE_DYNAMODB, 200, "x-amz-crc32: 3128867991",
			    "Healthy: dynamodb.us-east-1.amazonaws.com ", &e));
	assert_int_equal(e.kind, AWS_ERR_PROTOCOL);
	assert_int_equal(e.http_status, 200);
	assert_string_equal(e.request_id, "RID7");
	assert_non_null(strstr(e.message, "DynamoDB GetItem at http://127.0.0.1:8000"));
	assert_non_null(strstr(e.message, "damaged on the way"));
	assert_non_null(strstr(e.message, "42-byte body"));
	assert_non_null(strstr(e.message, "x-amz-crc32 header says 3128867991"));
	/* Off by 2^32: not the same number. */
	assert_false(intact(&AWS_SERVICE_DYNAMODB, 200, "x-amz-crc32: 7423835287",
			    "healthy: dynamodb.us-east-1.amazonaws.com ", &e));
}

static void test_crc32_header_that_is_no_number_is_a_protocol_error(void **state)
{
	(void)state;
	const char *bad[] = {"x-amz-crc32: ", "x-amz-crc32: 0x1", "x-amz-crc32: -1", "x-amz-crc32: 12ab",
			     "x-amz-crc32: 4294967296", "x-amz-crc32: 99999999999999999999", "x-amz-crc32: +5"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		aws_error e;
		assert_false(intact(&AWS_SERVICE_DYNAMODB, 200, bad[i], "", &e));
		assert_int_equal(e.kind, AWS_ERR_PROTOCOL);
		assert_non_null(strstr(e.message, "is not a CRC-32"));
	}
}

/* After aws_client_cancel no call reaches the network: it fails at once, not retried. The
 * endpoint is a closed loopback port, so an attempt would show as a transport error. */
static void test_cancelled_client_fails_every_call_at_once(void **state)
{
	(void)state;
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-for-tests", 1);
	setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:1", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	aws_error e;
	aws_client *c = aws_client_new(NULL, &e);
	assert_non_null(c);
	aws_client_cancel(c);
	aws_buf resp = AWS_BUF_INIT;
	assert_int_equal(aws_json_call(c, &AWS_SERVICE_SSM, "GetParameter", "{}", 2, &resp, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_CANCELLED);
	assert_non_null(strstr(e.message, "cancelled, the program is stopping"));
	assert_null(strstr(e.message, "attempts"));
	aws_buf_free(&resp);
	aws_client_free(c);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_service_descriptors_match_the_api_references),
		cmocka_unit_test(test_cancelled_client_fails_every_call_at_once),
		cmocka_unit_test(test_crc32_header_matching_the_body_passes),
		cmocka_unit_test(test_crc32_header_absent_or_not_the_services_is_not_checked),
		cmocka_unit_test(test_crc32_mismatch_is_a_protocol_error_saying_both_values),
		cmocka_unit_test(test_crc32_header_that_is_no_number_is_a_protocol_error),
	};
	testdata_suite s = {0};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		testdata_suite_add(&s, fixed[i].name, fixed[i].test_func, NULL);
	/* one case per recorded response: <case>.http with <case>.expect beside it */
	testdata_suite_add_cases(&s, "client", ".http", NULL, "", test_recorded_error_case);
	return testdata_suite_run(&s, "client");
}

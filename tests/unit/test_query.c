/* test_query.c — the Query protocol pieces (aws_query.h): form-encoded request bodies, the
 * response envelope, and XML error bodies of the Query, EC2 and S3 shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "aws_query.h"

static void form_encode_keeps_unreserved_and_escapes_the_rest(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_query_form_encode(&b, "a-Z_0.9~ b/c+d=e&f\xc3\xa9"), 0);
	assert_string_equal(b.data, "a-Z_0.9~%20b%2Fc%2Bd%3De%26f%C3%A9");
	aws_buf_free(&b);
}

static void form_parameters_are_joined_with_ampersands(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_query_form_add(&b, "StackName", "a b/c"), 0);
	assert_int_equal(aws_query_form_addf(&b, "x=y&z", "Parameters.member.%d.ParameterValue", 1), 0);
	assert_string_equal(b.data, "StackName=a%20b%2Fc&Parameters.member.1.ParameterValue=x%3Dy%26z");
	aws_buf_free(&b);
}

static void a_body_starts_with_action_and_version(void **state)
{
	(void)state;
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_query_body(&b, "GetCallerIdentity", "2011-06-15", NULL), 0);
	assert_string_equal(b.data, "Action=GetCallerIdentity&Version=2011-06-15");
	aws_buf_reset(&b);
	assert_int_equal(aws_query_body(&b, "DescribeStacks", "2010-05-15", "StackName=x"), 0);
	assert_string_equal(b.data, "Action=DescribeStacks&Version=2010-05-15&StackName=x");
	aws_buf_free(&b);
}

static const char ns_doc[] =
	"<GetCallerIdentityResponse xmlns=\"urn:a\"><GetCallerIdentityResult>"
	"<Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";

static void a_response_is_checked_for_its_root_and_namespace(void **state)
{
	(void)state;
	aws_query_doc d;
	aws_error err;
	assert_int_equal(aws_query_parse(ns_doc, strlen(ns_doc), "GetCallerIdentity", "urn:b", &d,
					 &err), -1);
	assert_non_null(strstr(err.message, "namespace"));
	assert_int_equal(aws_query_parse(ns_doc, strlen(ns_doc), "AssumeRole", NULL, &d, &err), -1);
	assert_non_null(strstr(err.message, "expected <AssumeRoleResponse>"));
	assert_int_equal(aws_query_parse(ns_doc, strlen(ns_doc), "GetCallerIdentity", NULL, &d,
					 &err), 0);
	char account[8];
	assert_int_equal(aws_query_copy(d.result, "Account", account, sizeof account), 1);
	assert_string_equal(account, "1");
	aws_query_free(&d);
	aws_query_free(&d);
}

static void query_error_bodies_give_code_message_and_request_id(void **state)
{
	(void)state;
	static const char xml[] =
		"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
		"<Type>Sender</Type><Code>AccessDenied</Code>\n<Message> not\nallowed </Message>"
		"</Error><RequestId>r-1</RequestId></ErrorResponse>";
	aws_error e;
	aws_error_clear(&e);
	assert_int_equal(aws_query_error_parse(xml, strlen(xml), &e), 0);
	assert_string_equal(e.type, "AccessDenied");
	assert_string_equal(e.message, "not allowed");
	assert_string_equal(e.request_id, "r-1");
}

static void ec2_error_bodies_and_filled_fields_are_respected(void **state)
{
	(void)state;
	static const char xml[] =
		"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message>"
		"</Error></Errors><RequestID>R-2</RequestID></Response>";
	aws_error e;
	aws_error_clear(&e);
	snprintf(e.type, sizeof e.type, "FromHeader");
	assert_int_equal(aws_query_error_parse(xml, strlen(xml), &e), 0);
	assert_string_equal(e.type, "FromHeader");
	assert_string_equal(e.request_id, "R-2");
	assert_int_equal(aws_query_error_parse("not xml", 7, &e), -1);
	assert_int_equal(aws_query_error_parse("", 0, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(form_encode_keeps_unreserved_and_escapes_the_rest),
		cmocka_unit_test(form_parameters_are_joined_with_ampersands),
		cmocka_unit_test(a_body_starts_with_action_and_version),
		cmocka_unit_test(a_response_is_checked_for_its_root_and_namespace),
		cmocka_unit_test(query_error_bodies_give_code_message_and_request_id),
		cmocka_unit_test(ec2_error_bodies_and_filled_fields_are_respected),
	};
	return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}

/* test_sts.c — STS GetCallerIdentity's answer (aws_sts.h), from the API reference's example
 * in tests/data/cfn. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aws_sts.h"
#include "testdata.h"

static void caller_identity_gives_account_and_arn(void **state)
{
	(void)state;
	size_t len;
	char *xml = testdata_load("cfn", "get-caller-identity.xml", &len);
	aws_sts_identity id;
	assert_int_equal(aws_sts_parse_identity(xml, len, &id, NULL), 0);
	assert_string_equal(id.account, "123456789012");
	assert_string_equal(id.arn, "arn:aws:iam::123456789012:user/Alice");
	free(xml);
}

static void a_cloudformation_answer_is_not_an_identity(void **state)
{
	(void)state;
	size_t len;
	char *xml = testdata_load("cfn", "describe-stacks.xml", &len);
	aws_sts_identity id;
	aws_error err;
	assert_int_equal(aws_sts_parse_identity(xml, len, &id, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(caller_identity_gives_account_and_arn),
		cmocka_unit_test(a_cloudformation_answer_is_not_an_identity),
	};
	return cmocka_run_group_tests_name("sts", tests, NULL, NULL);
}

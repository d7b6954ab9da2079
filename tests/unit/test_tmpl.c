/* test_tmpl.c — the template reader (tmpl.h): built-in templates, Parameters, the SSM
 * parameters a template reads and writes under a chosen prefix, and its refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tmpl.h"

static char dir[1024];

static int has(const tmpl_ssm *s, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return 1;
	return 0;
}

static void parse(const char *d, const char *stack, const char *prefix, tmpl_info *info)
{
	char *text;
	size_t len;
	aws_error err;
	memset(info, 0, sizeof *info);
	assert_int_equal(tmpl_load(d, stack, &text, &len, &err), 0);
	assert_int_equal(tmpl_parse(text, len, prefix, info, &err), 0);
	free(text);
}

static int parse_text(const char *text, tmpl_info *info, aws_error *err)
{
	memset(info, 0, sizeof *info);
	return tmpl_parse(text, strlen(text), "/p", info, err);
}

static void builtin_templates_are_the_three_stacks(void **state)
{
	(void)state;
	const char *names[] = {"vpc", "table", "container"};
	for (size_t i = 0; i < 3; i++) {
		char *t;
		size_t len;
		assert_int_equal(tmpl_load(NULL, names[i], &t, &len, NULL), 0);
		assert_true(len > 100);
		assert_non_null(strstr(t, "Resources:"));
		free(t);
	}
	aws_error err;
	char *t;
	size_t len;
	assert_int_equal(tmpl_load(NULL, "database", &t, &len, &err), -1);
	assert_non_null(strstr(err.message, "--template-dir"));
}

static void builtin_vpc_writes_its_parameters_under_the_prefix(void **state)
{
	(void)state;
	tmpl_info info;
	parse(NULL, "vpc", "/go-on-aws", &info);
	assert_true(has(info.writes, info.nwrites, "/go-on-aws/vpc"));
	assert_int_equal(info.nreads, 0);
	assert_string_equal(info.default_prefix, "/go-on-aws");
	tmpl_info_free(&info);
	parse(NULL, "vpc", "/team/dev", &info);
	assert_true(has(info.writes, info.nwrites, "/team/dev/vpc"));
	assert_false(has(info.writes, info.nwrites, "/go-on-aws/vpc"));
	tmpl_info_free(&info);
}

static void builtin_container_reads_vpc_and_table_and_writes_nothing(void **state)
{
	(void)state;
	tmpl_info info;
	parse(NULL, "container", "/team/dev", &info);
	assert_true(has(info.reads, info.nreads, "/team/dev/vpc"));
	assert_true(has(info.reads, info.nreads, "/team/dev/table"));
	assert_int_equal(info.nwrites, 0);
	assert_non_null(tmpl_find_param(&info, "Image"));
	tmpl_info_free(&info);
}

static void fn_sub_names_are_read(void **state)
{
	(void)state;
	tmpl_info info;
	parse(dir, "table", "/x", &info);
	assert_int_equal(info.nwrites, 1);
	assert_string_equal(info.writes[0].name, "/x/table");
	assert_string_equal(info.writes[0].key, "TableParameter");
	tmpl_info_free(&info);
}

/* Parameter values for tmpl_kept_on_delete: "Key=Value" strings, NULL-terminated. */
static const char *kv_value(void *ud, const char *name)
{
	for (const char *const *p = ud; *p; p++) {
		size_t n = strcspn(*p, "=");
		if (strlen(name) == n && strncmp(*p, name, n) == 0)
			return *p + n + 1;
	}
	return NULL;
}

/* The kept resources of text under params, as "Id:Policy,Id:Policy" (or "error: …"). */
static void kept(const char *text, const char *const *params, char *out, size_t len)
{
	tmpl_kept *k;
	size_t n;
	aws_error err;
	aws_error_clear(&err);
	out[0] = '\0';
	if (tmpl_kept_on_delete(text, strlen(text), kv_value, (void *)params, &k, &n, &err) != 0) {
		snprintf(out, len, "error: %s", err.message);
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s:%s", i ? "," : "",
			 k[i].logical_id, k[i].policy);
	tmpl_kept_free(k, n);
}

static void deletion_policy_literal_and_fn_if_follow_the_stack_parameters(void **state)
{
	(void)state;
	char out[1024];
	size_t len;
	char *t = NULL;
	aws_error err;
	/* the built-in table template: DeletionPolicy !If [RetainTable, Retain, Delete] */
	assert_int_equal(tmpl_load(NULL, "table", &t, &len, &err), 0);
	const char *retain[] = {"TableDeletionPolicy=Retain", NULL};
	const char *del[] = {"TableDeletionPolicy=Delete", NULL};
	const char *none[] = {NULL};
	kept(t, retain, out, sizeof out);
	assert_string_equal(out, "Table:Retain");
	kept(t, del, out, sizeof out);
	assert_string_equal(out, "");
	kept(t, none, out, sizeof out);   /* the Default, Delete */
	assert_string_equal(out, "");
	free(t);
	const char *lit = "Resources:\n"
			  "  A: {Type: AWS::S3::Bucket, DeletionPolicy: RetainExceptOnCreate}\n"
			  "  B: {Type: AWS::RDS::DBInstance, DeletionPolicy: Snapshot}\n"
			  "  C: {Type: AWS::SQS::Queue, DeletionPolicy: Delete}\n"
			  "  D: {Type: AWS::SQS::Queue}\n";
	kept(lit, none, out, sizeof out);
	assert_string_equal(out, "A:RetainExceptOnCreate,B:Snapshot");
}

static void conditions_combine_and_a_resource_that_does_not_exist_keeps_nothing(void **state)
{
	(void)state;
	char out[1024];
	const char *text =
		"Parameters:\n"
		"  Env: {Type: String, Default: dev}\n"
		"  Keep: {Type: String, Default: 'no'}\n"
		"Conditions:\n"
		"  Prod: !Equals [!Ref Env, prod]\n"
		"  KeepIt: {\"Fn::Equals\": [{Ref: Keep}, 'yes']}\n"
		"  Both: !And [!Condition Prod, !Not [!Equals [!Ref Keep, 'no']]]\n"
		"  Either: {\"Fn::Or\": [{Condition: Prod}, {Condition: KeepIt}]}\n"
		"Resources:\n"
		"  Logs: {Type: AWS::S3::Bucket, DeletionPolicy: !If [Either, Retain, Delete]}\n"
		"  Db:\n"
		"    Type: AWS::RDS::DBInstance\n"
		"    Condition: Prod\n"
		"    DeletionPolicy: {\"Fn::If\": [Both, Retain, Snapshot]}\n";
	const char *dev[] = {NULL};
	const char *devkeep[] = {"Keep=yes", NULL};
	const char *prod[] = {"Env=prod", NULL};
	const char *prodkeep[] = {"Env=prod", "Keep=yes", NULL};
	kept(text, dev, out, sizeof out);
	assert_string_equal(out, "");               /* Db does not exist in dev */
	kept(text, devkeep, out, sizeof out);
	assert_string_equal(out, "Logs:Retain");
	kept(text, prod, out, sizeof out);
	assert_string_equal(out, "Logs:Retain,Db:Snapshot");
	kept(text, prodkeep, out, sizeof out);
	assert_string_equal(out, "Logs:Retain,Db:Retain");
}

static void a_policy_that_cannot_be_evaluated_is_an_error_not_a_guess(void **state)
{
	(void)state;
	char out[1024];
	const char *none[] = {NULL};
	kept("Conditions:\n  East: !Equals [!Ref 'AWS::Region', us-east-1]\n"
	     "Resources:\n  A: {Type: AWS::S3::Bucket, DeletionPolicy: !If [East, Retain, Delete]}\n",
	     none, out, sizeof out);
	assert_string_equal(out, "error: A's DeletionPolicy: condition East: cannot evaluate Ref "
				 "AWS::Region: not a parameter of the template");
	kept("Resources:\n  A: {Type: AWS::S3::Bucket, DeletionPolicy: !If [Nope, Retain, Delete]}\n",
	     none, out, sizeof out);
	assert_string_equal(out, "error: A's DeletionPolicy: condition Nope is not in Conditions");
	kept("Resources:\n  A: {Type: AWS::S3::Bucket, DeletionPolicy: !Sub '${X}'}\n", none, out,
	     sizeof out);
	assert_string_equal(out, "error: A's DeletionPolicy: cannot evaluate !Sub here");
}

static void read_defaults_follow_the_prefix(void **state)
{
	(void)state;
	tmpl_info info;
	parse(dir, "container", "/x", &info);
	assert_int_equal(info.nreads, 2);
	assert_string_equal(info.reads[0].key, "VpcId");
	assert_string_equal(info.reads[0].name, "/x/vpc");
	const tmpl_param *p = tmpl_find_param(&info, "VpcId");
	assert_string_equal(p->def, "/go-on-aws/vpc");
	assert_null(tmpl_find_param(&info, "Image")->def);
	tmpl_info_free(&info);
}

static void a_name_built_otherwise_is_refused_not_guessed(void **state)
{
	(void)state;
	tmpl_info info;
	aws_error err;
	assert_int_equal(parse_text("Resources:\n  P:\n    Type: AWS::SSM::Parameter\n"
				    "    Properties:\n      Name: !Join [\"/\", [a, b]]\n", &info, &err), -1);
	assert_non_null(strstr(err.message, "P (AWS::SSM::Parameter)"));
	assert_int_equal(parse_text("Resources:\n  P:\n    Type: AWS::SSM::Parameter\n"
				    "    Properties:\n      Name: !Sub \"${AWS::StackName}/x\"\n", &info,
				    &err), -1);
	assert_non_null(strstr(err.message, "other than ${ParamPrefix}"));
}

static void malformed_templates_are_errors_with_a_line(void **state)
{
	(void)state;
	tmpl_info info;
	aws_error err;
	assert_int_equal(parse_text("Resources:\n  A: [\n", &info, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "line"));
	assert_int_equal(parse_text("- a\n- b\n", &info, &err), -1);
	assert_int_equal(parse_text("Parameters:\n  X: {Default: 1}\nResources: {}\n", &info, &err), -1);
	assert_non_null(strstr(err.message, "X has no Type"));
	char *t;
	size_t len;
	assert_int_equal(tmpl_load("/nonexistent", "vpc", &t, &len, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_IO);
}

int main(void)
{
	const char *d = getenv("SHOWTABLE_TESTDATA");
	snprintf(dir, sizeof dir, "%s/deploy/templates", d ? d : "tests/data");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_templates_are_the_three_stacks),
		cmocka_unit_test(builtin_vpc_writes_its_parameters_under_the_prefix),
		cmocka_unit_test(builtin_container_reads_vpc_and_table_and_writes_nothing),
		cmocka_unit_test(fn_sub_names_are_read),
		cmocka_unit_test(deletion_policy_literal_and_fn_if_follow_the_stack_parameters),
		cmocka_unit_test(conditions_combine_and_a_resource_that_does_not_exist_keeps_nothing),
		cmocka_unit_test(a_policy_that_cannot_be_evaluated_is_an_error_not_a_guess),
		cmocka_unit_test(read_defaults_follow_the_prefix),
		cmocka_unit_test(a_name_built_otherwise_is_refused_not_guessed),
		cmocka_unit_test(malformed_templates_are_errors_with_a_line),
	};
	return cmocka_run_group_tests_name("tmpl", tests, NULL, NULL);
}

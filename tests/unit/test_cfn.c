/* test_cfn.c — the CloudFormation Query response parsers (cfn.h) on
 * responses shaped as the API reference's examples (tests/data/cfn/), and the judgements
 * made on them: empty change sets, in-progress states, the root cause of a failure. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cfn.h"
#include "cfn_drift.h"
#include "aws_query.h"

static char *load(const char *name, size_t *len)
{
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	char path[1024];
	snprintf(path, sizeof path, "%s/cfn/%s", dir ? dir : "tests/data", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[*len] = '\0';
	char *copy = malloc(*len + 1);
	assert_non_null(copy);
	memcpy(copy, buf, *len + 1);
	return copy;
}

static void describe_stacks_reads_status_outputs_and_parameters(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("describe-stacks.xml", &len), *next = NULL;
	cfn_stack *s = NULL;
	assert_int_equal(cfn_parse_stacks(xml, len, &s, &n, &next, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].name, "MyStack");
	assert_string_equal(s[0].status, "CREATE_COMPLETE");
	assert_string_equal(s[0].created, "2010-07-27T22:28:28Z");
	assert_null(s[0].updated);
	assert_null(s[0].reason);
	assert_int_equal(s[0].noutputs, 1);
	assert_string_equal(s[0].outputs[0].key, "StartPage");
	assert_string_equal(s[0].outputs[0].value, "http://my-load-balancer.amazonaws.com:80/index.html");
	assert_int_equal(s[0].nparams, 2);
	assert_string_equal(s[0].params[0].key, "KeyName");
	assert_null(s[0].params[0].resolved);
	/* an SSM-typed parameter: its value is the SSM name, ResolvedValue what it held */
	assert_string_equal(s[0].params[1].value, "/go-on-aws/vpc");
	assert_string_equal(s[0].params[1].resolved, "vpc-0abc1234");
	assert_null(next);
	cfn_stacks_free(s, n);
	free(xml);
}

static void stack_events_are_read_in_the_order_given(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("describe-stack-events.xml", &len), *next = NULL;
	cfn_event *ev = NULL;
	assert_int_equal(cfn_parse_events(xml, len, &ev, &n, &next, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].id, "Event-1-Id");
	assert_string_equal(ev[0].type, "AWS::CloudFormation::Stack");
	assert_null(ev[0].reason);
	assert_string_equal(ev[1].logical_id, "MySG1");
	assert_string_equal(ev[1].physical_id, "MyStack_SG1");
	assert_string_equal(ev[1].status, "CREATE_COMPLETE");
	assert_string_equal(ev[1].timestamp, "2010-07-27T22:27:28Z");
	cfn_events_free(ev, n);
	free(xml);
}

static void event_pages_append_and_next_token_is_returned(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *next = NULL;
	cfn_event *ev = NULL;
	char *p1 = load("events-page1.xml", &len);
	assert_int_equal(cfn_parse_events(p1, len, &ev, &n, &next, NULL), 0);
	assert_string_equal(next, "token-after-e2");
	char *p2 = load("events-page2.xml", &len);
	assert_int_equal(cfn_parse_events(p2, len, &ev, &n, &next, NULL), 0);
	assert_null(next);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].id, "e3");
	assert_string_equal(ev[2].id, "e1");
	cfn_events_free(ev, n);
	free(p1);
	free(p2);
}

static void change_set_lists_resource_changes_with_replacement(void **state)
{
	(void)state;
	size_t len;
	char *xml = load("describe-change-set.xml", &len), *next = NULL;
	cfn_change_set cs;
	memset(&cs, 0, sizeof cs);
	assert_int_equal(cfn_parse_change_set(xml, len, &cs, &next, NULL), 0);
	assert_string_equal(cs.status, "CREATE_COMPLETE");
	assert_string_equal(cs.exec_status, "AVAILABLE");
	assert_int_equal(cs.nchanges, 3);
	assert_string_equal(cs.changes[0].action, "Modify");
	assert_string_equal(cs.changes[0].logical_id, "MyEC2Instance");
	assert_string_equal(cs.changes[0].type, "AWS::EC2::Instance");
	assert_string_equal(cs.changes[0].replacement, "False");
	assert_string_equal(cs.changes[1].replacement, "Conditional");
	assert_string_equal(cs.changes[2].action, "Add");
	assert_null(cs.changes[2].replacement);
	assert_int_equal(cs.nparams, 3);
	assert_string_equal(cs.params[2].key, "InstanceType");
	assert_string_equal(cs.params[2].value, "t2.micro");
	assert_string_equal(next, "page-2-token");
	assert_false(cfn_change_set_is_empty(&cs));
	/* a second page appends changes and keeps the fields of the first */
	assert_int_equal(cfn_parse_change_set(xml, len, &cs, &next, NULL), 0);
	assert_int_equal(cs.nchanges, 6);
	assert_int_equal(cs.nparams, 3);
	free(next);
	cfn_change_set_free(&cs);
	free(xml);
}

static void change_details_say_what_changes_and_why(void **state)
{
	(void)state;
	size_t len;
	char *xml = load("describe-change-set.xml", &len);
	cfn_change_set cs;
	memset(&cs, 0, sizeof cs);
	assert_int_equal(cfn_parse_change_set(xml, len, &cs, NULL, NULL), 0);
	assert_string_equal(cs.changes[0].physical_id, "i-1abc23d4");
	assert_int_equal(cs.changes[0].ndetails, 1);
	const cfn_change_detail *t = &cs.changes[0].details[0];
	assert_string_equal(t->attribute, "Tags");
	assert_string_equal(t->recreation, "Never");
	assert_string_equal(t->source, "DirectModification");
	assert_null(t->before);
	assert_null(t->causing);
	const cfn_change_detail *d = &cs.changes[1].details[0];
	assert_string_equal(d->attribute, "Properties");
	assert_string_equal(d->name, "VpcId");
	assert_string_equal(d->recreation, "Always");
	assert_string_equal(d->change_type, "Modify");
	assert_string_equal(d->before, "vpc-0abc1234");
	assert_string_equal(d->after, "{{changeSet:KNOWN_AFTER_APPLY}}");
	assert_string_equal(d->evaluation, "Dynamic");
	assert_string_equal(d->source, "ResourceReference");
	assert_string_equal(d->causing, "MyVPC");
	assert_int_equal(cs.changes[2].ndetails, 0);
	cfn_change_set_free(&cs);
	free(xml);
}

static void drift_detection_id_status_and_property_differences_are_read(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("detect-stack-drift.xml", &len), *id = NULL, *next = NULL;
	assert_int_equal(cfn_parse_detect_drift(xml, len, &id, NULL), 0);
	assert_string_equal(id, "2f2b2d60-df86-11e8-bf64-0a2e2a3c5e3c");
	free(id);
	free(xml);
	xml = load("describe-stack-drift-detection-status.xml", &len);
	cfn_drift_status st;
	assert_int_equal(cfn_parse_drift_status(xml, len, &st, NULL), 0);
	assert_string_equal(st.detection, "DETECTION_COMPLETE");
	assert_string_equal(st.drift, "DRIFTED");
	assert_string_equal(st.drifted_count, "1");
	assert_null(st.reason);
	cfn_drift_status_free(&st);
	free(xml);
	xml = load("describe-stack-resource-drifts.xml", &len);
	cfn_resource_drift *r = NULL;
	assert_int_equal(cfn_parse_resource_drifts(xml, len, &r, &n, &next, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].logical_id, "myQueue");
	assert_string_equal(r[0].status, "MODIFIED");
	assert_int_equal(r[0].ndiffs, 2);
	assert_string_equal(r[0].diffs[0].path, "/RedrivePolicy/maxReceiveCount");
	assert_string_equal(r[0].diffs[0].expected, "5");
	assert_string_equal(r[0].diffs[0].actual, "3");
	assert_string_equal(r[0].diffs[0].kind, "NOT_EQUAL");
	assert_string_equal(r[1].status, "DELETED");
	assert_int_equal(r[1].ndiffs, 0);
	assert_string_equal(next, "drift-page-2");
	cfn_resource_drifts_free(r, n);
	free(next);
	free(xml);
}

static void empty_change_set_is_recognised_by_its_reason(void **state)
{
	(void)state;
	size_t len;
	char *xml = load("change-set-empty.xml", &len);
	cfn_change_set cs;
	memset(&cs, 0, sizeof cs);
	assert_int_equal(cfn_parse_change_set(xml, len, &cs, NULL, NULL), 0);
	assert_string_equal(cs.status, "FAILED");
	assert_int_equal(cs.nchanges, 0);
	assert_true(cfn_change_set_is_empty(&cs));
	free(cs.reason);
	cs.reason = strdup("Template error: unresolved resource dependencies [X]");
	assert_false(cfn_change_set_is_empty(&cs));
	cfn_change_set_free(&cs);
	free(xml);
}

static void create_change_set_returns_ids(void **state)
{
	(void)state;
	size_t len;
	char *xml = load("create-change-set.xml", &len), *id = NULL, *sid = NULL;
	assert_int_equal(cfn_parse_create_change_set(xml, len, &id, &sid, NULL), 0);
	assert_true(strstr(id, ":changeSet/SampleChangeSet/") != NULL);
	assert_true(strstr(sid, ":stack/SampleStack/") != NULL);
	free(id);
	free(sid);
	free(xml);
}

static void stack_resources_give_physical_ids(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("describe-stack-resources.xml", &len);
	cfn_resource *r = NULL;
	assert_int_equal(cfn_parse_resources(xml, len, &r, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[1].logical_id, "MyAutoScalingGroup");
	assert_string_equal(r[1].physical_id, "MyStack_ASG1");
	assert_string_equal(r[1].status, "CREATE_IN_PROGRESS");
	cfn_resources_free(r, n);
	free(xml);
}

static void wrong_namespace_wrong_root_and_non_xml_are_protocol_errors(void **state)
{
	(void)state;
	size_t len, n = 0;
	aws_error err;
	cfn_stack *s = NULL;
	char *xml = load("wrong-namespace.xml", &len);
	assert_int_equal(cfn_parse_stacks(xml, len, &s, &n, NULL, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "namespace"));
	free(xml);
	cfn_event *ev = NULL;
	xml = load("describe-stacks.xml", &len);
	assert_int_equal(cfn_parse_events(xml, len, &ev, &n, NULL, &err), -1);
	assert_non_null(strstr(err.message, "<DescribeStackEventsResponse>"));
	free(xml);
	xml = load("not-xml.txt", &len);
	assert_int_equal(cfn_parse_stacks(xml, len, &s, &n, NULL, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_int_equal(cfn_parse_stacks("", 0, &s, &n, NULL, &err), -1);
	assert_int_equal(n, 0);
	free(xml);
}

static void elements_from_another_namespace_are_not_read(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("foreign-namespace.xml", &len);
	cfn_stack *s = NULL;
	assert_int_equal(cfn_parse_stacks(xml, len, &s, &n, NULL, NULL), 0);
	assert_int_equal(n, 2);                      /* <x:member> is not a list member */
	assert_string_equal(s[0].name, "MyStack");   /* <x:StackName> before it is skipped */
	assert_string_equal(s[0].status, "CREATE_COMPLETE");
	assert_string_equal(s[1].name, "Second");
	assert_null(s[1].status);
	cfn_stacks_free(s, n);
	free(xml);
}

static void a_doctype_declaring_an_external_entity_is_refused(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("external-entity.xml", &len);
	cfn_stack *s = NULL;
	aws_error err;
	/* AWS never sends a DOCTYPE: refusing it means no entity is declared, let alone loaded */
	assert_int_equal(cfn_parse_stacks(xml, len, &s, &n, NULL, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "DescribeStacks"));
	assert_non_null(strstr(err.message, "DOCTYPE"));
	assert_int_equal(n, 0);
	assert_null(s);
	free(xml);
}

static void root_cause_is_the_earliest_failure_that_is_not_a_cascade(void **state)
{
	(void)state;
	size_t len, n = 0;
	char *xml = load("events-rollback.xml", &len);
	cfn_event *ev = NULL;
	assert_int_equal(cfn_parse_events(xml, len, &ev, &n, NULL, NULL), 0);
	assert_int_equal(n, 9);
	/* the API gives newest first; the judgement wants chronological order */
	for (size_t i = 0; i < n / 2; i++) {
		cfn_event t = ev[i];
		ev[i] = ev[n - 1 - i];
		ev[n - 1 - i] = t;
	}
	const cfn_event *root = cfn_root_cause(ev, n);
	assert_non_null(root);
	assert_string_equal(root->logical_id, "Subnet");
	assert_string_equal(root->reason, "The CIDR '10.0.0.0/18' conflicts with another subnet");
	/* with the real failure gone, cancellations alone name no cause */
	assert_null(cfn_root_cause(ev + 5, n - 5));
	cfn_events_free(ev, n);
	free(xml);
}

static void cascade_reasons_and_in_progress_states(void **state)
{
	(void)state;
	assert_true(cfn_reason_is_cascade("Resource creation cancelled"));
	assert_true(cfn_reason_is_cascade("Resource update cancelled"));
	assert_true(cfn_reason_is_cascade(
		"The following resource(s) failed to create: [A]. Rollback requested by user."));
	assert_false(cfn_reason_is_cascade("Table already exists"));
	assert_true(cfn_status_in_progress("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"));
	assert_true(cfn_status_in_progress("DELETE_IN_PROGRESS"));
	assert_false(cfn_status_in_progress("REVIEW_IN_PROGRESS"));
	assert_false(cfn_status_in_progress("ROLLBACK_COMPLETE"));
	assert_false(cfn_status_in_progress(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(describe_stacks_reads_status_outputs_and_parameters),
		cmocka_unit_test(stack_events_are_read_in_the_order_given),
		cmocka_unit_test(event_pages_append_and_next_token_is_returned),
		cmocka_unit_test(change_set_lists_resource_changes_with_replacement),
		cmocka_unit_test(change_details_say_what_changes_and_why),
		cmocka_unit_test(drift_detection_id_status_and_property_differences_are_read),
		cmocka_unit_test(empty_change_set_is_recognised_by_its_reason),
		cmocka_unit_test(create_change_set_returns_ids),
		cmocka_unit_test(stack_resources_give_physical_ids),
		cmocka_unit_test(wrong_namespace_wrong_root_and_non_xml_are_protocol_errors),
		cmocka_unit_test(elements_from_another_namespace_are_not_read),
		cmocka_unit_test(a_doctype_declaring_an_external_entity_is_refused),
		cmocka_unit_test(root_cause_is_the_earliest_failure_that_is_not_a_cascade),
		cmocka_unit_test(cascade_reasons_and_in_progress_states),
	};
	return cmocka_run_group_tests_name("cfn", tests, NULL, NULL);
}

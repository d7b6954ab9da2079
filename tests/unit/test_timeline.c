/* test_timeline.c — the deploy timeline (timeline.h): CloudFormation timestamps, each
 * resource's time in progress summed over its spans, slowest first, durations for people. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "timeline.h"

static void timestamps_parse_with_and_without_a_fraction(void **state)
{
	(void)state;
	assert_int_equal(timeline_parse_time("1970-01-01T00:01:00Z"), 60000);
	assert_int_equal(timeline_parse_time("1970-01-01T00:01:00.25Z"), 60250);
	assert_int_equal(timeline_parse_time("2026-11-27T04:00:00.123Z") % 1000, 123);
	assert_int_equal(timeline_parse_time("yesterday"), -1);
	assert_int_equal(timeline_parse_time(NULL), -1);
}

#define EV(lid, type, status, ts) {NULL, (char *)(lid), NULL, (char *)(type), (char *)(status), NULL, (char *)(ts)}

static void spans_are_summed_and_the_slowest_comes_first(void **state)
{
	(void)state;
	const cfn_event ev[] = {
		EV("s", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "2026-01-01T00:00:00Z"),
		EV("Web", "AWS::ECS::Service", "UPDATE_IN_PROGRESS", "2026-01-01T00:00:01Z"),
		EV("Db", "AWS::DynamoDB::Table", "UPDATE_IN_PROGRESS", "2026-01-01T00:00:02Z"),
		EV("Db", "AWS::DynamoDB::Table", "UPDATE_IN_PROGRESS", "2026-01-01T00:00:03Z"),
		EV("Db", "AWS::DynamoDB::Table", "UPDATE_COMPLETE", "2026-01-01T00:00:12Z"),
		EV("Web", "AWS::ECS::Service", "UPDATE_COMPLETE", "2026-01-01T00:04:01Z"),
		EV("s", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
		   "2026-01-01T00:04:02Z"),
		/* the replaced table's old copy, deleted in the cleanup: a second span */
		EV("Db", "AWS::DynamoDB::Table", "DELETE_IN_PROGRESS", "2026-01-01T00:04:03Z"),
		EV("Db", "AWS::DynamoDB::Table", "DELETE_COMPLETE", "2026-01-01T00:04:08Z"),
		EV("s", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", "2026-01-01T00:04:10Z"),
	};
	timeline t;
	assert_int_equal(timeline_build(ev, sizeof ev / sizeof ev[0], "s", &t), 0);
	assert_int_equal(t.total_ms, 250000);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.entries[0].logical_id, "Web");
	assert_int_equal(t.entries[0].ms, 240000);
	assert_string_equal(t.entries[1].logical_id, "Db");
	assert_int_equal(t.entries[1].ms, 10000 + 5000);   /* not the 4 minutes in between */
	assert_string_equal(t.entries[1].last_status, "DELETE_COMPLETE");
	timeline_free(&t);
}

static void durations_read_as_people_write_them(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(timeline_duration(400, b, sizeof b), "0.4s");
	assert_string_equal(timeline_duration(38000, b, sizeof b), "38s");
	assert_string_equal(timeline_duration(252000, b, sizeof b), "4m12s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timestamps_parse_with_and_without_a_fraction),
		cmocka_unit_test(spans_are_summed_and_the_slowest_comes_first),
		cmocka_unit_test(durations_read_as_people_write_them),
	};
	return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}

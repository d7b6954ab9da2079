/* test_watch.c — the line a stopped ECS task is summed up in while a deploy watches its
 * deployment (watch.h), one case per pair of files in tests/data/ecs: stopped-*.json, a
 * DescribeTasks response, and stopped-*.expect, the line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "testdata.h"
#include "watch.h"

static void each_stopped_task_reads_as_its_expected_line(void **state)
{
	(void)state;
	const char *dir = getenv("SHOWTABLE_TESTDATA");
	char pattern[1024];
	snprintf(pattern, sizeof pattern, "%s/ecs/stopped-*.json", dir ? dir : "tests/data");
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char expect_path[1100];
		snprintf(expect_path, sizeof expect_path, "%.*s.expect",
			 (int)(strlen(g.gl_pathv[i]) - strlen(".json")), g.gl_pathv[i]);
		size_t jlen, elen;
		char *json = testdata_read(g.gl_pathv[i], &jlen);
		char *expect = testdata_read(expect_path, &elen);
		assert_non_null(json);
		assert_non_null(expect);
		expect[strcspn(expect, "\n")] = '\0';
		char line[1024];
		watch_stop_reason(json, jlen, line, sizeof line);
		if (strcmp(line, expect) != 0)
			fail_msg("%s:\n got      %s\n expected %s", g.gl_pathv[i], line, expect);
		free(json);
		free(expect);
	}
	globfree(&g);
}

static void no_task_gives_an_empty_line(void **state)
{
	(void)state;
	char line[64] = "x";
	const char *none = "{\"tasks\": [], \"failures\": [{\"arn\": \"a\", \"reason\": \"MISSING\"}]}";
	assert_string_equal(watch_stop_reason(none, strlen(none), line, sizeof line), "");
	assert_string_equal(watch_stop_reason("not json", 8, line, sizeof line), "");
}

static void a_long_reason_is_cut_not_overrun(void **state)
{
	(void)state;
	const char *json = "{\"tasks\": [{\"stoppedReason\": \"0123456789abcdef\", \"containers\": "
			   "[{\"name\": \"web\", \"exitCode\": 1}]}]}";
	char line[12];
	assert_string_equal(watch_stop_reason(json, strlen(json), line, sizeof line), "0123456789a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_stopped_task_reads_as_its_expected_line),
		cmocka_unit_test(no_task_gives_an_empty_line),
		cmocka_unit_test(a_long_reason_is_cut_not_overrun),
	};
	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}

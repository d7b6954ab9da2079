/* test_srv_log.c — request and event lines: one JSON object per line, strings escaped,
 * levels filtered, buffered lines written by srv_log_flush. stdout goes to a temp file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "srv_log.h"

static char path[64];
static int saved_stdout = -1;

static int capture(void **state)
{
	(void)state;
	strcpy(path, "/tmp/test_srv_log.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	srv_log_set_level(SRV_LOG_INFO);
	return 0;
}

static int restore(void **state)
{
	(void)state;
	srv_log_flush();
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	unlink(path);
	return 0;
}

static char *captured(void)
{
	srv_log_flush();
	FILE *f = fopen(path, "rb");
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void a_request_is_one_line_with_every_field(void **state)
{
	(void)state;
	srv_log_req r = {.method = "GET", .path = "/query", .status = 200, .bytes = 1234, .duration_ms = 12.3456,
			 .user = "alice", .client = "192.0.2.1", .request_id = "abc-1"};
	srv_log_request(&r);
	char *out = captured();
	assert_non_null(strstr(out, "\"event\":\"request\",\"method\":\"GET\",\"path\":\"/query\",\"status\":200,"
				    "\"bytes\":1234,\"duration_ms\":12.346,\"user\":\"alice\",\"client\":\"192.0.2.1\","
				    "\"request_id\":\"abc-1\"}\n"));
	assert_non_null(strstr(out, "{\"time\":\""));
	assert_non_null(strstr(out, "Z\",\"level\":\"info\""));
	assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));   /* exactly one line */
}

static void strings_are_escaped_and_absent_users_are_null(void **state)
{
	(void)state;
	srv_log_req r = {.method = "GET", .path = "/a\"b\\c\n\x01", .status = 404, .bytes = 0,
			 .duration_ms = 0.0004, .user = NULL, .client = "::1", .request_id = "x"};
	srv_log_request(&r);
	char *out = captured();
	assert_non_null(strstr(out, "\"path\":\"/a\\\"b\\\\c\\u000a\\u0001\""));
	assert_non_null(strstr(out, "\"duration_ms\":0.000"));
	assert_non_null(strstr(out, "\"user\":null"));
}

static void escapes_at_the_edges_and_long_values_are_cut_at_their_limit(void **state)
{
	(void)state;
	char longpath[700];
	memset(longpath, 'p', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = '\0';
	srv_log_req r = {.method = "\"GET\x7f", .path = longpath, .status = 200, .user = "\\",
			 .client = "c\x1f", .request_id = ""};
	srv_log_request(&r);
	char *out = captured();
	assert_non_null(strstr(out, "\"method\":\"\\\"GET\\u007f\","));
	assert_non_null(strstr(out, "\"user\":\"\\\\\","));
	assert_non_null(strstr(out, "\"client\":\"c\\u001f\","));
	assert_non_null(strstr(out, "\"request_id\":\"\"}"));
	char want[600] = "\"path\":\"";
	memset(want + 8, 'p', 512);   /* paths are cut at 512 bytes */
	strcpy(want + 8 + 512, "\",");
	assert_non_null(strstr(out, want));
}

static void errors_go_to_warn_or_error_with_their_detail(void **state)
{
	(void)state;
	srv_log_req r = {.method = "GET", .path = "/query", .status = 502, .user = "", .client = "c",
			 .request_id = "r", .error = "table t not found"};
	srv_log_request(&r);
	char *out = captured();
	assert_non_null(strstr(out, "\"level\":\"error\""));
	assert_non_null(strstr(out, "\"error\":\"table t not found\""));
}

static void levels_below_the_setting_are_dropped(void **state)
{
	(void)state;
	srv_log_set_level(SRV_LOG_WARN);
	srv_log_req r = {.method = "GET", .path = "/ping", .status = 200, .client = "c", .request_id = "r"};
	srv_log_request(&r);
	srv_log_event(SRV_LOG_INFO, "x", "not shown");
	srv_log_event(SRV_LOG_WARN, "ssm", "shown %d", 42);
	char *out = captured();
	assert_null(strstr(out, "/ping"));
	assert_null(strstr(out, "not shown"));
	assert_non_null(strstr(out, "\"event\":\"ssm\",\"message\":\"shown 42\"}\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_request_is_one_line_with_every_field, capture, restore),
		cmocka_unit_test_setup_teardown(strings_are_escaped_and_absent_users_are_null, capture, restore),
		cmocka_unit_test_setup_teardown(escapes_at_the_edges_and_long_values_are_cut_at_their_limit, capture, restore),
		cmocka_unit_test_setup_teardown(errors_go_to_warn_or_error_with_their_detail, capture, restore),
		cmocka_unit_test_setup_teardown(levels_below_the_setting_are_dropped, capture, restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

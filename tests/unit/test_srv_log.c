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
#include <jansson.h>
#include "aws_buf.h"
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

/* Everything written so far (any size), NUL-terminated; free it. */
static char *captured_all(size_t *len)
{
	srv_log_flush();
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	aws_buf b = AWS_BUF_INIT;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(aws_buf_append(&b, chunk, n), 0);
	fclose(f);
	return aws_buf_steal(&b, len);
}

/* Parses every line as JSON (jansson refuses invalid UTF-8); returns how many there were. */
static int assert_every_line_is_json(const char *out, size_t len)
{
	int lines = 0;
	const char *p = out, *end = out + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		json_error_t je;
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, &je);
		if (!j)
			fail_msg("line %d is not JSON (%s): %.*s", lines + 1, je.text, (int)(nl - p), p);
		assert_true(json_is_object(j));
		json_decref(j);
		lines++;
		p = nl + 1;
	}
	return lines;
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* n random bytes without NUL: ASCII, controls, quotes, valid and broken UTF-8 mixed. */
static void hostile(char *out, size_t n)
{
	static const char *pieces[] = {"\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xe2\x82\xac", "\xc3\xa9",
				       "\xed\xa0\x80", "\xc0\xaf", "\"", "\\", "\x01", "\x7f", "a", "/"};
	size_t i = 0;
	while (i < n) {
		const char *pc = pieces[next_rand() % (sizeof pieces / sizeof pieces[0])];
		size_t k = strlen(pc);
		if (next_rand() % 4 == 0) {
			pc = NULL;
			k = 1;
		}
		if (i + k > n)
			break;
		if (pc)
			memcpy(out + i, pc, k);
		else
			out[i] = (char)(1 + next_rand() % 255);
		i += k;
	}
	out[i] = '\0';
}

static void every_line_is_json_whatever_the_fields_hold(void **state)
{
	(void)state;
	static char f[7][3000];
	static const size_t sizes[] = {8, 40, 600, 1100, 3000};
	for (int round = 0; round < 400; round++) {
		for (int k = 0; k < 7; k++)
			hostile(f[k], sizes[next_rand() % 5] - 1);
		srv_log_req r = {.method = f[0], .path = f[1], .status = 200 + round % 400, .user = f[2],
				 .client = f[3], .request_id = f[4], .trace_id = f[5],
				 .error = round % 2 ? f[6] : NULL};
		srv_log_request(&r);
		srv_log_event(SRV_LOG_WARN, f[0], "%s %s", f[1], f[6]);
	}
	size_t len;
	char *out = captured_all(&len);
	assert_int_equal(assert_every_line_is_json(out, len), 800);
	free(out);
}

static void invalid_utf8_is_logged_as_replacement_characters(void **state)
{
	(void)state;
	srv_log_req r = {.method = "GET", .path = "/a\xff\xfe\xc3(b\xe2\x82", .status = 404, .client = "c",
			 .request_id = "r", .trace_id = "Root=\xc0\xaf\xed\xa0\x80x"};
	srv_log_request(&r);
	size_t len;
	char *out = captured_all(&len);
	assert_non_null(strstr(out, "\"path\":\"/a\\ufffd\\ufffd\\ufffd(b\\ufffd\\ufffd\""));
	assert_non_null(strstr(out, "\"trace_id\":\"Root=\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdx\""));
	assert_int_equal(assert_every_line_is_json(out, len), 1);
	free(out);
}

static void long_values_are_cut_before_a_character_never_inside_it(void **state)
{
	(void)state;
	char euros[3 * 400 + 1] = "", quotes[2000];
	for (int i = 0; i < 400; i++)
		strcat(euros, "\xe2\x82\xac");         /* 3 bytes each: 512 is not a multiple */
	memset(quotes, '"', sizeof quotes - 1);       /* 2 bytes each once escaped */
	quotes[sizeof quotes - 1] = '\0';
	srv_log_req r = {.method = "GET", .path = euros, .status = 500, .client = "c", .request_id = "r",
			 .trace_id = euros, .error = quotes};
	srv_log_request(&r);
	size_t len;
	char *out = captured_all(&len);
	assert_int_equal(assert_every_line_is_json(out, len), 1);
	json_t *j = json_loadb(out, len, 0, NULL);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "path"))), 510);    /* 170 whole euros */
	assert_int_equal(strlen(json_string_value(json_object_get(j, "trace_id"))), 126);
	const char *e = json_string_value(json_object_get(j, "error"));
	assert_true(strlen(e) > 600 && strspn(e, "\"") == strlen(e));
	assert_true(len < 4096);
	json_decref(j);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_request_is_one_line_with_every_field, capture, restore),
		cmocka_unit_test_setup_teardown(strings_are_escaped_and_absent_users_are_null, capture, restore),
		cmocka_unit_test_setup_teardown(escapes_at_the_edges_and_long_values_are_cut_at_their_limit, capture, restore),
		cmocka_unit_test_setup_teardown(errors_go_to_warn_or_error_with_their_detail, capture, restore),
		cmocka_unit_test_setup_teardown(levels_below_the_setting_are_dropped, capture, restore),
		cmocka_unit_test_setup_teardown(every_line_is_json_whatever_the_fields_hold, capture, restore),
		cmocka_unit_test_setup_teardown(invalid_utf8_is_logged_as_replacement_characters, capture, restore),
		cmocka_unit_test_setup_teardown(long_values_are_cut_before_a_character_never_inside_it, capture, restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

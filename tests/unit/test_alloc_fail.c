/* test_alloc_fail.c — out of memory at every allocation, as SQLite tests it: each scenario
 * (reading a Scan page into a server page and rendering it as HTML and JSON; each of its
 * items in the item view, HTML and JSON; parsing the shared config files) runs once to
 * learn its answer, then again with the Nth allocation failing, for N = 1, 2, ... until a
 * run completes without reaching N. Every run must end in the same answer or a clean
 * error — no crash, no partial page passed off as whole — and, in the sanitizer build,
 * with nothing leaked.
 *
 * The allocator is wrapped at link time (-Wl,--wrap, see the Makefile) for the code linked
 * into this program, and jansson's allocations are routed through the same counter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "aws_config.h"
#include "aws_ddb.h"
#include "srv_page.h"
#include "srv_render.h"
#include "testdata.h"

/* ---- the failing allocator ---- */

static long alloc_count;   /* allocations seen since arming */
static long fail_at;       /* 0: never fail; N: the Nth allocation returns NULL */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static int should_fail(void)
{
	return fail_at && ++alloc_count == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return should_fail() ? NULL : __real_strndup(s, n);
}

static void *json_malloc(size_t n)
{
	return __wrap_malloc(n);
}

/* A scenario returns its answer (malloc'd with the real allocator, or NULL) when it
 * succeeded; on failure NULL and a non-empty reason in why. */
typedef char *(*scenario_fn)(char *why, size_t why_len);

/* Runs fn with every allocation in turn failing; returns how many runs were made. */
static long fail_each_allocation(const char *what, scenario_fn fn)
{
	char why[1024] = "";
	fail_at = 0;
	char *want = fn(why, sizeof why);
	if (!want)
		fail_msg("%s: fails without any injected failure: %s", what, why);
	long n;
	for (n = 1;; n++) {
		alloc_count = 0;
		fail_at = n;
		why[0] = '\0';
		char *got = fn(why, sizeof why);
		long seen = alloc_count;
		fail_at = 0;
		if (got) {
			if (strcmp(got, want) != 0)
				fail_msg("%s: allocation %ld failed, yet the run answered something "
					 "else:\n%.300s", what, n, got);
			free(got);
		} else if (!why[0]) {
			fail_msg("%s: allocation %ld failed with no reason given", what, n);
		}
		if (seen < n)
			break;   /* the run completed before reaching allocation n */
	}
	free(want);
	print_message("%s: %ld runs, allocation 1 to %ld failing in turn\n", what, n, n - 1);
	return n;
}

static char *keep(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = __real_malloc(n);
	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

/* ---- Scan page → server page → HTML and JSON ---- */

static char *scan_text;
static size_t scan_len;

static int recorded_scan(void *ctx, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
			 aws_error *err)
{
	int *calls = ctx;
	(void)in;
	static const char end[] = "{\"Items\":[],\"Count\":0,\"ScannedCount\":0}";
	if ((*calls)++ > 0)   /* the recorded page has a LastEvaluatedKey: then the table ends */
		return aws_ddb_scan_page_parse(page, end, sizeof end - 1, err);
	return aws_ddb_scan_page_parse(page, scan_text, scan_len, err);
}

static char *scan_and_render(char *why, size_t why_len)
{
	static const srv_cursor_key key = {{1, 2, 3}};
	int calls = 0;
	srv_page p;
	aws_error err;
	aws_error_clear(&err);
	char *answer = NULL;
	aws_buf html = AWS_BUF_INIT, json = AWS_BUF_INIT;
	if (srv_page_fetch_with(recorded_scan, &calls, "items", NULL, NULL, NULL, 100, 60000, &key, &p,
				&err) != 0) {
		snprintf(why, why_len, "page: %s", err.message);
	} else if ((p.elapsed_ms = 0, srv_render_results(&html, &p) != 0) ||
		   srv_render_items_json(&json, &p) != 0) {
		snprintf(why, why_len, "render failed");
	} else {
		aws_buf all = AWS_BUF_INIT;
		int rc = aws_buf_printf(&all, "%s\n---\n%s", html.data, json.data);
		if (rc == 0)
			answer = keep(all.data);
		else
			snprintf(why, why_len, "joining the outputs failed");
		aws_buf_free(&all);
	}
	aws_buf_free(&html);
	aws_buf_free(&json);
	srv_page_free(&p);
	if (!answer && !why[0])
		snprintf(why, why_len, "no reason");
	return answer;
}

static void scan_and_render_case(const char *path, const char *name, void *total)
{
	(void)path;
	char file[600];
	snprintf(file, sizeof file, "%s", name);
	scan_text = testdata_load("ddb", file, &scan_len);
	*(long *)total += fail_each_allocation(name, scan_and_render);
	free(scan_text);
}

/* Every recorded good Scan page (tests/data/ddb/scan_ok_*) is a scenario. */
static void scan_page_and_render_survive_every_allocation_failure(void **state)
{
	(void)state;
	long runs = 0;
	assert_true(testdata_each("ddb", "scan_ok_", "", scan_and_render_case, &runs) >= 4);
	assert_true(runs > 50);
}

/* ---- Scan page → the item view of each item, as HTML and JSON ---- */

static char *scan_and_render_items(char *why, size_t why_len)
{
	static const srv_cursor_key key = {{1, 2, 3}};
	int calls = 0;
	srv_page p;
	aws_error err;
	aws_error_clear(&err);
	aws_buf all = AWS_BUF_INIT;
	int failed = 0;
	if (srv_page_fetch_with(recorded_scan, &calls, "items", NULL, NULL, NULL, 100, 60000, &key, &p,
				&err) != 0) {
		snprintf(why, why_len, "page: %s", err.message);
		failed = 1;
	}
	for (long i = 0; !failed && i < p.count; i++) {
		srv_render_item_in in = {"items", "itemID", srv_page_item(&p, i), 0.5};
		if (srv_render_item(&all, &in) != 0 || aws_buf_puts(&all, "\n---\n") != 0 ||
		    srv_render_item_json(&all, &in) != 0) {
			snprintf(why, why_len, "render of item %ld failed", i);
			failed = 1;
		}
	}
	if (!failed && aws_buf_putc(&all, '\0') != 0) {
		snprintf(why, why_len, "ending the output failed");
		failed = 1;
	}
	char *answer = failed ? NULL : keep(all.data);
	aws_buf_free(&all);
	srv_page_free(&p);
	return answer;
}

static void item_view_case(const char *path, const char *name, void *total)
{
	(void)path;
	scan_text = testdata_load("ddb", name, &scan_len);
	*(long *)total += fail_each_allocation(name, scan_and_render_items);
	free(scan_text);
}

/* Every item of every recorded good Scan page, in its item view. */
static void item_view_survives_every_allocation_failure(void **state)
{
	(void)state;
	long runs = 0;
	assert_true(testdata_each("ddb", "scan_ok_", "", item_view_case, &runs) >= 4);
	assert_true(runs > 50);
}

/* ---- shared config files ---- */

static char *parse_config(char *why, size_t why_len)
{
	aws_error err;
	aws_error_clear(&err);
	aws_profile *dev = aws_profile_load("dev", &err);
	if (!dev) {
		snprintf(why, why_len, "dev: %s", err.message);
		return NULL;
	}
	aws_profile *sso = aws_profile_load_sso_session("my-sso", &err);
	if (!sso) {
		aws_profile_free(dev);
		snprintf(why, why_len, "sso: %s", err.message);
		return NULL;
	}
	char region[64], line[512];
	char *answer = NULL;
	if (aws_region_resolve(dev, region, sizeof region, &err) != 0) {
		snprintf(why, why_len, "region: %s", err.message);
	} else {
		const char *ra = aws_profile_get(dev, "role_arn");
		const char *sr = aws_profile_get(sso, "sso_region");
		snprintf(line, sizeof line, "%s %s %s", region, ra ? ra : "-", sr ? sr : "-");
		answer = keep(line);
	}
	aws_profile_free(dev);
	aws_profile_free(sso);
	return answer;
}

static void config_parsing_survives_every_allocation_failure(void **state)
{
	(void)state;
	char dir[1024], path[1200];
	testdata_dir("config", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/config", dir);
	setenv("AWS_CONFIG_FILE", path, 1);
	snprintf(path, sizeof path, "%s/credentials", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_PROFILE");
	long runs = fail_each_allocation("config", parse_config);
	assert_true(runs > 5);
}

int main(void)
{
	json_set_alloc_funcs(json_malloc, free);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan_page_and_render_survive_every_allocation_failure),
		cmocka_unit_test(item_view_survives_every_allocation_failure),
		cmocka_unit_test(config_parsing_survives_every_allocation_failure),
	};
	return cmocka_run_group_tests_name("alloc_fail", tests, NULL, NULL);
}

/* testdata.h — the unit tests' access to their data (tests/data/...): reading a file whole,
 * and turning every file of a data folder into a case, so that a case added is a file
 * added (recorded responses, SigV4 vectors, Scan pages).
 *
 * Header-only (each test is one program); include it after <cmocka.h>.
 */
#ifndef TESTDATA_H
#define TESTDATA_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aws_buf.h"

/* The whole file at path, malloc'd and NUL-terminated (free it), its length in *len; NULL
 * when the file cannot be opened (optional files are probed this way). Fails the test when
 * out of memory. */
static inline char *testdata_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	aws_buf b = AWS_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(aws_buf_append(&b, chunk, n), 0);
	fclose(f);
	return aws_buf_steal(&b, len);
}

/* The data folder sub: $SHOWTABLE_TESTDATA/sub, else tests/data/sub (from the repository
 * root). */
static inline void testdata_dir(const char *sub, char *out, size_t len)
{
	const char *root = getenv("SHOWTABLE_TESTDATA");
	snprintf(out, len, "%s/%s", root && *root ? root : "tests/data", sub);
}

/* The whole file <data folder sub>/name (see testdata_read); fails the test when it cannot
 * be read. */
static inline char *testdata_load(const char *sub, const char *name, size_t *len)
{
	char dir[1024], path[2048];
	testdata_dir(sub, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	char *text = testdata_read(path, len);
	if (!text)
		fail_msg("cannot read %s (set SHOWTABLE_TESTDATA)", path);
	return text;
}

static inline int testdata_by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Calls fn(path, name, ud) for every entry of the data folder sub whose name starts with
 * prefix and ends with suffix (either may be ""), in name order, dot entries skipped; path
 * and name are without the suffix. Returns how many; fails the test when the folder cannot
 * be read. */
static inline size_t testdata_each(const char *sub, const char *prefix, const char *suffix,
				   void (*fn)(const char *path, const char *name, void *ud),
				   void *ud)
{
	char dir[1024];
	testdata_dir(sub, dir, sizeof dir);
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, testdata_by_name);
	if (n < 0) {
		fprintf(stderr, "cannot read %s (run from the repository root or set "
			"SHOWTABLE_TESTDATA)\n", dir);
		exit(1);
	}
	size_t count = 0, pl = strlen(prefix), sl = strlen(suffix);
	for (int i = 0; i < n; i++) {
		const char *d = ents[i]->d_name;
		size_t l = strlen(d);
		if (d[0] != '.' && l > pl + sl && strncmp(d, prefix, pl) == 0 &&
		    strcmp(d + l - sl, suffix) == 0) {
			char name[512], path[1600];
			snprintf(name, sizeof name, "%.*s", (int)(l - sl), d);
			snprintf(path, sizeof path, "%s/%s", dir, name);
			fn(path, name, ud);
			count++;
		}
		free(ents[i]);
	}
	free(ents);
	return count;
}

/* A cmocka group built at run time: fixed tests, then one test per data file. */
typedef struct testdata_suite {
	struct CMUnitTest *tests;
	size_t n, cap;
	const char *name_prefix, *needs;   /* for testdata_suite_add_cases */
	CMUnitTestFunction fn;
} testdata_suite;

/* Adds one test; name and state are copied into memory the suite owns (state: a string). */
static inline void testdata_suite_add(testdata_suite *s, const char *name, CMUnitTestFunction fn,
				      const char *state)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->tests = realloc(s->tests, s->cap * sizeof *s->tests);
		assert_non_null(s->tests);
	}
	char *nm = strdup(name), *st = state ? strdup(state) : NULL;
	assert_non_null(nm);
	s->tests[s->n++] = (struct CMUnitTest){nm, fn, NULL, NULL, st};
}

static inline void testdata_suite_case(const char *path, const char *name, void *ud)
{
	testdata_suite *s = ud;
	char probe[2048], full[700];
	if (s->needs) {
		snprintf(probe, sizeof probe, "%s/%s", path, s->needs);
		if (access(probe, R_OK) != 0)
			return;
	}
	snprintf(full, sizeof full, "%s%s", s->name_prefix, name);
	testdata_suite_add(s, full, s->fn, path);
}

/* Adds a test fn per entry of the data folder sub ending with suffix: named name_prefix +
 * the entry's name without suffix, its state (*state) the path without suffix. With needs
 * non-NULL only folders holding a file of that name count. Returns how many were added. */
static inline size_t testdata_suite_add_cases(testdata_suite *s, const char *sub,
					      const char *suffix, const char *needs,
					      const char *name_prefix, CMUnitTestFunction fn)
{
	size_t before = s->n;
	s->name_prefix = name_prefix;
	s->needs = needs;
	s->fn = fn;
	testdata_each(sub, "", suffix, testdata_suite_case, s);
	return s->n - before;
}

/* Runs the suite as the group `group` and frees it. Returns the number of failures. */
static inline int testdata_suite_run(testdata_suite *s, const char *group)
{
	int failed = _cmocka_run_group_tests(group, s->tests, s->n, NULL, NULL);
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->tests[i].name);
		free(s->tests[i].initial_state);
	}
	free(s->tests);
	memset(s, 0, sizeof *s);
	return failed;
}

#endif

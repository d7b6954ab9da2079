/* test_sigv4.c — SigV4 signing against the official AWS test vectors.
 *
 * Every folder of tests/data/sigv4 (the AWS SigV4 test suite, see its README) and of
 * tests/data/sigv4-extra (our own cases, same layout) is one test (added folders are tested with
 * no code change): canonical request, string to sign, signature and signed request, for
 * header signing and, where the folder has query-* files, for presigned URLs.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>
#include <cmocka.h>
#include <jansson.h>
#include "aws_sigv4.h"
#include "testdata.h"


static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return testdata_read(path, len);
}

/* A request parsed from request.txt: method, path, query, headers (continuation lines kept
 * with their newline, as HTTP/1.1 folding), body. */
struct req {
	char method[16];
	char *path, *query;
	aws_header h[32];
	size_t nh;
	char *body;
	size_t body_len;
	char *text; /* owns the strings */
};

static void parse_request(char *text, size_t len, struct req *r)
{
	memset(r, 0, sizeof *r);
	r->text = text;
	char *eol = strchr(text, '\n');
	assert_non_null(eol);
	*eol = '\0';
	char *sp = strchr(text, ' ');
	char *http = strstr(text, " HTTP/");
	assert_non_null(sp);
	assert_non_null(http);
	*sp = '\0';
	*http = '\0';
	snprintf(r->method, sizeof r->method, "%s", text);
	r->path = sp + 1;
	char *q = strchr(r->path, '?');
	if (q) {
		*q = '\0';
		r->query = q + 1;
	}
	char *line = eol + 1;
	char *end = text + len;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		if (*line == '\0') { /* blank line: body follows */
			r->body = next;
			r->body_len = (size_t)(end - next);
			return;
		}
		if ((*line == ' ' || *line == '\t') && r->nh) {
			/* folded continuation: rejoin with the newline to the previous value */
			line[-1] = '\n';
		} else {
			char *colon = strchr(line, ':');
			assert_non_null(colon);
			*colon = '\0';
			assert_true(r->nh < 32);
			r->h[r->nh].name = line;
			r->h[r->nh].value = colon + 1;
			r->nh++;
		}
		line = next;
	}
}

static time_t parse_time(const char *iso)
{
	struct tm tm = {0};
	assert_non_null(strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm));
	return timegm(&tm);
}

static void expect_file(const char *dir, const char *name, const char *got)
{
	size_t n;
	char *want = slurp(dir, name, &n);
	assert_non_null(want);
	/* some files end with a newline, the computed strings never do */
	while (n && (want[n - 1] == '\n' || want[n - 1] == '\r'))
		want[--n] = '\0';
	if (strcmp(want, got) != 0)
		print_error("%s/%s:\nwant: %s\n got: %s\n", dir, name, want, got);
	assert_string_equal(want, got);
	free(want);
}

/* Compares header lines of the expected signed request with ours as multisets of
 * "lower-name:value" (the SDKs disagree on where the added headers go). */
static int hcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void expect_headers(const struct req *want, const aws_header *got, size_t ngot)
{
	assert_int_equal(want->nh, ngot);
	char *w[40], *g[40];
	for (size_t i = 0; i < ngot; i++) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s:%s", want->h[i].name, want->h[i].value);
		for (char *c = tmp; *c && *c != ':'; c++)
			*c = (char)tolower((unsigned char)*c);
		w[i] = strdup(tmp);
		snprintf(tmp, sizeof tmp, "%s:%s", got[i].name, got[i].value);
		for (char *c = tmp; *c && *c != ':'; c++)
			*c = (char)tolower((unsigned char)*c);
		g[i] = strdup(tmp);
	}
	qsort(w, ngot, sizeof *w, hcmp);
	qsort(g, ngot, sizeof *g, hcmp);
	for (size_t i = 0; i < ngot; i++) {
		assert_string_equal(w[i], g[i]);
		free(w[i]);
		free(g[i]);
	}
}

static void load_case(const char *dir, struct req *r, aws_sigv4_params *p, json_t **ctx,
		      long *expires)
{
	size_t n;
	char *text = slurp(dir, "request.txt", &n);
	assert_non_null(text);
	parse_request(text, n, r);
	char path[8192];
	snprintf(path, sizeof path, "%s/context.json", dir);
	json_error_t je;
	*ctx = json_load_file(path, 0, &je);
	assert_non_null(*ctx);
	json_t *cred = json_object_get(*ctx, "credentials");
	memset(p, 0, sizeof *p);
	p->access_key_id = json_string_value(json_object_get(cred, "access_key_id"));
	p->secret_access_key = json_string_value(json_object_get(cred, "secret_access_key"));
	p->session_token = json_string_value(json_object_get(cred, "token"));
	p->region = json_string_value(json_object_get(*ctx, "region"));
	p->service = json_string_value(json_object_get(*ctx, "service"));
	p->now = parse_time(json_string_value(json_object_get(*ctx, "timestamp")));
	p->normalize_path = json_is_true(json_object_get(*ctx, "normalize"));
	p->sign_body = json_is_true(json_object_get(*ctx, "sign_body"));
	p->omit_session_token = json_is_true(json_object_get(*ctx, "omit_session_token"));
	*expires = (long)json_integer_value(json_object_get(*ctx, "expiration_in_seconds"));
}

/* The three intermediate results a case folder gives for one kind ("header" or "query"). */
static void expect_intermediates(const char *dir, const char *kind, const aws_sigv4_result *out)
{
	char name[64];
	snprintf(name, sizeof name, "%s-canonical-request.txt", kind);
	expect_file(dir, name, out->canonical_request.data);
	snprintf(name, sizeof name, "%s-string-to-sign.txt", kind);
	expect_file(dir, name, out->string_to_sign.data);
	snprintf(name, sizeof name, "%s-signature.txt", kind);
	expect_file(dir, name, out->signature);
}

static void header_case(void **state)
{
	const char *dir = *state;
	struct req r;
	aws_sigv4_params p;
	json_t *ctx;
	long expires;
	load_case(dir, &r, &p, &ctx, &expires);
	aws_sigv4_request sr = {r.method, r.path, r.query, r.h, r.nh, r.body, r.body_len, NULL};
	aws_sigv4_result out = {0};
	aws_error err;
	assert_int_equal(aws_sigv4_sign(&sr, &p, &out, &err), 0);
	expect_intermediates(dir, "header", &out);

	/* The signed request: the original headers plus the ones signing adds. */
	size_t n;
	char *text = slurp(dir, "header-signed-request.txt", &n);
	assert_non_null(text);
	struct req want;
	parse_request(text, n, &want);
	aws_header got[40];
	size_t ng = 0;
	for (size_t i = 0; i < r.nh; i++)
		got[ng++] = r.h[i];
	got[ng++] = (aws_header){"X-Amz-Date", out.amz_date};
	if (p.session_token)
		got[ng++] = (aws_header){"X-Amz-Security-Token", p.session_token};
	if (p.sign_body)
		got[ng++] = (aws_header){"x-amz-content-sha256", out.payload_hash};
	got[ng++] = (aws_header){"Authorization", out.authorization};
	assert_string_equal(want.method, r.method);
	assert_string_equal(want.path, r.path);
	expect_headers(&want, got, ng);
	free(text);
	aws_sigv4_result_free(&out);
	json_decref(ctx);
	free(r.text);
}

static void query_case(void **state)
{
	const char *dir = *state;
	struct req r;
	aws_sigv4_params p;
	json_t *ctx;
	long expires;
	load_case(dir, &r, &p, &ctx, &expires);
	aws_sigv4_request sr = {r.method, r.path, r.query, r.h, r.nh, r.body, r.body_len, NULL};
	aws_sigv4_result out = {0};
	aws_buf q = AWS_BUF_INIT;
	aws_error err;
	assert_int_equal(aws_sigv4_presign(&sr, &p, expires, &q, &out, &err), 0);
	expect_intermediates(dir, "query", &out);
	size_t n;
	char *text = slurp(dir, "query-signed-request.txt", &n);
	assert_non_null(text);
	struct req want;
	parse_request(text, n, &want);
	assert_string_equal(want.path, r.path);
	assert_non_null(want.query);
	assert_string_equal(want.query, q.data);
	expect_headers(&want, r.h, r.nh);
	free(text);
	aws_buf_free(&q);
	aws_sigv4_result_free(&out);
	json_decref(ctx);
	free(r.text);
}

int main(void)
{
	testdata_suite s = {0};
	/* one case per vector folder: header signing always, query signing when it has one */
	if (testdata_suite_add_cases(&s, "sigv4", "", "context.json", "header/", header_case) == 0) {
		fprintf(stderr, "test_sigv4: no test vectors found\n");
		return 1;
	}
	testdata_suite_add_cases(&s, "sigv4", "", "query-signature.txt", "query/", query_case);
	/* our own cases in the same layout */
	testdata_suite_add_cases(&s, "sigv4-extra", "", "context.json", "header/", header_case);
	testdata_suite_add_cases(&s, "sigv4-extra", "", "query-signature.txt", "query/", query_case);
	return testdata_suite_run(&s, "sigv4_vectors") ? 1 : 0;
}

/* test_http_check.c — the one check of an HTTP request before it is sent (aws_http_check),
 * which the blocking call and the event loop's transfers share: what is refused, with
 * which words, and that the event loop refuses it at once, before any transfer or queue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aws_http.h"
#include "aws_http_internal.h"

static aws_header ok_headers[] = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Empty", ""}};

static aws_http_request good(void)
{
	return (aws_http_request){"POST", "http://127.0.0.1:8000/path?q=1", ok_headers, 2, "{}", 2, 0};
}

/* aws_http_check's verdict on r; on refusal, its message must contain words. */
static void refused(const aws_http_request *r, const char *words)
{
	char host[256];
	aws_error e;
	aws_error_clear(&e);
	assert_int_equal(aws_http_check(r, host, sizeof host, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_INVALID);
	if (!strstr(e.message, words))
		fail_msg("'%s' does not say '%s'", e.message, words);
}

static void a_good_request_passes_and_names_its_host(void **state)
{
	(void)state;
	aws_http_request r = good();
	char host[256];
	aws_error e;
	assert_int_equal(aws_http_check(&r, host, sizeof host, &e), 0);
	assert_string_equal(host, "127.0.0.1:8000");
}

static void missing_parts_are_refused(void **state)
{
	(void)state;
	refused(NULL, "missing argument");
	aws_http_request r = good();
	r.url = NULL;
	refused(&r, "missing argument");
	r = good();
	r.method = NULL;
	refused(&r, "missing argument");
	r = good();
	r.body = NULL;   /* body_len says 2 */
	refused(&r, "missing argument");
	r = good();
	r.headers = NULL;
	refused(&r, "missing argument");
}

static void only_http_and_https_urls_are_sent(void **state)
{
	(void)state;
	aws_http_request r = good();
	r.url = "ftp://127.0.0.1/x";
	refused(&r, "neither http:// nor https://");
	r.url = "file:///etc/passwd";
	refused(&r, "neither http:// nor https://");
}

static void headers_that_could_split_or_confuse_the_request_are_refused(void **state)
{
	(void)state;
	static const aws_header bad[][1] = {
		{{"X-A", "v\r\nInjected: 1"}}, {{"X-A", "v\nx"}}, {{"X-A\r\n", "v"}},
		{{"X:A", "v"}}, {{"", "v"}}, {{"X-A", NULL}}, {{NULL, "v"}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		aws_http_request r = good();
		r.headers = bad[i];
		r.nheaders = 1;
		refused(&r, "invalid request header");
	}
}

static void too_many_or_too_long_headers_are_refused(void **state)
{
	(void)state;
	aws_header many[65];
	for (size_t i = 0; i < 65; i++)
		many[i] = (aws_header){"X-A", "v"};
	aws_http_request r = good();
	r.headers = many;
	r.nheaders = 65;
	refused(&r, "too many request headers (65)");
	static char big[9000];
	memset(big, 'x', sizeof big - 1);
	aws_header one = {"X-Big", big};
	r.headers = &one;
	r.nheaders = 1;
	refused(&r, "request header X-Big is too long");
}

static int done_calls;

static void count_done(void *ud, int rc, aws_http_response *resp, const aws_error *err)
{
	(void)ud;
	(void)rc;
	(void)err;
	aws_http_response_free(resp);
	done_calls++;
}

/* The loop refuses at once what the blocking call would refuse (it checks before it starts
 * or queues a request): nothing runs or waits, and done is never called. */
static void the_event_loop_refuses_a_bad_request_before_starting_it(void **state)
{
	(void)state;
	aws_error e;
	aws_http *h = aws_http_new(NULL, &e);
	assert_non_null(h);
	aws_http_loop *l = aws_http_loop_new(h, &e);
	assert_non_null(l);
	aws_http_request r = good();
	r.url = "gopher://127.0.0.1/";
	done_calls = 0;
	assert_int_equal(aws_http_loop_start(l, &r, count_done, NULL, &e), -1);
	assert_int_equal(e.kind, AWS_ERR_INVALID);
	assert_int_equal(aws_http_loop_running(l), 0);
	aws_http_loop_free(l);
	assert_int_equal(done_calls, 0);
	aws_http_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_good_request_passes_and_names_its_host),
		cmocka_unit_test(missing_parts_are_refused),
		cmocka_unit_test(only_http_and_https_urls_are_sent),
		cmocka_unit_test(headers_that_could_split_or_confuse_the_request_are_refused),
		cmocka_unit_test(too_many_or_too_long_headers_are_refused),
		cmocka_unit_test(the_event_loop_refuses_a_bad_request_before_starting_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

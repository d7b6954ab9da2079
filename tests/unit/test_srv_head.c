/* test_srv_head.c — the request head checks (srv_head): one case per shape of framing two
 * parsers could read differently, and the ordinary heads that must pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "srv_head.h"

/* fields: name, value, name, value, ..., NULL */
static int verdict(const char *version, ...)
{
	srv_head h;
	srv_head_init(&h);
	va_list ap;
	va_start(ap, version);
	for (const char *n; (n = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		srv_head_field(&h, n, v);
	}
	va_end(ap);
	const char *why = NULL;
	int st = srv_head_verdict(&h, version, &why);
	if (st)
		assert_non_null(why);
	return st;
}

static void ordinary_heads_pass(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Cookie", "a=b; c=d", "Authorization", "Basic eDp5", NULL), 0);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "12", NULL), 0);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "transfer-encoding", "Chunked", NULL), 0);
	assert_int_equal(verdict("HTTP/1.0", NULL), 0);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "X-Utf8", "Z\xc3\xbcrich\tok", NULL), 0);
}

static void content_length_with_transfer_encoding_is_400(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "5", "Transfer-Encoding", "chunked", NULL), 400);
}

static void repeated_or_malformed_content_length_is_400(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "0", "Content-Length", "30", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "5", "content-length", "5", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "-5", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "0 30", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length", "", NULL), 400);
}

static void names_that_are_not_tokens_are_400(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Content-Length ", "5", NULL), 400);   /* space before colon */
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "X-AContent-Length: 30", "a", NULL), 400);   /* folded */
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "", "x", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "X\tA", "x", NULL), 400);
}

static void control_characters_in_values_are_400(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "X-A", "a\rb", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "X-A", "a\x7f", NULL), 400);
}

static void transfer_codings_other_than_chunked_are_501(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Transfer-Encoding", "xchunked", NULL), 501);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Transfer-Encoding", "gzip, chunked", NULL), 501);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Transfer-Encoding", "identity", NULL), 501);
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked",
				 NULL), 501);
}

static void host_must_be_there_once_in_http11(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", NULL), 400);
	assert_int_equal(verdict("HTTP/1.1", "Host", "a", "host", "b", NULL), 400);
}

static void two_authorizations_are_400(void **state)
{
	(void)state;
	assert_int_equal(verdict("HTTP/1.1", "Host", "x", "Authorization", "Basic eDp5", "authorization", "Basic eDp5",
				 NULL), 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordinary_heads_pass),
		cmocka_unit_test(content_length_with_transfer_encoding_is_400),
		cmocka_unit_test(repeated_or_malformed_content_length_is_400),
		cmocka_unit_test(names_that_are_not_tokens_are_400),
		cmocka_unit_test(control_characters_in_values_are_400),
		cmocka_unit_test(transfer_codings_other_than_chunked_are_501),
		cmocka_unit_test(host_must_be_there_once_in_http11),
		cmocka_unit_test(two_authorizations_are_400),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

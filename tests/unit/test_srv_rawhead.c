/* test_srv_rawhead.c — the byte-level request head scanner (srv_rawhead): each malformed
 * shape refused with its status at the head it is in, pipelined heads and Content-Length
 * bodies followed, bodies it cannot follow stopping the scan, and the same verdict however
 * the stream is cut into reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "srv_rawhead.h"

#define HEAD_LIMIT 256
#define URL_LIMIT 64

/* Feeds s whole, then again a byte at a time; both must agree. Returns the status; *head
 * and *pass (bytes passed on from the whole feed) when wanted. */
static int scan(const char *s, unsigned long *head, size_t *pass)
{
	size_t n = strlen(s);
	srv_rawhead whole, bytes;
	srv_rawhead_init(&whole, HEAD_LIMIT, URL_LIMIT);
	srv_rawhead_init(&bytes, HEAD_LIMIT, URL_LIMIT);
	size_t p = srv_rawhead_feed(&whole, s, n);
	size_t p1 = 0;
	for (size_t i = 0; i < n; i++)
		p1 += srv_rawhead_feed(&bytes, s + i, 1);
	assert_int_equal(whole.bad, bytes.bad);
	assert_int_equal(whole.stopped, bytes.stopped);
	if (whole.bad) {
		assert_int_equal(whole.bad_head, bytes.bad_head);
		assert_non_null(whole.why);
	}
	assert_true(p <= n);
	if (!whole.bad)
		assert_int_equal(p, n);
	assert_true(p1 <= n);
	if (head)
		*head = whole.bad ? whole.bad_head : whole.head;
	if (pass)
		*pass = p;
	return whole.bad;
}

#define GOOD "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"

static void ordinary_heads_pass(void **state)
{
	(void)state;
	unsigned long head = 9;
	assert_int_equal(scan(GOOD, &head, NULL), 0);
	assert_int_equal(head, 1);   /* one head read, the next not begun */
	assert_int_equal(scan("\r\n" GOOD, NULL, NULL), 0);   /* an empty line before the request line */
	assert_int_equal(scan("GET / HTTP/1.1\nHost: x\nX-A: a\tb \xc3\xbc\n\n", NULL, NULL), 0);   /* bare LF ends lines */
	assert_int_equal(scan("GET / HTTP/1.0\r\n\r\n", NULL, NULL), 0);
	assert_int_equal(scan("GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n", NULL, NULL), 0);
}

static void each_malformed_shape_is_refused(void **state)
{
	(void)state;
	static const char *shapes[] = {
		"GET /ping HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n",               /* empty name */
		"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Host: y\r\n\r\n", /* obs-fold, space */
		"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",      /* obs-fold, tab */
		"GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n", /* space before the colon */
		"GET /ping HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
		"GET /ping HTTP/1.1\r\nHost: x\rX-A: a\r\n\r\n",               /* bare CR in a value */
		"GET /ping HTTP/1.1\r\nHost: x\r\n\rX\r\n",                     /* bare CR at the end */
		"GET /p\x01ng HTTP/1.1\r\nHost: x\r\n\r\n",                    /* control in the line */
		"GET /ping HTTP/1.1\rX\r\n\r\n",
		"GET /ping\r\nHost: x\r\n\r\n",                                 /* no version */
		"GET  /ping HTTP/1.1\r\nHost: x\r\n\r\n",                       /* two spaces */
		"GET /ping HTTP/1.1\r\nX-A: \x7f\r\n\r\n",
		"GET /ping HTTP/1.1\r\nX-A: \x1b[31m\r\n\r\n",
		"GET /ping HTTP/1.1\r\nX\xc3\xbc: a\r\n\r\n",                    /* non-token name */
		"\rGET /ping HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		unsigned long head = 9;
		assert_int_equal(scan(shapes[i], &head, NULL), 400);
		assert_int_equal(head, 0);
	}
	/* A NUL (fed with its length: scan() uses strlen). */
	static const char nul[] = "GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n";
	srv_rawhead r;
	srv_rawhead_init(&r, HEAD_LIMIT, URL_LIMIT);
	assert_int_equal(srv_rawhead_feed(&r, nul, sizeof nul - 1), 0);
	assert_int_equal(r.bad, 400);
	assert_non_null(strstr(r.why, "NUL"));
}

static void long_targets_and_heads(void **state)
{
	(void)state;
	char buf[1024];
	memset(buf, 0, sizeof buf);
	strcpy(buf, "GET /");
	memset(buf + 5, 'a', URL_LIMIT);          /* target of URL_LIMIT + 1 bytes */
	strcat(buf, " HTTP/1.1\r\n\r\n");
	assert_int_equal(scan(buf, NULL, NULL), 414);
	buf[5 + URL_LIMIT - 1] = '\0';            /* exactly URL_LIMIT */
	strcat(buf, " HTTP/1.1\r\n\r\n");
	assert_int_equal(scan(buf, NULL, NULL), 0);

	/* Heads of exactly the limit pass, one byte more is 431 — also before the head ends. */
	char head[HEAD_LIMIT + 2];
	const char *start = "GET / HTTP/1.1\r\nCookie: ";
	size_t fixed = strlen(start) + 4;
	memset(head, 0, sizeof head);
	strcpy(head, start);
	memset(head + strlen(start), 'c', HEAD_LIMIT - fixed);
	strcat(head, "\r\n\r\n");
	assert_int_equal(strlen(head), HEAD_LIMIT);
	assert_int_equal(scan(head, NULL, NULL), 0);
	memset(head, 0, sizeof head);
	strcpy(head, start);
	memset(head + strlen(start), 'c', HEAD_LIMIT - fixed + 1);
	strcat(head, "\r\n\r\n");
	assert_int_equal(scan(head, NULL, NULL), 431);
	head[HEAD_LIMIT - 3] = '\0';              /* unfinished, but already over */
	memset(head + strlen(start), 'c', HEAD_LIMIT - strlen(start) + 1);
	head[HEAD_LIMIT + 1] = '\0';
	assert_int_equal(scan(head, NULL, NULL), 431);
}

static void pipelined_heads_and_bodies_are_followed(void **state)
{
	(void)state;
	unsigned long head = 0;
	size_t pass = 0;
	/* good, a body of 5 holding bytes that would be refused in a head, good, bad */
	const char *s = GOOD "POST /q HTTP/1.1\r\nHost: x\r\ncontent-length: 5 \r\n\r\n\0\r\n :" GOOD
			"GET / HTTP/1.1\r\n: x\r\n\r\n";
	/* strlen would cut at the body's NUL: feed the exact length */
	size_t n = strlen(GOOD) * 2 + strlen("POST /q HTTP/1.1\r\nHost: x\r\ncontent-length: 5 \r\n\r\n") + 5 +
		   strlen("GET / HTTP/1.1\r\n: x\r\n\r\n");
	srv_rawhead r;
	srv_rawhead_init(&r, HEAD_LIMIT, URL_LIMIT);
	pass = srv_rawhead_feed(&r, s, n);
	assert_int_equal(r.bad, 400);
	assert_int_equal(r.bad_head, 3);
	assert_int_equal(pass, n - strlen("GET / HTTP/1.1\r\n: x\r\n\r\n"));   /* up to the bad head */
	assert_int_equal(srv_rawhead_feed(&r, GOOD, strlen(GOOD)), 0);          /* nothing after it */

	/* The bad head began in an earlier read: nothing of the later read is passed on. */
	srv_rawhead_init(&r, HEAD_LIMIT, URL_LIMIT);
	assert_int_equal(srv_rawhead_feed(&r, "GET / HTTP/1.1\r\nX-A: a", 22), 22);
	assert_int_equal(srv_rawhead_feed(&r, "\0\r\n\r\n", 5), 0);
	assert_int_equal(r.bad_head, 0);

	assert_int_equal(scan(GOOD GOOD GOOD, &head, NULL), 0);
	assert_int_equal(head, 3);
	(void)pass;
}

static void bodies_it_cannot_follow_stop_the_scan(void **state)
{
	(void)state;
	static const char *heads[] = {
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\0",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
		"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nx",
		"POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nx",
		"POST / HTTP/1.1\r\nContent-Length:\r\n\r\nx",
		"POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\nx",
	};
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		srv_rawhead r;
		srv_rawhead_init(&r, HEAD_LIMIT, URL_LIMIT);
		size_t n = strlen(heads[i]) + (i == 0);
		assert_int_equal(srv_rawhead_feed(&r, heads[i], n), n);   /* all passed on: srv_head judges */
		assert_int_equal(r.bad, 0);
		assert_int_equal(r.stopped, 1);
		assert_int_equal(r.stopped_head, 0);
		assert_int_equal(srv_rawhead_feed(&r, "\0", 1), 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ordinary_heads_pass),
		cmocka_unit_test(each_malformed_shape_is_refused),
		cmocka_unit_test(long_targets_and_heads),
		cmocka_unit_test(pipelined_heads_and_bodies_are_followed),
		cmocka_unit_test(bodies_it_cannot_follow_stop_the_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* aws_http.h — the HTTP transport: libcurl, pooled connections, timeouts, size limits.
 *
 * One aws_http per process (or per client) is shared by all threads: it holds a curl
 * share handle (connections, DNS, TLS sessions) guarded by mutexes, and each thread keeps
 * its own easy handle, so calls from several threads run in parallel and reuse
 * connections. This layer does one attempt and no signing; retries and signing belong to
 * aws_client. TLS peers are always verified.
 */
#ifndef AWS_HTTP_H
#define AWS_HTTP_H

#include <stddef.h>
#include "aws_error.h"
#include "aws_buf.h"
#include "aws_sigv4.h"   /* aws_header */

typedef struct aws_http aws_http;

typedef struct aws_http_opts {
	long connect_timeout_ms;    /* 0 = default 3000 */
	long timeout_ms;            /* whole attempt; 0 = default 15000 */
	size_t max_response_bytes;  /* 0 = default 64 MiB; larger bodies fail AWS_ERR_PROTOCOL */
	const char *ca_file;        /* NULL = system default (or SSL_CERT_FILE / CURL_CA_BUNDLE) */
} aws_http_opts;

typedef struct aws_http_request {
	const char *method;         /* "GET", "POST", "PUT", "HEAD", "DELETE", "PATCH" */
	const char *url;            /* absolute http:// or https:// URL */
	const aws_header *headers;  /* extra headers, sent as given */
	size_t nheaders;
	const void *body;           /* may be NULL */
	size_t body_len;
	long timeout_ms;            /* 0 = the aws_http default; overrides per call */
} aws_http_request;

typedef struct aws_http_response {
	long status;                /* HTTP status; 0 if none was received */
	aws_buf body;               /* owned; free with aws_http_response_free */
	aws_buf headers;            /* raw header block as received ("Name: value\r\n" lines) */
} aws_http_response;

/* Creates the shared transport. opts may be NULL. Returns NULL with err on failure. */
aws_http *aws_http_new(const aws_http_opts *opts, aws_error *err);
/* Frees it; no call may be in flight. Per-thread handles of exited threads are freed by
 * their thread-exit destructor, the calling thread's here. */
void aws_http_free(aws_http *h);

/* Performs one request. Returns 0 when any HTTP response was received (whatever the
 * status: check resp->status), -1 on transport failure (AWS_ERR_TRANSPORT / TIMEOUT, the
 * message names the host and what failed) or a body over the limit (AWS_ERR_PROTOCOL).
 * resp must be zeroed or previously freed; on failure it is left empty. */
int aws_http_do(aws_http *h, const aws_http_request *req, aws_http_response *resp,
		aws_error *err);

/* Finds a response header (case-insensitive name); copies its trimmed value into out.
 * Returns 1 if found, 0 if not. */
int aws_http_header(const aws_http_response *resp, const char *name, char *out, size_t len);

void aws_http_response_free(aws_http_response *resp);

/* Makes every request in flight fail soon (libcurl's progress callback: at once while data
 * moves, within about a second while it waits) and every later one at once, with
 * AWS_ERR_CANCELLED. For a program that is stopping; there is no undo. Any thread. */
void aws_http_cancel(aws_http *h);
int aws_http_cancelled(const aws_http *h);

/* ---------- transfers an event loop drives (aws_http_loop.c) ----------
 *
 * For a thread that must never block: requests run on a libcurl multi handle whose
 * sockets the caller's loop waits on. The loop polls aws_http_loop_fd (readable when a
 * transfer's socket is ready) with a timeout of at most aws_http_loop_timeout_ms, then calls
 * aws_http_loop_run, which moves every transfer on and calls the done function of each that
 * ended. Same checks, limits, timeouts and errors as aws_http_do; after aws_http_cancel the
 * next aws_http_loop_run ends every transfer with AWS_ERR_CANCELLED. An aws_http_loop
 * belongs to one thread: every call below from that thread only. Its connections are its
 * own (kept alive between transfers), not the shared pool's; beyond 32 transfers at once,
 * the rest wait their turn in the order they were started. */
typedef struct aws_http_loop aws_http_loop;

/* A transfer ended: rc and resp as aws_http_do's (err set when rc is -1). resp is the
 * callee's to keep or free (aws_http_response_free). Called from aws_http_loop_run or
 * aws_http_loop_free, never from aws_http_loop_start. */
typedef void aws_http_done_fn(void *ud, int rc, aws_http_response *resp, const aws_error *err);

aws_http_loop *aws_http_loop_new(aws_http *h, aws_error *err);
/* Ends every transfer still running (done with AWS_ERR_CANCELLED) and frees l. */
void aws_http_loop_free(aws_http_loop *l);
int aws_http_loop_fd(const aws_http_loop *l);
/* Milliseconds until aws_http_loop_run must be called even if the fd stays quiet; -1: no
 * deadline. */
long aws_http_loop_timeout_ms(const aws_http_loop *l);
/* fd_ready: the poll found aws_http_loop_fd readable (0 saves a system call when it did
 * not; the timer and a cancel are looked at either way). */
void aws_http_loop_run(aws_http_loop *l, int fd_ready);
/* Starts req, or queues it behind the transfers already running (its strings and body are
 * copied). 0: done will be called exactly once; -1 with err: req is unusable (aws_http_do's
 * checks, made here) or out of memory, and done will not be called. */
int aws_http_loop_start(aws_http_loop *l, const aws_http_request *req, aws_http_done_fn *done, void *ud,
			aws_error *err);
/* Transfers started and not yet ended, running or waiting their turn. */
int aws_http_loop_running(const aws_http_loop *l);

#endif

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

#endif

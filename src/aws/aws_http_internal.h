/* aws_http_internal.h — one libcurl transfer's two ends, shared by the blocking call
 * (aws_http_do, aws_http.c) and the event-loop transfers (aws_http_loop.c), so both check,
 * limit and report a request the same way. Not part of the library's API.
 *
 * Ownership: the caller owns the easy handle and the aws_http_xfer; between aws_http_begin
 * and aws_http_end the xfer holds the header list the handle points at.
 */
#ifndef AWS_HTTP_INTERNAL_H
#define AWS_HTTP_INTERNAL_H

#include <curl/curl.h>
#include "aws_http.h"

/* One transfer's state: the callbacks' view of the response and what aws_http_end needs. */
typedef struct aws_http_xfer {
	aws_http_response *resp;
	size_t limit;
	int too_big;
	int headers_too_big;
	struct curl_slist *hl;            /* owned until aws_http_end */
	long timeout, ctimeout;
	char method[8];
	char host[256];                   /* host[:port], for messages */
	char errbuf[CURL_ERROR_SIZE];
} aws_http_xfer;

/* 0 when req can be sent: an http(s) URL, a method, at most 64 headers, each with a
 * non-empty name without ':' and no CR or LF in either, a body when body_len says so. host
 * (host_len bytes) gets the URL's host[:port], for messages. Else -1 with AWS_ERR_INVALID
 * saying what is wrong. */
int aws_http_check(const aws_http_request *req, char *host, size_t host_len, aws_error *err);

/* Checks req (aws_http_check) and sets every option of one transfer on e, which is
 * reset first (its share and live connections are kept). resp is zeroed and filled as the
 * transfer runs. req's strings are copied except its body, which must outlive the transfer.
 * -1 with err when req is unusable; nothing to undo then. */
int aws_http_begin(aws_http *h, CURL *e, const aws_http_request *req, aws_http_response *resp,
		   aws_http_xfer *x, aws_error *err);

/* Ends what aws_http_begin started, with the transfer's CURLcode: 0 when an HTTP response
 * was received (resp->status set, body non-NULL), else -1 with err as aws_http_do gives it
 * and resp emptied. Always releases x's header list. */
int aws_http_end(const aws_http *h, CURL *e, int code, aws_http_xfer *x, aws_error *err);

#endif

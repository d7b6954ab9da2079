/* aws_sigv4.h — AWS Signature Version 4, as a pure function of request, credentials, time.
 *
 * No I/O, no clock, no globals: the caller passes everything, so the same inputs always
 * give the same signature (tested against the official vectors and against botocore).
 * Follows https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html:
 * URI path normalised and double-encoded for every service but S3 (`normalize` flag),
 * query parameters sorted by encoded key then value, header names lower-cased and values
 * trimmed with inner whitespace runs folded, multi-valued headers joined with ",".
 */
#ifndef AWS_SIGV4_H
#define AWS_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "aws_error.h"
#include "aws_buf.h"

typedef struct aws_header {
	const char *name;
	const char *value;
} aws_header;

typedef struct aws_sigv4_request {
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* raw path as sent, e.g. "/a%20b/" (before any query) */
	const char *query;           /* raw query string without '?', "" or NULL for none */
	const aws_header *headers;   /* as sent; must include "host" (any case) */
	size_t nheaders;
	const void *body;            /* may be NULL when body_len == 0 */
	size_t body_len;
	const char *payload_hash;    /* hex SHA-256 of the body to use instead of hashing it,
				        or "UNSIGNED-PAYLOAD"; NULL = hash body */
} aws_sigv4_request;

typedef struct aws_sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;   /* NULL or "" for none */
	const char *region;          /* "eu-central-1" */
	const char *service;         /* signing name: "dynamodb", "ssm", "cloudformation", ... */
	time_t now;                  /* seconds since the epoch, UTC */
	int normalize_path;          /* 1 for every service except S3 */
	int sign_body;               /* 1: add x-amz-content-sha256 (S3 style) */
	int omit_session_token;      /* 1: add X-Amz-Security-Token after signing (IoT style);
				        0 (normal): the token is signed */
} aws_sigv4_params;

/* What header signing produces. The caller sends the request with its own headers plus
 * these: x-amz-date, x-amz-security-token (if any), x-amz-content-sha256 (if sign_body),
 * and authorization. Intermediate strings are kept for tests and debugging. */
typedef struct aws_sigv4_result {
	char amz_date[17];             /* "20150830T123600Z" */
	char authorization[1024];
	char signature[65];
	char payload_hash[65];
	aws_buf canonical_request;     /* owned; free with aws_sigv4_result_free */
	aws_buf string_to_sign;        /* owned */
	aws_buf signed_headers;        /* owned: "host;x-amz-date" */
} aws_sigv4_result;

/* Signs with the Authorization header. Returns 0, or -1 with err (AWS_ERR_INVALID for a
 * request that cannot be signed, e.g. no host header). out must be zeroed or freed. */
int aws_sigv4_sign(const aws_sigv4_request *req, const aws_sigv4_params *p,
		   aws_sigv4_result *out, aws_error *err);

/* Presigns into the query string (X-Amz-Algorithm ... X-Amz-Signature) valid for
 * expires_s seconds. query_out receives the full new query string (without '?').
 * out gets the intermediates as for aws_sigv4_sign (authorization left empty). */
int aws_sigv4_presign(const aws_sigv4_request *req, const aws_sigv4_params *p, long expires_s,
		      aws_buf *query_out, aws_sigv4_result *out, aws_error *err);

void aws_sigv4_result_free(aws_sigv4_result *out);

/* URI-encodes per SigV4 (unreserved A-Za-z0-9-._~ kept, everything else %XX upper-case);
 * with keep_slash, '/' is kept. Appends to out. Returns 0 or -1 (out of memory). */
int aws_uri_encode(aws_buf *out, const char *s, size_t n, int keep_slash);

/* Formats t as "YYYYMMDDTHHMMSSZ" (17 bytes with NUL). */
void aws_amz_date(time_t t, char out[17]);

#endif

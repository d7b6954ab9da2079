/* aws_error.h — errors as values for the whole AWS client library.
 *
 * Every fallible function in src/aws takes an `aws_error *err` (may be NULL) and returns
 * 0 on success, -1 on failure with *err filled in. Nothing in the library aborts or exits
 * on a runtime failure. The struct is plain data with fixed-size fields, so it can be
 * copied, kept on the stack and passed across threads with no ownership questions.
 */
#ifndef AWS_ERROR_H
#define AWS_ERROR_H

#include <stddef.h>

typedef enum aws_err_kind {
	AWS_OK = 0,
	AWS_ERR_INVALID,      /* the caller passed something unusable (bad flag, bad name) */
	AWS_ERR_NOMEM,        /* out of memory */
	AWS_ERR_CONFIG,       /* no region, bad endpoint URL, unreadable profile file */
	AWS_ERR_CREDENTIALS,  /* no credentials from any source, or a source failed */
	AWS_ERR_TRANSPORT,    /* no HTTP response: refused, DNS, TLS, connection reset */
	AWS_ERR_TIMEOUT,      /* connect or total timeout reached */
	AWS_ERR_SERVICE,      /* AWS answered with an error: see type, http_status */
	AWS_ERR_PROTOCOL,     /* AWS answered but the response is malformed or too large */
	AWS_ERR_IO,           /* a local file or process failed */
	AWS_ERR_CANCELLED,    /* the program is stopping: aws_client_cancel was called */
} aws_err_kind;

typedef struct aws_error {
	aws_err_kind kind;
	int http_status;      /* HTTP status of the failing response, 0 when none */
	int throttled;        /* 1 when the service said throttling (after all retries) */
	char type[128];       /* AWS error code, e.g. "ResourceNotFoundException"; "" if none */
	char message[768];    /* what went wrong, for a person, with context */
	char request_id[96];  /* x-amzn-RequestId / x-amz-request-id, "" if none */
} aws_error;

/* Fills *err (if err != NULL): kind, and message from printf-style fmt. Clears the other
 * fields. Always returns -1 so callers can write `return aws_error_set(...)`. */
int aws_error_set(aws_error *err, aws_err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Resets *err to AWS_OK with empty strings. */
void aws_error_clear(aws_error *err);

/* Prefixes err->message with "ctx: " (truncating if needed). Returns -1. */
int aws_error_prefix(aws_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A short stable name for a kind: "transport", "timeout", "service", ... */
const char *aws_err_kind_name(aws_err_kind kind);

/* What an AWS failure means for the caller, from its error code and HTTP status: the one
 * classification that the retry loop, the server's status mapping and the deploy tool's
 * hints share, so they cannot disagree about what "throttled" or "denied" is. */
typedef enum aws_err_class {
	AWS_CLASS_OTHER = 0,      /* nothing this list knows: report the message as it is */
	AWS_CLASS_THROTTLED,      /* the SDKs' throttling codes (Throttling, SlowDown,
				     ProvisionedThroughputExceededException, ...) */
	AWS_CLASS_TRANSIENT,      /* RequestTimeout(Exception), HTTP 500/502/503/504 */
	AWS_CLASS_ACCESS_DENIED,  /* AccessDenied(Exception), UnauthorizedOperation, or an
				     HTTP 403 without a code listed here */
	AWS_CLASS_CREDS_REFUSED,  /* the keys are unknown or the signature wrong */
	AWS_CLASS_CREDS_EXPIRED,  /* the session credentials or the request expired */
	AWS_CLASS_NOT_FOUND,      /* ResourceNotFoundException, ParameterNotFound, ... */
} aws_err_class;

/* The class of an error code (may be "" or NULL) returned with http_status (0 = none). */
aws_err_class aws_error_classify(long http_status, const char *code);

/* The class of err: AWS_CLASS_THROTTLED when err->throttled is set (a library call that
 * gave up on throttling), else aws_error_classify of its status and type. NULL → OTHER. */
aws_err_class aws_error_class(const aws_error *err);

/* 1 when code is one of the throttling codes (AWS_CLASS_THROTTLED). */
int aws_error_code_is_throttling(const char *code);

/* Whether the SDKs' standard retry mode retries a service error: a throttling or transient
 * code, or HTTP 500/502/503/504 whatever the code. */
int aws_error_retryable(long http_status, const char *code);

/* Copies n bytes of s (a response body, a header) for a message: printable ASCII only,
 * other bytes as ' ', cut with "..." to fit len (> 4). */
void aws_error_snippet(const char *s, size_t n, char *out, size_t len);

/* Writes one line for a person into buf: "Type: message (HTTP 400, request id R)".
 * Returns buf. */
const char *aws_error_str(const aws_error *err, char *buf, size_t len);

#endif

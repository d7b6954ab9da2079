/* aws_error.c — filling, formatting and classifying aws_error values (see aws_error.h).
 * The code lists are the AWS SDKs' (botocore's and the Go SDK's standard retry mode),
 * kept here once so that every caller classifies alike. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "aws_error.h"

int aws_error_set(aws_error *err, aws_err_kind kind, const char *fmt, ...)
{
	if (!err)
		return -1;
	aws_error_clear(err);
	err->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

void aws_error_clear(aws_error *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

int aws_error_prefix(aws_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char pre[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	/* Shift the old message right and put "pre: " in front, truncating at the end. */
	size_t cap = sizeof err->message - 1, plen = strlen(pre), mlen = strlen(err->message);
	if (plen + 2 > cap)
		plen = cap - 2;
	size_t keep = mlen + plen + 2 > cap ? cap - plen - 2 : mlen;
	memmove(err->message + plen + 2, err->message, keep);
	memcpy(err->message, pre, plen);
	err->message[plen] = ':';
	err->message[plen + 1] = ' ';
	err->message[plen + 2 + keep] = '\0';
	return -1;
}

void aws_error_snippet(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : ' ';
	}
	if (n > 0 && o + 4 >= len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *aws_err_kind_name(aws_err_kind kind)
{
	switch (kind) {
	case AWS_OK: return "ok";
	case AWS_ERR_INVALID: return "invalid";
	case AWS_ERR_NOMEM: return "nomem";
	case AWS_ERR_CONFIG: return "config";
	case AWS_ERR_CREDENTIALS: return "credentials";
	case AWS_ERR_TRANSPORT: return "transport";
	case AWS_ERR_TIMEOUT: return "timeout";
	case AWS_ERR_SERVICE: return "service";
	case AWS_ERR_PROTOCOL: return "protocol";
	case AWS_ERR_IO: return "io";
	case AWS_ERR_CANCELLED: return "cancelled";
	}
	return "unknown";
}

const char *aws_error_str(const aws_error *err, char *buf, size_t len)
{
	if (!buf || len == 0)
		return "";
	if (!err || err->kind == AWS_OK) {
		snprintf(buf, len, "no error");
		return buf;
	}
	size_t n = 0;
	int w;
	if (err->type[0])
		w = snprintf(buf, len, "%s: %s", err->type, err->message);
	else
		w = snprintf(buf, len, "%s", err->message);
	n = w < 0 ? 0 : (size_t)w;
	if (n < len && (err->http_status || err->request_id[0])) {
		if (err->http_status && err->request_id[0])
			snprintf(buf + n, len - n, " (HTTP %d, request id %s)", err->http_status,
				 err->request_id);
		else if (err->http_status)
			snprintf(buf + n, len - n, " (HTTP %d)", err->http_status);
		else
			snprintf(buf + n, len - n, " (request id %s)", err->request_id);
	}
	return buf;
}

static int code_in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

#define CODE_IN(code, list) code_in(code, list, sizeof list / sizeof list[0])

static const char *const throttling_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
};
static const char *const transient_codes[] = {"RequestTimeout", "RequestTimeoutException"};
static const char *const denied_codes[] = {
	"AccessDeniedException", "AccessDenied", "UnauthorizedOperation",
};
static const char *const refused_codes[] = {
	"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
	"SignatureDoesNotMatch",
};
static const char *const expired_codes[] = {
	"ExpiredTokenException", "ExpiredToken", "RequestExpired",
};
static const char *const not_found_codes[] = {
	"ResourceNotFoundException", "ParameterNotFound", "RepositoryNotFoundException",
	"ImageNotFoundException",
};

int aws_error_code_is_throttling(const char *code)
{
	return code && CODE_IN(code, throttling_codes);
}

#define CLASS_OF(list, cls) {list, sizeof list / sizeof list[0], cls}

aws_err_class aws_error_classify(long http_status, const char *code)
{
	static const struct {
		const char *const *codes;
		size_t n;
		aws_err_class cls;
	} by_code[] = {
		CLASS_OF(throttling_codes, AWS_CLASS_THROTTLED),
		CLASS_OF(transient_codes, AWS_CLASS_TRANSIENT),
		CLASS_OF(denied_codes, AWS_CLASS_ACCESS_DENIED),
		CLASS_OF(refused_codes, AWS_CLASS_CREDS_REFUSED),
		CLASS_OF(expired_codes, AWS_CLASS_CREDS_EXPIRED),
		CLASS_OF(not_found_codes, AWS_CLASS_NOT_FOUND),
	};
	for (size_t i = 0; code && i < sizeof by_code / sizeof by_code[0]; i++)
		if (code_in(code, by_code[i].codes, by_code[i].n))
			return by_code[i].cls;
	/* A listed code says more than the status; without one, the status decides. */
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return AWS_CLASS_TRANSIENT;
	if (http_status == 403)
		return AWS_CLASS_ACCESS_DENIED;
	return AWS_CLASS_OTHER;
}

aws_err_class aws_error_class(const aws_error *err)
{
	if (!err)
		return AWS_CLASS_OTHER;
	if (err->throttled)
		return AWS_CLASS_THROTTLED;
	return aws_error_classify(err->http_status, err->type);
}

int aws_error_retryable(long http_status, const char *code)
{
	/* A 5xx is retried whatever its code says (a listed code wins in aws_error_classify). */
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return 1;
	aws_err_class c = aws_error_classify(http_status, code);
	return c == AWS_CLASS_THROTTLED || c == AWS_CLASS_TRANSIENT;
}

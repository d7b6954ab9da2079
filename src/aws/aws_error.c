/* aws_error.c — filling and formatting aws_error values (see aws_error.h). */
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

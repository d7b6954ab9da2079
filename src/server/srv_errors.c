/* srv_errors.c — the one place that decides which status and message an AWS failure gets.
 * What a failure means (throttled, denied, not found) is aws_error_class's answer, shared
 * with the library's retries and the deploy tool; this file only words it for a reader. */
#include "srv_errors.h"
#include "aws_error.h"

#include <stdio.h>
#include <string.h>

static int is_type(const aws_error *e, const char *t) { return strcmp(e->type, t) == 0; }

void srv_error_map(const aws_error *e, const char *action, const char *resource, srv_http_error *out)
{
	const char *res = resource && resource[0] ? resource : "(unknown)";
	char why[1100];
	aws_error_str(e, why, sizeof why);
	int dynamo = strncmp(action, "dynamodb:", 9) == 0;
	aws_err_class cls = aws_error_class(e);
	out->status = 502;
	if (e->kind == AWS_ERR_INVALID) {
		out->status = 400;
		snprintf(out->title, sizeof out->title, "Bad request");
		snprintf(out->detail, sizeof out->detail, "%s", e->message);
		return;
	}
	if (e->kind == AWS_ERR_TIMEOUT) {
		out->status = 504;
		snprintf(out->title, sizeof out->title, "%s timed out", dynamo ? "DynamoDB" : "AWS");
		snprintf(out->detail, sizeof out->detail, "%s on %s took too long — try again; %s", action, res, why);
		return;
	}
	if (cls == AWS_CLASS_THROTTLED) {
		out->status = 503;
		snprintf(out->title, sizeof out->title, "Too busy");
		snprintf(out->detail, sizeof out->detail,
			 "AWS is throttling %s on %s even after retries — try again in a moment; %s", action, res, why);
		return;
	}
	if (e->kind == AWS_ERR_CANCELLED) {
		out->status = 503;
		snprintf(out->title, sizeof out->title, "Server stopping");
		snprintf(out->detail, sizeof out->detail,
			 "the server is stopping and cut %s on %s short — try again in a moment", action, res);
		return;
	}
	if (e->kind == AWS_ERR_NOMEM) {
		out->status = 503;
		snprintf(out->title, sizeof out->title, "Server busy");
		snprintf(out->detail, sizeof out->detail, "out of memory — try again");
		return;
	}
	if (cls == AWS_CLASS_NOT_FOUND && is_type(e, "ParameterNotFound")) {
		snprintf(out->title, sizeof out->title, "Configuration not found");
		snprintf(out->detail, sizeof out->detail, "%s", e->message);
	} else if (cls == AWS_CLASS_NOT_FOUND) {
		snprintf(out->title, sizeof out->title, "Table not found");
		snprintf(out->detail, sizeof out->detail, "table %s not found — is the table stack deployed? (%s)", res, why);
	} else if (cls == AWS_CLASS_ACCESS_DENIED || cls == AWS_CLASS_CREDS_REFUSED ||
		   cls == AWS_CLASS_CREDS_EXPIRED) {
		snprintf(out->title, sizeof out->title, "Access denied");
		snprintf(out->detail, sizeof out->detail, "access denied for %s on %s — check the task role (%s)", action, res,
			 why);
	} else if (e->kind == AWS_ERR_CREDENTIALS) {
		snprintf(out->title, sizeof out->title, "No AWS credentials");
		snprintf(out->detail, sizeof out->detail, "no AWS credentials for %s — check the task role (%s)", action, why);
	} else if (e->kind == AWS_ERR_TRANSPORT) {
		snprintf(out->title, sizeof out->title, "AWS unreachable");
		snprintf(out->detail, sizeof out->detail, "cannot reach the endpoint for %s on %s — check the network (%s)",
			 action, res, why);
	} else {
		snprintf(out->title, sizeof out->title, "Upstream error");
		snprintf(out->detail, sizeof out->detail, "%s on %s failed: %s", action, res, why);
	}
}

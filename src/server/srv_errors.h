/* srv_errors.h — an aws_error turned into an HTTP status and words a person can act on.
 *
 * 400 for bad input (bad cursor, bad limit), 502 for upstream failures (table missing,
 * access denied, unreachable), 503 when AWS kept throttling after the retries, 504 on
 * timeouts. The detail keeps the AWS message and request id for whoever debugs it.
 */
#ifndef SRV_ERRORS_H
#define SRV_ERRORS_H

#include "aws_error.h"

typedef struct srv_http_error {
	int status;
	char title[160];
	char detail[1400];
} srv_http_error;

/* action: the IAM action that failed ("dynamodb:Scan", "ssm:GetParameter");
 * resource: the table or parameter name (may be NULL). */
void srv_error_map(const aws_error *e, const char *action, const char *resource, srv_http_error *out);

#endif

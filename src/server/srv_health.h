/* srv_health.h — `showtable --health-check URL`: one GET against a running server, as a
 * container health check.
 *
 * The image has no shell and no curl, so ECS (or any orchestrator) runs the server binary
 * itself in this mode: it makes one request with the library's HTTP transport, compares the
 * status with the healthy codes and exits. Nothing is served, nothing is read from AWS.
 */
#ifndef SRV_HEALTH_H
#define SRV_HEALTH_H

#include "aws_error.h"
#include "srv_config.h"

/* GETs url within timeout_ms (connect included). Returns 0 when a response came and its
 * status is one of the n ranges, *status set; -1 otherwise, with err saying why: the
 * transport failure (AWS_ERR_TRANSPORT/TIMEOUT, naming the host) or "URL answered 503, which
 * is not one of the healthy codes" (AWS_ERR_SERVICE with http_status). *status is 0 when no response came. */
int srv_health_check(const char *url, const srv_code_range *healthy, int n, long timeout_ms,
		     long *status, aws_error *err);

#endif

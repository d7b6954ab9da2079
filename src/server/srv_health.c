/* srv_health.c — the one-shot health check (srv_health.h).
 *
 * Uses aws_http, the transport the server already links, rather than a second HTTP client:
 * http and https only, certificates verified, one attempt, the body capped (a health
 * endpoint's answer is small; a huge one is not a sign of health either).
 */
#include "srv_health.h"

#include <string.h>

#include "aws_http.h"

int srv_health_check(const char *url, const srv_code_range *healthy, int n, long timeout_ms,
		     long *status, aws_error *err)
{
	*status = 0;
	aws_http_opts opts;
	memset(&opts, 0, sizeof opts);
	opts.timeout_ms = timeout_ms;
	opts.connect_timeout_ms = timeout_ms;
	opts.max_response_bytes = 1 << 20;
	aws_http *h = aws_http_new(&opts, err);
	if (h == NULL)
		return -1;
	aws_http_request req = {.method = "GET", .url = url, .timeout_ms = timeout_ms};
	aws_http_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = aws_http_do(h, &req, &resp, err);
	if (rc == 0) {
		*status = resp.status;
		if (!srv_codes_match(healthy, n, resp.status)) {
			rc = aws_error_set(err, AWS_ERR_SERVICE, "%s answered %ld, which is not one of the healthy codes",
					   url, resp.status);
			err->http_status = (int)resp.status;
		}
	}
	aws_http_response_free(&resp);
	aws_http_free(h);
	return rc;
}

/* aws_client_internal.h — aws_client's response classification, exposed for unit tests.
 *
 * Not part of the library's API: callers use aws_json_call & co., which apply these.
 */
#ifndef AWS_CLIENT_INTERNAL_H
#define AWS_CLIENT_INTERNAL_H

#include <stddef.h>
#include "aws_error.h"
#include "aws_http.h"

/* Fills *err (AWS_ERR_SERVICE) from a non-2xx response: type from x-amzn-ErrorType, JSON
 * "code"/"__type" (after '#', before ':') or XML <Code>; message from "message"/"Message"
 * or <Message>; request id from x-amzn-RequestId / x-amz-request-id / <RequestId>;
 * throttled from aws_error_code_is_throttling. The message names service_id,
 * operation and endpoint. */
void aws_client_parse_error(const char *service_id, const char *operation, const char *endpoint,
			    const aws_http_response *resp, aws_error *err);

#endif

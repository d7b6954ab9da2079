/* aws_client_internal.h — aws_client's response classification, exposed for unit tests.
 *
 * Not part of the library's API: callers use aws_json_call & co., which apply these.
 */
#ifndef AWS_CLIENT_INTERNAL_H
#define AWS_CLIENT_INTERNAL_H

#include <stddef.h>
#include "aws_error.h"
#include "aws_http.h"
#include "aws_client.h"

/* Fills *err (AWS_ERR_SERVICE) from a non-2xx response: type from x-amzn-ErrorType, JSON
 * "code"/"__type" (after '#', before ':') or XML <Code>; message from "message"/"Message"
 * or <Message>; request id from x-amzn-RequestId / x-amz-request-id / <RequestId>;
 * throttled from aws_error_code_is_throttling. The message names service_id,
 * operation and endpoint. */
void aws_client_parse_error(const char *service_id, const char *operation, const char *endpoint,
			    const aws_http_response *resp, aws_error *err);

/* 1 when resp's body matches the CRC-32 svc's crc32_header states, or when svc names no
 * such header or resp does not carry it (the SDKs check only what is sent). 0 when the
 * body does not match or the value is not a decimal number below 2^32: *err is then an
 * AWS_ERR_PROTOCOL naming service, operation, endpoint, both values and the request id. */
int aws_client_body_intact(const aws_service *svc, const char *op, const char *endpoint,
			   const aws_http_response *resp, aws_error *err);

#endif

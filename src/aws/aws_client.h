/* aws_client.h — signed, retried calls to AWS services: JSON 1.0/1.1 and Query protocols.
 *
 * An aws_client bundles region, endpoints, credentials and the shared transport. It is
 * safe to use from several threads at once. Each call: resolve endpoint → get credentials
 * → sign (SigV4) → send → on failure retry as the SDKs' "standard" mode (up to
 * max_attempts, exponential backoff with full jitter, base 100 ms, cap 20 s) when the
 * failure is a throttling error, a 5xx, or a transport failure; never on other 4xx.
 * Service errors are parsed into aws_error (type without the "prefix#", message,
 * request id, status). An answer whose body does not match the CRC-32 its service sends
 * with it (DynamoDB's x-amz-crc32) was damaged on the way and is retried like a 5xx, as the
 * SDKs do.
 */
#ifndef AWS_CLIENT_H
#define AWS_CLIENT_H

#include <stddef.h>
#include "aws_error.h"
#include "aws_buf.h"
#include "aws_http.h"
#include "aws_creds.h"

typedef struct aws_client aws_client;

/* A service, as the SDKs describe it. */
typedef struct aws_service {
	const char *service_id;      /* for AWS_ENDPOINT_URL_<ID>: "DynamoDB", "SSM", ... */
	const char *endpoint_prefix; /* host prefix: "dynamodb", "ssm", "cloudformation" */
	const char *signing_name;    /* SigV4 service: usually = endpoint_prefix */
	const char *json_version;    /* "1.0" or "1.1" for JSON services, NULL otherwise */
	const char *target_prefix;   /* "DynamoDB_20120810", "AmazonSSM", NULL for Query */
	const char *api_version;     /* Query protocol Version=, e.g. "2010-05-15" */
	const char *crc32_header;    /* a header holding the CRC-32 of each answer's body
				        ("x-amz-crc32": DynamoDB), checked; NULL = none */
} aws_service;

extern const aws_service AWS_SERVICE_DYNAMODB;
extern const aws_service AWS_SERVICE_SSM;
extern const aws_service AWS_SERVICE_STS;
extern const aws_service AWS_SERVICE_CLOUDFORMATION;
extern const aws_service AWS_SERVICE_ECR;
extern const aws_service AWS_SERVICE_LOGS;
extern const aws_service AWS_SERVICE_ECS;
extern const aws_service AWS_SERVICE_ELBV2;

typedef struct aws_client_opts {
	const char *region;          /* NULL = resolve (AWS_REGION, ..., profile) */
	const char *profile;         /* NULL = AWS_PROFILE or "default" */
	aws_http_opts http;          /* timeouts, limits */
	int max_attempts;            /* 0 = 3 (AWS_MAX_ATTEMPTS overrides when set) */
	aws_creds_provider *creds;   /* NULL = the default chain (owned by the client);
				        non-NULL = borrowed, must outlive the client */
} aws_client_opts;

/* Creates a client. Fails (AWS_ERR_CONFIG) when no region can be found. Credentials are
 * not fetched here but at the first call. opts may be NULL. */
aws_client *aws_client_new(const aws_client_opts *opts, aws_error *err);
void aws_client_free(aws_client *c);

const char *aws_client_region(const aws_client *c);
aws_http *aws_client_http(aws_client *c);
aws_creds_provider *aws_client_creds(aws_client *c);

/* For a program that is stopping: calls in flight fail within about a second, calls after
 * at once, no retries, all with AWS_ERR_CANCELLED (aws_http_cancel). Any thread. */
void aws_client_cancel(aws_client *c);

/* A JSON-protocol call: POST / with X-Amz-Target: <target_prefix>.<operation>,
 * Content-Type application/x-amz-json-<version>. body is the JSON request text.
 * On success resp holds the JSON response text, checked to be one well-formed JSON object
 * (aws_json_check; else AWS_ERR_PROTOCOL saying why and where), caller frees with
 * aws_buf_free.
 * On an error response: -1, AWS_ERR_SERVICE with type from "__type" (part after '#') or
 * x-amzn-ErrorType, message from "message"/"Message". */
int aws_json_call(aws_client *c, const aws_service *svc, const char *operation,
		  const char *body, size_t body_len, aws_buf *resp, aws_error *err);

/* aws_json_call without the client's check of a 2xx body, for a caller that checks the
 * whole body itself with the aws_json scanner (aws_ddb_scan_text), so a large response is
 * scanned once, not twice. On 0, *resp is the whole 2xx response (status, headers, body
 * exactly as received, which may be anything); the caller frees it with
 * aws_http_response_free, on failure too. A body the caller cannot read as JSON must be
 * reported with aws_json_call_bad_body. */
int aws_json_call_raw(aws_client *c, const aws_service *svc, const char *operation,
		      const char *body, size_t body_len, aws_http_response *resp, aws_error *err);

/* A JSON call's one attempt ended: rc 0 with body the 2xx response's text (checked as
 * aws_json_call checks it; the callee may take it, leaving AWS_BUF_INIT, or leave it to be
 * freed), or -1 with err as that attempt of aws_json_call would give it (body NULL). */
typedef void aws_json_done_fn(void *ud, int rc, aws_buf *body, const aws_error *err);

/* One attempt of aws_json_call, on an event loop (aws_http_loop, that loop's thread): for a
 * caller that must never block. No retries — a caller whose attempt fails makes the call
 * again with aws_json_call, which retries. Starts only when the credentials are at hand
 * (aws_creds_peek): else -1 with AWS_ERR_CREDENTIALS and nothing started, as for a bad
 * argument or the client being cancelled (AWS_ERR_CANCELLED). On 0, done is called exactly
 * once, from aws_http_loop_run or aws_http_loop_free. */
int aws_json_call_start(aws_client *c, aws_http_loop *l, const aws_service *svc, const char *operation,
			const char *body, size_t body_len, aws_json_done_fn *done, void *ud, aws_error *err);

/* Fills *err with the AWS_ERR_PROTOCOL error aws_json_call gives for a 2xx body that is not
 * one JSON object (why and at from the aws_json scanner): service, operation, endpoint,
 * the text near the problem, HTTP status and request id. Returns -1. */
int aws_json_call_bad_body(aws_client *c, const aws_service *svc, const char *operation,
			   const aws_http_response *resp, const char *why, size_t at,
			   aws_error *err);

/* A Query-protocol call: POST / form-encoded "Action=<operation>&Version=<api_version>&"
 * + params (already form-encoded with aws_query_form_add, may be "" or NULL). The response
 * is read with aws_query_parse (aws_query.h). On success resp holds the XML
 * response. On an error response: -1, AWS_ERR_SERVICE with Code/Message/RequestId from the
 * <ErrorResponse> XML. */
int aws_query_call(aws_client *c, const aws_service *svc, const char *operation,
		   const char *params, aws_buf *resp, aws_error *err);

/* A signed request of any shape (for REST-style calls): method, path+query relative to
 * the service endpoint, extra headers, body. Retries as above. On success (2xx) resp is
 * filled; a non-2xx is -1 with AWS_ERR_SERVICE (type/message parsed from JSON or XML when
 * present) and resp still filled for inspection. */
int aws_signed_request(aws_client *c, const aws_service *svc, const char *method,
		       const char *path_and_query, const aws_header *headers, size_t nheaders,
		       const void *body, size_t body_len, aws_http_response *resp, aws_error *err);

#endif

/* aws_client.c — signed, retried AWS calls (JSON 1.0/1.1, Query, plain signed requests).
 *
 * Every call is: resolve the endpoint (cached per service) → credentials → SigV4 → one
 * HTTP attempt → classify. Retries follow the SDKs' "standard" mode: throttling codes,
 * 500/502/503/504, transport failures and answers damaged on the way (a body that fails the
 * CRC-32 DynamoDB sends in x-amz-crc32) are retried with full-jitter backoff, guarded by a
 * retry quota so a broken endpoint is not hammered; every other error returns at once.
 */
#include "aws_client.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "aws_client_internal.h"
#include "aws_config.h"
#include "aws_crypto.h"
#include "aws_json.h"
#include "aws_query.h"
#include "aws_sigv4.h"
#include "aws_time.h"

/* Service descriptors, from each service's API reference / SDK model (serviceId,
 * endpointPrefix, signingName, protocol, targetPrefix, apiVersion). */
const aws_service AWS_SERVICE_DYNAMODB = {"DynamoDB", "dynamodb", "dynamodb", "1.0",
					  "DynamoDB_20120810", "2012-08-10", "x-amz-crc32"};
const aws_service AWS_SERVICE_SSM = {"SSM", "ssm", "ssm", "1.1", "AmazonSSM", "2014-11-06", NULL};
const aws_service AWS_SERVICE_STS = {"STS", "sts", "sts", NULL, NULL, "2011-06-15", NULL};
const aws_service AWS_SERVICE_CLOUDFORMATION = {"CloudFormation", "cloudformation",
						"cloudformation", NULL, NULL, "2010-05-15", NULL};
/* ECR's API endpoint is api.ecr.<region> (what the SDKs and CLI use); it signs as "ecr". */
const aws_service AWS_SERVICE_ECR = {"ECR", "api.ecr", "ecr", "1.1",
				     "AmazonEC2ContainerRegistry_V20150921", "2015-09-21", NULL};
const aws_service AWS_SERVICE_LOGS = {"CloudWatch Logs", "logs", "logs", "1.1", "Logs_20140328",
				      "2014-03-28", NULL};
const aws_service AWS_SERVICE_ECS = {"ECS", "ecs", "ecs", "1.1",
				     "AmazonEC2ContainerServiceV20141113", "2014-11-13", NULL};
const aws_service AWS_SERVICE_ELBV2 = {"Elastic Load Balancing v2", "elasticloadbalancing",
				       "elasticloadbalancing", NULL, NULL, "2015-12-01", NULL};

#define CLIENT_MAX_ENDPOINTS 16
#define CLIENT_BACKOFF_BASE_MS 100L
#define CLIENT_BACKOFF_CAP_MS 20000L
/* The standard mode's retry quota: a retry costs 5 tokens (10 after a timeout or
 * connection failure), a success refunds what its retries cost (or 1). */
#define CLIENT_RETRY_TOKENS 500
#define CLIENT_RETRY_COST 5
#define CLIENT_TIMEOUT_COST 10
#define AWS_CLIENT_MAX_HEADERS 32

typedef struct client_endpoint {
	const aws_service *svc;
	char base[512];      /* scheme://host[:port][/path], no trailing slash */
	char host[256];      /* host[:port] as the Host header */
	char path[256];      /* path prefix of the endpoint ("" for none) */
} client_endpoint;

struct aws_client {
	char region[64];
	aws_profile *profile;      /* the shared-config profile, for endpoint settings */
	aws_http *http;
	aws_creds_provider *creds;
	int own_creds;
	int max_attempts;
	atomic_int retry_tokens;
	pthread_mutex_t ep_mu;
	size_t nep;
	client_endpoint ep[CLIENT_MAX_ENDPOINTS];
};

/* One logical call, before signing. */
typedef struct client_req {
	const aws_service *svc;
	const char *op;              /* operation, for messages ("GetParameter") */
	const char *method;
	const char *path;            /* relative to the endpoint, starts with '/' */
	const char *query;           /* without '?', NULL or "" for none */
	const aws_header *headers;   /* the caller's headers (signed) */
	size_t nheaders;
	const void *body;
	size_t body_len;
	int expect_json;             /* a 2xx must carry one JSON object (aws_json_check) */
} client_req;

aws_client *aws_client_new(const aws_client_opts *opts, aws_error *err)
{
	aws_client_opts none = {0};
	if (!opts)
		opts = &none;
	aws_client *c = calloc(1, sizeof *c);
	if (!c) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory creating the AWS client");
		return NULL;
	}
	pthread_mutex_init(&c->ep_mu, NULL);
	atomic_init(&c->retry_tokens, CLIENT_RETRY_TOKENS);
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 3;
	const char *ma = getenv("AWS_MAX_ATTEMPTS");
	if (ma && *ma) {
		char *end;
		long v = strtol(ma, &end, 10);
		if (*end || v < 1 || v > 20) {
			aws_error_set(err, AWS_ERR_CONFIG,
				      "AWS_MAX_ATTEMPTS='%.32s' is not a number from 1 to 20", ma);
			goto fail;
		}
		c->max_attempts = (int)v;
	}
	/* The profile is kept for endpoint_url settings (aws_endpoint_resolve_profile). */
	c->profile = aws_profile_load(opts->profile, err);
	if (!c->profile)
		goto fail;
	if (opts->region && *opts->region) {
		if (strlen(opts->region) >= sizeof c->region) {
			aws_error_set(err, AWS_ERR_CONFIG, "region name too long");
			goto fail;
		}
		strcpy(c->region, opts->region);
	} else if (aws_region_resolve(c->profile, c->region, sizeof c->region, err) < 0) {
		goto fail;
	}
	c->http = aws_http_new(&opts->http, err);
	if (!c->http)
		goto fail;
	if (opts->creds) {
		c->creds = opts->creds;
	} else {
		c->creds = aws_creds_provider_default(c->http, opts->profile, c->region, err);
		if (!c->creds)
			goto fail;
		c->own_creds = 1;
	}
	return c;
fail:
	aws_http_free(c->http);
	aws_profile_free(c->profile);
	pthread_mutex_destroy(&c->ep_mu);
	free(c);
	return NULL;
}

void aws_client_free(aws_client *c)
{
	if (!c)
		return;
	if (c->own_creds)
		aws_creds_provider_free(c->creds);
	aws_http_free(c->http);
	aws_profile_free(c->profile);
	pthread_mutex_destroy(&c->ep_mu);
	free(c);
}

const char *aws_client_region(const aws_client *c)
{
	return c ? c->region : NULL;
}

aws_http *aws_client_http(aws_client *c)
{
	return c ? c->http : NULL;
}

aws_creds_provider *aws_client_creds(aws_client *c)
{
	return c ? c->creds : NULL;
}

void aws_client_cancel(aws_client *c)
{
	if (c)
		aws_http_cancel(c->http);
}

/* The backoff before a retry; the real sleep wakes every 100 ms to see a cancel. */
static void client_backoff(aws_client *c, long delay)
{
	while (delay > 0 && !aws_http_cancelled(c->http)) {
		long step = delay < 100 ? delay : 100;
		aws_sleep_ms(step);
		delay -= step;
	}
}

/* Finds (or resolves and caches) the endpoint of svc. Copies it into *out. */
static int client_endpoint_get(aws_client *c, const aws_service *svc, client_endpoint *out,
			       aws_error *err)
{
	pthread_mutex_lock(&c->ep_mu);
	for (size_t i = 0; i < c->nep; i++) {
		if (c->ep[i].svc == svc) {
			*out = c->ep[i];
			pthread_mutex_unlock(&c->ep_mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&c->ep_mu);

	memset(out, 0, sizeof *out);
	out->svc = svc;
	if (aws_endpoint_resolve_profile(c->profile, svc->service_id, svc->endpoint_prefix, c->region,
					 out->base, sizeof out->base, err) < 0)
		return -1;
	const char *h = strstr(out->base, "://");
	h = h ? h + 3 : out->base;
	size_t hl = strcspn(h, "/");
	if (hl >= sizeof out->host || strlen(h + hl) >= sizeof out->path)
		return aws_error_set(err, AWS_ERR_CONFIG, "endpoint URL %.200s is too long", out->base);
	memcpy(out->host, h, hl);
	out->host[hl] = '\0';
	strcpy(out->path, h + hl);

	pthread_mutex_lock(&c->ep_mu);
	if (c->nep < CLIENT_MAX_ENDPOINTS) {
		int seen = 0;
		for (size_t i = 0; i < c->nep; i++)
			seen |= c->ep[i].svc == svc;
		if (!seen)
			c->ep[c->nep++] = *out;
	}
	pthread_mutex_unlock(&c->ep_mu);
	return 0;
}

/* ---- Error responses. */

/* The AWS JSON protocols' error code: take what follows '#', drop anything from ':'. */
static void client_sanitize_type(const char *in, char *out, size_t len)
{
	const char *h = strchr(in, '#');
	if (h)
		in = h + 1;
	size_t n = strcspn(in, ":");
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

static int client_parse_json_error(const aws_http_response *r, char *type, size_t tlen,
				   char *msg, size_t mlen)
{
	json_error_t je;
	json_t *root = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	const char *t = json_string_value(json_object_get(root, "code"));
	if (!t)
		t = json_string_value(json_object_get(root, "__type"));
	if (t && !type[0])
		client_sanitize_type(t, type, tlen);
	const char *m = json_string_value(json_object_get(root, "message"));
	if (!m)
		m = json_string_value(json_object_get(root, "Message"));
	if (!m)
		m = json_string_value(json_object_get(root, "errorMessage"));
	if (m)
		aws_error_snippet(m, strlen(m), msg, mlen);
	json_decref(root);
	return 0;
}

/* snprintf without -Wformat-truncation noise: truncation of messages is intended. */
static void client_fmt(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void client_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* The response's HTTP status and request id (x-amzn-RequestId, else x-amz-request-id) into
 * *err (may be NULL), for the service's support. */
static void client_error_ids(const aws_http_response *resp, aws_error *err)
{
	if (!err)
		return;
	err->http_status = (int)resp->status;
	if (!aws_http_header(resp, "x-amzn-RequestId", err->request_id, sizeof err->request_id))
		aws_http_header(resp, "x-amz-request-id", err->request_id, sizeof err->request_id);
}

void aws_client_parse_error(const char *service_id, const char *operation, const char *endpoint,
			    const aws_http_response *resp, aws_error *err)
{
	aws_error e;
	aws_error_clear(&e);
	e.kind = AWS_ERR_SERVICE;
	client_error_ids(resp, &e);
	char hv[256];
	if (aws_http_header(resp, "x-amzn-ErrorType", hv, sizeof hv) && hv[0])
		client_sanitize_type(hv, e.type, sizeof e.type);

	const char *b = resp->body.data ? resp->body.data : "";
	size_t i = 0;
	while (i < resp->body.len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	char msg[512] = "";
	int parsed = -1;
	if (i < resp->body.len && b[i] == '{') {
		parsed = client_parse_json_error(resp, e.type, sizeof e.type, msg, sizeof msg);
	} else if (i < resp->body.len && b[i] == '<') {
		aws_error x;
		aws_error_clear(&x);
		parsed = aws_query_error_parse(resp->body.data, resp->body.len, &x);
		if (parsed == 0) {
			if (!e.type[0])
				client_fmt(e.type, sizeof e.type, "%s", x.type);
			client_fmt(msg, sizeof msg, "%s", x.message);
			if (!e.request_id[0])
				client_fmt(e.request_id, sizeof e.request_id, "%s", x.request_id);
		}
	}
	e.throttled = aws_error_code_is_throttling(e.type);
	if (msg[0]) {
		client_fmt(e.message, sizeof e.message, "%s (%s %s at %s)", msg,
			 service_id, operation, endpoint);
	} else if (parsed == 0 || resp->body.len == 0) {
		client_fmt(e.message, sizeof e.message, "%s %s at %s failed with HTTP %ld%s%s",
			 service_id, operation, endpoint, resp->status,
			 e.type[0] ? " " : " and no error code", e.type);
	} else {
		char snip[160];
		aws_error_snippet(b, resp->body.len, snip, sizeof snip);
		client_fmt(e.message, sizeof e.message,
			 "%s %s at %s failed with HTTP %ld and an unreadable error body: %s",
			 service_id, operation, endpoint, resp->status, snip);
	}
	if (err)
		*err = e;
}

int aws_client_body_intact(const aws_service *svc, const char *op, const char *endpoint,
			   const aws_http_response *resp, aws_error *err)
{
	char said[32];
	if (!svc->crc32_header || !aws_http_header(resp, svc->crc32_header, said, sizeof said))
		return 1;
	/* The CRC of the bytes as they came (before any content decoding: none is asked for). */
	uLong crc = crc32_z(0L, (const Bytef *)resp->body.data, resp->body.data ? resp->body.len : 0);
	char *end = said;
	unsigned long long want = 0;
	int number = said[0] >= '0' && said[0] <= '9' && strlen(said) <= 10;
	if (number) {
		want = strtoull(said, &end, 10);
		number = *end == '\0' && want <= 0xffffffffULL;
	}
	if (number && want == (unsigned long long)(crc & 0xffffffffUL))
		return 1;
	char shown[40];
	aws_error_snippet(said, strlen(said), shown, sizeof shown);
	if (number)
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s %s at %s: the HTTP %ld answer was damaged on the way: "
			      "its %zu-byte body has CRC-32 %lu, its %s header says %s", svc->service_id, op,
			      endpoint, resp->status, resp->body.len, (unsigned long)(crc & 0xffffffffUL),
			      svc->crc32_header, shown);
	else
		aws_error_set(err, AWS_ERR_PROTOCOL, "%s %s at %s: the HTTP %ld answer's %s header is not a "
			      "CRC-32 (a decimal number below 2^32): \"%s\"", svc->service_id, op, endpoint,
			      resp->status, svc->crc32_header, shown);
	client_error_ids(resp, err);
	return 0;
}

/* The protocol error for a 2xx body that is not one JSON object: why and where, the text
 * near it, the HTTP status and the request id (for the service's support). */
static void client_bad_body(const aws_service *svc, const char *op, const char *endpoint,
			    const aws_http_response *resp, const char *why, size_t at,
			    aws_error *err)
{
	size_t len = resp->body.data ? resp->body.len : 0;
	if (at > len)
		at = len;
	size_t from = at > 40 ? at - 40 : 0;
	char snip[96];
	aws_error_snippet(len ? resp->body.data + from : "", len - from < 80 ? len - from : 80, snip,
		       sizeof snip);
	aws_error_set(err, AWS_ERR_PROTOCOL,
		      "%s %s at %s: the HTTP %ld response is not one JSON object: %s "
		      "at byte %zu of %zu (near: %s)", svc->service_id, op, endpoint,
		      resp->status, why, at, len, snip);
	client_error_ids(resp, err);
}

/* ---- One attempt and the retry loop. */

typedef enum client_outcome { CO_OK, CO_FATAL, CO_RETRY, CO_RETRY_TRANSPORT } client_outcome;

/* One attempt's signed headers and URL. hs points into sig, the credentials it was signed
 * with and the endpoint: those must outlive it. */
typedef struct client_signed {
	aws_header hs[AWS_CLIENT_MAX_HEADERS + 4];
	size_t n;
	aws_sigv4_result sig;
	aws_buf url;
} client_signed;

static void client_signed_free(client_signed *s)
{
	aws_sigv4_result_free(&s->sig);
	aws_buf_free(&s->url);
}

/* Signs q for ep with cr (SigV4): host plus the caller's headers, then the signer's. 0, or
 * -1 with err (nothing to free then). */
static int client_sign(const aws_client *c, const client_req *q, const client_endpoint *ep,
		       const aws_credentials *cr, client_signed *s, aws_error *err)
{
	memset(s, 0, sizeof *s);
	s->url = (aws_buf)AWS_BUF_INIT;
	s->hs[s->n++] = (aws_header){"host", ep->host};
	for (size_t i = 0; i < q->nheaders; i++)
		s->hs[s->n++] = q->headers[i];
	char path[1024];
	int pl = snprintf(path, sizeof path, "%s%s", ep->path, q->path);
	if (pl < 0 || (size_t)pl >= sizeof path)
		return aws_error_set(err, AWS_ERR_INVALID, "%s %s: request path too long", q->svc->service_id,
				     q->op);
	aws_sigv4_request sr = {q->method, path, q->query, s->hs, s->n, q->body, q->body_len, NULL};
	aws_sigv4_params sp = {cr->access_key_id, cr->secret_access_key, cr->session_token,
			       c->region, q->svc->signing_name, time(NULL), 1, 0, 0};
	if (aws_sigv4_sign(&sr, &sp, &s->sig, err) < 0) {
		aws_sigv4_result_free(&s->sig);
		return aws_error_prefix(err, "%s %s: cannot sign the request", q->svc->service_id, q->op);
	}
	s->hs[s->n++] = (aws_header){"X-Amz-Date", s->sig.amz_date};
	if (cr->session_token[0])
		s->hs[s->n++] = (aws_header){"X-Amz-Security-Token", cr->session_token};
	s->hs[s->n++] = (aws_header){"Authorization", s->sig.authorization};
	if (aws_buf_printf(&s->url, "%s%s%s%s", ep->base, q->path, q->query && *q->query ? "?" : "",
			   q->query ? q->query : "") < 0) {
		client_signed_free(s);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the request URL");
	}
	return 0;
}

/* What one attempt's outcome means: hrc and resp as aws_http_do left them (err already set
 * when hrc is -1). */
static client_outcome client_judge(const client_req *q, const client_endpoint *ep, int hrc,
				   const aws_http_response *resp, aws_error *err)
{
	if (hrc < 0) {
		aws_error_prefix(err, "%s %s", q->svc->service_id, q->op);
		if (err && (err->kind == AWS_ERR_TRANSPORT || err->kind == AWS_ERR_TIMEOUT))
			return CO_RETRY_TRANSPORT;
		return CO_FATAL;
	}
	if (!aws_client_body_intact(q->svc, q->op, ep->base, resp, err))
		return CO_RETRY;
	if (resp->status >= 200 && resp->status < 300) {
		const char *why;
		size_t at;
		if (q->expect_json && aws_json_check(resp->body.data, resp->body.len, &why, &at) < 0) {
			client_bad_body(q->svc, q->op, ep->base, resp, why, at, err);
			return CO_FATAL;
		}
		return CO_OK;
	}
	aws_error e;
	aws_client_parse_error(q->svc->service_id, q->op, ep->base, resp, &e);
	int retry = aws_error_retryable(resp->status, e.type);
	if (err)
		*err = e;
	return retry ? CO_RETRY : CO_FATAL;
}

static client_outcome client_attempt(aws_client *c, const client_req *q,
				     const client_endpoint *ep, aws_http_response *resp,
				     aws_error *err)
{
	aws_credentials cr;
	if (aws_creds_get(c->creds, &cr, err) < 0) {
		aws_error_prefix(err, "%s %s: no credentials", q->svc->service_id, q->op);
		return CO_FATAL;
	}
	client_signed s;
	int src = client_sign(c, q, ep, &cr, &s, err);
	explicit_bzero(&cr.secret_access_key, sizeof cr.secret_access_key);
	if (src < 0)
		return CO_FATAL;
	aws_http_request hr = {q->method, s.url.data, s.hs, s.n, q->body, q->body_len, 0};
	int hrc = aws_http_do(c->http, &hr, resp, err);
	client_signed_free(&s);
	return client_judge(q, ep, hrc, resp, err);
}

/* Runs q with retries. Returns 0 on 2xx (resp filled); -1 with err otherwise, resp
 * holding the last response when there was one (the caller frees it either way). */
static int client_send(aws_client *c, const client_req *q, aws_http_response *resp,
		       aws_error *err)
{
	memset(resp, 0, sizeof *resp);
	if (!c || !q->svc)
		return aws_error_set(err, AWS_ERR_INVALID, "AWS call without a client or service");
	if (q->nheaders > AWS_CLIENT_MAX_HEADERS)
		return aws_error_set(err, AWS_ERR_INVALID, "%s %s: more than %d headers",
				     q->svc->service_id, q->op, AWS_CLIENT_MAX_HEADERS);
	client_endpoint ep;
	if (client_endpoint_get(c, q->svc, &ep, err) < 0)
		return -1;
	aws_error e;
	int spent = 0;
	for (int attempt = 1;; attempt++) {
		aws_error_clear(&e);
		if (aws_http_cancelled(c->http)) {
			aws_error_set(&e, AWS_ERR_CANCELLED, "%s %s: cancelled, the program is stopping",
				      q->svc->service_id, q->op);
			break;
		}
		client_outcome o = client_attempt(c, q, &ep, resp, &e);
		if (o == CO_OK) {
			/* Success refunds the quota: what the retries cost, or 1 token. */
			int refund = spent ? spent : 1;
			int cur = atomic_load(&c->retry_tokens);
			while (cur < CLIENT_RETRY_TOKENS &&
			       !atomic_compare_exchange_weak(&c->retry_tokens, &cur,
							     cur + refund > CLIENT_RETRY_TOKENS
								     ? CLIENT_RETRY_TOKENS : cur + refund))
				;
			return 0;
		}
		if (o == CO_FATAL || attempt >= c->max_attempts) {
			if (attempt > 1 && o != CO_FATAL) {
				char tail[48];
				snprintf(tail, sizeof tail, " [gave up after %d attempts]", attempt);
				size_t ml = strlen(e.message);
				if (ml + strlen(tail) < sizeof e.message)
					memcpy(e.message + ml, tail, strlen(tail) + 1);
			}
			break;
		}
		int cost = o == CO_RETRY_TRANSPORT ? CLIENT_TIMEOUT_COST : CLIENT_RETRY_COST;
		int cur = atomic_load(&c->retry_tokens), ok = 0;
		while (cur >= cost && !(ok = atomic_compare_exchange_weak(&c->retry_tokens, &cur,
									  cur - cost)))
			;
		if (!ok) {
			size_t ml = strlen(e.message);
			const char *tail = " [no retry: retry quota exhausted]";
			if (ml + strlen(tail) < sizeof e.message)
				memcpy(e.message + ml, tail, strlen(tail) + 1);
			break;
		}
		spent += cost;
		long delay = aws_backoff_ms(attempt - 1, CLIENT_BACKOFF_BASE_MS, CLIENT_BACKOFF_CAP_MS);
		aws_http_response_free(resp);
		if (delay > 0)
			client_backoff(c, delay);
	}
	if (err)
		*err = e;
	return -1;
}

/* client_send for the calls whose answer is their body (JSON, Query): on success the body
 * replaces *resp's contents, keeping the size limit the caller set on resp. */
static int send_for_body(aws_client *c, const client_req *q, aws_buf *resp, aws_error *err)
{
	aws_http_response r;
	int rc = client_send(c, q, &r, err);
	if (rc == 0) {
		aws_buf_free(resp);
		size_t limit = resp->limit;
		*resp = r.body;
		resp->limit = limit;
		r.body = (aws_buf)AWS_BUF_INIT;
	}
	aws_http_response_free(&r);
	return rc;
}

/* A JSON-protocol request and the header text it points at. */
typedef struct client_json {
	aws_header hs[2];
	char ctype[48], target[192];
	client_req q;
} client_json;

/* Checks the arguments of a JSON-protocol call and builds its request into j->q. */
static int client_json_req(const aws_client *c, const aws_service *svc, const char *operation,
			   const char *body, size_t body_len, int check, client_json *j,
			   aws_error *err)
{
	if (!c || !svc || !operation)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_json_call: missing argument");
	if (!svc->json_version || !svc->target_prefix)
		return aws_error_set(err, AWS_ERR_INVALID, "%s is not a JSON-protocol service",
				     svc->service_id);
	snprintf(j->ctype, sizeof j->ctype, "application/x-amz-json-%s", svc->json_version);
	int tl = snprintf(j->target, sizeof j->target, "%s.%s", svc->target_prefix, operation);
	if (tl < 0 || (size_t)tl >= sizeof j->target)
		return aws_error_set(err, AWS_ERR_INVALID, "operation name too long");
	j->hs[0] = (aws_header){"Content-Type", j->ctype};
	j->hs[1] = (aws_header){"X-Amz-Target", j->target};
	if (!body) {
		body = "{}";
		body_len = 2;
	}
	j->q = (client_req){svc, operation, "POST", "/", NULL, j->hs, 2, body, body_len, check};
	return 0;
}

int aws_json_call(aws_client *c, const aws_service *svc, const char *operation,
		  const char *body, size_t body_len, aws_buf *resp, aws_error *err)
{
	client_json j;
	if (!resp)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_json_call: missing argument");
	if (client_json_req(c, svc, operation, body, body_len, 1, &j, err) < 0)
		return -1;
	return send_for_body(c, &j.q, resp, err);
}

int aws_json_call_raw(aws_client *c, const aws_service *svc, const char *operation,
		      const char *body, size_t body_len, aws_http_response *resp, aws_error *err)
{
	client_json j;
	if (!resp)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_json_call_raw: missing argument");
	memset(resp, 0, sizeof *resp);
	if (client_json_req(c, svc, operation, body, body_len, 0, &j, err) < 0)
		return -1;
	return client_send(c, &j.q, resp, err);
}

/* One JSON call on an event loop: what client_judge needs when the attempt ends. */
typedef struct client_async {
	const aws_service *svc;
	char op[64];
	client_endpoint ep;
	aws_json_done_fn *done;
	void *ud;
} client_async;

static void client_async_done(void *ud, int hrc, aws_http_response *resp, const aws_error *herr)
{
	client_async *a = ud;
	aws_error e;
	aws_error_clear(&e);
	if (herr)
		e = *herr;
	client_req q = {.svc = a->svc, .op = a->op, .expect_json = 1};
	if (client_judge(&q, &a->ep, hrc, resp, &e) == CO_OK)
		a->done(a->ud, 0, &resp->body, NULL);
	else
		a->done(a->ud, -1, NULL, &e);
	aws_http_response_free(resp);
	free(a);
}

int aws_json_call_start(aws_client *c, aws_http_loop *l, const aws_service *svc, const char *operation,
			const char *body, size_t body_len, aws_json_done_fn *done, void *ud, aws_error *err)
{
	client_json j;
	if (!l || !done || !operation || strlen(operation) >= sizeof ((client_async *)0)->op)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_json_call_start: missing argument");
	if (client_json_req(c, svc, operation, body, body_len, 1, &j, err) < 0)
		return -1;
	if (aws_http_cancelled(c->http))
		return aws_error_set(err, AWS_ERR_CANCELLED, "%s %s: cancelled, the program is stopping",
				     svc->service_id, operation);
	client_async *a = calloc(1, sizeof *a);
	if (!a)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory starting %s %s", svc->service_id, operation);
	a->svc = svc;
	snprintf(a->op, sizeof a->op, "%s", operation);
	a->done = done;
	a->ud = ud;
	aws_credentials cr;
	if (client_endpoint_get(c, svc, &a->ep, err) < 0) {
		free(a);
		return -1;
	}
	if (aws_creds_peek(c->creds, &cr) < 0) {
		free(a);
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "%s %s: credentials are not at hand (a fetch or "
				     "refresh is due)", svc->service_id, operation);
	}
	client_signed s;
	int rc = client_sign(c, &j.q, &a->ep, &cr, &s, err);
	if (rc == 0) {
		aws_http_request hr = {j.q.method, s.url.data, s.hs, s.n, j.q.body, j.q.body_len, 0};
		rc = aws_http_loop_start(l, &hr, client_async_done, a, err);
		client_signed_free(&s);
	}
	explicit_bzero(&cr, sizeof cr);   /* the headers (session token) are copied by now */
	if (rc < 0) {
		free(a);
		return aws_error_prefix(err, "%s %s", svc->service_id, operation);
	}
	return 0;
}

int aws_json_call_bad_body(aws_client *c, const aws_service *svc, const char *operation,
			   const aws_http_response *resp, const char *why, size_t at,
			   aws_error *err)
{
	client_endpoint ep;
	aws_error ignored;
	const char *base = "?";
	if (c && svc && client_endpoint_get(c, svc, &ep, &ignored) == 0)
		base = ep.base;
	client_bad_body(svc, operation, base, resp, why, at, err);
	return -1;
}

int aws_query_call(aws_client *c, const aws_service *svc, const char *operation,
		   const char *params, aws_buf *resp, aws_error *err)
{
	if (!c || !svc || !operation || !resp)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_query_call: missing argument");
	if (!svc->api_version)
		return aws_error_set(err, AWS_ERR_INVALID, "%s has no Query API version",
				     svc->service_id);
	aws_buf body = AWS_BUF_INIT;
	if (aws_query_body(&body, operation, svc->api_version, params) < 0) {
		aws_buf_free(&body);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building %s %s",
				     svc->service_id, operation);
	}
	aws_header hs[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
	client_req q = {svc, operation, "POST", "/", NULL, hs, 1, body.data, body.len, 0};
	int rc = send_for_body(c, &q, resp, err);
	aws_buf_free(&body);
	return rc;
}

int aws_signed_request(aws_client *c, const aws_service *svc, const char *method,
		       const char *path_and_query, const aws_header *headers, size_t nheaders,
		       const void *body, size_t body_len, aws_http_response *resp, aws_error *err)
{
	if (!c || !svc || !method || !path_and_query || !resp)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_signed_request: missing argument");
	if (path_and_query[0] != '/')
		return aws_error_set(err, AWS_ERR_INVALID, "request path '%.100s' must start with '/'",
				     path_and_query);
	char path[1024];
	size_t pl = strcspn(path_and_query, "?");
	if (pl >= sizeof path)
		return aws_error_set(err, AWS_ERR_INVALID, "request path too long");
	memcpy(path, path_and_query, pl);
	path[pl] = '\0';
	const char *query = path_and_query[pl] == '?' ? path_and_query + pl + 1 : NULL;
	client_req q = {svc, method, method, path, query, headers, nheaders, body, body_len, 0};
	return client_send(c, &q, resp, err);
}

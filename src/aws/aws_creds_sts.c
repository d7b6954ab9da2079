/* aws_creds_sts.c — STS AssumeRole for profiles with role_arn (one signed Query-protocol
 * POST) and AssumeRoleWithWebIdentity for web identity token files (the same POST, unsigned:
 * the token is the proof): bodies built and answers read with aws_query.
 *
 * This cannot go through aws_client (which itself needs a credentials provider), so it
 * signs with aws_sigv4_sign and sends with aws_http_do directly, with a small retry of
 * its own on transport failures, 5xx and throttling.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_creds_internal.h"
#include "aws_config.h"
#include "aws_http.h"
#include "aws_query.h"
#include "aws_sigv4.h"
#include "aws_time.h"
#include "aws_xml.h"

#define STS_API_VERSION "2011-06-15"
#define STS_ATTEMPTS 3

/* The trimmed text of child `name` of n (in n's namespace) into out; "" when absent. */
static void text(const aws_xml_node *n, const char *name, char *out, size_t len)
{
	aws_xml_copy(aws_query_child(n, name), out, len);
}

int aws_creds_sts_parse(const char *xml, size_t len, long http_status, time_t now,
			aws_credentials *out, aws_error *err)
{
	return aws_creds_sts_parse_action("AssumeRole", xml, len, http_status, now, out, err);
}

int aws_creds_sts_parse_action(const char *action, const char *xml, size_t len, long http_status,
			       time_t now, aws_credentials *out, aws_error *err)
{
	if (len > (size_t)1 << 20)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "STS response of %zu bytes is too large",
				     len);
	aws_xml_doc *doc;
	aws_error xe;
	if (aws_xml_parse(xml, len, &doc, &xe) != 0) {
		if (xe.kind == AWS_ERR_NOMEM)
			return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading the STS answer");
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "STS answered HTTP %ld with a body that is not XML (%s)",
				     http_status, xe.message);
	}
	int is_error = strcmp(aws_xml_name(aws_xml_root(doc)), "ErrorResponse") == 0;
	aws_xml_free(doc);
	if (is_error || http_status >= 300) {
		aws_error e;
		aws_error_clear(&e);
		aws_query_error_parse(xml, len, &e);
		aws_error_set(err, AWS_ERR_SERVICE, "%s: %s (HTTP %ld)", e.type[0] ? e.type : "error",
			      e.message[0] ? e.message : "STS refused the request", http_status);
		if (err) {
			memcpy(err->type, e.type, sizeof err->type);
			memcpy(err->request_id, e.request_id, sizeof err->request_id);
			err->http_status = (int)http_status;
			err->throttled = aws_error_code_is_throttling(e.type);
		}
		return -1;
	}
	aws_query_doc d;
	aws_error pe;
	if (aws_query_parse(xml, len, action, NULL, &d, &pe) != 0 && pe.kind == AWS_ERR_NOMEM)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading the STS answer");
	const aws_xml_node *c = aws_query_child(d.result, "Credentials");
	if (!c) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "STS response has no %sResponse/%sResult/Credentials",
			      action, action);
		aws_query_free(&d);
		return -1;
	}
	int rc = -1;
	int web = strcmp(action, "AssumeRoleWithWebIdentity") == 0;
	char id[128], secret[128], exps[64];
	char token[4096];
	text(c, "AccessKeyId", id, sizeof id);
	text(c, "SecretAccessKey", secret, sizeof secret);
	text(c, "SessionToken", token, sizeof token);
	text(c, "Expiration", exps, sizeof exps);
	time_t exp;
	if (aws_creds_parse_time(exps, &exp) != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "STS response has an unreadable Expiration");
	} else if (exp <= now) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "STS returned credentials that already "
			      "expired (%s); is the clock right?", exps);
	} else {
		rc = aws_creds_fill(out, web ? "STS AssumeRoleWithWebIdentity response" : "STS AssumeRole response",
				    id, secret, token[0] ? token : NULL, exp, web ? "web-identity" : "assume-role", err);
	}
	explicit_bzero(secret, sizeof secret);
	explicit_bzero(token, sizeof token);
	aws_query_free(&d);
	return rc;
}

static int valid_session_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_+=,.@-", *s))
			return 0;
	return 1;
}

/* Signs the POST of body with source for STS in region: adds X-Amz-Date, the session token
 * and Authorization to h (after the *nh headers already there). AssumeRoleWithWebIdentity
 * is sent unsigned and never comes here. */
static int sign(const aws_credentials *source, const char *region, time_t now, const aws_buf *body,
		aws_header *h, size_t *nh, aws_sigv4_result *sig, aws_error *err)
{
	aws_sigv4_request sreq = {.method = "POST", .path = "/", .query = "", .headers = h,
				  .nheaders = *nh, .body = body->data, .body_len = body->len};
	aws_sigv4_params sp = {.access_key_id = source->access_key_id,
			       .secret_access_key = source->secret_access_key,
			       .session_token = source->session_token,
			       .region = region, .service = "sts", .now = now, .normalize_path = 1};
	if (aws_sigv4_sign(&sreq, &sp, sig, err) != 0)
		return -1;
	h[(*nh)++] = (aws_header){"X-Amz-Date", sig->amz_date};
	if (source->session_token[0])
		h[(*nh)++] = (aws_header){"X-Amz-Security-Token", source->session_token};
	h[(*nh)++] = (aws_header){"Authorization", sig->authorization};
	return 0;
}

int aws_creds_sts_assume_role(const aws_creds_ctx *ctx, const aws_credentials *source,
			      const aws_creds_assume_role *ar, aws_credentials *out,
			      aws_error *err)
{
	if (!ar->role_arn || strncmp(ar->role_arn, "arn:", 4) != 0)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "role_arn \"%.200s\" is not an ARN (arn:aws:iam::ACCOUNT:role/NAME)",
				     ar->role_arn ? ar->role_arn : "");
	char session[80];
	if (ar->session_name)
		snprintf(session, sizeof session, "%s", ar->session_name);
	else
		snprintf(session, sizeof session, "showtable-%lld", (long long)ctx->now);
	if (!valid_session_name(session))
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "role_session_name \"%.64s\" must be 2-64 characters of "
				     "letters, digits and _+=,.@-", session);
	if (!ctx->http)
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "no HTTP transport to call STS");

	const char *region = ctx->region && *ctx->region ? ctx->region : "us-east-1";
	char endpoint[512];
	if (aws_endpoint_resolve_profile(ctx->profile, "STS", "sts", region, endpoint, sizeof endpoint, err) != 0)
		return -1;
	/* Host header = the URL's authority, exactly what is signed. */
	const char *hs = strstr(endpoint, "://");
	hs = hs ? hs + 3 : endpoint;
	char host[256];
	size_t hl = strcspn(hs, "/?#");
	if (hl == 0 || hl >= sizeof host)
		return aws_error_set(err, AWS_ERR_CONFIG, "STS endpoint \"%s\" has no host", endpoint);
	memcpy(host, hs, hl);
	host[hl] = 0;
	char url[600];
	snprintf(url, sizeof url, "%.*s/", (int)((size_t)(hs - endpoint) + hl), endpoint);

	const char *action = source ? "AssumeRole" : "AssumeRoleWithWebIdentity";
	if (!source && !ar->web_identity_token)
		return aws_error_set(err, AWS_ERR_INVALID, "AssumeRole needs source credentials or a web identity token");
	aws_buf body = AWS_BUF_INIT;
	int bad = aws_query_body(&body, action, STS_API_VERSION, NULL) ||
		  aws_query_form_add(&body, "RoleArn", ar->role_arn) ||
		  aws_query_form_add(&body, "RoleSessionName", session);
	if (!source)
		bad = bad || aws_query_form_add(&body, "WebIdentityToken", ar->web_identity_token);
	if (ar->duration_s > 0)
		bad = bad || aws_buf_printf(&body, "&DurationSeconds=%ld", ar->duration_s);
	if (ar->external_id)
		bad = bad || aws_query_form_add(&body, "ExternalId", ar->external_id);
	if (ar->serial_number && ar->token_code)
		bad = bad || aws_query_form_add(&body, "SerialNumber", ar->serial_number) ||
		      aws_query_form_add(&body, "TokenCode", ar->token_code);
	if (bad) {
		aws_buf_free(&body);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the STS request");
	}

	int rc = -1;
	for (int attempt = 0; attempt < STS_ATTEMPTS; attempt++) {
		if (attempt > 0)            /* 200 ms, 400 ms */
			aws_sleep_ms(200L << (attempt - 1));
		aws_header h[6] = {
			{"Host", host},
			{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		};
		size_t nh = 2;
		aws_sigv4_result sig;
		memset(&sig, 0, sizeof sig);
		if (source && sign(source, region, ctx->now, &body, h, &nh, &sig, err) != 0) {
			aws_sigv4_result_free(&sig);
			break;
		}
		aws_http_request req = {.method = "POST", .url = url, .headers = h, .nheaders = nh,
					.body = body.data, .body_len = body.len,
					.timeout_ms = AWS_CREDS_HTTP_TIMEOUT_MS};
		aws_http_response resp;
		memset(&resp, 0, sizeof resp);
		int hr = aws_http_do(ctx->http, &req, &resp, err);
		aws_sigv4_result_free(&sig);
		if (hr != 0) {
			aws_http_response_free(&resp);
			aws_error_prefix(err, "STS %s", url);
			continue;                       /* transport failure: retry */
		}
		rc = aws_creds_sts_parse_action(action, resp.body.data ? resp.body.data : "", resp.body.len,
						resp.status, ctx->now, out, err);
		if (rc != 0 && err && !err->request_id[0])
			aws_http_header(&resp, "x-amzn-RequestId", err->request_id,
					sizeof err->request_id);
		long status = resp.status;
		aws_creds_response_free(&resp);
		if (rc == 0 || !(status >= 500 || (err && err->throttled)))
			break;
	}
	aws_buf_free(&body);
	return rc;
}

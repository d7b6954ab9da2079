/* aws_creds_http.c — credentials from metadata endpoints: the ECS/EKS container endpoint
 * and EC2 IMDSv2.
 *
 * Both return the same JSON shape. ECS is "configured" only through its environment
 * variables, so when they are set a failure stops the chain. IMDS is probed last with one
 * short attempt (AWS_CREDS_IMDS_TIMEOUT_MS) and any failure to reach it counts as "not on
 * EC2", so machines without it pay at most that once per resolution. Only IMDSv2 (token)
 * is spoken; there is no fallback to the unauthenticated IMDSv1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "aws_config.h"
#include "aws_creds_internal.h"
#include "aws_file.h"
#include "aws_http.h"

#define METADATA_MAX_BODY (64 * 1024)

/* ---------------------------------------------------------------- parsing */

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int aws_creds_metadata_parse(const char *json, size_t len, const char *source, time_t now,
			     aws_credentials *out, aws_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "credentials response is not a JSON object (line %d, column %d)",
				     je.line, je.column);
	}
	int rc = -1;
	const char *code = json_str(root, "Code");
	if (code && strcmp(code, "Success") != 0) {
		const char *msg = json_str(root, "Message");
		aws_error_set(err, AWS_ERR_CREDENTIALS, "credentials response says Code=%.64s%s%.300s",
			      code, msg ? ": " : "", msg ? msg : "");
		goto out;
	}
	const char *id = json_str(root, "AccessKeyId");
	const char *secret = json_str(root, "SecretAccessKey");
	const char *token = json_str(root, "Token");
	json_t *jexp = json_object_get(root, "Expiration");
	if (!id || !secret) {
		/* The ECS endpoint answers errors as {"code": ..., "message": ...}. */
		const char *ecode = json_str(root, "code"), *emsg = json_str(root, "message");
		if (ecode || emsg)
			aws_error_set(err, AWS_ERR_CREDENTIALS, "endpoint error %.64s: %.300s",
				      ecode ? ecode : "", emsg ? emsg : "");
		else
			aws_error_set(err, AWS_ERR_PROTOCOL, "credentials response has no \"%s\"",
				      !id ? "AccessKeyId" : "SecretAccessKey");
		goto out;
	}
	time_t exp = 0;
	if (jexp && !json_is_null(jexp)) {
		if (!json_is_string(jexp) || aws_creds_parse_time(json_string_value(jexp), &exp)) {
			aws_error_set(err, AWS_ERR_PROTOCOL,
				      "credentials response has an unreadable \"Expiration\"");
			goto out;
		}
		if (exp <= now) {
			char t[21];
			aws_creds_format_time(exp, t);
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "endpoint handed out credentials that expired at %s", t);
			goto out;
		}
	}
	rc = aws_creds_fill(out, source, id, secret, token && *token ? token : NULL, exp, source,
			    err);
out:
	json_decref(root);
	return rc;
}

/* ---------------------------------------------------------------- ECS */

static int addr_allowed(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return (a >> 24) == 127 ||                      /* 127.0.0.0/8 */
		       a == 0xA9FEAA02u ||                      /* 169.254.170.2  (ECS) */
		       a == 0xA9FEAA17u;                        /* 169.254.170.23 (EKS) */
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		static const uint8_t eks[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
						0, 0, 0, 0, 0, 0, 0, 0x23};
		if (IN6_IS_ADDR_LOOPBACK(a) || memcmp(a->s6_addr, eks, 16) == 0)
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v4 = ((uint32_t)a->s6_addr[12] << 24) | ((uint32_t)a->s6_addr[13] << 16) |
				      ((uint32_t)a->s6_addr[14] << 8) | a->s6_addr[15];
			return (v4 >> 24) == 127 || v4 == 0xA9FEAA02u || v4 == 0xA9FEAA17u;
		}
	}
	return 0;
}

int aws_creds_ecs_url_allowed(const char *url, aws_error *err)
{
	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%.200s\" is not an http:// "
				     "or https:// URL", url);
	const char *h = url + 7;
	size_t n = strcspn(h, "/?#");
	char host[256];
	if (n == 0 || n >= sizeof host || memchr(h, '@', n))
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%.200s\" has no usable host",
				     url);
	memcpy(host, h, n);
	host[n] = 0;
	if (host[0] == '[') {                      /* [v6]:port */
		char *close = strchr(host, ']');
		if (!close)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%.200s\": bad IPv6 "
					     "host", url);
		*close = 0;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		char *colon = strchr(host, ':');
		if (colon)
			*colon = 0;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "AWS_CONTAINER_CREDENTIALS_FULL_URI host \"%s\" does not resolve "
				     "(%s)", host, gai_strerror(rc));
	int ok = res != NULL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
		if (!addr_allowed(ai->ai_addr))
			ok = 0;
	freeaddrinfo(res);
	if (!ok)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%.200s\": plain http is "
				     "only allowed to loopback, 169.254.170.2 (ECS) or 169.254.170.23 / "
				     "fd00:ec2::23 (EKS); use https for other hosts", url);
	return 0;
}

/* Reads the authorization token (file first, as the SDKs do), re-read at every fetch
 * because EKS rotates the file. */
static int ecs_auth_token(char *out, size_t len, aws_error *err)
{
	const char *file = aws_env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = aws_env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	out[0] = 0;
	if (file) {
		aws_buf b = AWS_BUF_INIT;
		int e;
		aws_file_status st = aws_file_read(file, len - 1, &b, &e);
		if (st == AWS_FILE_READ)
			memcpy(out, b.data, b.len + 1);
		size_t n = st == AWS_FILE_READ ? b.len : 0;
		if (b.data)
			explicit_bzero(b.data, b.cap);
		aws_buf_free(&b);
		if (st == AWS_FILE_NOT_OPENED || st == AWS_FILE_READ_FAILED)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s",
					     file, strerror(e));
		if (st == AWS_FILE_TOO_LARGE)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s is larger than "
					     "%zu bytes", file, len - 1);
		if (st == AWS_FILE_NO_MEMORY)
			return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", file);
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
			out[--n] = 0;
	} else if (tok) {
		if (strlen(tok) >= len)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "AWS_CONTAINER_AUTHORIZATION_TOKEN is too long");
		strcpy(out, tok);
	}
	/* A newline in a header value would let the token smuggle extra headers. */
	if (strpbrk(out, "\r\n"))
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "the container authorization token contains a line break");
	return 0;
}

static int get_json(const aws_creds_ctx *ctx, const char *url, const aws_header *hdrs,
		    size_t nh, long timeout_ms, int attempts, aws_http_response *resp,
		    aws_error *err)
{
	aws_http_request req = {.method = "GET", .url = url, .headers = hdrs, .nheaders = nh,
				.timeout_ms = timeout_ms};
	int rc = -1;
	for (int i = 0; i < attempts; i++) {
		aws_http_response_free(resp);
		memset(resp, 0, sizeof *resp);
		rc = aws_http_do(ctx->http, &req, resp, err);
		if (rc == 0 && resp->status < 500)
			break;
	}
	return rc;
}

int aws_creds_from_ecs(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
		       size_t why_len, aws_error *err)
{
	const char *rel = aws_env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (!rel && !full) {
		snprintf(why, why_len, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set");
		return AWS_CREDS_NONE;
	}
	char url[2048];
	aws_header hdrs[2] = {{"Accept", "application/json"}, {NULL, NULL}};
	size_t nh = 1;
	char token[8192];
	if (rel) {      /* the relative form wins, as in every SDK */
		if (strlen(rel) > 1024 || rel[0] != '/') {
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "ECS: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path "
				      "starting with / (at most 1024 bytes)");
			return AWS_CREDS_FAILED;
		}
		snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
	} else {
		if (strlen(full) >= sizeof url) {
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "ECS: AWS_CONTAINER_CREDENTIALS_FULL_URI is too long");
			return AWS_CREDS_FAILED;
		}
		if (aws_creds_ecs_url_allowed(full, err) != 0) {
			aws_error_prefix(err, "ECS");
			return AWS_CREDS_FAILED;
		}
		snprintf(url, sizeof url, "%s", full);
		if (ecs_auth_token(token, sizeof token, err) != 0) {
			aws_error_prefix(err, "ECS");
			return AWS_CREDS_FAILED;
		}
		if (token[0]) {
			hdrs[1].name = "Authorization";
			hdrs[1].value = token;
			nh = 2;
		}
	}
	if (!ctx->http) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "ECS: no HTTP transport to reach %s", url);
		return AWS_CREDS_FAILED;
	}
	aws_http_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = AWS_CREDS_FAILED;
	if (get_json(ctx, url, hdrs, nh, AWS_CREDS_ECS_TIMEOUT_MS, 2, &resp, err) != 0) {
		aws_error_prefix(err, "ECS credentials endpoint %s", url);
		goto out;
	}
	if (resp.status != 200) {
		char msg[300] = "";
		json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		const char *m = j ? json_str(j, "message") : NULL;
		if (!m && j)
			m = json_str(j, "Message");
		if (m)
			snprintf(msg, sizeof msg, ": %.280s", m);
		json_decref(j);
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "ECS credentials endpoint %s answered HTTP %ld%s%s", url, resp.status,
			      msg, resp.status == 401 || resp.status == 403
				      ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])" : "");
		if (err)
			err->http_status = (int)resp.status;
		goto out;
	}
	if (resp.body.len > METADATA_MAX_BODY) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "ECS credentials endpoint %s: response of "
			      "%zu bytes is too large", url, resp.body.len);
		goto out;
	}
	if (aws_creds_metadata_parse(resp.body.data ? resp.body.data : "", resp.body.len, "ecs",
				     ctx->now, out, err) != 0) {
		aws_error_prefix(err, "ECS credentials endpoint %s", url);
		goto out;
	}
	rc = AWS_CREDS_FOUND;
out:
	explicit_bzero(token, sizeof token);
	aws_creds_response_free(&resp);
	return rc;
}

/* ---------------------------------------------------------------- IMDSv2 */

/* The IMDS base URL: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv4 or (ENDPOINT_MODE
 * IPv6) the IPv6 address; no trailing '/'. */
static void imds_base(char *base, size_t len)
{
	const char *ep = aws_env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = aws_env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	if (!ep)
		ep = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
							   : "http://169.254.169.254";
	snprintf(base, len, "%s", ep);
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		base[--bl] = 0;
}

/* IMDSv2's session token (PUT /latest/api/token) into token. FOUND; NONE when IMDS does not
 * answer (not on EC2: why says so); FAILED (err) for a token no header may carry. resp is
 * the caller's, reused and freed by it. */
static int imds_token(const aws_creds_ctx *ctx, const char *base, aws_http_response *resp,
		      char *token, size_t len, char *why, size_t why_len, aws_error *err)
{
	char url[1024];
	aws_error e;
	snprintf(url, sizeof url, "%s/latest/api/token", base);
	aws_header th[] = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
	aws_http_request req = {.method = "PUT", .url = url, .headers = th, .nheaders = 1,
				.body = "", .body_len = 0, .timeout_ms = AWS_CREDS_IMDS_TIMEOUT_MS};
	if (aws_http_do(ctx->http, &req, resp, &e) != 0) {
		snprintf(why, why_len, "no answer from %s: %.200s", base, e.message);
		return AWS_CREDS_NONE;
	}
	if (resp->status != 200 || resp->body.len == 0 || resp->body.len >= len) {
		snprintf(why, why_len, "token request to %s answered HTTP %ld", base, resp->status);
		return AWS_CREDS_NONE;
	}
	memcpy(token, resp->body.data, resp->body.len);
	token[resp->body.len] = 0;
	if (strpbrk(token, "\r\n")) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "EC2 IMDS %s: token contains a line break", base);
		return AWS_CREDS_FAILED;
	}
	return AWS_CREDS_FOUND;
}

int aws_creds_from_imds(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
			size_t why_len, aws_error *err)
{
	const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
	if (dis && strcasecmp(dis, "true") == 0) {
		snprintf(why, why_len, "disabled by AWS_EC2_METADATA_DISABLED");
		return AWS_CREDS_NONE;
	}
	char base[512];
	imds_base(base, sizeof base);
	if (!ctx->http) {
		snprintf(why, why_len, "no HTTP transport");
		return AWS_CREDS_NONE;
	}

	char url[1024], token[1100] = "", role[256];
	aws_http_response resp;
	memset(&resp, 0, sizeof resp);
	aws_error e;
	int rc = AWS_CREDS_NONE;

	rc = imds_token(ctx, base, &resp, token, sizeof token, why, why_len, err);
	if (rc != AWS_CREDS_FOUND)
		goto out;
	rc = AWS_CREDS_NONE;

	aws_header gh[] = {{"X-aws-ec2-metadata-token", token}};
	snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/", base);
	if (get_json(ctx, url, gh, 1, AWS_CREDS_IMDS_TIMEOUT_MS, 1, &resp, &e) != 0) {
		snprintf(why, why_len, "no answer from %s: %.200s", base, e.message);
		goto out;
	}
	if (resp.status == 404) {
		snprintf(why, why_len, "no IAM role attached to this instance");
		goto out;
	}
	if (resp.status != 200) {
		snprintf(why, why_len, "role list at %s answered HTTP %ld", base, resp.status);
		goto out;
	}
	size_t rl = resp.body.data ? strcspn(resp.body.data, "\r\n") : 0;
	if (rl == 0 || rl >= sizeof role) {
		snprintf(why, why_len, "no IAM role attached to this instance");
		goto out;
	}
	memcpy(role, resp.body.data, rl);
	role[rl] = 0;
	for (char *c = role; *c; c++) {
		if (*c == '/' || *c == '?' || *c == '#' || *c == '%' || (unsigned char)*c <= ' ') {
			aws_error_set(err, AWS_ERR_PROTOCOL,
				      "EC2 IMDS %s: role name is not a valid IAM role name", base);
			rc = AWS_CREDS_FAILED;
			goto out;
		}
	}

	snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/%s", base, role);
	if (get_json(ctx, url, gh, 1, AWS_CREDS_IMDS_TIMEOUT_MS, 1, &resp, err) != 0) {
		aws_error_prefix(err, "EC2 IMDS role %s", role);
		rc = AWS_CREDS_FAILED;
		goto out;
	}
	if (resp.status != 200) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "EC2 IMDS %s: credentials of role %s answered HTTP %ld", base, role,
			      resp.status);
		if (err)
			err->http_status = (int)resp.status;
		rc = AWS_CREDS_FAILED;
		goto out;
	}
	rc = aws_creds_metadata_parse(resp.body.data ? resp.body.data : "", resp.body.len, "imds",
				      ctx->now, out, err) == 0 ? AWS_CREDS_FOUND : AWS_CREDS_FAILED;
	if (rc == AWS_CREDS_FAILED)
		aws_error_prefix(err, "EC2 IMDS role %s", role);
out:
	explicit_bzero(token, sizeof token);
	aws_creds_response_free(&resp);
	return rc;
}

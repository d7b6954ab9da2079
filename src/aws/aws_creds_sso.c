/* aws_creds_sso.c — IAM Identity Center (SSO) profiles: the access token that
 * `aws sso login` caches in ~/.aws/sso/cache/<sha1>.json, exchanged for role credentials
 * with the portal's GetRoleCredentials.
 *
 * We only read the token cache; we never run the device login or refresh the token
 * ourselves: a missing or expired token is an error telling the user the exact
 * `aws sso login` command to run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws_creds_internal.h"
#include "aws_config.h"
#include "aws_file.h"
#include "aws_http.h"
#include "aws_sigv4.h"

#define SSO_CACHE_MAX_BYTES (1024 * 1024)

void aws_creds_sso_cache_path(const char *key, char *out, size_t len)
{
	char hex[41];
	aws_creds_cli_cache_name(key, hex);
	char home[512];
	aws_creds_home(home, sizeof home);
	snprintf(out, len, "%s/.aws/sso/cache/%s.json", home, hex);
}

int aws_creds_sso_read_token(const char *path, const char *login_hint, time_t now,
			     char *token, size_t token_len, aws_error *err)
{
	/* Read with a cap: a huge file here is a mistake, not a token. */
	aws_buf b = AWS_BUF_INIT;
	int e;
	aws_file_status st = aws_file_read(path, SSO_CACHE_MAX_BYTES, &b, &e);
	if (st == AWS_FILE_NOT_OPENED)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "no SSO token cache %s (%s): run `%s`", path, strerror(e),
				     login_hint);
	if (st == AWS_FILE_NO_MEMORY)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
	int rc = -1;
	json_t *root = st == AWS_FILE_READ ? json_loadb(b.data, b.len, 0, NULL) : NULL;
	if (b.data)
		explicit_bzero(b.data, b.cap);
	aws_buf_free(&b);
	if (!root || !json_is_object(root)) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO token cache %s is not a JSON object (or over %d bytes); run `%s`",
			      path, SSO_CACHE_MAX_BYTES, login_hint);
		goto out;
	}
	json_t *tok = json_object_get(root, "accessToken");
	json_t *exp = json_object_get(root, "expiresAt");
	time_t t;
	if (!json_is_string(tok) || !*json_string_value(tok) || !json_is_string(exp)) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO token cache %s has no accessToken/expiresAt; run `%s`", path,
			      login_hint);
		goto out;
	}
	if (aws_creds_parse_time(json_string_value(exp), &t) != 0) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO token cache %s: expiresAt is not an ISO 8601 time; run `%s`", path,
			      login_hint);
		goto out;
	}
	if (t <= now) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "the SSO session expired at %s: run `%s`", json_string_value(exp),
			      login_hint);
		goto out;
	}
	const char *s = json_string_value(tok);
	if (strlen(s) >= token_len || strpbrk(s, "\r\n")) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO token cache %s: accessToken is too long or malformed; run `%s`",
			      path, login_hint);
		goto out;
	}
	strcpy(token, s);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int aws_creds_sso_parse(const char *json, size_t len, time_t now, aws_credentials *out,
			aws_error *err)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	json_t *rc_ = json_is_object(root) ? json_object_get(root, "roleCredentials") : NULL;
	int rc = -1;
	if (!json_is_object(rc_)) {
		aws_error_set(err, AWS_ERR_PROTOCOL,
			      "GetRoleCredentials response has no roleCredentials object");
		goto out;
	}
	json_t *id = json_object_get(rc_, "accessKeyId");
	json_t *secret = json_object_get(rc_, "secretAccessKey");
	json_t *token = json_object_get(rc_, "sessionToken");
	json_t *exp = json_object_get(rc_, "expiration");
	if (!json_is_string(id) || !json_is_string(secret) || !json_is_integer(exp)) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "GetRoleCredentials response lacks accessKeyId, "
			      "secretAccessKey or expiration");
		goto out;
	}
	/* expiration is epoch milliseconds */
	time_t t = (time_t)(json_integer_value(exp) / 1000);
	if (t <= now) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "GetRoleCredentials returned credentials that already expired");
		goto out;
	}
	rc = aws_creds_fill(out, "GetRoleCredentials response", json_string_value(id),
			    json_string_value(secret),
			    json_is_string(token) ? json_string_value(token) : NULL, t, "sso", err);
out:
	json_decref(root);
	return rc;
}

/* Where the profile's SSO login lives: its sso_region, the token cache key and the login
 * command to suggest — from its [sso-session NAME] section, or the legacy sso_start_url and
 * sso_region in the profile itself. Returns 0 or -1 (err). */
static int sso_where(const aws_profile *profile, char *sso_region, size_t rlen, char *key,
		     size_t klen, char *hint, size_t hlen, aws_error *err)
{
	const char *pname = aws_profile_name(profile);
	const char *session = aws_profile_get(profile, "sso_session");
	if (session) {
		aws_profile *sp = aws_profile_load_sso_session(session, err);
		if (!sp)
			return aws_error_prefix(err, "sso_session \"%s\"", session);
		if (!aws_profile_exists(sp)) {
			aws_profile_free(sp);
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "sso_session \"%s\": no [sso-session %s] section in the "
					     "config file", session, session);
		}
		const char *r = aws_profile_get(sp, "sso_region");
		snprintf(sso_region, rlen, "%s", r ? r : "");
		snprintf(key, klen, "%s", session);
		snprintf(hint, hlen, "aws sso login --sso-session %s", session);
		aws_profile_free(sp);
	} else {
		/* Legacy form: sso_start_url and sso_region in the profile; cache keyed by URL. */
		const char *url = aws_profile_get(profile, "sso_start_url");
		const char *r = aws_profile_get(profile, "sso_region");
		snprintf(sso_region, rlen, "%s", r ? r : "");
		snprintf(key, klen, "%s", url ? url : "");
		snprintf(hint, hlen, "aws sso login --profile %s", pname ? pname : "");
	}
	if (!sso_region[0])
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "SSO: no sso_region in %s",
				     session ? "the sso-session section" : "the profile");
	return 0;
}

int aws_creds_from_sso(const aws_creds_ctx *ctx, const aws_profile *profile,
		       aws_credentials *out, aws_error *err)
{
	const char *account = aws_profile_get(profile, "sso_account_id");
	const char *role = aws_profile_get(profile, "sso_role_name");
	char hint[300], sso_region[64] = "", key[1024];
	if (sso_where(profile, sso_region, sizeof sso_region, key, sizeof key, hint, sizeof hint,
		      err) != 0)
		return -1;
	if (!account || !role)
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "SSO: the profile needs %s",
				     !account ? "sso_account_id" : "sso_role_name");
	char path[1024], token[8192];
	aws_creds_sso_cache_path(key, path, sizeof path);
	if (aws_creds_sso_read_token(path, hint, ctx->now, token, sizeof token, err) != 0)
		return -1;
	if (!ctx->http) {
		explicit_bzero(token, sizeof token);
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "SSO: no HTTP transport");
	}

	char endpoint[512];
	if (aws_endpoint_resolve_profile(profile, "SSO", "portal.sso", sso_region, endpoint,
					 sizeof endpoint, err) != 0) {
		explicit_bzero(token, sizeof token);
		return -1;
	}
	aws_buf url = AWS_BUF_INIT;
	int bad = aws_buf_printf(&url, "%s/federation/credentials?account_id=", endpoint) ||
		  aws_uri_encode(&url, account, strlen(account), 0) ||
		  aws_buf_puts(&url, "&role_name=") ||
		  aws_uri_encode(&url, role, strlen(role), 0);
	if (bad) {
		explicit_bzero(token, sizeof token);
		aws_buf_free(&url);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	}
	aws_header h[] = {{"x-amz-sso_bearer_token", token}, {"Accept", "application/json"}};
	aws_http_request req = {.method = "GET", .url = url.data, .headers = h, .nheaders = 2,
				.timeout_ms = AWS_CREDS_HTTP_TIMEOUT_MS};
	aws_http_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = -1;
	if (aws_http_do(ctx->http, &req, &resp, err) != 0) {
		aws_error_prefix(err, "SSO GetRoleCredentials at %s", endpoint);
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO GetRoleCredentials refused the cached token (HTTP %ld): the "
			      "session has expired or was revoked; run `%s`", resp.status, hint);
		goto status;
	}
	if (resp.status != 200) {
		char msg[256] = "";
		json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		json_t *m = j ? json_object_get(j, "message") : NULL;
		snprintf(msg, sizeof msg, "%s", json_is_string(m) ? json_string_value(m) : "");
		json_decref(j);
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "SSO GetRoleCredentials for account %s role %s answered HTTP %ld%s%s",
			      account, role, resp.status, msg[0] ? ": " : "", msg);
		goto status;
	}
	rc = aws_creds_sso_parse(resp.body.data ? resp.body.data : "", resp.body.len, ctx->now,
				 out, err);
	goto out;
status:
	if (err) {
		err->http_status = (int)resp.status;
		aws_http_header(&resp, "x-amzn-ErrorType", err->type, sizeof err->type);
		aws_http_header(&resp, "x-amzn-RequestId", err->request_id, sizeof err->request_id);
	}
out:
	explicit_bzero(token, sizeof token);
	aws_creds_response_free(&resp);
	aws_buf_free(&url);
	return rc;
}

/* aws_creds_internal.h — the pieces of the credentials chain, shared by aws_creds*.c and
 * their unit tests. Not part of the library's public contract.
 *
 * Each source answers one of three ways: FOUND (credentials in *out), NONE (not configured
 * here; `why` says what was looked at, for the "no credentials" message) or FAILED
 * (configured but broken: *err says what, and the chain stops there, as the SDKs do — a
 * broken profile must not silently fall through to the instance role).
 */
#ifndef AWS_CREDS_INTERNAL_H
#define AWS_CREDS_INTERNAL_H

#include <stddef.h>
#include <time.h>
#include "aws_creds.h"
#include "aws_config.h"
#include "aws_buf.h"
#include "aws_http.h"

enum { AWS_CREDS_FOUND = 0, AWS_CREDS_NONE = 1, AWS_CREDS_FAILED = -1 };

/* Refresh temporary credentials when fewer than this many seconds remain. */
#define AWS_CREDS_REFRESH_AHEAD_S 300
/* Cached credentials closer than this to expiry are not handed out any more: a request
 * signed with them could expire in flight. */
#define AWS_CREDS_EXPIRY_MARGIN_S 10
/* After a failed refresh while the old credentials are still usable, wait this long. */
#define AWS_CREDS_RETRY_S 10
/* After a successful refresh, never refresh again sooner than this (sources that hand out
 * credentials already inside the refresh window would otherwise be called on every get). */
#define AWS_CREDS_MIN_REFRESH_S 1

/* credential_process: stdout cap and wall-clock limit. */
#define AWS_CREDS_PROCESS_MAX_BYTES (64 * 1024)
#define AWS_CREDS_PROCESS_TIMEOUT_MS 60000L

/* Timeouts of the metadata endpoints. IMDS gets one short attempt so a machine that is
 * not on EC2 pays at most ~1 s once per chain resolution. */
#define AWS_CREDS_IMDS_TIMEOUT_MS 1000L
#define AWS_CREDS_ECS_TIMEOUT_MS 2000L
#define AWS_CREDS_HTTP_TIMEOUT_MS 10000L   /* STS and SSO */
#define AWS_CREDS_MAX_ROLE_CHAIN 5

/* What a source needs from the provider. */
typedef struct aws_creds_ctx {
	aws_http *http;          /* may be NULL: HTTP sources then report NONE/FAILED */
	const char *region;      /* "" when unknown */
	time_t now;              /* the provider's clock, read once per resolution */
	const aws_profile *profile;   /* whose endpoint settings STS obeys; NULL = environment only */
	aws_mfa_prompt_fn mfa;        /* NULL: roles with mfa_serial cannot be assumed */
	void *mfa_ud;
} aws_creds_ctx;

/* ---- aws_creds.c: shared helpers ---- */

/* Parses an ISO 8601 / RFC 3339 UTC time: "2024-05-01T12:00:00Z", with optional
 * fractional seconds, "+hh:mm"/"-hh:mm" offset or "UTC" suffix. Returns 0 or -1. */
int aws_creds_parse_time(const char *s, time_t *out);
/* Formats t as "2024-05-01T12:00:00Z" into out (21 bytes). */
void aws_creds_format_time(time_t t, char out[21]);

/* Copies the three strings into *out after checking their sizes (the error names `what`,
 * never a value). token may be NULL. Returns 0 or -1 (AWS_ERR_CREDENTIALS). */
int aws_creds_fill(aws_credentials *out, const char *what, const char *key_id,
		   const char *secret, const char *token, time_t expiration, const char *source,
		   aws_error *err);
/* Frees a response from a credentials endpoint after wiping its body: it carried
 * credentials (or a token for them), which must not linger in freed memory. */
void aws_creds_response_free(aws_http_response *resp);

/* The environment source. */
int aws_creds_from_env(aws_credentials *out, char *why, size_t why_len, aws_error *err);

/* The profile source (everything a profile can say: role_arn, sso_session, static keys,
 * credential_process). name = the profile name; explicit = the user asked for it
 * (a missing explicit profile FAILS instead of being skipped). */
int aws_creds_from_profile(const aws_creds_ctx *ctx, const char *name, int explicit_,
			   aws_credentials *out, char *why, size_t why_len, aws_error *err);

/* The home directory into out: HOME, else the password database, else "~". */
void aws_creds_home(char *out, size_t len);
/* The shared file paths as the SDKs find them (env override, else ~/.aws/...). */
void aws_creds_config_path(char *out, size_t len);
void aws_creds_credentials_path(char *out, size_t len);

/* ---- aws_creds_process.c ---- */

/* Runs `command` with /bin/sh -c (as the AWS SDKs for Go, Rust and Java do on Unix, so
 * quoting and ~ work), stdin and stderr inherited (so a helper can prompt or
 * explain), stdout captured up to max_bytes. Killed (SIGKILL) after timeout_ms.
 * Returns 0 when the command exited 0, else -1: AWS_ERR_IO naming the exit
 * status, signal, timeout or oversize output. */
int aws_creds_process_run(const char *command, long timeout_ms, size_t max_bytes,
			  aws_buf *out, aws_error *err);
/* Parses credential_process output: {"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken"?, "Expiration"? (ISO 8601)}. Expired credentials are an error. */
int aws_creds_process_parse(const char *json, size_t len, time_t now, aws_credentials *out,
			    aws_error *err);
/* run + parse with the default limits. */
int aws_creds_process_fetch(const char *command, time_t now, aws_credentials *out,
			    aws_error *err);

/* ---- aws_creds_http.c: ECS container credentials and EC2 IMDSv2 ---- */

/* Checks an AWS_CONTAINER_CREDENTIALS_FULL_URI: https:// any host; http:// only when
 * every address of the host is loopback, 169.254.170.2 (ECS), 169.254.170.23 or
 * fd00:ec2::23 (EKS Pod Identity). Returns 0 or -1 (AWS_ERR_CREDENTIALS saying why). */
int aws_creds_ecs_url_allowed(const char *url, aws_error *err);
/* Parses the ECS / IMDS JSON document {AccessKeyId, SecretAccessKey, Token, Expiration}
 * (IMDS adds Code, which must be "Success"). source names the origin ("ecs", "imds"). */
int aws_creds_metadata_parse(const char *json, size_t len, const char *source, time_t now,
			     aws_credentials *out, aws_error *err);
int aws_creds_from_ecs(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
		       size_t why_len, aws_error *err);
int aws_creds_from_imds(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
			size_t why_len, aws_error *err);

/* ---- aws_creds_sts.c: STS AssumeRole ---- */

typedef struct aws_creds_assume_role {
	const char *role_arn;
	const char *session_name;   /* NULL = "showtable-<unix time>" */
	const char *external_id;    /* NULL = none */
	long duration_s;            /* 0 = STS default (3600) */
	const char *serial_number;  /* MFA device, NULL = none */
	const char *token_code;     /* its current 6-digit code, with serial_number */
	const char *web_identity_token;   /* with source NULL: AssumeRoleWithWebIdentity */
} aws_creds_assume_role;

/* Calls STS AssumeRole (Query API, Version 2011-06-15) signed with `source` — or, with
 * source NULL, AssumeRoleWithWebIdentity, unsigned, with ar->web_identity_token — at the
 * endpoint for ctx->region (AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL and ctx->profile's
 * endpoint settings honoured; us-east-1 when no region). */
int aws_creds_sts_assume_role(const aws_creds_ctx *ctx, const aws_credentials *source,
			      const aws_creds_assume_role *ar, aws_credentials *out,
			      aws_error *err);
/* Parses an AssumeRoleResponse, or an ErrorResponse into *err (AWS_ERR_SERVICE with code,
 * message, request id). http_status is the response's status. */
int aws_creds_sts_parse(const char *xml, size_t len, long http_status, time_t now,
			aws_credentials *out, aws_error *err);

/* The same for action "AssumeRole" or "AssumeRoleWithWebIdentity" (<action>Response). */
int aws_creds_sts_parse_action(const char *action, const char *xml, size_t len, long http_status,
			       time_t now, aws_credentials *out, aws_error *err);

/* ---- aws_creds_cache.c: credentials of MFA-guarded roles between runs (the AWS CLI's
 * ~/.aws/cli/cache) ---- */

/* Cached role credentials are used while at least this many seconds remain (the CLI's). */
#define AWS_CREDS_ROLE_CACHE_WINDOW_S (15 * 60)

/* The CLI's cache key of ar (session name, external id, MFA serial, duration as the profile
 * sets them; token code and web identity token ignored) as 40 hex digits. -1 when a string
 * holds a byte outside printable ASCII (no key the CLI would agree on) or on no memory. */
int aws_creds_role_cache_key(const aws_creds_assume_role *ar, char key[41]);

/* The name the AWS CLI gives the cache file of text (an SSO session, a role's arguments):
 * SHA-1 as 40 hex digits. -1 (name "") when OpenSSL cannot hash. */
int aws_creds_cli_cache_name(const char *text, char name[41]);

/* ~/.aws/cli/cache (HOME, else the password database). */
void aws_creds_role_cache_dir(char *out, size_t len);

/* The credentials in dir/<key>.json into *out (source as given) when the file is a regular
 * file of this user that others cannot write, under 64 KiB, holds all four values and
 * expires at least AWS_CREDS_ROLE_CACHE_WINDOW_S after now. 0, else -1 (nothing usable:
 * the caller assumes the role). */
int aws_creds_role_cache_read(const char *dir, const char *key, time_t now, const char *source,
			      aws_credentials *out);

/* Writes c as dir/<key>.json (0600, through a renamed temporary file; dir made 0700 when
 * missing). 0, or -1 with err (AWS_ERR_IO naming the path and the reason). */
int aws_creds_role_cache_write(const char *dir, const char *key, const aws_credentials *c,
			       aws_error *err);

/* ---- aws_creds_web.c: web identity (OIDC token file → AssumeRoleWithWebIdentity) ---- */

/* AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME): FOUND, NONE when
 * no token file is set, FAILED (err set) when the role is missing or the call fails. */
int aws_creds_from_web_identity_env(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
				    size_t why_len, aws_error *err);
/* Reads the token file (again at every fetch: tokens rotate) and calls STS. Returns 0 or -1
 * with err naming the file or STS's answer; the token is never put in a message. */
int aws_creds_web_identity(const aws_creds_ctx *ctx, const char *role_arn, const char *token_file,
			   const char *session_name, aws_credentials *out, aws_error *err);

/* ---- aws_creds_sso.c: IAM Identity Center ---- */

/* ~/.aws/sso/cache/<sha1 hex of key>.json, key = the sso_session name (or the legacy
 * sso_start_url). */
void aws_creds_sso_cache_path(const char *key, char *out, size_t len);
/* Reads the cached token file: accessToken, expiresAt. login_hint is the command to
 * suggest ("aws sso login --sso-session X"). Missing, unreadable, malformed or expired →
 * -1 AWS_ERR_CREDENTIALS telling the user to run it. */
int aws_creds_sso_read_token(const char *path, const char *login_hint, time_t now,
			     char *token, size_t token_len, aws_error *err);
/* Parses a GetRoleCredentials response {"roleCredentials": {...,"expiration": ms}}. */
int aws_creds_sso_parse(const char *json, size_t len, time_t now, aws_credentials *out,
			aws_error *err);
/* The SSO source for a profile that has sso_session or sso_start_url. */
int aws_creds_from_sso(const aws_creds_ctx *ctx, const aws_profile *profile,
		       aws_credentials *out, aws_error *err);

#endif

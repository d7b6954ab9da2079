/* aws_creds.c — the credentials chain (environment → profile → ECS → IMDS), its cache and
 * refresh-ahead, the static provider, and the profile source (static keys, role_arn with
 * source_profile/credential_source, sso_session, credential_process). Roles behind MFA keep
 * their credentials between runs in the AWS CLI's cache (aws_creds_cache.c).
 *
 * Cache design: one mutex per provider guards the cached credentials. A caller that finds
 * them fresh copies them and leaves. When fewer than AWS_CREDS_REFRESH_AHEAD_S remain, one
 * caller becomes the refresher and fetches *outside* the lock while the others keep
 * getting the still-valid cached copy; only when nothing usable is cached do callers wait
 * (on a condition variable) for the one fetch in flight, and they share its outcome
 * instead of each trying again. A failed refresh keeps the old credentials while they
 * last and is retried AWS_CREDS_RETRY_S later. Refresh re-runs the whole chain, so edits
 * to the profile files between refreshes are picked up. As in the AWS CLI, a profile named
 * by the caller (--profile) is not overridden by environment keys; AWS_PROFILE is.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws_creds.h"
#include "aws_creds_internal.h"
#include "aws_config.h"

struct aws_creds_provider {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int is_static;
	aws_http *http;                /* borrowed */
	char profile[128];
	int profile_explicit;          /* given by the caller or AWS_PROFILE */
	int skip_env;                  /* given by the caller (--profile): as the AWS CLI, the
					  environment keys then do not override it */
	char region[64];
	time_t (*now)(void);
	aws_credentials cached;        /* valid when have */
	int have;
	int refreshing;                /* a caller is fetching outside the lock */
	unsigned long gen;             /* bumped at the end of every fetch */
	time_t next_attempt;           /* no refresh-ahead attempt before this */
	aws_mfa_prompt_fn mfa;         /* under mu; see aws_creds_provider_set_mfa_prompt */
	void *mfa_ud;
	aws_error last_err;            /* outcome of the last failed fetch, for waiters */
};

static time_t clock_real(void) { return time(NULL); }

/* ---------------------------------------------------------------- helpers */

static int digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**s))
			return -1;
		v = v * 10 + (**s - '0');
		(*s)++;
	}
	*out = v;
	return 0;
}

int aws_creds_parse_time(const char *s, time_t *out)
{
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (digits(&s, 4, &Y) || *s++ != '-' || digits(&s, 2, &M) || *s++ != '-' ||
	    digits(&s, 2, &D) || (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &m) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -1;
	if (*s == '.' || *s == ',') {          /* fractional seconds: ignored */
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (strncmp(s, "UTC", 3) == 0) {  /* old `aws sso login` cache files */
		s += 3;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om))
			return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (*s || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 ||
	    oh > 23 || om > 59)
		return -1;
	struct tm tm = {0};
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - (time_t)sign * (oh * 3600 + om * 60);
	return 0;
}

void aws_creds_format_time(time_t t, char out[21])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "%s", "(invalid time)");
}

void aws_creds_response_free(aws_http_response *resp)
{
	if (resp->body.data)
		explicit_bzero(resp->body.data, resp->body.len);
	aws_http_response_free(resp);
}

int aws_creds_fill(aws_credentials *out, const char *what, const char *key_id,
		   const char *secret, const char *token, time_t expiration, const char *source,
		   aws_error *err)
{
	if (!key_id || !*key_id)
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "%s: access key id is missing", what);
	if (!secret || !*secret)
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "%s: secret access key is missing",
				     what);
	if (strlen(key_id) >= sizeof out->access_key_id)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "%s: access key id is %zu bytes, more than the %zu allowed", what,
				     strlen(key_id), sizeof out->access_key_id - 1);
	if (strlen(secret) >= sizeof out->secret_access_key)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "%s: secret access key is %zu bytes, more than the %zu allowed",
				     what, strlen(secret), sizeof out->secret_access_key - 1);
	if (token && strlen(token) >= sizeof out->session_token)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "%s: session token is %zu bytes, more than the %zu allowed", what,
				     strlen(token), sizeof out->session_token - 1);
	/* A key id or secret with control characters would corrupt the signed headers. */
	for (const char *c = key_id; *c; c++)
		if ((unsigned char)*c <= ' ')
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "%s: access key id contains whitespace or control characters",
					     what);
	memset(out, 0, sizeof *out);
	strcpy(out->access_key_id, key_id);
	strcpy(out->secret_access_key, secret);
	if (token)
		strcpy(out->session_token, token);
	out->expiration = expiration;
	snprintf(out->source, sizeof out->source, "%s", source);
	return 0;
}

void aws_creds_home(char *out, size_t len)
{
	const char *home = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[1024];
	if ((!home || !*home) && getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res)
		home = res->pw_dir;
	snprintf(out, len, "%s", home && *home ? home : "~");
}

static void home_path(const char *env, const char *rel, char *out, size_t len)
{
	const char *v = getenv(env);
	char home[512];
	if (v && *v && !(v[0] == '~' && v[1] == '/')) {
		snprintf(out, len, "%s", v);
		return;
	}
	aws_creds_home(home, sizeof home);
	if (v && *v)
		snprintf(out, len, "%s%s", home, v + 1);      /* "~/x" */
	else
		snprintf(out, len, "%s/%s", home, rel);
}

void aws_creds_config_path(char *out, size_t len)
{
	home_path("AWS_CONFIG_FILE", ".aws/config", out, len);
}

void aws_creds_credentials_path(char *out, size_t len)
{
	home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", out, len);
}

/* Error from a source: kind CREDENTIALS (the contract), keeping status/type/request id. */
static void as_creds_error(aws_error *err)
{
	if (err)
		err->kind = AWS_ERR_CREDENTIALS;
}

/* ---------------------------------------------------------------- environment */

int aws_creds_from_env(aws_credentials *out, char *why, size_t why_len, aws_error *err)
{
	const char *id = aws_env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = aws_env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = aws_env_nonempty("AWS_SESSION_TOKEN");
	if (!token)
		token = aws_env_nonempty("AWS_SECURITY_TOKEN");   /* the older name, still honoured */
	if (!id && !secret) {
		snprintf(why, why_len, "AWS_ACCESS_KEY_ID not set");
		return AWS_CREDS_NONE;
	}
	if (!id || !secret) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "environment: %s is set but %s is not; set both or neither",
			      id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			      id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return AWS_CREDS_FAILED;
	}
	time_t exp = 0;
	const char *e = aws_env_nonempty("AWS_CREDENTIAL_EXPIRATION");
	if (e && aws_creds_parse_time(e, &exp) != 0) {
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "environment: AWS_CREDENTIAL_EXPIRATION \"%.40s\" is not an ISO 8601 "
			      "time like 2024-05-01T12:00:00Z", e);
		return AWS_CREDS_FAILED;
	}
	if (aws_creds_fill(out, "environment", id, secret, token, exp, "environment", err) != 0)
		return AWS_CREDS_FAILED;
	return AWS_CREDS_FOUND;
}

/* ---------------------------------------------------------------- profile */

static int profile_resolve(const aws_creds_ctx *ctx, const char *name, int explicit_,
			   int depth, int allow_role, aws_credentials *out, char *why,
			   size_t why_len, aws_error *err);

/* credential_source = Environment | EcsContainer | Ec2InstanceMetadata (role_arn base). */
static int credential_source(const aws_creds_ctx *ctx, const char *profile, const char *src,
			     aws_credentials *out, aws_error *err)
{
	char why[512];
	int rc;
	if (strcmp(src, "Environment") == 0)
		rc = aws_creds_from_env(out, why, sizeof why, err);
	else if (strcmp(src, "EcsContainer") == 0)
		rc = aws_creds_from_ecs(ctx, out, why, sizeof why, err);
	else if (strcmp(src, "Ec2InstanceMetadata") == 0)
		rc = aws_creds_from_imds(ctx, out, why, sizeof why, err);
	else
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "profile \"%s\": credential_source \"%.64s\" is not one of "
				     "Environment, EcsContainer, Ec2InstanceMetadata", profile, src);
	if (rc == AWS_CREDS_NONE)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "profile \"%s\": credential_source %s has no credentials (%s)",
				     profile, src, why);
	if (rc == AWS_CREDS_FAILED)
		return aws_error_prefix(err, "profile \"%s\": credential_source %s", profile, src);
	return 0;
}

/* The context STS is called with for profile p: its endpoint settings, and the chain's
 * region, else the profile's (else, in aws_creds_sts, us-east-1). */
static aws_creds_ctx sts_ctx_of(const aws_creds_ctx *ctx, const aws_profile *p)
{
	aws_creds_ctx c = *ctx;
	c.profile = p;
	if (!c.region || !*c.region) {
		const char *r = aws_profile_get(p, "region");
		c.region = r ? r : "";
	}
	return c;
}

/* Asks for the MFA code of device mfa (profile name) into code: 6 digits, else -1 with err
 * and code wiped. */
static int mfa_code(const aws_creds_ctx *ctx, const char *name, const char *mfa, char *code,
		    size_t len, aws_error *err)
{
	char why[256] = "";
	size_t n = 0;
	int asked = ctx->mfa(ctx->mfa_ud, mfa, code, len, why, sizeof why) == 0;
	while (asked && code[n] >= '0' && code[n] <= '9')
		n++;
	if (asked && n == 6 && !code[n])
		return 0;
	explicit_bzero(code, len);
	return aws_error_set(err, AWS_ERR_CREDENTIALS, "profile \"%s\": MFA code for %s: %s", name,
			     mfa, asked ? "it must be the 6 digits the device shows" : why);
}

/* A role behind MFA (ar complete but for the code): its credentials from an earlier run, ours
 * or the AWS CLI's, while they last, so the code is asked once per role session. FOUND with
 * *out; NONE when a code must be asked (key and dir then name the cache file to write, key ""
 * when it has none); FAILED with err when this program cannot ask. */
static int mfa_role_cached(const aws_creds_ctx *ctx, const char *name, const aws_creds_assume_role *ar,
			   char key[41], char *dir, size_t dir_len, aws_credentials *out, aws_error *err)
{
	aws_creds_role_cache_dir(dir, dir_len);
	if (aws_creds_role_cache_key(ar, key) == 0 &&
	    aws_creds_role_cache_read(dir, key, ctx->now, "assume-role (cached)", out) == 0)
		return AWS_CREDS_FOUND;
	if (ctx->mfa)
		return AWS_CREDS_NONE;
	aws_error_set(err, AWS_ERR_CREDENTIALS,
		      "profile \"%s\": role %s needs an MFA code (mfa_serial), no credentials of it with "
		      "15 minutes left are cached in %s, and this program cannot ask for a code; run "
		      "showtablectl (or aws) with this profile on a terminal first, or use an sso_session "
		      "or credential_process profile", name, ar->role_arn, dir);
	return AWS_CREDS_FAILED;
}

static int assume_role_profile(const aws_creds_ctx *ctx, const aws_profile *p,
			       const char *name, int depth, aws_credentials *out, aws_error *err)
{
	const char *role_arn = aws_profile_get(p, "role_arn");
	const char *src_name = aws_profile_get(p, "source_profile");
	const char *cred_src = aws_profile_get(p, "credential_source");
	const char *web_file = aws_profile_get(p, "web_identity_token_file");
	if (web_file && !src_name && !cred_src) {
		aws_creds_ctx web_ctx = sts_ctx_of(ctx, p);
		if (aws_creds_web_identity(&web_ctx, role_arn, web_file, aws_profile_get(p, "role_session_name"),
					   out, err) != 0)
			return aws_error_prefix(err, "profile \"%s\"", name);
		return 0;
	}
	if (src_name && cred_src)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "profile \"%s\" sets both source_profile and credential_source; "
				     "keep one", name);
	if (!src_name && !cred_src)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "profile \"%s\" has role_arn but neither source_profile, "
				     "credential_source nor web_identity_token_file to assume it with", name);
	const char *mfa = aws_profile_get(p, "mfa_serial");
	if (depth >= AWS_CREDS_MAX_ROLE_CHAIN)
		return aws_error_set(err, AWS_ERR_CREDENTIALS,
				     "profile \"%s\": role chain is longer than %d profiles (is there "
				     "a source_profile loop?)", name, AWS_CREDS_MAX_ROLE_CHAIN);

	aws_creds_assume_role ar = {.role_arn = role_arn};
	ar.session_name = aws_profile_get(p, "role_session_name");
	ar.external_id = aws_profile_get(p, "external_id");
	const char *dur = aws_profile_get(p, "duration_seconds");
	if (dur) {
		char *end;
		errno = 0;
		long v = strtol(dur, &end, 10);
		if (errno || end == dur || *end || v < 900 || v > 43200)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "profile \"%s\": duration_seconds \"%.32s\" must be a "
					     "number of seconds from 900 to 43200", name, dur);
		ar.duration_s = v;
	}

	char key[41] = "", dir[600] = "";
	if (mfa) {
		ar.serial_number = mfa;
		int rc = mfa_role_cached(ctx, name, &ar, key, dir, sizeof dir, out, err);
		if (rc != AWS_CREDS_NONE)
			return rc == AWS_CREDS_FOUND ? 0 : -1;
	}

	aws_credentials src;
	if (src_name) {
		/* A profile naming itself as source uses its own static keys, as the SDKs do. */
		int self = strcmp(src_name, name) == 0;
		char why[512] = "";
		int rc = profile_resolve(ctx, src_name, 1, depth + 1, !self, &src, why, sizeof why,
					 err);
		if (rc == AWS_CREDS_NONE)
			return aws_error_set(err, AWS_ERR_CREDENTIALS,
					     "profile \"%s\": source_profile \"%s\" has no credentials "
					     "(%s)", name, src_name, why);
		if (rc == AWS_CREDS_FAILED)
			return aws_error_prefix(err, "profile \"%s\" (source of role %s)", name,
						role_arn);
	} else if (credential_source(ctx, name, cred_src, &src, err) != 0) {
		return -1;
	}

	char code[16] = "";
	if (mfa) {
		if (mfa_code(ctx, name, mfa, code, sizeof code, err) != 0) {
			explicit_bzero(&src, sizeof src);
			return -1;
		}
		ar.token_code = code;
	}

	aws_creds_ctx sts_ctx = sts_ctx_of(ctx, p);
	int rc = aws_creds_sts_assume_role(&sts_ctx, &src, &ar, out, err);
	explicit_bzero(&src, sizeof src);
	explicit_bzero(code, sizeof code);
	if (rc != 0)
		return aws_error_prefix(err, "profile \"%s\": AssumeRole %s", name, role_arn);
	aws_error ignored;   /* no cache (a read-only home): the next run asks again, no harm */
	if (key[0])
		aws_creds_role_cache_write(dir, key, out, &ignored);
	return 0;
}

static int profile_resolve(const aws_creds_ctx *ctx, const char *name, int explicit_,
			   int depth, int allow_role, aws_credentials *out, char *why,
			   size_t why_len, aws_error *err)
{
	char cfg[512], crd[512];
	aws_creds_config_path(cfg, sizeof cfg);
	aws_creds_credentials_path(crd, sizeof crd);
	aws_profile *p = aws_profile_load(name, err);
	if (!p) {
		aws_error_prefix(err, "profile \"%s\"", name);
		return AWS_CREDS_FAILED;
	}
	int rc = AWS_CREDS_FAILED;
	if (!aws_profile_exists(p)) {
		if (explicit_) {
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "profile \"%s\" is not in %s or %s (check AWS_PROFILE / "
				      "--profile, or add the profile)", name, crd, cfg);
			goto out;
		}
		snprintf(why, why_len, "not in %s or %s", crd, cfg);
		rc = AWS_CREDS_NONE;
		goto out;
	}
	if (allow_role && aws_profile_get(p, "role_arn")) {
		rc = assume_role_profile(ctx, p, name, depth, out, err) == 0 ? AWS_CREDS_FOUND
									     : AWS_CREDS_FAILED;
		goto out;
	}
	if (aws_profile_get(p, "sso_session") || aws_profile_get(p, "sso_start_url")) {
		if (aws_creds_from_sso(ctx, p, out, err) == 0) {
			rc = AWS_CREDS_FOUND;
		} else {
			aws_error_prefix(err, "profile \"%s\"", name);
		}
		goto out;
	}
	const char *id = aws_profile_get(p, "aws_access_key_id");
	const char *secret = aws_profile_get(p, "aws_secret_access_key");
	if (id || secret) {
		char what[192], source[64];
		snprintf(what, sizeof what, "profile \"%s\"", name);
		if (!id || !secret || !*id || !*secret) {
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "profile \"%s\" has %s but no %s (in %s or %s)", name,
				      id && *id ? "aws_access_key_id" : "aws_secret_access_key",
				      id && *id ? "aws_secret_access_key" : "aws_access_key_id", crd,
				      cfg);
			goto out;
		}
		snprintf(source, sizeof source, "profile %s", name);
		const char *tok = aws_profile_get(p, "aws_session_token");
		if (!tok)
			tok = aws_profile_get(p, "aws_security_token");
		if (aws_creds_fill(out, what, id, secret, tok, 0, source, err) == 0)
			rc = AWS_CREDS_FOUND;
		goto out;
	}
	const char *cmd = aws_profile_get(p, "credential_process");
	if (cmd) {
		if (aws_creds_process_fetch(cmd, ctx->now, out, err) == 0)
			rc = AWS_CREDS_FOUND;
		else
			aws_error_prefix(err, "profile \"%s\": credential_process", name);
		goto out;
	}
	snprintf(why, why_len,
		 "has no aws_access_key_id, role_arn, sso_session or credential_process");
	rc = AWS_CREDS_NONE;
out:
	aws_profile_free(p);
	return rc;
}

int aws_creds_from_profile(const aws_creds_ctx *ctx, const char *name, int explicit_,
			   aws_credentials *out, char *why, size_t why_len, aws_error *err)
{
	return profile_resolve(ctx, name, explicit_, 0, 1, out, why, why_len, err);
}

/* ---------------------------------------------------------------- the chain */

static int chain_resolve(aws_creds_provider *p, time_t now, aws_credentials *out,
			 aws_error *err)
{
	char why_env[128] = "", why_web[128] = "", why_prof[1100] = "", why_ecs[256] = "",
	     why_imds[300] = "";
	pthread_mutex_lock(&p->mu);
	aws_creds_ctx ctx = {.http = p->http, .region = p->region, .now = now, .mfa = p->mfa,
			     .mfa_ud = p->mfa_ud};
	pthread_mutex_unlock(&p->mu);
	int rc = AWS_CREDS_NONE;
	if (p->skip_env) {
		snprintf(why_env, sizeof why_env, "not used: a profile was named explicitly");
		snprintf(why_web, sizeof why_web, "not used: a profile was named explicitly");
	} else {
		rc = aws_creds_from_env(out, why_env, sizeof why_env, err);
		if (rc == AWS_CREDS_NONE)
			rc = aws_creds_from_web_identity_env(&ctx, out, why_web, sizeof why_web, err);
	}
	if (rc == AWS_CREDS_NONE)
		rc = aws_creds_from_profile(&ctx, p->profile, p->profile_explicit, out, why_prof,
					    sizeof why_prof, err);
	if (rc == AWS_CREDS_NONE)
		rc = aws_creds_from_ecs(&ctx, out, why_ecs, sizeof why_ecs, err);
	if (rc == AWS_CREDS_NONE)
		rc = aws_creds_from_imds(&ctx, out, why_imds, sizeof why_imds, err);
	if (rc == AWS_CREDS_FOUND) {
		if (out->expiration != 0 && out->expiration <= now) {
			char t[21];
			aws_creds_format_time(out->expiration, t);
			aws_error_set(err, AWS_ERR_CREDENTIALS,
				      "credentials from %s expired at %s", out->source, t);
			explicit_bzero(out, sizeof *out);
			return -1;
		}
		return 0;
	}
	if (rc == AWS_CREDS_FAILED) {
		as_creds_error(err);
		return -1;
	}
	return aws_error_set(err, AWS_ERR_CREDENTIALS,
			     "no AWS credentials found: environment (%s); web identity (%s); profile "
			     "\"%s\" (%s); ECS (%s); EC2 IMDS (%s)", why_env, why_web, p->profile, why_prof,
			     why_ecs, why_imds);
}

void aws_creds_provider_set_mfa_prompt(aws_creds_provider *p, aws_mfa_prompt_fn fn, void *ud)
{
	pthread_mutex_lock(&p->mu);
	p->mfa = fn;
	p->mfa_ud = ud;
	pthread_mutex_unlock(&p->mu);
}

static aws_creds_provider *provider_new(aws_error *err)
{
	aws_creds_provider *p = calloc(1, sizeof *p);
	if (!p) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory creating a credentials provider");
		return NULL;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create a mutex for the credentials cache");
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "cannot create a condition variable");
		return NULL;
	}
	p->now = clock_real;
	return p;
}

aws_creds_provider *aws_creds_provider_default(aws_http *http, const char *profile_name,
					       const char *region, aws_error *err)
{
	const char *name = profile_name && *profile_name ? profile_name : NULL;
	int explicit_ = name != NULL;
	if (!name) {
		name = aws_env_nonempty("AWS_PROFILE");
		explicit_ = name != NULL;
	}
	if (!name)
		name = "default";
	if (strlen(name) >= sizeof ((aws_creds_provider *)0)->profile) {
		aws_error_set(err, AWS_ERR_INVALID, "profile name is %zu bytes, too long",
			      strlen(name));
		return NULL;
	}
	if (region && strlen(region) >= sizeof ((aws_creds_provider *)0)->region) {
		aws_error_set(err, AWS_ERR_INVALID, "region \"%.32s...\" is too long", region);
		return NULL;
	}
	aws_creds_provider *p = provider_new(err);
	if (!p)
		return NULL;
	p->http = http;
	snprintf(p->profile, sizeof p->profile, "%s", name);
	p->profile_explicit = explicit_;
	p->skip_env = profile_name && *profile_name;
	snprintf(p->region, sizeof p->region, "%s", region ? region : "");
	return p;
}

aws_creds_provider *aws_creds_provider_static(const aws_credentials *c, aws_error *err)
{
	if (!c || !c->access_key_id[0] || !c->secret_access_key[0]) {
		aws_error_set(err, AWS_ERR_INVALID,
			      "static credentials need an access key id and a secret access key");
		return NULL;
	}
	aws_creds_provider *p = provider_new(err);
	if (!p)
		return NULL;
	p->is_static = 1;
	p->cached = *c;
	/* Make sure the strings are terminated whatever the caller handed in. */
	p->cached.access_key_id[sizeof p->cached.access_key_id - 1] = 0;
	p->cached.secret_access_key[sizeof p->cached.secret_access_key - 1] = 0;
	p->cached.session_token[sizeof p->cached.session_token - 1] = 0;
	p->cached.source[sizeof p->cached.source - 1] = 0;
	if (!p->cached.source[0])
		snprintf(p->cached.source, sizeof p->cached.source, "static");
	p->have = 1;
	return p;
}

void aws_creds_provider_free(aws_creds_provider *p)
{
	if (!p)
		return;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	explicit_bzero(p, sizeof *p);
	free(p);
}

void aws_creds_set_clock(aws_creds_provider *p, time_t (*now)(void))
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->now = now ? now : clock_real;
	pthread_mutex_unlock(&p->mu);
}

static int usable(const aws_credentials *c, time_t now)
{
	return c->expiration == 0 || c->expiration - now > AWS_CREDS_EXPIRY_MARGIN_S;
}

static int fresh(const aws_credentials *c, time_t now)
{
	return c->expiration == 0 || c->expiration - now > AWS_CREDS_REFRESH_AHEAD_S;
}

int aws_creds_peek(aws_creds_provider *p, aws_credentials *out)
{
	if (!p || !out)
		return -1;
	if (p->is_static) {
		*out = p->cached;
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	time_t now = p->now();
	/* aws_creds_get's two answers from the cache, without its fetch. */
	int hit = p->have && (fresh(&p->cached, now) ||
			      (usable(&p->cached, now) && (p->refreshing || now < p->next_attempt)));
	if (hit)
		*out = p->cached;
	pthread_mutex_unlock(&p->mu);
	return hit ? 0 : -1;
}

int aws_creds_get(aws_creds_provider *p, aws_credentials *out, aws_error *err)
{
	if (!p || !out)
		return aws_error_set(err, AWS_ERR_INVALID, "aws_creds_get: no provider or output");
	if (p->is_static) {            /* immutable after creation: no lock needed */
		*out = p->cached;
		return 0;
	}
	pthread_mutex_lock(&p->mu);
	unsigned long waited_gen = 0;
	int waited = 0;
	time_t now;
	for (;;) {
		now = p->now();
		if (p->have && fresh(&p->cached, now))
			goto hit;
		int ok = p->have && usable(&p->cached, now);
		/* Refresh window: hand out the cached copy while another caller refreshes, or
		 * while a failed refresh waits for its retry time. */
		if (ok && (p->refreshing || now < p->next_attempt))
			goto hit;
		if (!p->refreshing) {
			/* A fetch finished while we waited and still left nothing usable: share
			 * its failure rather than trying again at once. */
			if (waited && p->gen != waited_gen && !ok) {
				aws_error e = p->last_err;
				pthread_mutex_unlock(&p->mu);
				if (err)
					*err = e;
				return -1;
			}
			break;
		}
		if (!waited) {
			waited = 1;
			waited_gen = p->gen;
		}
		pthread_cond_wait(&p->cv, &p->mu);
	}

	/* This caller fetches; the lock is not held during I/O. */
	p->refreshing = 1;
	pthread_mutex_unlock(&p->mu);
	aws_credentials got;
	aws_error e;
	aws_error_clear(&e);
	int rc = chain_resolve(p, now, &got, &e);
	pthread_mutex_lock(&p->mu);
	time_t after = p->now();
	p->refreshing = 0;
	p->gen++;
	if (rc == 0) {
		p->cached = got;
		p->have = 1;
		p->next_attempt = after + AWS_CREDS_MIN_REFRESH_S;
		explicit_bzero(&got, sizeof got);
	} else {
		p->last_err = e;
		p->next_attempt = after + AWS_CREDS_RETRY_S;
	}
	pthread_cond_broadcast(&p->cv);
	if (rc == 0 || (p->have && usable(&p->cached, after)))
		goto hit;     /* a failed refresh keeps the old credentials while they last */
	pthread_mutex_unlock(&p->mu);
	if (err)
		*err = e;
	return -1;
hit:
	*out = p->cached;
	pthread_mutex_unlock(&p->mu);
	return 0;
}

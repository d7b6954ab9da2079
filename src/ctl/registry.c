/* registry.c — distribution API v2 push client: auth challenges, blob uploads, manifests.
 *
 * Every request goes through reg_send, which adds the current Authorization and answers a
 * 401 challenge once (Basic or Bearer token) before giving the response back. Idempotent
 * requests (HEAD, GET, manifest PUT) are retried on transport errors, 429 and 5xx by
 * reg_call; blob uploads have their own loop (see registry.h) because a retry there means
 * re-HEAD, resume or a new upload session rather than the same request again.
 */
#include "registry.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws_crypto.h"
#include "aws_time.h"

#define REG_URL_MAX 4096
#define REG_AUTH_MAX 8192
#define REG_DEFAULT_CHUNK ((size_t)5 << 20)

struct registry {
	aws_http *http;
	char base[512];
	char host[256];
	char repo[256];
	char *user, *pass;
	char hint[256];
	char auth[REG_AUTH_MAX];     /* current Authorization value, "" = none yet */
	size_t chunk;
	int max_attempts;
	long base_ms, timeout_ms;
	registry_stats st;
};

/* Waits before retry number `attempt` (1 = the first): a time drawn uniformly up to
 * base × 2^(attempt−1), at most 4 s ("full jitter", as the AWS SDKs retry), so pushes that
 * failed together do not come back together. */
static void reg_backoff(registry *r, int attempt)
{
	long ms = aws_backoff_ms(attempt > 1 ? attempt - 1 : 0, r->base_ms, 4000);
	aws_sleep_ms(ms);
	r->st.retries++;
	r->st.backoff_ms += (uint64_t)ms;
}

registry *registry_new(aws_http *http, const registry_opts *o, aws_error *err)
{
	if (!http || !o || !o->base_url || !o->repository || !*o->repository) {
		aws_error_set(err, AWS_ERR_INVALID, "registry: a base URL and a repository are needed");
		return NULL;
	}
	if (strncmp(o->base_url, "http://", 7) != 0 && strncmp(o->base_url, "https://", 8) != 0) {
		aws_error_set(err, AWS_ERR_INVALID, "registry URL \"%s\" must start with https:// "
			      "(or http:// with --insecure-http)", o->base_url);
		return NULL;
	}
	for (const char *p = o->repository; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-/", *p))) {
			aws_error_set(err, AWS_ERR_INVALID, "repository name \"%s\": only lower-case "
				      "letters, digits and . _ - / are allowed", o->repository);
			return NULL;
		}
	}
	registry *r = calloc(1, sizeof *r);
	if (!r) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	r->http = http;
	snprintf(r->base, sizeof r->base, "%s", o->base_url);
	size_t bl = strlen(r->base);
	while (bl && r->base[bl - 1] == '/')
		r->base[--bl] = '\0';
	const char *h = strstr(r->base, "://") + 3;
	snprintf(r->host, sizeof r->host, "%.*s", (int)strcspn(h, "/"), h);
	snprintf(r->repo, sizeof r->repo, "%s", o->repository);
	snprintf(r->hint, sizeof r->hint, "%s",
		 o->login_hint ? o->login_hint : "pass --username U --password-stdin");
	if ((o->username && !(r->user = strdup(o->username))) ||
	    (o->password && !(r->pass = strdup(o->password)))) {
		registry_free(r);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	r->chunk = o->chunk_size ? o->chunk_size : REG_DEFAULT_CHUNK;
	r->max_attempts = o->max_attempts > 0 ? o->max_attempts : 4;
	r->base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 250;
	r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 300000;
	return r;
}

void registry_free(registry *r)
{
	if (!r)
		return;
	if (r->pass) {
		explicit_bzero(r->pass, strlen(r->pass));
		free(r->pass);
	}
	free(r->user);
	explicit_bzero(r->auth, sizeof r->auth);
	free(r);
}

const registry_stats *registry_get_stats(const registry *r)
{
	return &r->st;
}

/* ---- challenges and tokens ---------------------------------------------------------------- */

int registry_parse_challenge(const char *header, registry_challenge *out)
{
	const char *h = header;     /* the reading position */
	registry_challenge *c = out;
	memset(c, 0, sizeof *c);
	if (!h)
		return -1;
	while (*h == ' ')
		h++;
	size_t sn = strcspn(h, " ");
	if (sn == 0 || sn >= sizeof c->scheme)
		return -1;
	memcpy(c->scheme, h, sn);
	h += sn;
	/* key="value" pairs separated by commas; values may contain commas inside quotes. */
	while (*h) {
		while (*h == ' ' || *h == ',')
			h++;
		size_t kn = strcspn(h, "=");
		if (!h[kn])
			break;
		char key[32];
		snprintf(key, sizeof key, "%.*s", (int)(kn < sizeof key ? kn : sizeof key - 1), h);
		h += kn + 1;
		char val[1024];
		size_t vn = 0;
		if (*h == '"') {
			h++;
			while (*h && *h != '"') {
				if (*h == '\\' && h[1])
					h++;
				if (vn < sizeof val - 1)
					val[vn++] = *h;
				h++;
			}
			if (*h == '"')
				h++;
		} else {
			while (*h && *h != ',' && vn < sizeof val - 1)
				val[vn++] = *h++;
		}
		val[vn] = '\0';
		if (strcasecmp(key, "realm") == 0)
			snprintf(c->realm, sizeof c->realm, "%.*s", (int)sizeof c->realm - 1, val);
		else if (strcasecmp(key, "service") == 0)
			snprintf(c->service, sizeof c->service, "%.*s", (int)sizeof c->service - 1, val);
		else if (strcasecmp(key, "scope") == 0)
			snprintf(c->scope, sizeof c->scope, "%.*s", (int)sizeof c->scope - 1, val);
	}
	return 0;
}

static void url_enc(char *out, size_t len, const char *s)
{
	size_t o = 0;
	static const char hexd[] = "0123456789ABCDEF";
	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hexd[ch >> 4];
			out[o++] = hexd[ch & 15];
		}
	}
	out[o] = '\0';
}

static int basic_header(const registry *r, char *out, size_t len)
{
	char up[1024], b64[1400];
	int n = snprintf(up, sizeof up, "%s:%s", r->user, r->pass ? r->pass : "");
	if (n < 0 || (size_t)n >= sizeof up)
		return -1;
	size_t bn = aws_base64_encode(up, (size_t)n, b64, sizeof b64);
	explicit_bzero(up, sizeof up);
	if (bn == 0)
		return -1;
	int w = snprintf(out, len, "Basic %s", b64);
	explicit_bzero(b64, sizeof b64);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

static int login_error(registry *r, aws_error *err, int status)
{
	if (!r->user)
		aws_error_set(err, AWS_ERR_CREDENTIALS, "registry %s asks for a login to push to "
			      "repository %s: %s", r->host, r->repo, r->hint);
	else
		aws_error_set(err, AWS_ERR_CREDENTIALS, "registry %s refused the login of user \"%s\" "
			      "(HTTP %d): check the password or token — %s", r->host, r->user, status,
			      r->hint);
	err->http_status = status;
	return -1;
}

/* Answers a 401 challenge: sets r->auth for the next attempt. */
static int reg_authenticate(registry *r, const aws_http_response *resp, aws_error *err)
{
	char hdr[2048];
	registry_challenge c;
	if (!aws_http_header(resp, "WWW-Authenticate", hdr, sizeof hdr) ||
	    registry_parse_challenge(hdr, &c) != 0)
		return login_error(r, err, 401);
	if (strcasecmp(c.scheme, "Basic") == 0) {
		if (!r->user || strncmp(r->auth, "Basic ", 6) == 0)
			return login_error(r, err, 401);
		if (basic_header(r, r->auth, sizeof r->auth) != 0)
			return aws_error_set(err, AWS_ERR_INVALID, "registry username/password too long");
		return 0;
	}
	if (strcasecmp(c.scheme, "Bearer") != 0 || !c.realm[0])
		return aws_error_set(err, AWS_ERR_PROTOCOL, "registry %s: unsupported auth challenge "
				     "\"%.100s\"", r->host, hdr);
	if (strncmp(r->auth, "Bearer ", 7) == 0 && !c.scope[0])
		return login_error(r, err, 401); /* a fresh token was refused: no use asking again */
	char url[REG_URL_MAX], svc[512], scope[1024], defscope[300];
	snprintf(defscope, sizeof defscope, "repository:%s:pull,push", r->repo);
	url_enc(svc, sizeof svc, c.service);
	url_enc(scope, sizeof scope, c.scope[0] ? c.scope : defscope);
	snprintf(url, sizeof url, "%s%sservice=%s&scope=%s", c.realm, strchr(c.realm, '?') ? "&" : "?",
		 svc, scope);
	char basic[2048];
	aws_header h[1] = {{"Authorization", basic}};
	size_t nh = 0;
	if (r->user) {
		if (basic_header(r, basic, sizeof basic) != 0)
			return aws_error_set(err, AWS_ERR_INVALID, "registry username/password too long");
		nh = 1;
	}
	aws_http_request rq = {.method = "GET", .url = url, .headers = h, .nheaders = nh,
			       .timeout_ms = 30000};
	aws_http_response tr = {0};
	r->st.requests++;
	int rc = aws_http_do(r->http, &rq, &tr, err);
	explicit_bzero(basic, sizeof basic);
	if (rc != 0)
		return aws_error_prefix(err, "registry token service");
	if (tr.status == 401 || tr.status == 403) {
		aws_http_response_free(&tr);
		return login_error(r, err, (int)tr.status);
	}
	json_t *j = tr.status == 200 ? json_loadb(tr.body.data, tr.body.len, 0, NULL) : NULL;
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	int ok = tok && (size_t)snprintf(r->auth, sizeof r->auth, "Bearer %s", tok) < sizeof r->auth;
	json_decref(j);
	long st = tr.status;
	aws_http_response_free(&tr);
	if (!ok)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "registry token service %s answered HTTP "
				     "%ld without a token", c.realm, st);
	return 0;
}

/* ---- requests -------------------------------------------------------------------------------- */

/* BASE/v2/REPO/KIND/ARG, KIND being "blobs", "manifests" or "blobs/uploads". */
static void reg_url(const registry *r, char *out, size_t len, const char *kind, const char *arg)
{
	snprintf(out, len, "%s/v2/%s/%s/%s", r->base, r->repo, kind, arg);
}

/* One request (plus one re-try after answering a 401 challenge). 0 when a response came. */
static int reg_send(registry *r, const char *method, const char *url, const aws_header *hdrs,
		    size_t nh, const void *body, size_t len, aws_http_response *resp, aws_error *err)
{
	for (int round = 0; round < 2; round++) {
		aws_header h[8];
		size_t n = 0;
		for (size_t i = 0; i < nh && n < 7; i++)
			h[n++] = hdrs[i];
		if (r->auth[0])
			h[n++] = (aws_header){"Authorization", r->auth};
		aws_http_request rq = {.method = method, .url = url, .headers = h, .nheaders = n,
				       .body = body, .body_len = len, .timeout_ms = r->timeout_ms};
		r->st.requests++;
		if (aws_http_do(r->http, &rq, resp, err) != 0)
			return -1;
		if (resp->status != 401 || round == 1)
			return 0;
		int arc = reg_authenticate(r, resp, err);
		if (arc != 0) {
			aws_http_response_free(resp);
			return -1;
		}
		aws_http_response_free(resp);
	}
	return 0;
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || s >= 500;
}

/* The registry's error body {"errors":[{"code","message"}]} as "CODE: message". */
static void reg_error_text(const aws_http_response *resp, char *code, size_t clen, char *out,
			   size_t len)
{
	code[0] = out[0] = '\0';
	json_t *j = resp->body.len ? json_loadb(resp->body.data, resp->body.len, 0, NULL) : NULL;
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *c = json_string_value(json_object_get(e0, "code"));
	const char *m = json_string_value(json_object_get(e0, "message"));
	if (c)
		snprintf(code, clen, "%s", c);
	if (c || m)
		snprintf(out, len, "%s%s%s", c ? c : "", c && m ? ": " : "", m ? m : "");
	json_decref(j);
}

/* Turns a non-success status into an error that says what to do. */
static int status_error(registry *r, const char *what, const aws_http_response *resp,
			aws_error *err)
{
	char code[64], text[512];
	reg_error_text(resp, code, sizeof code, text, sizeof text);
	int s = (int)resp->status;
	if (s == 401)
		return login_error(r, err, s);
	if (s == 403)
		aws_error_set(err, AWS_ERR_CREDENTIALS,
			      "registry %s denies %s on repository %s%s%s: the login needs push "
			      "permission on it (on ECR: ecr:BatchCheckLayerAvailability, "
			      "ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, "
			      "ecr:PutImage)%s%s", r->host, what, r->repo, r->user ? " to user " : "",
			      r->user ? r->user : "", text[0] ? "; the registry said: " : "", text);
	else if (s == 404 && strcmp(code, "NAME_UNKNOWN") == 0)
		aws_error_set(err, AWS_ERR_SERVICE, "repository %s does not exist on %s (%s) — create "
			      "it first (for ECR, `showtablectl image push` does)", r->repo, r->host, text);
	else
		aws_error_set(err, AWS_ERR_SERVICE, "registry %s: %s answered HTTP %d%s%s", r->host,
			      what, s, text[0] ? ": " : "", text);
	if (err) {
		err->http_status = s;
		snprintf(err->type, sizeof err->type, "%s", code);
	}
	return -1;
}

/* An idempotent request with retries on transport failures, 408/429/5xx. */
static int reg_call(registry *r, const char *method, const char *url, const aws_header *h,
		    size_t nh, const void *body, size_t len, aws_http_response *resp, aws_error *err)
{
	for (int attempt = 1;; attempt++) {
		int rc = reg_send(r, method, url, h, nh, body, len, resp, err);
		int again = rc != 0 ? err && (err->kind == AWS_ERR_TRANSPORT || err->kind == AWS_ERR_TIMEOUT)
				    : retryable_status(resp->status);
		if (!again || attempt >= r->max_attempts) {
			if (rc == 0 && again)
				return 0; /* the caller reports the status */
			return rc;
		}
		if (rc == 0)
			aws_http_response_free(resp);
		reg_backoff(r, attempt);
	}
}

int registry_ping(registry *r, aws_error *err)
{
	char url[REG_URL_MAX];
	snprintf(url, sizeof url, "%s/v2/", r->base);
	aws_http_response resp = {0};
	if (reg_call(r, "GET", url, NULL, 0, NULL, 0, &resp, err) != 0) {
		if (err && (err->kind == AWS_ERR_TRANSPORT || err->kind == AWS_ERR_TIMEOUT))
			aws_error_prefix(err, "registry %s (is it running, and is the URL right?)",
					 r->base);
		return -1;
	}
	int rc = 0;
	if (resp.status != 200)
		rc = status_error(r, "GET /v2/", &resp, err);
	aws_http_response_free(&resp);
	return rc;
}

static int reg_head(registry *r, const char *url, int *exists, char *digest, size_t dlen,
		    uint64_t *size, aws_error *err)
{
	static const aws_header accept[] = {
		{"Accept", IMAGE_OCI_MEDIA_INDEX ", " IMAGE_OCI_MEDIA_MANIFEST
			   ", application/vnd.docker.distribution.manifest.v2+json"},
	};
	aws_http_response resp = {0};
	if (reg_call(r, "HEAD", url, accept, 1, NULL, 0, &resp, err) != 0)
		return -1;
	int rc = 0;
	*exists = 0;
	if (resp.status == 200) {
		*exists = 1;
		if (digest && !aws_http_header(&resp, "Docker-Content-Digest", digest, dlen))
			digest[0] = '\0';
		char cl[32];
		if (size)
			*size = aws_http_header(&resp, "Content-Length", cl, sizeof cl)
					? strtoull(cl, NULL, 10) : UINT64_MAX;
	} else if (resp.status == 302 || resp.status == 303 || resp.status == 307) {
		/* Some registries redirect blob reads to their storage: the blob exists, its
		 * size is not known here. */
		*exists = 1;
		if (digest)
			digest[0] = '\0';
		if (size)
			*size = UINT64_MAX;
	} else if (resp.status != 404) {
		rc = status_error(r, "HEAD", &resp, err);
	}
	aws_http_response_free(&resp);
	return rc;
}

/* Location of an upload session: absolute, or a path on the registry. */
static int location_of(registry *r, const aws_http_response *resp, char *out, size_t len,
		       aws_error *err)
{
	char loc[REG_URL_MAX];
	if (!aws_http_header(resp, "Location", loc, sizeof loc) || !loc[0])
		return aws_error_set(err, AWS_ERR_PROTOCOL, "registry %s: upload answer without a "
				     "Location header", r->host);
	int n = strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0
			? snprintf(out, len, "%s", loc)
			: snprintf(out, len, "%s%s%s", r->base, loc[0] == '/' ? "" : "/", loc);
	if (n < 0 || (size_t)n >= len)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "registry %s: upload Location too long",
				     r->host);
	return 0;
}

static void with_digest(char *out, size_t len, const char *loc, const char *digest)
{
	char d[128];
	url_enc(d, sizeof d, digest);
	snprintf(out, len, "%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', d);
}

/* Fatal statuses end the whole push: retrying cannot fix a login or a missing repository. */
static int fatal_status(long s)
{
	return s == 401 || s == 403 || s == 404 || s == 405;
}

/* One upload session. Returns 0 done, -1 with *fatal set when retrying is pointless. */
static int upload_once(registry *r, const char *digest, const uint8_t *data, size_t len,
		       int *fatal, aws_error *err)
{
	static const aws_header octet = {"Content-Type", "application/octet-stream"};
	char url[REG_URL_MAX], loc[REG_URL_MAX];
	aws_http_response resp = {0};
	reg_url(r, url, sizeof url, "blobs/uploads", "");
	if (reg_send(r, "POST", url, &octet, 1, NULL, 0, &resp, err) != 0)
		return -1;
	if (resp.status != 202) {
		*fatal = fatal_status(resp.status);
		status_error(r, "starting an upload (POST)", &resp, err);
		aws_http_response_free(&resp);
		return -1;
	}
	int rc = location_of(r, &resp, loc, sizeof loc, err);
	aws_http_response_free(&resp);
	if (rc != 0)
		return -1;
	size_t off = 0;
	if (len > r->chunk) {
		int resumes = 0;
		while (off < len) {
			size_t n = len - off < r->chunk ? len - off : r->chunk;
			char range[64], clen[32];
			snprintf(range, sizeof range, "%zu-%zu", off, off + n - 1);
			snprintf(clen, sizeof clen, "%zu", n);
			aws_header h[2] = {octet, {"Content-Range", range}};
			int ok = reg_send(r, "PATCH", loc, h, 2, data + off, n, &resp, err) == 0 &&
				 resp.status == 202 && location_of(r, &resp, loc, sizeof loc, err) == 0;
			if (!ok && resp.status && fatal_status(resp.status) && resp.status != 404) {
				*fatal = 1;
				status_error(r, "uploading a chunk (PATCH)", &resp, err);
				aws_http_response_free(&resp);
				return -1;
			}
			if (ok) {
				aws_http_response_free(&resp);
				off += n;
				continue;
			}
			if (resp.status && resp.status != 202)
				status_error(r, "uploading a chunk (PATCH)", &resp, err);
			aws_http_response_free(&resp);
			/* Resume: ask the session how much it has (GET → 204, Range: 0-N). */
			if (++resumes >= r->max_attempts)
				return -1;
			reg_backoff(r, resumes);
			aws_error serr;
			if (reg_send(r, "GET", loc, NULL, 0, NULL, 0, &resp, &serr) != 0)
				return -1;
			char rg[64];
			unsigned long long last;
			/* "0-N" = N+1 bytes held. "0-0" is ambiguous (registries send it for an empty
			 * session too), so it and anything else unclear start a new session. */
			if (resp.status == 204 && aws_http_header(&resp, "Range", rg, sizeof rg) &&
			    sscanf(rg, "0-%llu", &last) == 1 && last > 0 && last < len) {
				off = (size_t)last + 1;
				location_of(r, &resp, loc, sizeof loc, &serr);
			} else {
				aws_http_response_free(&resp);
				return -1; /* the session is gone: start a new one */
			}
			aws_http_response_free(&resp);
		}
	}
	char put[REG_URL_MAX + 160];
	with_digest(put, sizeof put, loc, digest);
	const void *body = len > r->chunk ? NULL : data;
	size_t blen = len > r->chunk ? 0 : len;
	if (reg_send(r, "PUT", put, &octet, 1, body, blen, &resp, err) != 0)
		return -1;
	if (resp.status != 201) {
		*fatal = fatal_status(resp.status) && resp.status != 404;
		status_error(r, "completing an upload (PUT)", &resp, err);
		aws_http_response_free(&resp);
		return -1;
	}
	aws_http_response_free(&resp);
	return 0;
}

int registry_blob_push(registry *r, const char *digest, const void *data, size_t len,
		       aws_error *err)
{
	char url[REG_URL_MAX];
	reg_url(r, url, sizeof url, "blobs", digest);
	aws_error last;
	aws_error_clear(&last);
	for (int attempt = 1; attempt <= r->max_attempts; attempt++) {
		if (attempt > 1)
			reg_backoff(r, attempt - 1);
		int exists = 0;
		uint64_t have = 0;
		if (reg_head(r, url, &exists, NULL, 0, &have, &last) != 0) {
			if (last.kind == AWS_ERR_CREDENTIALS)
				break;
			continue;
		}
		if (exists && (have == len || have == UINT64_MAX)) {
			if (attempt == 1)
				r->st.blobs_skipped++;
			else
				r->st.blobs_uploaded++; /* an interrupted attempt had completed */
			return 0;
		}
		int fatal = 0;
		if (upload_once(r, digest, data, len, &fatal, &last) != 0) {
			if (fatal)
				break;
			continue;
		}
		/* Check what the registry now holds before anything can refer to it. */
		if (reg_head(r, url, &exists, NULL, 0, &have, &last) == 0 && exists &&
		    (have == len || have == UINT64_MAX)) {
			r->st.blobs_uploaded++;
			r->st.bytes_uploaded += len;
			return 0;
		}
		if (last.kind == AWS_OK)
			aws_error_set(&last, AWS_ERR_PROTOCOL, "registry %s accepted blob %s but does "
				      "not serve it with its %zu bytes", r->host, digest, len);
	}
	if (err)
		*err = last;
	return aws_error_prefix(err, "blob %.19s… (%zu bytes) not uploaded after %d attempts",
				digest, len, r->max_attempts);
}

/* PUT of a manifest; *subject_ok (may be NULL) = 1 when the registry answered with
 * OCI-Subject, i.e. it keeps the referrers of the manifest's subject itself. */
static int manifest_put(registry *r, const char *reference, const char *media_type,
			const void *data, size_t len, const char *expect_digest, int *subject_ok,
			aws_error *err)
{
	char url[REG_URL_MAX];
	reg_url(r, url, sizeof url, "manifests", reference);
	aws_header h[1] = {{"Content-Type", media_type}};
	aws_http_response resp = {0};
	if (reg_call(r, "PUT", url, h, 1, data, len, &resp, err) != 0)
		return aws_error_prefix(err, "manifest %s", reference);
	int rc = 0;
	char got[128];
	if (resp.status != 201 && resp.status != 200)
		rc = status_error(r, "PUT manifest", &resp, err);
	else if (expect_digest && aws_http_header(&resp, "Docker-Content-Digest", got, sizeof got) &&
		 strcmp(got, expect_digest) != 0)
		rc = aws_error_set(err, AWS_ERR_PROTOCOL, "registry %s stored the manifest as %s, "
				   "expected %s", r->host, got, expect_digest);
	if (subject_ok)
		*subject_ok = aws_http_header(&resp, "OCI-Subject", got, sizeof got) != 0;
	aws_http_response_free(&resp);
	return rc;
}

int registry_manifest_put(registry *r, const char *reference, const char *media_type,
			  const void *data, size_t len, const char *expect_digest, aws_error *err)
{
	return manifest_put(r, reference, media_type, data, len, expect_digest, NULL, err);
}

/* The referrers tag scheme of the distribution spec 1.1, for registries without the
 * referrers API: the tag "sha256-<subject hex>" holds an image index listing the subject's
 * referrers; c is added to it unless it is there already. */
static int referrers_tag_add(registry *r, const image_layout_manifest *c, aws_error *err)
{
	char tag[80], url[REG_URL_MAX];
	snprintf(tag, sizeof tag, "sha256-%s", c->subject + 7);
	reg_url(r, url, sizeof url, "manifests", tag);
	static const aws_header accept[] = {{"Accept", IMAGE_OCI_MEDIA_INDEX}};
	aws_http_response resp = {0};
	if (reg_call(r, "GET", url, accept, 1, NULL, 0, &resp, err) != 0)
		return aws_error_prefix(err, "referrers of %s", c->subject);
	json_t *idx = NULL;
	int rc = -1;
	if (resp.status == 200) {
		json_error_t je;
		idx = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &je);
		if (!json_is_array(json_object_get(idx, "manifests"))) {
			aws_error_set(err, AWS_ERR_PROTOCOL, "tag %s on %s/%s is not a referrers index "
				      "— it is kept for the referrers of %s; remove it", tag, r->host,
				      r->repo, c->subject);
			goto done;
		}
	} else if (resp.status == 404) {
		idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
				IMAGE_OCI_MEDIA_INDEX, "manifests");
	} else {
		status_error(r, "GET referrers tag", &resp, err);
		goto done;
	}
	json_t *list = json_object_get(idx, "manifests");
	for (size_t i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(list, i), "digest"))
				   ?: "", c->digest) == 0) {
			rc = 0; /* already listed */
			goto done;
		}
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", c->media_type, "digest", c->digest,
			      "size", (json_int_t)c->len);
	if (d && c->artifact_type[0])
		json_object_set_new(d, "artifactType", json_string(c->artifact_type));
	char *body = d && json_array_append_new(list, d) == 0
			     ? json_dumps(idx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!body) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = manifest_put(r, tag, IMAGE_OCI_MEDIA_INDEX, body, strlen(body), NULL, NULL, err);
	free(body);
done:
	json_decref(idx);
	aws_http_response_free(&resp);
	return rc;
}

static void human(uint64_t n, char *out, size_t len)
{
	if (n >= 1000000)
		snprintf(out, len, "%.1f MB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(out, len, "%.1f kB", (double)n / 1e3);
	else
		snprintf(out, len, "%llu B", (unsigned long long)n);
}

int registry_push_layout(registry *r, const image_layout *lay, const char *tag,
			 void (*progress)(void *ud, const char *line), void *ud, aws_error *err)
{
	char deftag[80];
	if (!tag) {
		snprintf(deftag, sizeof deftag, "sha256-%s", lay->manifest_digest + 7);
		tag = deftag;
	}
	if (registry_ping(r, err) != 0)
		return -1;
	/* Already there under this tag with this digest: nothing to do (immutable tags on ECR
	 * would refuse the same tag again anyway). */
	char url[REG_URL_MAX], have[128] = "";
	int exists = 0;
	reg_url(r, url, sizeof url, "manifests", tag);
	if (reg_head(r, url, &exists, have, sizeof have, NULL, err) != 0)
		return -1;
	if (exists && strcmp(have, lay->manifest_digest) == 0) {
		r->st.manifest_skipped = 1;
		r->st.blobs_skipped += lay->nblobs;
		if (progress)
			progress(ud, "manifest already in the registry under this tag: nothing to push");
		return 0;
	}
	if (exists)
		return aws_error_set(err, AWS_ERR_INVALID, "tag %s on %s/%s already names %s, not %s",
				     tag, r->host, r->repo, have[0] ? have : "another manifest",
				     lay->manifest_digest);
	aws_buf blob = AWS_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < lay->nblobs; i++) {
		const char *d = lay->blobs[i];
		size_t before = r->st.blobs_skipped;
		if (image_layout_read_blob(lay, d, &blob, err) != 0 ||
		    registry_blob_push(r, d, blob.data, blob.len, err) != 0) {
			rc = -1;
			break;
		}
		if (progress) {
			char line[200], sz[32];
			human(blob.len, sz, sizeof sz);
			snprintf(line, sizeof line, "%s %-9s %s", d, sz,
				 r->st.blobs_skipped > before ? "exists, skipped" : "uploaded");
			progress(ud, line);
		}
	}
	aws_buf_free(&blob);
	/* The index's manifests before the index, each under its digest; an SBOM's subject
	 * learns of it from the registry (OCI-Subject) or through the referrers tag. */
	for (size_t i = 0; rc == 0 && i < lay->nchildren; i++) {
		const image_layout_manifest *c = &lay->children[i];
		int subject_ok = 0;
		rc = manifest_put(r, c->digest, c->media_type, c->data, c->len, c->digest,
				  &subject_ok, err);
		if (rc == 0 && c->subject[0] && !subject_ok)
			rc = referrers_tag_add(r, c, err);
		if (rc == 0 && progress) {
			char line[200];
			snprintf(line, sizeof line, "%s %s%s", c->digest,
				 c->arch[0] ? "manifest linux/" : c->artifact_type[0] ? "SBOM of " : "manifest",
				 c->arch[0] ? c->arch : c->subject[0] ? c->subject : "");
			progress(ud, line);
		}
	}
	if (rc == 0)
		rc = registry_manifest_put(r, tag, lay->media_type, lay->manifest, lay->manifest_len,
					   lay->manifest_digest, err);
	return rc;
}

/* aws_sigv4.c — Signature Version 4 signing (see aws_sigv4.h for the contract).
 *
 * Builds the canonical request, the string to sign and the signature exactly as the AWS
 * documentation and botocore do, so the result is byte-identical to the SDKs': the path is
 * dot-segment-normalised (unless S3-style) and URI-encoded once more; query pairs are
 * percent-decoded and re-encoded, then sorted by key and value; header values are trimmed
 * and inner whitespace folded; repeated headers join with ",". Working memory is one
 * allocation per call: signing happens once per AWS call, not per byte.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "aws_crypto.h"
#include "aws_sigv4.h"

void aws_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int aws_uri_encode(aws_buf *out, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	if (aws_buf_reserve(out, n * 3) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			out->data[out->len++] = (char)c;
		} else {
			out->data[out->len++] = '%';
			out->data[out->len++] = hex[c >> 4];
			out->data[out->len++] = hex[c & 15];
		}
	}
	out->data[out->len] = '\0';
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) then URI-encodes the bytes (keep_slash off): the canonical form
 * of one query key or value. A '%' not followed by two hex digits is taken literally. */
static int canon_component(aws_buf *out, const char *s, size_t n)
{
	char stackbuf[256] = "";
	char *tmp = n <= sizeof stackbuf ? stackbuf : malloc(n);
	if (!tmp)
		return -1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		int h1, h2;
		if (s[i] == '%' && i + 2 < n && (h1 = hexval(s[i + 1])) >= 0 &&
		    (h2 = hexval(s[i + 2])) >= 0) {
			tmp[m++] = (char)(h1 << 4 | h2);
			i += 2;
		} else {
			tmp[m++] = s[i];
		}
	}
	int r = aws_uri_encode(out, tmp, m, 0);
	if (tmp != stackbuf)
		free(tmp);
	return r;
}

/* RFC 3986 5.2.4 remove_dot_segments, plus collapsing empty segments as AWS does (the
 * same algorithm as botocore's normalize_url_path). Writes into out. */
static int normalize_path(aws_buf *out, const char *path)
{
	size_t n = strlen(path);
	if (n == 0)
		return aws_buf_putc(out, '/');
	/* segment stack as offsets into path */
	size_t cap = n / 2 + 2, depth = 0;
	size_t *seg_off = malloc(cap * 2 * sizeof *seg_off);
	if (!seg_off)
		return -1;
	size_t *seg_len = seg_off + cap;
	size_t i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || (len == 1 && path[i] == '.')) {
			/* skip */
		} else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (depth)
				depth--;
		} else {
			seg_off[depth] = i;
			seg_len[depth] = len;
			depth++;
		}
		i = j + 1;
	}
	int r = 0;
	if (path[0] == '/')
		r |= aws_buf_putc(out, '/');
	for (size_t k = 0; k < depth; k++) {
		if (k)
			r |= aws_buf_putc(out, '/');
		r |= aws_buf_append(out, path + seg_off[k], seg_len[k]);
	}
	if (path[n - 1] == '/' && depth)
		r |= aws_buf_putc(out, '/');
	if (out->len == 0)
		r |= aws_buf_putc(out, '/');
	free(seg_off);
	return r ? -1 : 0;
}

struct qpair {
	size_t k, klen, v, vlen; /* offsets into the pairs buffer */
	const char *base;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->base + x->k, y->base + y->k, n);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	c = memcmp(x->base + x->v, y->base + y->v, n);
	if (c)
		return c;
	return x->vlen < y->vlen ? -1 : x->vlen > y->vlen;
}

/* Canonical query string of `query` (raw, may be NULL) plus `extra` pairs (already
 * canonical "k=v" strings, NULL-terminated array) → out. */
static int canonical_query(aws_buf *out, const char *query, const char *const *extra)
{
	aws_buf enc = AWS_BUF_INIT;
	size_t npairs = 0;
	struct qpair *pairs = NULL;
	int r = -1;
	const char *q = query ? query : "";
	/* Every '&'-separated segment is a pair, empty ones too ("a=1&" has two), as the
	 * SDKs sign them. */
	for (int more = *q != '\0'; more;) {
		const char *amp = strchr(q, '&');
		size_t seglen = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', seglen);
		size_t klen = eq ? (size_t)(eq - q) : seglen;
		struct qpair *p = aws_buf_array_push(&pairs, &npairs, sizeof *p);
		if (!p)
			goto out;
		p->k = enc.len;
		if (canon_component(&enc, q, klen) < 0)
			goto out;
		p->klen = enc.len - p->k;
		p->v = enc.len;
		if (eq && canon_component(&enc, eq + 1, seglen - klen - 1) < 0)
			goto out;
		p->vlen = enc.len - p->v;
		q += seglen;
		more = *q == '&';
		if (more)
			q++;
	}
	for (size_t e = 0; extra && extra[e]; e++) {
		const char *eq = strchr(extra[e], '=');
		struct qpair *p = aws_buf_array_push(&pairs, &npairs, sizeof *p);
		if (!p)
			goto out;
		p->k = enc.len;
		if (aws_buf_append(&enc, extra[e], (size_t)(eq - extra[e])) < 0)
			goto out;
		p->klen = enc.len - p->k;
		p->v = enc.len;
		if (aws_buf_puts(&enc, eq + 1) < 0)
			goto out;
		p->vlen = enc.len - p->v;
	}
	for (size_t i = 0; i < npairs; i++)
		pairs[i].base = enc.data;
	if (npairs)   /* an empty query has no array at all */
		qsort(pairs, npairs, sizeof *pairs, qpair_cmp);
	for (size_t i = 0; i < npairs; i++) {
		if ((i && aws_buf_putc(out, '&') < 0) ||
		    aws_buf_append(out, enc.data + pairs[i].k, pairs[i].klen) < 0 ||
		    aws_buf_putc(out, '=') < 0 ||
		    aws_buf_append(out, enc.data + pairs[i].v, pairs[i].vlen) < 0)
			goto out;
	}
	if (aws_buf_append(out, "", 0) < 0)
		goto out;
	r = 0;
out:
	free(pairs);
	aws_buf_free(&enc);
	return r;
}

struct hdr {
	const char *name;   /* lower-cased copy, in the arena */
	const char *value;  /* original */
	size_t order;
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Appends value trimmed, with each run of inner whitespace folded to one space. */
static int trimall(aws_buf *out, const char *v)
{
	while (is_ws(*v))
		v++;
	int pending = 0;
	for (; *v; v++) {
		if (is_ws(*v)) {
			pending = 1;
			continue;
		}
		if (pending && aws_buf_putc(out, ' ') < 0)
			return -1;
		pending = 0;
		if (aws_buf_putc(out, *v) < 0)
			return -1;
	}
	return 0;
}

static void signing_key(const aws_sigv4_params *p, const char *date8, uint8_t key[32])
{
	char k0[4 + 128 + 1];
	size_t sl = strlen(p->secret_access_key);
	if (sl > 128)
		sl = 128;
	memcpy(k0, "AWS4", 4);
	memcpy(k0 + 4, p->secret_access_key, sl);
	uint8_t a[32], b[32];
	aws_hmac_sha256(k0, 4 + sl, date8, 8, a);
	aws_hmac_sha256(a, 32, p->region, strlen(p->region), b);
	aws_hmac_sha256(b, 32, p->service, strlen(p->service), a);
	aws_hmac_sha256(a, 32, "aws4_request", 12, key);
}

/* The headers to sign: the caller's and `add` (which replace the caller's of the same name),
 * without Authorization, names lower-cased into the arena *names, sorted by name then
 * order. Returns 0 with *out (malloc'd, *nout entries; the caller frees it and *names), or
 * -1 with err. */
static int signed_header_list(const aws_sigv4_request *req, const aws_header *add, size_t nadd,
			      struct hdr **out, size_t *nout, aws_buf *names, aws_error *err)
{
	size_t total = req->nheaders + nadd, nh = 0;
	struct hdr *h = calloc(total ? total : 1, sizeof *h);
	/* Names go into one arena that may move as it grows: offsets first, pointers after. */
	size_t *off = malloc((total ? total : 1) * sizeof *off);
	int have_host = 0;
	if (!h || !off)
		goto nomem;
	for (size_t i = 0; i < total; i++) {
		const aws_header *src = i < req->nheaders ? &req->headers[i] : &add[i - req->nheaders];
		if (!src->name || !src->value || !*src->name) {
			aws_error_set(err, AWS_ERR_INVALID, "cannot sign: header %zu has no name or value", i);
			goto fail;
		}
		if (strcasecmp(src->name, "authorization") == 0)
			continue;
		if (i < req->nheaders) { /* a header we add ourselves replaces the caller's */
			int dup = 0;
			for (size_t a = 0; a < nadd; a++)
				dup |= strcasecmp(src->name, add[a].name) == 0;
			if (dup)
				continue;
		}
		off[nh] = names->len;
		for (const char *c = src->name; *c; c++)
			if (aws_buf_putc(names, (char)tolower((unsigned char)*c)) < 0)
				goto nomem;
		if (aws_buf_putc(names, '\0') < 0)
			goto nomem;
		h[nh].value = src->value;
		h[nh].order = i;
		nh++;
	}
	for (size_t i = 0; i < nh; i++) {
		h[i].name = names->data + off[i];
		have_host |= strcmp(h[i].name, "host") == 0;
	}
	if (!have_host) {
		aws_error_set(err, AWS_ERR_INVALID, "cannot sign: the request has no Host header");
		goto fail;
	}
	qsort(h, nh, sizeof *h, hdr_cmp);
	free(off);
	*out = h;
	*nout = nh;
	return 0;
nomem:
	aws_error_set(err, AWS_ERR_NOMEM, "out of memory signing request");
fail:
	free(off);
	free(h);
	return -1;
}

/* The canonical request into out->canonical_request and the signed header names into
 * out->signed_headers, from the sorted headers h. Returns 0 or -1 (out of memory). */
static int canonical_request(const aws_sigv4_request *req, const aws_sigv4_params *p,
			     const char *const *extra_query, const struct hdr *h, size_t nh,
			     aws_sigv4_result *out)
{
	aws_buf *cr = &out->canonical_request;
	aws_buf_reset(cr);
	aws_buf_reset(&out->signed_headers);
	if (aws_buf_puts(cr, req->method) < 0 || aws_buf_putc(cr, '\n') < 0)
		return -1;
	const char *path = req->path && *req->path ? req->path : "/";
	if (p->normalize_path) {
		aws_buf np = AWS_BUF_INIT;
		int rc = normalize_path(&np, path) < 0 || aws_uri_encode(cr, np.data, np.len, 1) < 0;
		aws_buf_free(&np);
		if (rc)
			return -1;
	} else if (aws_uri_encode(cr, path, strlen(path), 1) < 0) {
		return -1;
	}
	if (aws_buf_putc(cr, '\n') < 0 || canonical_query(cr, req->query, extra_query) < 0 ||
	    aws_buf_putc(cr, '\n') < 0)
		return -1;
	for (size_t i = 0; i < nh; i++) {
		int same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (same) {
			if (aws_buf_putc(cr, ',') < 0)
				return -1;
		} else {
			if ((i && aws_buf_putc(cr, '\n') < 0) || aws_buf_puts(cr, h[i].name) < 0 ||
			    aws_buf_putc(cr, ':') < 0)
				return -1;
			if ((out->signed_headers.len && aws_buf_putc(&out->signed_headers, ';') < 0) ||
			    aws_buf_puts(&out->signed_headers, h[i].name) < 0)
				return -1;
		}
		if (trimall(cr, h[i].value) < 0)
			return -1;
	}
	if (aws_buf_puts(cr, "\n\n") < 0 || aws_buf_puts(cr, out->signed_headers.data) < 0 ||
	    aws_buf_putc(cr, '\n') < 0 || aws_buf_puts(cr, out->payload_hash) < 0)
		return -1;
	return 0;
}

/* The shared core: canonical request (with extra query pairs when presigning), string to
 * sign and signature. `add` lists extra headers to sign (name lower-case, value). */
static int sign_core(const aws_sigv4_request *req, const aws_sigv4_params *p,
		     const char *const *extra_query, const aws_header *add, size_t nadd,
		     aws_sigv4_result *out, aws_error *err)
{
	struct hdr *h;
	size_t nh;
	aws_buf names = AWS_BUF_INIT;
	if (signed_header_list(req, add, nadd, &h, &nh, &names, err) < 0) {
		aws_buf_free(&names);
		return -1;
	}
	int rc = canonical_request(req, p, extra_query, h, nh, out);
	free(h);
	aws_buf_free(&names);
	if (rc < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory signing request");

	char date8[9], crhash[65];
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';
	aws_sha256_hex(out->canonical_request.data, out->canonical_request.len, crhash);
	aws_buf_reset(&out->string_to_sign);
	if (aws_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
			   out->amz_date, date8, p->region, p->service, crhash) < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory signing request");
	uint8_t key[32], sig[32];
	signing_key(p, date8, key);
	aws_hmac_sha256(key, 32, out->string_to_sign.data, out->string_to_sign.len, sig);
	aws_hex(sig, 32, out->signature);
	return 0;
}

static int check_params(const aws_sigv4_request *req, const aws_sigv4_params *p, aws_error *err)
{
	if (!req || !p || !req->method || !p->access_key_id || !p->secret_access_key ||
	    !p->region || !p->service || !*p->access_key_id || !*p->region || !*p->service)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "cannot sign: method, credentials, region and service are required");
	if (strlen(p->secret_access_key) > 128 || strlen(p->access_key_id) > 127)
		return aws_error_set(err, AWS_ERR_INVALID, "cannot sign: access key is too long");
	if (strpbrk(p->region, "/ \n") || strpbrk(p->service, "/ \n"))
		return aws_error_set(err, AWS_ERR_INVALID, "cannot sign: bad region or service name");
	return 0;
}

static void payload_hash(const aws_sigv4_request *req, char out[65])
{
	if (req->payload_hash) {
		snprintf(out, 65, "%s", req->payload_hash);
		return;
	}
	aws_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, out);
}

int aws_sigv4_sign(const aws_sigv4_request *req, const aws_sigv4_params *p,
		   aws_sigv4_result *out, aws_error *err)
{
	if (check_params(req, p, err) < 0)
		return -1;
	aws_amz_date(p->now, out->amz_date);
	payload_hash(req, out->payload_hash);
	aws_header add[3];
	size_t nadd = 0;
	add[nadd++] = (aws_header){"x-amz-date", out->amz_date};
	int token = p->session_token && *p->session_token;
	if (token && !p->omit_session_token)
		add[nadd++] = (aws_header){"x-amz-security-token", p->session_token};
	if (p->sign_body)
		add[nadd++] = (aws_header){"x-amz-content-sha256", out->payload_hash};
	if (sign_core(req, p, NULL, add, nadd, out, err) < 0)
		return -1;
	char date8[9];
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';
	int n = snprintf(out->authorization, sizeof out->authorization,
			 "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
			 p->access_key_id, date8, p->region, p->service, out->signed_headers.data,
			 out->signature);
	if (n < 0 || (size_t)n >= sizeof out->authorization)
		return aws_error_set(err, AWS_ERR_INVALID, "cannot sign: too many signed headers");
	return 0;
}

int aws_sigv4_presign(const aws_sigv4_request *req, const aws_sigv4_params *p, long expires_s,
		      aws_buf *query_out, aws_sigv4_result *out, aws_error *err)
{
	if (check_params(req, p, err) < 0)
		return -1;
	if (expires_s < 1 || expires_s > 604800)
		return aws_error_set(err, AWS_ERR_INVALID, "cannot presign: expiry must be 1..604800 s");
	aws_amz_date(p->now, out->amz_date);
	payload_hash(req, out->payload_hash);
	out->authorization[0] = '\0';
	char date8[9];
	memcpy(date8, out->amz_date, 8);
	date8[8] = '\0';

	/* Signed-headers list is needed inside the query before signing: compute it the same
	 * way sign_core does (lower-cased, sorted, unique). */
	aws_sigv4_result tmp = {0};
	memcpy(tmp.amz_date, out->amz_date, sizeof tmp.amz_date);
	memcpy(tmp.payload_hash, out->payload_hash, sizeof tmp.payload_hash);
	if (sign_core(req, p, NULL, NULL, 0, &tmp, err) < 0) {
		aws_sigv4_result_free(&tmp);
		return -1;
	}
	aws_buf cred = AWS_BUF_INIT, sh = AWS_BUF_INIT, tok = AWS_BUF_INIT, scope = AWS_BUF_INIT;
	char exp[24];
	snprintf(exp, sizeof exp, "X-Amz-Expires=%ld", expires_s);
	int rc = -1;
	if (aws_buf_printf(&scope, "%s/%s/%s/%s/aws4_request", p->access_key_id, date8, p->region,
			   p->service) < 0 ||
	    aws_buf_puts(&cred, "X-Amz-Credential=") < 0 ||
	    aws_uri_encode(&cred, scope.data, scope.len, 0) < 0 ||
	    aws_buf_puts(&sh, "X-Amz-SignedHeaders=") < 0 ||
	    aws_uri_encode(&sh, tmp.signed_headers.data, tmp.signed_headers.len, 0) < 0)
		goto nomem;
	int token = p->session_token && *p->session_token;
	if (token && (aws_buf_puts(&tok, "X-Amz-Security-Token=") < 0 ||
		      aws_uri_encode(&tok, p->session_token, strlen(p->session_token), 0) < 0))
		goto nomem;
	char datep[40];
	snprintf(datep, sizeof datep, "X-Amz-Date=%s", out->amz_date);
	const char *extra[7];
	size_t ne = 0;
	extra[ne++] = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
	extra[ne++] = cred.data;
	extra[ne++] = datep;
	extra[ne++] = exp;
	extra[ne++] = sh.data;
	if (token && !p->omit_session_token)
		extra[ne++] = tok.data;
	extra[ne] = NULL;
	if (sign_core(req, p, extra, NULL, 0, out, err) < 0)
		goto out;
	/* The query sent: the caller's, then ours in the order the SDKs write them. */
	aws_buf_reset(query_out);
	if (req->query && *req->query &&
	    (aws_buf_puts(query_out, req->query) < 0 || aws_buf_putc(query_out, '&') < 0))
		goto nomem;
	if (aws_buf_printf(query_out, "X-Amz-Algorithm=AWS4-HMAC-SHA256&%s&%s&%s&%s", cred.data,
			   datep, sh.data, exp) < 0)
		goto nomem;
	if (token && aws_buf_printf(query_out, "&%s", tok.data) < 0)
		goto nomem;
	if (aws_buf_printf(query_out, "&X-Amz-Signature=%s", out->signature) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	aws_error_set(err, AWS_ERR_NOMEM, "out of memory presigning request");
out:
	aws_sigv4_result_free(&tmp);
	aws_buf_free(&cred);
	aws_buf_free(&sh);
	aws_buf_free(&tok);
	aws_buf_free(&scope);
	return rc;
}

void aws_sigv4_result_free(aws_sigv4_result *out)
{
	aws_buf_free(&out->canonical_request);
	aws_buf_free(&out->string_to_sign);
	aws_buf_free(&out->signed_headers);
}

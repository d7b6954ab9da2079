/* srv_htpasswd.c — htpasswd lines into a user set, each hash vetted before it is kept:
 * a supported scheme, a cost within the limits (read from the settings, without hashing),
 * then one timed probe through crypt_r that proves the hash usable; the slowest probe picks
 * the settings of the dummy that unknown users are checked against.
 *
 * The costs are read here rather than left to crypt_r because crypt_r would run them: a
 * bcrypt cost of 31 or a yescrypt N of 2^30 would hold the loader (and later each login)
 * for days or allocate gigabytes. yescrypt's parameters are decoded as libxcrypt does.
 */
#include "srv_htpasswd.h"

#include <crypt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_crypto.h"
#include "aws_time.h"

#define MAX_USERS 10000

typedef struct user {
	char name[SRV_HTPASSWD_USER_MAX + 1];
	char *hash;
} user;

struct srv_htpasswd {
	atomic_int refs;
	size_t n, cap;
	user *u;
	char *dummy;                      /* a hash of a random password with the settings of the
					     costliest user's: what unknown users are checked against */
	uint8_t digest[AWS_SHA256_LEN];   /* of the text, to tell whether it changed */
};

static const char HOWTO[] =
	"make one with `htpasswd -nbB USER PASSWORD` (bcrypt) or `mkpasswd -m yescrypt` (yescrypt)";

void srv_htpasswd_ref(srv_htpasswd *h) { atomic_fetch_add(&h->refs, 1); }

void srv_htpasswd_unref(srv_htpasswd *h)
{
	if (!h || atomic_fetch_sub(&h->refs, 1) != 1)
		return;
	for (size_t i = 0; i < h->n; i++) {
		explicit_bzero(h->u[i].hash, strlen(h->u[i].hash));
		free(h->u[i].hash);
	}
	free(h->u);
	if (h->dummy)
		explicit_bzero(h->dummy, strlen(h->dummy));
	free(h->dummy);
	free(h);
}

size_t srv_htpasswd_count(const srv_htpasswd *h) { return h->n; }

int srv_htpasswd_same_text(const srv_htpasswd *a, const srv_htpasswd *b)
{
	return memcmp(a->digest, b->digest, sizeof a->digest) == 0;
}

/* The per-thread crypt_r work area (about 32 KiB, too big for a worker's stack frame),
 * freed by the key's destructor when the thread ends. */
static pthread_key_t crypt_key;
static pthread_once_t crypt_once = PTHREAD_ONCE_INIT;

static void crypt_area_free(void *p)
{
	if (p)
		explicit_bzero(p, sizeof(struct crypt_data));
	free(p);
}
static void crypt_key_init(void) { pthread_key_create(&crypt_key, crypt_area_free); }

static struct crypt_data *crypt_area(void)
{
	pthread_once(&crypt_once, crypt_key_init);
	struct crypt_data *cd = pthread_getspecific(crypt_key);
	if (!cd) {
		cd = calloc(1, sizeof *cd);
		if (cd && pthread_setspecific(crypt_key, cd)) {
			free(cd);
			cd = NULL;
		}
	}
	return cd;
}

/* 1 when password hashes to hash. Runs the full hash even when lengths differ. */
static int hash_check(const char *password, const char *hash)
{
	struct crypt_data *cd = crypt_area();
	if (!cd)
		return 0;
	const char *out = crypt_r(password, hash, cd);
	int ok = 0;
	if (out && out[0] != '*') {
		size_t n = strlen(hash);
		ok = strlen(out) == n && aws_ct_equal(out, hash, n);
	}
	explicit_bzero(cd->output, sizeof cd->output);
	return ok;
}

int srv_htpasswd_check(const srv_htpasswd *h, const char *name, const char *password)
{
	if (!h || h->n == 0)
		return 0;
	const user *found = NULL;
	for (size_t i = 0; i < h->n; i++)   /* no early exit: the scan costs the same for all */
		if (strcmp(h->u[i].name, name) == 0)
			found = &h->u[i];
	int ok = hash_check(password, found ? found->hash : h->dummy);
	return found && ok;
}

static int hash_supported(const char *h)
{
	static const char *ok[] = {"$2y$", "$2b$", "$6$", "$5$", "$y$"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncmp(h, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/* One unsigned number of yescrypt's parameter string at *p, decoded as libxcrypt's
 * decode64_uint32 does (a variable-length code in the crypt base-64 alphabet), but in 64
 * bits: where libxcrypt's 32-bit sum wraps, ours is larger, so a bound checked on ours
 * holds for libxcrypt's. Advances *p; -1 when there is no number. */
static int yescrypt_number(const char **p, uint64_t min, uint64_t *out)
{
	static const char B64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *d = **p ? strchr(B64, **p) : NULL;
	if (!d)
		return -1;
	uint64_t c = (uint64_t)(d - B64), start = 0, end = 47, v = min;
	unsigned chars = 1, bits = 0;
	(*p)++;
	while (c > end) {
		v += (end + 1 - start) << bits;
		start = end + 1;
		end = start + (62 - end) / 2;
		chars++;
		bits += 6;
	}
	v += (c - start) << bits;
	while (--chars) {
		d = **p ? strchr(B64, **p) : NULL;
		if (!d)
			return -1;
		(*p)++;
		bits -= 6;
		v += (uint64_t)(d - B64) << bits;
	}
	*out = v;
	return 0;
}

typedef struct yescrypt_params {
	uint64_t n_log2, r, p, t, g;
} yescrypt_params;

/* The parameters of a "$y$" hash's settings, read as libxcrypt's yescrypt_r reads them;
 * -1 when they cannot be. */
static int yescrypt_read(const char *h, yescrypt_params *yp)
{
	const char *p = h + 3;
	uint64_t flavor, have = 0, rom;
	*yp = (yescrypt_params){.p = 1};
	if (yescrypt_number(&p, 0, &flavor) || yescrypt_number(&p, 1, &yp->n_log2) ||
	    yescrypt_number(&p, 1, &yp->r))
		return -1;
	if (*p != '$' && (yescrypt_number(&p, 1, &have) ||
			  ((have & 1) && yescrypt_number(&p, 2, &yp->p)) ||
			  ((have & 2) && yescrypt_number(&p, 1, &yp->t)) ||
			  ((have & 4) && yescrypt_number(&p, 1, &yp->g)) ||
			  ((have & 8) && yescrypt_number(&p, 1, &rom))))
		return -1;
	return *p == '$' && yp->n_log2 <= 63 ? 0 : -1;
}

static uint64_t mul_saturated(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* yescrypt's work, N·r·p·(t+1)·(g+1) in 128-byte blocks: its memory at t = 0, and what its
 * time grows with. An upper bound, as each factor at most multiplies the time. */
static uint64_t yescrypt_work(const yescrypt_params *yp)
{
	uint64_t w = (uint64_t)1 << yp->n_log2;
	w = mul_saturated(w, yp->r);
	w = mul_saturated(w, yp->p);
	w = mul_saturated(w, yp->t + 1);
	return mul_saturated(w, yp->g + 1);
}

/* 0 when checking a password against h costs no more than the limits allow; else 1 with why
 * (naming the hash's cost and the limit) in why[n]. */
static int hash_too_costly(const char *h, char *why, size_t n)
{
	if (h[1] == '2' && h[3] == '$' && h[4] >= '0' && h[4] <= '9' && h[5] >= '0' && h[5] <= '9') {
		int cost = (h[4] - '0') * 10 + (h[5] - '0');
		if (cost <= SRV_HTPASSWD_BCRYPT_COST_MAX)
			return 0;
		snprintf(why, n, "bcrypt cost %d takes seconds or more per login; the most accepted is %d",
			 cost, SRV_HTPASSWD_BCRYPT_COST_MAX);
		return 1;
	}
	if ((h[1] == '5' || h[1] == '6') && h[2] == '$' && strncmp(h + 3, "rounds=", 7) == 0) {
		char *end;
		unsigned long long r = strtoull(h + 10, &end, 10);
		if (*end != '$' || r <= SRV_HTPASSWD_SHA_ROUNDS_MAX)
			return 0;   /* not a number: crypt_r's probe refuses it as damaged */
		snprintf(why, n, "SHA-crypt rounds=%llu takes seconds or more per login; the most accepted is %d",
			 r, SRV_HTPASSWD_SHA_ROUNDS_MAX);
		return 1;
	}
	if (h[1] == 'y') {
		yescrypt_params yp;
		if (yescrypt_read(h, &yp)) {
			snprintf(why, n, "the yescrypt parameters cannot be read, so neither can the cost per login");
			return 1;
		}
		if (yescrypt_work(&yp) <= (uint64_t)1 << SRV_HTPASSWD_YESCRYPT_LOG2_MAX)
			return 0;
		snprintf(why, n,
			 "yescrypt N=2^%llu r=%llu p=%llu t=%llu takes too much memory or time per login; the most "
			 "accepted is N·r·p·(t+1) = 2^%d (64 MiB: N=2^14 with r=32, `mkpasswd -m yescrypt -R 7`)",
			 (unsigned long long)yp.n_log2, (unsigned long long)yp.r, (unsigned long long)yp.p,
			 (unsigned long long)yp.t, SRV_HTPASSWD_YESCRYPT_LOG2_MAX);
		return 1;
	}
	return 0;
}

/* The refusal of hash[hlen] for the user on line, or 0 with *ms set to what one check took:
 * a supported scheme, a cost within the limits, and a hash crypt_r can use — a complete
 * hash re-hashes to a string of its own length and settings (all up to the last '$'); a
 * truncated or settings-only one does not. */
static int hash_vet(const char *hash, size_t hlen, const char *where, double *ms, aws_error *err)
{
	if (!hash_supported(hash)) {
		char kind[16] = "";
		if (hash[0] == '$') {
			size_t k = strcspn(hash + 1, "$");
			snprintf(kind, sizeof kind, "$%.*s$", (int)(k < 10 ? k : 10), hash + 1);
		}
		return aws_error_set(err, AWS_ERR_INVALID,
				     "%s: unsupported password hash %s — supported are bcrypt ($2y$, $2b$), SHA-512 "
				     "($6$), SHA-256 ($5$) and yescrypt ($y$); %s",
				     where, kind[0] ? kind : "(plain text or DES)", HOWTO);
	}
	char why[300];
	if (hash_too_costly(hash, why, sizeof why))
		return aws_error_set(err, AWS_ERR_INVALID, "%s: %s; %s", where, why, HOWTO);
	struct crypt_data *cd = crypt_area();
	double t0 = aws_monotonic_ms();
	const char *probe = cd ? crypt_r("probe", hash, cd) : NULL;
	*ms = aws_monotonic_ms() - t0;
	const char *last = strrchr(hash, '$');
	size_t settings = last ? (size_t)(last - hash) : 0;
	if (!probe || probe[0] == '*' || strlen(probe) != hlen || settings < 2 ||
	    strncmp(probe, hash, settings) != 0 || last[1] == '\0')
		return aws_error_set(err, AWS_ERR_INVALID, "%s: the hash is damaged; %s", where, HOWTO);
	return 0;
}

/* Adds the line s[0..e) ("user:hash", trimmed) to h; the one whose probe took longest so far
 * is h->u[*costliest]. */
static int add_line(srv_htpasswd *h, const char *s, const char *e, const char *source, int lineno,
		    size_t *costliest, double *costliest_ms, aws_error *err)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	size_t nlen = colon ? (size_t)(colon - s) : 0;
	if (!colon || nlen == 0 || nlen > SRV_HTPASSWD_USER_MAX)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "%s line %d: not \"user:hash\" with a user name of 1 to %d characters; %s",
				     source, lineno, SRV_HTPASSWD_USER_MAX, HOWTO);
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return aws_error_set(err, AWS_ERR_INVALID, "%s line %d: control character in the user name",
					     source, lineno);
	for (size_t i = 0; i < h->n; i++)
		if (strlen(h->u[i].name) == nlen && memcmp(h->u[i].name, s, nlen) == 0)
			return aws_error_set(err, AWS_ERR_INVALID, "%s line %d: user \"%.*s\" appears twice", source,
					     lineno, (int)nlen, s);
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 8;
		user *nu = nc <= MAX_USERS ? realloc(h->u, nc * sizeof *nu) : NULL;
		if (!nu)
			return aws_error_set(err, AWS_ERR_INVALID, "%s: too many users (at most %d)", source, MAX_USERS);
		h->u = nu;
		h->cap = nc;
	}
	size_t hlen = (size_t)(e - colon - 1);
	char *hash = strndup(colon + 1, hlen);
	if (!hash)
		return aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory", source);
	char where[SRV_HTPASSWD_USER_MAX + 300];
	snprintf(where, sizeof where, "%s line %d (user \"%.*s\")", source, lineno, (int)nlen, s);
	double ms = 0;
	if (hash_vet(hash, hlen, where, &ms, err)) {
		free(hash);
		return -1;
	}
	memcpy(h->u[h->n].name, s, nlen);
	h->u[h->n].name[nlen] = '\0';
	h->u[h->n].hash = hash;
	if (h->n == 0 || ms > *costliest_ms) {
		*costliest = h->n;
		*costliest_ms = ms;
	}
	h->n++;
	return 0;
}

/* h->dummy: a random password hashed with user i's hash as settings (its scheme, cost and
 * salt), so checking an unknown user costs what checking the costliest user does and
 * matches no password anyone can send. */
static int make_dummy(srv_htpasswd *h, size_t i)
{
	uint8_t rnd[16];
	char pw[2 * sizeof rnd + 1];
	if (aws_random_bytes(rnd, sizeof rnd))
		return -1;
	for (size_t k = 0; k < sizeof rnd; k++)
		snprintf(pw + 2 * k, 3, "%02x", rnd[k]);
	struct crypt_data *cd = crypt_area();
	const char *out = cd ? crypt_r(pw, h->u[i].hash, cd) : NULL;
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(rnd, sizeof rnd);
	if (!out || out[0] == '*')
		return -1;
	h->dummy = strdup(out);
	explicit_bzero(cd->output, sizeof cd->output);
	return h->dummy ? 0 : -1;
}

srv_htpasswd *srv_htpasswd_parse(const char *text, size_t len, const char *source, aws_error *err)
{
	if (len > SRV_HTPASSWD_TEXT_MAX) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: larger than 1 MiB — is it an htpasswd file?", source);
		return NULL;
	}
	srv_htpasswd *h = calloc(1, sizeof *h);
	if (!h) {
		aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory", source);
		return NULL;
	}
	atomic_init(&h->refs, 1);
	aws_sha256(text, len, h->digest);
	size_t costliest = 0;
	double costliest_ms = 0;
	int lineno = 0;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end;
		p = nl ? nl + 1 : end;
		lineno++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || *s == '#')
			continue;
		if (add_line(h, s, e, source, lineno, &costliest, &costliest_ms, err))
			goto fail;
	}
	if (h->n == 0) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: no users in it; add a line \"user:hash\" — %s", source, HOWTO);
		goto fail;
	}
	if (make_dummy(h, costliest)) {
		aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory (or no randomness) for the unknown-user hash",
			      source);
		goto fail;
	}
	return h;
fail:
	srv_htpasswd_unref(h);
	return NULL;
}

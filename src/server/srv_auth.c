/* srv_auth.c — htpasswd users, crypt_r verification, the verified-login cache and the
 * failed-attempt limiter.
 *
 * Users are an immutable snapshot swapped under a mutex, so a reload never disturbs a
 * check in progress (the checker holds a reference). The cache and the limiter are fixed
 * tables allocated once: open addressing with a short probe, the oldest entry of the probe
 * window is replaced, so neither grows with traffic.
 */
#include "srv_auth.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_crypto.h"
#include "aws_file.h"
#include "aws_ssm.h"

#define PROBE 8
#define MAX_USERS 10000
#define MAX_TEXT (1 << 20)

typedef struct user {
	char name[SRV_AUTH_USER_MAX + 1];
	char *hash;
} user;

typedef struct users {
	atomic_int refs;
	size_t n;
	user *u;
	uint8_t digest[AWS_SHA256_LEN];   /* of the loaded text, to tell whether it changed */
} users;

typedef struct cache_entry {
	uint8_t key[AWS_SHA256_LEN];
	char user[SRV_AUTH_USER_MAX + 1];
	time_t expires;                   /* 0 = empty */
	unsigned gen;
} cache_entry;

/* A password check in progress, on its worker's stack while it runs (see srv_auth_verify). */
typedef struct flight {
	uint8_t key[AWS_SHA256_LEN];
	struct flight *next;
} flight;

typedef struct fail_entry {
	char client[64];
	time_t window;                    /* start of the current minute window, 0 = empty */
	long count;
} fail_entry;

struct srv_auth {
	pthread_mutex_t mu;
	users *cur;
	unsigned gen;                     /* bumped when users change: older cache entries die */
	aws_hmac_key *cache_key;          /* random per process: cache slots hold HMACs, not headers */
	cache_entry *cache;
	size_t ncache;
	long ttl;
	fail_entry *fails;
	size_t nfails;
	long fail_limit;
	flight *flights;                  /* checks in progress, under mu */
	pthread_cond_t flight_done;       /* broadcast when one ends */
	atomic_long hashes;               /* password hashes computed (srv_auth_hash_count) */
};

static void users_unref(users *us)
{
	if (!us || atomic_fetch_sub(&us->refs, 1) != 1)
		return;
	for (size_t i = 0; i < us->n; i++) {
		explicit_bzero(us->u[i].hash, strlen(us->u[i].hash));
		free(us->u[i].hash);
	}
	free(us->u);
	free(us);
}

srv_auth *srv_auth_new(long cache_size, long cache_ttl_s, long failures_per_min, aws_error *err)
{
	srv_auth *a = calloc(1, sizeof *a);
	if (!a)
		goto nomem;
	a->ncache = cache_size > 0 ? (size_t)cache_size : 1;
	a->nfails = 4096;
	a->cache = calloc(a->ncache, sizeof *a->cache);
	a->fails = calloc(a->nfails, sizeof *a->fails);
	if (!a->cache || !a->fails)
		goto nomem;
	uint8_t key[32];
	if (aws_random_bytes(key, sizeof key)) {
		srv_auth_free(a);
		aws_error_set(err, AWS_ERR_IO, "no randomness for the login cache key (getrandom failed)");
		return NULL;
	}
	/* prepared once: every authenticated request hashes its header with it */
	a->cache_key = aws_hmac_key_new(key, sizeof key);
	explicit_bzero(key, sizeof key);
	if (!a->cache_key)
		goto nomem;
	a->ttl = cache_ttl_s;
	a->fail_limit = failures_per_min;
	a->gen = 1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->flight_done, NULL);
	return a;
nomem:
	srv_auth_free(a);
	aws_error_set(err, AWS_ERR_NOMEM, "out of memory for the login cache");
	return NULL;
}

void srv_auth_free(srv_auth *a)
{
	if (!a)
		return;
	if (a->cache && a->cache_key) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->flight_done);
	}
	users_unref(a->cur);
	if (a->cache)
		explicit_bzero(a->cache, a->ncache * sizeof *a->cache);
	free(a->cache);
	free(a->fails);
	aws_hmac_key_free(a->cache_key);
	free(a);
}

static const char HOWTO[] =
	"make one with `htpasswd -nbB USER PASSWORD` (bcrypt) or `mkpasswd -m yescrypt` (yescrypt)";

static int hash_supported(const char *h)
{
	static const char *ok[] = {"$2y$", "$2b$", "$6$", "$5$", "$y$"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncmp(h, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
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

int srv_auth_load(srv_auth *a, const char *text, size_t len, const char *source, int *changed,
		  aws_error *err)
{
	if (changed)
		*changed = 0;
	if (len > MAX_TEXT)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: larger than 1 MiB — is it an htpasswd file?", source);
	users *us = calloc(1, sizeof *us);
	if (!us)
		return aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory", source);
	atomic_init(&us->refs, 1);
	aws_sha256(text, len, us->digest);
	size_t cap = 0;
	int lineno = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		const char *s = p;
		p = nl ? nl + 1 : end;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		const char *e = le;
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e || *s == '#')
			continue;
		const char *colon = memchr(s, ':', (size_t)(e - s));
		size_t nlen = colon ? (size_t)(colon - s) : 0;
		if (!colon || nlen == 0 || nlen > SRV_AUTH_USER_MAX) {
			aws_error_set(err, AWS_ERR_INVALID,
				      "%s line %d: not \"user:hash\" with a user name of 1 to %d characters; %s",
				      source, lineno, SRV_AUTH_USER_MAX, HOWTO);
			goto fail;
		}
		for (size_t i = 0; i < nlen; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				aws_error_set(err, AWS_ERR_INVALID, "%s line %d: control character in the user name",
					      source, lineno);
				goto fail;
			}
		const char *h = colon + 1;
		size_t hlen = (size_t)(e - h);
		char *hash = strndup(h, hlen);
		if (!hash) {
			aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory", source);
			goto fail;
		}
		if (!hash_supported(hash)) {
			char kind[16] = "";
			if (hash[0] == '$') {
				size_t k = strcspn(hash + 1, "$");
				snprintf(kind, sizeof kind, "$%.*s$", (int)(k < 10 ? k : 10), hash + 1);
			}
			aws_error_set(err, AWS_ERR_INVALID,
				      "%s line %d (user \"%.*s\"): unsupported password hash %s — supported are bcrypt "
				      "($2y$, $2b$), SHA-512 ($6$), SHA-256 ($5$) and yescrypt ($y$); %s",
				      source, lineno, (int)nlen, s, kind[0] ? kind : "(plain text or DES)", HOWTO);
			free(hash);
			goto fail;
		}
		/* A hash that crypt_r cannot use (truncated, wrong cost) fails here, not at login. */
		struct crypt_data *cd = crypt_area();
		const char *probe = cd ? crypt_r("probe", hash, cd) : NULL;
		/* A complete hash re-hashes to a string of its own length and settings (all up to
		 * the last '$'); a truncated or settings-only one does not. */
		const char *last = strrchr(hash, '$');
		size_t settings = last ? (size_t)(last - hash) : 0;
		if (!probe || probe[0] == '*' || strlen(probe) != hlen || settings < 2 ||
		    strncmp(probe, hash, settings) != 0 || last[1] == '\0') {
			aws_error_set(err, AWS_ERR_INVALID, "%s line %d (user \"%.*s\"): the hash is damaged; %s",
				      source, lineno, (int)nlen, s, HOWTO);
			free(hash);
			goto fail;
		}
		for (size_t i = 0; i < us->n; i++)
			if (strlen(us->u[i].name) == nlen && memcmp(us->u[i].name, s, nlen) == 0) {
				aws_error_set(err, AWS_ERR_INVALID, "%s line %d: user \"%.*s\" appears twice",
					      source, lineno, (int)nlen, s);
				free(hash);
				goto fail;
			}
		if (us->n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			user *nu = nc <= MAX_USERS ? realloc(us->u, nc * sizeof *nu) : NULL;
			if (!nu) {
				aws_error_set(err, AWS_ERR_INVALID, "%s: too many users (at most %d)", source, MAX_USERS);
				free(hash);
				goto fail;
			}
			us->u = nu;
			cap = nc;
		}
		memcpy(us->u[us->n].name, s, nlen);
		us->u[us->n].name[nlen] = '\0';
		us->u[us->n].hash = hash;
		us->n++;
	}
	if (us->n == 0) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: no users in it; add a line \"user:hash\" — %s", source, HOWTO);
		goto fail;
	}
	pthread_mutex_lock(&a->mu);
	users *old = a->cur;
	int differs = !old || memcmp(old->digest, us->digest, sizeof us->digest) != 0;
	a->cur = us;
	if (differs)
		a->gen++;
	pthread_mutex_unlock(&a->mu);
	users_unref(old);
	if (changed)
		*changed = differs;
	return 0;
fail:
	users_unref(us);
	return -1;
}

int srv_auth_load_file(srv_auth *a, const char *path, int *changed, aws_error *err)
{
	aws_buf b = AWS_BUF_INIT;
	int e, rc;
	if (changed)
		*changed = 0;
	switch (aws_file_read(path, MAX_TEXT, &b, &e)) {
	case AWS_FILE_READ:
		rc = srv_auth_load(a, b.data, b.len, path, changed, err);
		break;
	case AWS_FILE_NOT_OPENED:
		rc = aws_error_set(err, AWS_ERR_IO, "cannot open the htpasswd file %s: %s", path, strerror(e));
		break;
	case AWS_FILE_NO_MEMORY:
		rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
		break;
	case AWS_FILE_TOO_LARGE:
		rc = aws_error_set(err, AWS_ERR_INVALID, "%s: larger than 1 MiB — is it an htpasswd file?",
				   path);
		break;
	default:
		rc = aws_error_set(err, AWS_ERR_IO, "cannot read the htpasswd file %s", path);
		break;
	}
	if (b.data)
		explicit_bzero(b.data, b.cap);
	aws_buf_free(&b);
	return rc;
}

int srv_auth_load_ssm(srv_auth *a, aws_client *c, const char *name, int *changed, aws_error *err)
{
	aws_ssm_parameter p = {0};
	if (aws_ssm_get_parameter(c, name, 1, &p, err)) {
		if (err && strcmp(err->type, "ParameterNotFound") == 0)
			aws_error_prefix(err, "SSM parameter %s does not exist — create it as a SecureString of htpasswd "
					 "lines (showtablectl can), or run with --htpasswd FILE", name);
		else
			aws_error_prefix(err, "reading credentials from SSM %s", name);
		aws_ssm_parameter_free(&p);
		return -1;
	}
	char source[300];
	snprintf(source, sizeof source, "SSM parameter %s", name);
	int rc = srv_auth_load(a, p.value ? p.value : "", p.value ? strlen(p.value) : 0, source, changed, err);
	if (p.value)
		explicit_bzero(p.value, strlen(p.value));
	aws_ssm_parameter_free(&p);
	return rc;
}

long srv_auth_user_count(srv_auth *a)
{
	pthread_mutex_lock(&a->mu);
	long n = a->cur ? (long)a->cur->n : 0;
	pthread_mutex_unlock(&a->mu);
	return n;
}

static size_t slot_of(const uint8_t *k, size_t n)
{
	uint64_t v;
	memcpy(&v, k, sizeof v);
	return (size_t)(v % n);
}

/* 1 and the user copied when k is a live cache entry; called locked. */
static int cache_get(srv_auth *a, const uint8_t *k, time_t now, char *user_out, size_t ulen)
{
	size_t s = slot_of(k, a->ncache);
	for (int i = 0; i < PROBE && (size_t)i < a->ncache; i++) {
		cache_entry *e = &a->cache[(s + (size_t)i) % a->ncache];
		if (e->expires > now && e->gen == a->gen && aws_ct_equal(e->key, k, AWS_SHA256_LEN)) {
			snprintf(user_out, ulen, "%s", e->user);
			return 1;
		}
	}
	return 0;
}

int srv_auth_cached(srv_auth *a, const char *header, char *user_out, size_t ulen)
{
	if (!header)
		return 0;
	size_t hl = strlen(header);
	if (hl > SRV_AUTH_HEADER_MAX)
		return 0;
	uint8_t k[AWS_SHA256_LEN];
	if (aws_hmac_key_sign(a->cache_key, header, hl, k) != 0)
		return 0;   /* out of memory: a miss, so the password is checked */
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	int hit = cache_get(a, k, now, user_out, ulen);
	pthread_mutex_unlock(&a->mu);
	return hit;
}

long srv_auth_hash_count(srv_auth *a) { return atomic_load(&a->hashes); }

static void cache_put(srv_auth *a, const uint8_t *k, const char *name, unsigned gen)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	if (gen == a->gen) { /* users not replaced while we were hashing */
		size_t s = slot_of(k, a->ncache);
		cache_entry *victim = NULL;
		for (int i = 0; i < PROBE && (size_t)i < a->ncache; i++) {
			cache_entry *e = &a->cache[(s + (size_t)i) % a->ncache];
			if (e->expires <= now || e->gen != a->gen) {
				victim = e;
				break;
			}
			if (!victim || e->expires < victim->expires)
				victim = e;
		}
		memcpy(victim->key, k, AWS_SHA256_LEN);
		size_t nl = strnlen(name, SRV_AUTH_USER_MAX);
		memcpy(victim->user, name, nl);
		victim->user[nl] = '\0';
		victim->expires = now + a->ttl;
		victim->gen = gen;
	}
	pthread_mutex_unlock(&a->mu);
}

srv_auth_result srv_auth_verify(srv_auth *a, const char *header, char *user_out, size_t ulen)
{
	if (!header)
		return SRV_AUTH_MISSING;
	size_t hl = strlen(header);
	if (hl > SRV_AUTH_HEADER_MAX || strncasecmp(header, "Basic ", 6) != 0)
		return SRV_AUTH_MALFORMED;
	const char *tok = header + 6;
	while (*tok == ' ')
		tok++;
	size_t tl = strlen(tok);
	while (tl > 0 && tok[tl - 1] == ' ')
		tl--;
	uint8_t dec[SRV_AUTH_HEADER_MAX];
	size_t dl = aws_base64_decode(tok, tl, dec, sizeof dec - 1);
	if (dl == (size_t)-1 || dl == 0 || memchr(dec, '\0', dl))
		return SRV_AUTH_MALFORMED;
	dec[dl] = '\0';
	char *colon = memchr(dec, ':', dl);
	if (!colon || colon == (char *)dec || (size_t)(colon - (char *)dec) > SRV_AUTH_USER_MAX) {
		explicit_bzero(dec, dl);
		return SRV_AUTH_MALFORMED;
	}
	*colon = '\0';
	const char *name = (const char *)dec, *password = colon + 1;

	/* One check per login at a time: a burst of requests with the same header (a page's
	 * parallel loads, a load balancer's connections after a restart) would otherwise hash
	 * the same password on every worker at once. Later ones wait for the first and take
	 * its cached result; after a failure each checks for itself. */
	uint8_t k[AWS_SHA256_LEN];
	int have_k = aws_hmac_key_sign(a->cache_key, header, hl, k) == 0;
	flight me;
	pthread_mutex_lock(&a->mu);
	for (flight *f = a->flights; have_k && f;) {
		if (!aws_ct_equal(f->key, k, sizeof k)) {
			f = f->next;
			continue;
		}
		pthread_cond_wait(&a->flight_done, &a->mu);
		f = a->flights;   /* the list changed: look again from the start */
	}
	if (have_k && cache_get(a, k, time(NULL), user_out, ulen)) {
		pthread_mutex_unlock(&a->mu);
		explicit_bzero(dec, dl);
		return SRV_AUTH_OK;
	}
	if (have_k) {
		memcpy(me.key, k, sizeof k);
		me.next = a->flights;
		a->flights = &me;
	}
	users *us = a->cur;
	unsigned gen = a->gen;
	if (us)
		atomic_fetch_add(&us->refs, 1);
	pthread_mutex_unlock(&a->mu);
	srv_auth_result r = SRV_AUTH_WRONG;
	if (us && us->n > 0) {
		const user *found = NULL;
		for (size_t i = 0; i < us->n; i++)
			if (strcmp(us->u[i].name, name) == 0)
				found = &us->u[i];
		/* Unknown users are hashed against a real hash too, so timing does not tell
		 * which user names exist; the result is ignored. */
		int ok = hash_check(password, found ? found->hash : us->u[0].hash);
		atomic_fetch_add(&a->hashes, 1);
		if (found && ok) {
			r = SRV_AUTH_OK;
			snprintf(user_out, ulen, "%s", name);
			if (have_k)
				cache_put(a, k, name, gen);   /* else not cached: checked again next time */
		}
	}
	users_unref(us);
	explicit_bzero(dec, dl);
	if (have_k) {
		pthread_mutex_lock(&a->mu);
		flight **pp = &a->flights;
		while (*pp != &me)
			pp = &(*pp)->next;
		*pp = me.next;
		pthread_cond_broadcast(&a->flight_done);
		pthread_mutex_unlock(&a->mu);
	}
	return r;
}

static size_t client_slot(const char *c, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return (size_t)(h % n);
}

/* The entry for client (found, or a free/stale/oldest one claimed); called locked. */
static fail_entry *fail_find(srv_auth *a, const char *client, time_t now, int claim)
{
	size_t s = client_slot(client, a->nfails);
	fail_entry *victim = NULL;
	for (int i = 0; i < PROBE; i++) {
		fail_entry *e = &a->fails[(s + (size_t)i) % a->nfails];
		if (e->window && strcmp(e->client, client) == 0)
			return e;
		int stale = e->window == 0 || now - e->window >= 60;
		if (!victim || stale || e->window < victim->window)
			if (!victim || !(victim->window == 0 || now - victim->window >= 60))
				victim = e;
	}
	if (!claim)
		return NULL;
	snprintf(victim->client, sizeof victim->client, "%s", client);
	victim->window = now;
	victim->count = 0;
	return victim;
}

int srv_auth_client_blocked(srv_auth *a, const char *client)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	fail_entry *e = fail_find(a, client, now, 0);
	int blocked = e && now - e->window < 60 && e->count >= a->fail_limit;
	pthread_mutex_unlock(&a->mu);
	return blocked;
}

void srv_auth_client_failed(srv_auth *a, const char *client)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	fail_entry *e = fail_find(a, client, now, 1);
	if (now - e->window >= 60) {
		e->window = now;
		e->count = 0;
	}
	e->count++;
	pthread_mutex_unlock(&a->mu);
}

/* srv_auth.c — who may log in: the current htpasswd user set (srv_htpasswd), the
 * verified-login cache, the attempt limiter and the password checks in flight.
 *
 * The user set is immutable and swapped under a mutex, so a reload never disturbs a check
 * in progress (the checker holds a reference). The cache and the limiter are fixed
 * tables allocated once: open addressing with a short probe, so neither grows with
 * traffic; the limiter replaces the entry with the fewest attempts, never one with checks
 * running, so a flood of other addresses cannot wash a blocked client out.
 *
 * A password check is a "flight": admitted in the event loop (where the attempt is counted
 * and the client's and the server's check slots are taken), run once by whichever request
 * gets to a worker first, and shared by every request that arrived with the same header
 * meanwhile. Counting at admission is what makes the limit hold against a parallel burst.
 */
#include "srv_auth.h"

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
#include "srv_htpasswd.h"

#define PROBE 8

_Static_assert(SRV_AUTH_USER_MAX == SRV_HTPASSWD_USER_MAX, "a cached user name holds any htpasswd one");

typedef struct cache_entry {
	uint8_t key[AWS_SHA256_LEN];
	char user[SRV_AUTH_USER_MAX + 1];
	time_t expires;                   /* 0 = empty */
	unsigned gen;
} cache_entry;

/* A password check: admitted, running or done; shared by the requests holding it. */
enum flight_state { F_WAITING, F_RUNNING, F_DONE };
struct srv_auth_ticket {
	uint8_t key[AWS_SHA256_LEN];      /* HMAC of the Authorization header */
	char client[64];                  /* whose attempt it was counted as */
	int refs;                         /* requests holding it; freed at 0 */
	enum flight_state state;
	int holds_slot;                   /* the client's and the server's check slot are taken */
	unsigned gen;                     /* users generation the result belongs to */
	srv_auth_result result;
	char user[SRV_AUTH_USER_MAX + 1];
	struct srv_auth_ticket *next;
};
typedef struct srv_auth_ticket flight;

typedef struct fail_entry {
	char client[64];
	time_t window;                    /* start of the current minute window, 0 = empty */
	long count;                       /* attempts admitted in the window, less successes */
	long running;                     /* its checks admitted and not finished */
} fail_entry;

struct srv_auth {
	pthread_mutex_t mu;
	srv_htpasswd *cur;
	unsigned gen;                     /* bumped when users change: older cache entries die */
	aws_hmac_key *cache_key;          /* random per process: cache slots hold HMACs, not headers */
	cache_entry *cache;
	size_t ncache;
	long ttl;
	fail_entry *fails;
	size_t nfails;
	long fail_limit;
	flight *flights;                  /* admitted checks, under mu */
	pthread_cond_t flight_done;       /* broadcast when one ends */
	long running;                     /* flights holding a check slot */
	long max_per_client, max_total;
	atomic_long hashes;               /* password hashes computed (srv_auth_hash_count) */
};

srv_auth *srv_auth_new(long cache_size, long cache_ttl_s, long failures_per_min, aws_error *err)
{
	srv_auth *a = calloc(1, sizeof *a);
	if (!a)
		goto nomem;
	a->ncache = cache_size > 0 ? (size_t)cache_size : 1;
	a->nfails = SRV_AUTH_CLIENTS_MAX;
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
	a->max_per_client = SRV_AUTH_CHECKS_PER_CLIENT;
	a->max_total = SRV_AUTH_CHECKS_TOTAL;
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
	srv_htpasswd_unref(a->cur);
	if (a->cache)
		explicit_bzero(a->cache, a->ncache * sizeof *a->cache);
	free(a->cache);
	free(a->fails);
	aws_hmac_key_free(a->cache_key);
	free(a);
}

int srv_auth_load(srv_auth *a, const char *text, size_t len, const char *source, int *changed,
		  aws_error *err)
{
	if (changed)
		*changed = 0;
	srv_htpasswd *us = srv_htpasswd_parse(text, len, source, err);
	if (!us)
		return -1;
	pthread_mutex_lock(&a->mu);
	srv_htpasswd *old = a->cur;
	int differs = !old || !srv_htpasswd_same_text(old, us);
	a->cur = us;
	if (differs)
		a->gen++;
	pthread_mutex_unlock(&a->mu);
	srv_htpasswd_unref(old);
	if (changed)
		*changed = differs;
	return 0;
}

int srv_auth_load_file(srv_auth *a, const char *path, int *changed, aws_error *err)
{
	aws_buf b = AWS_BUF_INIT;
	int e, rc;
	if (changed)
		*changed = 0;
	switch (aws_file_read(path, SRV_HTPASSWD_TEXT_MAX, &b, &e)) {
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
	long n = a->cur ? (long)srv_htpasswd_count(a->cur) : 0;
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

/* Called locked. */
static void cache_put(srv_auth *a, const uint8_t *k, const char *name, unsigned gen)
{
	time_t now = time(NULL);
	if (gen != a->gen)   /* users replaced while we were hashing */
		return;
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

static size_t client_slot(const char *c, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
	for (; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return (size_t)(h % n);
}

static int entry_stale(const fail_entry *e, time_t now)
{
	return e->window == 0 || now - e->window >= 60;
}

/* The entry for client; with claim, a new one when there is none: an empty or stale entry
 * of the probe window, else the one with the fewest attempts — entries with checks running
 * are never taken, so when all of the window's have some, NULL. Called locked. */
static fail_entry *fail_find(srv_auth *a, const char *client, time_t now, int claim)
{
	size_t s = client_slot(client, a->nfails);
	fail_entry *victim = NULL;
	for (int i = 0; i < PROBE; i++) {
		fail_entry *e = &a->fails[(s + (size_t)i) % a->nfails];
		if (e->window && strcmp(e->client, client) == 0) {
			if (entry_stale(e, now)) {   /* a new minute: attempts start again */
				e->window = now;
				e->count = 0;
			}
			return e;
		}
		if (e->running > 0)
			continue;
		if (!victim || (entry_stale(e, now) && !entry_stale(victim, now)) ||
		    (!entry_stale(victim, now) && e->count < victim->count))
			victim = e;
	}
	if (!claim || !victim)
		return NULL;
	snprintf(victim->client, sizeof victim->client, "%s", client);
	victim->window = now;
	victim->count = 0;
	victim->running = 0;
	return victim;
}

void srv_auth_set_check_limits(srv_auth *a, long per_client, long total)
{
	pthread_mutex_lock(&a->mu);
	a->max_per_client = per_client > 0 ? per_client : 1;
	a->max_total = total > 0 ? total : 1;
	pthread_mutex_unlock(&a->mu);
}

/* Gives back f's check slots; an attempt that was never checked, or that succeeded, does
 * not count against the client. Called locked. */
static void flight_unslot(srv_auth *a, flight *f, int refund)
{
	if (!f->holds_slot)
		return;
	f->holds_slot = 0;
	a->running--;
	fail_entry *e = fail_find(a, f->client, time(NULL), 0);
	if (e) {
		if (e->running > 0)
			e->running--;
		if (refund && e->count > 0)
			e->count--;
	}
}

/* Drops one reference to f; the last one frees it. Called locked. */
static void flight_unref(srv_auth *a, flight *f)
{
	if (--f->refs > 0)
		return;
	flight_unslot(a, f, 1);
	flight **pp = &a->flights;
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	explicit_bzero(f, sizeof *f);
	free(f);
}

/* The flight for header key k admitted in a users generation still current, or NULL. */
static flight *flight_find(srv_auth *a, const uint8_t *k)
{
	for (flight *f = a->flights; f; f = f->next)
		if ((f->state != F_DONE || f->gen == a->gen) && aws_ct_equal(f->key, k, AWS_SHA256_LEN))
			return f;
	return NULL;
}

/* Admission; client NULL: no per-client limits (srv_auth_verify). Called locked. */
static srv_auth_admission admit_locked(srv_auth *a, const char *client, const uint8_t *k, flight **out)
{
	time_t now = time(NULL);
	fail_entry *e = client ? fail_find(a, client, now, 0) : NULL;
	if (e && e->count >= a->fail_limit)
		return SRV_AUTH_BLOCKED;
	flight *f = flight_find(a, k);
	if (f) {   /* the same header is being checked: share its answer, no new attempt */
		f->refs++;
		*out = f;
		return SRV_AUTH_ADMITTED;
	}
	if (client) {
		e = fail_find(a, client, now, 1);
		if (e && e->running >= a->max_per_client)
			return SRV_AUTH_CLIENT_BUSY;   /* its own fault: 429 before the server's 503 */
		if (!e || a->running >= a->max_total)
			return SRV_AUTH_BUSY;   /* !e: every entry near it has checks running */
	}
	f = calloc(1, sizeof *f);
	if (!f)
		return SRV_AUTH_BUSY;
	memcpy(f->key, k, AWS_SHA256_LEN);
	f->refs = 1;
	f->state = F_WAITING;
	f->gen = a->gen;
	if (client) {
		snprintf(f->client, sizeof f->client, "%s", client);
		f->holds_slot = 1;
		a->running++;
		e->running++;
		e->count++;
	}
	f->next = a->flights;
	a->flights = f;
	*out = f;
	return SRV_AUTH_ADMITTED;
}

srv_auth_admission srv_auth_admit(srv_auth *a, const char *client, const char *header, srv_auth_ticket **ticket)
{
	*ticket = NULL;
	uint8_t k[AWS_SHA256_LEN];
	if (!header || aws_hmac_key_sign(a->cache_key, header, strlen(header), k) != 0)
		return SRV_AUTH_BUSY;   /* out of memory */
	pthread_mutex_lock(&a->mu);
	srv_auth_admission r = admit_locked(a, client, k, ticket);
	pthread_mutex_unlock(&a->mu);
	return r;
}

void srv_auth_release(srv_auth *a, srv_auth_ticket **ticket)
{
	if (!*ticket)
		return;
	pthread_mutex_lock(&a->mu);
	flight_unref(a, *ticket);
	pthread_mutex_unlock(&a->mu);
	*ticket = NULL;
}

/* Parses header and checks its password against us: the full hash always runs, against
 * the dummy for an unknown user, so both cost the same. */
static srv_auth_result check_header(srv_auth *a, const srv_htpasswd *us, const char *header, char *name_out)
{
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
	srv_auth_result r = SRV_AUTH_MALFORMED;
	if (colon && colon != (char *)dec && (size_t)(colon - (char *)dec) <= SRV_AUTH_USER_MAX) {
		*colon = '\0';
		const char *name = (const char *)dec, *password = colon + 1;
		r = SRV_AUTH_WRONG;
		if (us && srv_htpasswd_count(us) > 0) {
			int ok = srv_htpasswd_check(us, name, password);
			atomic_fetch_add(&a->hashes, 1);
			if (ok) {
				r = SRV_AUTH_OK;
				size_t nl = (size_t)(colon - (char *)dec);   /* <= SRV_AUTH_USER_MAX */
				memcpy(name_out, name, nl);
				name_out[nl] = '\0';
			}
		}
	}
	explicit_bzero(dec, dl);
	return r;
}

srv_auth_result srv_auth_check(srv_auth *a, srv_auth_ticket **ticket, const char *header, char *user_out,
			       size_t ulen)
{
	flight *f = *ticket;
	*ticket = NULL;
	if (!f)
		return SRV_AUTH_WRONG;
	if (!header) {
		srv_auth_release(a, &f);
		return SRV_AUTH_MISSING;
	}
	pthread_mutex_lock(&a->mu);
	while (f->state == F_RUNNING)
		pthread_cond_wait(&a->flight_done, &a->mu);
	if (f->state == F_DONE && f->gen != a->gen)
		f->state = F_WAITING;   /* users changed since: this answer is stale */
	if (f->state == F_WAITING) {
		f->state = F_RUNNING;
		srv_htpasswd *us = a->cur;
		unsigned gen = a->gen;
		if (us)
			srv_htpasswd_ref(us);
		pthread_mutex_unlock(&a->mu);
		char name[SRV_AUTH_USER_MAX + 1] = "";
		srv_auth_result r = check_header(a, us, header, name);
		srv_htpasswd_unref(us);
		pthread_mutex_lock(&a->mu);
		f->result = r;
		f->gen = gen;
		memcpy(f->user, name, sizeof name);
		if (r == SRV_AUTH_OK)
			cache_put(a, f->key, name, gen);
		flight_unslot(a, f, r == SRV_AUTH_OK);
		f->state = F_DONE;
		pthread_cond_broadcast(&a->flight_done);
	}
	srv_auth_result r = f->result;
	if (r == SRV_AUTH_OK)
		snprintf(user_out, ulen, "%s", f->user);
	flight_unref(a, f);
	pthread_mutex_unlock(&a->mu);
	return r;
}

srv_auth_result srv_auth_verify(srv_auth *a, const char *header, char *user_out, size_t ulen)
{
	if (!header)
		return SRV_AUTH_MISSING;
	if (strlen(header) > SRV_AUTH_HEADER_MAX)
		return SRV_AUTH_MALFORMED;
	uint8_t k[AWS_SHA256_LEN];
	if (aws_hmac_key_sign(a->cache_key, header, strlen(header), k) != 0)
		return SRV_AUTH_WRONG;   /* out of memory: not verified */
	flight *f = NULL;
	pthread_mutex_lock(&a->mu);
	if (cache_get(a, k, time(NULL), user_out, ulen)) {
		pthread_mutex_unlock(&a->mu);
		return SRV_AUTH_OK;
	}
	srv_auth_admission adm = admit_locked(a, NULL, k, &f);
	pthread_mutex_unlock(&a->mu);
	if (adm != SRV_AUTH_ADMITTED)
		return SRV_AUTH_WRONG;   /* out of memory */
	return srv_auth_check(a, &f, header, user_out, ulen);
}

long srv_auth_clients_tracked(srv_auth *a)
{
	time_t now = time(NULL);
	long n = 0;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->nfails; i++)
		n += !entry_stale(&a->fails[i], now) || a->fails[i].running > 0;
	pthread_mutex_unlock(&a->mu);
	return n;
}

int srv_auth_client_blocked(srv_auth *a, const char *client)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	fail_entry *e = fail_find(a, client, now, 0);
	int blocked = e && e->count >= a->fail_limit;
	pthread_mutex_unlock(&a->mu);
	return blocked;
}

void srv_auth_client_failed(srv_auth *a, const char *client)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&a->mu);
	fail_entry *e = fail_find(a, client, now, 1);
	if (e)
		e->count++;
	pthread_mutex_unlock(&a->mu);
}

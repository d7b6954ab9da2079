/* srv_auth.h — HTTP Basic auth against htpasswd lines, with a verified-login cache and
 * per-client limits on login attempts and on password checks running at once.
 *
 * Users come from an htpasswd text (a file, or the SSM SecureString <prefix>/credentials)
 * and can be replaced at any time (rotation) without a restart. Hashes are checked with
 * libcrypt's crypt_r: bcrypt ($2y$, $2b$), SHA-512 ($6$), SHA-256 ($5$) and yescrypt ($y$);
 * anything else is refused at load. A hash costs milliseconds, so a successful check is
 * remembered under HMAC-SHA-256(random per-process key, Authorization header) — the header
 * itself is never stored — for a bounded time in a bounded table. All functions are
 * thread-safe.
 */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

#include <stddef.h>
#include "aws_client.h"

#define SRV_AUTH_HEADER_MAX 1024   /* longer Authorization headers are malformed */
#define SRV_AUTH_USER_MAX 64
#define SRV_AUTH_CLIENTS_MAX 4096  /* clients the attempt limiter tracks at once */
#define SRV_AUTH_CHECKS_PER_CLIENT 1   /* default: password checks one client may have running */
#define SRV_AUTH_CHECKS_TOTAL 2        /* default: password checks running in all */

typedef struct srv_auth srv_auth;

/* cache_size verified logins kept for cache_ttl_s; failures_per_min failed attempts per
 * client per minute before srv_auth_client_blocked says so. */
srv_auth *srv_auth_new(long cache_size, long cache_ttl_s, long failures_per_min, aws_error *err);
void srv_auth_free(srv_auth *a);

/* Replaces the users with the htpasswd lines in text ("user:hash", blank lines and '#'
 * comments ignored). source names where the text came from, for messages. All or nothing:
 * on a bad line (unsupported hash such as $apr1$, broken hash, duplicate user, bad name) or
 * no user at all, -1 with AWS_ERR_INVALID naming source and line and saying how to make a
 * supported hash, and the previous users stay. *changed (may be NULL) is 1 when the users
 * differ from before; then every cached login is forgotten. */
int srv_auth_load(srv_auth *a, const char *text, size_t len, const char *source, int *changed,
		  aws_error *err);
/* Reads path (at most 1 MiB) and loads it as above. */
int srv_auth_load_file(srv_auth *a, const char *path, int *changed, aws_error *err);
/* Reads the SSM SecureString name with decryption and loads it as above. */
int srv_auth_load_ssm(srv_auth *a, aws_client *c, const char *name, int *changed, aws_error *err);

long srv_auth_user_count(srv_auth *a);

typedef enum srv_auth_result {
	SRV_AUTH_OK,
	SRV_AUTH_MISSING,     /* no Authorization header */
	SRV_AUTH_MALFORMED,   /* not "Basic <base64 of user:password>", or too long */
	SRV_AUTH_WRONG,       /* unknown user or wrong password */
} srv_auth_result;

/* The fast path: 1 when header is a login verified less than cache_ttl_s ago (user is
 * copied into user_out[ulen]), else 0. No hashing beyond one HMAC. */
int srv_auth_cached(srv_auth *a, const char *header, char *user_out, size_t ulen);

/* The slow path, for a login not in the cache, in two steps.
 *
 * srv_auth_admit (cheap: one HMAC; where the request arrives) decides whether a password
 * check may run for client (an address as text). The attempt counts against the client's
 * failures_per_min as it is admitted — not when its check ends — so a burst sent at once
 * is held to the limit like one sent in turn; a check that succeeds, or never runs, is
 * given back. A client may have max_per_client checks admitted and unfinished, the server
 * max_total (srv_auth_set_check_limits). A request whose header is already admitted shares
 * that check: it counts as no attempt and takes no slot. On SRV_AUTH_ADMITTED *ticket
 * is set and must go to exactly one of srv_auth_check or srv_auth_release; otherwise it is
 * NULL. */
typedef struct srv_auth_ticket srv_auth_ticket;
typedef enum srv_auth_admission {
	SRV_AUTH_ADMITTED,
	SRV_AUTH_BLOCKED,       /* failures_per_min reached this minute: answer 429 */
	SRV_AUTH_CLIENT_BUSY,   /* the client's checks at once are all running: answer 429 */
	SRV_AUTH_BUSY,          /* the server's are (or out of memory): answer 503, retry soon */
} srv_auth_admission;
srv_auth_admission srv_auth_admit(srv_auth *a, const char *client, const char *header,
				  srv_auth_ticket **ticket);

/* Runs the admitted check (crypt_r, milliseconds; where blocking is fine): parses header —
 * the one given to srv_auth_admit — and checks the password; an unknown user is checked
 * against a dummy hash as costly as the costliest user's, so the time taken does not tell
 * which names exist. Requests sharing a check wait for it and take its answer. On
 * SRV_AUTH_OK the login is cached and the user copied into user_out[ulen]. Consumes *ticket
 * (set to NULL). */
srv_auth_result srv_auth_check(srv_auth *a, srv_auth_ticket **ticket, const char *header, char *user_out,
			       size_t ulen);
/* Gives back a ticket whose check will not run (the request ended first); NULL is fine. */
void srv_auth_release(srv_auth *a, srv_auth_ticket **ticket);

/* Both steps at once, with no per-client limit: for tools and tests. Calls with the same
 * header at once hash it once. */
srv_auth_result srv_auth_verify(srv_auth *a, const char *header, char *user_out, size_t ulen);

/* Password checks allowed to run at once, per client and in all (defaults above). */
void srv_auth_set_check_limits(srv_auth *a, long per_client, long total);

/* Password hashes computed so far (each costs milliseconds); for tests and measurement. */
long srv_auth_hash_count(srv_auth *a);

/* The attempt limiter, for failures found before a check (a header too long to read). */
int srv_auth_client_blocked(srv_auth *a, const char *client);
void srv_auth_client_failed(srv_auth *a, const char *client);
/* Clients the limiter holds now (at most SRV_AUTH_CLIENTS_MAX, whatever the traffic). */
long srv_auth_clients_tracked(srv_auth *a);

#endif

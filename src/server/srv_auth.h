/* srv_auth.h — HTTP Basic auth against htpasswd lines, with a verified-login cache and
 * per-client limits on failed attempts.
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

/* The slow path: parses header and checks the password with crypt_r (milliseconds);
 * unknown users cost the same as known ones. On SRV_AUTH_OK the login is cached and the
 * user copied into user_out[ulen]. Calls with the same header at once hash it once: the
 * others wait for that check and use its cached result (or, if it failed, check again). */
srv_auth_result srv_auth_verify(srv_auth *a, const char *header, char *user_out, size_t ulen);

/* Password hashes computed so far (each costs milliseconds); for tests and measurement. */
long srv_auth_hash_count(srv_auth *a);

/* Failed-attempt limiting per client (an address as text). */
int srv_auth_client_blocked(srv_auth *a, const char *client);
void srv_auth_client_failed(srv_auth *a, const char *client);

#endif

/* srv_htpasswd.h — htpasswd text parsed into an immutable set of users and their crypt(3)
 * hashes, and the password check against such a set.
 *
 * A set is checked whole at parse time: a hash libcrypt cannot use, or one whose cost would
 * make every login check (and the load itself) burn seconds of CPU or hundreds of MiB, is
 * refused there with the line and the limit, never found out at the first login. Sets are
 * reference counted so that a rotation never pulls one from under a check in progress.
 */
#ifndef SRV_HTPASSWD_H
#define SRV_HTPASSWD_H

#include <stddef.h>
#include "aws_error.h"

#define SRV_HTPASSWD_USER_MAX 64      /* bytes of a user name */
#define SRV_HTPASSWD_TEXT_MAX (1 << 20)

/* The costliest hashes a set may hold. bcrypt and SHA-crypt: about one to two seconds of
 * one current CPU core per check. yescrypt: N·r·p·(t+1) in 128-byte blocks — at t = 0 its
 * memory: 2^19 blocks are 64 MiB (N = 2^14 with r = 32, `mkpasswd -m yescrypt -R 7`,
 * 0.4 s), because two checks at once must fit beside the server in a small task. */
#define SRV_HTPASSWD_BCRYPT_COST_MAX 14
#define SRV_HTPASSWD_SHA_ROUNDS_MAX 5000000
#define SRV_HTPASSWD_YESCRYPT_LOG2_MAX 19

typedef struct srv_htpasswd srv_htpasswd;

/* Parses text ("user:hash" lines; blank lines and '#' comments ignored) into a set with one
 * reference. source names where the text came from, for messages. On a bad line (unsupported
 * hash such as $apr1$, damaged hash, a cost above the limits, duplicate user, bad name), more
 * than 1 MiB, or no user at all: NULL and AWS_ERR_INVALID naming source and line and saying
 * how to make a supported hash (AWS_ERR_NOMEM when memory ran out). */
srv_htpasswd *srv_htpasswd_parse(const char *text, size_t len, const char *source, aws_error *err);

void srv_htpasswd_ref(srv_htpasswd *h);
/* Drops a reference; the last one wipes the hashes and frees the set. NULL is fine. */
void srv_htpasswd_unref(srv_htpasswd *h);

size_t srv_htpasswd_count(const srv_htpasswd *h);
/* 1 when a and b were parsed from the same text (byte for byte). */
int srv_htpasswd_same_text(const srv_htpasswd *a, const srv_htpasswd *b);

/* 1 when name is a user of h and password hashes to its hash, else 0. The full hash always
 * runs — for an unknown name against a dummy made with the costliest user's settings — so
 * the time taken does not tell which names exist. Thread-safe (crypt_r, a per-thread area). */
int srv_htpasswd_check(const srv_htpasswd *h, const char *name, const char *password);

#endif

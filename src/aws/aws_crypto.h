/* aws_crypto.h — SHA-256, HMAC-SHA-256, hex and base64, on OpenSSL's libcrypto.
 *
 * Thin wrappers so the rest of the code names what it needs and never touches EVP
 * directly. All functions are thread-safe; only the hashing ones and aws_hmac_key_new allocate.
 */
#ifndef AWS_CRYPTO_H
#define AWS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define AWS_SHA256_LEN 32

void aws_sha256(const void *data, size_t len, uint8_t out[AWS_SHA256_LEN]);
void aws_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		     uint8_t out[AWS_SHA256_LEN]);
/* aws_sha256 and aws_hmac_sha256 hash in the calling thread's scratch context with SHA-256
 * fetched once for the process: no provider lookup and no context set-up per call (one
 * libcrypto allocation per hash started, for the provider's state; libcrypto's own one-shot
 * HMAC() makes 13).
 *
 * A prepared HMAC-SHA-256 key, for a key that signs many messages (a per-process secret on a
 * hot path): the states after key^ipad and key^opad are kept, so a signature is two copies
 * of a saved state and two short hashes, without absorbing the key's block each time.
 *
 * aws_hmac_key_new: any key length (keys longer than the 64-byte block are hashed first, as
 *   RFC 2104 says); key may be NULL when len is 0. Copies what it needs: the caller's key
 *   buffer can be wiped at once. Returns NULL when out of memory or when libcrypto has no
 *   SHA-256. The caller owns the result: aws_hmac_key_free (wipes the states; NULL is fine).
 * aws_hmac_key_sign: out = HMAC-SHA-256(key, data), the same bytes as aws_hmac_sha256.
 *   Thread-safe: the key is only read, and each thread hashes in its own scratch context
 *   (made on the thread's first call, freed when the thread exits). No locks and no
 *   algorithm fetch; on OpenSSL 3.0 restoring a saved state still duplicates the provider's
 *   112-byte SHA-256 state (one malloc + free per restore, two per signature — libcrypto 3.0
 *   has no way to copy a digest state in place).
 *   Returns 0, or -1 (out zeroed) when out of memory. */
typedef struct aws_hmac_key aws_hmac_key;
aws_hmac_key *aws_hmac_key_new(const void *key, size_t len);
int aws_hmac_key_sign(const aws_hmac_key *k, const void *data, size_t len,
		      uint8_t out[AWS_SHA256_LEN]);
void aws_hmac_key_free(aws_hmac_key *k);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void aws_hex(const uint8_t *in, size_t n, char *out);
/* SHA-256 of data as 64 lower-case hex chars + NUL. */
void aws_sha256_hex(const void *data, size_t len, char out[2 * AWS_SHA256_LEN + 1]);

/* Standard base64 (with padding). Returns the length written (excluding NUL), or 0 when
 * out_len is too small. out needs 4*((n+2)/3)+1 bytes. */
size_t aws_base64_encode(const void *in, size_t n, char *out, size_t out_len);
/* Decodes standard base64 (padding required, no whitespace). Returns the decoded length,
 * or (size_t)-1 on malformed input or when out_len is too small. out needs n/4*3 bytes. */
size_t aws_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_len);
/* The same, but non-zero unused bits in the last group are accepted (DynamoDB's B values),
 * and out may be NULL to only check in and measure its decoded length. */
size_t aws_base64_decode_lenient(const char *in, size_t n, uint8_t *out, size_t out_len);

/* Fills buf with n cryptographically random bytes. Returns 0 or -1. */
int aws_random_bytes(void *buf, size_t n);

/* Constant-time comparison of two equal-length byte strings: 1 if equal. */
int aws_ct_equal(const void *a, const void *b, size_t n);

#endif

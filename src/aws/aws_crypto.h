/* aws_crypto.h — SHA-256, HMAC-SHA-256, hex and base64, on OpenSSL's libcrypto.
 *
 * Thin wrappers so the rest of the code names what it needs and never touches EVP
 * directly. All functions are thread-safe and allocate nothing.
 */
#ifndef AWS_CRYPTO_H
#define AWS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define AWS_SHA256_LEN 32

void aws_sha256(const void *data, size_t len, uint8_t out[AWS_SHA256_LEN]);
void aws_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		     uint8_t out[AWS_SHA256_LEN]);
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

/* Fills buf with n cryptographically random bytes. Returns 0 or -1. */
int aws_random_bytes(void *buf, size_t n);

/* Constant-time comparison of two equal-length byte strings: 1 if equal. */
int aws_ct_equal(const void *a, const void *b, size_t n);

#endif

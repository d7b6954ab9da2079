/* aws_crypto.c — SHA-256, HMAC, hex, base64, randomness on OpenSSL libcrypto (see
 * aws_crypto.h). One-shot EVP/HMAC calls: no state is kept between calls. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <string.h>
#include "aws_crypto.h"

void aws_sha256(const void *data, size_t len, uint8_t out[AWS_SHA256_LEN])
{
	unsigned int n = AWS_SHA256_LEN;
	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void aws_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		     uint8_t out[AWS_SHA256_LEN])
{
	unsigned int n = AWS_SHA256_LEN;
	HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
}

void aws_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void aws_sha256_hex(const void *data, size_t len, char out[2 * AWS_SHA256_LEN + 1])
{
	uint8_t d[AWS_SHA256_LEN];
	aws_sha256(data, len, d);
	aws_hex(d, sizeof d, out);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t aws_base64_encode(const void *in, size_t n, char *out, size_t out_len)
{
	const uint8_t *s = in;
	size_t need = 4 * ((n + 2) / 3);
	if (out_len < need + 1)
		return 0;
	size_t o = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

size_t aws_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_len)
{
	if (n % 4)
		return (size_t)-1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad) /* data after padding */
				return (size_t)-1;
			v[k] = b64val(c);
			if (v[k] < 0)
				return (size_t)-1;
		}
		if (pad == 1 && (v[2] & 3)) /* non-canonical trailing bits */
			return (size_t)-1;
		if (pad == 2 && (v[1] & 15))
			return (size_t)-1;
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t take = 3 - (size_t)pad;
		if (o + take > out_len)
			return (size_t)-1;
		out[o++] = (uint8_t)(w >> 16);
		if (take > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (take > 2)
			out[o++] = (uint8_t)w;
	}
	return o;
}

int aws_random_bytes(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int aws_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* aws_crypto.c — SHA-256, HMAC, hex, base64, randomness on OpenSSL libcrypto (see
 * aws_crypto.h). SHA-256 is fetched from the provider once for the process; each thread
 * hashes in one scratch digest context of its own; a prepared HMAC key (aws_hmac_key) keeps
 * its SHA-256 states. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "aws_crypto.h"

#define HMAC_BLOCK 64   /* SHA-256's block size: the HMAC key is padded or hashed to it */

/* One scratch context per thread, reused by every signature on that thread (whatever the
 * key): the thread-local pointer is the fast path, the pthread key frees it when the thread
 * exits. The main thread's context lives until the process exits. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;
static _Thread_local EVP_MD_CTX *scratch;

static void scratch_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void scratch_init(void)
{
	scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

static EVP_MD_CTX *scratch_ctx(void)
{
	if (scratch)
		return scratch;
	pthread_once(&scratch_once, scratch_init);
	if (!scratch_key_ok)
		return NULL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && pthread_setspecific(scratch_key, c) != 0) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return scratch = c;
}

/* SHA-256 as libcrypto's provider implements it, fetched once for the process and shared by
 * every hash and prepared key below; a one-shot EVP call would look it up each time
 * (EVP_sha256() is only a name). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

/* The thread's scratch context, set up for a new SHA-256 hash; NULL when out of memory. */
static EVP_MD_CTX *sha256_begin(void)
{
	const EVP_MD *md = sha256();
	EVP_MD_CTX *c = md ? scratch_ctx() : NULL;
	return c && EVP_DigestInit_ex2(c, md, NULL) ? c : NULL;
}

/* Falls back on libcrypto's own one-shot calls only when the fast path cannot get memory. */
void aws_sha256(const void *data, size_t len, uint8_t out[AWS_SHA256_LEN])
{
	unsigned int n = AWS_SHA256_LEN;
	EVP_MD_CTX *c = sha256_begin();
	if (!c || !EVP_DigestUpdate(c, data, len) || !EVP_DigestFinal_ex(c, out, &n))
		EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

/* key's two HMAC pads: key^ipad and key^opad over SHA-256's 64-byte block (a key longer
 * than the block replaced by its hash first, as RFC 2104 says). */
static void hmac_pads(const void *key, size_t len, uint8_t ipad[HMAC_BLOCK], uint8_t opad[HMAC_BLOCK])
{
	uint8_t block[HMAC_BLOCK] = {0};
	if (len > HMAC_BLOCK)
		aws_sha256(key, len, block);
	else if (len > 0)
		memcpy(block, key, len);
	for (int i = 0; i < HMAC_BLOCK; i++) {
		ipad[i] = block[i] ^ 0x36;
		opad[i] = block[i] ^ 0x5c;
	}
	OPENSSL_cleanse(block, sizeof block);
}

void aws_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
		     uint8_t out[AWS_SHA256_LEN])
{
	uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK], ih[AWS_SHA256_LEN];
	unsigned int n = AWS_SHA256_LEN;
	hmac_pads(key, key_len, ipad, opad);
	EVP_MD_CTX *c = sha256_begin();
	int ok = c && EVP_DigestUpdate(c, ipad, sizeof ipad) && EVP_DigestUpdate(c, data, len) &&
		 EVP_DigestFinal_ex(c, ih, &n);
	ok = ok && (c = sha256_begin()) && EVP_DigestUpdate(c, opad, sizeof opad) &&
	     EVP_DigestUpdate(c, ih, sizeof ih) && EVP_DigestFinal_ex(c, out, &n);
	if (!ok)
		HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
	OPENSSL_cleanse(ipad, sizeof ipad);
	OPENSSL_cleanse(opad, sizeof opad);
	OPENSSL_cleanse(ih, sizeof ih);
}

struct aws_hmac_key {
	EVP_MD_CTX *inner;   /* SHA-256 state after absorbing key ^ ipad */
	EVP_MD_CTX *outer;   /* ... and after key ^ opad */
};

aws_hmac_key *aws_hmac_key_new(const void *key, size_t len)
{
	aws_hmac_key *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	const EVP_MD *md = sha256();
	k->inner = EVP_MD_CTX_new();
	k->outer = EVP_MD_CTX_new();
	uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	hmac_pads(key, len, ipad, opad);
	int ok = md && k->inner && k->outer && EVP_DigestInit_ex2(k->inner, md, NULL) &&
		 EVP_DigestUpdate(k->inner, ipad, sizeof ipad) && EVP_DigestInit_ex2(k->outer, md, NULL) &&
		 EVP_DigestUpdate(k->outer, opad, sizeof opad);
	OPENSSL_cleanse(ipad, sizeof ipad);
	OPENSSL_cleanse(opad, sizeof opad);
	if (!ok) {
		aws_hmac_key_free(k);
		return NULL;
	}
	return k;
}

void aws_hmac_key_free(aws_hmac_key *k)
{
	if (!k)
		return;
	EVP_MD_CTX_free(k->inner);   /* cleanses the state */
	EVP_MD_CTX_free(k->outer);
	free(k);
}

int aws_hmac_key_sign(const aws_hmac_key *k, const void *data, size_t len,
		      uint8_t out[AWS_SHA256_LEN])
{
	EVP_MD_CTX *c = scratch_ctx();
	uint8_t ih[AWS_SHA256_LEN];
	unsigned int n = 0;
	int ok = c && EVP_MD_CTX_copy_ex(c, k->inner) && EVP_DigestUpdate(c, data, len) &&
		 EVP_DigestFinal_ex(c, ih, &n) && n == AWS_SHA256_LEN &&
		 EVP_MD_CTX_copy_ex(c, k->outer) && EVP_DigestUpdate(c, ih, sizeof ih) &&
		 EVP_DigestFinal_ex(c, out, &n) && n == AWS_SHA256_LEN;
	OPENSSL_cleanse(ih, sizeof ih);
	if (!ok) {
		memset(out, 0, AWS_SHA256_LEN);
		return -1;
	}
	return 0;
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

/* The one decoder: strict alphabet and padding; canonical = 1 also refuses non-zero unused
 * bits in the last group. out NULL only measures. */
static size_t b64_decode(const char *in, size_t n, uint8_t *out, size_t out_len, int canonical)
{
	if (n % 4)
		return (size_t)-1;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + (size_t)k];
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
		if (canonical && pad == 1 && (v[2] & 3))
			return (size_t)-1;
		if (canonical && pad == 2 && (v[1] & 15))
			return (size_t)-1;
		size_t take = 3 - (size_t)pad;
		if (out) {
			uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
				     (uint32_t)v[2] << 6 | (uint32_t)v[3];
			if (o + take > out_len)
				return (size_t)-1;
			out[o] = (uint8_t)(w >> 16);
			if (take > 1)
				out[o + 1] = (uint8_t)(w >> 8);
			if (take > 2)
				out[o + 2] = (uint8_t)w;
		}
		o += take;
	}
	return o;
}

size_t aws_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_len)
{
	return b64_decode(in, n, out, out_len, 1);
}

size_t aws_base64_decode_lenient(const char *in, size_t n, uint8_t *out, size_t out_len)
{
	return b64_decode(in, n, out, out_len, 0);
}

int aws_random_bytes(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int aws_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* srv_cursor.c — next-page cursors (see srv_cursor.h): LastEvaluatedKey packed as bytes,
 * authenticated with HMAC-SHA-256 over the filter too, in URL-safe base64 without padding
 * so it needs no escaping in a link. Work is bounded by SRV_CURSOR_MAX: no decode step
 * runs on more than that many bytes. */
#include <string.h>
#include <stdlib.h>
#include "srv_cursor.h"
#include "aws_crypto.h"

#define CURSOR_VERSION 0x02   /* 0x01 held the key as JSON text */
#define MAC_LEN AWS_SHA256_LEN

static const char DAMAGED[] =
	"this next-page link is damaged or from an older server — start again from the first page";

static int damaged(aws_error *err, const char *why)
{
	return aws_error_set(err, AWS_ERR_INVALID, "%s (%s)", DAMAGED, why);
}

int srv_cursor_key_random(srv_cursor_key *key, aws_error *err)
{
	if (aws_random_bytes(key->k, sizeof key->k) != 0)
		return aws_error_set(err, AWS_ERR_IO, "no random bytes for the cursor key");
	return 0;
}

/* HMAC over version ‖ be32(len q) ‖ q ‖ payload: the length prefix keeps q and payload apart.
 * Returns 0, or -1 when out of memory (only long filters or keys need the heap). */
static int cursor_mac(const srv_cursor_key *key, const char *q, const uint8_t *payload,
		      size_t payload_len, uint8_t mac[MAC_LEN])
{
	size_t qlen = strlen(q);
	size_t n = 1 + 4 + qlen + payload_len;
	uint8_t stackbuf[1024];
	uint8_t *m = n <= sizeof stackbuf ? stackbuf : malloc(n);
	if (!m)
		return -1;
	m[0] = CURSOR_VERSION;
	m[1] = (uint8_t)(qlen >> 24); m[2] = (uint8_t)(qlen >> 16);
	m[3] = (uint8_t)(qlen >> 8);  m[4] = (uint8_t)qlen;
	memcpy(m + 5, q, qlen);
	memcpy(m + 5 + qlen, payload, payload_len);
	aws_hmac_sha256(key->k, sizeof key->k, m, n, mac);
	if (m != stackbuf)
		free(m);
	return 0;
}

/* The payload: for each key attribute, its name's length (1 byte, 1..255), the name, the
 * type letter (S, N or B), the value's length (2 bytes, big-endian) and the value's bytes as
 * DynamoDB's JSON carries them (B stays base64 text). Sizes follow the key's bytes, not its
 * JSON escaping: a 2048-byte itemID of quotes or control characters makes a 2.8 KiB cursor.
 * Returns the payload length, 0 when last_key is not a key this format holds (err set), or
 * (size_t)-1 when it does not fit in cap. */
static size_t pack_key(const json_t *last_key, uint8_t *p, size_t cap, aws_error *err)
{
	size_t n = 0;
	const char *name;
	json_t *av;
	json_object_foreach((json_t *)last_key, name, av) {
		const char *type = NULL;
		json_t *v = NULL;
		size_t nlen = strlen(name);
		if (json_object_size(av) != 1) {
			aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB returned a LastEvaluatedKey attribute that is not one typed value");
			return 0;
		}
		json_object_foreach(av, type, v) break;
		/* type may be "" (a one-byte string): its length is checked before its letter */
		if (nlen == 0 || nlen > 255 || !type || !json_is_string(v) || strlen(type) != 1 ||
		    (type[0] != 'S' && type[0] != 'N' && type[0] != 'B')) {
			aws_error_set(err, AWS_ERR_PROTOCOL,
				      "DynamoDB returned a LastEvaluatedKey this server cannot page with (key attributes are S, N or B with names of 1-255 bytes)");
			return 0;
		}
		size_t vlen = json_string_length(v);
		if (vlen > 0xffff || n + 1 + nlen + 3 + vlen > cap)
			return (size_t)-1;
		p[n++] = (uint8_t)nlen;
		memcpy(p + n, name, nlen);
		n += nlen;
		p[n++] = (uint8_t)type[0];
		p[n++] = (uint8_t)(vlen >> 8);
		p[n++] = (uint8_t)vlen;
		memcpy(p + n, json_string_value(v), vlen);
		n += vlen;
	}
	if (n == 0)
		aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB returned an empty LastEvaluatedKey");
	return n;
}

/* The key object packed by pack_key, or NULL when p is not such a payload. */
static json_t *unpack_key(const uint8_t *p, size_t len)
{
	json_t *k = json_object();
	size_t i = 0;
	while (k && i < len) {
		size_t nlen = p[i++];
		if (nlen == 0 || len - i < nlen + 3)
			goto bad;
		char name[256];
		memcpy(name, p + i, nlen);
		name[nlen] = '\0';
		i += nlen;
		char type[2] = {(char)p[i], '\0'};
		size_t vlen = (size_t)p[i + 1] << 8 | p[i + 2];
		i += 3;
		if ((type[0] != 'S' && type[0] != 'N' && type[0] != 'B') || len - i < vlen ||
		    memchr(name, '\0', nlen) || json_object_get(k, name))
			goto bad;
		json_t *v = json_stringn((const char *)p + i, vlen);   /* NULL unless valid UTF-8 */
		json_t *av = v ? json_object() : NULL;
		if (!av || json_object_set_new(av, type, v) != 0 || json_object_set_new(k, name, av) != 0) {
			if (!av)
				json_decref(v);
			goto bad;
		}
		i += vlen;
	}
	if (k && json_object_size(k) > 0)
		return k;
bad:
	json_decref(k);
	return NULL;
}

int srv_cursor_encode(const srv_cursor_key *key, const json_t *last_key, const char *q,
		      aws_buf *out, aws_error *err)
{
	if (!q)
		q = "";
	if (!json_is_object(last_key))
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "DynamoDB returned a LastEvaluatedKey that is not an object");
	/* raw (version ‖ payload ‖ MAC) must encode to at most SRV_CURSOR_MAX characters. */
	uint8_t raw[SRV_CURSOR_MAX / 4 * 3];
	char b64[SRV_CURSOR_MAX + 4];
	size_t plen = pack_key(last_key, raw + 1, sizeof raw - 1 - MAC_LEN, err);
	if (plen == 0)
		return -1;
	if (plen == (size_t)-1)
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "the table's key is too large for a next-page link (over %d characters)",
				     SRV_CURSOR_MAX);
	raw[0] = CURSOR_VERSION;
	if (cursor_mac(key, q, raw + 1, plen, raw + 1 + plen) != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory making a next-page link");
	size_t n = aws_base64_encode(raw, 1 + plen + MAC_LEN, b64, sizeof b64);
	if (n == 0)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "next-page link does not fit");
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (size_t i = 0; i < n; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	}
	if (aws_buf_append(out, b64, n) != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory making a next-page link");
	return 0;
}

int srv_cursor_decode(const srv_cursor_key *key, const char *cursor, const char *q,
		      json_t **last_key, aws_error *err)
{
	*last_key = NULL;
	if (!q)
		q = "";
	if (!cursor || !*cursor)
		return damaged(err, "empty");
	size_t n = strnlen(cursor, SRV_CURSOR_MAX + 1);
	if (n > SRV_CURSOR_MAX)
		return damaged(err, "too long");
	if (n % 4 == 1)
		return damaged(err, "bad length");
	char b64[SRV_CURSOR_MAX + 4];
	for (size_t i = 0; i < n; i++) {
		char c = cursor[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return damaged(err, "not base64url");
		b64[i] = c;
	}
	while (n % 4)
		b64[n++] = '=';
	uint8_t raw[SRV_CURSOR_MAX];
	size_t raw_len = aws_base64_decode(b64, n, raw, sizeof raw);
	if (raw_len == (size_t)-1)
		return damaged(err, "not base64url");
	if (raw_len < 1 + 2 + MAC_LEN)
		return damaged(err, "too short");
	if (raw[0] != CURSOR_VERSION)
		return damaged(err, "unknown version");
	size_t plen = raw_len - 1 - MAC_LEN;
	uint8_t mac[MAC_LEN];
	if (cursor_mac(key, q, raw + 1, plen, mac) != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory checking a next-page link");
	if (!aws_ct_equal(mac, raw + 1 + plen, MAC_LEN))
		return damaged(err, "signature does not match this server or filter");
	json_t *k = unpack_key(raw + 1, plen);
	if (!k)
		return damaged(err, "no key inside");
	*last_key = k;
	return 0;
}

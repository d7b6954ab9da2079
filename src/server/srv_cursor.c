/* srv_cursor.c — next-page cursors (see srv_cursor.h): LastEvaluatedKey as compact JSON,
 * authenticated with HMAC-SHA-256 over the filter too, in URL-safe base64 without padding
 * so it needs no escaping in a link. Work is bounded by SRV_CURSOR_MAX: no decode step
 * runs on more than that many bytes. */
#include <string.h>
#include <stdlib.h>
#include "srv_cursor.h"
#include "aws_crypto.h"

#define CURSOR_VERSION 0x01
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

/* HMAC over version ‖ be32(len q) ‖ q ‖ json: the length prefix keeps q and json apart.
 * Returns 0, or -1 when out of memory (only long filters or keys need the heap). */
static int cursor_mac(const srv_cursor_key *key, const char *q, const uint8_t *json,
		      size_t json_len, uint8_t mac[MAC_LEN])
{
	size_t qlen = strlen(q);
	size_t n = 1 + 4 + qlen + json_len;
	uint8_t stackbuf[1024];
	uint8_t *m = n <= sizeof stackbuf ? stackbuf : malloc(n);
	if (!m)
		return -1;
	m[0] = CURSOR_VERSION;
	m[1] = (uint8_t)(qlen >> 24); m[2] = (uint8_t)(qlen >> 16);
	m[3] = (uint8_t)(qlen >> 8);  m[4] = (uint8_t)qlen;
	memcpy(m + 5, q, qlen);
	memcpy(m + 5 + qlen, json, json_len);
	aws_hmac_sha256(key->k, sizeof key->k, m, n, mac);
	if (m != stackbuf)
		free(m);
	return 0;
}

int srv_cursor_encode(const srv_cursor_key *key, const json_t *last_key, const char *q,
		      aws_buf *out, aws_error *err)
{
	if (!q)
		q = "";
	if (!json_is_object(last_key))
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "DynamoDB returned a LastEvaluatedKey that is not an object");
	char *json = json_dumps(last_key, JSON_COMPACT | JSON_SORT_KEYS);
	if (!json)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory making a next-page link");
	size_t jlen = strlen(json);
	size_t raw_len = 1 + jlen + MAC_LEN;
	size_t b64_len = 4 * ((raw_len + 2) / 3);
	if (b64_len > SRV_CURSOR_MAX) {
		free(json);
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "the table's key is too large for a next-page link (%zu bytes)",
				     jlen);
	}
	uint8_t raw[1 + SRV_CURSOR_MAX];   /* raw_len <= b64_len * 3/4 < SRV_CURSOR_MAX */
	char b64[SRV_CURSOR_MAX + 1];
	raw[0] = CURSOR_VERSION;
	memcpy(raw + 1, json, jlen);
	int mac_rc = cursor_mac(key, q, raw + 1, jlen, raw + 1 + jlen);
	free(json);
	if (mac_rc != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory making a next-page link");
	size_t n = aws_base64_encode(raw, raw_len, b64, sizeof b64);
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
	size_t jlen = raw_len - 1 - MAC_LEN;
	uint8_t mac[MAC_LEN];
	if (cursor_mac(key, q, raw + 1, jlen, mac) != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory checking a next-page link");
	if (!aws_ct_equal(mac, raw + 1 + jlen, MAC_LEN))
		return damaged(err, "signature does not match this server or filter");
	json_error_t jerr;
	json_t *k = json_loadb((const char *)raw + 1, jlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(k) || json_object_size(k) == 0) {
		json_decref(k);
		return damaged(err, "no key inside");
	}
	*last_key = k;
	return 0;
}

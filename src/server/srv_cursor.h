/* srv_cursor.h — opaque "next page" cursors: a Scan's LastEvaluatedKey, MAC'd, base64url.
 *
 * A cursor is base64url (no padding) of: version byte 0x02 ‖ the LastEvaluatedKey packed
 * as bytes (per attribute: name length, name, type letter S/N/B, 2-byte value length, value)
 * ‖ HMAC-SHA-256(key, version ‖ len(q) as 4 bytes big-endian ‖ q ‖ payload). Packed rather
 * than JSON so its length follows the key's bytes, never its escaping: any itemID of up to
 * DynamoDB's 2048 bytes gives a cursor under 2.9 KiB, which fits the default 8 KiB request.
 * The MAC binds the cursor to the filter q, so a cursor cannot be forged, edited or replayed
 * with another filter. The key is random per process (or from configuration), so cursors
 * from an older server are refused like damaged ones: the person starts from page one.
 */
#ifndef SRV_CURSOR_H
#define SRV_CURSOR_H

#include <stdint.h>
#include <jansson.h>
#include "aws_buf.h"
#include "aws_error.h"

/* Longest cursor accepted or produced, in characters. DynamoDB's largest keys (2048-byte
 * partition + 1024-byte sort key, B values as base64, 255-byte names) pack to 6.2 KiB. */
#define SRV_CURSOR_MAX 6400

typedef struct srv_cursor_key { uint8_t k[32]; } srv_cursor_key;

/* Fills key with random bytes. Returns 0, or -1 (AWS_ERR_IO) when no randomness. */
int srv_cursor_key_random(srv_cursor_key *key, aws_error *err);

/* Appends the cursor for last_key (a DynamoDB key object, borrowed) and filter q (NULL is
 * the same as "") to out, NUL-terminated. Returns 0; -1 with AWS_ERR_PROTOCOL when the key
 * would make a cursor longer than SRV_CURSOR_MAX, AWS_ERR_NOMEM when out is full. */
int srv_cursor_encode(const srv_cursor_key *key, const json_t *last_key, const char *q,
		      aws_buf *out, aws_error *err);

/* Checks and opens cursor (NUL-terminated) made with the same key and q. On success
 * *last_key is the key object (owned by the caller: json_decref). Any failure — too long,
 * bad base64, wrong version, bad MAC (tampered, other key, other q), malformed key — is -1 with
 * AWS_ERR_INVALID and a message for a person: "this next-page link is damaged or from an
 * older server — start again from the first page"; the server answers 400. */
int srv_cursor_decode(const srv_cursor_key *key, const char *cursor, const char *q,
		      json_t **last_key, aws_error *err);

#endif

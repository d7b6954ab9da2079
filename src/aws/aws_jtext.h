/* aws_jtext.h — JSON and text at the byte level: UTF-8 decoding and encoding, the HTML,
 * JSON-string and URL escapers, and a walker over checked JSON text that reads values in
 * place, without building a tree.
 *
 * The walker is for text the aws_json scanner has already checked (aws_ddb_scan_text hands
 * out items as slices of DynamoDB's response): parsing each page again into jansson trees
 * cost more CPU than the Scan round trip left for everything else. It still trusts nothing:
 * every step stays inside the span it is given and anything that is not what it expects is
 * an error (-1), never a read past the end.
 *
 * Ownership: aws_jtext_val and aws_jtext_iter point into the caller's text and own nothing.
 * The escapers append to an aws_buf and return 0, or -1 when it is full (its limit) or out
 * of memory; the buffer is then partly written and should be reset by the caller.
 */
#ifndef AWS_JTEXT_H
#define AWS_JTEXT_H

#include <stddef.h>
#include <stdint.h>
#include "aws_buf.h"

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n) (n > 0): its length with *cp set, or 0 when the
 * bytes are not valid UTF-8 (RFC 3629: overlong, surrogate, above U+10FFFF, truncated). */
size_t aws_jtext_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes code point cp (at most U+10FFFF) as UTF-8 into o (room for 4): its length. */
size_t aws_jtext_utf8_put(char *o, uint32_t cp);

/* ---- escapers ------------------------------------------------------------------------- */

/* HTML text or attribute value: & < > " ' as entities; control characters, C1 controls,
 * bidi controls, U+2028/2029 and U+FEFF as visible \n \t \r \xNN \uNNNN; invalid UTF-8 as
 * U+FFFD. AWS_JTEXT_MARK wraps each visible stand-in in <span class="esc"> (table cells). */
#define AWS_JTEXT_MARK 1
int aws_jtext_html_escape(aws_buf *out, const char *s, size_t n, int flags);

/* JSON string contents (no quotes added): " \ and control characters escaped, U+2028/2029
 * (JavaScript line breaks) as \uXXXX, invalid UTF-8 as \ufffd. AWS_JTEXT_HTML_SAFE also
 * escapes < > & so the JSON can sit in or be sniffed as HTML. */
#define AWS_JTEXT_HTML_SAFE 2
int aws_jtext_json_escape(aws_buf *out, const char *s, size_t n, int flags);

/* URL query component: RFC 3986 unreserved characters kept, every other byte as %XX. */
int aws_jtext_url_escape(aws_buf *out, const char *s);
/* The same for the n bytes at s (NUL bytes included, as %00). */
int aws_jtext_url_escape_n(aws_buf *out, const char *s, size_t n);

/* ---- walking checked JSON text -------------------------------------------------------- */

/* One JSON value: its whole text (a string includes its quotes). */
typedef struct aws_jtext_val {
	const char *p;
	size_t n;
} aws_jtext_val;

/* A position inside an object or array being walked. */
typedef struct aws_jtext_iter {
	const char *p, *end;       /* end: the closing bracket */
	int first;
} aws_jtext_iter;

/* The kind of v by its first byte: '{', '[', '"', 't', 'f', 'n' (null) or '0' (a number);
 * 0 when v is empty or starts with anything else. */
int aws_jtext_kind(aws_jtext_val v);

/* Starts walking v's members (open '{') or elements (open '['): 0, or -1 when v is not
 * that kind of container. */
int aws_jtext_iter_init(aws_jtext_iter *it, aws_jtext_val v, char open);

/* The next member of an object: 1 with *name (the member name as a string value, quotes
 * included) and *val; 0 after the last; -1 when the text is malformed. */
int aws_jtext_member(aws_jtext_iter *it, aws_jtext_val *name, aws_jtext_val *val);

/* The next element of an array: 1 with *val; 0 after the last; -1 when malformed. */
int aws_jtext_elem(aws_jtext_iter *it, aws_jtext_val *val);

/* The bytes string value s stands for. Without escapes *out points into s's text (no
 * copy); with escapes they are decoded into scratch (reset first, so the previous result
 * from the same scratch is gone) and *out points there. \u escapes become UTF-8 (a lone
 * surrogate becomes U+FFFD); \u0000 becomes a NUL byte, so use *len, not strlen.
 * -1 when s is not a string value or scratch cannot grow. */
int aws_jtext_str(aws_jtext_val s, aws_buf *scratch, const char **out, size_t *len);

/* Decodes the text between a JSON string's quotes, p[0..n), into out (room for n bytes:
 * decoding never makes text longer — \uXXXX is at most 3 bytes of UTF-8, a surrogate pair
 * 4, every other escape 1). 0 with *len, -1 on a malformed escape. */
int aws_jtext_unescape(const char *p, size_t n, char *out, size_t *len);

/* 1 when string value s (quotes included) has no escapes: its bytes are its text. */
int aws_jtext_str_is_plain(aws_jtext_val s);

#endif

/* aws_json.h — the AWS library's one JSON well-formedness scanner: checks response text in
 * one pass without building a tree, for aws_client (is a 2xx body one JSON object?) and
 * aws_ddb (a Scan page read in place, items left as slices of the text).
 *
 * The rules are jansson's (RFC 8259) so a text this scanner accepts is one jansson reads:
 * strings are valid UTF-8 (RFC 3629: no overlongs, no encoded surrogates, at most
 * U+10FFFF), \u escapes pair their surrogates, no control characters in strings, numbers
 * by the JSON grammar (no leading zeros, no '+', digits after '.' and 'e'), an object never
 * names a member twice (as jansson's JSON_REJECT_DUPLICATES; escaped names compared
 * decoded), and containers nest at most AWS_JSON_MAX_DEPTH deep. \u0000 is accepted
 * (jansson's JSON_ALLOW_NUL).
 *
 * Ownership: the scanner reads the caller's text and never writes or keeps it; names and
 * positions it reports point into that text. Failures are values: a static reason (why)
 * and the byte offset where the text stops being JSON; a text that ends early always says
 * "truncated".
 */
#ifndef AWS_JSON_H
#define AWS_JSON_H

#include <stddef.h>

/* 32 levels of DynamoDB M/L take two JSON levels each, plus the envelope: 128 is ample for
 * every AWS response and bounds the recursion. */
#define AWS_JSON_MAX_DEPTH 128
#define AWS_JSON_INLINE_NAMES 32

/* A member name as written between its quotes (escapes not decoded). */
typedef struct aws_json_name {
	const unsigned char *p;
	size_t n;
	int esc;                     /* contains a backslash escape */
} aws_json_name;

/* A position in a text being scanned. Set up with aws_json_lex_init, release with
 * aws_json_lex_free; do not copy it (names may point into inline_names). The steps below
 * move p forward; after a failure p is where the text went wrong and why says how. */
typedef struct aws_json_lex {
	const unsigned char *base, *p, *end;
	int ws;                      /* set when whitespace outside strings was skipped; the
				        caller clears it (aws_ddb: does an item need compacting) */
	const char *why;             /* the first failure's reason (static text); NULL if none */
	aws_json_name *names;        /* names of the objects being read, innermost last */
	size_t nnames, names_cap;
	aws_json_name inline_names[AWS_JSON_INLINE_NAMES];  /* so small objects allocate nothing */
} aws_json_lex;

void aws_json_lex_init(aws_json_lex *l, const char *text, size_t len);
void aws_json_lex_free(aws_json_lex *l);

/* Byte offset of the current position from the start of the text. */
size_t aws_json_offset(const aws_json_lex *l);

/* Records a failure at the current position (the first one wins) and returns -1. At the
 * end of the text the reason is "unexpected end of the body (truncated?)" instead. */
int aws_json_fail(aws_json_lex *l, const char *why);

/* Skips whitespace (space, tab, CR, LF), setting l->ws when there was some. */
void aws_json_ws(aws_json_lex *l);

/* At '"': one string, checked; on success p is just past its closing quote. */
int aws_json_string(aws_json_lex *l);

/* At a value (whitespace before it is skipped): one value of any type, checked, with
 * member names unique in every object in it. depth is the number of containers the value
 * is already inside (0 for a whole document). */
int aws_json_value(aws_json_lex *l, int depth);

/* Inside an object, at a member: reads "name" ':' and the whitespace around it, and
 * records the name (for aws_json_names_end). *name and *len (may be NULL) get the name's text
 * between its quotes. */
int aws_json_member(aws_json_lex *l, const unsigned char **name, size_t *len);

/* Closes an object whose members were read with aws_json_member: fails ("a member name
 * given twice") when two of the names recorded since l->nnames was mark are equal once
 * decoded, and forgets them. Allocates only for objects with escaped names or more than 16
 * names (a sorted copy). */
int aws_json_names_end(aws_json_lex *l, size_t mark);

/* The whole-body check: 0 when text is exactly one JSON object (whitespace around it
 * allowed); else -1 with *why (static text: "empty body", "not a JSON object", "text after
 * the JSON object", or the scanner's reason) and *at (byte offset of the problem).
 * Allocates only for objects with more than AWS_JSON_INLINE_NAMES names open at once or
 * large ones with escaped names. */
int aws_json_check(const char *text, size_t len, const char **why, size_t *at);

#endif

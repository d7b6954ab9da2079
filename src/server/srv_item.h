/* srv_item.h — reading items straight from their JSON text, without building a tree.
 *
 * A page's items come from aws_ddb_scan_text as slices of DynamoDB's response, each already
 * checked to be well-formed JSON by the aws_json scanner; parsing them again into jansson
 * trees cost more CPU than the Scan round trip left for everything else. This module walks
 * such text in place: members of an object, elements of an array, strings decoded only when
 * they hold escapes. It still trusts nothing: every step stays inside the span it is given
 * and anything that is not what it expects is an error (-1), never a read past the end.
 *
 * Ownership: srv_jv and srv_jit point into the caller's text and own nothing.
 */
#ifndef SRV_ITEM_H
#define SRV_ITEM_H

#include <stddef.h>
#include "aws_buf.h"

/* One JSON value: its whole text (a string includes its quotes). */
typedef struct srv_jv {
	const char *p;
	size_t n;
} srv_jv;

/* A position inside an object or array being walked. */
typedef struct srv_jit {
	const char *p, *end;       /* end: the closing bracket */
	int first;
} srv_jit;

/* The kind of v by its first byte: '{', '[', '"', 't', 'f', 'n' (null) or '0' (a number);
 * 0 when v is empty or starts with anything else. */
int srv_jv_kind(srv_jv v);

/* Starts walking v's members (open '{') or elements (open '['): 0, or -1 when v is not
 * that kind of container. */
int srv_jit_init(srv_jit *it, srv_jv v, char open);

/* The next member of an object: 1 with *name (the member name as a string value, quotes
 * included) and *val; 0 after the last; -1 when the text is malformed. */
int srv_jit_member(srv_jit *it, srv_jv *name, srv_jv *val);

/* The next element of an array: 1 with *val; 0 after the last; -1 when malformed. */
int srv_jit_elem(srv_jit *it, srv_jv *val);

/* The bytes string value s stands for. Without escapes *out points into s's text (no
 * copy); with escapes they are decoded into scratch (reset first, so the previous result
 * from the same scratch is gone) and *out points there. \u escapes become UTF-8 (a lone
 * surrogate becomes U+FFFD); \u0000 becomes a NUL byte, so use *len, not strlen.
 * -1 when s is not a string value or scratch cannot grow. */
int srv_jstr(srv_jv s, aws_buf *scratch, const char **out, size_t *len);

/* 1 when string value s (quotes included) has no escapes: its bytes are its text. */
int srv_jstr_is_plain(srv_jv s);

#endif

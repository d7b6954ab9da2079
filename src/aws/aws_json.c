/* aws_json.c — one-pass JSON well-formedness scanner (see aws_json.h), shared by the
 * client's 2xx-body check and DynamoDB's in-place Scan reader. Strings are scanned a run of
 * plain ASCII at a time; only escapes, UTF-8 sequences and member names get a closer look,
 * which keeps the check cheap next to the transfer it follows.
 */
#include "aws_json.h"

#include <stdlib.h>
#include <string.h>

#include "aws_buf.h"
#include "aws_jtext.h"

void aws_json_lex_init(aws_json_lex *l, const char *text, size_t len)
{
	l->base = (const unsigned char *)(text ? text : "");
	l->p = l->base;
	l->end = l->base + (text ? len : 0);
	l->ws = 0;
	l->why = NULL;
	l->names = l->inline_names;
	l->nnames = 0;
	l->names_cap = AWS_JSON_INLINE_NAMES;
}

void aws_json_lex_free(aws_json_lex *l)
{
	if (l->names != l->inline_names)
		free(l->names);
	l->names = l->inline_names;
	l->nnames = 0;
	l->names_cap = AWS_JSON_INLINE_NAMES;
}

size_t aws_json_offset(const aws_json_lex *l)
{
	return (size_t)(l->p - l->base);
}

int aws_json_fail(aws_json_lex *l, const char *why)
{
	if (!l->why)
		l->why = l->p >= l->end ? "unexpected end of the body (truncated?)" : why;
	return -1;
}

/* A failure that is about what was read, not what follows: never reported as a
 * truncation, even when the text ends right after (a repeated name, out of memory). */
static int json_fail_read(aws_json_lex *l, const char *why)
{
	if (!l->why)
		l->why = why;
	return -1;
}

/* Whitespace is skipped between every two tokens: kept inline in this file's loops. */
static inline void json_ws(aws_json_lex *l)
{
	const unsigned char *b = l->p;
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\n' || *l->p == '\r' || *l->p == '\t'))
		l->p++;
	if (l->p != b)
		l->ws = 1;
}

void aws_json_ws(aws_json_lex *l)
{
	json_ws(l);
}

/* Four hex digits at p; on failure p is at the bad digit (or the end). */
static int json_hex4(aws_json_lex *l, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++, l->p++) {
		if (l->p >= l->end)
			return aws_json_fail(l, "");
		unsigned char x = *l->p;
		int v = x >= '0' && x <= '9' ? x - '0' : x >= 'a' && x <= 'f' ? x - 'a' + 10 :
			x >= 'A' && x <= 'F' ? x - 'A' + 10 : -1;
		if (v < 0)
			return aws_json_fail(l, "bad \\u escape");
		*u = *u << 4 | (unsigned)v;
	}
	return 0;
}

int aws_json_string(aws_json_lex *l)
{
	const unsigned char *p = l->p + 1, *end = l->end;
	for (;;) {
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end) {
			l->p = p;
			return aws_json_fail(l, "");
		}
		unsigned char ch = *p;
		if (ch == '"') {
			l->p = p + 1;
			return 0;
		}
		if (ch < 0x20) {
			l->p = p;
			return aws_json_fail(l, "control character inside a string");
		}
		if (ch == '\\') {
			l->p = p + 1;
			if (l->p >= end)
				return aws_json_fail(l, "");
			ch = *l->p;
			if (ch != 'u') {
				if (ch == 0 || !strchr("\"\\/bfnrt", ch))
					return aws_json_fail(l, "bad escape in a string");
				p += 2;
				continue;
			}
			l->p++;
			unsigned u;
			if (json_hex4(l, &u) < 0)
				return -1;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return aws_json_fail(l, "lone low surrogate in a \\u escape");
			if (u >= 0xD800 && u <= 0xDBFF) {
				unsigned lo;
				if (l->p >= end || *l->p != '\\' || l->p + 1 >= end || l->p[1] != 'u')
					return aws_json_fail(l, "unpaired surrogate in a \\u escape");
				l->p += 2;
				if (json_hex4(l, &lo) < 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return aws_json_fail(l, "unpaired surrogate in a \\u escape");
			}
			p = l->p;
			continue;
		}
		/* UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most U+10FFFF) */
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF;
		if (ch >= 0xC2 && ch <= 0xDF) {
			n = 1;
		} else if (ch >= 0xE0 && ch <= 0xEF) {
			n = 2;
			if (ch == 0xE0)
				lo = 0xA0;
			else if (ch == 0xED)
				hi = 0x9F;
		} else if (ch >= 0xF0 && ch <= 0xF4) {
			n = 3;
			if (ch == 0xF0)
				lo = 0x90;
			else if (ch == 0xF4)
				hi = 0x8F;
		} else {
			l->p = p;
			return aws_json_fail(l, "invalid UTF-8 in a string");
		}
		l->p = p;
		if ((size_t)(end - p) <= n) {
			l->p = end;
			return aws_json_fail(l, "");
		}
		if (p[1] < lo || p[1] > hi)
			return aws_json_fail(l, "invalid UTF-8 in a string");
		for (size_t k = 2; k <= n; k++)
			if (p[k] < 0x80 || p[k] > 0xBF)
				return aws_json_fail(l, "invalid UTF-8 in a string");
		p += n + 1;
	}
}

static int json_number(aws_json_lex *l)
{
	const unsigned char *p = l->p, *end = l->end;
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (p < end && *p == '.') {
		const unsigned char *d = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const unsigned char *d = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	l->p = p;
	return 0;
bad:
	l->p = p;
	return aws_json_fail(l, "bad number");
}

/* ---- member names: recorded per open object, checked for repeats when it closes. */

/* Decodes a checked string body (escapes included) into out (room for n bytes: decoding
 * never grows). Returns the decoded length. */
static size_t json_unescape(const unsigned char *p, size_t n, unsigned char *out)
{
	size_t len = 0;
	(void)aws_jtext_unescape((const char *)p, n, (char *)out, &len);   /* checked: cannot fail */
	return len;
}

/* A name with its escapes decoded (text points into the body, or to buf). */
typedef struct json_plain {
	const unsigned char *p;
	size_t n;
	unsigned char *buf;   /* owned when the name had escapes */
} json_plain;

static int json_plain_cmp(const void *a, const void *b)
{
	const json_plain *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

int aws_json_names_end(aws_json_lex *l, size_t mark)
{
	size_t k = l->nnames - mark;
	int rc = 0;
	if (k < 2)
		goto done;
	const aws_json_name *nm = l->names + mark;
	int plain_only = 1;
	for (size_t i = 0; i < k; i++)
		plain_only &= !nm[i].esc;
	if (plain_only && k <= 16) {   /* the common case: a few plain names */
		for (size_t i = 1; i < k; i++)
			for (size_t j = 0; j < i; j++)
				if (nm[i].n == nm[j].n && memcmp(nm[i].p, nm[j].p, nm[i].n) == 0) {
					rc = json_fail_read(l, "a member name given twice");
					goto done;
				}
		goto done;
	}
	json_plain *v = calloc(k, sizeof *v);
	rc = v ? 0 : json_fail_read(l, "out of memory");
	for (size_t i = 0; rc == 0 && i < k; i++) {
		v[i].p = nm[i].p;
		v[i].n = nm[i].n;
		if (!nm[i].esc)
			continue;
		if (!(v[i].buf = malloc(nm[i].n + 1))) {
			rc = json_fail_read(l, "out of memory");
			break;
		}
		v[i].n = json_unescape(nm[i].p, nm[i].n, v[i].buf);
		v[i].p = v[i].buf;
	}
	if (rc == 0) {
		qsort(v, k, sizeof *v, json_plain_cmp);
		for (size_t i = 1; rc == 0 && i < k; i++)
			if (json_plain_cmp(&v[i - 1], &v[i]) == 0)
				rc = json_fail_read(l, "a member name given twice");
	}
	for (size_t i = 0; v && i < k; i++)
		free(v[i].buf);
	free(v);
done:
	l->nnames = mark;
	return rc;
}

static int json_push_name(aws_json_lex *l, const unsigned char *p, size_t n)
{
	if (l->nnames == l->names_cap) {
		if (l->names == l->inline_names) {
			aws_json_name *heap = malloc(2 * l->names_cap * sizeof *heap);
			if (!heap)
				return json_fail_read(l, "out of memory");
			memcpy(heap, l->inline_names, l->nnames * sizeof *heap);
			l->names = heap;
			l->names_cap *= 2;
		} else if (aws_buf_array_grow(&l->names, &l->names_cap, sizeof *l->names,
					      AWS_JSON_INLINE_NAMES) < 0) {
			return json_fail_read(l, "out of memory");
		}
	}
	l->names[l->nnames++] = (aws_json_name){p, n, memchr(p, '\\', n) != NULL};
	return 0;
}

static inline int json_member(aws_json_lex *l, const unsigned char **name, size_t *len)
{
	json_ws(l);
	if (l->p >= l->end || *l->p != '"')
		return aws_json_fail(l, "expected a member name");
	const unsigned char *b = l->p + 1;
	if (aws_json_string(l) < 0)
		return -1;
	size_t n = (size_t)(l->p - 1 - b);
	if (json_push_name(l, b, n) < 0)
		return -1;
	json_ws(l);
	if (l->p >= l->end || *l->p != ':')
		return aws_json_fail(l, "expected ':'");
	l->p++;
	json_ws(l);
	if (name)
		*name = b;
	if (len)
		*len = n;
	return 0;
}

int aws_json_member(aws_json_lex *l, const unsigned char **name, size_t *len)
{
	return json_member(l, name, len);
}

int aws_json_value(aws_json_lex *l, int depth)
{
	json_ws(l);
	if (l->p >= l->end)
		return aws_json_fail(l, "");
	unsigned char ch = *l->p;
	if (ch == '"')
		return aws_json_string(l);
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return json_number(l);
	if (ch == '{' || ch == '[') {
		if (depth >= AWS_JSON_MAX_DEPTH)
			return aws_json_fail(l, "nested too deeply");
		unsigned char close = ch == '{' ? '}' : ']';
		l->p++;
		json_ws(l);
		if (l->p < l->end && *l->p == close) {
			l->p++;
			return 0;
		}
		size_t mark = l->nnames;
		for (;;) {
			if (ch == '{' && json_member(l, NULL, NULL) < 0)
				return -1;
			if (aws_json_value(l, depth + 1) < 0)
				return -1;
			json_ws(l);
			if (l->p >= l->end)
				return aws_json_fail(l, "");
			if (*l->p == ',') {
				l->p++;
				continue;
			}
			if (*l->p == close) {
				l->p++;
				return ch == '{' ? aws_json_names_end(l, mark) : 0;
			}
			return aws_json_fail(l, "expected ',' or a closing bracket");
		}
	}
	static const char *const lits[] = {"true", "false", "null"};
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(l->end - l->p) >= n && memcmp(l->p, lits[i], n) == 0) {
			l->p += n;
			return 0;
		}
	}
	/* a literal cut short by the end of the body is a truncation, not a bad character */
	for (size_t i = 0; i < 3; i++)
		if ((size_t)(l->end - l->p) < strlen(lits[i]) &&
		    memcmp(l->p, lits[i], (size_t)(l->end - l->p)) == 0) {
			l->p = l->end;
			return aws_json_fail(l, "");
		}
	return aws_json_fail(l, "unexpected character");
}

int aws_json_check(const char *text, size_t len, const char **why, size_t *at)
{
	aws_json_lex l;
	aws_json_lex_init(&l, text, len);
	json_ws(&l);
	int rc = -1;
	if (l.p >= l.end) {
		l.why = "empty body";
		l.p = l.base;
	} else if (*l.p != '{') {
		l.why = "not a JSON object";
	} else if (aws_json_value(&l, 0) == 0) {
		json_ws(&l);
		if (l.p == l.end)
			rc = 0;
		else
			l.why = "text after the JSON object";
	}
	if (rc < 0) {
		*why = l.why ? l.why : "malformed";
		*at = aws_json_offset(&l);
	}
	aws_json_lex_free(&l);
	return rc;
}

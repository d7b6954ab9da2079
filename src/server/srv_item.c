/* srv_item.c — walking checked JSON text in place (see srv_item.h).
 *
 * Values are found by skipping: a string to its unescaped closing quote, a container to
 * its matching bracket (brackets inside strings skipped with the strings), a number or
 * literal to the next delimiter. The text was checked by the aws_json scanner, so this is
 * one pass with no validation beyond staying in bounds and in shape.
 */
#include <stdint.h>
#include <string.h>
#include "srv_item.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* p at a value: just past it, or NULL when it does not end inside [p, end). */
static const char *skip_value(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p == '{' || *p == '[') {
		size_t depth = 0;
		while (p < end) {
			char c = *p;
			if (c == '"') {
				p = skip_string(p, end);
				if (!p)
					return NULL;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	const char *b = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\n' && *p != '\r' && *p != ':')
		p++;
	return p > b ? p : NULL;
}

int srv_jv_kind(srv_jv v)
{
	if (!v.p || v.n == 0)
		return 0;
	char c = v.p[0];
	if (c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n')
		return c;
	if (c == '-' || (c >= '0' && c <= '9'))
		return '0';
	return 0;
}

int srv_jit_init(srv_jit *it, srv_jv v, char open)
{
	char close = open == '{' ? '}' : ']';
	if (!v.p || v.n < 2 || v.p[0] != open || v.p[v.n - 1] != close)
		return -1;
	it->p = v.p + 1;
	it->end = v.p + v.n - 1;
	it->first = 1;
	return 0;
}

/* Moves past the separator before the next entry: 1 when there is one, 0 at the end. */
static int next_entry(srv_jit *it)
{
	it->p = skip_ws(it->p, it->end);
	if (it->p >= it->end)
		return 0;
	if (!it->first) {
		if (*it->p != ',')
			return -1;
		it->p = skip_ws(it->p + 1, it->end);
		if (it->p >= it->end)
			return -1;
	}
	it->first = 0;
	return 1;
}

static int take_value(srv_jit *it, srv_jv *val)
{
	const char *e = skip_value(it->p, it->end);
	if (!e)
		return -1;
	*val = (srv_jv){it->p, (size_t)(e - it->p)};
	it->p = e;
	return 1;
}

int srv_jit_member(srv_jit *it, srv_jv *name, srv_jv *val)
{
	int r = next_entry(it);
	if (r <= 0)
		return r;
	if (*it->p != '"')
		return -1;
	const char *e = skip_string(it->p, it->end);
	if (!e)
		return -1;
	*name = (srv_jv){it->p, (size_t)(e - it->p)};
	it->p = skip_ws(e, it->end);
	if (it->p >= it->end || *it->p != ':')
		return -1;
	it->p = skip_ws(it->p + 1, it->end);
	return take_value(it, val);
}

int srv_jit_elem(srv_jit *it, srv_jv *val)
{
	int r = next_entry(it);
	if (r <= 0)
		return r;
	return take_value(it, val);
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		uint32_t d = c >= '0' && c <= '9' ? (uint32_t)(c - '0')
			     : c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (uint32_t)(c - 'A' + 10)
						    : 16;
		if (d == 16)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int srv_jstr(srv_jv s, aws_buf *scratch, const char **out, size_t *len)
{
	if (!s.p || s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return -1;
	const char *p = s.p + 1, *end = s.p + s.n - 1;
	if (!memchr(p, '\\', (size_t)(end - p))) {
		*out = p;
		*len = (size_t)(end - p);
		return 0;
	}
	/* Decoding never makes text longer: \uXXXX (6 bytes) is at most 3 bytes of UTF-8, a
	 * surrogate pair (12) 4, every other escape 2 → 1. */
	aws_buf_reset(scratch);
	if (aws_buf_reserve(scratch, (size_t)(end - p)) < 0)   /* + its NUL */
		return -1;
	char *o = scratch->data;
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t run = bs ? (size_t)(bs - p) : (size_t)(end - p);
		memcpy(o, p, run);
		o += run;
		p += run;
		if (!bs)
			break;
		if (end - p < 2)
			return -1;
		char c = p[1];
		p += 2;
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			uint32_t cp, lo;
			if (end - p < 4 || hex4(p, &cp) < 0)
				return -1;
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			    hex4(p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			o += utf8_put(o, cp);
			break;
		}
		default:
			return -1;
		}
	}
	scratch->len = (size_t)(o - scratch->data);
	scratch->data[scratch->len] = '\0';
	*out = scratch->data;
	*len = scratch->len;
	return 0;
}

int srv_jstr_is_plain(srv_jv s)
{
	return s.p && s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"' &&
	       !memchr(s.p + 1, '\\', s.n - 2);
}

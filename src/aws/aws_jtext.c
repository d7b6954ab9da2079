/* aws_jtext.c — UTF-8, the escapers and the in-place JSON walker (see aws_jtext.h).
 *
 * The escapers scan for the bytes that need escaping and append whole safe runs in one
 * piece. The walker finds values by skipping: a string to its unescaped closing quote, a
 * container to its matching bracket (brackets inside strings skipped with the strings), a
 * number or literal to the next delimiter — one pass with no validation beyond staying in
 * bounds and in shape, since the text was checked by the aws_json scanner.
 */
#include <stdio.h>
#include <string.h>
#include "aws_jtext.h"

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n): returns its length and sets *cp, or 0 when the
 * bytes are not valid UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
size_t aws_jtext_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) { *cp = c; return 1; }
	if (c >= 0xc2 && c <= 0xdf) { len = 2; v = c & 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; v = c & 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; v = c & 0x07; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

size_t aws_jtext_utf8_put(char *o, uint32_t cp)
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

/* ---- escapers ------------------------------------------------------------------------- */

/* Code points shown as visible escapes in HTML: C1 controls, bidi embeddings/overrides
 * and isolates (they can make text display in another order than it is stored), line and
 * paragraph separators. */
static int cp_invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

/* A visible stand-in for an invisible character: \n \t \r, \xNN below U+0100 otherwise,
 * \uNNNN above; in cells (mark) wrapped in <span class="esc"> so it reads as an escape. */
static int put_visible(aws_buf *o, uint32_t cp, int mark)
{
	char t[16];
	if (cp == '\n') strcpy(t, "\\n");
	else if (cp == '\t') strcpy(t, "\\t");
	else if (cp == '\r') strcpy(t, "\\r");
	else if (cp < 0x100) snprintf(t, sizeof t, "\\x%02x", (unsigned)cp);
	else snprintf(t, sizeof t, "\\u%04x", (unsigned)cp);
	if (!mark)
		return aws_buf_puts(o, t);
	return aws_buf_printf(o, "<span class=\"esc\">%s</span>", t);
}

int aws_jtext_html_escape(aws_buf *out, const char *s, size_t n, int flags)
{
	int mark = flags & AWS_JTEXT_MARK;
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int e = 0;
	while (i < n) {
		unsigned char c = u[i];
		const char *rep = NULL;
		uint32_t cp = c;
		size_t len = 1;
		int visible = 0, bad = 0;
		if (c < 0x80) {
			switch (c) {
			case '&': rep = "&amp;"; break;
			case '<': rep = "&lt;"; break;
			case '>': rep = "&gt;"; break;
			case '"': rep = "&quot;"; break;
			case '\'': rep = "&#39;"; break;
			default: visible = c < 0x20 || c == 0x7f;
			}
		} else {
			len = aws_jtext_utf8_next(u + i, n - i, &cp);
			if (len == 0) {
				bad = 1;
				len = 1;
			} else {
				visible = cp_invisible(cp);
			}
		}
		if (!rep && !visible && !bad) {
			i += len;
			continue;
		}
		e |= aws_buf_append(out, u + run, i - run);
		if (rep)
			e |= aws_buf_puts(out, rep);
		else if (visible)
			e |= put_visible(out, cp, mark);
		else
			e |= aws_buf_puts(out, mark ? "<span class=\"esc\">\xef\xbf\xbd</span>"
						  : "\xef\xbf\xbd");
		i += len;
		run = i;
	}
	e |= aws_buf_append(out, u + run, i - run);
	return e ? -1 : 0;
}

int aws_jtext_json_escape(aws_buf *out, const char *s, size_t n, int flags)
{
	int html_safe = flags & AWS_JTEXT_HTML_SAFE;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int e = 0;
	while (i < n) {
		unsigned char c = u[i];
		char rep[8];
		const char *r = NULL;
		size_t len = 1;
		if (c < 0x80) {
			if (c == '"') r = "\\\"";
			else if (c == '\\') r = "\\\\";
			else if (c == '\n') r = "\\n";
			else if (c == '\t') r = "\\t";
			else if (c == '\r') r = "\\r";
			else if (c == '\b') r = "\\b";
			else if (c == '\f') r = "\\f";
			else if (c < 0x20 || (html_safe && (c == '<' || c == '>' || c == '&'))) {
				memcpy(rep, "\\u00", 4);
				rep[4] = hex[c >> 4];
				rep[5] = hex[c & 15];
				rep[6] = '\0';
				r = rep;
			}
		} else {
			uint32_t cp;
			len = aws_jtext_utf8_next(u + i, n - i, &cp);
			if (len == 0) {
				r = "\\ufffd";
				len = 1;
			} else if (cp == 0x2028) {
				r = "\\u2028";
			} else if (cp == 0x2029) {
				r = "\\u2029";
			}
		}
		if (!r) {
			i += len;
			continue;
		}
		e |= aws_buf_append(out, u + run, i - run);
		e |= aws_buf_puts(out, r);
		i += len;
		run = i;
	}
	e |= aws_buf_append(out, u + run, i - run);
	return e ? -1 : 0;
}

int aws_jtext_url_escape(aws_buf *out, const char *s)
{
	return aws_jtext_url_escape_n(out, s, strlen(s));
}

int aws_jtext_url_escape_n(aws_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	int e = 0;
	for (; i < n; i++) {
		unsigned char c = u[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			continue;
		char pct[3] = {'%', hex[c >> 4], hex[c & 15]};
		e |= aws_buf_append(out, u + run, i - run);
		e |= aws_buf_append(out, pct, 3);
		run = i + 1;
	}
	e |= aws_buf_append(out, u + run, i - run);
	return e ? -1 : 0;
}

/* ---- walking checked JSON text -------------------------------------------------------- */

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

int aws_jtext_kind(aws_jtext_val v)
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

int aws_jtext_iter_init(aws_jtext_iter *it, aws_jtext_val v, char open)
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
static int next_entry(aws_jtext_iter *it)
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

static int take_value(aws_jtext_iter *it, aws_jtext_val *val)
{
	const char *e = skip_value(it->p, it->end);
	if (!e)
		return -1;
	*val = (aws_jtext_val){it->p, (size_t)(e - it->p)};
	it->p = e;
	return 1;
}

int aws_jtext_member(aws_jtext_iter *it, aws_jtext_val *name, aws_jtext_val *val)
{
	int r = next_entry(it);
	if (r <= 0)
		return r;
	if (*it->p != '"')
		return -1;
	const char *e = skip_string(it->p, it->end);
	if (!e)
		return -1;
	*name = (aws_jtext_val){it->p, (size_t)(e - it->p)};
	it->p = skip_ws(e, it->end);
	if (it->p >= it->end || *it->p != ':')
		return -1;
	it->p = skip_ws(it->p + 1, it->end);
	return take_value(it, val);
}

int aws_jtext_elem(aws_jtext_iter *it, aws_jtext_val *val)
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

int aws_jtext_unescape(const char *p, size_t n, char *out, size_t *len)
{
	const char *end = p + n;
	char *o = out;
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
			o += aws_jtext_utf8_put(o, cp);
			break;
		}
		default:
			return -1;
		}
	}
	*len = (size_t)(o - out);
	return 0;
}

int aws_jtext_str(aws_jtext_val s, aws_buf *scratch, const char **out, size_t *len)
{
	if (!s.p || s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return -1;
	const char *p = s.p + 1;
	size_t n = s.n - 2;
	if (!memchr(p, '\\', n)) {
		*out = p;
		*len = n;
		return 0;
	}
	aws_buf_reset(scratch);
	if (aws_buf_reserve(scratch, n) < 0)   /* + its NUL */
		return -1;
	size_t k;
	if (aws_jtext_unescape(p, n, scratch->data, &k) < 0)
		return -1;
	scratch->len = k;
	scratch->data[k] = '\0';
	*out = scratch->data;
	*len = k;
	return 0;
}

int aws_jtext_str_is_plain(aws_jtext_val s)
{
	return s.p && s.n >= 2 && s.p[0] == '"' && s.p[s.n - 1] == '"' &&
	       !memchr(s.p + 1, '\\', s.n - 2);
}

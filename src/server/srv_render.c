/* srv_render.c — HTML pages and the JSON API body (see srv_render.h), written straight into
 * the response buffer from the items' JSON text (srv_item.h): escaping runs over whole safe
 * runs and appends them in one piece, and a string is copied only to decode its escapes.
 *
 * DynamoDB → plain JSON (the API's "items", and the L/M cells of the HTML table):
 *   S → string          N → JSON number, the digits exactly as DynamoDB sent them (a value
 *   B → base64 string       that is not JSON number syntax, e.g. "+1" or ".5" from an
 *   BOOL → true/false       emulator, is sent as a string instead, still digit for digit)
 *   NULL → null         M → object (same mapping inside)   L → array (same mapping inside)
 *   SS → array of strings   NS → array of numbers (as N)   BS → array of base64 strings
 * A malformed value (not one known type key) becomes null. Nesting deeper than
 * RENDER_MAX_DEPTH (DynamoDB allows 32) becomes the string "(nested too deep)".
 * JSON strings escape " \ and control characters, U+2028/U+2029 (JavaScript line breaks)
 * and < > & (so the JSON can be embedded in HTML); invalid UTF-8 becomes U+FFFD.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "srv_render.h"

#ifndef SHOWTABLE_VERSION
#define SHOWTABLE_VERSION "unknown"
#endif

#define RENDER_MAX_DEPTH 64

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n): returns its length and sets *cp, or 0 when the
 * bytes are not valid UTF-8 (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
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

/* Code points shown as visible escapes in HTML: C1 controls, bidi embeddings/overrides
 * and isolates (they can make text display in another order than it is stored), line and
 * paragraph separators. */
static int cp_invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

/* ---- escapers ------------------------------------------------------------------------- */

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

static int html_esc(aws_buf *o, const char *str, size_t n, int mark)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	int e = 0;
	while (i < n) {
		unsigned char c = s[i];
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
			len = utf8_next(s + i, n - i, &cp);
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
		e |= aws_buf_append(o, s + run, i - run);
		if (rep)
			e |= aws_buf_puts(o, rep);
		else if (visible)
			e |= put_visible(o, cp, mark);
		else
			e |= aws_buf_puts(o, mark ? "<span class=\"esc\">\xef\xbf\xbd</span>"
						  : "\xef\xbf\xbd");
		i += len;
		run = i;
	}
	e |= aws_buf_append(o, s + run, i - run);
	return e ? -1 : 0;
}

int srv_html_escape(aws_buf *out, const char *s, size_t n)
{
	return html_esc(out, s, n, 0);
}

/* JSON string contents. html_safe: also < > & (output embedded in or sniffed as HTML). */
static int json_esc(aws_buf *o, const char *str, size_t n, int html_safe)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	int e = 0;
	while (i < n) {
		unsigned char c = s[i];
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
			len = utf8_next(s + i, n - i, &cp);
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
		e |= aws_buf_append(o, s + run, i - run);
		e |= aws_buf_puts(o, r);
		i += len;
		run = i;
	}
	e |= aws_buf_append(o, s + run, i - run);
	return e ? -1 : 0;
}

int srv_json_escape(aws_buf *out, const char *s, size_t n)
{
	return json_esc(out, s, n, 1);
}

int srv_url_escape(aws_buf *out, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	int e = 0;
	for (; s[i]; i++) {
		unsigned char c = s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			continue;
		char pct[3] = {'%', hex[c >> 4], hex[c & 15]};
		e |= aws_buf_append(out, s + run, i - run);
		e |= aws_buf_append(out, pct, 3);
		run = i + 1;
	}
	e |= aws_buf_append(out, s + run, i - run);
	return e ? -1 : 0;
}

/* ---- plain JSON of DynamoDB values (mapping in the file header) ----------------------- */

/* Where JSON text goes: straight into out, or HTML-escaped (for a table cell); scratch
 * holds a string being decoded (srv_jstr). */
typedef struct jw {
	aws_buf *out;
	int html;
	aws_buf *scratch;
} jw;

static int jw_raw(jw *w, const char *s, size_t n)
{
	return w->html ? html_esc(w->out, s, n, 0) : aws_buf_append(w->out, s, n);
}

static int jw_str(jw *w, const char *s, size_t n)
{
	int e = jw_raw(w, "\"", 1);
	if (w->html) {
		/* JSON-escape into the cell: quotes and backslashes become \" \\ and control
		 * characters \n or \u00XX — visible; then the HTML escaper handles < & '. */
		const unsigned char *u = (const unsigned char *)s;
		size_t i = 0, run = 0;
		for (; i < n; i++) {
			if (u[i] != '"' && u[i] != '\\' && u[i] >= 0x20)
				continue;
			e |= html_esc(w->out, s + run, i - run, 0);
			e |= json_esc(w->out, s + i, 1, 0);
			run = i + 1;
		}
		e |= html_esc(w->out, s + run, i - run, 0);
	} else {
		e |= json_esc(w->out, s, n, 1);
	}
	return e | jw_raw(w, "\"", 1);
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-') i++;
	if (i >= n) return 0;
	if (s[i] == '0') i++;
	else if (s[i] >= '1' && s[i] <= '9') while (i < n && s[i] >= '0' && s[i] <= '9') i++;
	else return 0;
	if (i < n && s[i] == '.') {
		size_t d = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9') i++;
		if (i == d) return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-')) i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') i++;
		if (i == d) return 0;
	}
	return i == n;
}

/* A string value as a JSON string; anything else as null. */
static int jw_jstr(jw *w, srv_jv v)
{
	const char *s;
	size_t n;
	if (srv_jstr(v, w->scratch, &s, &n) < 0)
		return jw_raw(w, "null", 4);
	return jw_str(w, s, n);
}

/* An N value (a string of digits) as a JSON number, or as a string when it is not one. */
static int jw_num(jw *w, srv_jv v)
{
	const char *s;
	size_t n;
	if (srv_jstr(v, w->scratch, &s, &n) < 0)
		return jw_raw(w, "null", 4);
	return is_json_number(s, n) ? jw_raw(w, s, n) : jw_str(w, s, n);
}

/* DynamoDB's attribute types, told apart once per value. */
enum atype { A_BAD, A_S, A_N, A_B, A_BOOL, A_NULL, A_M, A_L, A_SS, A_NS, A_BS };

static enum atype atype_of(srv_jv t)
{
	if (t.n < 3 || t.n > 6 || t.p[0] != '"' || t.p[t.n - 1] != '"')
		return A_BAD;
	const char *s = t.p + 1;
	switch (t.n - 2) {
	case 1:
		return s[0] == 'S' ? A_S : s[0] == 'N' ? A_N : s[0] == 'B' ? A_B
		     : s[0] == 'M' ? A_M : s[0] == 'L' ? A_L : A_BAD;
	case 2:
		if (s[1] != 'S')
			return A_BAD;
		return s[0] == 'S' ? A_SS : s[0] == 'N' ? A_NS : s[0] == 'B' ? A_BS : A_BAD;
	case 4:
		return !memcmp(s, "BOOL", 4) ? A_BOOL : !memcmp(s, "NULL", 4) ? A_NULL : A_BAD;
	}
	return A_BAD;
}

/* The one member of an attribute value ({"S":"x"}): its type, and its value in *val; the
 * type A_BAD also when the value does not fit the type (the kind srv_jv_kind reports). */
static enum atype attr_of(srv_jv av, srv_jv *val)
{
	srv_jit it;
	srv_jv type, extra_name, extra_val;
	if (srv_jit_init(&it, av, '{') < 0 || srv_jit_member(&it, &type, val) != 1 ||
	    srv_jit_member(&it, &extra_name, &extra_val) != 0)
		return A_BAD;
	enum atype a = atype_of(type);
	int k = srv_jv_kind(*val);
	switch (a) {
	case A_S: case A_N: case A_B: return k == '"' ? a : A_BAD;
	case A_BOOL: return k == 't' || k == 'f' ? a : A_BAD;
	case A_NULL: return a;
	case A_M: return k == '{' ? a : A_BAD;
	default: return k == '[' ? a : A_BAD;   /* L SS NS BS; A_BAD stays */
	}
}

static int jw_value(jw *w, srv_jv av, int depth);

/* The walks below stop at the first malformed entry and close what they wrote: the text
 * was checked by aws_json, so that cannot happen short of a bug, and never reads astray. */

/* SS/BS (numbers 0) or NS (numbers 1). */
static int jw_strings(jw *w, srv_jv arr, int numbers)
{
	srv_jit it;
	if (srv_jit_init(&it, arr, '[') < 0)
		return jw_raw(w, "null", 4);
	int e = jw_raw(w, "[", 1), first = 1;
	srv_jv x;
	while (srv_jit_elem(&it, &x) == 1) {
		if (!first)
			e |= jw_raw(w, ",", 1);
		first = 0;
		e |= numbers ? jw_num(w, x) : jw_jstr(w, x);
	}
	return e | jw_raw(w, "]", 1);
}

/* An M value's members, or a whole item: an object of attribute values. */
static int jw_map(jw *w, srv_jv m, int depth)
{
	srv_jit it;
	if (srv_jit_init(&it, m, '{') < 0)
		return jw_raw(w, "null", 4);
	int e = jw_raw(w, "{", 1), first = 1;
	srv_jv name, v;
	while (srv_jit_member(&it, &name, &v) == 1) {
		if (!first)
			e |= jw_raw(w, ",", 1);
		first = 0;
		e |= jw_jstr(w, name);
		e |= jw_raw(w, ":", 1);
		e |= jw_value(w, v, depth + 1);
	}
	return e | jw_raw(w, "}", 1);
}

static int jw_value(jw *w, srv_jv av, int depth)
{
	if (depth > RENDER_MAX_DEPTH)
		return jw_str(w, "(nested too deep)", 17);
	srv_jv v;
	enum atype a = attr_of(av, &v);
	if (a == A_S || a == A_B)
		return jw_jstr(w, v);
	if (a == A_N)
		return jw_num(w, v);
	if (a == A_BOOL)
		return v.p[0] == 't' ? jw_raw(w, "true", 4) : jw_raw(w, "false", 5);
	if (a == A_M)
		return jw_map(w, v, depth);
	if (a == A_L) {
		srv_jit it;
		srv_jit_init(&it, v, '[');
		int e = jw_raw(w, "[", 1), first = 1;
		srv_jv x;
		while (srv_jit_elem(&it, &x) == 1) {
			if (!first)
				e |= jw_raw(w, ",", 1);
			first = 0;
			e |= jw_value(w, x, depth + 1);
		}
		return e | jw_raw(w, "]", 1);
	}
	if (a == A_SS || a == A_BS)
		return jw_strings(w, v, 0);
	if (a == A_NS)
		return jw_strings(w, v, 1);
	return jw_raw(w, "null", 4);   /* "NULL" and anything malformed */
}

/* ---- page frame ----------------------------------------------------------------------- */

static int page_head(aws_buf *o, const char *title)
{
	int e = aws_buf_puts(o,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
	e |= srv_html_escape(o, title, strlen(title));
	e |= aws_buf_puts(o,
		" · showtable</title>\n"
		"<link rel=\"stylesheet\" href=\"/css/showtable.css\">\n"
		"<link rel=\"icon\" href=\"/favicon.ico\">\n"
		"<script src=\"/js/showtable.js\" defer></script>\n"
		"</head>\n<body>\n"
		"<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
		"<header class=\"bar\"><a class=\"brand\" href=\"/\">"
		"<span class=\"logo\" aria-hidden=\"true\"></span>showtable</a>");
	return e;
}

static int bar_table(aws_buf *o, const char *table)
{
	int e = aws_buf_puts(o, "<span class=\"where\">table <code>");
	e |= table ? srv_html_escape(o, table, strlen(table)) : aws_buf_puts(o, "(unknown)");
	return e | aws_buf_puts(o, "</code></span>");
}

static int page_foot(aws_buf *o)
{
	return aws_buf_puts(o, "</main>\n<footer class=\"foot\">showtable " SHOWTABLE_VERSION
			       "</footer>\n</body>\n</html>\n");
}

/* The filter form: GET on the results page (the URL can be shared), POST on the start
 * page (go-on-aws's Scan button). */
static int filter_form(aws_buf *o, const char *method, const char *q, long limit, int autofocus)
{
	static const long sizes[] = {25, 50, 100, 250, 500, 1000};
	int e = aws_buf_printf(o,
		"<form class=\"filter\" method=\"%s\" action=\"/query\" role=\"search\">\n"
		"<div class=\"field grow\"><label for=\"q\">itemID contains</label>"
		"<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"%d\" autocomplete=\"off\" "
		"spellcheck=\"false\" placeholder=\"any item\"%s value=\"",
		method, SRV_PAGE_Q_MAX, autofocus ? " autofocus" : "");
	e |= srv_html_escape(o, q ? q : "", q ? strlen(q) : 0);
	e |= aws_buf_puts(o, "\"></div>\n<div class=\"field\"><label for=\"limit\">Rows per page"
			     "</label><select id=\"limit\" name=\"limit\">");
	int found = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (!found && limit < sizes[i] && limit > 0) {   /* an odd size from the URL */
			e |= aws_buf_printf(o, "<option selected>%ld</option>", limit);
			found = 1;
		}
		int sel = limit == sizes[i];
		found |= sel;
		e |= aws_buf_printf(o, "<option%s>%ld</option>", sel ? " selected" : "", sizes[i]);
	}
	e |= aws_buf_puts(o, "</select></div>\n"
			     "<button type=\"submit\" class=\"primary\" id=\"scan\">Scan</button>\n"
			     "</form>\n");
	return e;
}

int srv_render_start(aws_buf *out, const char *table, const char *user)
{
	int e = page_head(out, table ? table : "showtable");
	e |= bar_table(out, table);
	if (user && *user) {
		e |= aws_buf_puts(out, "<span class=\"user\">signed in as <b>");
		e |= srv_html_escape(out, user, strlen(user));
		e |= aws_buf_puts(out, "</b></span>");
	}
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"start\">\n"
			       "<h1>Browse the table <code>");
	e |= table ? srv_html_escape(out, table, strlen(table)) : aws_buf_puts(out, "(unknown)");
	e |= aws_buf_puts(out, "</code></h1>\n<p class=\"lead\">Scan lists every attribute of "
			       "every item, a page at a time. Leave the filter empty to see all "
			       "items.</p>\n");
	e |= filter_form(out, "post", "", SRV_PAGE_LIMIT_DEFAULT, 0);
	e |= page_foot(out);
	return e ? -1 : 0;
}

/* ---- results -------------------------------------------------------------------------- */

/* A member name as bytes: a view into the item text, or (names with escapes, rare) a
 * decoded copy in owned. */
typedef struct col {
	const char *p;
	size_t n;
	char *owned;
} col;

static int col_of(srv_jv name, col *c)
{
	c->owned = NULL;
	if (srv_jstr_is_plain(name)) {
		c->p = name.p + 1;
		c->n = name.n - 2;
		return 0;
	}
	aws_buf b = AWS_BUF_INIT;
	const char *s;
	if (srv_jstr(name, &b, &s, &c->n) < 0) {
		aws_buf_free(&b);
		return -1;
	}
	c->owned = aws_buf_steal(&b, NULL);
	c->p = c->owned;
	return c->owned ? 0 : -1;
}

/* Byte order, as strcmp would give for names without NUL. */
static int col_cmp(const void *a, const void *b)
{
	const col *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

static int col_is(const col *c, const char *lit)
{
	size_t n = strlen(lit);
	return c->n == n && memcmp(c->p, lit, n) == 0;
}

/* The table of a results page, read in one walk over the items' text: every item's
 * members (name, value), each item's run sorted by name; and the columns, the sorted union
 * of the names, merged in item by item (items of one table mostly share their names, so a
 * run that adds nothing costs one pass of comparisons and no writes). */
typedef struct member {
	col name;
	srv_jv val;
} member;

typedef struct grid {
	member *m;          /* all members, item after item */
	size_t nm, mcap;
	size_t *run;        /* item i's members are m[run[i] .. run[i + 1]) */
	col *cols, *tmp;    /* the union (names borrowed from m), and room to merge into */
	size_t ncols, ccap;
} grid;

static void grid_free(grid *g)
{
	for (size_t i = 0; i < g->nm; i++)
		free(g->m[i].name.owned);
	free(g->m);
	free(g->run);
	free(g->cols);
	free(g->tmp);
}

/* Insertion sort: an item has a handful of attributes. */
static void sort_run(member *m, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		member x = m[i];
		size_t j = i;
		for (; j > 0 && col_cmp(&m[j - 1].name, &x.name) > 0; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

/* Merges the sorted names of m[0..n) into the columns. */
static int merge_cols(grid *g, const member *m, size_t n)
{
	size_t i = 0, j = 0;
	while (i < g->ncols && j < n) {   /* nothing new? (the common case) */
		int r = col_cmp(&g->cols[i], &m[j].name);
		if (r > 0)
			break;
		j += r == 0;
		i++;
	}
	if (j == n)
		return 0;
	if (g->ncols + n > g->ccap) {
		size_t cap = g->ccap ? g->ccap : 32;
		while (cap < g->ncols + n)
			cap *= 2;
		col *a = realloc(g->cols, cap * sizeof *a);
		if (!a)
			return -1;
		g->cols = a;
		col *b = realloc(g->tmp, cap * sizeof *b);
		if (!b)
			return -1;
		g->tmp = b;
		g->ccap = cap;
	}
	size_t k = 0;
	i = j = 0;
	while (i < g->ncols || j < n) {
		int r = i == g->ncols ? 1 : j == n ? -1 : col_cmp(&g->cols[i], &m[j].name);
		if (r <= 0) {
			g->tmp[k++] = g->cols[i++];
			j += r == 0;
		} else if (!k || col_cmp(&g->tmp[k - 1], &m[j].name) != 0) {
			g->tmp[k++] = m[j++].name;   /* borrowed: owned stays with the member */
		} else {
			j++;                             /* a name given twice in one item */
		}
	}
	col *t = g->cols;
	g->cols = g->tmp;
	g->tmp = t;
	g->ncols = k;
	return 0;
}

/* Reads every item of p into g (zeroed by the caller): -1 when out of memory. An item
 * that is not an object (cannot come from DynamoDB) is read as one with no members. */
static int grid_read(grid *g, const srv_page *p)
{
	g->run = malloc(((size_t)p->count + 1) * sizeof *g->run);
	if (!g->run)
		return -1;
	for (long i = 0; i < p->count; i++) {
		g->run[i] = g->nm;
		srv_jit it;
		if (srv_jit_init(&it, srv_page_item(p, i), '{') < 0)
			continue;
		srv_jv name, v;
		while (srv_jit_member(&it, &name, &v) == 1) {
			if (g->nm == g->mcap && aws_buf_array_grow(&g->m, &g->mcap, sizeof *g->m, 256) < 0)
				return -1;
			if (col_of(name, &g->m[g->nm].name) < 0)
				return -1;
			g->m[g->nm++].val = v;
		}
		sort_run(g->m + g->run[i], g->nm - g->run[i]);
		if (merge_cols(g, g->m + g->run[i], g->nm - g->run[i]) < 0)
			return -1;
	}
	g->run[p->count] = g->nm;
	/* itemID heads the columns */
	for (size_t c = 0; c < g->ncols; c++)
		if (col_is(&g->cols[c], "itemID")) {
			col id = g->cols[c];
			memmove(g->cols + 1, g->cols, c * sizeof *g->cols);
			g->cols[0] = id;
			break;
		}
	return 0;
}

/* The value of column c in item i's run, or an empty srv_jv. *pos is where the previous
 * (smaller) column was found: columns are asked for in sorted order. */
static srv_jv grid_get(const grid *g, long i, const col *c, size_t *pos)
{
	size_t end = g->run[i + 1];
	while (*pos < end && col_cmp(&g->m[*pos].name, c) < 0)
		(*pos)++;
	if (*pos < end && col_cmp(&g->m[*pos].name, c) == 0)
		return g->m[*pos].val;
	return (srv_jv){NULL, 0};
}

/* One string value of a cell, decoded and HTML-escaped. */
static int cell_str(aws_buf *o, srv_jv v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	if (srv_jstr(v, scratch, &s, &n) < 0)
		return aws_buf_puts(o, "?");
	return html_esc(o, s, n, 1);
}

/* One cell's content by type (classes let the stylesheet align numbers, mute nulls). */
static int render_cell(aws_buf *o, srv_jv av, aws_buf *scratch)
{
	srv_jv v;
	enum atype a = attr_of(av, &v);
	int e = 0;
	if (a == A_S) {
		e |= aws_buf_puts(o, "<td>");
		e |= cell_str(o, v, scratch);
	} else if (a == A_N) {
		e |= aws_buf_puts(o, "<td class=\"n\">");
		e |= cell_str(o, v, scratch);
	} else if (a == A_B) {
		e |= aws_buf_puts(o, "<td class=\"b\" title=\"binary, base64\">");
		e |= cell_str(o, v, scratch);
	} else if (a == A_BOOL) {
		e |= aws_buf_puts(o, v.p[0] == 't' ? "<td class=\"bool\">true" : "<td class=\"bool\">false");
	} else if (a == A_NULL) {
		e |= aws_buf_puts(o, "<td class=\"null\">null");
	} else if (a == A_SS || a == A_NS || a == A_BS) {
		e |= aws_buf_puts(o, a == A_NS ? "<td class=\"set n\">" : "<td class=\"set s\">");
		srv_jit it;
		srv_jit_init(&it, v, '[');
		srv_jv x;
		for (int first = 1; srv_jit_elem(&it, &x) == 1; first = 0) {
			if (!first)
				e |= aws_buf_puts(o, ", ");
			if (srv_jv_kind(x) == '"')
				e |= cell_str(o, x, scratch);
		}
	} else if (a == A_M || a == A_L) {
		jw w = {o, 1, scratch};
		e |= aws_buf_puts(o, "<td class=\"doc\"><code>");
		e |= jw_value(&w, av, 0);
		e |= aws_buf_puts(o, "</code>");
	} else {
		return aws_buf_puts(o, "<td class=\"bad\">?</td>");
	}
	return e | aws_buf_puts(o, "</td>");
}

/* href="/query?q=..&amp;limit=..&amp;cursor=.." (q left out when empty). */
static int page_href(aws_buf *o, const srv_page *p, const char *cursor)
{
	int e = aws_buf_puts(o, "/query?");
	if (p->q && *p->q) {
		e |= aws_buf_puts(o, "q=");
		e |= srv_url_escape(o, p->q);
		e |= aws_buf_puts(o, "&amp;");
	}
	e |= aws_buf_printf(o, "limit=%ld", p->limit);
	if (cursor) {
		e |= aws_buf_puts(o, "&amp;cursor=");
		e |= srv_url_escape(o, cursor);
	}
	return e;
}

static int plural(aws_buf *o, long n, const char *one, const char *many)
{
	return aws_buf_printf(o, "<strong>%ld</strong> %s", n, n == 1 ? one : many);
}

int srv_render_results(aws_buf *out, const srv_page *p)
{
	const char *table = p->table ? p->table : "(unknown)";
	int e = page_head(out, table);
	e |= bar_table(out, p->table);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"results\">\n");
	e |= filter_form(out, "get", p->q, p->limit, 0);

	e |= aws_buf_puts(out, "<p class=\"stats\" role=\"status\">");
	e |= plural(out, p->count, "item", "items");
	if (p->q && *p->q) {
		e |= aws_buf_puts(out, " whose itemID contains <q>");
		e |= srv_html_escape(out, p->q, strlen(p->q));
		e |= aws_buf_puts(out, "</q>");
	}
	e |= aws_buf_puts(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> ");
	e |= plural(out, p->scanned, "item scanned", "items scanned");
	e |= aws_buf_printf(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> "
				 "<strong>%.1f</strong> ms", p->elapsed_ms);
	e |= aws_buf_puts(out, p->next_cursor ? " <span class=\"tail\"><span class=\"sep\" "
						"aria-hidden=\"true\">·</span> more on the next "
						"page</span>"
					      : " <span class=\"tail\"><span class=\"sep\" "
						"aria-hidden=\"true\">·</span> end of table</span>");
	e |= aws_buf_puts(out, "</p>\n");
	if (p->budget_spent)
		e |= aws_buf_puts(out, "<p class=\"note\">The scan stopped early to answer in time; "
				       "the next page continues where it left off.</p>\n");

	grid g;
	memset(&g, 0, sizeof g);
	if (grid_read(&g, p) < 0) {
		grid_free(&g);
		return -1;
	}
	size_t ncols = g.ncols;
	const col *cols = g.cols;
	aws_buf scratch = AWS_BUF_INIT;
	if (p->count == 0) {
		e |= aws_buf_puts(out, "<p class=\"empty\">");
		int filtered = p->q && *p->q;
		const char *why = p->next_cursor ? "No matching items in this stretch of the table."
			: p->continued ? (filtered ? "No more items match this filter."
						   : "No more items.")
			: filtered ? "No item matches this filter." : "The table is empty.";
		e |= aws_buf_puts(out, why);
		e |= aws_buf_puts(out, "</p>\n");
	} else {
		e |= aws_buf_puts(out, "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" "
				       "aria-labelledby=\"caption\">\n<table class=\"items\">\n"
				       "<caption id=\"caption\">Items of <code>");
		e |= srv_html_escape(out, table, strlen(table));
		e |= aws_buf_printf(out, "</code>, %zu attribute%s</caption>\n<thead><tr>", ncols,
				    ncols == 1 ? "" : "s");
		for (size_t c = 0; c < ncols; c++) {
			e |= aws_buf_puts(out, "<th scope=\"col\">");
			e |= srv_html_escape(out, cols[c].p, cols[c].n);
			e |= aws_buf_puts(out, "</th>");
		}
		e |= aws_buf_puts(out, "</tr></thead>\n<tbody>\n");
		int has_id = ncols > 0 && col_is(&cols[0], "itemID");
		for (long i = 0; i < p->count && !e; i++) {
			e |= aws_buf_puts(out, "<tr>");
			size_t pos = g.run[i], id_pos = g.run[i];
			for (size_t c = 0; c < ncols; c++) {
				/* itemID comes first but sorts anywhere: looked up on its own */
				srv_jv v = c == 0 && has_id ? grid_get(&g, i, &cols[0], &id_pos)
							    : grid_get(&g, i, &cols[c], &pos), s;
				if (c == 0 && has_id && attr_of(v, &s) == A_S) {
					/* The key cell heads its row (screen readers read it with
					 * each cell). */
					e |= aws_buf_puts(out, "<th scope=\"row\">");
					e |= cell_str(out, s, &scratch);
					e |= aws_buf_puts(out, "</th>");
				} else if (!v.p) {
					e |= aws_buf_puts(out, "<td class=\"missing\"></td>");
				} else {
					e |= render_cell(out, v, &scratch);
				}
			}
			e |= aws_buf_puts(out, "</tr>\n");   /* buffer full: the loop stops */
		}
		e |= aws_buf_puts(out, "</tbody>\n</table>\n</div>\n");
	}
	grid_free(&g);
	aws_buf_free(&scratch);

	e |= aws_buf_puts(out, "<nav class=\"pager\" aria-label=\"Pages\">");
	e |= aws_buf_puts(out, "<a class=\"first\" href=\"");
	e |= page_href(out, p, NULL);
	e |= aws_buf_puts(out, "\">First page</a>");
	if (p->next_cursor) {
		e |= aws_buf_puts(out, "<a class=\"next primary\" rel=\"next\" href=\"");
		e |= page_href(out, p, p->next_cursor);
		e |= aws_buf_puts(out, "\">Next page <span aria-hidden=\"true\">→</span></a>");
	}
	e |= aws_buf_puts(out, "</nav>\n");
	e |= page_foot(out);
	return e ? -1 : 0;
}

int srv_render_items_json(aws_buf *out, const srv_page *p)
{
	aws_buf scratch = AWS_BUF_INIT;
	jw w = {out, 0, &scratch};
	int e = aws_buf_puts(out, "{\"table\":\"");
	if (p->table)
		e |= json_esc(out, p->table, strlen(p->table), 1);
	e |= aws_buf_puts(out, "\",\"items\":[");
	for (long i = 0; i < p->count && !e; i++) {
		if (i)
			e |= aws_buf_putc(out, ',');
		e |= jw_map(&w, srv_page_item(p, i), 0);
	}
	aws_buf_free(&scratch);
	e |= aws_buf_printf(out, "],\"count\":%ld,\"scanned\":%ld,\"cursor\":", p->count,
			    p->scanned);
	if (p->next_cursor) {
		e |= aws_buf_putc(out, '"');
		e |= json_esc(out, p->next_cursor, strlen(p->next_cursor), 1);
		e |= aws_buf_putc(out, '"');
	} else {
		e |= aws_buf_puts(out, "null");
	}
	e |= aws_buf_puts(out, "}\n");
	return e ? -1 : 0;
}

int srv_render_error(aws_buf *out, int status, const char *title, const char *detail)
{
	if (!title)
		title = "Something went wrong";
	int e = page_head(out, title);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"error\">\n");
	e |= aws_buf_printf(out, "<p class=\"status\">Error %d</p>\n<h1>", status);
	e |= srv_html_escape(out, title, strlen(title));
	e |= aws_buf_puts(out, "</h1>\n");
	if (detail && *detail) {
		e |= aws_buf_puts(out, "<p class=\"detail\">");
		e |= srv_html_escape(out, detail, strlen(detail));
		e |= aws_buf_puts(out, "</p>\n");
	}
	e |= aws_buf_puts(out, "<p><a class=\"button\" href=\"/\">Back to the start page</a></p>\n");
	e |= page_foot(out);
	return e ? -1 : 0;
}

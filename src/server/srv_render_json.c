/* srv_render_json.c — DynamoDB's JSON as the pages read it and as the API writes it:
 * attribute types and member names (for every render file, see srv_render_parts.h), the
 * plain-JSON mapping (srv_render_plain_json, the API bodies, the map and list cells), and
 * the DynamoDB JSON copied for the item view. Walked in place with aws_jtext (which also
 * escapes): a string is copied only to decode its escapes.
 *
 * DynamoDB → plain JSON (the API's "items", and the L/M cells of the HTML table):
 *   S → string          N → JSON number, the digits exactly as DynamoDB sent them (a value
 *   B → base64 string       that is not JSON number syntax, e.g. "+1" or ".5" from an
 *   BOOL → true/false       emulator, is sent as a string instead, still digit for digit)
 *   NULL → null         M → object (same mapping inside)   L → array (same mapping inside)
 *   SS → array of strings   NS → array of numbers (as N)   BS → array of base64 strings
 * A malformed value (not one known type key) becomes null. Nesting deeper than
 * SRV_RENDER_MAX_DEPTH (DynamoDB allows 32) becomes the string "(nested too deep)".
 * JSON strings escape " \ and control characters, U+2028/U+2029 (JavaScript line breaks)
 * and < > & (so the JSON can be embedded in HTML); invalid UTF-8 becomes U+FFFD.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_jtext.h"
#include "srv_render.h"
#include "srv_render_parts.h"

/* Where JSON text goes: straight into out, or HTML-escaped (for a table cell); scratch
 * holds a string being decoded (aws_jtext_str). */
typedef struct jw {
	aws_buf *out;
	int html;
	aws_buf *scratch;
} jw;

static int jw_raw(jw *w, const char *s, size_t n)
{
	return w->html ? aws_jtext_html_escape(w->out, s, n, 0) : aws_buf_append(w->out, s, n);
}

/* JSON's punctuation and literals ({ } [ ] , : ": " null true false): text HTML leaves
 * alone, appended as it is. */
static int jw_plain(jw *w, const char *s, size_t n)
{
	return aws_buf_append(w->out, s, n);
}

/* A string's quote: &quot; in HTML, as the escaper writes it. */
static int jw_quote(jw *w)
{
	return w->html ? aws_buf_append(w->out, "&quot;", 6) : aws_buf_putc(w->out, '"');
}

static int jw_str(jw *w, const char *s, size_t n)
{
	int e = jw_quote(w);
	if (w->html) {
		/* JSON-escape into the cell: quotes and backslashes become \" \\ and control
		 * characters \n or \u00XX — visible; then the HTML escaper handles < & '. */
		const unsigned char *u = (const unsigned char *)s;
		size_t i = 0, run = 0;
		for (; i < n; i++) {
			if (u[i] != '"' && u[i] != '\\' && u[i] >= 0x20)
				continue;
			e |= aws_jtext_html_escape(w->out, s + run, i - run, 0);
			e |= aws_jtext_json_escape(w->out, s + i, 1, 0);
			run = i + 1;
		}
		e |= aws_jtext_html_escape(w->out, s + run, i - run, 0);
	} else {
		e |= aws_jtext_json_escape(w->out, s, n, AWS_JTEXT_HTML_SAFE);
	}
	return e | jw_quote(w);
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

int srv_render_str_of(aws_jtext_val v, aws_buf *scratch, const char **s, size_t *n)
{
	if (aws_jtext_str(v, scratch, s, n) == 0)
		return 0;
	return v.p && v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"' ? -1 : 1;
}

/* A string value as a JSON string; anything else as null. */
static int jw_jstr(jw *w, aws_jtext_val v)
{
	const char *s;
	size_t n;
	int r = srv_render_str_of(v, w->scratch, &s, &n);
	return r < 0 ? -1 : r > 0 ? jw_plain(w, "null", 4) : jw_str(w, s, n);
}

/* An N value (a string of digits) as a JSON number, or as a string when it is not one. */
static int jw_num(jw *w, aws_jtext_val v)
{
	const char *s;
	size_t n;
	int r = srv_render_str_of(v, w->scratch, &s, &n);
	if (r != 0)
		return r < 0 ? -1 : jw_plain(w, "null", 4);
	return is_json_number(s, n) ? jw_raw(w, s, n) : jw_str(w, s, n);
}

static srv_atype atype_of(aws_jtext_val t)
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

srv_atype srv_render_attr_of(aws_jtext_val av, aws_jtext_val *val)
{
	aws_jtext_iter it;
	aws_jtext_val type, extra_name, extra_val;
	if (aws_jtext_iter_init(&it, av, '{') < 0 || aws_jtext_member(&it, &type, val) != 1 ||
	    aws_jtext_member(&it, &extra_name, &extra_val) != 0)
		return A_BAD;
	srv_atype a = atype_of(type);
	int k = aws_jtext_kind(*val);
	switch (a) {
	case A_S: case A_N: case A_B: return k == '"' ? a : A_BAD;
	case A_BOOL: return k == 't' || k == 'f' ? a : A_BAD;
	case A_NULL: return a;
	case A_M: return k == '{' ? a : A_BAD;
	default: return k == '[' ? a : A_BAD;   /* L SS NS BS; A_BAD stays */
	}
}

static int jw_value(jw *w, aws_jtext_val av, int depth);

/* The walks below stop at the first malformed entry and close what they wrote: the text
 * was checked by aws_json, so that cannot happen short of a bug, and never reads astray. */

/* SS/BS (numbers 0) or NS (numbers 1). */
static int jw_strings(jw *w, aws_jtext_val arr, int numbers)
{
	aws_jtext_iter it;
	if (aws_jtext_iter_init(&it, arr, '[') < 0)
		return jw_plain(w, "null", 4);
	int e = jw_plain(w, "[", 1), first = 1;
	aws_jtext_val x;
	while (aws_jtext_elem(&it, &x) == 1) {
		if (!first)
			e |= jw_plain(w, ",", 1);
		first = 0;
		e |= numbers ? jw_num(w, x) : jw_jstr(w, x);
	}
	return e | jw_plain(w, "]", 1);
}

/* An M value's members, or a whole item: an object of attribute values. */
static int jw_map(jw *w, aws_jtext_val m, int depth)
{
	aws_jtext_iter it;
	if (aws_jtext_iter_init(&it, m, '{') < 0)
		return jw_plain(w, "null", 4);
	int e = jw_plain(w, "{", 1), first = 1;
	aws_jtext_val name, v;
	while (aws_jtext_member(&it, &name, &v) == 1) {
		if (!first)
			e |= jw_plain(w, ",", 1);
		first = 0;
		e |= jw_jstr(w, name);
		e |= jw_plain(w, ":", 1);
		e |= jw_value(w, v, depth + 1);
	}
	return e | jw_plain(w, "}", 1);
}

static int jw_value(jw *w, aws_jtext_val av, int depth)
{
	if (depth > SRV_RENDER_MAX_DEPTH)
		return jw_str(w, "(nested too deep)", 17);
	aws_jtext_val v;
	srv_atype a = srv_render_attr_of(av, &v);
	if (a == A_S || a == A_B)
		return jw_jstr(w, v);
	if (a == A_N)
		return jw_num(w, v);
	if (a == A_BOOL)
		return v.p[0] == 't' ? jw_plain(w, "true", 4) : jw_plain(w, "false", 5);
	if (a == A_M)
		return jw_map(w, v, depth);
	if (a == A_L) {
		aws_jtext_iter it;
		aws_jtext_iter_init(&it, v, '[');
		int e = jw_plain(w, "[", 1), first = 1;
		aws_jtext_val x;
		while (aws_jtext_elem(&it, &x) == 1) {
			if (!first)
				e |= jw_plain(w, ",", 1);
			first = 0;
			e |= jw_value(w, x, depth + 1);
		}
		return e | jw_plain(w, "]", 1);
	}
	if (a == A_SS || a == A_BS)
		return jw_strings(w, v, 0);
	if (a == A_NS)
		return jw_strings(w, v, 1);
	return jw_plain(w, "null", 4);   /* "NULL" and anything malformed */
}

int srv_render_plain_json(aws_buf *out, aws_jtext_val av, aws_buf *scratch)
{
	jw w = {out, 0, scratch};
	return jw_value(&w, av, 0) ? -1 : 0;
}

/* ---- member names ---------------------------------------------------------------------- */

/* ---- results -------------------------------------------------------------------------- */

int srv_render_col_of(aws_jtext_val name, srv_render_col *c)
{
	c->owned = NULL;
	if (aws_jtext_str_is_plain(name)) {
		c->p = name.p + 1;
		c->n = name.n - 2;
		return 0;
	}
	aws_buf b = AWS_BUF_INIT;
	const char *s;
	if (aws_jtext_str(name, &b, &s, &c->n) < 0) {
		aws_buf_free(&b);
		return -1;
	}
	c->owned = aws_buf_steal(&b, NULL);
	c->p = c->owned;
	return c->owned ? 0 : -1;
}

int srv_render_col_cmp(const void *a, const void *b)
{
	const srv_render_col *x = a, *y = b;
	int r = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return r ? r : (x->n > y->n) - (x->n < y->n);
}

int srv_render_col_is(const srv_render_col *c, const char *lit)
{
	size_t n = strlen(lit);
	return c->n == n && memcmp(c->p, lit, n) == 0;
}

/* Insertion sort: an item has a handful of attributes. */
void srv_render_sort_members(srv_render_member *m, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		srv_render_member x = m[i];
		size_t j = i;
		for (; j > 0 && srv_render_col_cmp(&m[j - 1].name, &x.name) > 0; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

/* A line break and indent spaces (appended, not formatted: one per member). */
static int jw_newline(jw *w, int indent)
{
	static const char spaces[] = "                                ";
	int e = aws_buf_putc(w->out, '\n');
	for (; indent > 0 && !e; indent -= (int)sizeof spaces - 1)
		e |= aws_buf_append(w->out, spaces, indent < (int)sizeof spaces - 1 ? (size_t)indent : sizeof spaces - 1);
	return e;
}

/* Any JSON value copied through w: strings decoded and escaped again (so the result is
 * HTML-safe JSON, or JSON inside HTML), everything else as written. indent < 0: compact;
 * else members and elements on their own lines, indented by 2 per level from indent. */
static int jw_copy(jw *w, aws_jtext_val v, int indent, int depth)
{
	int k = aws_jtext_kind(v);
	if (k == '"')
		return jw_jstr(w, v);
	if (k != '{' && k != '[')
		return jw_raw(w, v.p, v.n);
	if (depth > 2 * SRV_RENDER_MAX_DEPTH + 2)
		return jw_str(w, "(nested too deep)", 17);
	aws_jtext_iter it;
	aws_jtext_iter_init(&it, v, (char)k);
	int e = jw_plain(w, k == '{' ? "{" : "[", 1), n = 0;
	aws_jtext_val name, x;
	while (k == '{' ? aws_jtext_member(&it, &name, &x) == 1 : aws_jtext_elem(&it, &x) == 1) {
		e |= n++ ? jw_plain(w, ",", 1) : 0;
		if (indent >= 0)
			e |= jw_newline(w, indent + 2);
		if (k == '{') {
			e |= jw_jstr(w, name);
			e |= jw_plain(w, indent >= 0 ? ": " : ":", indent >= 0 ? 2 : 1);
		}
		e |= jw_copy(w, x, indent >= 0 ? indent + 2 : -1, depth + 1);
	}
	if (n && indent >= 0)
		e |= jw_newline(w, indent);
	return e | jw_plain(w, k == '{' ? "}" : "]", 1);
}

/* ---- the JSON API bodies --------------------------------------------------------------- */

int srv_render_items_json(aws_buf *out, const srv_page *p)
{
	aws_buf scratch = AWS_BUF_INIT;
	jw w = {out, 0, &scratch};
	int e = aws_buf_puts(out, "{\"table\":\"");
	if (p->table)
		e |= aws_jtext_json_escape(out, p->table, strlen(p->table), AWS_JTEXT_HTML_SAFE);
	e |= aws_buf_puts(out, "\",\"items\":[");
	for (long i = 0; i < p->count && !e; i++) {
		if (i)
			e |= aws_buf_putc(out, ',');
		e |= jw_map(&w, srv_page_item(p, i), 0);
	}
	aws_buf_free(&scratch);
	e |= aws_buf_printf(out, "],\"count\":%ld,\"scanned\":%ld,", p->count, p->scanned);
	e |= p->capacity >= 0 ? aws_buf_printf(out, "\"capacity\":%g,", p->capacity) : aws_buf_puts(out, "\"capacity\":null,");
	e |= aws_buf_puts(out, "\"cursor\":");
	if (p->next_cursor) {
		e |= aws_buf_putc(out, '"');
		e |= aws_jtext_json_escape(out, p->next_cursor, strlen(p->next_cursor), AWS_JTEXT_HTML_SAFE);
		e |= aws_buf_putc(out, '"');
	} else {
		e |= aws_buf_puts(out, "null");
	}
	e |= aws_buf_puts(out, "}\n");
	return e ? -1 : 0;
}

int srv_render_item_json(aws_buf *out, const srv_render_item_in *in)
{
	aws_buf scratch = AWS_BUF_INIT;
	jw w = {out, 0, &scratch};
	int e = aws_buf_puts(out, "{\"table\":\"");
	e |= aws_jtext_json_escape(out, in->table, strlen(in->table), AWS_JTEXT_HTML_SAFE);
	e |= aws_buf_puts(out, "\",\"item\":");
	e |= jw_map(&w, in->item, 0);
	e |= aws_buf_puts(out, ",\"dynamodb\":");
	e |= jw_copy(&w, in->item, -1, 0);
	e |= in->capacity >= 0 ? aws_buf_printf(out, ",\"capacity\":%g}\n", in->capacity)
			       : aws_buf_puts(out, ",\"capacity\":null}\n");
	aws_buf_free(&scratch);
	return e ? -1 : 0;
}

int srv_render_value_json_html(aws_buf *out, aws_jtext_val av, aws_buf *scratch)
{
	jw w = {out, 1, scratch};
	return jw_value(&w, av, 0) ? -1 : 0;
}

int srv_render_ddb_json_html(aws_buf *out, aws_jtext_val v, aws_buf *scratch)
{
	jw w = {out, 1, scratch};
	return jw_copy(&w, v, 0, 0) ? -1 : 0;
}

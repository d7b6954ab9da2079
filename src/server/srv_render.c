/* srv_render.c — HTML pages and the JSON API body (see srv_render.h), written straight into
 * the response buffer from the items' JSON text, walked in place with aws_jtext (which also
 * escapes): a string is copied only to decode its escapes.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_jtext.h"
#include "srv_render.h"

#ifndef SHOWTABLE_VERSION
#define SHOWTABLE_VERSION "unknown"
#endif

#define RENDER_MAX_DEPTH 64

/* ---- plain JSON of DynamoDB values (mapping in the file header) ----------------------- */

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
			e |= aws_jtext_html_escape(w->out, s + run, i - run, 0);
			e |= aws_jtext_json_escape(w->out, s + i, 1, 0);
			run = i + 1;
		}
		e |= aws_jtext_html_escape(w->out, s + run, i - run, 0);
	} else {
		e |= aws_jtext_json_escape(w->out, s, n, AWS_JTEXT_HTML_SAFE);
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

/* aws_jtext_str with its two failures told apart: 0 with the text, 1 when v is not a string
 * value (the caller writes a placeholder), -1 when scratch cannot grow (the render fails:
 * a page must never show a placeholder for text it merely had no memory to decode). */
static int str_of(aws_jtext_val v, aws_buf *scratch, const char **s, size_t *n)
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
	int r = str_of(v, w->scratch, &s, &n);
	return r < 0 ? -1 : r > 0 ? jw_raw(w, "null", 4) : jw_str(w, s, n);
}

/* An N value (a string of digits) as a JSON number, or as a string when it is not one. */
static int jw_num(jw *w, aws_jtext_val v)
{
	const char *s;
	size_t n;
	int r = str_of(v, w->scratch, &s, &n);
	if (r != 0)
		return r < 0 ? -1 : jw_raw(w, "null", 4);
	return is_json_number(s, n) ? jw_raw(w, s, n) : jw_str(w, s, n);
}

/* DynamoDB's attribute types, told apart once per value. */
enum atype { A_BAD, A_S, A_N, A_B, A_BOOL, A_NULL, A_M, A_L, A_SS, A_NS, A_BS };

static enum atype atype_of(aws_jtext_val t)
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
 * type A_BAD also when the value does not fit the type (the kind aws_jtext_kind reports). */
static enum atype attr_of(aws_jtext_val av, aws_jtext_val *val)
{
	aws_jtext_iter it;
	aws_jtext_val type, extra_name, extra_val;
	if (aws_jtext_iter_init(&it, av, '{') < 0 || aws_jtext_member(&it, &type, val) != 1 ||
	    aws_jtext_member(&it, &extra_name, &extra_val) != 0)
		return A_BAD;
	enum atype a = atype_of(type);
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
		return jw_raw(w, "null", 4);
	int e = jw_raw(w, "[", 1), first = 1;
	aws_jtext_val x;
	while (aws_jtext_elem(&it, &x) == 1) {
		if (!first)
			e |= jw_raw(w, ",", 1);
		first = 0;
		e |= numbers ? jw_num(w, x) : jw_jstr(w, x);
	}
	return e | jw_raw(w, "]", 1);
}

/* An M value's members, or a whole item: an object of attribute values. */
static int jw_map(jw *w, aws_jtext_val m, int depth)
{
	aws_jtext_iter it;
	if (aws_jtext_iter_init(&it, m, '{') < 0)
		return jw_raw(w, "null", 4);
	int e = jw_raw(w, "{", 1), first = 1;
	aws_jtext_val name, v;
	while (aws_jtext_member(&it, &name, &v) == 1) {
		if (!first)
			e |= jw_raw(w, ",", 1);
		first = 0;
		e |= jw_jstr(w, name);
		e |= jw_raw(w, ":", 1);
		e |= jw_value(w, v, depth + 1);
	}
	return e | jw_raw(w, "}", 1);
}

static int jw_value(jw *w, aws_jtext_val av, int depth)
{
	if (depth > RENDER_MAX_DEPTH)
		return jw_str(w, "(nested too deep)", 17);
	aws_jtext_val v;
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
		aws_jtext_iter it;
		aws_jtext_iter_init(&it, v, '[');
		int e = jw_raw(w, "[", 1), first = 1;
		aws_jtext_val x;
		while (aws_jtext_elem(&it, &x) == 1) {
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

int srv_render_plain_json(aws_buf *out, aws_jtext_val av, aws_buf *scratch)
{
	jw w = {out, 0, scratch};
	return jw_value(&w, av, 0) ? -1 : 0;
}

/* ---- page frame ----------------------------------------------------------------------- */

static int page_head(aws_buf *o, const char *title)
{
	int e = aws_buf_puts(o,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"color-scheme\" content=\"light dark\">\n<title>");
	e |= aws_jtext_html_escape(o, title, strlen(title), 0);
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
	e |= table ? aws_jtext_html_escape(o, table, strlen(table), 0) : aws_buf_puts(o, "(unknown)");
	return e | aws_buf_puts(o, "</code></span>");
}

static int page_foot(aws_buf *o)
{
	return aws_buf_puts(o, "</main>\n<footer class=\"foot\">showtable " SHOWTABLE_VERSION
			       "</footer>\n</body>\n</html>\n");
}

/* The filter form, sent with GET from the start page (go-on-aws's Scan button) and the
 * results page alike, so every result page is a URL that can be shared and reloaded. */
/* As HTML. */
static const char *const OP_LABELS[] = {"=", "≠", "&lt;", "&gt;", "begins with", "contains", "exists", "does not exist"};

/* One row of attribute conditions (c NULL: a blank row); every row sends all four fields,
 * so the server pairs them by position. */
static int cond_row(aws_buf *o, int i, const srv_filter_cond *c)
{
	int e = aws_buf_printf(o, "<div class=\"cond\"><input name=\"attr\" type=\"text\" maxlength=\"%d\" "
				  "autocomplete=\"off\" spellcheck=\"false\" placeholder=\"attribute\" "
				  "aria-label=\"attribute of condition %d\" value=\"", SRV_FILTER_NAME_MAX, i + 1);
	if (c)
		e |= aws_jtext_html_escape(o, c->attr, strlen(c->attr), 0);
	e |= aws_buf_printf(o, "\"><select name=\"op\" aria-label=\"comparison of condition %d\">", i + 1);
	for (int k = SRV_OP_EQ; k <= SRV_OP_NOT_EXISTS; k++)
		e |= aws_buf_printf(o, "<option value=\"%s\"%s>%s</option>", srv_filter_op_word((srv_filter_op)k),
				    c && (int)c->op == k ? " selected" : "", OP_LABELS[k]);
	e |= aws_buf_printf(o, "</select><select name=\"type\" aria-label=\"type of condition %d\">", i + 1);
	for (int k = SRV_TYPE_STRING; k <= SRV_TYPE_BOOL; k++)
		e |= aws_buf_printf(o, "<option%s>%s</option>", c && (int)c->type == k ? " selected" : "",
				    srv_filter_type_word((srv_filter_type)k));
	e |= aws_buf_printf(o, "</select><input name=\"value\" type=\"text\" maxlength=\"%d\" autocomplete=\"off\" "
			       "spellcheck=\"false\" placeholder=\"value\" aria-label=\"value of condition %d\" value=\"",
			    SRV_FILTER_VALUE_MAX, i + 1);
	if (c)
		e |= aws_jtext_html_escape(o, c->value, strlen(c->value), 0);
	return e | aws_buf_puts(o, "\"></div>\n");
}

typedef struct col col;
static int columns_choice(aws_buf *o, const col *cols, size_t ncols, const srv_page *p);

/* cols, ncols, p: the results page's columns, offered to choose from (NULL: none). */
static int filter_form(aws_buf *o, const char *method, const char *q, int exact, const srv_filter *f, long limit,
		       int autofocus, const col *cols, size_t ncols, const srv_page *p)
{
	static const long sizes[] = {25, 50, 100, 250, 500, 1000};
	int e = aws_buf_printf(o,
		"<form class=\"filter\" method=\"%s\" action=\"/query\" role=\"search\">\n"
		"<div class=\"field\"><label for=\"mode\">itemID</label><select id=\"mode\" name=\"mode\">"
		"<option value=\"contains\"%s>contains</option>"
		"<option value=\"exact\"%s>is exactly (one read)</option></select></div>\n"
		"<div class=\"field grow\"><label for=\"q\">text</label>"
		"<input id=\"q\" name=\"q\" type=\"search\" maxlength=\"%d\" autocomplete=\"off\" "
		"spellcheck=\"false\" placeholder=\"any item\"%s value=\"",
		method, exact ? "" : " selected", exact ? " selected" : "", SRV_PAGE_Q_MAX,
		autofocus ? " autofocus" : "");
	e |= aws_jtext_html_escape(o, q ? q : "", q ? strlen(q) : 0, 0);
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
			     "<fieldset class=\"conds\"><legend>and where (all must hold)</legend>\n");
	int n = f ? f->n : 0;
	for (int i = 0; i < n; i++)
		e |= cond_row(o, i, &f->c[i]);
	if (n < SRV_FILTER_MAX)
		e |= cond_row(o, n, NULL);
	e |= aws_buf_puts(o, "</fieldset>\n");
	if (p)
		e |= columns_choice(o, cols, ncols, p);
	e |= aws_buf_puts(o, "</form>\n");
	return e;
}

/* "1.5 MB" style, decimal as AWS reports table sizes. */
static int size_text(aws_buf *o, long long bytes)
{
	static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	return u ? aws_buf_printf(o, "%.1f %s", v, units[u]) : aws_buf_printf(o, "%lld bytes", bytes);
}

static int key_text(aws_buf *o, const char *name, char type)
{
	int e = aws_buf_puts(o, "<code>");
	e |= aws_jtext_html_escape(o, name, strlen(name), AWS_JTEXT_MARK);
	return e | aws_buf_printf(o, "</code> (%s)", type == 'N' ? "number" : type == 'B' ? "binary" : "string");
}

/* What DescribeTable says about the table, as a definition list. */
static int table_facts(aws_buf *o, const srv_table_info *info)
{
	if (!info)
		return aws_buf_puts(o, "<p class=\"facts unknown\">The table's description (key, size, "
				       "billing) could not be read: see the server log.</p>\n");
	int e = aws_buf_puts(o, "<dl class=\"facts\">\n<div><dt>Key</dt><dd>");
	e |= key_text(o, info->hash, info->hash_type);
	if (info->range[0]) {
		e |= aws_buf_puts(o, " + sort key ");
		e |= key_text(o, info->range, info->range_type);
	}
	e |= aws_buf_printf(o, "</dd></div>\n<div><dt>Billing</dt><dd>%s</dd></div>\n",
			    strcmp(info->billing, "PAY_PER_REQUEST") == 0 ? "on demand" : "provisioned capacity");
	e |= aws_buf_puts(o, "<div><dt>Items</dt><dd>");
	e |= info->item_count >= 0 ? aws_buf_printf(o, "about %lld", info->item_count) : aws_buf_puts(o, "unknown");
	e |= aws_buf_puts(o, "</dd></div>\n<div><dt>Size</dt><dd>");
	e |= info->size_bytes >= 0 ? aws_buf_puts(o, "about ") | size_text(o, info->size_bytes) : aws_buf_puts(o, "unknown");
	e |= aws_buf_printf(o, "</dd></div>\n<div><dt>Point-in-time recovery</dt><dd>%s</dd></div>\n</dl>\n"
			       "<p class=\"hint\">Item count and size are DynamoDB's, updated about every six hours.</p>\n",
			    info->pitr > 0 ? "on" : info->pitr == 0 ? "off" : "unknown");
	return e;
}

int srv_render_start(aws_buf *out, const char *table, const char *user, const srv_table_info *info)
{
	int e = page_head(out, table ? table : "showtable");
	e |= bar_table(out, table);
	if (user && *user) {
		e |= aws_buf_puts(out, "<span class=\"user\">signed in as <b>");
		e |= aws_jtext_html_escape(out, user, strlen(user), 0);
		e |= aws_buf_puts(out, "</b></span>");
	}
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"start\">\n"
			       "<h1>Browse the table <code>");
	e |= table ? aws_jtext_html_escape(out, table, strlen(table), 0) : aws_buf_puts(out, "(unknown)");
	e |= aws_buf_puts(out, "</code></h1>\n<p class=\"lead\">Scan lists every attribute of "
			       "every item, a page at a time. Leave the filter empty to see all "
			       "items.</p>\n");
	e |= table_facts(out, info);
	e |= filter_form(out, "get", "", 0, NULL, SRV_PAGE_LIMIT_DEFAULT, 0, NULL, 0, NULL);
	e |= page_foot(out);
	return e ? -1 : 0;
}

/* ---- results -------------------------------------------------------------------------- */

/* A member name as bytes: a view into the item text, or (names with escapes, rare) a
 * decoded copy in owned. */
struct col {
	const char *p;
	size_t n;
	char *owned;
};

static int col_of(aws_jtext_val name, col *c)
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
	aws_jtext_val val;
} member;

typedef struct grid {
	member *m;          /* all members, item after item */
	size_t nm, mcap;
	size_t *run;        /* item i's members are m[run[i] .. run[i + 1]) */
	col *cols, *tmp;    /* the union (names borrowed from m), and room to merge into */
	size_t ncols, ccap;
	col *shown;         /* the columns shown: all, or itemID and those chosen */
	size_t nshown;
} grid;

static void grid_free(grid *g)
{
	for (size_t i = 0; i < g->nm; i++)
		free(g->m[i].name.owned);
	free(g->m);
	free(g->run);
	free(g->cols);
	free(g->tmp);
	free(g->shown);
}

static int col_chosen(const col *c, const srv_page *p)
{
	for (int i = 0; i < p->nshow; i++)
		if (strlen(p->show[i]) == c->n && memcmp(p->show[i], c->p, c->n) == 0)
			return 1;
	return 0;
}

/* g->shown: itemID and the chosen columns, in the union's order (every column when none
 * is chosen). */
static int shown_cols(grid *g, const srv_page *p)
{
	g->shown = malloc((g->ncols + 1) * sizeof *g->shown);
	if (!g->shown)
		return -1;
	for (size_t i = 0; i < g->ncols; i++)
		if (!p->nshow || col_is(&g->cols[i], "itemID") || col_chosen(&g->cols[i], p))
			g->shown[g->nshown++] = g->cols[i];
	return 0;
}

/* The column chooser inside the filter form: a checkbox per attribute of the page (and per
 * column chosen before that this page lacks); the form's button applies it. */
static int columns_choice(aws_buf *o, const col *cols, size_t ncols, const srv_page *p)
{
	int e = aws_buf_puts(o, "<details class=\"columns\"><summary>Columns</summary>\n<div class=\"colset\">");
	for (size_t i = 0; i < ncols; i++) {
		if (col_is(&cols[i], "itemID"))
			continue;
		e |= aws_buf_printf(o, "<label><input type=\"checkbox\" name=\"col\"%s value=\"",
				    !p->nshow || col_chosen(&cols[i], p) ? " checked" : "");
		e |= aws_jtext_html_escape(o, cols[i].p, cols[i].n, 0);
		e |= aws_buf_puts(o, "\">");
		e |= aws_jtext_html_escape(o, cols[i].p, cols[i].n, AWS_JTEXT_MARK);
		e |= aws_buf_puts(o, "</label>");
	}
	for (int k = 0; k < p->nshow; k++) {
		int on_page = 0;
		for (size_t i = 0; i < ncols && !on_page; i++)
			on_page = strlen(p->show[k]) == cols[i].n && memcmp(p->show[k], cols[i].p, cols[i].n) == 0;
		if (on_page)
			continue;
		e |= aws_buf_puts(o, "<label><input type=\"checkbox\" name=\"col\" checked value=\"");
		e |= aws_jtext_html_escape(o, p->show[k], strlen(p->show[k]), 0);
		e |= aws_buf_puts(o, "\">");
		e |= aws_jtext_html_escape(o, p->show[k], strlen(p->show[k]), AWS_JTEXT_MARK);
		e |= aws_buf_puts(o, "</label>");
	}
	return e | aws_buf_puts(o, "</div><p class=\"hint\">itemID is always shown. Scan again to apply.</p>"
				   "</details>\n");
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
		aws_jtext_iter it;
		if (aws_jtext_iter_init(&it, srv_page_item(p, i), '{') < 0)
			continue;
		aws_jtext_val name, v;
		while (aws_jtext_member(&it, &name, &v) == 1) {
			if (g->nm == g->mcap && aws_buf_array_grow(&g->m, &g->mcap, sizeof *g->m, 256) < 0)
				return -1;
			if (col_of(name, &g->m[g->nm].name) < 0)
				return -1;
			g->m[g->nm++].val = v;
		}
		if (g->nm == g->run[i])
			continue;   /* no members; g->m may still be NULL, and NULL + 0 is undefined */
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

/* The value of column c in item i's run, or an empty aws_jtext_val. *pos is where the previous
 * (smaller) column was found: columns are asked for in sorted order. */
static aws_jtext_val grid_get(const grid *g, long i, const col *c, size_t *pos)
{
	size_t end = g->run[i + 1];
	while (*pos < end && col_cmp(&g->m[*pos].name, c) < 0)
		(*pos)++;
	if (*pos < end && col_cmp(&g->m[*pos].name, c) == 0)
		return g->m[*pos].val;
	return (aws_jtext_val){NULL, 0};
}

/* One string value of a cell, decoded and HTML-escaped. */
static int cell_str(aws_buf *o, aws_jtext_val v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	int r = str_of(v, scratch, &s, &n);
	if (r != 0)
		return r < 0 ? -1 : aws_buf_puts(o, "?");
	return aws_jtext_html_escape(o, s, n, AWS_JTEXT_MARK);
}

/* An itemID as a link to its item view: <a href="/item/<percent-encoded>">itemID</a>. */
static int cell_item_link(aws_buf *o, aws_jtext_val v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	int r = str_of(v, scratch, &s, &n);
	if (r != 0)   /* out of memory fails the render, as in cell_str */
		return r < 0 ? -1 : aws_buf_puts(o, "?");
	int e = aws_buf_puts(o, "<a href=\"/item/");
	e |= aws_jtext_url_escape_n(o, s, n);   /* only unreserved characters and %XX */
	e |= aws_buf_puts(o, "\">");
	e |= aws_jtext_html_escape(o, s, n, AWS_JTEXT_MARK);
	return e | aws_buf_puts(o, "</a>");
}

/* One cell's content by type (classes let the stylesheet align numbers, mute nulls). */
static int render_cell(aws_buf *o, aws_jtext_val av, aws_buf *scratch)
{
	aws_jtext_val v;
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
		aws_jtext_iter it;
		aws_jtext_iter_init(&it, v, '[');
		aws_jtext_val x;
		for (int first = 1; aws_jtext_elem(&it, &x) == 1; first = 0) {
			if (!first)
				e |= aws_buf_puts(o, ", ");
			if (aws_jtext_kind(x) == '"')
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
		e |= aws_jtext_url_escape(o, p->q);
		e |= aws_buf_puts(o, "&amp;");
	}
	e |= aws_buf_printf(o, "limit=%ld", p->limit);
	for (int i = 0; p->filter && i < p->filter->n; i++) {
		const srv_filter_cond *c = &p->filter->c[i];
		e |= aws_buf_puts(o, "&amp;attr=");
		e |= aws_jtext_url_escape(o, c->attr);
		e |= aws_buf_printf(o, "&amp;op=%s&amp;type=%s&amp;value=", srv_filter_op_word(c->op),
				    srv_filter_type_word(c->type));
		e |= aws_jtext_url_escape(o, c->value);
	}
	for (int i = 0; i < p->nshow; i++) {
		e |= aws_buf_puts(o, "&amp;col=");
		e |= aws_jtext_url_escape(o, p->show[i]);
	}
	if (cursor) {
		e |= aws_buf_puts(o, "&amp;cursor=");
		e |= aws_jtext_url_escape(o, cursor);
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
	grid g;
	memset(&g, 0, sizeof g);
	if (grid_read(&g, p) < 0 || shown_cols(&g, p) < 0) {
		grid_free(&g);
		return -1;
	}
	e |= filter_form(out, "get", p->q, p->exact, p->filter, p->limit, 0, g.cols, g.ncols, p);

	e |= aws_buf_puts(out, "<p class=\"stats\" role=\"status\">");
	e |= plural(out, p->count, "item", "items");
	if (p->q && *p->q) {
		e |= aws_buf_puts(out, p->exact ? " whose itemID is <q>" : " whose itemID contains <q>");
		e |= aws_jtext_html_escape(out, p->q, strlen(p->q), 0);
		e |= aws_buf_puts(out, "</q>");
	}
	for (int i = 0; p->filter && i < p->filter->n; i++) {
		const srv_filter_cond *c = &p->filter->c[i];
		e |= aws_buf_puts(out, i || (p->q && *p->q) ? " and " : " where ");
		e |= aws_buf_puts(out, "<code>");
		e |= aws_jtext_html_escape(out, c->attr, strlen(c->attr), AWS_JTEXT_MARK);
		e |= aws_buf_printf(out, "</code> %s", OP_LABELS[c->op]);
		if (c->op != SRV_OP_EXISTS && c->op != SRV_OP_NOT_EXISTS) {
			e |= aws_buf_puts(out, c->type == SRV_TYPE_STRING ? " <q>" : " <code>");
			e |= aws_jtext_html_escape(out, c->value, strlen(c->value), AWS_JTEXT_MARK);
			e |= aws_buf_puts(out, c->type == SRV_TYPE_STRING ? "</q>" : "</code>");
		}
	}
	e |= aws_buf_puts(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> ");
	e |= plural(out, p->scanned, "item scanned", "items scanned");
	e |= aws_buf_printf(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> "
				 "<strong>%.1f</strong> ms", p->elapsed_ms);
	if (p->capacity >= 0)
		e |= aws_buf_printf(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> "
					 "<strong>%g</strong> read capacity units", p->capacity);
	e |= aws_buf_puts(out, p->next_cursor ? " <span class=\"tail\"><span class=\"sep\" "
						"aria-hidden=\"true\">·</span> more on the next "
						"page</span>"
					      : " <span class=\"tail\"><span class=\"sep\" "
						"aria-hidden=\"true\">·</span> end of table</span>");
	e |= aws_buf_puts(out, "</p>\n");
	if (p->budget_spent)
		e |= aws_buf_puts(out, "<p class=\"note\">The scan stopped early to answer in time; "
				       "the next page continues where it left off.</p>\n");

	size_t ncols = g.nshown;
	const col *cols = g.shown;
	aws_buf scratch = AWS_BUF_INIT;
	if (p->count == 0) {
		e |= aws_buf_puts(out, "<p class=\"empty\">");
		int filtered = (p->q && *p->q) || p->filter;
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
		e |= aws_jtext_html_escape(out, table, strlen(table), 0);
		e |= aws_buf_printf(out, "</code>, %zu attribute%s</caption>\n<thead><tr>", ncols,
				    ncols == 1 ? "" : "s");
		for (size_t c = 0; c < ncols; c++) {
			e |= aws_buf_puts(out, "<th scope=\"col\">");
			e |= aws_jtext_html_escape(out, cols[c].p, cols[c].n, 0);
			e |= aws_buf_puts(out, "</th>");
		}
		e |= aws_buf_puts(out, "</tr></thead>\n<tbody>\n");
		int has_id = ncols > 0 && col_is(&cols[0], "itemID");
		for (long i = 0; i < p->count && !e; i++) {
			e |= aws_buf_puts(out, "<tr>");
			size_t pos = g.run[i], id_pos = g.run[i];
			for (size_t c = 0; c < ncols; c++) {
				/* itemID comes first but sorts anywhere: looked up on its own */
				aws_jtext_val v = c == 0 && has_id ? grid_get(&g, i, &cols[0], &id_pos)
							    : grid_get(&g, i, &cols[c], &pos), s;
				if (c == 0 && has_id && attr_of(v, &s) == A_S) {
					/* The key cell heads its row (screen readers read it with
					 * each cell) and opens the item. */
					e |= aws_buf_puts(out, "<th scope=\"row\">");
					e |= cell_item_link(out, s, &scratch);
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
	if (p->continued) {   /* the first page needs no link to itself */
		e |= aws_buf_puts(out, "<a class=\"first\" href=\"");
		e |= page_href(out, p, NULL);
		e |= aws_buf_puts(out, "\">First page</a>");
	}
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

/* ---- the item view ------------------------------------------------------------------- */

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
	if (depth > 2 * RENDER_MAX_DEPTH + 2)
		return jw_str(w, "(nested too deep)", 17);
	aws_jtext_iter it;
	aws_jtext_iter_init(&it, v, (char)k);
	int e = jw_raw(w, k == '{' ? "{" : "[", 1), n = 0;
	aws_jtext_val name, x;
	while (k == '{' ? aws_jtext_member(&it, &name, &x) == 1 : aws_jtext_elem(&it, &x) == 1) {
		e |= n++ ? jw_raw(w, ",", 1) : 0;
		if (indent >= 0)
			e |= aws_buf_printf(w->out, "\n%*s", indent + 2, "");
		if (k == '{') {
			e |= jw_jstr(w, name);
			e |= jw_raw(w, indent >= 0 ? ": " : ":", indent >= 0 ? 2 : 1);
		}
		e |= jw_copy(w, x, indent >= 0 ? indent + 2 : -1, depth + 1);
	}
	if (n && indent >= 0)
		e |= aws_buf_printf(w->out, "\n%*s", indent, "");
	return e | jw_raw(w, k == '{' ? "}" : "]", 1);
}

static const char *type_name(enum atype a)
{
	static const char *const names[] = {"?", "string", "number", "binary", "boolean", "null", "map",
					    "list", "string set", "number set", "binary set"};
	return names[a];
}

static const char *type_code(enum atype a)
{
	static const char *const codes[] = {"?", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
	return codes[a];
}

/* Bytes that base64 text of n characters (padding included) stands for. */
static size_t base64_bytes(const char *s, size_t n)
{
	size_t pad = n > 0 && s[n - 1] == '=' ? (n > 1 && s[n - 2] == '=' ? 2 : 1) : 0;
	return n / 4 * 3 - pad;
}

static int item_value(aws_buf *o, aws_jtext_val av, int depth, aws_buf *scratch);

/* A binary: its base64 text and its size. */
static int item_binary(aws_buf *o, aws_jtext_val v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	int r = str_of(v, scratch, &s, &n);
	if (r != 0)
		return r < 0 ? -1 : aws_buf_puts(o, "?");
	size_t bytes = base64_bytes(s, n);
	int e = aws_buf_puts(o, "<code class=\"b64\">");
	e |= aws_jtext_html_escape(o, s, n, 0);
	return e | aws_buf_printf(o, "</code> <span class=\"size\">(%zu byte%s)</span>", bytes, bytes == 1 ? "" : "s");
}

/* The type cell and the value cell of one attribute. */
static int item_cells(aws_buf *o, aws_jtext_val av, int depth, aws_buf *scratch)
{
	aws_jtext_val v;
	enum atype a = attr_of(av, &v);
	int e = aws_buf_printf(o, "<td class=\"type\"><abbr title=\"%s\">%s</abbr></td><td class=\"v\">", type_name(a),
			       type_code(a));
	e |= item_value(o, av, depth, scratch);
	return e | aws_buf_puts(o, "</td>");
}

/* Rows name | type | value for each member of an object of attribute values. */
static int item_rows(aws_buf *o, const member *m, size_t n, int depth, aws_buf *scratch)
{
	int e = 0;
	for (size_t i = 0; i < n; i++) {
		e |= aws_buf_puts(o, "<tr><th scope=\"row\">");
		e |= aws_jtext_html_escape(o, m[i].name.p, m[i].name.n, AWS_JTEXT_MARK);
		e |= aws_buf_puts(o, "</th>");
		e |= item_cells(o, m[i].val, depth, scratch);
		e |= aws_buf_puts(o, "</tr>\n");
	}
	return e;
}

/* The members of an object of attribute values (a map, or the item), sorted by name with
 * first (when not NULL) ahead of the others; *m owned (free each name's owned, then m). */
static int item_members(aws_jtext_val obj, const char *first, member **m, size_t *n)
{
	size_t cap = 0;
	*m = NULL;
	*n = 0;
	aws_jtext_iter it;
	if (aws_jtext_iter_init(&it, obj, '{') < 0)
		return 0;
	aws_jtext_val name, v;
	while (aws_jtext_member(&it, &name, &v) == 1) {
		if (*n == cap && aws_buf_array_grow(m, &cap, sizeof **m, 16) < 0)
			return -1;
		if (col_of(name, &(*m)[*n].name) < 0)
			return -1;
		(*m)[(*n)++].val = v;
	}
	sort_run(*m, *n);
	for (size_t i = 0; first && i < *n; i++)
		if (col_is(&(*m)[i].name, first)) {
			member k = (*m)[i];
			memmove(*m + 1, *m, i * sizeof **m);
			(*m)[0] = k;
			break;
		}
	return 0;
}

static void members_free(member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].name.owned);
	free(m);
}

/* A value by its type: scalars as text, sets and lists as lists, maps as nested tables. */
static int item_value(aws_buf *o, aws_jtext_val av, int depth, aws_buf *scratch)
{
	if (depth > RENDER_MAX_DEPTH)
		return aws_buf_puts(o, "<span class=\"bad\">(nested too deep)</span>");
	aws_jtext_val v, x;
	enum atype a = attr_of(av, &v);
	aws_jtext_iter it;
	int e = 0;
	switch (a) {
	case A_S:
		e |= aws_buf_puts(o, "<span class=\"s\">");
		e |= cell_str(o, v, scratch);
		return e | aws_buf_puts(o, "</span>");
	case A_N:
		e |= aws_buf_puts(o, "<span class=\"n\">");
		e |= cell_str(o, v, scratch);
		return e | aws_buf_puts(o, "</span>");
	case A_B:
		return item_binary(o, v, scratch);
	case A_BOOL:
		return aws_buf_puts(o, v.p[0] == 't' ? "<span class=\"bool\">true</span>" : "<span class=\"bool\">false</span>");
	case A_NULL:
		return aws_buf_puts(o, "<span class=\"null\">null</span>");
	case A_SS: case A_NS: case A_BS: {
		aws_jtext_iter_init(&it, v, '[');
		e |= aws_buf_puts(o, "<ul class=\"set\">");
		while (aws_jtext_elem(&it, &x) == 1) {
			e |= aws_buf_puts(o, a == A_NS ? "<li class=\"n\">" : "<li>");
			e |= a == A_BS ? item_binary(o, x, scratch) : cell_str(o, x, scratch);
			e |= aws_buf_puts(o, "</li>");
		}
		return e | aws_buf_puts(o, "</ul>");
	}
	case A_L: {
		aws_jtext_iter_init(&it, v, '[');
		e |= aws_buf_puts(o, "<ol class=\"list\" start=\"0\">");
		while (aws_jtext_elem(&it, &x) == 1) {
			aws_jtext_val xv;
			enum atype xa = attr_of(x, &xv);
			e |= aws_buf_printf(o, "<li><abbr class=\"type\" title=\"%s\">%s</abbr> ", type_name(xa),
					    type_code(xa));
			e |= item_value(o, x, depth + 1, scratch);
			e |= aws_buf_puts(o, "</li>");
		}
		return e | aws_buf_puts(o, "</ol>");
	}
	case A_M: {
		member *m;
		size_t n;
		if (item_members(v, NULL, &m, &n) < 0) {
			members_free(m, n);
			return -1;
		}
		if (n == 0)
			e |= aws_buf_puts(o, "<span class=\"null\">(empty map)</span>");
		else {
			e |= aws_buf_puts(o, "<table class=\"attrs nested\"><tbody>\n");
			e |= item_rows(o, m, n, depth + 1, scratch);
			e |= aws_buf_puts(o, "</tbody></table>");
		}
		members_free(m, n);
		return e;
	}
	default:
		return aws_buf_puts(o, "<span class=\"bad\">?</span>");
	}
}

int srv_render_item(aws_buf *out, const srv_render_item_in *in)
{
	member *m;
	size_t n;
	if (item_members(in->item, in->key, &m, &n) < 0) {
		members_free(m, n);
		return -1;
	}
	aws_buf scratch = AWS_BUF_INIT;
	aws_jtext_val key = {NULL, 0}, kv;
	if (n > 0 && col_is(&m[0].name, in->key))
		key = m[0].val;
	int key_s = key.p && attr_of(key, &kv) == A_S;
	const char *title = in->key;
	aws_buf tb = AWS_BUF_INIT;   /* the title: the key's text when it is a string */
	int e = 0;
	if (key_s) {
		const char *s;
		size_t sn;
		int r = str_of(kv, &scratch, &s, &sn);
		if (r < 0 || (r == 0 && (aws_buf_append(&tb, s, sn) < 0 || aws_buf_putc(&tb, '\0') < 0)))
			e = -1;   /* no memory for the title: the page fails rather than show another */
		else if (r == 0)
			title = tb.data;
	}
	e |= page_head(out, title);
	e |= bar_table(out, in->table);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"item\">\n"
			       "<nav class=\"crumbs\"><a href=\"/query\">All items</a></nav>\n<h1><span class=\"keyname\">");
	e |= aws_jtext_html_escape(out, in->key, strlen(in->key), 0);
	e |= aws_buf_puts(out, "</span> <code>");
	if (key.p)
		e |= item_value(out, key, 0, &scratch);
	e |= aws_buf_puts(out, "</code></h1>\n<p class=\"stats\" role=\"status\">");
	e |= plural(out, (long)n, "attribute", "attributes");
	if (in->capacity >= 0)
		e |= aws_buf_printf(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> "
					 "<strong>%g</strong> read capacity units", in->capacity);
	e |= aws_buf_puts(out, "</p>\n<table class=\"attrs\">\n<thead><tr><th scope=\"col\">attribute</th>"
			       "<th scope=\"col\">type</th><th scope=\"col\">value</th></tr></thead>\n<tbody>\n");
	e |= item_rows(out, m, n, 0, &scratch);
	e |= aws_buf_puts(out, "</tbody>\n</table>\n<h2 id=\"ddb-json\">DynamoDB JSON</h2>\n"
			       "<pre class=\"ddb-json\" aria-labelledby=\"ddb-json\"><code>");
	jw w = {out, 1, &scratch};
	e |= jw_copy(&w, in->item, 0, 0);
	e |= aws_buf_puts(out, "</code></pre>\n");
	e |= page_foot(out);
	members_free(m, n);
	aws_buf_free(&scratch);
	aws_buf_free(&tb);
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

int srv_render_error(aws_buf *out, int status, const char *title, const char *detail)
{
	if (!title)
		title = "Something went wrong";
	int e = page_head(out, title);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"error\">\n");
	e |= aws_buf_printf(out, "<p class=\"status\">Error %d</p>\n<h1>", status);
	e |= aws_jtext_html_escape(out, title, strlen(title), 0);
	e |= aws_buf_puts(out, "</h1>\n");
	if (detail && *detail) {
		e |= aws_buf_puts(out, "<p class=\"detail\">");
		e |= aws_jtext_html_escape(out, detail, strlen(detail), 0);
		e |= aws_buf_puts(out, "</p>\n");
	}
	e |= aws_buf_puts(out, "<p><a class=\"button\" href=\"/\">Back to the start page</a></p>\n");
	e |= page_foot(out);
	return e ? -1 : 0;
}

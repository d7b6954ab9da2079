/* srv_render_item.c — the item view: one item's attributes, key first and the others by
 * name, each with its type and its value rendered by type — maps and lists expanded as
 * nested tables and lists, binaries as base64 with their size — and last the item's
 * DynamoDB JSON, indented.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_jtext.h"
#include "srv_render.h"
#include "srv_render_parts.h"

typedef srv_render_member member;

static const char *type_name(srv_atype a)
{
	static const char *const names[] = {"?", "string", "number", "binary", "boolean", "null", "map",
					    "list", "string set", "number set", "binary set"};
	return names[a];
}

static const char *type_code(srv_atype a)
{
	static const char *const codes[] = {"?", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
	return codes[a];
}

/* The rest of an <abbr> whose title attribute is open: `NAME">CODE</abbr>` (one per
 * attribute: appended, not formatted). */
static int type_abbr(aws_buf *o, srv_atype a)
{
	int e = aws_buf_puts(o, type_name(a));
	e |= aws_buf_puts(o, "\">");
	e |= aws_buf_puts(o, type_code(a));
	return e | aws_buf_puts(o, "</abbr>");
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
	int r = srv_render_str_of(v, scratch, &s, &n);
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
	srv_atype a = srv_render_attr_of(av, &v);
	int e = aws_buf_puts(o, "<td class=\"type\"><abbr title=\"");
	e |= type_abbr(o, a);
	e |= aws_buf_puts(o, "</td><td class=\"v\">");
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
		if (srv_render_col_of(name, &(*m)[*n].name) < 0)
			return -1;
		(*m)[(*n)++].val = v;
	}
	srv_render_sort_members(*m, *n);
	for (size_t i = 0; first && i < *n; i++)
		if (srv_render_col_is(&(*m)[i].name, first)) {
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
	if (depth > SRV_RENDER_MAX_DEPTH)
		return aws_buf_puts(o, "<span class=\"bad\">(nested too deep)</span>");
	aws_jtext_val v, x;
	srv_atype a = srv_render_attr_of(av, &v);
	aws_jtext_iter it;
	int e = 0;
	switch (a) {
	case A_S:
		e |= aws_buf_puts(o, "<span class=\"s\">");
		e |= srv_render_text(o, v, scratch);
		return e | aws_buf_puts(o, "</span>");
	case A_N:
		e |= aws_buf_puts(o, "<span class=\"n\">");
		e |= srv_render_text(o, v, scratch);
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
			e |= a == A_BS ? item_binary(o, x, scratch) : srv_render_text(o, x, scratch);
			e |= aws_buf_puts(o, "</li>");
		}
		return e | aws_buf_puts(o, "</ul>");
	}
	case A_L: {
		aws_jtext_iter_init(&it, v, '[');
		e |= aws_buf_puts(o, "<ol class=\"list\" start=\"0\">");
		while (aws_jtext_elem(&it, &x) == 1) {
			aws_jtext_val xv;
			srv_atype xa = srv_render_attr_of(x, &xv);
			e |= aws_buf_puts(o, "<li><abbr class=\"type\" title=\"");
			e |= type_abbr(o, xa);
			e |= aws_buf_putc(o, ' ');
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
	if (n > 0 && srv_render_col_is(&m[0].name, in->key))
		key = m[0].val;
	int key_s = key.p && srv_render_attr_of(key, &kv) == A_S;
	const char *title = in->key;
	aws_buf tb = AWS_BUF_INIT;   /* the title: the key's text when it is a string */
	int e = 0;
	if (key_s) {
		const char *s;
		size_t sn;
		int r = srv_render_str_of(kv, &scratch, &s, &sn);
		if (r < 0 || (r == 0 && (aws_buf_append(&tb, s, sn) < 0 || aws_buf_putc(&tb, '\0') < 0)))
			e = -1;   /* no memory for the title: the page fails rather than show another */
		else if (r == 0)
			title = tb.data;
	}
	e |= srv_render_head(out, title);
	e |= srv_render_bar_table(out, in->table);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"item\">\n"
			       "<nav class=\"crumbs\"><a href=\"/query\">All items</a></nav>\n<h1><span class=\"keyname\">");
	e |= aws_jtext_html_escape(out, in->key, strlen(in->key), 0);
	e |= aws_buf_puts(out, "</span> <code>");
	if (key.p)
		e |= item_value(out, key, 0, &scratch);
	e |= aws_buf_puts(out, "</code></h1>\n<p class=\"stats\" role=\"status\">");
	e |= srv_render_plural(out, (long)n, "attribute", "attributes");
	if (in->capacity >= 0)
		e |= aws_buf_printf(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> "
					 "<strong>%g</strong> read capacity units", in->capacity);
	e |= aws_buf_puts(out, "</p>\n<table class=\"attrs\">\n<thead><tr><th scope=\"col\">attribute</th>"
			       "<th scope=\"col\">type</th><th scope=\"col\">value</th></tr></thead>\n<tbody>\n");
	e |= item_rows(out, m, n, 0, &scratch);
	e |= aws_buf_puts(out, "</tbody>\n</table>\n<h2 id=\"ddb-json\">DynamoDB JSON</h2>\n"
			       "<pre class=\"ddb-json\" aria-labelledby=\"ddb-json\"><code>");
	e |= srv_render_ddb_json_html(out, in->item, &scratch);
	e |= aws_buf_puts(out, "</code></pre>\n");
	e |= srv_render_foot(out);
	members_free(m, n);
	aws_buf_free(&scratch);
	aws_buf_free(&tb);
	return e ? -1 : 0;
}

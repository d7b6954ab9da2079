/* srv_render_page.c — what every page shares and the pages without a table of items: the
 * frame (head, bar, foot), the filter form, the start page (what DescribeTable says of the
 * table) and the error page. Every piece of text from a table, a request or an error is
 * escaped as it is written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_jtext.h"
#include "srv_render.h"
#include "srv_render_parts.h"

#ifndef SHOWTABLE_VERSION
#define SHOWTABLE_VERSION "unknown"
#endif

/* ---- page frame ----------------------------------------------------------------------- */

int srv_render_head(aws_buf *o, const char *title)
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

int srv_render_bar_table(aws_buf *o, const char *table)
{
	int e = aws_buf_puts(o, "<span class=\"where\">table <code>");
	e |= table ? aws_jtext_html_escape(o, table, strlen(table), 0) : aws_buf_puts(o, "(unknown)");
	return e | aws_buf_puts(o, "</code></span>");
}

int srv_render_foot(aws_buf *o)
{
	return aws_buf_puts(o, "</main>\n<footer class=\"foot\">showtable " SHOWTABLE_VERSION
			       "</footer>\n</body>\n</html>\n");
}

int srv_render_plural(aws_buf *o, long n, const char *one, const char *many)
{
	return aws_buf_printf(o, "<strong>%ld</strong> %s", n, n == 1 ? one : many);
}

int srv_render_text(aws_buf *o, aws_jtext_val v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	int r = srv_render_str_of(v, scratch, &s, &n);
	if (r != 0)
		return r < 0 ? -1 : aws_buf_puts(o, "?");
	return aws_jtext_html_escape(o, s, n, AWS_JTEXT_MARK);
}

/* ---- the filter form ------------------------------------------------------------------- */

/* Sent with GET from the start page (go-on-aws's Scan button) and the results page alike,
 * so every result page is a URL that can be shared and reloaded. */

/* As HTML. */
static const char *const OP_LABELS[] = {"=", "≠", "&lt;", "&gt;", "begins with", "contains", "exists", "does not exist"};

const char *srv_render_op_label(srv_filter_op op) { return OP_LABELS[op]; }

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

int srv_render_filter_form(aws_buf *o, const char *method, const char *q, int exact, const srv_filter *f,
			   long limit, int autofocus)
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
	return e | aws_buf_puts(o, "</fieldset>\n");
}


/* ---- the start page and the error page -------------------------------------------------- */

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
	int e = srv_render_head(out, table ? table : "showtable");
	e |= srv_render_bar_table(out, table);
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
	e |= srv_render_filter_form(out, "get", "", 0, NULL, SRV_PAGE_LIMIT_DEFAULT, 0);
	e |= aws_buf_puts(out, "</form>\n");
	e |= srv_render_foot(out);
	return e ? -1 : 0;
}

int srv_render_error(aws_buf *out, int status, const char *title, const char *detail)
{
	if (!title)
		title = "Something went wrong";
	int e = srv_render_head(out, title);
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
	e |= srv_render_foot(out);
	return e ? -1 : 0;
}

/* srv_render_results.c — the results page: the items of a page as a table, one column per
 * attribute (itemID first, each itemID a link to its item view), the filter form with its
 * column chooser, what was read and what it cost, and the links to the next and first page.
 *
 * The table is read in one walk over the items' text into a grid of members and the union
 * of their names, allocated once per page; cells are then written straight from the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aws_jtext.h"
#include "srv_render.h"
#include "srv_render_parts.h"

typedef srv_render_col col;
typedef srv_render_member member;

/* The table of a results page, read in one walk over the items' text: every item's
 * members (name, value), each item's run sorted by name; and the columns, the sorted union
 * of the names, merged in item by item (items of one table mostly share their names, so a
 * run that adds nothing costs one pass of comparisons and no writes). */
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
		if (!p->nshow || srv_render_col_is(&g->cols[i], "itemID") || col_chosen(&g->cols[i], p))
			g->shown[g->nshown++] = g->cols[i];
	return 0;
}

/* The column chooser inside the filter form: a checkbox per attribute of the page (and per
 * column chosen before that this page lacks); the form's button applies it. */
static int columns_choice(aws_buf *o, const col *cols, size_t ncols, const srv_page *p)
{
	int e = aws_buf_puts(o, "<details class=\"columns\"><summary>Columns</summary>\n<div class=\"colset\">");
	for (size_t i = 0; i < ncols; i++) {
		if (srv_render_col_is(&cols[i], "itemID"))
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

/* Merges the sorted names of m[0..n) into the columns. */
static int merge_cols(grid *g, const member *m, size_t n)
{
	size_t i = 0, j = 0;
	while (i < g->ncols && j < n) {   /* nothing new? (the common case) */
		int r = srv_render_col_cmp(&g->cols[i], &m[j].name);
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
		int r = i == g->ncols ? 1 : j == n ? -1 : srv_render_col_cmp(&g->cols[i], &m[j].name);
		if (r <= 0) {
			g->tmp[k++] = g->cols[i++];
			j += r == 0;
		} else if (!k || srv_render_col_cmp(&g->tmp[k - 1], &m[j].name) != 0) {
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
			if (srv_render_col_of(name, &g->m[g->nm].name) < 0)
				return -1;
			g->m[g->nm++].val = v;
		}
		if (g->nm == g->run[i])
			continue;   /* no members; g->m may still be NULL, and NULL + 0 is undefined */
		srv_render_sort_members(g->m + g->run[i], g->nm - g->run[i]);
		if (merge_cols(g, g->m + g->run[i], g->nm - g->run[i]) < 0)
			return -1;
	}
	g->run[p->count] = g->nm;
	/* itemID heads the columns */
	for (size_t c = 0; c < g->ncols; c++)
		if (srv_render_col_is(&g->cols[c], "itemID")) {
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
	while (*pos < end && srv_render_col_cmp(&g->m[*pos].name, c) < 0)
		(*pos)++;
	if (*pos < end && srv_render_col_cmp(&g->m[*pos].name, c) == 0)
		return g->m[*pos].val;
	return (aws_jtext_val){NULL, 0};
}

/* An itemID as a link to its item view: <a href="/item/<percent-encoded>">itemID</a>. */
static int cell_item_link(aws_buf *o, aws_jtext_val v, aws_buf *scratch)
{
	const char *s;
	size_t n;
	int r = srv_render_str_of(v, scratch, &s, &n);
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
	srv_atype a = srv_render_attr_of(av, &v);
	int e = 0;
	if (a == A_S) {
		e |= aws_buf_puts(o, "<td>");
		e |= srv_render_text(o, v, scratch);
	} else if (a == A_N) {
		e |= aws_buf_puts(o, "<td class=\"n\">");
		e |= srv_render_text(o, v, scratch);
	} else if (a == A_B) {
		e |= aws_buf_puts(o, "<td class=\"b\" title=\"binary, base64\">");
		e |= srv_render_text(o, v, scratch);
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
				e |= srv_render_text(o, x, scratch);
		}
	} else if (a == A_M || a == A_L) {
		e |= aws_buf_puts(o, "<td class=\"doc\"><code>");
		e |= srv_render_value_json_html(o, av, scratch);
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

/* The line under the form: what the page shows, under which filter, and what it cost. */
static int results_stats(aws_buf *out, const srv_page *p)
{
	int e = aws_buf_puts(out, "<p class=\"stats\" role=\"status\">");
	e |= srv_render_plural(out, p->count, "item", "items");
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
		e |= aws_buf_printf(out, "</code> %s", srv_render_op_label(c->op));
		if (c->op != SRV_OP_EXISTS && c->op != SRV_OP_NOT_EXISTS) {
			e |= aws_buf_puts(out, c->type == SRV_TYPE_STRING ? " <q>" : " <code>");
			e |= aws_jtext_html_escape(out, c->value, strlen(c->value), AWS_JTEXT_MARK);
			e |= aws_buf_puts(out, c->type == SRV_TYPE_STRING ? "</q>" : "</code>");
		}
	}
	e |= aws_buf_puts(out, " <span class=\"sep\" aria-hidden=\"true\">·</span> ");
	e |= srv_render_plural(out, p->scanned, "item scanned", "items scanned");
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
	return e;
}

/* Why a page has no items, in words. */
static int results_empty(aws_buf *out, const srv_page *p)
{
	int filtered = (p->q && *p->q) || p->filter;
	const char *why = p->next_cursor ? "No matching items in this stretch of the table."
		: p->continued ? (filtered ? "No more items match this filter." : "No more items.")
		: filtered ? "No item matches this filter." : "The table is empty.";
	int e = aws_buf_puts(out, "<p class=\"empty\">");
	e |= aws_buf_puts(out, why);
	return e | aws_buf_puts(out, "</p>\n");
}

/* The table of items: the shown columns of g, a row per item. */
static int results_table(aws_buf *out, const srv_page *p, const grid *g, aws_buf *scratch)
{
	const char *table = p->table ? p->table : "(unknown)";
	size_t ncols = g->nshown;
	const col *cols = g->shown;
	int e = aws_buf_puts(out, "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" "
				  "aria-labelledby=\"caption\">\n<table class=\"items\">\n"
				  "<caption id=\"caption\">Items of <code>");
	e |= aws_jtext_html_escape(out, table, strlen(table), 0);
	e |= aws_buf_printf(out, "</code>, %zu attribute%s</caption>\n<thead><tr>", ncols, ncols == 1 ? "" : "s");
	for (size_t c = 0; c < ncols; c++) {
		e |= aws_buf_puts(out, "<th scope=\"col\">");
		e |= aws_jtext_html_escape(out, cols[c].p, cols[c].n, 0);
		e |= aws_buf_puts(out, "</th>");
	}
	e |= aws_buf_puts(out, "</tr></thead>\n<tbody>\n");
	int has_id = ncols > 0 && srv_render_col_is(&cols[0], "itemID");
	for (long i = 0; i < p->count && !e; i++) {
		e |= aws_buf_puts(out, "<tr>");
		size_t pos = g->run[i], id_pos = g->run[i];
		for (size_t c = 0; c < ncols; c++) {
			/* itemID comes first but sorts anywhere: looked up on its own */
			aws_jtext_val v = c == 0 && has_id ? grid_get(g, i, &cols[0], &id_pos)
						    : grid_get(g, i, &cols[c], &pos), s;
			if (c == 0 && has_id && srv_render_attr_of(v, &s) == A_S) {
				/* The key cell heads its row (screen readers read it with each
				 * cell) and opens the item. */
				e |= aws_buf_puts(out, "<th scope=\"row\">");
				e |= cell_item_link(out, s, scratch);
				e |= aws_buf_puts(out, "</th>");
			} else if (!v.p) {
				e |= aws_buf_puts(out, "<td class=\"missing\"></td>");
			} else {
				e |= render_cell(out, v, scratch);
			}
		}
		e |= aws_buf_puts(out, "</tr>\n");   /* buffer full: the loop stops */
	}
	return e | aws_buf_puts(out, "</tbody>\n</table>\n</div>\n");
}

/* The links to the first page (when this is not it) and the next one (when there is one). */
static int results_pager(aws_buf *out, const srv_page *p)
{
	int e = aws_buf_puts(out, "<nav class=\"pager\" aria-label=\"Pages\">");
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
	return e | aws_buf_puts(out, "</nav>\n");
}

int srv_render_results(aws_buf *out, const srv_page *p)
{
	grid g;
	memset(&g, 0, sizeof g);
	if (grid_read(&g, p) < 0 || shown_cols(&g, p) < 0) {
		grid_free(&g);
		return -1;
	}
	int e = srv_render_head(out, p->table ? p->table : "(unknown)");
	e |= srv_render_bar_table(out, p->table);
	e |= aws_buf_puts(out, "</header>\n<main id=\"main\" class=\"results\">\n");
	e |= srv_render_filter_form(out, "get", p->q, p->exact, p->filter, p->limit, 0);
	e |= columns_choice(out, g.cols, g.ncols, p);
	e |= aws_buf_puts(out, "</form>\n");
	e |= results_stats(out, p);
	aws_buf scratch = AWS_BUF_INIT;
	e |= p->count == 0 ? results_empty(out, p) : results_table(out, p, &g, &scratch);
	grid_free(&g);
	aws_buf_free(&scratch);
	e |= results_pager(out, p);
	e |= srv_render_foot(out);
	return e ? -1 : 0;
}

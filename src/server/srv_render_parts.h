/* srv_render_parts.h — what the render files share, and only they: reading DynamoDB's
 * attribute values and member names (srv_render_json.c) and the page frame, the filter
 * form and small text pieces (srv_render_page.c). The public contract is srv_render.h;
 * every function here appends to out and returns 0, or -1 (out full or out of memory),
 * like those.
 */
#ifndef SRV_RENDER_PARTS_H
#define SRV_RENDER_PARTS_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_jtext.h"
#include "srv_filter.h"

/* Deeper nesting is shown as "(nested too deep)" (DynamoDB allows 32). */
#define SRV_RENDER_MAX_DEPTH 64

/* ---- values and names (srv_render_json.c) ---- */

/* DynamoDB's attribute types, told apart once per value. */
typedef enum srv_atype { A_BAD, A_S, A_N, A_B, A_BOOL, A_NULL, A_M, A_L, A_SS, A_NS, A_BS } srv_atype;

/* The one member of an attribute value ({"S":"x"}): its type, and its value in *val; the
 * type A_BAD also when the value does not fit the type (the kind aws_jtext_kind reports). */
srv_atype srv_render_attr_of(aws_jtext_val av, aws_jtext_val *val);

/* aws_jtext_str with its two failures told apart: 0 with the text (in v or in scratch), 1
 * when v is not a string value (the caller writes a placeholder), -1 when scratch cannot
 * grow (the render fails: a page must never show a placeholder for text it merely had no
 * memory to decode). */
int srv_render_str_of(aws_jtext_val v, aws_buf *scratch, const char **s, size_t *n);

/* A map or list value as plain JSON, HTML-escaped: a cell of the results table. */
int srv_render_value_json_html(aws_buf *out, aws_jtext_val av, aws_buf *scratch);
/* Any JSON text (an item's DynamoDB JSON) copied indented, HTML-escaped: the item view. */
int srv_render_ddb_json_html(aws_buf *out, aws_jtext_val v, aws_buf *scratch);

/* A member name as bytes: a view into the item text, or (names with escapes, rare) a
 * decoded copy in owned, which the holder frees. */
typedef struct srv_render_col {
	const char *p;
	size_t n;
	char *owned;
} srv_render_col;

typedef struct srv_render_member {
	srv_render_col name;
	aws_jtext_val val;
} srv_render_member;

/* Reads name (a JSON string) into *c: 0, or -1 when out of memory. */
int srv_render_col_of(aws_jtext_val name, srv_render_col *c);
/* Byte order of two srv_render_col, as strcmp would give for names without NUL (qsort). */
int srv_render_col_cmp(const void *a, const void *b);
/* 1 when c is the text lit. */
int srv_render_col_is(const srv_render_col *c, const char *lit);
/* Sorts n members by name, in place. */
void srv_render_sort_members(srv_render_member *m, size_t n);

/* ---- page pieces (srv_render_page.c) ---- */

/* The document up to the bar's first item; title escaped. */
int srv_render_head(aws_buf *o, const char *title);
/* "table <name>" in the bar (NULL: "(unknown)"). */
int srv_render_bar_table(aws_buf *o, const char *table);
/* Closes main and the document. */
int srv_render_foot(aws_buf *o);
/* The filter form (GET /query, so every result page is a URL), left open: the caller may
 * add to it and closes it with "</form>\n". */
int srv_render_filter_form(aws_buf *o, const char *method, const char *q, int exact, const srv_filter *f,
			   long limit, int autofocus);
/* The comparison op as HTML ("=", "&lt;", "begins with", ...). */
const char *srv_render_op_label(srv_filter_op op);
/* "<strong>n</strong> one|many". */
int srv_render_plural(aws_buf *o, long n, const char *one, const char *many);
/* One string value, decoded and HTML-escaped ("?" when v is not a string). */
int srv_render_text(aws_buf *o, aws_jtext_val v, aws_buf *scratch);

#endif

/* srv_render.h — the HTML pages and the JSON API body, written straight into an aws_buf:
 * srv_render_page.c (frame, filter form, start and error pages), srv_render_results.c,
 * srv_render_item.c, srv_render_json.c (the plain-JSON mapping and the API bodies).
 *
 * Every page is a complete HTML5 document that links /css/showtable.css and
 * /js/showtable.js only (no inline script or style: the CSP forbids them) and works
 * without JavaScript. Every piece of text from a table, a request or an error is escaped.
 * Nothing here allocates per cell; the results page allocates its table of members and
 * columns once per page (names with escapes, rare, are decoded into copies).
 * Each function appends to out and returns 0, or -1 when out is full (its limit) or out
 * of memory; out is then partly written and should be discarded (reset) by the caller.
 */
#ifndef SRV_RENDER_H
#define SRV_RENDER_H

#include "aws_buf.h"
#include "srv_page.h"

/* The start page: which table and what DescribeTable says of it (info: key schema,
 * billing mode, approximate item count and size, point-in-time recovery; NULL says it is
 * unknown), a filter box and a Scan button (form GET /query with fields mode, q, limit and
 * the conditions). table NULL shows "(unknown)"; user may be NULL. */
int srv_render_start(aws_buf *out, const char *table, const char *user, const srv_table_info *info);

/* The results page for p: counts, time taken, a table of every attribute of every item
 * (columns: itemID first, then the other attribute names sorted; each itemID links to its
 * item view /item/<itemID>), the filter box, and "next page" (GET
 * /query?q=&limit=&cursor=) / "first page" links. */
int srv_render_results(aws_buf *out, const srv_page *p);

/* The JSON API body: {"table","items","count","scanned","cursor"} (cursor null at the
 * end), items as plain JSON — the mapping is documented in srv_render_json.c. */
int srv_render_items_json(aws_buf *out, const srv_page *p);

/* One attribute value ({"S":"x"}, ...) as plain JSON by the same mapping (a CSV cell of a
 * map, list or set). scratch: reused between calls. */
int srv_render_plain_json(aws_buf *out, aws_jtext_val av, aws_buf *scratch);

/* One item for the item view: borrowed throughout. */
typedef struct srv_render_item_in {
	const char *table;
	const char *key;           /* the partition key attribute's name */
	aws_jtext_val item;        /* the item's DynamoDB JSON text */
	double capacity;           /* read capacity units GetItem consumed; -1 when unknown */
} srv_render_item_in;

/* The item view: the key as the heading, then every attribute (key first, the others
 * sorted by name) with its type and its value rendered by type — maps and lists expanded
 * as nested tables and lists, binaries as base64 with their size in bytes — and last the
 * item's DynamoDB JSON, indented. */
int srv_render_item(aws_buf *out, const srv_render_item_in *in);

/* The same as JSON: {"table","item" (plain JSON, as /api/items),"dynamodb" (the wire
 * form),"capacity" (null when unknown)}. */
int srv_render_item_json(aws_buf *out, const srv_render_item_in *in);

/* An error page: status (e.g. 404) and title as the heading, detail as a paragraph
 * (either may be NULL), a link back to the start page. */
int srv_render_error(aws_buf *out, int status, const char *title, const char *detail);

#endif

/* srv_page.h — one page of the table for the results page and the JSON API.
 *
 * A page is one or more Scan calls: it keeps scanning until it holds `limit` matching
 * items, the table ends, or the time budget is spent — so a page is never empty while the
 * table has more matching items, unless the budget ran out (then it shows what it has and
 * a next-page cursor). The filter q keeps items whose itemID contains q (a Scan
 * FilterExpression, so the filtering happens in DynamoDB). Without a filter, a full page
 * carries a next-page cursor only when at least one more item exists (one item past the
 * page is read to know), so paging never ends on an empty page; with a filter likewise,
 * scanning on past a full page for one more match, within the budget.
 *
 * Items stay JSON text (aws_ddb_scan_text): each kept item is copied, compacted, into the
 * page's own buffer, and the renderer reads it in place (aws_jtext.h) — no tree per item.
 */
#ifndef SRV_PAGE_H
#define SRV_PAGE_H

#include <jansson.h>
#include "aws_client.h"
#include "aws_ddb.h"
#include "srv_cursor.h"
#include "aws_jtext.h"
#include "srv_filter.h"
#include "srv_table.h"

#define SRV_PAGE_LIMIT_DEFAULT 100
#define SRV_PAGE_LIMIT_MAX     1000
#define SRV_PAGE_Q_MAX         1024   /* bytes of filter text accepted */
#define SRV_PAGE_BUDGET_DEFAULT_MS 5000
#define SRV_PAGE_TEXT_MAX      (24 << 20)   /* bytes of item text in one page */
#define SRV_PAGE_SHOW_MAX      100   /* columns that can be chosen by name */

typedef struct srv_page_span {
	size_t off, len;
} srv_page_span;

typedef struct srv_page {
	const char *table;     /* borrowed from the caller of srv_page_fetch */
	aws_buf text;          /* owned: the items in DynamoDB wire JSON ({"a":{"S":"x"}}),
				  compact, one after another */
	srv_page_span *items;  /* owned: where each item is in text */
	size_t items_cap;
	long count;            /* items in this page (entries of items) */
	long scanned;          /* items DynamoDB read for this page (ScannedCount summed) */
	char *next_cursor;     /* owned; NULL when the table has no more items */
	double elapsed_ms;     /* wall time of the Scan calls (CLOCK_MONOTONIC) */
	const char *q;         /* borrowed; the itemID filter, "" when none */
	const srv_filter *filter;  /* borrowed; the attribute conditions, NULL when none */
	char *const *show;     /* borrowed; the columns chosen to be shown (itemID always is);
				  nshow 0 = every column. For rendering only: no effect on the Scan */
	int nshow;
	long limit;            /* the page size used */
	int budget_spent;      /* 1 when the page stopped early because the budget ran out */
	int continued;         /* 1 when fetched from a cursor (not the first page) */
	int exact;             /* 1 when q was looked up as the whole itemID (srv_page_lookup) */
	double capacity;       /* read capacity units consumed; -1 when DynamoDB did not say */
} srv_page;

/* Parses a limit parameter: NULL or "" → SRV_PAGE_LIMIT_DEFAULT; a decimal integer
 * 1..SRV_PAGE_LIMIT_MAX as given, above the maximum → SRV_PAGE_LIMIT_MAX; anything else
 * (0, negative, not a number) → -1 with AWS_ERR_INVALID ("limit must be a number from 1
 * to 1000"). */
int srv_page_parse_limit(const char *s, long *limit, aws_error *err);

/* Fetches one page of table: starting at cursor (NULL or "" = the first page), filter q
 * (NULL or "" = none; at most SRV_PAGE_Q_MAX bytes of valid UTF-8) and the conditions of
 * filter (NULL = none; borrowed for the page's life), limit items
 * (1..SRV_PAGE_LIMIT_MAX; 0 = default), within budget_ms (0 = default; the first Scan
 * call is always made, later ones only while time is left). out is zeroed here; free it
 * with srv_page_free (also after a failure).
 * Errors: a bad/tampered/oversized cursor, a bad q or limit → -1 with AWS_ERR_INVALID
 * (answer 400); a failed Scan → -1 with the client's error unchanged (AWS_ERR_SERVICE with
 * type "ResourceNotFoundException", AWS_ERR_TIMEOUT, throttled, ...) for the caller to map. */
int srv_page_fetch(aws_client *c, const char *table, const char *q, const srv_filter *filter, const char *cursor,
		   long limit, long budget_ms, const srv_cursor_key *key, srv_page *out,
		   aws_error *err);

/* The page of an exact lookup: the item whose partition key (info's) is q, read with one
 * GetItem (srv_item_get) — 0 or 1 items, never a next page. out as for srv_page_fetch.
 * Errors: srv_item_get's (a q that is not a value of the key's type is AWS_ERR_INVALID). */
int srv_page_lookup(aws_client *c, const char *table, const srv_table_info *info, const char *q,
		    long limit, srv_page *out, aws_error *err);

void srv_page_free(srv_page *p);

/* Item i (0 <= i < count) of p as JSON text; it lives as long as p. */
aws_jtext_val srv_page_item(const srv_page *p, long i);

/* Appends an item given as one JSON object's text (well-formed JSON, compact or not) to p:
 * how tests and benchmarks build pages (srv_page_fetch appends the Scan's items itself).
 * 0, or -1 when out of memory or past p->text.limit. */
int srv_page_add(srv_page *p, const char *json, size_t len);

/* The same with the Scan call replaced (unit tests, benchmarks): scan(ctx, in, page, err)
 * must behave as aws_ddb_scan_text (page reused from call to call). */
typedef int (*srv_scan_fn)(void *ctx, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
			   aws_error *err);
int srv_page_fetch_with(srv_scan_fn scan, void *ctx, const char *table, const char *q,
			const srv_filter *filter, const char *cursor, long limit, long budget_ms,
			const srv_cursor_key *key, srv_page *out, aws_error *err);

#endif

/* srv_page.c — one page of results from one or more Scan calls (see srv_page.h).
 *
 * Without a filter each call asks for the rows still missing plus one (Limit = remaining + 1):
 * the extra item, cut off again, proves there is a next page, so a full page gets a
 * next-page link only when more items exist and the last page is never an empty one. With
 * a filter, DynamoDB applies Limit
 * before filtering, so asking for "remaining" when few items match would crawl through the
 * table a handful of rows per call; instead the Limit doubles per call (up to
 * SRV_PAGE_LIMIT_MAX) and surplus matches are cut off, the cursor then pointing at the
 * last item kept (a Scan's ExclusiveStartKey may be any item's key).
 */
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include "srv_page.h"
#include "aws_time.h"
#include "srv_item.h"

int srv_page_parse_limit(const char *s, long *limit, aws_error *err)
{
	if (!s || !*s) {
		*limit = SRV_PAGE_LIMIT_DEFAULT;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || v < 1)   /* ERANGE: LONG_MAX, clamped below */
		return aws_error_set(err, AWS_ERR_INVALID,
				     "limit must be a number from 1 to %d", SRV_PAGE_LIMIT_MAX);
	*limit = v > SRV_PAGE_LIMIT_MAX ? SRV_PAGE_LIMIT_MAX : v;
	return 0;
}

/* The key of the item whose text is it: its attributes named in key_names (an earlier
 * LastEvaluatedKey), or itemID when no key was seen. NULL when the item lacks one of them.
 * Made once per page (for its cursor), so a tree of this one item is fine. */
static json_t *key_of(aws_jtext_val it, const json_t *key_names)
{
	json_t *item = json_loadb(it.p, it.n, JSON_ALLOW_NUL, NULL);
	json_t *k = item ? json_object() : NULL;
	if (!k) {
		json_decref(item);
		return NULL;
	}
	if (key_names) {
		const char *name;
		json_t *v;
		json_object_foreach((json_t *)key_names, name, v) {
			json_t *iv = json_object_get(item, name);
			(void)v;
			if (!iv || json_object_set(k, name, iv) != 0)
				goto fail;
		}
	} else {
		json_t *iv = json_object_get(item, "itemID");
		if (!iv || json_object_set(k, "itemID", iv) != 0)
			goto fail;
	}
	json_decref(item);
	return k;
fail:
	json_decref(item);
	json_decref(k);
	return NULL;
}

static int scan_real(void *ctx, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
		     aws_error *err)
{
	return aws_ddb_scan_text(ctx, in, page, err);
}

aws_jtext_val srv_page_item(const srv_page *p, long i)
{
	const srv_page_span *sp = &p->items[i];
	return (aws_jtext_val){p->text.data + sp->off, sp->len};
}

/* Records the item that was just appended to p->text from offset off. */
static int page_push(srv_page *p, size_t off)
{
	if ((size_t)p->count == p->items_cap &&
	    aws_buf_array_grow(&p->items, &p->items_cap, sizeof *p->items, 128) < 0) {
		p->text.len = off;
		return -1;
	}
	p->items[p->count++] = (srv_page_span){off, p->text.len - off};
	return 0;
}

int srv_page_add(srv_page *p, const char *json, size_t len)
{
	size_t off = p->text.len;
	if (aws_buf_append(&p->text, json, len) < 0)
		return -1;
	return page_push(p, off);
}

int srv_page_fetch(aws_client *c, const char *table, const char *q, const srv_filter *filter, const char *cursor,
		   long limit, long budget_ms, const srv_cursor_key *key, srv_page *out,
		   aws_error *err)
{
	return srv_page_fetch_with(scan_real, c, table, q, filter, cursor, limit, budget_ms, key, out,
				   err);
}

/* Appends the items of one Scan call to out until it holds limit: 0 when all were kept,
 * 1 when some were cut off (*next_key: the key of the last item kept, where the next page
 * starts; NULL when that item lacks the key), -1 with err when the page cannot hold them. */
static int keep_items(srv_page *out, const aws_ddb_scan_page *sp, long limit, const json_t *start_key,
		      json_t **next_key, aws_error *err)
{
	for (size_t i = 0; i < sp->nitems; i++) {
		if (out->count == limit) {
			/* Surplus (the probe item, or extra matches of a filtered call): the next
			 * page continues after the last item kept. */
			*next_key = key_of(srv_page_item(out, out->count - 1),
					   sp->last_evaluated_key ? sp->last_evaluated_key : start_key);
			return 1;
		}
		size_t off = out->text.len;
		if (aws_ddb_span_append(&out->text, sp, i) < 0 || page_push(out, off) < 0) {
			if (off + sp->items[i].len > out->text.limit)
				return aws_error_set(err, AWS_ERR_INVALID, "the items of this page are "
						     "over %d MiB — ask for fewer items per page (limit)",
						     SRV_PAGE_TEXT_MAX >> 20);
			return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		}
	}
	return 0;
}

/* out->next_cursor: where the next page starts, as the cursor of this filter (bound: its
 * canonical text). */
static int next_cursor(srv_page *out, const srv_cursor_key *key, const json_t *next_key, const char *bound,
		       aws_error *err)
{
	aws_buf cur = AWS_BUF_INIT;
	if (srv_cursor_encode(key, next_key, bound, &cur, err) != 0) {
		aws_buf_free(&cur);
		return -1;
	}
	out->next_cursor = aws_buf_steal(&cur, NULL);
	if (!out->next_cursor)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

/* The page's request into out (zeroed first): table, q, filter, the limit (0: the default)
 * checked; 0, or -1 with AWS_ERR_INVALID for a person. */
static int page_start(srv_page *out, const char *table, const char *q, const srv_filter *filter, long limit,
		      aws_error *err)
{
	memset(out, 0, sizeof *out);
	out->table = table;
	out->q = q ? q : "";
	out->filter = filter && filter->n ? filter : NULL;
	out->capacity = -1;
	if (limit == 0)
		limit = SRV_PAGE_LIMIT_DEFAULT;
	if (limit < 0 || limit > SRV_PAGE_LIMIT_MAX)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "limit must be a number from 1 to %d", SRV_PAGE_LIMIT_MAX);
	out->limit = limit;
	out->text.limit = SRV_PAGE_TEXT_MAX;
	if (strnlen(out->q, SRV_PAGE_Q_MAX + 1) > SRV_PAGE_Q_MAX)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "the filter is too long (at most %d bytes)", SRV_PAGE_Q_MAX);
	return 0;
}

int srv_page_fetch_with(srv_scan_fn scan, void *ctx, const char *table, const char *q,
			const srv_filter *filter, const char *cursor, long limit, long budget_ms,
			const srv_cursor_key *key, srv_page *out, aws_error *err)
{
	double t0 = aws_monotonic_ms();
	if (page_start(out, table, q, filter, limit, err) != 0)
		return -1;
	limit = out->limit;
	if (budget_ms <= 0)
		budget_ms = SRV_PAGE_BUDGET_DEFAULT_MS;

	static const srv_filter none;
	const srv_filter *f = out->filter ? out->filter : &none;
	int rc = -1;
	json_t *names = NULL, *values = NULL, *start_key = NULL, *next_key = NULL;
	aws_buf expr = AWS_BUF_INIT, bound = AWS_BUF_INIT;
	aws_ddb_scan_page sp;
	memset(&sp, 0, sizeof sp);
	if (srv_filter_expression(f, out->q, &expr, &names, &values, err) != 0)
		goto done;
	if (srv_filter_bound(f, out->q, &bound) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	int filtered = expr.len > 0;
	if (cursor && *cursor) {
		if (srv_cursor_decode(key, cursor, bound.data, &start_key, err) != 0)
			goto done;
		out->continued = 1;
	}

	long call_limit = limit;
	for (;;) {
		long remaining = limit - out->count;
		aws_ddb_scan_input in = {
			.table = table,
			.limit = filtered ? call_limit : remaining + 1,
			.exclusive_start_key = start_key,
			.filter_expression = filtered ? expr.data : NULL,
			.expression_attribute_names = names,
			.expression_attribute_values = values,
			.return_consumed_capacity = 1,
		};
		if (scan(ctx, &in, &sp, err) != 0)
			goto done;
		out->scanned += sp.scanned_count;
		if (sp.capacity_units >= 0)
			out->capacity = (out->capacity < 0 ? 0 : out->capacity) + sp.capacity_units;
		int cut = keep_items(out, &sp, limit, start_key, &next_key, err);
		if (cut < 0)
			goto done;
		json_t *lek = json_incref(sp.last_evaluated_key);
		if (cut) {
			json_decref(lek);
			if (!next_key) {
				aws_error_set(err, AWS_ERR_PROTOCOL,
					      "an item in the scan lacks the table's key attributes");
				goto done;
			}
			break;
		}
		json_decref(start_key);
		start_key = NULL;
		if (!lek)
			break;                                   /* the table ends here */
		if (out->count == limit) {
			/* Full, and DynamoDB stopped at one of its page boundaries: look on for one
			 * more item (a match, with a filter) so that a next page is offered only
			 * when it has something — unless time is up; then it starts here and may
			 * turn out empty. */
			if (aws_monotonic_ms() - t0 >= (double)budget_ms) {
				next_key = lek;
				break;
			}
		} else if (aws_monotonic_ms() - t0 >= (double)budget_ms) {
			next_key = lek;
			out->budget_spent = 1;
			break;
		}
		start_key = lek;
		if (call_limit < SRV_PAGE_LIMIT_MAX)
			call_limit = call_limit * 2 > SRV_PAGE_LIMIT_MAX ? SRV_PAGE_LIMIT_MAX
									 : call_limit * 2;
		if (call_limit < limit - out->count)
			call_limit = limit - out->count;
	}
	if (next_key && next_cursor(out, key, next_key, bound.data, err) != 0)
		goto done;
	rc = 0;
done:
	out->elapsed_ms = aws_monotonic_ms() - t0;
	aws_buf_free(&expr);
	aws_buf_free(&bound);
	json_decref(names);
	json_decref(values);
	json_decref(start_key);
	json_decref(next_key);
	aws_ddb_scan_page_free(&sp);
	return rc;
}

int srv_page_lookup(aws_client *c, const char *table, const srv_table_info *info, const char *q,
		    long limit, srv_page *out, aws_error *err)
{
	double t0 = aws_monotonic_ms();
	memset(out, 0, sizeof *out);
	out->table = table;
	out->q = q ? q : "";
	out->limit = limit > 0 ? limit : SRV_PAGE_LIMIT_DEFAULT;
	out->exact = 1;
	out->capacity = -1;
	out->text.limit = SRV_PAGE_TEXT_MAX;
	aws_ddb_get_item_output got = {0};
	int rc = srv_item_get(c, table, info, out->q, strlen(out->q), &got, err);
	if (rc == 0) {
		out->capacity = got.capacity_units;
		out->scanned = got.found;
		if (got.found && srv_page_add(out, got.item.data, got.item.len) != 0)
			rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	}
	aws_ddb_get_item_output_free(&got);
	out->elapsed_ms = aws_monotonic_ms() - t0;
	return rc;
}

void srv_page_free(srv_page *p)
{
	if (!p)
		return;
	aws_buf_free(&p->text);
	free(p->items);
	free(p->next_cursor);
	p->items = NULL;
	p->items_cap = 0;
	p->count = 0;
	p->next_cursor = NULL;
}

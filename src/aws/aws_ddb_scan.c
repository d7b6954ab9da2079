/* aws_ddb_scan.c — DynamoDB Scan, in two forms (see aws_ddb.h): a tree per page
 * (aws_ddb_scan, with jansson) and the text form (aws_ddb_scan_text), which reads the
 * response in one validating pass and leaves items as spans — no tree per item, so a caller
 * that passes items on as JSON (the server's pages, the CLI's scan) costs ~10x less. Every
 * response field used is checked; a missing or mistyped one is AWS_ERR_PROTOCOL naming it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "aws_ddb.h"
#include "aws_ddb_call.h"
#include "aws_ddb_value.h"
#include "aws_json.h"

/* A non-negative JSON integer field; -1 on missing/mistyped. */
static long ddb_count_field(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	return (long)json_integer_value(v);
}

/* Checks a Scan input and builds its request object (caller decrefs). */
static json_t *ddb_scan_request(const aws_ddb_scan_input *in, aws_error *err)
{
	if (!in) {
		aws_error_set(err, AWS_ERR_INVALID, "DynamoDB Scan: no input");
		return NULL;
	}
	if (aws_ddb_table_name_ok(in->table, err) < 0)
		return NULL;
	if (in->limit < 0) {
		aws_error_set(err, AWS_ERR_INVALID, "DynamoDB Scan: Limit must be positive");
		return NULL;
	}
	if (in->total_segments < 0 || in->total_segments > 1000000 ||
	    (in->total_segments > 0 && (in->segment < 0 || in->segment >= in->total_segments))) {
		aws_error_set(err, AWS_ERR_INVALID, "DynamoDB Scan: segment %d of %d is out of "
			      "range (TotalSegments 1..1000000, Segment below it)", in->segment,
			      in->total_segments);
		return NULL;
	}
	if ((in->exclusive_start_key && !json_is_object(in->exclusive_start_key)) ||
	    (in->expression_attribute_names && !json_is_object(in->expression_attribute_names)) ||
	    (in->expression_attribute_values && !json_is_object(in->expression_attribute_values))) {
		aws_error_set(err, AWS_ERR_INVALID, "DynamoDB Scan: start key, attribute names and "
			      "values must be JSON objects");
		return NULL;
	}

	json_t *req = json_object();
	int bad = !req || json_object_set_new(req, "TableName", json_string(in->table));
	if (!bad && in->limit > 0)
		bad = json_object_set_new(req, "Limit", json_integer(in->limit));
	if (!bad && in->exclusive_start_key)
		bad = aws_ddb_set_borrowed(req, "ExclusiveStartKey", in->exclusive_start_key);
	if (!bad && in->total_segments > 0)
		bad = json_object_set_new(req, "Segment", json_integer(in->segment)) ||
		      json_object_set_new(req, "TotalSegments", json_integer(in->total_segments));
	if (!bad && in->filter_expression)
		bad = json_object_set_new(req, "FilterExpression",
					  json_string(in->filter_expression));
	if (!bad && in->projection_expression)
		bad = json_object_set_new(req, "ProjectionExpression",
					  json_string(in->projection_expression));
	if (!bad && in->expression_attribute_names && json_object_size(in->expression_attribute_names))
		bad = aws_ddb_set_borrowed(req, "ExpressionAttributeNames",
				       in->expression_attribute_names);
	if (!bad && in->expression_attribute_values &&
	    json_object_size(in->expression_attribute_values))
		bad = aws_ddb_set_borrowed(req, "ExpressionAttributeValues",
				       in->expression_attribute_values);
	if (!bad && in->consistent_read)
		bad = json_object_set_new(req, "ConsistentRead", json_true());
	if (!bad && in->return_consumed_capacity)
		bad = json_object_set_new(req, "ReturnConsumedCapacity", json_string("TOTAL"));
	if (bad) {
		json_decref(req);
		aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB Scan: out of memory (or a string that "
			      "is not UTF-8) building the request");
		return NULL;
	}
	return req;
}

/* Count and ScannedCount must be non-negative integers, Count the number of Items, and a
 * LastEvaluatedKey, when present, a non-empty object. */
static int ddb_scan_counts_ok(long count, long scanned, size_t nitems, const json_t *lek,
			      aws_error *err)
{
	if (count < 0)
		return aws_ddb_bad_field(err, "Scan", "Count", "a non-negative integer");
	if (scanned < 0)
		return aws_ddb_bad_field(err, "Scan", "ScannedCount", "a non-negative integer");
	if ((size_t)count != nitems)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB Scan: response Count %ld does "
				     "not match the %zu Items returned", count, nitems);
	if (lek && (!json_is_object(lek) || json_object_size(lek) == 0))
		return aws_ddb_bad_field(err, "Scan", "LastEvaluatedKey", "a non-empty object");
	return 0;
}

int aws_ddb_scan(aws_client *c, const aws_ddb_scan_input *in, aws_ddb_scan_output *out,
		 aws_error *err)
{
	memset(out, 0, sizeof *out);
	json_t *req = ddb_scan_request(in, err);
	if (!req)
		return -1;
	json_t *resp;
	int rc = aws_ddb_call(c, "Scan", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "scan of %s", in->table);

	json_t *items = json_object_get(resp, "Items");
	long count = ddb_count_field(resp, "Count");
	long scanned = ddb_count_field(resp, "ScannedCount");
	json_t *lek = json_object_get(resp, "LastEvaluatedKey");
	if (!json_is_array(items))
		rc = aws_ddb_bad_field(err, "Scan", "Items", "an array");
	else
		rc = ddb_scan_counts_ok(count, scanned, json_array_size(items), lek, err);
	if (rc == 0)
		rc = aws_ddb_capacity(resp, "Scan", &out->capacity_units, err);
	if (rc == 0) {
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it) {
			if (!json_is_object(it)) {
				rc = aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB Scan: Items[%zu] "
						   "is not an object", i);
				break;
			}
		}
	}
	if (rc < 0) {
		json_decref(resp);
		return aws_error_prefix(err, "scan of %s", in->table);
	}
	out->items = json_incref(items);
	out->count = count;
	out->scanned_count = scanned;
	out->last_evaluated_key = lek ? json_incref(lek) : NULL;
	out->response = resp;
	return 0;
}

/* ---------- Scan, items as text ----------
 * One pass over the response with the aws_json scanner: checks it is well-formed JSON
 * (UTF-8 and repeated names included) and notes where each item's text is, so a caller that
 * passes items on as JSON never builds a tree for them. Only the small LastEvaluatedKey is
 * parsed with jansson. */

/* Count / ScannedCount: a plain non-negative integer. */
static int ddb_count(aws_json_lex *l, long *out)
{
	aws_json_ws(l);
	if (l->end - l->p >= 2 && l->p[0] == '-' && l->p[1] == '0')
		l->p++;   /* "-0" is a valid JSON zero; any other sign makes it negative */
	const unsigned char *b = l->p;
	long v = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9' && l->p - b < 12)
		v = v * 10 + (*l->p++ - '0');
	if (l->p == b || (l->p - b > 1 && *b == '0') ||   /* JSON has no leading zeros */
	    (l->p < l->end && (*l->p == '.' || *l->p == 'e' || *l->p == 'E' ||
			       (*l->p >= '0' && *l->p <= '9'))))
		return -1;
	*out = v;
	return 0;
}

static int ddb_page_add(aws_ddb_scan_page *pg, size_t off, size_t len, int ws)
{
	if (pg->nitems == pg->items_cap &&
	    aws_buf_array_grow(&pg->items, &pg->items_cap, sizeof *pg->items, 256) < 0)
		return -1;
	pg->items[pg->nitems++] = (aws_ddb_span){off, len, ws};
	return 0;
}

/* The page's text stopped being JSON at l's position (l->why says how): -2, for
 * aws_ddb_scan_text to report as the client reports a bad body. */
static int ddb_scan_not_json(aws_json_lex *l, const char *why)
{
	if (why)
		aws_json_fail(l, why);
	return -2;
}

/* The Items array of a Scan page, l at its '[': each item checked as JSON and kept as a
 * span. Returns 0, -1 with *err, or -2 (not JSON: l says why and where). */
static int ddb_scan_items(aws_ddb_scan_page *pg, aws_json_lex *l, aws_error *err)
{
	l->p++;
	aws_json_ws(l);
	if (l->p < l->end && *l->p == ']') {
		l->p++;
		return 0;
	}
	for (;;) {
		aws_json_ws(l);
		if (l->p >= l->end)
			return ddb_scan_not_json(l, "");
		if (*l->p != '{')
			return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB Scan: Items[%zu] is not "
					     "an object", pg->nitems);
		const unsigned char *b = l->p;
		l->ws = 0;
		if (aws_json_value(l, 1) < 0)
			return ddb_scan_not_json(l, NULL);
		if (ddb_page_add(pg, (size_t)(b - l->base), (size_t)(l->p - b), l->ws) < 0)
			return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB Scan: out of memory");
		aws_json_ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			continue;
		}
		if (l->p < l->end && *l->p == ']') {
			l->p++;
			return 0;
		}
		return ddb_scan_not_json(l, "expected ',' or ']' in Items");
	}
}

/* What the walk over a Scan page has found so far. */
typedef struct scan_walk {
	aws_ddb_scan_page *pg;
	aws_error *err;
	long count, scanned;
	int seen_items;
	const unsigned char *lek_at, *lek_end, *cc_at, *cc_end;
} scan_walk;

static int scan_member(void *ud, aws_json_lex *l, const unsigned char *name, size_t nlen)
{
	scan_walk *w = ud;
#define DDB_IS(s) (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
	if (DDB_IS("Items")) {
		if (w->seen_items++ || l->p >= l->end || *l->p != '[')
			return aws_ddb_bad_field(w->err, "Scan", "Items", "one array");
		return ddb_scan_items(w->pg, l, w->err);
	}
	if (DDB_IS("Count") || DDB_IS("ScannedCount")) {
		long *dst = DDB_IS("Count") ? &w->count : &w->scanned;
		if (*dst >= 0 || ddb_count(l, dst) < 0)
			return aws_ddb_bad_field(w->err, "Scan", DDB_IS("Count") ? "Count" : "ScannedCount",
						 "a non-negative integer");
		return 0;
	}
	const unsigned char *b = l->p;
	if (aws_json_value(l, 1) < 0)
		return -2;
	if (DDB_IS("LastEvaluatedKey")) {
		if (w->lek_at)
			return aws_ddb_bad_field(w->err, "Scan", "LastEvaluatedKey", "given once");
		w->lek_at = b;
		w->lek_end = l->p;
	} else if (DDB_IS("ConsumedCapacity")) {
		w->cc_at = b;
		w->cc_end = l->p;
	}
#undef DDB_IS
	return 0;
}

/* Reads the Scan response in l (pg->body) into the page's fields: the whole text is
 * checked by the aws_json scanner on the way, the only check it gets (aws_json_call_raw).
 * Returns 0; -1 with *err for a response that is JSON but not a Scan page; -2 when the text
 * is not one JSON object (l->why and l->p say why and where). */
static int ddb_scan_page_read(aws_ddb_scan_page *pg, aws_json_lex *l, aws_error *err)
{
	scan_walk w = {.pg = pg, .err = err, .count = -1, .scanned = -1};
	int rc = aws_ddb_answer_walk(l, scan_member, &w);
	if (rc < 0)
		return rc;
	if (!w.seen_items)
		return aws_ddb_bad_field(err, "Scan", "Items", "an array");
	if (w.lek_at) {
		json_error_t jerr;
		pg->last_evaluated_key = json_loadb((const char *)w.lek_at, (size_t)(w.lek_end - w.lek_at),
						    JSON_ALLOW_NUL | JSON_DECODE_ANY |
						    JSON_REJECT_DUPLICATES, &jerr);
		if (!pg->last_evaluated_key)
			return aws_ddb_bad_field(err, "Scan", "LastEvaluatedKey", "valid JSON");
	}
	if (w.cc_at && aws_ddb_capacity_text((const char *)w.cc_at, (size_t)(w.cc_end - w.cc_at), "Scan",
					     &pg->capacity_units, err) < 0)
		return -1;
	pg->count = w.count;
	pg->scanned_count = w.scanned;
	return ddb_scan_counts_ok(w.count, w.scanned, pg->nitems, pg->last_evaluated_key, err);
}

int aws_ddb_scan_text(aws_client *c, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
		      aws_error *err)
{
	json_decref(page->last_evaluated_key);
	page->last_evaluated_key = NULL;
	page->nitems = 0;
	page->count = page->scanned_count = 0;
	page->capacity_units = -1;
	json_t *req = ddb_scan_request(in, err);
	if (!req)
		return -1;
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!body)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB Scan: out of memory building "
				     "the request");
	/* Unchecked by the client: ddb_scan_page_read checks every byte of the body. */
	aws_http_response r;
	int rc = aws_json_call_raw(c, &AWS_SERVICE_DYNAMODB, "Scan", body, strlen(body), &r, err);
	free(body);
	if (rc == 0) {
		size_t limit = page->body.limit;
		aws_buf_free(&page->body);
		page->body = r.body;
		page->body.limit = limit;
		r.body = (aws_buf)AWS_BUF_INIT;
		aws_json_lex l;
		aws_json_lex_init(&l, page->body.data, page->body.len);
		rc = ddb_scan_page_read(page, &l, err);
		if (rc == -2) {
			/* reported as aws_json_call reports it: endpoint, status, request id */
			r.body = page->body;
			aws_json_call_bad_body(c, &AWS_SERVICE_DYNAMODB, "Scan", &r,
					       l.why ? l.why : "malformed", aws_json_offset(&l), err);
			r.body = (aws_buf)AWS_BUF_INIT;
		}
		aws_json_lex_free(&l);
		if (rc < 0) {
			json_decref(page->last_evaluated_key);
			page->last_evaluated_key = NULL;
			page->nitems = 0;
		}
	}
	aws_http_response_free(&r);
	return rc < 0 ? aws_error_prefix(err, "scan of %s", in->table) : 0;
}

int aws_ddb_scan_page_parse(aws_ddb_scan_page *page, const char *text, size_t len,
			    aws_error *err)
{
	json_decref(page->last_evaluated_key);
	page->last_evaluated_key = NULL;
	page->nitems = 0;
	page->count = page->scanned_count = 0;
	page->capacity_units = -1;
	aws_buf_reset(&page->body);
	if (aws_buf_append(&page->body, text, len) < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB Scan: out of memory");
	aws_json_lex l;
	aws_json_lex_init(&l, page->body.data, page->body.len);
	int rc = ddb_scan_page_read(page, &l, err);
	if (rc == -2)
		aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB Scan: the response is not JSON: %s at "
			      "byte %zu", l.why ? l.why : "malformed", aws_json_offset(&l));
	aws_json_lex_free(&l);
	if (rc < 0) {
		json_decref(page->last_evaluated_key);
		page->last_evaluated_key = NULL;
		page->nitems = 0;
		return -1;
	}
	return 0;
}

void aws_ddb_scan_page_free(aws_ddb_scan_page *page)
{
	if (!page)
		return;
	aws_buf_free(&page->body);
	free(page->items);
	json_decref(page->last_evaluated_key);
	memset(page, 0, sizeof *page);
}

int aws_ddb_span_append(aws_buf *out, const aws_ddb_scan_page *page, size_t i)
{
	const aws_ddb_span *sp = &page->items[i];
	return aws_ddb_compact_append(out, page->body.data + sp->off, sp->len, sp->has_space);
}

void aws_ddb_scan_output_free(aws_ddb_scan_output *out)
{
	if (!out)
		return;
	json_decref(out->items);
	json_decref(out->last_evaluated_key);
	json_decref(out->response);
	memset(out, 0, sizeof *out);
}

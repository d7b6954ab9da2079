/* aws_ddb.c — DynamoDB Scan, DescribeTable, CreateTable, DeleteTable, BatchWriteItem (see
 * aws_ddb.h; the attribute-value validators are aws_ddb_value.c). Requests are built and
 * responses parsed with jansson — except Scan's text form, which reads the response in one
 * validating pass and leaves items as spans (no tree per item: the CLI's scan is ~10x
 * cheaper that way). Every response field we use is checked; a missing or mistyped one is
 * AWS_ERR_PROTOCOL naming the field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aws_crypto.h"
#include "aws_ddb.h"
#include "aws_ddb_value.h"
#include "aws_json.h"
#include "aws_time.h"

#define DDB_BATCH_MAX 25        /* BatchWriteItem accepts at most 25 requests */
#define DDB_UNPROCESSED_ROUNDS 8
#define DDB_BACKOFF_BASE_MS 50
#define DDB_BACKOFF_CAP_MS 5000

/* ---------- small helpers ---------- */

static void (*ddb_sleep_hook)(long ms);

void aws_ddb_set_sleep(void (*sleep_ms)(long ms))
{
	ddb_sleep_hook = sleep_ms;
}

static void ddb_sleep_ms(long ms)
{
	if (ddb_sleep_hook)
		ddb_sleep_hook(ms);
	else
		aws_sleep_ms(ms);
}

static int ddb_table_name_ok(const char *t, aws_error *err)
{
	if (!t || !*t)
		return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB: no table name given");
	size_t n = strlen(t);
	if (n < 3 || n > 255)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "DynamoDB: table name \"%.64s\" must be 3 to 255 characters", t);
	for (const char *p = t; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return aws_error_set(err, AWS_ERR_INVALID,
					     "DynamoDB: table name \"%.64s\" may contain only "
					     "letters, digits, '_', '-' and '.'", t);
	}
	return 0;
}

/* Sends req (a JSON object, not consumed) as operation op; on success *resp is the parsed
 * response object (caller decrefs). */
static int ddb_call(aws_client *c, const char *op, const json_t *req, json_t **resp,
		    aws_error *err)
{
	*resp = NULL;
	char *body = json_dumps(req, JSON_COMPACT);
	if (!body)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB %s: out of memory building "
				     "the request", op);
	aws_buf out = AWS_BUF_INIT;
	int rc = aws_json_call(c, &AWS_SERVICE_DYNAMODB, op, body, strlen(body), &out, err);
	free(body);
	if (rc < 0) {
		aws_buf_free(&out);
		return -1;
	}
	json_error_t jerr;
	json_t *r = json_loadb(out.data ? out.data : "", out.len,
			       JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
	aws_buf_free(&out);
	if (!r)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB %s: response is not valid "
				     "JSON (%s at byte %d)", op, jerr.text, jerr.position);
	if (!json_is_object(r)) {
		json_decref(r);
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB %s: response is not a JSON "
				     "object", op);
	}
	*resp = r;
	return 0;
}

static int ddb_bad_field(aws_error *err, const char *op, const char *field, const char *want)
{
	return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB %s: response field %s is missing "
			     "or not %s", op, field, want);
}

/* A non-negative JSON integer field; -1 on missing/mistyped. */
static long ddb_count_field(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	return (long)json_integer_value(v);
}

/* json_object_set with a borrowed const value: jansson reference counts are atomic, so
 * taking a reference to a caller's value (never modifying it) is safe. */
static int ddb_set_borrowed(json_t *o, const char *k, const json_t *v)
{
	return json_object_set(o, k, (json_t *)v);
}

/* ---------- Scan ---------- */

static int ddb_capacity(const json_t *resp, const char *op, double *units, aws_error *err);

/* Checks a Scan input and builds its request object (caller decrefs). */
static json_t *ddb_scan_request(const aws_ddb_scan_input *in, aws_error *err)
{
	if (!in) {
		aws_error_set(err, AWS_ERR_INVALID, "DynamoDB Scan: no input");
		return NULL;
	}
	if (ddb_table_name_ok(in->table, err) < 0)
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
		bad = ddb_set_borrowed(req, "ExclusiveStartKey", in->exclusive_start_key);
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
		bad = ddb_set_borrowed(req, "ExpressionAttributeNames",
				       in->expression_attribute_names);
	if (!bad && in->expression_attribute_values &&
	    json_object_size(in->expression_attribute_values))
		bad = ddb_set_borrowed(req, "ExpressionAttributeValues",
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
		return ddb_bad_field(err, "Scan", "Count", "a non-negative integer");
	if (scanned < 0)
		return ddb_bad_field(err, "Scan", "ScannedCount", "a non-negative integer");
	if ((size_t)count != nitems)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB Scan: response Count %ld does "
				     "not match the %zu Items returned", count, nitems);
	if (lek && (!json_is_object(lek) || json_object_size(lek) == 0))
		return ddb_bad_field(err, "Scan", "LastEvaluatedKey", "a non-empty object");
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
	int rc = ddb_call(c, "Scan", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "scan of %s", in->table);

	json_t *items = json_object_get(resp, "Items");
	long count = ddb_count_field(resp, "Count");
	long scanned = ddb_count_field(resp, "ScannedCount");
	json_t *lek = json_object_get(resp, "LastEvaluatedKey");
	if (!json_is_array(items))
		rc = ddb_bad_field(err, "Scan", "Items", "an array");
	else
		rc = ddb_scan_counts_ok(count, scanned, json_array_size(items), lek, err);
	if (rc == 0)
		rc = ddb_capacity(resp, "Scan", &out->capacity_units, err);
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

/* Reads the Scan response in pg->body (base) into the page's fields. */
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

/* Reads the Scan response in l (pg->body) into the page's fields: the whole text is
 * checked by the aws_json scanner on the way, the only check it gets (aws_json_call_raw).
 * Returns 0; -1 with *err for a response that is JSON but not a Scan page; -2 when the text
 * is not one JSON object (l->why and l->p say why and where). */
static int ddb_scan_page_read(aws_ddb_scan_page *pg, aws_json_lex *l, aws_error *err)
{
	long count = -1, scanned = -1;
	int seen_items = 0;
	const unsigned char *lek_at = NULL, *lek_end = NULL, *cc_at = NULL, *cc_end = NULL;
	aws_json_ws(l);
	if (l->p >= l->end) {
		l->p = l->base;
		l->why = "empty body";   /* not "truncated": there is nothing to cut */
		return -2;
	}
	if (*l->p != '{')
		return ddb_scan_not_json(l, "not a JSON object");
	l->p++;
	aws_json_ws(l);
	int empty = l->p < l->end && *l->p == '}';
	if (empty)
		l->p++;
	while (!empty) {
		const unsigned char *name;
		size_t nlen;
		if (aws_json_member(l, &name, &nlen) < 0)
			return ddb_scan_not_json(l, NULL);
#define DDB_IS(s) (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
		if (DDB_IS("Items")) {
			if (seen_items++ || l->p >= l->end || *l->p != '[')
				return ddb_bad_field(err, "Scan", "Items", "one array");
			int irc = ddb_scan_items(pg, l, err);
			if (irc < 0)
				return irc;
		} else if (DDB_IS("Count") || DDB_IS("ScannedCount")) {
			long *dst = DDB_IS("Count") ? &count : &scanned;
			if (*dst >= 0 || ddb_count(l, dst) < 0)
				return ddb_bad_field(err, "Scan", DDB_IS("Count") ? "Count" : "ScannedCount",
						     "a non-negative integer");
		} else {
			const unsigned char *b = l->p;
			if (aws_json_value(l, 1) < 0)
				return ddb_scan_not_json(l, NULL);
			if (DDB_IS("LastEvaluatedKey")) {
				if (lek_at)
					return ddb_bad_field(err, "Scan", "LastEvaluatedKey", "given once");
				lek_at = b;
				lek_end = l->p;
			} else if (DDB_IS("ConsumedCapacity")) {
				cc_at = b;
				cc_end = l->p;
			}
		}
#undef DDB_IS
		aws_json_ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			continue;
		}
		if (l->p < l->end && *l->p == '}') {
			l->p++;
			if (aws_json_names_end(l, 0) < 0)
				return ddb_scan_not_json(l, NULL);
			break;
		}
		return ddb_scan_not_json(l, "expected ',' or '}'");
	}
	aws_json_ws(l);
	if (l->p != l->end) {
		return ddb_scan_not_json(l, "text after the JSON object");
	}
	if (!seen_items)
		return ddb_bad_field(err, "Scan", "Items", "an array");
	if (lek_at) {
		json_error_t jerr;
		pg->last_evaluated_key = json_loadb((const char *)lek_at, (size_t)(lek_end - lek_at),
						    JSON_ALLOW_NUL | JSON_DECODE_ANY |
						    JSON_REJECT_DUPLICATES, &jerr);
		if (!pg->last_evaluated_key)
			return ddb_bad_field(err, "Scan", "LastEvaluatedKey", "valid JSON");
	}
	if (cc_at) {   /* small: read with jansson, as the tree form does */
		json_t *cc = json_loadb((const char *)cc_at, (size_t)(cc_end - cc_at), JSON_DECODE_ANY, NULL);
		json_t *wrap = json_pack("{s:o?}", "ConsumedCapacity", cc);
		int bad = !wrap || ddb_capacity(wrap, "Scan", &pg->capacity_units, err) < 0;
		json_decref(wrap);
		if (bad)
			return -1;
	}
	pg->count = count;
	pg->scanned_count = scanned;
	return ddb_scan_counts_ok(count, scanned, pg->nitems, pg->last_evaluated_key, err);
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
	const char *p = page->body.data + sp->off;
	if (!sp->has_space)
		return aws_buf_append(out, p, sp->len);
	if (aws_buf_reserve(out, sp->len) < 0)
		return -1;
	/* Drop whitespace outside strings so the item stays on one line. */
	char *o = out->data + out->len;
	int in_str = 0;
	for (size_t k = 0; k < sp->len; k++) {
		char ch = p[k];
		if (in_str) {
			*o++ = ch;
			if (ch == '\\')
				*o++ = p[++k];
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
			*o++ = ch;
		} else if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
			*o++ = ch;
		}
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return 0;
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

/* ---------- GetItem ---------- */

/* The key must be what GetItem accepts: one or two attributes, each one S, N or B value. */
static int ddb_key_ok(const json_t *key, aws_error *err)
{
	if (!json_is_object(key) || json_object_size(key) < 1 || json_object_size(key) > 2)
		return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB GetItem: the key must be an "
				     "object of one or two attributes");
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)key, name, v) {
		char why[256];
		if (!aws_ddb_value_valid(v, why, sizeof why))
			return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB GetItem: key attribute "
					     "\"%.64s\": %s", name, why);
		if (!json_object_get(v, "S") && !json_object_get(v, "N") && !json_object_get(v, "B"))
			return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB GetItem: key attribute "
					     "\"%.64s\" must be a string, number or binary", name);
	}
	return 0;
}

/* ConsumedCapacity, when present: an object whose CapacityUnits is a number. */
static int ddb_capacity(const json_t *resp, const char *op, double *units, aws_error *err)
{
	*units = -1;
	const json_t *cc = json_object_get(resp, "ConsumedCapacity");
	if (!cc)
		return 0;
	const json_t *u = json_object_get(cc, "CapacityUnits");
	if (!json_is_object(cc) || (u && !json_is_number(u)))
		return ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number");
	if (u)
		*units = json_number_value(u);
	return 0;
}

int aws_ddb_get_item(aws_client *c, const aws_ddb_get_item_input *in, aws_ddb_get_item_output *out,
		     aws_error *err)
{
	out->found = 0;
	out->capacity_units = -1;
	aws_buf_reset(&out->item);
	if (ddb_table_name_ok(in->table, err) < 0 || ddb_key_ok(in->key, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s, s:O, s:s}", "TableName", in->table, "Key", in->key,
				"ReturnConsumedCapacity", "TOTAL");
	if (req && in->consistent_read && json_object_set_new(req, "ConsistentRead", json_true()))
		json_decref(req), req = NULL;
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB GetItem: out of memory building "
				     "the request");
	json_t *resp;
	int rc = ddb_call(c, "GetItem", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "reading an item of %s", in->table);
	const json_t *item = json_object_get(resp, "Item");
	if (item && !json_is_object(item))
		rc = ddb_bad_field(err, "GetItem", "Item", "an object");
	if (rc == 0)
		rc = ddb_capacity(resp, "GetItem", &out->capacity_units, err);
	if (rc == 0 && item) {
		char *text = json_dumps(item, JSON_COMPACT);
		if (!text || aws_buf_puts(&out->item, text) < 0)
			rc = aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB GetItem: out of memory");
		free(text);
		out->found = rc == 0;
	}
	json_decref(resp);
	return rc < 0 ? aws_error_prefix(err, "reading an item of %s", in->table) : 0;
}

void aws_ddb_get_item_output_free(aws_ddb_get_item_output *out)
{
	if (!out)
		return;
	aws_buf_free(&out->item);
	out->found = 0;
}

/* ---------- tables ---------- */

int aws_ddb_describe_table(aws_client *c, const char *table, json_t **out, aws_error *err)
{
	*out = NULL;
	if (ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DescribeTable: out of memory");
	json_t *resp;
	int rc = ddb_call(c, "DescribeTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "describing table %s", table);
	json_t *t = json_object_get(resp, "Table");
	if (!json_is_object(t))
		rc = ddb_bad_field(err, "DescribeTable", "Table", "an object");
	else if (!json_is_string(json_object_get(t, "TableName")))
		rc = ddb_bad_field(err, "DescribeTable", "Table.TableName", "a string");
	else if (!json_is_string(json_object_get(t, "TableStatus")))
		rc = ddb_bad_field(err, "DescribeTable", "Table.TableStatus", "a string");
	if (rc == 0)
		*out = json_incref(t);
	json_decref(resp);
	return rc < 0 ? aws_error_prefix(err, "describing table %s", table) : 0;
}

int aws_ddb_pitr_status(aws_client *c, const char *table, int *pitr, aws_error *err)
{
	*pitr = 0;
	if (ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DescribeContinuousBackups: out of memory");
	json_t *resp;
	int rc = ddb_call(c, "DescribeContinuousBackups", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "reading the backups of %s", table);
	const char *st = json_string_value(json_object_get(json_object_get(json_object_get(resp,
		"ContinuousBackupsDescription"), "PointInTimeRecoveryDescription"), "PointInTimeRecoveryStatus"));
	if (!st || (strcmp(st, "ENABLED") != 0 && strcmp(st, "DISABLED") != 0))
		rc = ddb_bad_field(err, "DescribeContinuousBackups",
				   "ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus",
				   "ENABLED or DISABLED");
	else
		*pitr = strcmp(st, "ENABLED") == 0;
	json_decref(resp);
	return rc < 0 ? aws_error_prefix(err, "reading the backups of %s", table) : 0;
}

int aws_ddb_wait_table(aws_client *c, const char *table, aws_ddb_table_state want,
		       int timeout_s, aws_error *err)
{
	double t0 = aws_monotonic_ms();
	long delay = 100;
	const char *last = "unknown";
	char status[32] = "";
	for (;;) {
		json_t *t;
		aws_error e;
		if (aws_ddb_describe_table(c, table, &t, &e) == 0) {
			snprintf(status, sizeof status, "%s",
				 json_string_value(json_object_get(t, "TableStatus")));
			json_decref(t);
			if (want == AWS_DDB_TABLE_ACTIVE && strcmp(status, "ACTIVE") == 0)
				return 0;
			last = status;
		} else if (strcmp(e.type, "ResourceNotFoundException") != 0) {
			/* Anything but "not found" is the answer, not a state to wait out. */
			if (err)
				*err = e;
			return -1;
		} else if (want == AWS_DDB_TABLE_GONE) {
			return 0;
		} else {
			/* Right after CreateTable the table may not be visible yet. */
			last = "not visible yet";
		}
		if (aws_monotonic_ms() - t0 >= timeout_s * 1000.0) {
			if (want == AWS_DDB_TABLE_GONE)
				return aws_error_set(err, AWS_ERR_TIMEOUT, "table %s still exists after "
						     "%d s", table, timeout_s);
			return aws_error_set(err, AWS_ERR_TIMEOUT, "table %s is still %s after %d s "
					     "(raise the wait timeout, or check the table in the "
					     "console)", table, last, timeout_s);
		}
		ddb_sleep_ms(delay);
		if (delay < 2000)
			delay *= 2;
	}
}

int aws_ddb_create_table(aws_client *c, const char *table, const char *hash_key,
			 int wait_active, int timeout_s, aws_error *err)
{
	if (ddb_table_name_ok(table, err) < 0)
		return -1;
	if (!hash_key || !*hash_key || strlen(hash_key) > 255)
		return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB CreateTable: the key attribute "
				     "name must be 1 to 255 bytes");
	json_t *req = json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}",
				"TableName", table,
				"AttributeDefinitions", "AttributeName", hash_key, "AttributeType", "S",
				"KeySchema", "AttributeName", hash_key, "KeyType", "HASH",
				"BillingMode", "PAY_PER_REQUEST");
	if (!req)
		return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB CreateTable: cannot build the "
				     "request (is the key name valid UTF-8?)");
	json_t *resp;
	int rc = ddb_call(c, "CreateTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "creating table %s", table);
	if (!json_is_object(json_object_get(resp, "TableDescription")))
		rc = ddb_bad_field(err, "CreateTable", "TableDescription", "an object");
	json_decref(resp);
	if (rc < 0)
		return aws_error_prefix(err, "creating table %s", table);
	if (wait_active)
		return aws_ddb_wait_table(c, table, AWS_DDB_TABLE_ACTIVE, timeout_s > 0 ? timeout_s : 300,
					  err);
	return 0;
}

int aws_ddb_delete_table(aws_client *c, const char *table, aws_error *err)
{
	if (ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DeleteTable: out of memory");
	json_t *resp;
	int rc = ddb_call(c, "DeleteTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "deleting table %s", table);
	if (!json_is_object(json_object_get(resp, "TableDescription")))
		rc = ddb_bad_field(err, "DeleteTable", "TableDescription", "an object");
	json_decref(resp);
	return rc < 0 ? aws_error_prefix(err, "deleting table %s", table) : 0;
}

/* ---------- BatchWriteItem ---------- */

/* Checks UnprocessedItems of a response to a batch of `sent` put requests for `table`.
 * *left receives the array of requests to send again (borrowed from resp; NULL = none). */
static int ddb_unprocessed(const json_t *resp, const char *table, size_t sent, json_t **left,
			   aws_error *err)
{
	*left = NULL;
	const json_t *u = json_object_get(resp, "UnprocessedItems");
	if (!u)
		return 0;
	if (!json_is_object(u))
		return ddb_bad_field(err, "BatchWriteItem", "UnprocessedItems", "an object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)u, k, v) {
		if (strcmp(k, table) != 0)
			return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB BatchWriteItem: "
					     "UnprocessedItems names table \"%.64s\" that was not "
					     "written to", k);
		if (!json_is_array(v) || json_array_size(v) > sent)
			return ddb_bad_field(err, "BatchWriteItem", "UnprocessedItems[table]",
					     "an array of at most the requests sent");
		size_t i;
		json_t *r;
		json_array_foreach(v, i, r) {
			if (!json_is_object(json_object_get(json_object_get(r, "PutRequest"), "Item")))
				return ddb_bad_field(err, "BatchWriteItem",
						     "UnprocessedItems[table][].PutRequest.Item",
						     "an object");
		}
		if (json_array_size(v))
			*left = v;
	}
	return 0;
}

/* BatchWriteItem's ConsumedCapacity, when present: an array of {TableName, CapacityUnits}
 * (one table is written), whose units are added to *units (-1: none seen yet). */
static int ddb_batch_capacity(const json_t *resp, double *units, aws_error *err)
{
	const json_t *cc = json_object_get(resp, "ConsumedCapacity");
	if (!cc)
		return 0;
	if (!json_is_array(cc))
		return ddb_bad_field(err, "BatchWriteItem", "ConsumedCapacity", "an array");
	size_t i;
	const json_t *e;
	json_array_foreach(cc, i, e) {
		const json_t *u = json_object_get(e, "CapacityUnits");
		if (!json_is_object(e) || (u && !json_is_number(u)))
			return ddb_bad_field(err, "BatchWriteItem", "ConsumedCapacity[].CapacityUnits",
					     "a number");
		if (u)
			*units = (*units < 0 ? 0 : *units) + json_number_value(u);
	}
	return 0;
}

/* Writes one batch (an array of at most 25 PutRequest objects, consumed), retrying what
 * comes back unprocessed. units != NULL: asks for and sums the capacity consumed. */
static int ddb_batch_one(aws_client *c, const char *table, json_t *requests, long *written,
			 double *units, aws_error *err)
{
	/* s*: the key is left out when its value is NULL */
	const char *rcc = units ? "TOTAL" : NULL;
	json_t *req = json_pack("{s:{s:o}, s:s*}", "RequestItems", table, requests,
				"ReturnConsumedCapacity", rcc);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB BatchWriteItem: out of memory");
	for (int round = 0;; round++) {
		size_t sent = json_array_size(json_object_get(json_object_get(req, "RequestItems"),
							       table));
		json_t *resp;
		if (ddb_call(c, "BatchWriteItem", req, &resp, err) < 0) {
			json_decref(req);
			return -1;
		}
		json_t *left;
		if ((units && ddb_batch_capacity(resp, units, err) < 0) ||
		    ddb_unprocessed(resp, table, sent, &left, err) < 0) {
			json_decref(resp);
			json_decref(req);
			return -1;
		}
		size_t nleft = left ? json_array_size(left) : 0;
		if (written)
			*written += (long)(sent - nleft);
		if (!left) {
			json_decref(resp);
			json_decref(req);
			return 0;
		}
		if (round == DDB_UNPROCESSED_ROUNDS) {
			json_decref(resp);
			json_decref(req);
			aws_error_set(err, AWS_ERR_SERVICE, "DynamoDB BatchWriteItem: %zu items still "
				      "unprocessed after %d retries — the table is throttled; "
				      "retry later or raise its write capacity", nleft, round);
			if (err) {
				err->throttled = 1;
				snprintf(err->type, sizeof err->type, "UnprocessedItems");
			}
			return -1;
		}
		/* Send exactly what came back: same wire form, a new request object. */
		json_t *next = json_pack("{s:{s:O}, s:s*}", "RequestItems", table, left,
					 "ReturnConsumedCapacity", rcc);
		json_decref(resp);
		json_decref(req);
		if (!next)
			return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB BatchWriteItem: out of "
					     "memory");
		req = next;
		ddb_sleep_ms(aws_backoff_ms(round, DDB_BACKOFF_BASE_MS, DDB_BACKOFF_CAP_MS));
	}
}

int aws_ddb_batch_put(aws_client *c, const char *table, const json_t *items, long *written,
		      aws_error *err)
{
	return aws_ddb_batch_put_capacity(c, table, items, written, NULL, err);
}

int aws_ddb_batch_put_capacity(aws_client *c, const char *table, const json_t *items,
			       long *written, double *capacity_units, aws_error *err)
{
	if (capacity_units)
		*capacity_units = -1;
	if (written)
		*written = 0;
	if (ddb_table_name_ok(table, err) < 0)
		return -1;
	if (!json_is_array(items))
		return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB BatchWriteItem: items must be "
				     "a JSON array");
	size_t n = json_array_size(items);
	for (size_t i = 0; i < n; i += DDB_BATCH_MAX) {
		json_t *reqs = json_array();
		if (!reqs)
			return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB BatchWriteItem: out of "
					     "memory");
		for (size_t j = i; j < n && j < i + DDB_BATCH_MAX; j++) {
			const json_t *it = json_array_get(items, j);
			if (!json_is_object(it)) {
				json_decref(reqs);
				return aws_error_set(err, AWS_ERR_INVALID, "DynamoDB BatchWriteItem: "
						     "item %zu is not an object", j);
			}
			json_t *put = json_pack("{s:{s:O}}", "PutRequest", "Item", (json_t *)it);
			if (!put || json_array_append_new(reqs, put) < 0) {
				json_decref(reqs);
				return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB BatchWriteItem: out "
						     "of memory");
			}
		}
		if (ddb_batch_one(c, table, reqs, written, capacity_units, err) < 0)
			return aws_error_prefix(err, "writing items %zu-%zu of %zu to %s", i + 1,
						i + DDB_BATCH_MAX < n ? i + DDB_BATCH_MAX : n, n, table);
	}
	return 0;
}

/* aws_ddb.c — DynamoDB GetItem, DescribeTable, DescribeContinuousBackups, CreateTable,
 * DeleteTable, the wait for a table's state and BatchWriteItem (see aws_ddb.h; Scan is
 * aws_ddb_scan.c, the call and the shared response checks aws_ddb_call.c, the
 * attribute-value validators aws_ddb_value.c). Requests are built and responses parsed
 * with jansson, except GetItem's answer, read in place by the aws_json scanner (it is on
 * the item view's path). Every response field we use is checked; a missing or mistyped one
 * is AWS_ERR_PROTOCOL naming the field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aws_crypto.h"
#include "aws_ddb.h"
#include "aws_ddb_call.h"
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

static int dump_to_buf(const char *p, size_t n, void *ud)
{
	return aws_buf_append(ud, p, n);
}

/* The request written as it is sent, members in this order: a table name is only
 * [A-Za-z0-9_.-] (checked), so it needs no escaping, and the key is dumped by jansson
 * straight into the body. */
int aws_ddb_get_item_request(const aws_ddb_get_item_input *in, char **body, aws_error *err)
{
	*body = NULL;
	if (aws_ddb_table_name_ok(in->table, err) < 0 || ddb_key_ok(in->key, err) < 0)
		return -1;
	aws_buf b = AWS_BUF_INIT;
	int e = aws_buf_puts(&b, "{\"TableName\":\"") | aws_buf_puts(&b, in->table) | aws_buf_puts(&b, "\",\"Key\":");
	e |= json_dump_callback(in->key, dump_to_buf, &b, JSON_COMPACT);
	e |= aws_buf_puts(&b, in->consistent_read ? ",\"ReturnConsumedCapacity\":\"TOTAL\",\"ConsistentRead\":true}"
						 : ",\"ReturnConsumedCapacity\":\"TOTAL\"}");
	if (e) {
		aws_buf_free(&b);
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB GetItem: out of memory building "
				     "the request");
	}
	*body = aws_buf_steal(&b, NULL);
	return 0;
}

/* Where GetItem's answer has its Item and its ConsumedCapacity, as the walk finds them. */
typedef struct get_item_spans {
	const unsigned char *item, *item_end, *cc, *cc_end;
	int item_ws;
} get_item_spans;

static int get_item_member(void *ud, aws_json_lex *l, const unsigned char *name, size_t nlen)
{
	get_item_spans *g = ud;
	const unsigned char *b = l->p;
	l->ws = 0;
	if (aws_json_value(l, 1) < 0)
		return -2;
	if (nlen == 4 && memcmp(name, "Item", 4) == 0) {
		g->item = b;
		g->item_end = l->p;
		g->item_ws = l->ws;
	} else if (nlen == 16 && memcmp(name, "ConsumedCapacity", 16) == 0) {
		g->cc = b;
		g->cc_end = l->p;
	}
	return 0;
}

/* GetItem's answer read in one pass of the aws_json scanner (the whole text checked, as
 * jansson would), the Item kept as its own text: no tree is built for it, and none is
 * written back out. Returns 0, -1 with err for JSON that is not a GetItem answer, or -2
 * when the text is not one JSON object (l says why and where). */
static int get_item_scan(aws_json_lex *l, aws_ddb_get_item_output *out, aws_error *err)
{
	get_item_spans g = {0};
	int rc = aws_ddb_answer_walk(l, get_item_member, &g);
	if (rc < 0)
		return rc;
	if (g.item && *g.item != '{')
		return aws_ddb_bad_field(err, "GetItem", "Item", "an object");
	if (g.cc && aws_ddb_capacity_text((const char *)g.cc, (size_t)(g.cc_end - g.cc), "GetItem",
					  &out->capacity_units, err) < 0)
		return -1;
	if (g.item && aws_ddb_compact_append(&out->item, (const char *)g.item, (size_t)(g.item_end - g.item),
					     g.item_ws) < 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB GetItem: out of memory");
	out->found = g.item != NULL;
	return 0;
}

int aws_ddb_get_item_read(const char *table, const char *text, size_t len, aws_ddb_get_item_output *out,
			  aws_error *err)
{
	out->found = 0;
	out->capacity_units = -1;
	aws_buf_reset(&out->item);
	aws_json_lex l;
	aws_json_lex_init(&l, text ? text : "", text ? len : 0);
	int rc = get_item_scan(&l, out, err);
	if (rc == -2)
		aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB GetItem: response is not valid JSON (%s "
			      "at byte %zu)", l.why ? l.why : "malformed", aws_json_offset(&l));
	aws_json_lex_free(&l);
	if (rc < 0) {
		out->found = 0;
		out->capacity_units = -1;
		aws_buf_reset(&out->item);
		return aws_error_prefix(err, "reading an item of %s", table);
	}
	return 0;
}

int aws_ddb_get_item(aws_client *c, const aws_ddb_get_item_input *in, aws_ddb_get_item_output *out,
		     aws_error *err)
{
	out->found = 0;
	out->capacity_units = -1;
	aws_buf_reset(&out->item);
	char *body;
	if (aws_ddb_get_item_request(in, &body, err) < 0)
		return -1;
	aws_buf text = AWS_BUF_INIT;
	int rc = aws_json_call(c, &AWS_SERVICE_DYNAMODB, "GetItem", body, strlen(body), &text, err);
	free(body);
	if (rc < 0)
		rc = aws_error_prefix(err, "reading an item of %s", in->table);
	else
		rc = aws_ddb_get_item_read(in->table, text.data, text.len, out, err);
	aws_buf_free(&text);
	return rc;
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
	if (aws_ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DescribeTable: out of memory");
	json_t *resp;
	int rc = aws_ddb_call(c, "DescribeTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "describing table %s", table);
	json_t *t = json_object_get(resp, "Table");
	if (!json_is_object(t))
		rc = aws_ddb_bad_field(err, "DescribeTable", "Table", "an object");
	else if (!json_is_string(json_object_get(t, "TableName")))
		rc = aws_ddb_bad_field(err, "DescribeTable", "Table.TableName", "a string");
	else if (!json_is_string(json_object_get(t, "TableStatus")))
		rc = aws_ddb_bad_field(err, "DescribeTable", "Table.TableStatus", "a string");
	if (rc == 0)
		*out = json_incref(t);
	json_decref(resp);
	return rc < 0 ? aws_error_prefix(err, "describing table %s", table) : 0;
}

int aws_ddb_pitr_status(aws_client *c, const char *table, int *pitr, aws_error *err)
{
	*pitr = 0;
	if (aws_ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DescribeContinuousBackups: out of memory");
	json_t *resp;
	int rc = aws_ddb_call(c, "DescribeContinuousBackups", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "reading the backups of %s", table);
	const char *st = json_string_value(json_object_get(json_object_get(json_object_get(resp,
		"ContinuousBackupsDescription"), "PointInTimeRecoveryDescription"), "PointInTimeRecoveryStatus"));
	if (!st || (strcmp(st, "ENABLED") != 0 && strcmp(st, "DISABLED") != 0))
		rc = aws_ddb_bad_field(err, "DescribeContinuousBackups",
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
	if (aws_ddb_table_name_ok(table, err) < 0)
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
	int rc = aws_ddb_call(c, "CreateTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "creating table %s", table);
	if (!json_is_object(json_object_get(resp, "TableDescription")))
		rc = aws_ddb_bad_field(err, "CreateTable", "TableDescription", "an object");
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
	if (aws_ddb_table_name_ok(table, err) < 0)
		return -1;
	json_t *req = json_pack("{s:s}", "TableName", table);
	if (!req)
		return aws_error_set(err, AWS_ERR_NOMEM, "DynamoDB DeleteTable: out of memory");
	json_t *resp;
	int rc = aws_ddb_call(c, "DeleteTable", req, &resp, err);
	json_decref(req);
	if (rc < 0)
		return aws_error_prefix(err, "deleting table %s", table);
	if (!json_is_object(json_object_get(resp, "TableDescription")))
		rc = aws_ddb_bad_field(err, "DeleteTable", "TableDescription", "an object");
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
		return aws_ddb_bad_field(err, "BatchWriteItem", "UnprocessedItems", "an object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)u, k, v) {
		if (strcmp(k, table) != 0)
			return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB BatchWriteItem: "
					     "UnprocessedItems names table \"%.64s\" that was not "
					     "written to", k);
		if (!json_is_array(v) || json_array_size(v) > sent)
			return aws_ddb_bad_field(err, "BatchWriteItem", "UnprocessedItems[table]",
					     "an array of at most the requests sent");
		size_t i;
		json_t *r;
		json_array_foreach(v, i, r) {
			if (!json_is_object(json_object_get(json_object_get(r, "PutRequest"), "Item")))
				return aws_ddb_bad_field(err, "BatchWriteItem",
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
		return aws_ddb_bad_field(err, "BatchWriteItem", "ConsumedCapacity", "an array");
	size_t i;
	const json_t *e;
	json_array_foreach(cc, i, e) {
		const json_t *u = json_object_get(e, "CapacityUnits");
		if (!json_is_object(e) || (u && !json_is_number(u)))
			return aws_ddb_bad_field(err, "BatchWriteItem", "ConsumedCapacity[].CapacityUnits",
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
		if (aws_ddb_call(c, "BatchWriteItem", req, &resp, err) < 0) {
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
	if (aws_ddb_table_name_ok(table, err) < 0)
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

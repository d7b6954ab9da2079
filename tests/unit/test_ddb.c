/* test_ddb.c — the DynamoDB operations (aws_ddb.c) against a scripted aws_json_call:
 * the requests they build, how they read recorded responses (tests/data/ddb/scan_ok_*.json
 * must parse, scan_bad_*.json must be protocol errors, in both the tree and the text form),
 * truncation at every byte, UnprocessedItems retries with bounded backoff, table polling.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "aws_ddb.h"
#include "testdata.h"

/* ---- the scripted transport: this test provides aws_json_call and the service, so
 * aws_client.o is never linked and no network is involved. ---- */

const aws_service AWS_SERVICE_DYNAMODB = {"DynamoDB", "dynamodb", "dynamodb", "1.0",
					   "DynamoDB_20120810", NULL, NULL};

#define MAX_CALLS 64

typedef struct reply {
	const char *body;     /* 200 response text, or the error message when type != NULL */
	size_t len;
	const char *type;     /* service error type, NULL = success */
} reply;

static reply replies[MAX_CALLS];
static int nreplies, next_reply;
static char *req_body[MAX_CALLS];
static char req_op[MAX_CALLS][32];
static int ncalls;
static long sleeps[MAX_CALLS];
static int nsleeps;

static int raw_calls;   /* how many calls asked for the body unchecked */

static int scripted_call(aws_client *c, const aws_service *svc, const char *operation,
			 const char *body, size_t body_len, aws_buf *resp, aws_error *err)
{
	(void)c;
	assert_ptr_equal(svc, &AWS_SERVICE_DYNAMODB);
	assert_true(ncalls < MAX_CALLS);
	snprintf(req_op[ncalls], sizeof req_op[0], "%s", operation);
	req_body[ncalls] = strndup(body, body_len);
	ncalls++;
	assert_true(nreplies > 0);
	reply r = replies[next_reply < nreplies ? next_reply++ : nreplies - 1];
	if (r.type) {
		aws_error_set(err, AWS_ERR_SERVICE, "%s", r.body);
		snprintf(err->type, sizeof err->type, "%s", r.type);
		err->http_status = 400;
		return -1;
	}
	aws_buf_free(resp);
	return aws_buf_append(resp, r.body, r.len);
}

/* The client's checked call: the scripted bodies here are what a real client would have
 * passed on, except that the malformed ones would have been stopped there; aws_ddb's own
 * readings must refuse them anyway, which is what these tests assert. */
int aws_json_call(aws_client *c, const aws_service *svc, const char *operation,
		  const char *body, size_t body_len, aws_buf *resp, aws_error *err)
{
	return scripted_call(c, svc, operation, body, body_len, resp, err);
}

int aws_json_call_raw(aws_client *c, const aws_service *svc, const char *operation,
		      const char *body, size_t body_len, aws_http_response *resp, aws_error *err)
{
	raw_calls++;
	memset(resp, 0, sizeof *resp);
	int rc = scripted_call(c, svc, operation, body, body_len, &resp->body, err);
	resp->status = rc == 0 ? 200 : 400;
	return rc;
}

/* What the text reading reported as a body that is not JSON (the real one formats it as
 * aws_json_call does: endpoint, status, request id). */
static const char *bad_why;
static size_t bad_at;

int aws_json_call_bad_body(aws_client *c, const aws_service *svc, const char *operation,
			   const aws_http_response *resp, const char *why, size_t at,
			   aws_error *err)
{
	(void)c;
	bad_why = why;
	bad_at = at;
	return aws_error_set(err, AWS_ERR_PROTOCOL, "%s %s at scripted: the HTTP %ld response is "
			     "not one JSON object: %s at byte %zu of %zu", svc->service_id,
			     operation, resp->status, why, at, resp->body.len);
}

static void record_sleep(long ms)
{
	if (nsleeps < MAX_CALLS)
		sleeps[nsleeps++] = ms;
}

static int reset(void **state)
{
	(void)state;
	for (int i = 0; i < ncalls; i++)
		free(req_body[i]);
	ncalls = nreplies = next_reply = nsleeps = raw_calls = 0;
	bad_why = NULL;
	bad_at = 0;
	aws_ddb_set_sleep(record_sleep);
	return 0;
}

static void script(const char *body)
{
	replies[nreplies++] = (reply){body, strlen(body), NULL};
}

static void script_error(const char *type, const char *message)
{
	replies[nreplies++] = (reply){message, strlen(message), type};
}

/* Asserts that request i was op with a body equal (as JSON) to want. */
static void assert_request(int i, const char *op, const char *want)
{
	assert_true(i < ncalls);
	assert_string_equal(req_op[i], op);
	json_t *a = json_loads(req_body[i], 0, NULL), *b = json_loads(want, 0, NULL);
	assert_non_null(a);
	assert_non_null(b);
	if (!json_equal(a, b))
		fail_msg("request %d body\n  %s\nwanted\n  %s", i, req_body[i], want);
	json_decref(a);
	json_decref(b);
}

static char *read_file(const char *path, size_t *len)
{
	char *text = testdata_read(path, len);
	if (!text)
		fail_msg("cannot open %s", path);
	return text;
}

/* Calls fn(name, text, len) for every tests/data/ddb file whose name starts with prefix. */
static void read_case(const char *path, const char *name, void *fn_p)
{
	void (*fn)(const char *, const char *, size_t) = *(void (**)(const char *, const char *,
								   size_t))fn_p;
	size_t len;
	char *text = read_file(path, &len);
	fn(name, text, len);
	free(text);
}

static size_t for_each_case(const char *prefix, void (*fn)(const char *, const char *, size_t))
{
	return testdata_each("ddb", prefix, "", read_case, &fn);
}

static const aws_ddb_scan_input plain_scan = {.table = "items"};

/* ---- Scan requests ---- */

static void scan_sends_only_the_table_when_nothing_else_is_given(void **state)
{
	(void)state;
	script("{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	aws_ddb_scan_output out = {0};
	assert_int_equal(aws_ddb_scan(NULL, &plain_scan, &out, NULL), 0);
	assert_request(0, "Scan", "{\"TableName\":\"items\"}");
	assert_null(out.last_evaluated_key);
	aws_ddb_scan_output_free(&out);
}

static void scan_sends_every_member_given(void **state)
{
	(void)state;
	script("{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	json_t *start = json_pack("{s:{s:s}}", "itemID", "S", "k1");
	json_t *names = json_pack("{s:s}", "#k", "itemID");
	json_t *values = json_pack("{s:{s:s}}", ":v", "S", "ab");
	aws_ddb_scan_input in = {"items", 50, start, 2, 4, "contains(#k, :v)", "#k", names,
				 values, 1, 1};
	aws_ddb_scan_page page = {0};
	assert_int_equal(aws_ddb_scan_text(NULL, &in, &page, NULL), 0);
	assert_request(0, "Scan", "{\"TableName\":\"items\",\"Limit\":50,\"ExclusiveStartKey\":"
		       "{\"itemID\":{\"S\":\"k1\"}},\"Segment\":2,\"TotalSegments\":4,"
		       "\"FilterExpression\":\"contains(#k, :v)\",\"ProjectionExpression\":\"#k\","
		       "\"ExpressionAttributeNames\":{\"#k\":\"itemID\"},"
		       "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"ab\"}},\"ConsistentRead\":true,"
		       "\"ReturnConsumedCapacity\":\"TOTAL\"}");
	aws_ddb_scan_page_free(&page);
	json_decref(start);
	json_decref(names);
	json_decref(values);
}

static void scan_reads_the_consumed_capacity_in_both_forms(void **state)
{
	(void)state;
	const char *with = "{\"Items\":[],\"Count\":0,\"ScannedCount\":3,"
			   "\"ConsumedCapacity\":{\"TableName\":\"items\",\"CapacityUnits\":2.5}}";
	const char *without = "{\"Items\":[],\"Count\":0,\"ScannedCount\":3}";
	const char *bad = "{\"Items\":[],\"Count\":0,\"ScannedCount\":3,\"ConsumedCapacity\":{\"CapacityUnits\":\"2\"}}";
	script(with);
	script(with);
	script(without);
	script(without);
	script(bad);
	script(bad);
	double want[] = {2.5, -1};
	for (int k = 0; k < 2; k++) {
		aws_ddb_scan_output out = {0};
		aws_ddb_scan_page page = {0};
		assert_int_equal(aws_ddb_scan(NULL, &plain_scan, &out, NULL), 0);
		assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, NULL), 0);
		assert_true(out.capacity_units == want[k]);
		assert_true(page.capacity_units == want[k]);
		aws_ddb_scan_output_free(&out);
		aws_ddb_scan_page_free(&page);
	}
	aws_ddb_scan_output out = {0};
	aws_ddb_scan_page page = {0};
	aws_error err;
	assert_int_equal(aws_ddb_scan(NULL, &plain_scan, &out, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	aws_ddb_scan_output_free(&out);
	aws_ddb_scan_page_free(&page);
}

static void pitr_status_reads_enabled_and_disabled_only(void **state)
{
	(void)state;
	script("{\"ContinuousBackupsDescription\":{\"ContinuousBackupsStatus\":\"ENABLED\","
	       "\"PointInTimeRecoveryDescription\":{\"PointInTimeRecoveryStatus\":\"ENABLED\"}}}");
	script("{\"ContinuousBackupsDescription\":{\"ContinuousBackupsStatus\":\"ENABLED\","
	       "\"PointInTimeRecoveryDescription\":{\"PointInTimeRecoveryStatus\":\"DISABLED\"}}}");
	script("{\"ContinuousBackupsDescription\":{}}");
	int on = -1;
	assert_int_equal(aws_ddb_pitr_status(NULL, "items", &on, NULL), 0);
	assert_int_equal(on, 1);
	assert_request(0, "DescribeContinuousBackups", "{\"TableName\":\"items\"}");
	assert_int_equal(aws_ddb_pitr_status(NULL, "items", &on, NULL), 0);
	assert_int_equal(on, 0);
	aws_error err;
	assert_int_equal(aws_ddb_pitr_status(NULL, "items", &on, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "PointInTimeRecoveryStatus"));
}

static void scan_rejects_bad_input_without_a_call(void **state)
{
	(void)state;
	script("{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	aws_ddb_scan_output out = {0};
	aws_error err;
	aws_ddb_scan_input bad_segment = {.table = "items", .segment = 4, .total_segments = 4};
	assert_int_equal(aws_ddb_scan(NULL, &bad_segment, &out, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	aws_ddb_scan_input bad_name = {.table = "no spaces"};
	assert_int_equal(aws_ddb_scan(NULL, &bad_name, &out, &err), -1);
	assert_non_null(strstr(err.message, "letters, digits"));
	aws_ddb_scan_input short_name = {.table = "ab"};
	assert_int_equal(aws_ddb_scan(NULL, &short_name, &out, &err), -1);
	aws_ddb_scan_input bad_limit = {.table = "items", .limit = -5};
	assert_int_equal(aws_ddb_scan(NULL, &bad_limit, &out, &err), -1);
	assert_int_equal(ncalls, 0);
}

static void scan_service_error_keeps_its_type_with_the_table_named(void **state)
{
	(void)state;
	script_error("ResourceNotFoundException", "Requested resource not found");
	aws_ddb_scan_page page = {0};
	aws_error err;
	assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_SERVICE);
	assert_string_equal(err.type, "ResourceNotFoundException");
	assert_string_equal(err.message, "scan of items: Requested resource not found");
	assert_int_equal(page.nitems, 0);
	aws_ddb_scan_page_free(&page);
}

/* ---- Scan responses: recorded cases ---- */

static void check_ok_case(const char *name, const char *text, size_t len)
{
	reset(NULL);
	replies[nreplies++] = (reply){text, len, NULL};
	replies[nreplies++] = (reply){text, len, NULL};
	aws_ddb_scan_output tree = {0};
	aws_ddb_scan_page page = {0};
	aws_error err;
	if (aws_ddb_scan(NULL, &plain_scan, &tree, &err) < 0)
		fail_msg("%s: tree: %s", name, err.message);
	if (aws_ddb_scan_text(NULL, &plain_scan, &page, &err) < 0)
		fail_msg("%s: text: %s", name, err.message);
	/* Both readings agree: every span parses to the tree's item, counts and key equal. */
	assert_int_equal(page.nitems, json_array_size(tree.items));
	assert_int_equal(page.count, tree.count);
	assert_int_equal(page.scanned_count, tree.scanned_count);
	assert_true((tree.last_evaluated_key == NULL) == (page.last_evaluated_key == NULL));
	if (tree.last_evaluated_key)
		assert_true(json_equal(tree.last_evaluated_key, page.last_evaluated_key));
	for (size_t i = 0; i < page.nitems; i++) {
		aws_buf line = AWS_BUF_INIT;
		assert_int_equal(aws_ddb_span_append(&line, &page, i), 0);
		assert_null(memchr(line.data, '\n', line.len));
		json_t *it = json_loadb(line.data, line.len, JSON_ALLOW_NUL, NULL);
		if (!it || !json_equal(it, json_array_get(tree.items, i)))
			fail_msg("%s: item %zu differs: %s", name, i, line.data);
		json_decref(it);
		aws_buf_free(&line);
	}
	aws_ddb_scan_output_free(&tree);
	aws_ddb_scan_page_free(&page);
}

static void scan_recorded_good_responses_read_the_same_as_tree_and_text(void **state)
{
	(void)state;
	assert_true(for_each_case("scan_ok_", check_ok_case) >= 4);
}

static void check_bad_case(const char *name, const char *text, size_t len)
{
	reset(NULL);
	replies[nreplies++] = (reply){text, len, NULL};
	replies[nreplies++] = (reply){text, len, NULL};
	aws_ddb_scan_output tree = {0};
	aws_ddb_scan_page page = {0};
	aws_error err;
	if (aws_ddb_scan(NULL, &plain_scan, &tree, &err) == 0 || err.kind != AWS_ERR_PROTOCOL)
		fail_msg("%s: the tree reading accepted it", name);
	if (aws_ddb_scan_text(NULL, &plain_scan, &page, &err) == 0 || err.kind != AWS_ERR_PROTOCOL)
		fail_msg("%s: the text reading accepted it", name);
	assert_non_null(strstr(err.message, "scan of items: DynamoDB Scan"));
	assert_int_equal(page.nitems, 0);
	assert_null(page.last_evaluated_key);
	aws_ddb_scan_output_free(&tree);
	aws_ddb_scan_page_free(&page);
}

static void scan_recorded_malformed_responses_are_protocol_errors(void **state)
{
	(void)state;
	assert_true(for_each_case("scan_bad_", check_bad_case) >= 20);
}

static void check_every_truncation(const char *name, const char *text, size_t len)
{
	(void)name;
	for (size_t cut = 0; cut < len; cut++) {
		/* a prefix ending in whitespace after the closing brace is still whole */
		int whole = 1;
		for (size_t k = cut; k < len; k++)
			whole &= text[k] == ' ' || text[k] == '\n';
		if (whole)
			continue;
		reset(NULL);
		replies[nreplies++] = (reply){text, cut, NULL};
		replies[nreplies++] = (reply){text, cut, NULL};
		aws_ddb_scan_output tree = {0};
		aws_ddb_scan_page page = {0};
		aws_error err;
		if (aws_ddb_scan(NULL, &plain_scan, &tree, &err) == 0)
			fail_msg("%s cut at %zu: tree accepted", name, cut);
		if (aws_ddb_scan_text(NULL, &plain_scan, &page, &err) == 0)
			fail_msg("%s cut at %zu: text accepted", name, cut);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		aws_ddb_scan_page_free(&page);
	}
}

static void scan_responses_cut_at_any_byte_are_protocol_errors(void **state)
{
	(void)state;
	assert_true(for_each_case("scan_ok_", check_every_truncation) >= 4);
}

/* Reads text both ways; returns how they agree: fails the test when one accepts what the
 * other refuses or when they read different items. */
static int mutated_ok, mutated_total;

static void read_both_alike(const char *text, size_t len)
{
	reset(NULL);
	replies[nreplies++] = (reply){text, len, NULL};
	replies[nreplies++] = (reply){text, len, NULL};
	aws_ddb_scan_output tree = {0};
	aws_ddb_scan_page page = {0};
	aws_error e1, e2;
	int t1 = aws_ddb_scan(NULL, &plain_scan, &tree, &e1);
	int t2 = aws_ddb_scan_text(NULL, &plain_scan, &page, &e2);
	mutated_total++;
	if (t1 != t2)
		fail_msg("tree %s, text %s: %.*s\n(tree: %s)\n(text: %s)", t1 ? "refused" : "accepted",
			 t2 ? "refused" : "accepted", (int)len, text, t1 ? e1.message : "",
			 t2 ? e2.message : "");
	if (t1 == 0) {
		mutated_ok++;
		assert_int_equal(page.nitems, json_array_size(tree.items));
		for (size_t i = 0; i < page.nitems; i++) {
			json_t *it = json_loadb(page.body.data + page.items[i].off, page.items[i].len,
					       JSON_ALLOW_NUL, NULL);
			assert_true(it && json_equal(it, json_array_get(tree.items, i)));
			json_decref(it);
		}
	} else {
		assert_int_equal(e1.kind, AWS_ERR_PROTOCOL);
		assert_int_equal(e2.kind, AWS_ERR_PROTOCOL);
	}
	aws_ddb_scan_output_free(&tree);
	aws_ddb_scan_page_free(&page);
}

static void mutate_and_read(const char *name, const char *text, size_t len)
{
	(void)name;
	static const char pick[] = "{}[],:\"\\0123456789-+eE. tfnu\x80\xc3\xa9\xff\x01";
	unsigned seed = 12345;
	char *buf = malloc(len * 2 + 16);
	assert_non_null(buf);
	for (int round = 0; round < 1500; round++) {
		memcpy(buf, text, len);
		size_t n = len;
		int edits = 1 + (int)(rand_r(&seed) % 3);
		for (int k = 0; k < edits && n > 0; k++) {
			size_t at = (size_t)rand_r(&seed) % n;
			switch (rand_r(&seed) % 3) {
			case 0:   /* replace a byte */
				buf[at] = pick[(size_t)rand_r(&seed) % (sizeof pick - 1)];
				break;
			case 1:   /* delete a byte */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default:  /* insert a byte */
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = pick[(size_t)rand_r(&seed) % (sizeof pick - 1)];
				n++;
				break;
			}
		}
		read_both_alike(buf, n);
	}
	free(buf);
}

static void scan_mutated_responses_are_read_alike_as_tree_and_text(void **state)
{
	(void)state;
	mutated_ok = mutated_total = 0;
	assert_true(for_each_case("scan_ok_", mutate_and_read) >= 4);
	/* the mutations must exercise both outcomes to mean anything */
	assert_true(mutated_ok > 50);
	assert_true(mutated_total - mutated_ok > 1000);
}

static void scan_page_is_reused_and_reset_by_the_next_call(void **state)
{
	(void)state;
	script("{\"Items\":[{\"a\":{\"S\":\"1\"}},{\"a\":{\"S\":\"2\"}}],\"Count\":2,"
	       "\"ScannedCount\":2,\"LastEvaluatedKey\":{\"a\":{\"S\":\"2\"}}}");
	script("{\"Items\":[{\"a\":{\"S\":\"3\"}}],\"Count\":1,\"ScannedCount\":1}");
	aws_ddb_scan_page page = {0};
	assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, NULL), 0);
	assert_int_equal(page.nitems, 2);
	assert_non_null(page.last_evaluated_key);
	assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, NULL), 0);
	assert_int_equal(page.nitems, 1);
	assert_null(page.last_evaluated_key);
	assert_memory_equal(page.body.data + page.items[0].off, "{\"a\":{\"S\":\"3\"}}",
			    page.items[0].len);
	aws_ddb_scan_page_free(&page);
}

/* The text reading takes the body unchecked from the client (so a page is scanned once)
 * and is then the only check: a body that is not JSON is reported through the client's
 * aws_json_call_bad_body with the scanner's reason and offset, as aws_json_call would. */
static void scan_text_reads_the_body_unchecked_and_refuses_truncated_or_non_json(void **state)
{
	(void)state;
	static const struct {
		const char *body, *says;
		size_t at;
	} cases[] = {
		{"{\"Items\":[{\"a\":{\"S\":\"x\"}}", "truncated", 25},
		{"{\"Items\":[{\"a\":{\"S\":\"x\"}}],\"Count\":1,\"ScannedCount\":1", "truncated",
		 53},
		{"<html>502 Bad Gateway</html>", "not a JSON object", 0},
		{"", "empty body", 0},
		{"  \n", "empty body", 0},
		{"{\"Items\":[],\"Count\":0,\"ScannedCount\":0} x", "text after the JSON object", 40},
		{"{\"Items\":[{\"a\":{\"S\":\"\xc3(\"}}],\"Count\":1,\"ScannedCount\":1}", "UTF-8", 21},
		{"{\"Items\":[],\"Count\":0,\"ScannedCount\":0,\"Count\":0}", "Count", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reset(NULL);
		script(cases[i].body);
		aws_ddb_scan_page page = {0};
		aws_error err;
		assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, &err), -1);
		assert_int_equal(raw_calls, 1);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		if (!strstr(err.message, "scan of items: DynamoDB Scan") ||
		    !strstr(err.message, cases[i].says))
			fail_msg("case %zu: message '%s' should say '%s'", i, err.message,
				 cases[i].says);
		if (strcmp(cases[i].says, "Count") != 0 && bad_at != cases[i].at)
			fail_msg("case %zu: reported at byte %zu, want %zu", i, bad_at, cases[i].at);
		assert_int_equal(page.nitems, 0);
		aws_ddb_scan_page_free(&page);
	}
}

static void only_scan_text_skips_the_clients_check(void **state)
{
	(void)state;
	script("{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	aws_ddb_scan_output out = {0};
	assert_int_equal(aws_ddb_scan(NULL, &plain_scan, &out, NULL), 0);
	aws_ddb_scan_output_free(&out);
	json_t *t = NULL;
	reset(NULL);
	script("{\"Table\":{\"TableName\":\"items\",\"TableStatus\":\"ACTIVE\"}}");
	assert_int_equal(aws_ddb_describe_table(NULL, "items", &t, NULL), 0);
	json_decref(t);
	assert_int_equal(raw_calls, 0);
	script("{\"Items\":[],\"Count\":0,\"ScannedCount\":0}");
	aws_ddb_scan_page page = {0};
	assert_int_equal(aws_ddb_scan_text(NULL, &plain_scan, &page, NULL), 0);
	assert_int_equal(raw_calls, 1);
	aws_ddb_scan_page_free(&page);
}

/* ---- BatchWriteItem ---- */

static json_t *numbered_items(int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof id, "id-%c%d", 'A' + i % 26, i / 26);
		json_array_append_new(a, json_pack("{s:{s:s}}", "itemID", "S", id));
	}
	return a;
}

static size_t batch_size(int call)
{
	json_t *b = json_loads(req_body[call], 0, NULL);
	size_t n = json_array_size(json_object_get(json_object_get(b, "RequestItems"), "items"));
	json_decref(b);
	return n;
}

static void batch_put_sends_at_most_25_per_request(void **state)
{
	(void)state;
	script("{\"UnprocessedItems\":{}}");
	json_t *items = numbered_items(60);
	long written = -1;
	assert_int_equal(aws_ddb_batch_put(NULL, "items", items, &written, NULL), 0);
	assert_int_equal(written, 60);
	assert_int_equal(ncalls, 3);
	assert_int_equal(batch_size(0), 25);
	assert_int_equal(batch_size(1), 25);
	assert_int_equal(batch_size(2), 10);
	assert_string_equal(req_op[0], "BatchWriteItem");
	json_t *b = json_loads(req_body[0], 0, NULL);
	json_t *first = json_array_get(json_object_get(json_object_get(b, "RequestItems"), "items"), 0);
	assert_true(json_equal(json_object_get(json_object_get(first, "PutRequest"), "Item"),
			       json_array_get(items, 0)));
	json_decref(b);
	json_decref(items);
	assert_int_equal(nsleeps, 0);
}

static void batch_put_resends_exactly_the_unprocessed_items(void **state)
{
	(void)state;
	script("{\"UnprocessedItems\":{\"items\":[{\"PutRequest\":{\"Item\":{\"itemID\":{\"S\":"
	       "\"id-B0\"}}}}]}}");
	script("{}");
	json_t *items = numbered_items(3);
	long written = 0;
	assert_int_equal(aws_ddb_batch_put(NULL, "items", items, &written, NULL), 0);
	assert_int_equal(written, 3);
	assert_int_equal(ncalls, 2);
	assert_request(1, "BatchWriteItem", "{\"RequestItems\":{\"items\":[{\"PutRequest\":"
		       "{\"Item\":{\"itemID\":{\"S\":\"id-B0\"}}}}]}}");
	assert_int_equal(nsleeps, 1);
	assert_in_range(sleeps[0], 0, 50);
	json_decref(items);
}

/* The delays are random (full jitter), so growth shows in their averages: over many runs
 * each round's mean is about twice the one before, until the cap. Retrying at once, or
 * after a fixed pause, stays within every upper bound and fails here. */
static void batch_put_backoff_delays_grow_round_after_round(void **state)
{
	enum { RUNS = 100, ROUNDS = 8 };
	double mean[ROUNDS] = {0};
	long most[ROUNDS] = {0};
	json_t *items = numbered_items(1);
	for (int run = 0; run < RUNS; run++) {
		reset(state);
		script("{\"UnprocessedItems\":{\"items\":[{\"PutRequest\":{\"Item\":{\"itemID\":{\"S\":"
		       "\"id-A0\"}}}}]}}");
		long written = 0;
		aws_error err;
		assert_int_equal(aws_ddb_batch_put(NULL, "items", items, &written, &err), -1);
		assert_int_equal(nsleeps, ROUNDS);
		for (int i = 0; i < ROUNDS; i++) {
			mean[i] += (double)sleeps[i] / RUNS;
			if (sleeps[i] > most[i])
				most[i] = sleeps[i];
		}
	}
	assert_true(mean[0] > 5);   /* a first wait of about 25 ms on average: not zero */
	for (int i = 1; i < ROUNDS; i++) {
		double want = i < ROUNDS - 1 ? 1.5 : 1.2;   /* the last round reaches the 5 s cap */
		if (!(mean[i] > mean[i - 1] * want))
			fail_msg("round %d waits %.0f ms on average, round %d %.0f ms: not growing", i, mean[i], i - 1,
				 mean[i - 1]);
	}
	assert_true(most[ROUNDS - 1] > 2500);
	json_decref(items);
}

static void batch_put_gives_up_after_8_retries_with_growing_bounded_backoff(void **state)
{
	(void)state;
	script("{\"UnprocessedItems\":{\"items\":[{\"PutRequest\":{\"Item\":{\"itemID\":{\"S\":"
	       "\"id-A0\"}}}}]}}");
	json_t *items = numbered_items(1);
	long written = 0;
	aws_error err;
	assert_int_equal(aws_ddb_batch_put(NULL, "items", items, &written, &err), -1);
	assert_int_equal(written, 0);
	assert_int_equal(ncalls, 9);
	assert_int_equal(nsleeps, 8);
	for (int i = 0; i < nsleeps; i++) {
		long cap = 50L << i;
		assert_in_range(sleeps[i], 0, cap > 5000 ? 5000 : cap);
	}
	assert_int_equal(err.kind, AWS_ERR_SERVICE);
	assert_int_equal(err.throttled, 1);
	assert_non_null(strstr(err.message, "1 items still unprocessed after 8 retries"));
	assert_non_null(strstr(err.message, "writing items 1-1 of 1 to items"));
	json_decref(items);
}

static void batch_put_rejects_malformed_unprocessed_items(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"UnprocessedItems\":[]}",
		"{\"UnprocessedItems\":{\"items\":{}}}",
		"{\"UnprocessedItems\":{\"other\":[]}}",
		"{\"UnprocessedItems\":{\"items\":[{\"DeleteRequest\":{}}]}}",
		"{\"UnprocessedItems\":{\"items\":[1,2,3,4]}}",
		"not json",
	};
	json_t *items = numbered_items(2);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		reset(NULL);
		script(bad[i]);
		aws_error err;
		if (aws_ddb_batch_put(NULL, "items", items, NULL, &err) == 0 ||
		    err.kind != AWS_ERR_PROTOCOL)
			fail_msg("accepted %s", bad[i]);
	}
	json_decref(items);
}

static void batch_put_of_no_items_makes_no_call(void **state)
{
	(void)state;
	script("{}");
	json_t *items = json_array();
	long written = 7;
	assert_int_equal(aws_ddb_batch_put(NULL, "items", items, &written, NULL), 0);
	assert_int_equal(written, 0);
	assert_int_equal(ncalls, 0);
	json_decref(items);
}

static void batch_put_capacity_asks_for_and_sums_the_units_retries_included(void **state)
{
	(void)state;
	script("{\"UnprocessedItems\":{\"items\":[{\"PutRequest\":{\"Item\":{\"itemID\":{\"S\":"
	       "\"id-B0\"}}}}]},\"ConsumedCapacity\":[{\"TableName\":\"items\",\"CapacityUnits\":24}]}");
	script("{\"ConsumedCapacity\":[{\"TableName\":\"items\",\"CapacityUnits\":1.5}]}");
	script("{\"ConsumedCapacity\":[{\"TableName\":\"items\",\"CapacityUnits\":10}]}");
	json_t *items = numbered_items(35);
	long written = 0;
	double units = 0;
	assert_int_equal(aws_ddb_batch_put_capacity(NULL, "items", items, &written, &units, NULL), 0);
	assert_int_equal(written, 35);
	assert_int_equal(ncalls, 3);
	for (int i = 0; i < ncalls; i++) {
		json_t *b = json_loads(req_body[i], 0, NULL);
		assert_string_equal(json_string_value(json_object_get(b, "ReturnConsumedCapacity")),
				    "TOTAL");
		json_decref(b);
	}
	assert_true(units == 35.5);
	json_decref(items);
}

static void batch_put_capacity_is_minus_one_when_no_reply_says(void **state)
{
	(void)state;
	script("{}");
	json_t *items = numbered_items(2);
	double units = 0;
	assert_int_equal(aws_ddb_batch_put_capacity(NULL, "items", items, NULL, &units, NULL), 0);
	assert_true(units == -1);
	json_decref(items);
}

static void batch_put_capacity_rejects_a_malformed_consumed_capacity(void **state)
{
	(void)state;
	const char *bad[] = {
		"{\"ConsumedCapacity\":{\"CapacityUnits\":1}}",
		"{\"ConsumedCapacity\":[{\"CapacityUnits\":\"1\"}]}",
		"{\"ConsumedCapacity\":[7]}",
	};
	json_t *items = numbered_items(1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		reset(NULL);
		script(bad[i]);
		aws_error err;
		double units;
		if (aws_ddb_batch_put_capacity(NULL, "items", items, NULL, &units, &err) == 0 ||
		    err.kind != AWS_ERR_PROTOCOL || !strstr(err.message, "ConsumedCapacity"))
			fail_msg("accepted %s", bad[i]);
	}
	json_decref(items);
}

/* ---- tables ---- */

static void create_table_asks_for_on_demand_and_one_string_key(void **state)
{
	(void)state;
	script("{\"TableDescription\":{\"TableName\":\"items\",\"TableStatus\":\"CREATING\"}}");
	assert_int_equal(aws_ddb_create_table(NULL, "items", "itemID", 0, 0, NULL), 0);
	assert_request(0, "CreateTable", "{\"TableName\":\"items\",\"AttributeDefinitions\":"
		       "[{\"AttributeName\":\"itemID\",\"AttributeType\":\"S\"}],\"KeySchema\":"
		       "[{\"AttributeName\":\"itemID\",\"KeyType\":\"HASH\"}],"
		       "\"BillingMode\":\"PAY_PER_REQUEST\"}");
}

static void create_table_wait_polls_until_active(void **state)
{
	(void)state;
	script("{\"TableDescription\":{}}");
	script_error("ResourceNotFoundException", "not yet");
	script("{\"Table\":{\"TableName\":\"items\",\"TableStatus\":\"CREATING\"}}");
	script("{\"Table\":{\"TableName\":\"items\",\"TableStatus\":\"ACTIVE\"}}");
	assert_int_equal(aws_ddb_create_table(NULL, "items", "itemID", 1, 60, NULL), 0);
	assert_int_equal(ncalls, 4);
	assert_string_equal(req_op[3], "DescribeTable");
	assert_int_equal(nsleeps, 2);
}

static void create_table_wait_stops_on_other_errors(void **state)
{
	(void)state;
	script("{\"TableDescription\":{}}");
	script_error("AccessDeniedException", "no DescribeTable for you");
	aws_error err;
	assert_int_equal(aws_ddb_create_table(NULL, "items", "itemID", 1, 60, &err), -1);
	assert_string_equal(err.type, "AccessDeniedException");
	assert_int_equal(ncalls, 2);
}

static void describe_table_checks_the_table_object(void **state)
{
	(void)state;
	const char *bad[] = {"{}", "{\"Table\":[]}", "{\"Table\":{\"TableName\":\"items\"}}",
			     "{\"Table\":{\"TableStatus\":\"ACTIVE\"}}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		reset(NULL);
		script(bad[i]);
		json_t *t = (json_t *)1;
		aws_error err;
		assert_int_equal(aws_ddb_describe_table(NULL, "items", &t, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		assert_null(t);
	}
	reset(NULL);
	script("{\"Table\":{\"TableName\":\"items\",\"TableStatus\":\"ACTIVE\",\"ItemCount\":3}}");
	json_t *t;
	assert_int_equal(aws_ddb_describe_table(NULL, "items", &t, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(t, "ItemCount")), 3);
	assert_request(0, "DescribeTable", "{\"TableName\":\"items\"}");
	json_decref(t);
}

static void delete_table_names_the_table(void **state)
{
	(void)state;
	script("{\"TableDescription\":{\"TableStatus\":\"DELETING\"}}");
	assert_int_equal(aws_ddb_delete_table(NULL, "items", NULL), 0);
	assert_request(0, "DeleteTable", "{\"TableName\":\"items\"}");
	reset(NULL);
	script("{}");
	aws_error err;
	assert_int_equal(aws_ddb_delete_table(NULL, "items", &err), -1);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
}

/* ---- GetItem ---- */

static void get_item_sends_table_key_and_asks_for_the_capacity(void **state)
{
	(void)state;
	script("{}");
	json_t *key = json_pack("{s:{s:s}}", "itemID", "S", "a/b");
	aws_ddb_get_item_input in = {"items", key, 0};
	aws_ddb_get_item_output out = {0};
	assert_int_equal(aws_ddb_get_item(NULL, &in, &out, NULL), 0);
	assert_request(0, "GetItem", "{\"TableName\":\"items\",\"Key\":{\"itemID\":{\"S\":\"a/b\"}},"
				     "\"ReturnConsumedCapacity\":\"TOTAL\"}");
	assert_int_equal(out.found, 0);
	in.consistent_read = 1;
	script("{}");
	assert_int_equal(aws_ddb_get_item(NULL, &in, &out, NULL), 0);
	assert_request(1, "GetItem", "{\"TableName\":\"items\",\"Key\":{\"itemID\":{\"S\":\"a/b\"}},"
				     "\"ReturnConsumedCapacity\":\"TOTAL\",\"ConsistentRead\":true}");
	aws_ddb_get_item_output_free(&out);
	json_decref(key);
}

static void get_item_refuses_keys_getitem_would_refuse_without_a_call(void **state)
{
	(void)state;
	const char *bad[] = {"{}", "{\"a\":{\"S\":\"x\"},\"b\":{\"S\":\"y\"},\"c\":{\"S\":\"z\"}}",
			     "{\"a\":{\"N\":\"1x\"}}", "{\"a\":{\"BOOL\":true}}", "{\"a\":{\"B\":\"!!\"}}",
			     "{\"a\":{\"SS\":[\"x\"]}}", "[1]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *key = json_loads(bad[i], 0, NULL);
		assert_non_null(key);
		aws_ddb_get_item_input in = {"items", key, 0};
		aws_ddb_get_item_output out = {0};
		aws_error err;
		assert_int_equal(aws_ddb_get_item(NULL, &in, &out, &err), -1);
		assert_int_equal(err.kind, AWS_ERR_INVALID);
		aws_ddb_get_item_output_free(&out);
		json_decref(key);
	}
	assert_int_equal(ncalls, 0);
}

/* getitem_ok_*: the item text is the reply's Item, compact, and the capacity its
 * CapacityUnits (-1 when absent); getitem_ok_missing*: not found, not an error. */
static void check_get_ok(const char *name, const char *text, size_t len)
{
	reset(NULL);
	replies[nreplies++] = (reply){text, len, NULL};
	json_t *key = json_pack("{s:{s:s}}", "itemID", "S", "k");
	aws_ddb_get_item_input in = {"items", key, 0};
	aws_ddb_get_item_output out = {0};
	aws_error err;
	if (aws_ddb_get_item(NULL, &in, &out, &err) != 0)
		fail_msg("%s: %s", name, err.message);
	json_t *resp = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	json_t *want = json_object_get(resp, "Item");
	json_t *cc = json_object_get(json_object_get(resp, "ConsumedCapacity"), "CapacityUnits");
	assert_int_equal(out.found, want != NULL);
	if (want) {
		assert_null(memchr(out.item.data, '\n', out.item.len));
		json_t *got = json_loadb(out.item.data, out.item.len, JSON_ALLOW_NUL, NULL);
		assert_non_null(got);
		assert_true(json_equal(got, want));
		json_decref(got);
	} else {
		assert_int_equal(out.item.len, 0);
	}
	if (cc)
		assert_true(out.capacity_units == json_number_value(cc));
	else
		assert_true(out.capacity_units == -1);
	json_decref(resp);
	aws_ddb_get_item_output_free(&out);
	json_decref(key);
}

static void get_item_recorded_good_responses_give_the_item_and_capacity(void **state)
{
	(void)state;
	assert_true(for_each_case("getitem_ok_", check_get_ok) >= 5);
}

static void check_get_bad(const char *name, const char *text, size_t len)
{
	reset(NULL);
	replies[nreplies++] = (reply){text, len, NULL};
	json_t *key = json_pack("{s:{s:s}}", "itemID", "S", "k");
	aws_ddb_get_item_input in = {"items", key, 0};
	aws_ddb_get_item_output out = {0};
	aws_error err;
	if (aws_ddb_get_item(NULL, &in, &out, &err) == 0)
		fail_msg("%s: read as an item", name);
	assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "items"));
	assert_int_equal(out.found, 0);
	aws_ddb_get_item_output_free(&out);
	json_decref(key);
}

static void get_item_recorded_malformed_responses_are_protocol_errors(void **state)
{
	(void)state;
	assert_true(for_each_case("getitem_bad_", check_get_bad) >= 10);
}

/* aws_ddb_get_item_read on every proper prefix of a good answer (up to its closing brace:
 * what follows is whitespace): a protocol error naming the table, nothing half-read. */
static void check_get_every_truncation(const char *name, const char *text, size_t len)
{
	size_t last = len;
	while (last > 0 && text[last - 1] != '}')
		last--;
	for (size_t cut = 0; cut < last; cut++) {
		aws_ddb_get_item_output out = {0};
		aws_error err;
		if (aws_ddb_get_item_read("items", text, cut, &out, &err) == 0)
			fail_msg("%s cut at %zu: read as an answer", name, cut);
		assert_int_equal(err.kind, AWS_ERR_PROTOCOL);
		assert_non_null(strstr(err.message, "items"));
		assert_int_equal(out.found, 0);
		assert_int_equal(out.item.len, 0);
		assert_true(out.capacity_units == -1);
		aws_ddb_get_item_output_free(&out);
	}
}

static void get_item_answers_cut_at_any_byte_are_protocol_errors(void **state)
{
	(void)state;
	assert_true(for_each_case("getitem_ok_", check_get_every_truncation) >= 4);
}

static void get_item_missing_table_keeps_its_type(void **state)
{
	(void)state;
	script_error("ResourceNotFoundException", "Requested resource not found");
	json_t *key = json_pack("{s:{s:s}}", "itemID", "S", "k");
	aws_ddb_get_item_input in = {"items", key, 0};
	aws_ddb_get_item_output out = {0};
	aws_error err;
	assert_int_equal(aws_ddb_get_item(NULL, &in, &out, &err), -1);
	assert_string_equal(err.type, "ResourceNotFoundException");
	assert_non_null(strstr(err.message, "items"));
	aws_ddb_get_item_output_free(&out);
	json_decref(key);
}

#define T(f) cmocka_unit_test_setup_teardown(f, reset, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(scan_sends_only_the_table_when_nothing_else_is_given),
		T(scan_sends_every_member_given),
		T(scan_rejects_bad_input_without_a_call),
		T(scan_reads_the_consumed_capacity_in_both_forms),
		T(pitr_status_reads_enabled_and_disabled_only),
		T(scan_service_error_keeps_its_type_with_the_table_named),
		T(scan_recorded_good_responses_read_the_same_as_tree_and_text),
		T(scan_recorded_malformed_responses_are_protocol_errors),
		T(scan_responses_cut_at_any_byte_are_protocol_errors),
		T(scan_mutated_responses_are_read_alike_as_tree_and_text),
		T(scan_page_is_reused_and_reset_by_the_next_call),
		T(scan_text_reads_the_body_unchecked_and_refuses_truncated_or_non_json),
		T(only_scan_text_skips_the_clients_check),
		T(batch_put_sends_at_most_25_per_request),
		T(batch_put_resends_exactly_the_unprocessed_items),
		T(batch_put_gives_up_after_8_retries_with_growing_bounded_backoff),
		T(batch_put_backoff_delays_grow_round_after_round),
		T(batch_put_rejects_malformed_unprocessed_items),
		T(batch_put_of_no_items_makes_no_call),
		T(batch_put_capacity_asks_for_and_sums_the_units_retries_included),
		T(batch_put_capacity_is_minus_one_when_no_reply_says),
		T(batch_put_capacity_rejects_a_malformed_consumed_capacity),
		T(create_table_asks_for_on_demand_and_one_string_key),
		T(create_table_wait_polls_until_active),
		T(create_table_wait_stops_on_other_errors),
		T(describe_table_checks_the_table_object),
		T(delete_table_names_the_table),
		T(get_item_sends_table_key_and_asks_for_the_capacity),
		T(get_item_refuses_keys_getitem_would_refuse_without_a_call),
		T(get_item_recorded_good_responses_give_the_item_and_capacity),
		T(get_item_recorded_malformed_responses_are_protocol_errors),
		T(get_item_answers_cut_at_any_byte_are_protocol_errors),
		T(get_item_missing_table_keeps_its_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

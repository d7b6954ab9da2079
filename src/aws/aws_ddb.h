/* aws_ddb.h — the DynamoDB operations showtable uses (JSON 1.0, DynamoDB_20120810).
 *
 * Items and keys are jansson values in DynamoDB's wire form ({"itemID":{"S":"a"}}), so
 * every attribute type (S N B BOOL NULL M L SS NS BS) round-trips exactly as sent: numbers
 * stay strings with every digit, binaries stay base64. Checking an item before it is sent
 * is aws_ddb_value.h.
 */
#ifndef AWS_DDB_H
#define AWS_DDB_H

#include <stddef.h>
#include <jansson.h>
#include "aws_client.h"

typedef struct aws_ddb_scan_input {
	const char *table;
	long limit;                          /* 0 = none (the service's 1 MB page) */
	const json_t *exclusive_start_key;   /* borrowed; NULL = from the start */
	int segment;                         /* with total_segments > 0 */
	int total_segments;                  /* 0 = not a parallel scan */
	const char *filter_expression;       /* NULL = none */
	const char *projection_expression;   /* NULL = all attributes */
	const json_t *expression_attribute_names;   /* object or NULL; borrowed */
	const json_t *expression_attribute_values;  /* object or NULL; borrowed */
	int consistent_read;
	int return_consumed_capacity;        /* 1: ReturnConsumedCapacity TOTAL */
} aws_ddb_scan_input;

typedef struct aws_ddb_scan_output {
	json_t *items;               /* array of items; owned */
	long count;
	long scanned_count;
	double capacity_units;       /* ConsumedCapacity.CapacityUnits; -1 when not in the reply */
	json_t *last_evaluated_key;  /* NULL when the scan is complete; owned */
	json_t *response;            /* the whole parsed response that owns the above; owned */
} aws_ddb_scan_output;

/* One Scan call (one page). out must be zeroed; free with aws_ddb_scan_output_free.
 * Table missing: AWS_ERR_SERVICE "ResourceNotFoundException". */
int aws_ddb_scan(aws_client *c, const aws_ddb_scan_input *in, aws_ddb_scan_output *out,
		 aws_error *err);
void aws_ddb_scan_output_free(aws_ddb_scan_output *out);

/* The items of a Scan page as JSON text, for callers that pass them on as text (showtablectl
 * scan): each item is a span of the response body, checked to be one well-formed JSON object
 * (valid UTF-8), so no tree is built per item. The page's buffers are reused by the next call
 * with the same page. */
typedef struct aws_ddb_span {
	size_t off, len;             /* the item's text: body.data + off, len bytes */
	int has_space;               /* whitespace outside strings (e.g. a pretty-printed reply) */
} aws_ddb_span;

typedef struct aws_ddb_scan_page {
	aws_buf body;                /* the response text; owned */
	aws_ddb_span *items;         /* nitems spans into body; owned */
	size_t nitems, items_cap;
	long count;
	long scanned_count;
	double capacity_units;       /* ConsumedCapacity.CapacityUnits; -1 when not in the reply */
	json_t *last_evaluated_key;  /* NULL when the scan is complete; owned */
} aws_ddb_scan_page;

/* One Scan call, as aws_ddb_scan, with the items left as text. page must be zeroed before
 * its first use; free with aws_ddb_scan_page_free. On failure the page holds no items. */
int aws_ddb_scan_text(aws_client *c, const aws_ddb_scan_input *in, aws_ddb_scan_page *page,
		      aws_error *err);
void aws_ddb_scan_page_free(aws_ddb_scan_page *page);
/* Reads a Scan response body given as text (copied into the page) as aws_ddb_scan_text reads
 * the service's: for tests and fakes of the Scan call. Not JSON, or not a Scan page: -1
 * with AWS_ERR_PROTOCOL saying why and where. */
int aws_ddb_scan_page_parse(aws_ddb_scan_page *page, const char *text, size_t len,
			    aws_error *err);
/* Appends item i of page to out as compact JSON on one line (no newline added). */
int aws_ddb_span_append(aws_buf *out, const aws_ddb_scan_page *page, size_t i);

/* GetItem of one item by its whole primary key, with ReturnConsumedCapacity TOTAL. */
typedef struct aws_ddb_get_item_input {
	const char *table;
	const json_t *key;           /* borrowed: {"itemID":{"S":"a"}}, one or two S/N/B values */
	int consistent_read;
} aws_ddb_get_item_input;

typedef struct aws_ddb_get_item_output {
	int found;                   /* 0: no item has that key (not an error) */
	aws_buf item;                /* owned: the item as compact DynamoDB JSON text, one object;
					empty when not found */
	double capacity_units;       /* read capacity consumed; -1 when the reply did not say */
} aws_ddb_get_item_output;

/* One GetItem call. out must be zeroed; free with aws_ddb_get_item_output_free (also after
 * a failure). A key that is not an object of one or two valid S/N/B values is -1 with
 * AWS_ERR_INVALID before any call; an Item or ConsumedCapacity of the wrong shape is
 * AWS_ERR_PROTOCOL naming the field; a missing table AWS_ERR_SERVICE
 * "ResourceNotFoundException". */
int aws_ddb_get_item(aws_client *c, const aws_ddb_get_item_input *in, aws_ddb_get_item_output *out,
		     aws_error *err);
void aws_ddb_get_item_output_free(aws_ddb_get_item_output *out);
/* aws_ddb_get_item's two halves, for a caller that sends the request itself
 * (aws_json_call_start): the request's JSON text into *body (caller frees; -1 as
 * aws_ddb_get_item for a bad input), and the reading of the 2xx response text into out
 * (errors as aws_ddb_get_item's). */
int aws_ddb_get_item_request(const aws_ddb_get_item_input *in, char **body, aws_error *err);
int aws_ddb_get_item_read(const char *table, const char *text, size_t len, aws_ddb_get_item_output *out,
			  aws_error *err);

/* DescribeContinuousBackups: *pitr is 1 when point-in-time recovery is ENABLED, 0 when
 * DISABLED. Any other reply shape is AWS_ERR_PROTOCOL naming the field. */
int aws_ddb_pitr_status(aws_client *c, const char *table, int *pitr, aws_error *err);

/* DescribeTable: *out receives the "Table" object (owned, json_decref it). */
int aws_ddb_describe_table(aws_client *c, const char *table, json_t **out, aws_error *err);

/* CreateTable with one string partition key, on-demand billing. Returns when the call
 * is accepted; wait_active != 0 also polls DescribeTable until ACTIVE (timeout_s). */
int aws_ddb_create_table(aws_client *c, const char *table, const char *hash_key,
			 int wait_active, int timeout_s, aws_error *err);

/* DeleteTable. */
int aws_ddb_delete_table(aws_client *c, const char *table, aws_error *err);

typedef enum aws_ddb_table_state { AWS_DDB_TABLE_ACTIVE, AWS_DDB_TABLE_GONE } aws_ddb_table_state;
/* Polls DescribeTable (100 ms, doubling to 2 s) until the table is ACTIVE, or gone
 * (ResourceNotFoundException), within timeout_s seconds: else AWS_ERR_TIMEOUT saying the
 * state it is still in. Any other failure of DescribeTable ends the wait with it. */
int aws_ddb_wait_table(aws_client *c, const char *table, aws_ddb_table_state want,
		       int timeout_s, aws_error *err);

/* BatchWriteItem of put requests, any count: sent in batches of 25; UnprocessedItems are
 * retried with exponential backoff (up to 8 rounds per batch) until none remain.
 * items: array of items (borrowed). *written (may be NULL) counts items accepted. */
int aws_ddb_batch_put(aws_client *c, const char *table, const json_t *items, long *written,
		      aws_error *err);
/* As aws_ddb_batch_put, with ReturnConsumedCapacity TOTAL: *capacity_units receives the
 * write capacity the batches consumed, retries included (-1 when no reply said; kept on
 * failure for the batches written). A ConsumedCapacity of the wrong shape is
 * AWS_ERR_PROTOCOL naming the field. */
int aws_ddb_batch_put_capacity(aws_client *c, const char *table, const json_t *items,
			       long *written, double *capacity_units, aws_error *err);

/* Tests only: replace the sleep between BatchWriteItem retries and table-status polls
 * (NULL = aws_sleep_ms). Process-wide; set it before any call. */
void aws_ddb_set_sleep(void (*sleep_ms)(long ms));

#endif

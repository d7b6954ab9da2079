/* srv_item.h — one item by its key: the GetItem behind the item view (/item/<itemID>) and
 * the filter's exact-itemID lookup.
 *
 * An item is addressed by its partition key value as text (the URL's path segment, decoded).
 * The key's name and type come from DescribeTable (srv_table_info), so the request is the
 * table's real key, typed: an N key must be a number, a B key base64. A table with a sort key
 * has no item for a partition key value alone, so it is refused with words saying so.
 */
#ifndef SRV_ITEM_H
#define SRV_ITEM_H

#include <jansson.h>
#include "aws_client.h"
#include "aws_ddb.h"
#include "srv_table.h"

#define SRV_ITEM_ID_MAX 2048   /* DynamoDB's largest partition key value, in bytes */

/* The GetItem key for id (n bytes) as the value of info's partition key: *key is
 * {"<hash>":{"<type>":"<id>"}}, owned by the caller. -1 with AWS_ERR_INVALID (answer 400)
 * when the table also has a sort key, id is empty or longer than SRV_ITEM_ID_MAX, is not
 * UTF-8, or is not a value of the key's type. */
int srv_item_key(const srv_table_info *info, const char *id, size_t n, json_t **key, aws_error *err);

/* GetItem of the item whose partition key is id (n bytes) in table. out as for
 * aws_ddb_get_item (zeroed first; free it with aws_ddb_get_item_output_free); not found is
 * out->found == 0, not an error. Errors: srv_item_key's, or GetItem's unchanged. */
int srv_item_get(aws_client *c, const char *table, const srv_table_info *info, const char *id, size_t n,
		 aws_ddb_get_item_output *out, aws_error *err);

/* srv_item_get's one attempt on an event loop (aws_json_call_start, l's thread): 0 and done
 * is called with GetItem's response text (read it with aws_ddb_get_item_read) or the
 * attempt's error; -1 with err and done never called (the key is unusable, or the call could
 * not start without blocking). */
int srv_item_get_start(aws_client *c, aws_http_loop *l, const char *table, const srv_table_info *info,
		       const char *id, size_t n, aws_json_done_fn *done, void *ud, aws_error *err);

#endif

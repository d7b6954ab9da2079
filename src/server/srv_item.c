/* srv_item.c — an item by its key (see srv_item.h). The key is built as a JSON value and
 * checked with the library's attribute validator, so no text from the URL is ever spliced
 * into a request. */
#include "srv_item.h"
#include "aws_ddb_value.h"

#include <stdlib.h>
#include <string.h>

int srv_item_key(const srv_table_info *info, const char *id, size_t n, json_t **key, aws_error *err)
{
	*key = NULL;
	if (info->range[0])
		return aws_error_set(err, AWS_ERR_INVALID,
				     "this table's key is %s and %s: an item cannot be found by %s alone",
				     info->hash, info->range, info->hash);
	if (n == 0 || n > SRV_ITEM_ID_MAX)
		return aws_error_set(err, AWS_ERR_INVALID, "an %s is 1 to %d bytes long", info->hash,
				     SRV_ITEM_ID_MAX);
	json_t *v = json_stringn(id, n);
	if (!v)
		return aws_error_set(err, AWS_ERR_INVALID, "the %s is not valid UTF-8 text", info->hash);
	char type[2] = {info->hash_type, '\0'};
	json_t *av = json_object();
	json_t *k = json_object();
	if (!av || !k || json_object_set_new(av, type, v) || json_object_set(k, info->hash, av)) {
		json_decref(av);
		json_decref(k);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	}
	char why[256];
	int ok = aws_ddb_value_valid(av, why, sizeof why);
	json_decref(av);
	if (!ok) {
		json_decref(k);
		return aws_error_set(err, AWS_ERR_INVALID, "\"%.64s\" is not an %s: the table's key is %s", id,
				     info->hash, info->hash_type == 'N' ? "a number" : "binary, written as base64");
	}
	*key = k;
	return 0;
}

int srv_item_get(aws_client *c, const char *table, const srv_table_info *info, const char *id, size_t n,
		 aws_ddb_get_item_output *out, aws_error *err)
{
	out->found = 0;
	json_t *key;
	if (srv_item_key(info, id, n, &key, err) != 0)
		return -1;
	aws_ddb_get_item_input in = {.table = table, .key = key};
	int rc = aws_ddb_get_item(c, &in, out, err);
	json_decref(key);
	return rc;
}

int srv_item_get_start(aws_client *c, aws_http_loop *l, const char *table, const srv_table_info *info,
		       const char *id, size_t n, aws_json_done_fn *done, void *ud, aws_error *err)
{
	json_t *key;
	if (srv_item_key(info, id, n, &key, err) != 0)
		return -1;
	aws_ddb_get_item_input in = {.table = table, .key = key};
	char *body;
	int rc = aws_ddb_get_item_request(&in, &body, err);
	json_decref(key);
	if (rc == 0)
		rc = aws_json_call_start(c, l, &AWS_SERVICE_DYNAMODB, "GetItem", body, strlen(body), done, ud, err);
	free(body);
	return rc;
}

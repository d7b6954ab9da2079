/* aws_ddb_call.c — the DynamoDB JSON-protocol call and the checks every operation's
 * request and response share (see aws_ddb_call.h).
 */
#include <stdlib.h>
#include <string.h>
#include "aws_ddb_call.h"
#include "aws_json.h"

int aws_ddb_table_name_ok(const char *t, aws_error *err)
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

int aws_ddb_response(const char *op, const char *text, size_t len, json_t **resp, aws_error *err)
{
	*resp = NULL;
	json_error_t jerr;
	json_t *r = json_loadb(text ? text : "", len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
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

int aws_ddb_call(aws_client *c, const char *op, const json_t *req, json_t **resp,
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
	if (rc == 0)
		rc = aws_ddb_response(op, out.data, out.len, resp, err);
	aws_buf_free(&out);
	return rc;
}

int aws_ddb_bad_field(aws_error *err, const char *op, const char *field, const char *want)
{
	return aws_error_set(err, AWS_ERR_PROTOCOL, "DynamoDB %s: response field %s is missing "
			     "or not %s", op, field, want);
}

int aws_ddb_set_borrowed(json_t *o, const char *k, const json_t *v)
{
	return json_object_set(o, k, (json_t *)v);
}

int aws_ddb_capacity(const json_t *resp, const char *op, double *units, aws_error *err)
{
	*units = -1;
	const json_t *cc = json_object_get(resp, "ConsumedCapacity");
	if (!cc)
		return 0;
	const json_t *u = json_object_get(cc, "CapacityUnits");
	if (!json_is_object(cc) || (u && !json_is_number(u)))
		return aws_ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number");
	if (u)
		*units = json_number_value(u);
	return 0;
}

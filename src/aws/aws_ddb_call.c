/* aws_ddb_call.c — the DynamoDB JSON-protocol call and the checks every operation's
 * request and response share (see aws_ddb_call.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aws_ddb_call.h"
#include "aws_json.h"
#include "aws_jtext.h"

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

int aws_ddb_capacity_text(const char *p, size_t n, const char *op, double *units, aws_error *err)
{
	*units = -1;
	aws_jtext_iter it;
	aws_jtext_val name, val;
	if (aws_jtext_iter_init(&it, (aws_jtext_val){p, n}, '{') < 0)
		return aws_ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number");
	int r;
	while ((r = aws_jtext_member(&it, &name, &val)) == 1) {
		static const char want[] = "CapacityUnits";
		char dec[6 * (sizeof want - 1)], num[128];   /* every byte as \uXXXX at most */
		size_t klen;
		/* compared decoded: a member may spell its name with escapes */
		if (name.n < 2 || name.n - 2 > sizeof dec ||
		    aws_jtext_unescape(name.p + 1, name.n - 2, dec, &klen) < 0 ||
		    klen != sizeof want - 1 || memcmp(dec, want, klen) != 0)
			continue;
		if (aws_jtext_kind(val) != '0' || val.n >= sizeof num)
			return aws_ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number");
		memcpy(num, val.p, val.n);
		num[val.n] = '\0';
		*units = strtod(num, NULL);
		if (!isfinite(*units)) {
			*units = -1;
			return aws_ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number");
		}
		return 0;
	}
	return r < 0 ? aws_ddb_bad_field(err, op, "ConsumedCapacity.CapacityUnits", "a number") : 0;
}

int aws_ddb_compact_append(aws_buf *out, const char *p, size_t n, int has_space)
{
	if (!has_space)
		return aws_buf_append(out, p, n);
	if (aws_buf_reserve(out, n) < 0)
		return -1;
	/* Drop whitespace outside strings so the value stays on one line. */
	char *o = out->data + out->len;
	int in_str = 0;
	for (size_t k = 0; k < n; k++) {
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

int aws_ddb_answer_walk(aws_json_lex *l, aws_ddb_member_fn *member, void *ud)
{
	aws_json_ws(l);
	if (l->p >= l->end) {
		l->p = l->base;
		l->why = "empty body";   /* not "truncated": there is nothing to cut */
		return -2;
	}
	if (*l->p != '{')
		return aws_json_fail(l, "not a JSON object"), -2;
	l->p++;
	aws_json_ws(l);
	int empty = l->p < l->end && *l->p == '}';
	if (empty)
		l->p++;
	while (!empty) {
		const unsigned char *name;
		size_t nlen;
		if (aws_json_member(l, &name, &nlen) < 0)
			return -2;
		int rc = member(ud, l, name, nlen);
		if (rc < 0)
			return rc;
		aws_json_ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			continue;
		}
		if (l->p < l->end && *l->p == '}') {
			l->p++;
			if (aws_json_names_end(l, 0) < 0)
				return -2;
			break;
		}
		return aws_json_fail(l, "expected ',' or '}'"), -2;
	}
	aws_json_ws(l);
	if (l->p != l->end)
		return aws_json_fail(l, "text after the JSON object"), -2;
	return 0;
}

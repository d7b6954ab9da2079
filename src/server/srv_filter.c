/* srv_filter.c — attribute conditions as a Scan FilterExpression (see srv_filter.h). */
#include "srv_filter.h"

#include <stdio.h>
#include <string.h>

#include "aws_ddb.h"
#include "aws_ddb_value.h"

static const char *const OP_WORDS[] = {"eq", "ne", "lt", "gt", "begins_with", "contains", "exists", "not_exists"};
static const char *const TYPE_WORDS[] = {"string", "number", "bool"};

const char *srv_filter_op_word(srv_filter_op op) { return OP_WORDS[op]; }
const char *srv_filter_type_word(srv_filter_type t) { return TYPE_WORDS[t]; }

static int word_index(const char *s, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

static int utf8_ok(const char *s)
{
	json_t *j = json_string(s);   /* NULL unless valid UTF-8 */
	json_decref(j);
	return j != NULL;
}

int srv_filter_add(srv_filter *f, const char *attr, const char *op, const char *type, const char *value,
		   aws_error *err)
{
	if (!attr || !*attr)
		return 0;
	if (!value)
		value = "";
	size_t an = strlen(attr), vn = strlen(value);
	if (f->n == SRV_FILTER_MAX)
		return aws_error_set(err, AWS_ERR_INVALID, "a filter has at most %d conditions", SRV_FILTER_MAX);
	if (an > SRV_FILTER_NAME_MAX || !utf8_ok(attr))
		return aws_error_set(err, AWS_ERR_INVALID, "an attribute name is 1 to %d bytes of UTF-8 text",
				     SRV_FILTER_NAME_MAX);
	int o = op && *op ? word_index(op, OP_WORDS, 8) : SRV_OP_EQ;
	if (o < 0)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "op must be one of eq, ne, lt, gt, begins_with, contains, exists, not_exists");
	int t = type && *type ? word_index(type, TYPE_WORDS, 3) : SRV_TYPE_STRING;
	if (t < 0)
		return aws_error_set(err, AWS_ERR_INVALID, "type must be string, number or bool");
	int compares = o != SRV_OP_EXISTS && o != SRV_OP_NOT_EXISTS;
	if (compares) {
		if (vn > SRV_FILTER_VALUE_MAX || !utf8_ok(value))
			return aws_error_set(err, AWS_ERR_INVALID, "a value is at most %d bytes of UTF-8 text",
					     SRV_FILTER_VALUE_MAX);
		if (t == SRV_TYPE_NUMBER) {
			json_t *nv = json_pack("{s:s}", "N", value);
			char why[128];
			int ok = nv && aws_ddb_value_valid(nv, why, sizeof why);
			json_decref(nv);
			if (!ok)
				return aws_error_set(err, AWS_ERR_INVALID, "\"%.40s\" (for %.64s) is not a number", value,
						     attr);
		}
		if (t == SRV_TYPE_BOOL && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return aws_error_set(err, AWS_ERR_INVALID, "a bool value (for %.64s) is true or false", attr);
		if (t == SRV_TYPE_STRING && vn == 0 && o != SRV_OP_EQ && o != SRV_OP_NE)
			return aws_error_set(err, AWS_ERR_INVALID, "%s needs a value (for %.64s)", OP_WORDS[o], attr);
		if (o == SRV_OP_BEGINS_WITH && t != SRV_TYPE_STRING)
			return aws_error_set(err, AWS_ERR_INVALID, "begins_with compares strings only (for %.64s)", attr);
		if ((o == SRV_OP_LT || o == SRV_OP_GT) && t == SRV_TYPE_BOOL)
			return aws_error_set(err, AWS_ERR_INVALID, "a bool is not ordered: use eq or ne (for %.64s)",
					     attr);
	}
	srv_filter_cond *c = &f->c[f->n++];
	memcpy(c->attr, attr, an + 1);
	c->op = (srv_filter_op)o;
	c->type = (srv_filter_type)t;
	if (compares)
		memcpy(c->value, value, vn + 1);
	else
		c->value[0] = '\0';
	return 0;
}

/* The attribute value a condition compares with. */
static json_t *cond_value(const srv_filter_cond *c)
{
	if (c->type == SRV_TYPE_NUMBER)
		return json_pack("{s:s}", "N", c->value);
	if (c->type == SRV_TYPE_BOOL)
		return json_pack("{s:b}", "BOOL", strcmp(c->value, "true") == 0);
	return json_pack("{s:s}", "S", c->value);
}

int srv_filter_expression(const srv_filter *f, const char *q, aws_buf *expr, json_t **names, json_t **values,
			  aws_error *err)
{
	*names = *values = NULL;
	if (f->n == 0 && (!q || !*q)) {
		if (aws_buf_putc(expr, '\0'))
			return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		expr->len--;   /* an empty text, NUL-terminated */
		return 0;
	}
	*names = json_object();
	*values = json_object();
	int e = !*names || !*values;
	for (int i = 0; i < f->n && !e; i++) {
		const srv_filter_cond *c = &f->c[i];
		char a[16], v[16];
		snprintf(a, sizeof a, "#a%d", i);
		snprintf(v, sizeof v, ":v%d", i);
		e |= json_object_set_new(*names, a, json_string(c->attr));
		if (i)
			e |= aws_buf_puts(expr, " AND ");
		switch (c->op) {
		case SRV_OP_EQ: e |= aws_buf_printf(expr, "%s = %s", a, v); break;
		case SRV_OP_NE: e |= aws_buf_printf(expr, "%s <> %s", a, v); break;
		case SRV_OP_LT: e |= aws_buf_printf(expr, "%s < %s", a, v); break;
		case SRV_OP_GT: e |= aws_buf_printf(expr, "%s > %s", a, v); break;
		case SRV_OP_BEGINS_WITH: e |= aws_buf_printf(expr, "begins_with(%s, %s)", a, v); break;
		case SRV_OP_CONTAINS: e |= aws_buf_printf(expr, "contains(%s, %s)", a, v); break;
		case SRV_OP_EXISTS: e |= aws_buf_printf(expr, "attribute_exists(%s)", a); break;
		case SRV_OP_NOT_EXISTS: e |= aws_buf_printf(expr, "attribute_not_exists(%s)", a); break;
		}
		if (c->op != SRV_OP_EXISTS && c->op != SRV_OP_NOT_EXISTS)
			e |= json_object_set_new(*values, v, cond_value(c));
	}
	if (!e && q && *q) {
		json_t *qs = json_string(q);
		if (!qs) {
			json_decref(*names);
			json_decref(*values);
			*names = *values = NULL;
			return aws_error_set(err, AWS_ERR_INVALID, "the filter is not valid UTF-8 text");
		}
		e |= json_object_set_new(*names, "#k", json_string("itemID"));
		e |= json_object_set_new(*values, ":q", json_pack("{s:o}", "S", qs));
		e |= aws_buf_puts(expr, f->n ? " AND contains(#k, :q)" : "contains(#k, :q)");
	}
	e |= aws_buf_putc(expr, '\0');
	if (e) {
		json_decref(*names);
		json_decref(*values);
		*names = *values = NULL;
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the filter");
	}
	expr->len--;   /* the NUL stays after the text */
	return 0;
}

static int field(aws_buf *out, const char *s)
{
	return aws_buf_printf(out, "%zu:", strlen(s)) || aws_buf_puts(out, s);
}

int srv_filter_bound(const srv_filter *f, const char *q, aws_buf *out)
{
	if (!q)
		q = "";
	int e = 0;
	if (f->n == 0 && q[0] != '\x1f') {
		e = aws_buf_puts(out, q);
	} else {
		e = aws_buf_putc(out, '\x1f') || field(out, q);
		for (int i = 0; i < f->n && !e; i++)
			e = field(out, f->c[i].attr) || field(out, OP_WORDS[f->c[i].op]) ||
			    field(out, TYPE_WORDS[f->c[i].type]) || field(out, f->c[i].value);
	}
	if (e || aws_buf_putc(out, '\0'))
		return -1;
	out->len--;
	return 0;
}

/* srv_filter.h — conditions on any attribute (attr, op, type, value), ANDed, as a Scan's
 * FilterExpression with ExpressionAttributeNames and ExpressionAttributeValues.
 *
 * The expression text is made of fixed words and generated placeholders only (#a0, :v0,
 * ...): names and values travel in the two maps, never inside the expression, so no input
 * can change what the expression means. Conditions are checked when added — name and value
 * sizes, the value's type, at most SRV_FILTER_MAX of them — and a failure is AWS_ERR_INVALID
 * with words for a person (the server answers 400).
 *
 * A filter has one canonical text (srv_filter_bound): what next-page cursors are bound to,
 * so a cursor made for one filter is refused with any other.
 */
#ifndef SRV_FILTER_H
#define SRV_FILTER_H

#include <jansson.h>
#include "aws_buf.h"
#include "aws_error.h"

#define SRV_FILTER_MAX 8            /* conditions in one filter */
#define SRV_FILTER_NAME_MAX 255     /* bytes of an attribute name */
#define SRV_FILTER_VALUE_MAX 1024   /* bytes of a value */

typedef enum srv_filter_op {
	SRV_OP_EQ, SRV_OP_NE, SRV_OP_LT, SRV_OP_GT, SRV_OP_BEGINS_WITH, SRV_OP_CONTAINS,
	SRV_OP_EXISTS, SRV_OP_NOT_EXISTS,
} srv_filter_op;

typedef enum srv_filter_type { SRV_TYPE_STRING, SRV_TYPE_NUMBER, SRV_TYPE_BOOL } srv_filter_type;

typedef struct srv_filter_cond {
	char attr[SRV_FILTER_NAME_MAX + 1];
	srv_filter_op op;
	srv_filter_type type;
	char value[SRV_FILTER_VALUE_MAX + 1];   /* "" for exists / not exists */
} srv_filter_cond;

typedef struct srv_filter {
	srv_filter_cond c[SRV_FILTER_MAX];
	int n;
} srv_filter;

/* The words of the URL: op "eq" "ne" "lt" "gt" "begins_with" "contains" "exists"
 * "not_exists"; type "string" "number" "bool". */
const char *srv_filter_op_word(srv_filter_op op);
const char *srv_filter_type_word(srv_filter_type t);

/* Adds the condition given by its parameters' text. attr "" (a blank row of the form) adds
 * nothing and is not an error. op NULL/"" is "eq", type NULL/"" is "string"; value NULL is
 * "". Refused (-1, AWS_ERR_INVALID, f unchanged): more than SRV_FILTER_MAX conditions, a
 * name or value too long or not UTF-8, an unknown op or type, a number that is not one,
 * a bool other than true/false, begins_with on a number or bool, < and > on a bool, a
 * missing value for an op that compares. */
int srv_filter_add(srv_filter *f, const char *attr, const char *op, const char *type, const char *value,
		   aws_error *err);

/* The Scan's filter for f and, when q is not empty, "itemID contains q": the expression
 * (appended to expr, NUL-terminated) and the two maps (*names, *values: owned, json_decref;
 * NULL when the filter is empty and q is ""). -1 with AWS_ERR_NOMEM, or AWS_ERR_INVALID when
 * q is not UTF-8. */
int srv_filter_expression(const srv_filter *f, const char *q, aws_buf *expr, json_t **names, json_t **values,
			  aws_error *err);

/* The canonical text of (q, f), appended to out NUL-terminated: q itself when f is empty
 * (and q does not start with 0x1F), else 0x1F and every field length-prefixed — so two
 * different filters never share a text. */
int srv_filter_bound(const srv_filter *f, const char *q, aws_buf *out);

#endif

/* aws_ddb_call.h — what the DynamoDB operations (aws_ddb.c, aws_ddb_scan.c) share, inside
 * the library only: the JSON-protocol call, the table-name check and the checks of the
 * response fields every operation reads. Errors are set in err as for aws_ddb.h.
 */
#ifndef AWS_DDB_CALL_H
#define AWS_DDB_CALL_H

#include <jansson.h>
#include "aws_buf.h"
#include "aws_client.h"
#include "aws_error.h"
#include "aws_json.h"

/* 0 when t is a valid table name (3 to 255 of [A-Za-z0-9_.-]); else AWS_ERR_INVALID. */
int aws_ddb_table_name_ok(const char *t, aws_error *err);

/* Sends req (a JSON object, not consumed) as operation op; on success *resp is the parsed
 * response object (caller decrefs). */
int aws_ddb_call(aws_client *c, const char *op, const json_t *req, json_t **resp, aws_error *err);
/* The 2xx response text of op as a JSON object (*resp, caller decrefs); AWS_ERR_PROTOCOL
 * when it is not one. */
int aws_ddb_response(const char *op, const char *text, size_t len, json_t **resp, aws_error *err);

/* -1 with AWS_ERR_PROTOCOL: "DynamoDB op: response field field is missing or not want". */
int aws_ddb_bad_field(aws_error *err, const char *op, const char *field, const char *want);

/* ConsumedCapacity.CapacityUnits of resp into *units, -1 when absent; -1 with
 * AWS_ERR_PROTOCOL when present and mistyped. */
int aws_ddb_capacity(const json_t *resp, const char *op, double *units, aws_error *err);

/* The same for a ConsumedCapacity value as text (p[0..n), already checked by the aws_json
 * scanner): *units its CapacityUnits, -1 when absent; -1 with AWS_ERR_PROTOCOL when the
 * value is not an object or CapacityUnits is not a number. Allocates nothing. */
int aws_ddb_capacity_text(const char *p, size_t n, const char *op, double *units, aws_error *err);

/* Reads the text in l as one JSON object, a DynamoDB answer, in one aws_json scanner pass,
 * calling member(ud, l, name, nlen) with l at each member's value (name: the text between its
 * quotes). member reads the value — aws_json_value, or steps of its own — and returns 0, -1
 * with its err set (JSON, but not the answer expected: the walk stops), or -2 (not JSON: l
 * says why). The walk checks the rest: separators, no name given twice, nothing after the
 * object. Returns 0, -1, or -2 with l->why and l->p saying why and where ("empty body" for
 * one with nothing in it). */
typedef int aws_ddb_member_fn(void *ud, aws_json_lex *l, const unsigned char *name, size_t nlen);
int aws_ddb_answer_walk(aws_json_lex *l, aws_ddb_member_fn *member, void *ud);

/* Appends the checked JSON value p[0..n) to out on one line: as it is, or without the
 * whitespace outside its strings when has_space. 0, or -1 when out cannot grow. */
int aws_ddb_compact_append(aws_buf *out, const char *p, size_t n, int has_space);

/* json_object_set with a borrowed const value: jansson reference counts are atomic, so
 * taking a reference to a caller's value (never modifying it) is safe. */
int aws_ddb_set_borrowed(json_t *o, const char *k, const json_t *v);

#endif

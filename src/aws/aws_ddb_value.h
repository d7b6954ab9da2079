/* aws_ddb_value.h — checks DynamoDB attribute values and items (jansson values in the wire
 * form, {"S": "a"}) against DynamoDB's data-type rules before they are sent, with a reason
 * a person can act on. Pure functions: no I/O, nothing kept; the values stay the caller's.
 */
#ifndef AWS_DDB_VALUE_H
#define AWS_DDB_VALUE_H

#include <stddef.h>
#include <jansson.h>

/* Checks that v is a well-formed attribute value ({"S":..} etc., one key, right JSON type
 * for it, N a valid number, B/BS valid base64, sets non-empty and unique). On failure
 * writes why into why (e.g. "attribute \"price\": N value \"1x\" is not a number").
 * Both return 1 when valid, 0 when not. Nesting is limited to 32 levels of M/L. */
int aws_ddb_value_valid(const json_t *v, char *why, size_t why_len);
/* Checks a whole item: an object of valid values (at most 400 KB by DynamoDB's size rules)
 * that has a string key attribute key; key NULL skips the key check. */
int aws_ddb_item_valid(const json_t *item, const char *key, char *why, size_t why_len);

#endif

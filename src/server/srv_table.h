/* srv_table.h — which DynamoDB table to show: --table, or SSM <prefix>/table cached.
 *
 * With a fixed name nothing is ever fetched. Otherwise the SSM value is cached for ttl
 * seconds; when SSM fails and a name is cached, the cached name keeps being served (the
 * failure is logged, and SSM is asked again a few seconds later). Thread-safe.
 */
#ifndef SRV_TABLE_H
#define SRV_TABLE_H

#include <stddef.h>
#include "aws_client.h"

#define SRV_TABLE_NAME_MAX 256

typedef struct srv_table srv_table;

/* fixed: the --table value or NULL; param: the SSM parameter name ("/go-on-aws/table"). */
srv_table *srv_table_new(const char *fixed, const char *param, long ttl_s, aws_error *err);
void srv_table_free(srv_table *t);

/* 1 and the name copied into out when it is known and fresh (no I/O), else 0. */
int srv_table_peek(srv_table *t, char *out, size_t len);

/* The name, from SSM when the cache is stale (blocking). Returns 0, or -1 with the SSM error
 * (message says which parameter) when there is no cached name to fall back on. */
int srv_table_get(srv_table *t, aws_client *c, char *out, size_t len, aws_error *err);

const char *srv_table_param(const srv_table *t);

#endif

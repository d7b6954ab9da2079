/* srv_table.h — which DynamoDB table to show: --table, or SSM <prefix>/table cached; and
 * what DescribeTable says about it (its key, for GetItem), cached with the name.
 *
 * With a fixed name nothing is ever fetched. Otherwise the SSM value is cached for ttl
 * seconds; when SSM fails and a name is cached, the cached name keeps being served (the
 * failure is logged, and SSM is asked again a few seconds later). The description is kept
 * for the same ttl and for that name only: a new name is described again. Thread-safe.
 */
#ifndef SRV_TABLE_H
#define SRV_TABLE_H

#include <stddef.h>
#include <jansson.h>
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

/* What DescribeTable says about a table, as the pages use it. */
typedef struct srv_table_info {
	char hash[256];            /* partition key attribute */
	char hash_type;            /* its type: 'S', 'N' or 'B' */
	char range[256];           /* sort key attribute, "" when the table has none */
	char range_type;
	char billing[32];          /* "PAY_PER_REQUEST" or "PROVISIONED" */
	long long item_count;      /* approximate (DynamoDB updates it every ~6 hours) */
	long long size_bytes;      /* approximate likewise */
	int pitr;                  /* point-in-time recovery: 1 on, 0 off, -1 unknown (the
				      DescribeContinuousBackups call failed) */
} srv_table_info;

/* Reads a DescribeTable "Table" object (borrowed). -1 with AWS_ERR_PROTOCOL when its
 * KeySchema has no HASH key, or a key attribute has no S/N/B AttributeDefinition. */
int srv_table_info_parse(const json_t *table, srv_table_info *out, aws_error *err);

/* The description of table (a name srv_table_get gave), from the cache or DescribeTable
 * and DescribeContinuousBackups (blocking). -1 with the DescribeTable error; a failed
 * DescribeContinuousBackups only leaves pitr unknown. */
int srv_table_info_get(srv_table *t, aws_client *c, const char *table, srv_table_info *out,
		       aws_error *err);

/* 1 and the cached description when it is of table and fresh (no I/O), else 0. *gen (may
 * be NULL) changes whenever the description is fetched again. */
int srv_table_info_peek(srv_table *t, const char *table, srv_table_info *out, unsigned *gen);

#endif

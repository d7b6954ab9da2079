/* srv_table.c — the table name, fixed or from SSM with a TTL cache and stale fallback.
 *
 * go-on-aws reads SSM on every request; caching keeps SSM off the request path (and under
 * its API rate limits), and the stale fallback keeps pages working through an SSM outage.
 */
#include "srv_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_ddb.h"
#include "aws_ssm.h"
#include "aws_time.h"
#include "srv_log.h"

#define RETRY_AFTER_FAILURE_S 5

struct srv_table {
	pthread_mutex_t mu;
	int fixed;
	char name[SRV_TABLE_NAME_MAX];   /* "" = none yet */
	char param[512];
	long ttl;
	time_t fresh_until;              /* monotonic seconds */
	char info_of[SRV_TABLE_NAME_MAX];   /* the table info describes; "" = none */
	srv_table_info info;
	time_t info_until;
	unsigned info_gen;
};

static time_t mono_s(void)
{
	return (time_t)(aws_monotonic_ms() / 1e3);
}

srv_table *srv_table_new(const char *fixed, const char *param, long ttl_s, aws_error *err)
{
	if (fixed && (strlen(fixed) < 3 || strlen(fixed) >= SRV_TABLE_NAME_MAX)) {
		aws_error_set(err, AWS_ERR_INVALID, "--table: \"%.64s\" is not a DynamoDB table name (3 to 255 characters)",
			      fixed);
		return NULL;
	}
	srv_table *t = calloc(1, sizeof *t);
	if (!t) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	t->fixed = fixed != NULL;
	if (fixed)
		snprintf(t->name, sizeof t->name, "%s", fixed);
	snprintf(t->param, sizeof t->param, "%s", param ? param : "");
	t->ttl = ttl_s;
	return t;
}

void srv_table_free(srv_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

const char *srv_table_param(const srv_table *t) { return t->param; }

int srv_table_peek(srv_table *t, char *out, size_t len)
{
	pthread_mutex_lock(&t->mu);
	int ok = t->name[0] && (t->fixed || mono_s() < t->fresh_until);
	if (ok)
		snprintf(out, len, "%s", t->name);
	pthread_mutex_unlock(&t->mu);
	return ok;
}

int srv_table_get(srv_table *t, aws_client *c, char *out, size_t len, aws_error *err)
{
	if (srv_table_peek(t, out, len))
		return 0;
	aws_ssm_parameter p = {0};
	aws_error e;
	aws_error_clear(&e);
	int rc = aws_ssm_get_parameter(c, t->param, 0, &p, &e);
	if (rc == 0 && (!p.value || !p.value[0] || strlen(p.value) >= SRV_TABLE_NAME_MAX)) {
		aws_error_set(&e, AWS_ERR_PROTOCOL, "SSM parameter %s holds no usable table name", t->param);
		rc = -1;
	}
	pthread_mutex_lock(&t->mu);
	if (rc == 0) {
		snprintf(t->name, sizeof t->name, "%s", p.value);
		t->fresh_until = mono_s() + t->ttl;
	} else if (t->name[0]) {
		t->fresh_until = mono_s() + (t->ttl < RETRY_AFTER_FAILURE_S ? t->ttl : RETRY_AFTER_FAILURE_S);
	}
	int have = t->name[0] != '\0';
	if (have)
		snprintf(out, len, "%s", t->name);
	pthread_mutex_unlock(&t->mu);
	aws_ssm_parameter_free(&p);
	if (rc == 0)
		return 0;
	char why[1024];
	aws_error_str(&e, why, sizeof why);
	if (have) {
		srv_log_event(SRV_LOG_WARN, "ssm_table_stale",
			      "reading SSM %s failed, still serving the cached table name %s: %s", t->param, out, why);
		return 0;
	}
	if (strcmp(e.type, "ParameterNotFound") == 0)
		aws_error_prefix(&e, "SSM parameter %s not found — is the table stack deployed? (or run with --table)",
				 t->param);
	else
		aws_error_prefix(&e, "reading the table name from SSM %s", t->param);
	if (err)
		*err = e;
	return -1;
}

/* The type letter of attribute name in AttributeDefinitions; 0 when not S, N or B. */
static char key_type(const json_t *defs, const char *name)
{
	size_t i;
	const json_t *d;
	json_array_foreach(defs, i, d) {
		const char *n = json_string_value(json_object_get(d, "AttributeName"));
		const char *ty = json_string_value(json_object_get(d, "AttributeType"));
		if (n && ty && strcmp(n, name) == 0 && ty[0] && !ty[1] && strchr("SNB", ty[0]))
			return ty[0];
	}
	return 0;
}

static long long count_of(const json_t *table, const char *field)
{
	const json_t *v = json_object_get(table, field);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

int srv_table_info_parse(const json_t *table, srv_table_info *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	const json_t *schema = json_object_get(table, "KeySchema");
	const json_t *defs = json_object_get(table, "AttributeDefinitions");
	size_t i;
	const json_t *k;
	json_array_foreach(schema, i, k) {
		const char *name = json_string_value(json_object_get(k, "AttributeName"));
		const char *kt = json_string_value(json_object_get(k, "KeyType"));
		if (!name || !kt || strlen(name) >= sizeof out->hash)
			continue;
		char ty = key_type(defs, name);
		if (strcmp(kt, "HASH") == 0) {
			snprintf(out->hash, sizeof out->hash, "%s", name);
			out->hash_type = ty;
		} else if (strcmp(kt, "RANGE") == 0) {
			snprintf(out->range, sizeof out->range, "%s", name);
			out->range_type = ty;
		}
	}
	if (!out->hash[0] || !out->hash_type || (out->range[0] && !out->range_type))
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DescribeTable: the table's KeySchema "
				     "and AttributeDefinitions name no usable partition key");
	const json_t *bm = json_object_get(json_object_get(table, "BillingModeSummary"), "BillingMode");
	/* Tables created before on-demand existed report no summary: they are provisioned. */
	snprintf(out->billing, sizeof out->billing, "%s",
		 json_is_string(bm) ? json_string_value(bm) : "PROVISIONED");
	out->item_count = count_of(table, "ItemCount");
	out->size_bytes = count_of(table, "TableSizeBytes");
	return 0;
}

int srv_table_info_peek(srv_table *t, const char *table, srv_table_info *out, unsigned *gen)
{
	pthread_mutex_lock(&t->mu);
	int fresh = strcmp(t->info_of, table) == 0 && mono_s() < t->info_until;
	if (fresh)
		*out = t->info;
	if (gen)
		*gen = t->info_gen;
	pthread_mutex_unlock(&t->mu);
	return fresh;
}

int srv_table_info_get(srv_table *t, aws_client *c, const char *table, srv_table_info *out,
		       aws_error *err)
{
	if (srv_table_info_peek(t, table, out, NULL))
		return 0;
	json_t *desc = NULL;
	if (aws_ddb_describe_table(c, table, &desc, err) != 0)
		return -1;
	int rc = srv_table_info_parse(desc, out, err);
	json_decref(desc);
	if (rc != 0)
		return aws_error_prefix(err, "table %s", table);
	aws_error pe;
	aws_error_clear(&pe);
	if (aws_ddb_pitr_status(c, table, &out->pitr, &pe) != 0) {
		char why[512];
		aws_error_str(&pe, why, sizeof why);
		srv_log_event(SRV_LOG_WARN, "pitr_unknown", "point-in-time recovery status of %s unknown: %s", table, why);
		out->pitr = -1;
	}
	pthread_mutex_lock(&t->mu);
	snprintf(t->info_of, sizeof t->info_of, "%s", table);
	t->info = *out;
	t->info_until = mono_s() + t->ttl;
	t->info_gen++;
	pthread_mutex_unlock(&t->mu);
	return 0;
}

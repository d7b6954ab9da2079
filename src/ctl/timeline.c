/* timeline.c — the deploy timeline (see timeline.h). A resource can be in progress more
 * than once in one operation (an update, then its old copy deleted in the cleanup phase):
 * its time is the sum of those spans, not the wall time between them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "jsonl.h"
#include "timeline.h"

long long timeline_parse_time(const char *ts)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int ms = 0, used = 0;
	if (ts == NULL || sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
				 &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	const char *p = ts + used;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p != 'Z' && *p != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (long long)t * 1000 + ms;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static int slowest_first(const void *a, const void *b)
{
	const timeline_entry *x = a, *y = b;
	if (x->ms != y->ms)
		return x->ms < y->ms ? 1 : -1;
	return strcmp(x->logical_id, y->logical_id);
}

int timeline_build(const cfn_event *ev, size_t n, const char *stack_name, timeline *out)
{
	memset(out, 0, sizeof *out);
	long long *open = NULL;    /* per entry: when its current span began, -1 when none */
	size_t nopen = 0;
	long long first = -1, last = -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const cfn_event *e = &ev[i];
		long long t = timeline_parse_time(e->timestamp);
		if (t < 0 || e->logical_id == NULL || e->status == NULL)
			continue;
		if (first < 0)
			first = t;
		last = t;
		if (stack_name && strcmp(e->logical_id, stack_name) == 0 && e->type &&
		    strcmp(e->type, "AWS::CloudFormation::Stack") == 0)
			continue;
		size_t k = 0;
		while (k < out->n && strcmp(out->entries[k].logical_id, e->logical_id) != 0)
			k++;
		if (k == out->n) {
			timeline_entry *te = aws_buf_array_push(&out->entries, &out->n, sizeof *te);
			long long *since = te ? aws_buf_array_push(&open, &nopen, sizeof *open) : NULL;
			if (since == NULL) {
				rc = -1;
				break;
			}
			*since = -1;
			te->logical_id = e->logical_id;
			te->type = e->type ? e->type : "";
		}
		timeline_entry *te = &out->entries[k];
		te->last_status = e->status;
		if (ends_with(e->status, "_IN_PROGRESS")) {
			if (open[k] < 0)
				open[k] = t;
		} else if (open[k] >= 0) {
			te->ms += t - open[k];
			open[k] = -1;
		}
	}
	free(open);
	if (rc != 0) {
		timeline_free(out);
		return -1;
	}
	out->total_ms = first >= 0 ? last - first : 0;
	if (out->n)
		qsort(out->entries, out->n, sizeof *out->entries, slowest_first);
	return 0;
}

void timeline_free(timeline *t)
{
	free(t->entries);
	memset(t, 0, sizeof *t);
}

const char *timeline_duration(long long ms, char *buf, size_t len)
{
	if (ms < 10000)
		snprintf(buf, len, "%lld.%llds", ms / 1000, (ms % 1000) / 100);
	else if (ms < 60000)
		snprintf(buf, len, "%llds", ms / 1000);
	else
		snprintf(buf, len, "%lldm%02llds", ms / 60000, (ms % 60000) / 1000);
	return buf;
}

void timeline_print(const timeline *t, const char *stack)
{
	char d[32];
	if (jsonl_on()) {
		json_t *rs = json_array();
		for (size_t i = 0; rs && i < t->n; i++)
			json_array_append_new(rs, json_pack("{s:s, s:s, s:f, s:s?}", "resource",
							    t->entries[i].logical_id, "resource_type",
							    t->entries[i].type, "seconds",
							    (double)t->entries[i].ms / 1000.0, "status",
							    t->entries[i].last_status));
		jsonl_emit("timeline", stack, json_pack("{s:f, s:o*}", "total_seconds",
							(double)t->total_ms / 1000.0, "resources", rs));
	}
	printf("timeline: %s in total%s\n", timeline_duration(t->total_ms, d, sizeof d),
	       t->n ? ", slowest first:" : "");
	for (size_t i = 0; i < t->n; i++)
		printf("  %8s  %-32s %-40s %s\n", timeline_duration(t->entries[i].ms, d, sizeof d),
		       t->entries[i].logical_id, t->entries[i].type, t->entries[i].last_status);
	fflush(stdout);
}

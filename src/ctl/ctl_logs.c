/* ctl_logs.c — `showtablectl logs [--follow] [--since 10m]`: the service's CloudWatch logs.
 *
 * The log group is found from the container stack's resources (AWS::Logs::LogGroup), not
 * from a name written here. FilterLogEvents (JSON 1.1, Logs_20140328) across all streams,
 * paged by nextToken; --follow polls from the newest timestamp seen, skipping events
 * already printed at that same millisecond. Ctrl-C ends a follow with status 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "ctl_logs.h"
#include "follow.h"
#include "stack.h"
#include "aws_time.h"

#define LOGS_MAX_PAGES 100
#define LOGS_SEEN 256     /* event ids remembered at the newest timestamp */

static volatile sig_atomic_t stop_follow;

static void on_sigint(int sig)
{
	(void)sig;
	stop_follow = 1;
}

/* "10m" → 600000 ms; s, m, h, d. -1 when malformed. */
static long long parse_since(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (end == s || n < 0 || n > 366LL * 86400)
		return -1;
	long long mult = 0;
	if (strcmp(end, "s") == 0) mult = 1;
	else if (strcmp(end, "m") == 0) mult = 60;
	else if (strcmp(end, "h") == 0) mult = 3600;
	else if (strcmp(end, "d") == 0) mult = 86400;
	return mult ? n * mult * 1000 : -1;
}

struct seen {
	long long ts;             /* the newest timestamp printed */
	char ids[LOGS_SEEN][64];  /* event ids printed at ts */
	size_t n;
};

static int seen_has(const struct seen *s, long long ts, const char *id)
{
	if (ts != s->ts)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return 1;
	return 0;
}

static void seen_add(struct seen *s, long long ts, const char *id)
{
	if (ts > s->ts) {
		s->ts = ts;
		s->n = 0;
	}
	if (ts == s->ts && s->n < LOGS_SEEN)
		snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", id);
}

static void print_event(json_t *e)
{
	long long ts = json_integer_value(json_object_get(e, "timestamp"));
	const char *stream = json_string_value(json_object_get(e, "logStreamName"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	time_t sec = (time_t)(ts / 1000);
	struct tm tm;
	char when[32] = "?";
	if (gmtime_r(&sec, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	size_t ml = msg ? strlen(msg) : 0;
	while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == '\r'))
		ml--;
	printf("%s.%03lldZ %s %.*s\n", when, ts % 1000, stream ? stream : "", (int)ml, msg ? msg : "");
}

/* One pass from start_ms over all pages; prints events not seen yet. */
static int pass(aws_client *c, const char *group, long long start_ms, struct seen *seen)
{
	char *token = NULL;
	int rc = 0;
	for (int page = 0; page < LOGS_MAX_PAGES && !stop_follow; page++) {
		json_t *req = json_pack("{s:s, s:I}", "logGroupName", group, "startTime",
					(json_int_t)start_ms);
		if (req && token)
			json_object_set_new(req, "nextToken", json_string(token));
		aws_error err;
		aws_error_clear(&err);
		json_t *resp = ctl_json_call(c, &AWS_SERVICE_LOGS, "FilterLogEvents", req, &err);
		if (resp == NULL) {
			ctl_aws_error(group, &err);
			rc = -1;
			break;
		}
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(resp, "events"), i, e) {
			long long ts = json_integer_value(json_object_get(e, "timestamp"));
			const char *id = json_string_value(json_object_get(e, "eventId"));
			if (id == NULL || ts < seen->ts || seen_has(seen, ts, id))
				continue;
			print_event(e);
			seen_add(seen, ts, id);
		}
		const char *next = json_string_value(json_object_get(resp, "nextToken"));
		free(token);
		token = next ? strdup(next) : NULL;
		json_decref(resp);
		if (token == NULL)
			break;
	}
	free(token);
	fflush(stdout);
	return rc;
}

ctl_outcome cmd_logs(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, 0, 'f'},
		{"since", required_argument, 0, 's'},
		{0, 0, 0, 0},
	};
	int follow = 0, ch;
	long long since = 10 * 60 * 1000;
	while ((ch = getopt_long(argc, argv, "fs:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': follow = 1; break;
		case 's':
			if ((since = parse_since(optarg)) < 0) {
				ctl_errorf("--since \"%s\" is not a duration like 30s, 10m, 2h or 1d", optarg);
				return CTL_USAGE;
			}
			break;
		default: return CTL_USAGE;
		}
	}
	if (optind != argc) {
		ctl_errorf("usage: logs [--follow] [--since 10m]");
		return CTL_USAGE;
	}
	ctl_outcome ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	char stack[256];
	stk_name(ctx, "container", stack, sizeof stack);
	cfn_resource *res = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_describe_resources(c, stack, &res, &n, &err) != 0) {
		ctl_aws_error(stack, &err);
		return CTL_FAILED;
	}
	char group[512] = "";
	for (size_t i = 0; i < n; i++)
		if (res[i].type && strcmp(res[i].type, "AWS::Logs::LogGroup") == 0 && res[i].physical_id)
			snprintf(group, sizeof group, "%s", res[i].physical_id);
	cfn_resources_free(res, n);
	if (group[0] == '\0') {
		ctl_errorf("%s has no log group (AWS::Logs::LogGroup) — is the container stack deployed?",
			   stack);
		return CTL_FAILED;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long long start = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 - since;
	static struct seen seen;
	memset(&seen, 0, sizeof seen);
	if (follow) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	do {
		if (pass(c, group, seen.ts > start ? seen.ts : start, &seen) != 0)
			return CTL_FAILED;
		if (follow && !stop_follow)
			aws_sleep_ms(follow_poll_ms());
	} while (follow && !stop_follow);
	return CTL_OK;
}

/* ctl_scan.c — `showtablectl scan`: every item of a table, one DynamoDB-JSON object per line
 * (the format `items load` reads), following LastEvaluatedKey to the end. With --segments N,
 * N threads each scan one segment through the run's one shared client; each thread renders
 * into its own large buffer and writes whole lines under a lock, so lines never interleave.
 * On a terminal, progress.h shows on standard error how far the scan got; standard output
 * carries the items alone, whatever is shown.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "aws_ddb.h"
#include "aws_time.h"
#include "ctl_scan.h"
#include "progress.h"

#define SCAN_MAX_SEGMENTS 64
#define SCAN_FLUSH_BYTES (1u << 20)        /* write when a thread's buffer passes 1 MiB */
#define SCAN_BUF_BYTES (SCAN_FLUSH_BYTES + (256u << 10))

typedef struct scan_shared {
	aws_client *client;
	aws_ddb_scan_input in;       /* template; each job sets its segment */
	int count_only;
	progress *prog;              /* NULL: not shown */
	pthread_mutex_t out_lock;
	atomic_int stop;             /* set by the first failing job */
} scan_shared;

typedef struct scan_job {
	scan_shared *sh;
	int segment;
	long pages, items, scanned;
	double capacity;                  /* read capacity units the replies said; < 0: none said */
	int failed;
	aws_error err;
	pthread_t thread;
} scan_job;

static int scan_write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int scan_flush(scan_job *job, aws_buf *out)
{
	if (!out->len)
		return 0;
	pthread_mutex_lock(&job->sh->out_lock);
	int rc = scan_write_all(out->data, out->len);
	int e = errno;
	pthread_mutex_unlock(&job->sh->out_lock);
	aws_buf_reset(out);
	if (rc < 0)
		return aws_error_set(&job->err, AWS_ERR_IO, "writing the items to standard output: "
				     "%s", strerror(e));
	return 0;
}

static void *scan_segment(void *arg)
{
	scan_job *job = arg;
	scan_shared *sh = job->sh;
	aws_ddb_scan_input in = sh->in;
	in.segment = job->segment;
	aws_buf out = AWS_BUF_INIT;
	aws_ddb_scan_page page;
	memset(&page, 0, sizeof page);
	if (!sh->count_only && aws_buf_reserve(&out, SCAN_BUF_BYTES) < 0) {
		aws_error_set(&job->err, AWS_ERR_NOMEM, "out of memory for the output buffer");
		goto fail;
	}
	json_t *start = NULL;
	for (;;) {
		if (atomic_load(&sh->stop))
			break;
		in.exclusive_start_key = start;
		int rc = aws_ddb_scan_text(sh->client, &in, &page, &job->err);
		/* A key that does not move would loop forever: DynamoDB never sends one. */
		int stuck = rc == 0 && start && page.last_evaluated_key &&
			    json_equal(start, page.last_evaluated_key);
		json_decref(start);
		start = NULL;
		if (rc < 0)
			goto fail;
		if (stuck) {
			aws_error_set(&job->err, AWS_ERR_PROTOCOL, "scan of %s: DynamoDB Scan "
				      "returned the LastEvaluatedKey it was given — the scan would "
				      "never end", in.table);
			goto fail;
		}
		job->pages++;
		job->items += page.count;
		job->scanned += page.scanned_count;
		if (page.capacity_units >= 0)
			job->capacity = (job->capacity < 0 ? 0 : job->capacity) + page.capacity_units;
		progress_add(sh->prog, page.scanned_count, page.count, page.capacity_units);
		for (size_t i = 0; !sh->count_only && i < page.nitems; i++) {
			if (aws_ddb_span_append(&out, &page, i) < 0 || aws_buf_putc(&out, '\n') < 0) {
				aws_error_set(&job->err, AWS_ERR_NOMEM, "out of memory rendering an "
					      "item");
				goto fail;
			}
			if (out.len >= SCAN_FLUSH_BYTES && scan_flush(job, &out) < 0)
				goto fail;
		}
		start = page.last_evaluated_key ? json_incref(page.last_evaluated_key) : NULL;
		if (!start)
			break;
	}
	aws_ddb_scan_page_free(&page);
	if (scan_flush(job, &out) < 0)
		goto fail;
	aws_buf_free(&out);
	return NULL;
fail:
	aws_ddb_scan_page_free(&page);
	aws_buf_free(&out);
	job->failed = 1;
	atomic_store(&sh->stop, 1);
	return NULL;
}

static void scan_usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl scan [--table T] [--segments N] [--limit N] [--filter SUBSTR]\n"
		"                         [--key K] [--projection A,B,...] [--consistent] [--count]\n"
		"                         [--stats] [--quiet]\n"
		"Prints every item of table T, one DynamoDB-JSON object per line (the format of\n"
		"`items load`), following LastEvaluatedKey to the end of the table.\n"
		"  --table T         default: the table named by SSM <param-prefix>/table\n"
		"  --segments N      parallel scan: N segments (1-%d), one thread each\n"
		"  --limit N         items per Scan request (DynamoDB Limit; default: 1 MB pages)\n"
		"  --filter SUBSTR   only items whose key attribute contains SUBSTR\n"
		"  --key K           the key attribute --filter looks at (default itemID)\n"
		"  --projection LIST only these top-level attributes (comma-separated names)\n"
		"  --consistent      strongly consistent reads\n"
		"  --count           print only {\"table\", \"count\", \"scanned\"} (items kept, read)\n"
		"  --stats           print {\"pages\", \"items\", \"scanned\", \"segments\", \"seconds\",\n"
		"                    \"capacity_units\"} to stderr\n"
		"  -q, --quiet       no progress on the terminal\n"
		"When standard error is a terminal, shows the items read, items/s, read capacity\n"
		"units, percent of the table's approximate item count and ETA there as it goes\n"
		"(redrawn every SHOWTABLE_PROGRESS_MS, default %d ms; only the summary line when\n"
		"the items go to the same terminal), then one summary line.\n",
		SCAN_MAX_SEGMENTS, PROGRESS_DEFAULT_MS);
}

/* "a,b" → "#p0,#p1" with names {"#p0":"a","#p1":"b"}, so reserved words work as names. */
static char *scan_projection(const char *list, json_t *names)
{
	aws_buf expr = AWS_BUF_INIT;
	int n = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *name = strndup(p, len);
		char ph[24];
		snprintf(ph, sizeof ph, "#p%d", n);
		int bad = !name || !*name || json_object_set_new(names, ph, json_string(name)) < 0 ||
			  aws_buf_printf(&expr, "%s%s", n ? "," : "", ph) < 0;
		free(name);
		if (bad) {
			aws_buf_free(&expr);
			return NULL;
		}
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	return aws_buf_steal(&expr, NULL);
}

typedef struct scan_args {
	const char *table, *filter, *key, *projection;
	long segments, limit;
	long interval_ms;            /* progress redraw period */
	int count_only, stats, consistent, quiet;
} scan_args;

/* Returns 1 to go on, or 0 with *end the command's outcome (--help, a usage error). */
static int scan_parse(int argc, char **argv, scan_args *a, ctl_outcome *end)
{
	static const struct option opts[] = {
		{"table", required_argument, 0, 't'},
		{"segments", required_argument, 0, 's'},
		{"limit", required_argument, 0, 'l'},
		{"filter", required_argument, 0, 'f'},
		{"key", required_argument, 0, 'k'},
		{"projection", required_argument, 0, 'p'},
		{"consistent", no_argument, 0, 'C'},
		{"count", no_argument, 0, 'c'},
		{"stats", no_argument, 0, 'S'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	memset(a, 0, sizeof *a);
	a->key = "itemID";
	a->segments = 1;
	*end = CTL_USAGE;
	int c;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->table = optarg; break;
		case 's':
			if (ctl_parse_long("--segments", optarg, 1, SCAN_MAX_SEGMENTS, &a->segments) < 0)
				return 0;
			break;
		case 'l':
			if (ctl_parse_long("--limit", optarg, 1, 1000000, &a->limit) < 0)
				return 0;
			break;
		case 'f': a->filter = optarg; break;
		case 'k': a->key = optarg; break;
		case 'p': a->projection = optarg; break;
		case 'C': a->consistent = 1; break;
		case 'c': a->count_only = 1; break;
		case 'S': a->stats = 1; break;
		case 'q': a->quiet = 1; break;
		case 'h': scan_usage(stdout); *end = CTL_OK; return 0;
		default: scan_usage(stderr); return 0;
		}
	}
	if (optind < argc) {
		ctl_errorf("scan: unexpected argument \"%s\"", argv[optind]);
		scan_usage(stderr);
		return 0;
	}
	if (a->filter && !*a->filter)
		a->filter = NULL;
	if (!*a->key) {
		ctl_errorf("scan: --key must not be empty");
		return 0;
	}
	return progress_interval(&a->interval_ms) == 0;
}

/* The expressions of the Scan every segment sends: the projection's names and the filter's
 * name and value go into names and values, the projection expression into *proj (owned by
 * the caller). Returns 0, or -1 after printing what is wrong with the flags. */
static int scan_expressions(const scan_args *a, json_t *names, json_t *values, char **proj)
{
	if (a->projection && !(*proj = scan_projection(a->projection, names))) {
		ctl_errorf("scan: --projection \"%s\" must be attribute names separated by commas",
			   a->projection);
		return -1;
	}
	if (a->filter && (json_object_set_new(names, "#fk", json_string(a->key)) < 0 ||
			  json_object_set_new(values, ":fv", json_pack("{s:s}", "S", a->filter)) < 0)) {
		ctl_errorf("scan: --filter and --key must be valid UTF-8");
		return -1;
	}
	return 0;
}

/* Runs every segment: the only one on this thread, or one thread each. A thread that cannot
 * start fails its job and stops the others. */
static void scan_run(scan_shared *sh, scan_job *jobs, long segments)
{
	for (long i = 0; i < segments; i++) {
		jobs[i].sh = sh;
		jobs[i].segment = (int)i;
		jobs[i].capacity = -1;
	}
	if (segments == 1) {
		scan_segment(&jobs[0]);
		return;
	}
	long started = 0;
	for (; started < segments; started++) {
		int e = pthread_create(&jobs[started].thread, NULL, scan_segment, &jobs[started]);
		if (e) {
			jobs[started].failed = 1;
			aws_error_set(&jobs[started].err, AWS_ERR_NOMEM, "cannot start thread %ld of "
				      "%ld: %s", started + 1, segments, strerror(e));
			atomic_store(&sh->stop, 1);
			break;
		}
	}
	for (long i = 0; i < started; i++)
		pthread_join(jobs[i].thread, NULL);
}

/* The progress of a scan, or NULL when not shown. Its total is DescribeTable's ItemCount,
 * which DynamoDB updates about every six hours: without it (0, or DescribeTable not
 * allowed) the line shows no percent, the scan goes on. */
static progress *scan_progress(const scan_args *a, aws_client *client, const char *table)
{
	if (!progress_wanted(a->quiet))
		return NULL;
	json_t *desc = NULL;
	aws_error err;
	long total = 0;
	if (aws_ddb_describe_table(client, table, &desc, &err) == 0) {
		json_t *count = json_object_get(desc, "ItemCount");
		if (json_is_integer(count) && json_integer_value(count) > 0 &&
		    json_integer_value(count) <= LONG_MAX)
			total = (long)json_integer_value(count);
	}
	json_decref(desc);
	progress_config pc = {
		.verb = "scanned", .unit = "read", .total = total, .filtered = a->filter != NULL,
		/* items printed on the same terminal would be drawn over */
		.live = a->count_only || !isatty(STDOUT_FILENO),
		.fd = STDERR_FILENO, .interval_ms = a->interval_ms,
	};
	return progress_start(&pc);
}

/* Sums the segments' counts; prints the first failure, or --count's and --stats' lines. */
static ctl_outcome scan_report(const scan_args *a, const char *table, const scan_job *jobs,
			       double seconds)
{
	long pages = 0, items = 0, scanned = 0;
	double capacity = -1;
	const scan_job *failed = NULL;
	for (long i = 0; i < a->segments; i++) {
		pages += jobs[i].pages;
		items += jobs[i].items;
		scanned += jobs[i].scanned;
		if (jobs[i].capacity >= 0)
			capacity = (capacity < 0 ? 0 : capacity) + jobs[i].capacity;
		/* report the first real failure, not a job that merely stopped */
		if (jobs[i].failed && !failed)
			failed = &jobs[i];
	}
	if (failed) {
		ctl_aws_error("scan", &failed->err);
		return CTL_FAILED;
	}
	if (a->count_only) {
		printf("{\"table\":\"%s\",\"count\":%ld,\"scanned\":%ld}\n", table, items, scanned);
		if (fflush(stdout) != 0) {
			ctl_errorf("scan: writing to standard output: %s", strerror(errno));
			return CTL_FAILED;
		}
	}
	if (a->stats) {
		char cu[32] = "null";   /* the endpoint did not say */
		if (capacity >= 0)
			snprintf(cu, sizeof cu, "%.1f", capacity);
		fprintf(stderr, "{\"pages\":%ld,\"items\":%ld,\"scanned\":%ld,\"segments\":%ld,"
			"\"seconds\":%.3f,\"capacity_units\":%s}\n", pages, items, scanned, a->segments, seconds, cu);
	}
	return CTL_OK;
}

static int scan_any_failed(const scan_job *jobs, long segments)
{
	for (long i = 0; i < segments; i++)
		if (jobs[i].failed)
			return 1;
	return 0;
}

ctl_outcome cmd_scan(ctl_ctx *ctx, int argc, char **argv)
{
	scan_args a;
	ctl_outcome rc;
	if (!scan_parse(argc, argv, &a, &rc))
		return rc;
	json_t *names = json_object(), *values = json_object();
	char *proj = NULL;
	scan_job *jobs = calloc((size_t)a.segments, sizeof *jobs);
	scan_shared sh;
	memset(&sh, 0, sizeof sh);
	pthread_mutex_init(&sh.out_lock, NULL);
	rc = CTL_FAILED;
	if (!names || !values || !jobs) {
		ctl_errorf("scan: out of memory");
		goto out;
	}
	if (scan_expressions(&a, names, values, &proj) < 0) {
		rc = CTL_USAGE;
		goto out;
	}
	char table_buf[256];
	const char *table = ctl_table_name(ctx, a.table, table_buf, sizeof table_buf);
	if (!table || !(sh.client = ctl_client(ctx)))
		goto out;
	sh.count_only = a.count_only;
	sh.in = (aws_ddb_scan_input){
		.table = table, .limit = a.limit,
		.total_segments = a.segments > 1 ? (int)a.segments : 0,
		.filter_expression = a.filter ? "contains(#fk, :fv)" : NULL,
		.projection_expression = proj,
		.expression_attribute_names = names, .expression_attribute_values = values,
		.consistent_read = a.consistent,
	};
	sh.prog = scan_progress(&a, sh.client, table);
	sh.in.return_consumed_capacity = sh.prog != NULL || a.stats;

	double t0 = aws_monotonic_ms();
	scan_run(&sh, jobs, a.segments);
	double t1 = aws_monotonic_ms();
	progress_end(sh.prog, scan_any_failed(jobs, a.segments) ? PROGRESS_FAILED : PROGRESS_DONE);
	rc = scan_report(&a, table, jobs, (t1 - t0) / 1e3);
out:
	free(jobs);
	free(proj);
	json_decref(names);
	json_decref(values);
	pthread_mutex_destroy(&sh.out_lock);
	return rc;
}

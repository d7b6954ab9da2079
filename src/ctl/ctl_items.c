/* ctl_items.c — `showtablectl items load`: writes items, one DynamoDB-JSON object per line
 * (what `scan` prints), with BatchWriteItem. Every line is checked first — JSON, attribute
 * values, the table's key attributes, duplicate keys — so a bad file writes nothing and each
 * bad line is reported by number. Then batches go out from a few threads sharing one client;
 * on a terminal, progress.h shows how many are written as they go.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "aws_ddb.h"
#include "aws_ddb_value.h"
#include "aws_time.h"
#include "ctl_items.h"
#include "progress.h"

#define ITEMS_LINE_MAX (4u << 20)         /* a 400 KB item is far below this as JSON */
#define ITEMS_TEXT_MAX (256ull << 20)     /* whole input; split bigger files */
#define ITEMS_MAX 2000000
#define ITEMS_MAX_REPORTED 20             /* bad lines listed before giving up */
#define ITEMS_CHUNK 250                   /* items a thread takes at a time (10 batches) */
#define ITEMS_MAX_PARALLEL 16

typedef struct items_input {
	json_t *items;     /* array of the valid items */
	long *lines;       /* line number of each item */
	size_t n, cap;
} items_input;

/* Reads one line (without "\n" or "\r\n") into line, whose limit caps its length.
 * Returns 1 (a line), 0 (end of input), -1 (line too long), -2 (read error). */
static int items_read_line(FILE *f, aws_buf *line, unsigned long long *total)
{
	aws_buf_reset(line);
	int c, any = 0;
	while ((c = getc_unlocked(f)) != EOF) {
		any = 1;
		(*total)++;
		if (c == '\n')
			break;
		if (aws_buf_putc(line, (char)c) < 0)
			return -1;
	}
	if (c == EOF && ferror(f))
		return -2;
	if (!any)
		return 0;
	if (line->len && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0';
	return 1;
}

static int items_blank(const aws_buf *line)
{
	for (size_t i = 0; i < line->len; i++)
		if (!strchr(" \t\r\f\v", line->data[i]))
			return 0;
	return 1;
}

static int items_add(items_input *in, json_t *item, long lineno)
{
	if (in->n == in->cap && aws_buf_array_grow(&in->lines, &in->cap, sizeof *in->lines, 1024) < 0)
		return -1;
	if (json_array_append_new(in->items, item) < 0)
		return -1;
	in->lines[in->n++] = lineno;
	return 0;
}

/* ctl_errorf while a step may show progress: its status line is ended first (and no more is
 * drawn), so each message starts on its own line. */
static void items_errorf(progress **prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void items_errorf(progress **prog, const char *fmt, ...)
{
	progress_end(*prog, PROGRESS_FAILED);
	*prog = NULL;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ctl_errorf("%s", msg);
}

/* Parses and checks every line of f, counting the items in *prog. Returns 0, or -1 after
 * printing what is wrong (with line numbers) — in that case nothing may be written. */
static int items_read(FILE *f, const char *name, items_input *in, progress **prog)
{
	aws_buf line = AWS_BUF_INIT;
	line.limit = ITEMS_LINE_MAX;
	unsigned long long total = 0;
	long lineno = 0, bad = 0;
	int rc;
	/* A file's size says how far the reading is: the items to come are estimated from the
	 * bytes per item so far (a pipe has no size: no percent). */
	struct stat st;
	double size = *prog && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (double)st.st_size : 0;
	while ((rc = items_read_line(f, &line, &total)) > 0) {
		lineno++;
		if (total > ITEMS_TEXT_MAX) {
			items_errorf(prog, "items load: %s is larger than %llu MiB — split it and load the "
				   "parts one by one", name, ITEMS_TEXT_MAX >> 20);
			aws_buf_free(&line);
			return -1;
		}
		const char *text = line.data;
		size_t len = line.len;
		if (lineno == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
			text += 3;   /* a UTF-8 byte order mark, as some editors write */
			len -= 3;
		}
		if (items_blank(&line))
			continue;
		json_error_t jerr;
		json_t *item = json_loadb(text, len,
					  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
		char why[512];
		if (!item) {
			items_errorf(prog, "%s:%ld: not valid JSON: %s (column %d)", name, lineno, jerr.text,
				   jerr.column);
			bad++;
		} else if (!aws_ddb_item_valid(item, NULL, why, sizeof why)) {
			items_errorf(prog, "%s:%ld: %s", name, lineno, why);
			json_decref(item);
			bad++;
		} else if (in->n >= ITEMS_MAX) {
			items_errorf(prog, "items load: %s has more than %d items — split it", name, ITEMS_MAX);
			json_decref(item);
			aws_buf_free(&line);
			return -1;
		} else if (items_add(in, item, lineno) < 0) {
			items_errorf(prog, "items load: out of memory at line %ld", lineno);
			aws_buf_free(&line);
			return -1;
		} else {
			progress_add(*prog, 1, 0, -1);
			if (size > 0)
				progress_set_total(*prog, (long)((double)in->n * size / (double)total));
		}
		if (bad >= ITEMS_MAX_REPORTED) {
			items_errorf(prog, "items load: stopped after %ld bad lines", bad);
			break;
		}
	}
	aws_buf_free(&line);
	if (rc == -1) {
		items_errorf(prog, "%s:%ld: line longer than %u MiB — one item per line, at most 400 KB "
			   "each", name, lineno + 1, ITEMS_LINE_MAX >> 20);
		return -1;
	}
	if (rc == -2) {
		items_errorf(prog, "items load: reading %s: %s", name, strerror(errno));
		return -1;
	}
	if (bad) {
		items_errorf(prog, "items load: %ld bad line%s in %s — nothing was written", bad,
			   bad == 1 ? "" : "s", name);
		return -1;
	}
	return 0;
}

/* ---- key checks ---- */

typedef struct items_key_attr {
	const char *name;
	const char *type;    /* "S", "N" or "B" */
} items_key_attr;

/* Reads the key schema (1 or 2 attributes) from a DescribeTable "Table" object. */
static int items_key_schema(const json_t *table, items_key_attr key[2], int *nkey)
{
	const json_t *ks = json_object_get(table, "KeySchema");
	const json_t *defs = json_object_get(table, "AttributeDefinitions");
	if (!json_is_array(ks) || !json_is_array(defs) || json_array_size(ks) < 1 ||
	    json_array_size(ks) > 2)
		return -1;
	*nkey = (int)json_array_size(ks);
	for (int i = 0; i < *nkey; i++) {
		const char *n = json_string_value(json_object_get(json_array_get(ks, (size_t)i),
								  "AttributeName"));
		if (!n)
			return -1;
		key[i].name = n;
		key[i].type = NULL;
		size_t j;
		json_t *d;
		json_array_foreach(defs, j, d) {
			if (json_is_string(json_object_get(d, "AttributeName")) &&
			    strcmp(json_string_value(json_object_get(d, "AttributeName")), n) == 0)
				key[i].type = json_string_value(json_object_get(d, "AttributeType"));
		}
		if (!key[i].type || (strcmp(key[i].type, "S") && strcmp(key[i].type, "N") &&
				     strcmp(key[i].type, "B")))
			return -1;
	}
	return 0;
}

/* An open-addressing set of key strings → first line, to find duplicate keys. */
typedef struct items_keyset {
	char **keys;
	long *lines;
	size_t cap;
} items_keyset;

static uint64_t items_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Inserts k (taking ownership). Returns 0 if new, the earlier line if a duplicate (k freed),
 * or -1 out of memory. */
static long items_keyset_add(items_keyset *ks, char *k, long line)
{
	size_t i = items_hash(k) & (ks->cap - 1);
	while (ks->keys[i]) {
		if (strcmp(ks->keys[i], k) == 0) {
			free(k);
			return ks->lines[i];
		}
		i = (i + 1) & (ks->cap - 1);
	}
	ks->keys[i] = k;
	ks->lines[i] = line;
	return 0;
}

static int items_check_keys(const items_input *in, const char *name, const items_key_attr *key,
			    int nkey, progress **prog)
{
	items_keyset ks = {0};
	ks.cap = 1024;
	while (ks.cap < in->n * 2)
		ks.cap *= 2;
	ks.keys = calloc(ks.cap, sizeof *ks.keys);
	ks.lines = calloc(ks.cap, sizeof *ks.lines);
	long bad = 0;
	if (!ks.keys || !ks.lines) {
		items_errorf(prog, "items load: out of memory");
		bad = 1;
	}
	int oom = bad != 0;
	for (size_t i = 0; i < in->n && !oom && bad < ITEMS_MAX_REPORTED; i++) {
		const json_t *item = json_array_get(in->items, i);
		aws_buf k = AWS_BUF_INIT;
		int ok = 1;
		for (int j = 0; j < nkey && ok; j++) {
			const json_t *v = json_object_get(item, key[j].name);
			const json_t *x = json_object_get(v, key[j].type);
			ok = 0;
			if (!v)
				items_errorf(prog, "%s:%ld: missing the key attribute \"%s\" (type %s)", name,
					   in->lines[i], key[j].name, key[j].type);
			else if (!x)
				items_errorf(prog, "%s:%ld: key attribute \"%s\" must be of type %s", name,
					   in->lines[i], key[j].name, key[j].type);
			else if (key[j].type[0] != 'N' && json_string_length(x) == 0)
				items_errorf(prog, "%s:%ld: key attribute \"%s\" must not be empty", name,
					   in->lines[i], key[j].name);
			else
				ok = 1;
			if (ok) {
				char *part = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				if (!part || aws_buf_puts(&k, part) < 0 || aws_buf_putc(&k, '\n') < 0)
					oom = 1;
				free(part);
			}
		}
		if (!ok || oom) {
			aws_buf_free(&k);
			bad++;
			continue;
		}
		progress_add(*prog, 1, 0, -1);
		char *ks_key = aws_buf_steal(&k, NULL);
		long first = ks_key ? items_keyset_add(&ks, ks_key, in->lines[i]) : -1;
		if (first < 0) {
			oom = 1;
			bad++;
		} else if (first > 0) {
			items_errorf(prog, "%s:%ld: the same key as line %ld — each item may appear once",
				   name, in->lines[i], first);
			bad++;
		}
	}
	if (oom)
		items_errorf(prog, "items load: out of memory checking the keys");
	for (size_t i = 0; ks.keys && i < ks.cap; i++)
		free(ks.keys[i]);
	free(ks.keys);
	free(ks.lines);
	if (bad)
		items_errorf(prog, "items load: the items do not fit the table's key — nothing was written");
	return bad ? -1 : 0;
}

/* ---- writing ---- */

typedef struct items_writer {
	aws_client *client;
	const char *table;
	const json_t *items;
	size_t n;
	progress *prog;          /* NULL: no progress shown */
	atomic_size_t next;      /* next chunk start */
	atomic_long written;
	atomic_llong capacity_milli;   /* write capacity units the replies said, thousandths */
	atomic_int capacity_seen;
	atomic_int stop;
	pthread_mutex_t lock;
	int failed;
	aws_error err;           /* the first failure */
} items_writer;

static void items_write_failed(items_writer *w, const aws_error *e)
{
	pthread_mutex_lock(&w->lock);
	if (!w->failed) {
		w->failed = 1;
		w->err = *e;
	}
	pthread_mutex_unlock(&w->lock);
	atomic_store(&w->stop, 1);
}

static void *items_write_worker(void *arg)
{
	items_writer *w = arg;
	json_t *chunk = json_array();
	while (chunk && !atomic_load(&w->stop)) {
		size_t start = atomic_fetch_add(&w->next, ITEMS_CHUNK);
		if (start >= w->n)
			break;
		json_array_clear(chunk);
		for (size_t i = start; i < w->n && i < start + ITEMS_CHUNK; i++)
			json_array_append(chunk, json_array_get(w->items, i));
		long written = 0;
		double units = -1;
		aws_error e;
		int rc = aws_ddb_batch_put_capacity(w->client, w->table, chunk, &written, &units, &e);
		atomic_fetch_add(&w->written, written);
		if (units >= 0) {
			atomic_fetch_add(&w->capacity_milli, (long long)(units * 1000.0 + 0.5));
			atomic_store(&w->capacity_seen, 1);
		}
		progress_add(w->prog, written, 0, units);
		if (rc < 0)
			items_write_failed(w, &e);
	}
	if (!chunk) {
		aws_error e;
		aws_error_set(&e, AWS_ERR_NOMEM, "out of memory");
		items_write_failed(w, &e);
	}
	json_decref(chunk);
	return NULL;
}

/* Writes w->items from up to parallel threads (fewer when there are fewer chunks). */
static void items_write(items_writer *w, long parallel)
{
	pthread_t threads[ITEMS_MAX_PARALLEL];
	long nthreads = parallel;
	if ((size_t)nthreads > (w->n + ITEMS_CHUNK - 1) / ITEMS_CHUNK)
		nthreads = (long)((w->n + ITEMS_CHUNK - 1) / ITEMS_CHUNK);
	long started = 0;
	if (nthreads > 1)
		for (; started < nthreads; started++)
			if (pthread_create(&threads[started], NULL, items_write_worker, w) != 0)
				break;
	if (started == 0)
		items_write_worker(w);
	for (long i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

static void items_usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl items load [--table T] [--parallel N] [--quiet] FILE|-\n"
		"Writes the items in FILE (or standard input), one DynamoDB-JSON object per line —\n"
		"the format `showtablectl scan` prints, e.g.\n"
		"  {\"itemID\": {\"S\": \"a-1\"}, \"price\": {\"N\": \"9.5\"}, \"tags\": {\"SS\": [\"x\"]}}\n"
		"Every line is checked first (JSON, attribute values, the table's key, duplicate\n"
		"keys); if any is bad, each is reported by line number and nothing is written.\n"
		"Blank lines are skipped. Input up to %llu MiB; lines up to %u MiB.\n"
		"  --table T      default: the table named by SSM <param-prefix>/table\n"
		"  --parallel N   BatchWriteItem calls in flight (1-%d, default 4)\n"
		"  -q, --quiet    no progress on the terminal\n"
		"Prints {\"table\", \"items\", \"written\", \"seconds\", \"capacity_units\"}. When\n"
		"standard error is a terminal, shows there the items read (percent estimated from\n"
		"the file's size), then checked, then written, with items/s, write capacity\n"
		"units, percent and ETA as it goes (redrawn every\n"
		"SHOWTABLE_PROGRESS_MS, default %d ms), then one summary line.\n",
		ITEMS_TEXT_MAX >> 20, ITEMS_LINE_MAX >> 20, ITEMS_MAX_PARALLEL, PROGRESS_DEFAULT_MS);
}

typedef struct items_args {
	const char *table;
	const char *path;        /* "-": standard input */
	long parallel;
	long interval_ms;        /* progress redraw period */
	int quiet;
} items_args;

/* Returns 1 to go on, or 0 with *end the command's outcome (--help, a usage error). */
static int items_parse(int argc, char **argv, items_args *a, ctl_outcome *end)
{
	static const struct option opts[] = {
		{"table", required_argument, 0, 't'},
		{"parallel", required_argument, 0, 'P'},
		{"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	memset(a, 0, sizeof *a);
	a->parallel = 4;
	int c;
	*end = CTL_USAGE;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->table = optarg; break;
		case 'P':
			if (ctl_parse_long("--parallel", optarg, 1, ITEMS_MAX_PARALLEL, &a->parallel) < 0)
				return 0;
			break;
		case 'q': a->quiet = 1; break;
		case 'h': items_usage(stdout); *end = CTL_OK; return 0;
		default: items_usage(stderr); return 0;
		}
	}
	if (optind != argc - 1) {
		ctl_errorf("items load: needs one FILE (or - for standard input)");
		items_usage(stderr);
		return 0;
	}
	a->path = argv[optind];
	return progress_interval(&a->interval_ms) == 0;
}

/* The progress of a step of items load, or NULL when not shown. */
static progress *items_progress(const items_args *a, const char *verb, long total)
{
	if (!progress_wanted(a->quiet))
		return NULL;
	progress_config pc = {
		.verb = verb, .unit = "write", .total = total, .total_exact = total > 0, .live = 1,
		.fd = STDERR_FILENO, .interval_ms = a->interval_ms,
	};
	return progress_start(&pc);
}

/* The table's key from DescribeTable, and every item checked against it. */
static int items_check_table(aws_client *client, const char *table, const items_input *in,
			     const char *name, const items_args *a)
{
	json_t *desc = NULL;
	aws_error err;
	if (aws_ddb_describe_table(client, table, &desc, &err) < 0) {
		ctl_aws_error("items load", &err);
		return -1;
	}
	items_key_attr key[2];
	int nkey, rc = -1;
	if (items_key_schema(desc, key, &nkey) < 0)
		ctl_errorf("items load: DescribeTable of %s has no usable KeySchema / "
			   "AttributeDefinitions — is the endpoint really DynamoDB?", table);
	else {
		progress *prog = items_progress(a, "checked the keys of", (long)in->n);
		rc = items_check_keys(in, name, key, nkey, &prog);
		progress_end(prog, rc < 0 ? PROGRESS_FAILED : PROGRESS_CLEARED);
	}
	json_decref(desc);
	return rc;
}

/* Writes the checked items, with progress on the terminal; prints the JSON summary. */
static ctl_outcome items_send(aws_client *client, const char *table, const items_input *in,
			      const items_args *a, double t0)
{
	items_writer w;
	memset(&w, 0, sizeof w);
	pthread_mutex_init(&w.lock, NULL);
	w.client = client;
	w.table = table;
	w.items = in->items;
	w.n = in->n;
	w.prog = items_progress(a, "wrote", (long)in->n);
	items_write(&w, a->parallel);
	progress_end(w.prog, w.failed ? PROGRESS_FAILED : PROGRESS_DONE);
	double t1 = aws_monotonic_ms();
	long written = atomic_load(&w.written);
	pthread_mutex_destroy(&w.lock);
	if (w.failed) {
		char ctxs[160];
		snprintf(ctxs, sizeof ctxs, "items load (%ld of %zu items written)", written, in->n);
		ctl_aws_error(ctxs, &w.err);
		return CTL_FAILED;
	}
	char cu[32] = "null";   /* the endpoint did not say */
	if (atomic_load(&w.capacity_seen))
		snprintf(cu, sizeof cu, "%.1f", (double)atomic_load(&w.capacity_milli) / 1000.0);
	printf("{\"table\":\"%s\",\"items\":%zu,\"written\":%ld,\"seconds\":%.3f,\"capacity_units\":%s}\n",
	       table, in->n, written, (t1 - t0) / 1e3, cu);
	return CTL_OK;
}

static ctl_outcome items_load(ctl_ctx *ctx, int argc, char **argv)
{
	items_args a;
	ctl_outcome rc;
	if (!items_parse(argc, argv, &a, &rc))
		return rc;
	rc = CTL_FAILED;
	int use_stdin = strcmp(a.path, "-") == 0;
	const char *name = use_stdin ? "<stdin>" : a.path;

	double t0 = aws_monotonic_ms();
	FILE *f = use_stdin ? stdin : fopen(a.path, "rb");
	if (!f) {
		ctl_errorf("items load: cannot open %s: %s", a.path, strerror(errno));
		return CTL_FAILED;
	}
	items_input in = {0};
	in.items = json_array();
	if (!in.items) {
		ctl_errorf("items load: out of memory");
		goto out;
	}
	progress *prog = items_progress(&a, "read", 0);   /* its total: estimated as it reads */
	int read = items_read(f, name, &in, &prog);
	progress_end(prog, read < 0 ? PROGRESS_FAILED : PROGRESS_CLEARED);
	if (read < 0)
		goto out;
	char table_buf[256];
	const char *table = ctl_table_name(ctx, a.table, table_buf, sizeof table_buf);
	aws_client *client = table ? ctl_client(ctx) : NULL;
	if (!client || items_check_table(client, table, &in, name, &a) < 0)
		goto out;
	rc = items_send(client, table, &in, &a, t0);
out:
	if (!use_stdin)
		fclose(f);
	json_decref(in.items);
	free(in.lines);
	return rc;
}

ctl_outcome cmd_items(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		items_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if (strcmp(argv[1], "load") == 0)
		return items_load(ctx, argc - 1, argv + 1);
	ctl_errorf("items: unknown subcommand \"%s\" — the one there is: items load", argv[1]);
	return CTL_USAGE;
}

/* srv_export.c — streamed exports (see srv_export.h): a producer thread, two page buffers
 * and libmicrohttpd's content-reader callback. */
#include "srv_export.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws_ddb.h"
#include "aws_jtext.h"
#include "srv_conn.h"
#include "srv_log.h"
#include "srv_render.h"
#include "srv_table.h"

struct srv_export {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	aws_buf cur, next;      /* cur: being sent from off; next: the page after, when ready */
	size_t off;
	int next_ready, done, failed, cancelled, waiting, resuming, refs;
	srv_conn *c;            /* valid until cancelled */
	aws_client *client;
	char table[SRV_TABLE_NAME_MAX];
	char *q;
	srv_filter f;
	srv_export_format format;
	char **cols;            /* CSV: the attribute names, itemID first; owned */
	size_t ncols;
	aws_buf scratch, cell;
	srv_export_done_fn *on_done;
	void *ctx;
};

static void release(srv_export *ex)
{
	pthread_mutex_lock(&ex->mu);
	int last = --ex->refs == 0;
	pthread_mutex_unlock(&ex->mu);
	if (!last)
		return;
	srv_export_done_fn *done = ex->on_done;
	void *ctx = ex->ctx;
	aws_buf_free(&ex->cur);
	aws_buf_free(&ex->next);
	aws_buf_free(&ex->scratch);
	aws_buf_free(&ex->cell);
	for (size_t i = 0; i < ex->ncols; i++)
		free(ex->cols[i]);
	free(ex->cols);
	free(ex->q);
	pthread_cond_destroy(&ex->cv);
	pthread_mutex_destroy(&ex->mu);
	free(ex);
	if (done)
		done(ctx);
}

/* Wakes the suspended connection, outside the lock (libmicrohttpd takes its own); the
 * response's free waits for this to finish, so c stays valid. */
static void wake(srv_export *ex, int was_waiting)
{
	if (!was_waiting)
		return;
	srv_conn_resume(ex->c);
	pthread_mutex_lock(&ex->mu);
	ex->resuming = 0;
	pthread_cond_broadcast(&ex->cv);
	pthread_mutex_unlock(&ex->mu);
}

/* Hands a formatted page to the sender: waits while the next slot is full. 0, or -1 when
 * the export was cancelled. */
static int hand_over(srv_export *ex, aws_buf *page)
{
	pthread_mutex_lock(&ex->mu);
	while (ex->next_ready && !ex->cancelled)
		pthread_cond_wait(&ex->cv, &ex->mu);
	if (ex->cancelled) {
		pthread_mutex_unlock(&ex->mu);
		return -1;
	}
	aws_buf t = ex->next;
	ex->next = *page;
	*page = t;
	aws_buf_reset(page);
	ex->next_ready = 1;
	int w = ex->waiting;
	ex->waiting = 0;
	ex->resuming = w;
	pthread_mutex_unlock(&ex->mu);
	wake(ex, w);
	return 0;
}

int srv_export_csv_field(aws_buf *out, const char *s, size_t n, int formula)
{
	int e = 0, quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	int prefix = formula && n > 0 && strchr("=+-@\t\r", s[0]) && s[0];
	if (quote)
		e |= aws_buf_putc(out, '"');
	if (prefix)
		e |= aws_buf_putc(out, '\'');
	size_t run = 0;
	for (size_t i = 0; quote && i < n; i++)
		if (s[i] == '"') {
			e |= aws_buf_append(out, s + run, i + 1 - run);   /* through the quote, then again */
			run = i;
		}
	e |= aws_buf_append(out, s + run, n - run);
	if (quote)
		e |= aws_buf_putc(out, '"');
	return e ? -1 : 0;
}

/* A member name's bytes, decoded into scratch when it has escapes. */
static int name_of(srv_export *ex, aws_jtext_val name, const char **p, size_t *n)
{
	return aws_jtext_str(name, &ex->scratch, p, n);
}

static int col_find(const srv_export *ex, const char *p, size_t n, size_t *at)
{
	size_t lo = 1, hi = ex->ncols;   /* cols[0] is itemID, the rest sorted */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		size_t ml = strlen(ex->cols[mid]);
		int r = memcmp(ex->cols[mid], p, ml < n ? ml : n);
		if (!r)
			r = (ml > n) - (ml < n);
		if (!r) {
			*at = mid;
			return 1;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

/* First pass: every attribute name into ex->cols. */
static int csv_names(srv_export *ex, const aws_ddb_scan_page *sp, aws_buf *page, aws_error *e)
{
	(void)page;
	for (size_t i = 0; i < sp->nitems; i++) {
		aws_jtext_val it = {sp->body.data + sp->items[i].off, sp->items[i].len}, name, v;
		aws_jtext_iter iter;
		if (aws_jtext_iter_init(&iter, it, '{') < 0)
			continue;
		while (aws_jtext_member(&iter, &name, &v) == 1) {
			const char *p;
			size_t n, at;
			if (name_of(ex, name, &p, &n) < 0)
				return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
			if ((n == 6 && memcmp(p, "itemID", 6) == 0) || memchr(p, '\0', n) || col_find(ex, p, n, &at))
				continue;
			if (ex->ncols == SRV_EXPORT_CSV_COLS)
				return aws_error_set(e, AWS_ERR_INVALID, "more than %d attributes: too many for CSV "
						     "(use the NDJSON export)", SRV_EXPORT_CSV_COLS - 1);
			char *copy = strndup(p, n);
			if (!copy)
				return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
			memmove(ex->cols + at + 1, ex->cols + at, (ex->ncols - at) * sizeof *ex->cols);
			ex->cols[at] = copy;
			ex->ncols++;
		}
	}
	return 0;
}

/* One cell: scalars as text, documents as plain JSON. */
static int csv_cell(srv_export *ex, aws_buf *out, aws_jtext_val av)
{
	aws_jtext_iter it;
	aws_jtext_val type, v;
	if (aws_jtext_iter_init(&it, av, '{') < 0 || aws_jtext_member(&it, &type, &v) != 1)
		return 0;
	int scalar = type.n == 3 && strchr("SNB", type.p[1]);
	if (scalar) {
		const char *p;
		size_t n;
		if (aws_jtext_str(v, &ex->scratch, &p, &n) < 0)   /* a string it could not decode: no memory */
			return aws_jtext_kind(v) == '"' ? -1 : 0;
		return srv_export_csv_field(out, p, n, type.p[1] != 'N');
	}
	if (type.n == 6 && memcmp(type.p, "\"BOOL\"", 6) == 0)
		return aws_buf_puts(out, v.p[0] == 't' ? "true" : "false");
	if (type.n == 6 && memcmp(type.p, "\"NULL\"", 6) == 0)
		return 0;
	aws_buf_reset(&ex->cell);
	if (srv_render_plain_json(&ex->cell, av, &ex->scratch) < 0)
		return -1;
	return srv_export_csv_field(out, ex->cell.data, ex->cell.len, 1);
}

/* Second pass: one row per item, its values under their columns. */
static int csv_rows(srv_export *ex, const aws_ddb_scan_page *sp, aws_buf *page, aws_error *e)
{
	for (size_t i = 0; i < sp->nitems; i++) {
		aws_jtext_val it = {sp->body.data + sp->items[i].off, sp->items[i].len};
		for (size_t c = 0; c < ex->ncols; c++) {
			aws_jtext_iter iter;
			aws_jtext_val name, v;
			if (c && aws_buf_putc(page, ','))
				return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
			if (aws_jtext_iter_init(&iter, it, '{') < 0)
				continue;
			size_t want = strlen(ex->cols[c]);
			while (aws_jtext_member(&iter, &name, &v) == 1) {
				const char *p;
				size_t n;
				if (name_of(ex, name, &p, &n) < 0)   /* a name is always a string: no memory */
					return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
				if (n == want && memcmp(p, ex->cols[c], n) == 0) {
					if (csv_cell(ex, page, v) < 0)
						return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
					break;
				}
			}
		}
		if (aws_buf_puts(page, "\r\n"))
			return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int ndjson_lines(srv_export *ex, const aws_ddb_scan_page *sp, aws_buf *page, aws_error *e)
{
	(void)ex;
	for (size_t i = 0; i < sp->nitems; i++)
		if (aws_ddb_span_append(page, sp, i) || aws_buf_putc(page, '\n'))
			return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

typedef int page_fn(srv_export *ex, const aws_ddb_scan_page *sp, aws_buf *page, aws_error *e);

/* One pass over the (filtered) table: fn formats each Scan page into page, which goes to
 * the sender when there is something in it. *items counts the items seen. */
static int scan_pass(srv_export *ex, page_fn *fn, aws_buf *page, long *items, aws_error *e)
{
	aws_buf expr = AWS_BUF_INIT;
	json_t *names = NULL, *values = NULL, *start = NULL;
	aws_ddb_scan_page sp;
	memset(&sp, 0, sizeof sp);
	int rc = srv_filter_expression(&ex->f, ex->q, &expr, &names, &values, e);
	while (rc == 0) {
		pthread_mutex_lock(&ex->mu);
		int stop = ex->cancelled;
		pthread_mutex_unlock(&ex->mu);
		if (stop) {
			rc = aws_error_set(e, AWS_ERR_CANCELLED, "the client went away");
			break;
		}
		aws_ddb_scan_input in = {
			.table = ex->table, .limit = SRV_EXPORT_PAGE, .exclusive_start_key = start,
			.filter_expression = expr.len ? expr.data : NULL,
			.expression_attribute_names = names, .expression_attribute_values = values,
		};
		rc = aws_ddb_scan_text(ex->client, &in, &sp, e);
		if (rc == 0)
			rc = fn(ex, &sp, page, e);
		if (rc != 0)
			break;
		*items += (long)sp.nitems;
		json_decref(start);
		start = json_incref(sp.last_evaluated_key);
		if (page->len && hand_over(ex, page) != 0) {
			rc = aws_error_set(e, AWS_ERR_CANCELLED, "the client went away");
			break;
		}
		if (!start)
			break;
	}
	aws_ddb_scan_page_free(&sp);
	json_decref(start);
	json_decref(names);
	json_decref(values);
	aws_buf_free(&expr);
	return rc;
}

/* The CSV header: itemID, then the other names sorted. */
static int csv_header(srv_export *ex, aws_buf *page, aws_error *e)
{
	for (size_t c = 0; c < ex->ncols; c++)
		if ((c && aws_buf_putc(page, ',')) || srv_export_csv_field(page, ex->cols[c], strlen(ex->cols[c]), 1))
			return aws_error_set(e, AWS_ERR_NOMEM, "out of memory");
	return aws_buf_puts(page, "\r\n") ? aws_error_set(e, AWS_ERR_NOMEM, "out of memory") : 0;
}

static void *produce(void *arg)
{
	srv_export *ex = arg;
	aws_error e;
	aws_error_clear(&e);
	aws_buf page = AWS_BUF_INIT;
	long items = 0, seen = 0;
	int rc;
	if (ex->format == SRV_EXPORT_CSV) {
		rc = (ex->cols = calloc(SRV_EXPORT_CSV_COLS, sizeof *ex->cols)) && (ex->cols[0] = strdup("itemID"))
			     ? 0 : aws_error_set(&e, AWS_ERR_NOMEM, "out of memory");
		ex->ncols = rc == 0;
		if (rc == 0)
			rc = scan_pass(ex, csv_names, &page, &seen, &e);
		if (rc == 0)
			rc = csv_header(ex, &page, &e);
		if (rc == 0)
			rc = scan_pass(ex, csv_rows, &page, &items, &e);
	} else {
		rc = scan_pass(ex, ndjson_lines, &page, &items, &e);
	}
	if (rc != 0) {
		char why[512];
		aws_error_str(&e, why, sizeof why);
		srv_log_event(SRV_LOG_WARN, "export_cut", "export of %s stopped after %ld items: %s", ex->table, items,
			      why);
	}
	pthread_mutex_lock(&ex->mu);
	ex->done = 1;
	ex->failed = rc != 0;
	int w = ex->waiting && !ex->cancelled;
	ex->waiting = 0;
	ex->resuming = w;
	pthread_mutex_unlock(&ex->mu);
	wake(ex, w);
	aws_buf_free(&page);
	release(ex);
	return NULL;
}

/* libmicrohttpd asks for the next bytes of the body (event loop). */
static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	srv_export *ex = cls;
	(void)pos;
	pthread_mutex_lock(&ex->mu);
	if (ex->off == ex->cur.len) {
		if (ex->next_ready) {
			aws_buf t = ex->cur;
			ex->cur = ex->next;
			ex->next = t;
			aws_buf_reset(&ex->next);
			ex->off = 0;
			ex->next_ready = 0;
			pthread_cond_broadcast(&ex->cv);
		} else if (ex->done) {
			int failed = ex->failed;
			pthread_mutex_unlock(&ex->mu);
			return failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
		} else {
			/* Nothing to send yet: sleep until the producer has a page. */
			ex->waiting = 1;
			MHD_suspend_connection(ex->c->mc);
			pthread_mutex_unlock(&ex->mu);
			return 0;
		}
	}
	size_t n = ex->cur.len - ex->off;
	if (n > max)
		n = max;
	memcpy(buf, ex->cur.data + ex->off, n);
	ex->off += n;
	pthread_mutex_unlock(&ex->mu);
	return (ssize_t)n;
}

/* The response is gone (sent, or the client left): the producer stops. */
static void free_body(void *cls)
{
	srv_export *ex = cls;
	pthread_mutex_lock(&ex->mu);
	ex->cancelled = 1;
	pthread_cond_broadcast(&ex->cv);
	while (ex->resuming)
		pthread_cond_wait(&ex->cv, &ex->mu);
	pthread_mutex_unlock(&ex->mu);
	release(ex);
}

struct MHD_Response *srv_export_start(aws_client *client, const char *table, const char *q, const srv_filter *f,
				      srv_export_format format, srv_conn *c, srv_export_done_fn *done, void *ctx,
				      aws_error *err)
{
	srv_export *ex = calloc(1, sizeof *ex);
	if (!ex || !(ex->q = strdup(q ? q : ""))) {
		free(ex);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ex->mu, NULL);
	pthread_cond_init(&ex->cv, NULL);
	snprintf(ex->table, sizeof ex->table, "%s", table);
	if (f)
		ex->f = *f;
	ex->client = client;
	ex->format = format;
	ex->c = c;
	ex->on_done = done;
	ex->ctx = ctx;
	ex->refs = 2;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_body, ex,
								   free_body);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!r || pthread_create(&t, &attr, produce, ex) != 0) {
		pthread_attr_destroy(&attr);
		if (r) {
			ex->refs = 1;          /* the response's free releases the last reference... */
			ex->on_done = NULL;
		}
		if (r)
			MHD_destroy_response(r);   /* ...here, via free_body */
		else {
			free(ex->q);
			pthread_cond_destroy(&ex->cv);
			pthread_mutex_destroy(&ex->mu);
			free(ex);
		}
		aws_error_set(err, AWS_ERR_IO, "cannot start the export");
		return NULL;
	}
	pthread_attr_destroy(&attr);
	return r;
}

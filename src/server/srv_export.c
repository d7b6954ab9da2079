/* srv_export.c — streamed exports (see srv_export.h): a producer thread, two page buffers
 * and libmicrohttpd's content-reader callback. */
#include "srv_export.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws_ddb.h"
#include "srv_conn.h"
#include "srv_log.h"
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

static void *produce(void *arg)
{
	srv_export *ex = arg;
	aws_error e;
	aws_error_clear(&e);
	aws_buf expr = AWS_BUF_INIT, page = AWS_BUF_INIT;
	json_t *names = NULL, *values = NULL, *start = NULL;
	aws_ddb_scan_page sp;
	memset(&sp, 0, sizeof sp);
	long items = 0;
	int rc = srv_filter_expression(&ex->f, ex->q, &expr, &names, &values, &e);
	while (rc == 0) {
		pthread_mutex_lock(&ex->mu);
		int stop = ex->cancelled;
		pthread_mutex_unlock(&ex->mu);
		if (stop) {
			rc = -1;
			aws_error_set(&e, AWS_ERR_CANCELLED, "the client went away");
			break;
		}
		aws_ddb_scan_input in = {
			.table = ex->table, .limit = SRV_EXPORT_PAGE, .exclusive_start_key = start,
			.filter_expression = expr.len ? expr.data : NULL,
			.expression_attribute_names = names, .expression_attribute_values = values,
		};
		rc = aws_ddb_scan_text(ex->client, &in, &sp, &e);
		if (rc != 0)
			break;
		for (size_t i = 0; i < sp.nitems && rc == 0; i++)
			rc = aws_ddb_span_append(&page, &sp, i) || aws_buf_putc(&page, '\n');
		if (rc != 0) {
			aws_error_set(&e, AWS_ERR_NOMEM, "out of memory");
			break;
		}
		items += (long)sp.nitems;
		json_decref(start);
		start = json_incref(sp.last_evaluated_key);
		if (page.len && hand_over(ex, &page) != 0) {
			rc = -1;
			aws_error_set(&e, AWS_ERR_CANCELLED, "the client went away");
			break;
		}
		if (!start)
			break;
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
	aws_ddb_scan_page_free(&sp);
	json_decref(start);
	json_decref(names);
	json_decref(values);
	aws_buf_free(&expr);
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
				      srv_conn *c, srv_export_done_fn *done, void *ctx, aws_error *err)
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

/* srv_request_internal.h — what the request pipeline's files share (srv_request.c, the
 * pipeline; srv_request_item.c, the item routes): the pipeline's state and the steps both
 * call. Not for other modules: they use srv_request.h.
 *
 * Ownership: as in srv_request.h; every function here works on a connection whose request
 * is being served (on the event loop or its worker, as each says).
 */
#ifndef SRV_REQUEST_INTERNAL_H
#define SRV_REQUEST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "aws_error.h"
#include "srv_fixed.h"
#include "srv_pool.h"
#include "srv_request.h"
#include "srv_table.h"

/* One running export: a user may have one at a time (the slot says whose). */
#define EXPORTS_MAX 8
typedef struct export_slot {
	srv_pipeline *pl;
	int used;
	char user[SRV_AUTH_USER_MAX + 1];
} export_slot;

struct srv_pipeline {
	srv_deps d;
	pthread_mutex_t ex_mu;
	pthread_cond_t ex_cv;
	export_slot exports[EXPORTS_MAX];
	const srv_config *cfg;
	srv_pool *pages;                  /* requests with a verified login */
	srv_pool *logins;                 /* requests whose login must be checked first */
	srv_fixed_set fx;                 /* responses made once (srv_fixed.h) */
	atomic_ullong rid_counter;
	char rid_prefix[12];
};

/* Renders an error into c->out as a page, or as JSON for the API; sets the status. */
void srv_req_render_error(srv_conn *c, int status, const char *title, const char *detail);
/* An AWS failure as the error page (or JSON) for the action that failed, logged. */
void srv_req_aws_failed(srv_conn *c, const aws_error *e, const char *action, const char *table);
/* The 500 for a page over SRV_OUT_LIMIT. */
void srv_req_page_too_large(srv_conn *c);
/* The table's key schema and counts (DescribeTable, cached with the name) into *info; 0, or
 * -1 with the error page already set. Blocks: a worker's. */
int srv_req_table_info(srv_conn *c, const char *table, srv_table_info *info);
/* Queues a suspended connection's request for a worker, or answers 503 when the queue is
 * full or the server is stopping. */
void srv_req_to_worker(srv_conn *c);

/* The item routes (srv_request_item.c). On the event loop: 1 when the item's read has
 * started there without blocking (the connection is then suspended until it ends), 0 when a
 * worker must serve the request. */
int srv_item_route_start(srv_conn *c);
/* On a worker: the item read with the usual retries, rendered into c->out. */
void srv_item_route_work(srv_conn *c, const char *table);

#endif

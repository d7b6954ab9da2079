/* srv_request_item.c — the item routes, /item/<itemID> and /api/item/<itemID>: one item by
 * its key (GetItem), rendered with every attribute, or the 404 page.
 *
 * Once the table's name and key schema are cached, the GetItem's one attempt runs on the
 * event loop's own HTTP transfers (aws_http_loop), so the answer costs no trip to a worker
 * thread and back and never waits behind the Scans and exports holding the workers.
 * Anything else — nothing cached yet, credentials due for refresh, LOOP_READS_MAX reads
 * already in flight, the attempt failing in any way — goes to a worker, which makes the call
 * with the usual retries and answers as it always does (a GetItem is a read: repeating one
 * is harmless).
 */
#include "srv_request_internal.h"

#include <microhttpd.h>
#include <stdio.h>

#include "aws_ddb.h"
#include "aws_http.h"
#include "srv_item.h"
#include "srv_render.h"

#define LOOP_READS_MAX 256      /* item reads in flight on the event loop; more go to the workers */

/* The item view (or its JSON) of what GetItem returned, or the 404 page; on the worker or
 * the event loop. */
static void item_answer(srv_conn *c, const char *table, const srv_table_info *info, aws_ddb_get_item_output *got)
{
	if (!got->found) {
		char detail[1024];
		snprintf(detail, sizeof detail, "Table %s has no item whose %s is \"%.200s\".", table, info->hash,
			 c->item_id);
		srv_req_render_error(c, 404, "No such item", detail);
		return;
	}
	srv_render_item_in item = {
		.table = table, .key = info->hash, .item = {got->item.data, got->item.len},
		.capacity = got->capacity_units,
	};
	int rc = c->route.is_api ? srv_render_item_json(&c->out, &item) : srv_render_item(&c->out, &item);
	if (rc) {
		srv_req_page_too_large(c);
		return;
	}
	c->res_status = 200;
	c->res_kind = c->route.is_api ? SRV_BODY_JSON : SRV_BODY_HTML;
}

/* The loop's GetItem attempt ended: the answer, or the request to a worker. */
static void item_fetched(void *ud, int rc, aws_buf *body, const aws_error *err)
{
	srv_conn *c = ud;
	(void)err;   /* the worker's own attempt says what went wrong */
	srv_table_info info;
	aws_ddb_get_item_output got = {0};
	aws_error e;
	aws_error_clear(&e);
	if (rc == 0 && srv_table_info_peek(c->pl->d.table, c->table, &info, NULL) &&
	    aws_ddb_get_item_read(c->table, body->data, body->len, &got, &e) == 0) {
		aws_buf_reset(&c->out);
		item_answer(c, c->table, &info, &got);
		aws_ddb_get_item_output_free(&got);
		c->state = SRV_CONN_READY;
		MHD_resume_connection(c->mc);   /* this is the loop: it answers in its next turn */
		return;
	}
	aws_ddb_get_item_output_free(&got);
	srv_req_to_worker(c);
}

int srv_item_route_start(srv_conn *c)
{
	/* On the event loop: nothing here blocks. */
	srv_pipeline *pl = c->pl;
	aws_http_loop *l = srv_conn_http_loop(c);
	srv_table_info info;
	if (!l || !c->item_id || aws_http_loop_running(l) >= LOOP_READS_MAX ||
	    !srv_table_peek(pl->d.table, c->table, sizeof c->table) ||
	    !srv_table_info_peek(pl->d.table, c->table, &info, NULL))
		return 0;
	aws_error e;
	aws_error_clear(&e);
	if (srv_item_get_start(pl->d.client, l, c->table, &info, c->item_id, c->item_id_len, item_fetched, c, &e))
		return 0;   /* a bad key, or it would block: the worker answers */
	c->state = SRV_CONN_WORKING;
	MHD_suspend_connection(c->mc);
	return 1;
}

void srv_item_route_work(srv_conn *c, const char *table)
{
	srv_pipeline *pl = c->pl;
	srv_table_info info;
	if (srv_req_table_info(c, table, &info))
		return;
	aws_error e;
	aws_error_clear(&e);
	aws_ddb_get_item_output got = {0};
	if (srv_item_get(pl->d.client, table, &info, c->item_id, c->item_id_len, &got, &e)) {
		srv_req_aws_failed(c, &e, "dynamodb:GetItem", table);
		aws_ddb_get_item_output_free(&got);
		return;
	}
	item_answer(c, table, &info, &got);
	aws_ddb_get_item_output_free(&got);
}

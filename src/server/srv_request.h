/* srv_request.h — what a request means: route → auth → table name → page → render →
 * response. srv_request.c reads top to bottom in that order.
 *
 * The transport (srv_http.c) calls these as libmicrohttpd reports a request's progress on
 * its connection: begin (request line and header in), body (each piece of a POST body),
 * decide (all received), respond (a worker's answer is ready), end (the response was sent or
 * the request given up). Answers that need no blocking work — /ping, static files, errors,
 * start pages whose login is cached — are queued by decide on the event loop; so is an item
 * view whose table and key are cached, read with one GetItem on the loop's own HTTP
 * transfers (srv_conn_http_loop) and answered when it ends. Everything else, and an item
 * read that failed, goes to a worker (srv_pool.h), whose one entry point is
 * srv_request_work.
 *
 * Ownership: the pipeline borrows everything in srv_deps (it must outlive the pipeline) and
 * owns its fixed responses, its cache of rendered start pages and its worker pool.
 */
#ifndef SRV_REQUEST_H
#define SRV_REQUEST_H

#include <microhttpd.h>

#include "aws_client.h"
#include "srv_auth.h"
#include "srv_config.h"
#include "srv_conn.h"
#include "srv_cursor.h"
#include "srv_static.h"
#include "srv_table.h"

typedef struct srv_deps {
	const srv_config *cfg;     /* all borrowed: must outlive the server */
	aws_client *client;
	srv_auth *auth;
	srv_table *table;
	srv_static *assets;
	srv_cursor_key cursor_key;
} srv_deps;

/* Builds the fixed responses (ping, 401, 404, 429, 500, 503 and every static file's) and
 * starts the workers. NULL with err when out of memory or no thread can start. */
srv_pipeline *srv_pipeline_new(const srv_deps *deps, aws_error *err);
/* Stops taking work; workers finish the jobs they hold (resuming their connections), then
 * exit. */
void srv_pipeline_stop(srv_pipeline *pl);
/* Frees the pipeline and its responses: only once libmicrohttpd is stopped. */
void srv_pipeline_free(srv_pipeline *pl);

/* A request's header has arrived (libmicrohttpd's first callback): records it and checks
 * its head (srv_head.h), size and declared body size. A refusal is queued at once, which
 * closes the connection. */
/* The request's target as the client sent it (libmicrohttpd's URI callback, before it
 * decodes the path in place into a C string, where a %00 would end it). Kept only for the
 * item routes, whose itemID may hold U+0000. Event loop. */
void srv_request_target(srv_conn *c, const char *uri);

enum MHD_Result srv_request_begin(srv_conn *c, const char *url, const char *method, const char *version);
/* A piece of the body. */
void srv_request_body(srv_conn *c, const char *data, size_t n);
/* The whole request is in: answers it, or suspends the connection and hands it to a
 * worker. */
enum MHD_Result srv_request_decide(srv_conn *c);
/* The worker's entry point: checks a login still to verify, reads the table name, fetches
 * and renders the page into the connection's buffer, then resumes the connection. */
void srv_request_work(srv_job *job);
/* Queues the answer a worker prepared (state SRV_CONN_READY); for an export, starts its
 * stream. */
enum MHD_Result srv_request_respond(srv_conn *c);
/* The request is over: writes its log line (transport_error: why the transport ended it
 * early, or NULL) and releases what it held, keeping the connection's buffers for the next
 * request up to a size. */
void srv_request_end(srv_conn *c, const char *transport_error);
/* The connection is closing: frees what its requests left. */
void srv_request_conn_free(srv_conn *c);

#endif

/* srv_http.h — the HTTP server: libmicrohttpd glue, routes to handlers, a worker pool.
 *
 * One event-loop thread (libmicrohttpd in its external epoll mode, driven by our loop)
 * answers /ping, static files, 401/404/405 and pages whose login is cached from prebuilt
 * or per-connection buffers without blocking. Work that
 * blocks — DynamoDB scans, SSM reads, first-time password hashes — runs on a small pool
 * of worker threads while the connection is suspended, so a slow scan never stalls /ping.
 * Limits: connections (total, per IP), header bytes, URL bytes, form bytes, and a deadline
 * for receiving a whole request (slow clients are cut off by a janitor thread).
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include "aws_client.h"
#include "srv_auth.h"
#include "srv_config.h"
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

typedef struct srv_server srv_server;

/* Builds the prebuilt responses, starts the workers and starts listening. Returns NULL with
 * err (AWS_ERR_IO naming the address when it cannot listen). */
srv_server *srv_http_start(const srv_deps *deps, aws_error *err);
/* The port actually listened on (useful with port 0). */
int srv_http_port(const srv_server *s);
/* Graceful stop: stop accepting, wait up to grace_ms for requests in flight; AWS calls
 * still running then are cancelled (aws_client_cancel: their requests get a 503 page within
 * about a second), then everything is closed and the server freed. Returns the number of
 * requests still unfinished at the grace deadline (0 = clean). */
int srv_http_shutdown(srv_server *s, long grace_ms);

#endif

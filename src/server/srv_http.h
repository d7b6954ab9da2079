/* srv_http.h — the HTTP server's transport: listening, connections, limits, shutdown.
 *
 * One event-loop thread (libmicrohttpd in its external epoll mode, driven by our loop)
 * reads requests and hands each to the request pipeline (srv_request.h), which answers
 * what needs no blocking at once and sends the rest to its worker pool (srv_pool.h) while
 * the connection is suspended, so a slow scan never stalls /ping.
 * Limits: connections (total, per IP), header bytes, and a deadline for receiving a whole
 * request (slow clients are cut off by a janitor thread).
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <sys/types.h>

#include "srv_request.h"

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

/* What recv() read from fd (n > 0 bytes into buf): returns n, or fewer when the bytes from
 * a refused request head on belong to no request, or -1 with errno EAGAIN when none do.
 * Only the event loop's connections are checked; any other fd, or a call from another
 * thread, gets n. Called by srv_recv.c's recv. */
ssize_t srv_http_received(int fd, void *buf, ssize_t n);

/* srv_recv.c's recv. */
extern ssize_t (*const srv_recv_hook)(int fd, void *buf, size_t len, int flags);

#endif

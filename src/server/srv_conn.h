/* srv_conn.h — one client connection and the request it is serving: the state the transport
 * (srv_http.c) and the request pipeline (srv_request.c) share, and the few transport calls
 * the pipeline makes.
 *
 * Ownership: the transport allocates a srv_conn when a connection opens, reuses it for
 * every keep-alive request on it and frees it when it closes. Per request, the pipeline owns
 * the fields under "request" (it resets them when a request begins and releases them when it
 * ends). While a request is with a worker (state SRV_CONN_WORKING) the connection is
 * suspended: only that worker touches the request fields until it hands the connection
 * back with srv_conn_resume.
 */
#ifndef SRV_CONN_H
#define SRV_CONN_H

#include <stdatomic.h>
#include <time.h>

#include "aws_buf.h"
#include "srv_auth.h"
#include "srv_pool.h"
#include "srv_rawhead.h"
#include "srv_route.h"

struct MHD_Connection;
typedef struct srv_server srv_server;
typedef struct srv_pipeline srv_pipeline;

/* Where a request is. NEW: nothing received yet (or the last request ended). READING: the
 * header is in, the body is arriving. WORKING: with a worker. READY: the worker's answer is
 * in out, to be queued. RESPONDED: an answer is queued. */
enum srv_conn_state { SRV_CONN_NEW, SRV_CONN_READING, SRV_CONN_WORKING, SRV_CONN_READY, SRV_CONN_RESPONDED };

/* The body kinds a page can have. */
enum srv_body_kind { SRV_BODY_HTML, SRV_BODY_JSON, SRV_BODY_EXPORT };

#define SRV_LIMIT_TEXT_MAX 32
#define SRV_OUT_LIMIT (32u << 20)   /* largest page we build */

typedef struct srv_conn {
	/* connection: set by the transport when it opens */
	srv_server *srv;
	srv_pipeline *pl;
	struct MHD_Connection *mc;
	int fd;
	struct srv_conn *prev, *next;     /* all connections, for the janitor */
	_Atomic long long deadline_ms;    /* request must be received by then; 0 = none */
	int cut;                          /* the janitor shut it down */
	int idle_watched;                 /* in the transport's idle watch (loop thread only) */
	long long idle_since_ms;          /* waiting for a request since; 0 = one is in progress */
	char peer[64];                    /* the TCP peer */
	int peer_family;
	unsigned char peer_addr[16];
	int peer_trusted;                 /* the peer is one of --trusted-proxies */
	srv_rawhead raw;                  /* every byte read, checked before libmicrohttpd parses it */
	unsigned long begun, done;        /* requests handed to the pipeline, and completed */
	atomic_int refused;               /* answered by the transport: input dropped until it closes */

	/* request */
	enum srv_conn_state state;
	struct timespec t0;               /* the request line arrived */
	char method[8];
	char path[256];
	char rid[32];
	char trace[128];                  /* X-Amzn-Trace-Id from the load balancer, for the log */
	char client[64];                  /* the peer, or the client a trusted proxy forwarded for */
	char user[SRV_AUTH_USER_MAX + 1];
	int status;                       /* what was queued, for the log */
	size_t bytes;
	char errlog[1400];                /* detail for the log line, "" = none */
	srv_route route;
	aws_buf form;                     /* POST body (kept between requests up to a size) */
	int form_too_big;
	aws_buf out;                      /* the response body we built (kept likewise) */

	/* the worker's job: its input and its answer */
	srv_job job;
	int job_verify;                   /* the login must be checked first */
	srv_auth_ticket *ticket;          /* its admitted password check, until it runs */
	char authz[SRV_AUTH_HEADER_MAX + 1];   /* held only for a login still to verify */
	char *q, *cursor;                 /* owned */
	char *item_id;                    /* owned: /item/<itemID>'s itemID, decoded (may hold NULs) */
	size_t item_id_len;
	char *item_target;                /* owned: an item route's raw path, as the client sent it */
	int exact;                        /* mode=exact: q is the whole itemID (GetItem) */
	struct srv_filter *filter;        /* owned: attribute conditions; NULL when none */
	char **show;                      /* owned, each owned: the columns chosen (col=) */
	int nshow;
	char bad_why[256];                /* why the parameters are unusable, "" = generic */
	char table[256];                  /* the table read after the worker is done with the request:
					     an export's stream, an item read on the event loop */
	void *export_slot;                /* SRV_BODY_EXPORT: the user's export slot, held */
	char limit_text[SRV_LIMIT_TEXT_MAX];
	int bad_params;                   /* q, mode, cursor or limit unusable: 400 once logged in */
	int res_status;
	enum srv_body_kind res_kind;
} srv_conn;

/* Hands a suspended connection back to the event loop, which then calls the pipeline's
 * srv_request_respond. Any thread. */
void srv_conn_resume(srv_conn *c);

/* The event loop's own HTTP transfers (aws_http.h), for a request that reads from AWS
 * without leaving the loop; NULL when there are none. Event loop only. */
struct aws_http_loop *srv_conn_http_loop(const srv_conn *c);

#endif

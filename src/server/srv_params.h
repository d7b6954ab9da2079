/* srv_params.h — what a request says beyond its route and its header, read into its
 * srv_conn on the event loop: the page's parameters (the GET query or the POST form: mode,
 * q, cursor, limit, the filter's conditions, the columns chosen) and, behind a trusted
 * proxy, the client's address.
 *
 * Ownership: what srv_params_read stores in c (q, cursor, filter, show) and the itemID
 * srv_request_begin stores are owned by c until srv_params_free.
 */
#ifndef SRV_PARAMS_H
#define SRV_PARAMS_H

#include "srv_config.h"
#include "srv_conn.h"

/* Reads mode, q, cursor, limit, the conditions (attr, op, type, value rows) and the columns
 * (col) into c: 0, or 1 when one is unusable — malformed, too long, too many, or a filter
 * with mode=exact — with the reason for a person in c->bad_why when there is a specific one. */
int srv_params_read(srv_conn *c);

/* Keeps an item route's raw target (the path as sent, before libmicrohttpd decodes it into
 * a C string where %00 would end it) in c->item_target; other targets are not kept. */
void srv_params_keep_target(srv_conn *c, const char *uri);

/* The item route's itemID, malloc'd with its length in *len: decoded from the kept raw
 * target as libmicrohttpd decodes paths (%XX only; anything else as it is), NULs included,
 * when that decodes to url up to the route's prefix; otherwise the rest of url (the decoded
 * path). NULL when out of memory. */
char *srv_params_item_id(srv_conn *c, const char *url, size_t *len);

/* Frees what srv_params_read and srv_request_begin stored in c; c is then as new. */
void srv_params_free(srv_conn *c);

/* c->client (the TCP peer already): when the peer is one of cfg's trusted proxies, the
 * rightmost address in X-Forwarded-For that is not itself a trusted proxy. */
void srv_params_find_client(srv_conn *c, const srv_config *cfg);

#endif

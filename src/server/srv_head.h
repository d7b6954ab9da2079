/* srv_head.h — the checks a request head must pass before any of it is used: framing that
 * two HTTP parsers could read differently (a load balancer in front, this server behind),
 * and headers that must appear at most once.
 *
 * libmicrohttpd's parser is lenient: it takes the first of two Content-Lengths, accepts
 * Content-Length next to Transfer-Encoding, and reads the body of an unknown
 * Transfer-Encoding until the connection closes. A request where any of that matters is
 * refused here instead (RFC 9112 §6.1, §5.1): 400, or 501 for a Transfer-Encoding other
 * than chunked — and the connection is closed, so nothing after it is read as another
 * request. What can only be seen on the bytes (a NUL, obs-fold, an empty name…) is refused
 * before parsing, by srv_rawhead.h; the name and value checks here remain for anything
 * that reaches the fields.
 *
 * Use: srv_head_init, srv_head_field for each header field as parsed (duplicates included,
 * in order), then srv_head_verdict. No allocation; the fields are not kept.
 */
#ifndef SRV_HEAD_H
#define SRV_HEAD_H

typedef struct srv_head {
	int content_length, transfer_encoding, host, authorization;   /* how many of each */
	int bad_name, bad_value, bad_length, bad_coding;
} srv_head;

void srv_head_init(srv_head *h);

/* One header field, name and value as the parser split them. */
void srv_head_field(srv_head *h, const char *name, const char *value);

/* 0 when the head may be served; else the status to answer (400 or 501), with *why a
 * static sentence for the log and the error page. version: the request's ("HTTP/1.1"). */
int srv_head_verdict(const srv_head *h, const char *version, const char **why);

#endif

/* srv_rawhead.h — the bytes of a connection's request heads, checked as they arrive, before
 * libmicrohttpd parses them.
 *
 * libmicrohttpd 0.9.75 reads a head into C strings and hands over only what it made of
 * it: a NUL cuts a value short, a line with an empty name is dropped, a folded line can
 * leave a valid-looking field, and a head far over its memory may be closed without an
 * answer. None of that is visible through its API, so the transport (srv_http.c) shows
 * every byte read from a client to this scanner first. It follows the stream — request
 * line, fields, the empty line, a Content-Length body, the next head — and finds the first
 * head that is malformed (RFC 9112 §2.2, §3, §5: a NUL or other control byte, a bare CR,
 * a line folded onto the one before, a name that is empty or not a token, a line without
 * a colon) or too long (a target over url_limit: 414; a head over head_limit: 431).
 *
 * What the scanner does not judge it leaves to srv_head.c, which sees the parsed fields
 * (two Content-Lengths, Content-Length with Transfer-Encoding, Host, Authorization…). A
 * head announcing a body it cannot follow — any Transfer-Encoding, or a Content-Length
 * srv_head refuses — stops the scan: the transport closes the connection after that
 * request, so nothing after it is ever read unchecked.
 *
 * Use: srv_rawhead_init once per connection, srv_rawhead_feed for each chunk read (in
 * order); then bad/bad_head/why say which head (counted from 0 on the connection) is
 * refused and why, stopped/stopped_head which head's body ends the scan. No allocation.
 */
#ifndef SRV_RAWHEAD_H
#define SRV_RAWHEAD_H

#include <stddef.h>

typedef struct srv_rawhead {
	/* settings */
	size_t head_limit, url_limit;

	/* the verdict: set once, then the scanner takes no more bytes */
	int bad;                      /* 0, or the status to answer: 400, 414 or 431 */
	unsigned long bad_head;       /* which head */
	const char *why;              /* a static sentence for the log and the answer */
	int stopped;                  /* a body it cannot follow: nothing after it is checked */
	unsigned long stopped_head;

	/* the current head's method and path (to the '?', cut at the arrays' size), for the log */
	char method[8];
	char path[256];
	size_t method_len, path_len;
	int path_done;

	/* where the stream is */
	unsigned long head;           /* the head being read (or whose body is being skipped) */
	int state;
	size_t head_bytes;            /* of the current head, from its first byte */
	size_t target_bytes;          /* of the request line's target */
	int spaces;                   /* in the request line so far */
	unsigned long long body_left; /* Content-Length bytes still to skip */
	char name[18];                /* the current field's name, lower case, if short */
	size_t name_len;
	int field;                    /* the current field is Content-Length (1), Transfer-Encoding (2) */
	int content_lengths, transfer_encodings, length_bad;
	unsigned long long length;
	int length_digits;
} srv_rawhead;

void srv_rawhead_init(srv_rawhead *r, size_t head_limit, size_t url_limit);

/* Takes the next n bytes of the stream. Returns how many of them belong to heads (and
 * bodies) before a refused one: n while nothing is refused; once a head is refused, the
 * bytes before its first byte in this chunk (0 if it began in an earlier chunk), and 0
 * for every later chunk. */
size_t srv_rawhead_feed(srv_rawhead *r, const char *p, size_t n);

#endif

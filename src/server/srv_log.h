/* srv_log.h — JSON lines on stdout: one per request, one per notable event.
 *
 * Each line is built in a stack buffer, then appended whole to one shared buffer that is
 * written with a single write(2) when it fills, when a warning or error arrives, or when its
 * oldest line is 100 ms old (srv_log_tick, called periodically, sees to the last case): at
 * tens of thousands of requests a second, one write per line would be a third of the work.
 * Lines never interleave and logging allocates nothing. Every line is valid JSON whatever
 * a client sends: strings are escaped, invalid UTF-8 becomes U+FFFD, and each field has a
 * limit that keeps a line under 4 KiB, cut before a character, never inside one. Callers never pass passwords or the Authorization
 * header: nothing here could redact them.
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stddef.h>
#include "srv_config.h"

void srv_log_set_level(srv_log_level level);
int srv_log_enabled(srv_log_level level);

typedef struct srv_log_req {
	const char *method, *path;   /* path without the query string */
	int status;
	size_t bytes;                /* response body bytes */
	double duration_ms;
	const char *user;            /* NULL or "" = not authenticated */
	const char *client;          /* client address (X-Forwarded-For when trusted) */
	const char *request_id;
	const char *trace_id;        /* the load balancer's X-Amzn-Trace-Id, NULL when none */
	const char *error;           /* NULL, or what went wrong (logged at warn/error) */
} srv_log_req;

/* Logs a finished request at info (status < 500 and no error) or error level. */
void srv_log_request(const srv_log_req *r);

/* Writes out buffered lines older than 100 ms (call every ~100-200 ms), or all of them. */
void srv_log_tick(void);
void srv_log_flush(void);

/* Logs {"time","level","event","message"}; message is printf-style. */
void srv_log_event(srv_log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

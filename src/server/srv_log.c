/* srv_log.c — JSON log lines, written whole with a single write(2) each.
 *
 * Hot path (a line per /ping): a stack buffer, gmtime_r, one uncontended lock to append to
 * the shared buffer, no allocation; the write(2) is shared by many lines.
 */
#include "srv_log.h"
#include "aws_time.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = SRV_LOG_INFO;

#define BATCH_CAP 32768
#define BATCH_AGE_MS 100
static pthread_mutex_t batch_mu = PTHREAD_MUTEX_INITIALIZER;
static char batch[BATCH_CAP];
static size_t batch_len;
static long long batch_first_ms;   /* when the oldest buffered line was added */

static long long mono_ms(void)
{
	return (long long)aws_monotonic_ms();
}

static void write_all(const char *p, size_t left)
{
	while (left > 0) {
		ssize_t w = write(STDOUT_FILENO, p, left);
		if (w <= 0)
			return; /* stdout gone: nothing better to do than drop the lines */
		p += w;
		left -= (size_t)w;
	}
}

/* Called with batch_mu held. */
static void batch_out(void)
{
	write_all(batch, batch_len);
	batch_len = 0;
}

void srv_log_flush(void)
{
	pthread_mutex_lock(&batch_mu);
	batch_out();
	pthread_mutex_unlock(&batch_mu);
}

void srv_log_tick(void)
{
	pthread_mutex_lock(&batch_mu);
	if (batch_len > 0 && mono_ms() - batch_first_ms >= BATCH_AGE_MS)
		batch_out();
	pthread_mutex_unlock(&batch_mu);
}
static const char *LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

void srv_log_set_level(srv_log_level level) { atomic_store(&log_level, (int)level); }
int srv_log_enabled(srv_log_level level) { return (int)level >= atomic_load(&log_level); }

typedef struct line { char b[4096]; size_t n; } line;

static void put(line *l, const char *s, size_t n)
{
	if (l->n + n > sizeof l->b - 2)   /* keep room for "}\n" */
		n = sizeof l->b - 2 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}
static void puts_(line *l, const char *s) { put(l, s, strlen(s)); }

/* A JSON string value, escaped, at most max bytes of input. Runs of bytes that need no
 * escape (nearly all of a path or an id) are copied with one put. */
static void put_str(line *l, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	put(l, "\"", 1);
	size_t run = 0, i = 0;
	for (; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		if (i > run)
			put(l, s + run, i - run);
		run = i + 1;
		char esc[6];
		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c;
			put(l, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			put(l, esc, 6);
		}
	}
	if (i > run)
		put(l, s + run, i - run);
	put(l, "\"", 1);
}

/* Decimal digits of v, at least min_digits (zero-padded); no printf on the hot path. */
static void put_uint(line *l, unsigned long long v, int min_digits)
{
	char d[24];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < min_digits);
	char out[24];
	for (int i = 0; i < n; i++)
		out[i] = d[n - 1 - i];
	put(l, out, (size_t)n);
}

static void start(line *l, srv_log_level level)
{
	/* The date and time to the second change once a second: formatted once per thread. */
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cached_sec = ts.tv_sec;
	}
	l->n = 0;
	puts_(l, "{\"time\":\"");
	puts_(l, cached);
	put(l, ".", 1);
	put_uint(l, (unsigned long long)(ts.tv_nsec / 1000000), 3);
	puts_(l, "Z\",\"level\":\"");
	puts_(l, LEVEL_NAMES[level]);
	put(l, "\"", 1);
}

static void finish(line *l, srv_log_level level)
{
	memcpy(l->b + l->n, "}\n", 2);
	l->n += 2;
	long long now = mono_ms();
	pthread_mutex_lock(&batch_mu);
	if (batch_len + l->n > BATCH_CAP)
		batch_out();
	if (batch_len == 0)
		batch_first_ms = now;
	memcpy(batch + batch_len, l->b, l->n);
	batch_len += l->n;
	if (level >= SRV_LOG_WARN || now - batch_first_ms >= BATCH_AGE_MS)
		batch_out();
	pthread_mutex_unlock(&batch_mu);
}

void srv_log_request(const srv_log_req *r)
{
	srv_log_level level = (r->status >= 500 || r->error) ? (r->status >= 500 ? SRV_LOG_ERROR : SRV_LOG_WARN)
							       : SRV_LOG_INFO;
	if (!srv_log_enabled(level))
		return;
	line l;
	start(&l, level);
	puts_(&l, ",\"event\":\"request\",\"method\":");
	put_str(&l, r->method, 16);
	puts_(&l, ",\"path\":");
	put_str(&l, r->path, 512);
	puts_(&l, ",\"status\":");
	put_uint(&l, (unsigned long long)(r->status > 0 ? r->status : 0), 1);
	puts_(&l, ",\"bytes\":");
	put_uint(&l, r->bytes, 1);
	puts_(&l, ",\"duration_ms\":");
	unsigned long long us = r->duration_ms > 0 ? (unsigned long long)(r->duration_ms * 1000.0 + 0.5) : 0;
	put_uint(&l, us / 1000, 1);
	put(&l, ".", 1);
	put_uint(&l, us % 1000, 3);
	puts_(&l, ",\"user\":");
	if (r->user && r->user[0])
		put_str(&l, r->user, 128);
	else
		puts_(&l, "null");
	puts_(&l, ",\"client\":");
	put_str(&l, r->client, 64);
	puts_(&l, ",\"request_id\":");
	put_str(&l, r->request_id, 64);
	if (r->trace_id && r->trace_id[0]) {
		puts_(&l, ",\"trace_id\":");
		put_str(&l, r->trace_id, 128);
	}
	if (r->error) {
		puts_(&l, ",\"error\":");
		put_str(&l, r->error, 1500);
	}
	finish(&l, level);
}

void srv_log_event(srv_log_level level, const char *event, const char *fmt, ...)
{
	if (!srv_log_enabled(level))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	line l;
	start(&l, level);
	puts_(&l, ",\"event\":");
	put_str(&l, event, 64);
	puts_(&l, ",\"message\":");
	put_str(&l, msg, sizeof msg);
	finish(&l, level);
}

/* srv_log.c — JSON log lines, written whole with a single write(2) each.
 *
 * Hot path (a line per /ping): a stack buffer, gmtime_r, one uncontended lock to append to
 * the shared buffer, no allocation; the write(2) is shared by many lines.
 */
#include "srv_log.h"
#include "aws_time.h"

#include "aws_jtext.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
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
static double batch_first_ms;   /* when the oldest buffered line was added (aws_monotonic_ms) */

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
	if (batch_len > 0 && aws_monotonic_ms() - batch_first_ms >= BATCH_AGE_MS)
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

/* The length of the UTF-8 sequence at s (n bytes available): 1-4 when it is valid, 0 when
 * it is not, and (size_t)-1 when its first n bytes are the valid start of a longer one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len = aws_jtext_utf8_next(s, n, &cp);
	if (len)
		return len;
	size_t want = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (s[0] < 0xc2 || s[0] > 0xf4 || n >= want)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return (size_t)-1;
}

/* A JSON string value of at most max_in bytes of s and max_out bytes of output (quotes
 * included), whatever s holds: " \ and control characters escaped, invalid UTF-8 as
 * \ufffd, and a value over either limit cut before the first character that does not fit
 * whole — never inside a character or an escape. Runs of bytes that need no escape (nearly
 * all of a path or an id) are copied with one put. */
static void put_str(line *l, const char *str, size_t max_in, size_t max_out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t room = sizeof l->b - 2 - l->n;   /* "}\n" stays possible */
	if (room < 2)
		return;   /* cannot happen with the fields' limits; keeps the line whole if it did */
	if (max_out > room)
		max_out = room;
	size_t budget = max_out - 2, used = 0, i = 0, run = 0;
	put(l, "\"", 1);
	while (s && i < max_in && s[i]) {
		unsigned char c = s[i];
		size_t in_len = 1, out_len = 1;
		char esc[6];
		int escaped = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c;
			out_len = 2;
			escaped = 1;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			out_len = 6;
			escaped = 1;
		} else if (c >= 0x80) {
			in_len = utf8_len(s + i, max_in - i);
			if (in_len == (size_t)-1)
				break;                  /* cut by max_in: end before it */
			if (in_len == 0) {
				memcpy(esc, "\\ufffd", 6);
				in_len = 1;
				out_len = 6;
				escaped = 1;
			} else {
				out_len = in_len;
			}
		}
		if (used + out_len > budget)
			break;
		if (escaped) {
			if (i > run)
				put(l, str + run, i - run);
			put(l, esc, out_len);
			run = i + in_len;
		}
		used += out_len;
		i += in_len;
	}
	if (i > run)
		put(l, str + run, i - run);
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
	double now = aws_monotonic_ms();
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
	put_str(&l, r->method, 16, 40);
	puts_(&l, ",\"path\":");
	put_str(&l, r->path, 512, 1100);
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
		put_str(&l, r->user, 128, 300);
	else
		puts_(&l, "null");
	puts_(&l, ",\"client\":");
	put_str(&l, r->client, 64, 160);
	puts_(&l, ",\"request_id\":");
	put_str(&l, r->request_id, 64, 100);
	if (r->trace_id && r->trace_id[0]) {
		puts_(&l, ",\"trace_id\":");
		put_str(&l, r->trace_id, 128, 400);
	}
	if (r->error) {
		puts_(&l, ",\"error\":");
		put_str(&l, r->error, 1500, 1500);
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
	put_str(&l, event, 64, 100);
	puts_(&l, ",\"message\":");
	put_str(&l, msg, sizeof msg, sizeof msg);
	finish(&l, level);
}

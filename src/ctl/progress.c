/* progress.c — the live status line of scan and items load (see progress.h). Counters are
 * atomics the workers add to without a lock; a reporter thread wakes every interval, reads
 * them and writes the whole line with one write(2), so it never interleaves with another
 * writer mid-line. Capacity is summed in thousandths of a unit: C has no atomic add of a
 * double, and DynamoDB reports units in halves at the finest.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "aws_time.h"
#include "ctl.h"
#include "progress.h"

/* ---- formatting ---- */

/* x >= 0 to the nearest whole number (halves up); without libm, which nothing else needs. */
static long long progress_round(double x)
{
	return x > 0 ? (long long)(x + 0.5) : 0;
}

/* n with a space between groups of three digits: "12 345 678". */
static const char *progress_group(long long n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof digits, "%lld", n < 0 ? 0 : n);
	size_t o = 0;
	for (int i = 0; i < nd && o + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[o++] = ' ';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* Capacity units with one decimal, none when whole: "2 512.5", "20 000". */
static const char *progress_units(double u, char *buf, size_t len)
{
	long long tenths = progress_round(u * 10);
	char whole[32];   /* 19 digits and 6 spaces at most */
	progress_group(tenths / 10, whole, sizeof whole);
	if (tenths % 10)
		snprintf(buf, len, "%s.%lld", whole, tenths % 10);
	else
		snprintf(buf, len, "%s", whole);
	return buf;
}

/* Items a second: one decimal below 10 (a throttled table), else whole and grouped. */
static const char *progress_rate(double rate, char *buf, size_t len)
{
	if (rate < 9.95) {
		snprintf(buf, len, "%.1f", rate);
		return buf;
	}
	return progress_group(progress_round(rate), buf, len);
}

/* The items a second so far, or -1 before there is a meaningful one. */
static double progress_rate_of(const progress_view *v)
{
	return v->elapsed_ms >= 1 && v->done > 0 ? (double)v->done * 1000.0 / v->elapsed_ms : -1;
}

/* Percent of total done (0-99 until finished), or -1 when the total is unknown. */
static int progress_percent(const progress_view *v)
{
	if (v->total <= 0)
		return -1;
	long long pct = (long long)v->done * 100 / v->total;
	if (v->finished)
		return 100;
	return pct > 99 ? 99 : (int)pct;
}

/* "m:ss" or "h:mm:ss" of the seconds left. */
static void progress_clock(double s, char *buf, size_t len)
{
	long long t = (long long)s + ((double)(long long)s < s);   /* rounded up */
	if (t >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lld:%02lld", t / 60, t % 60);
}

/* A part of the status line; parts of lower rank are left out first when it is too wide. */
typedef struct progress_part {
	char text[64];
	int rank;
} progress_part;

enum { PART_KEPT = 1, PART_CAPACITY, PART_TOTAL, PART_RATE, PART_ETA, PART_PERCENT, PART_MAX };

size_t progress_line(const progress_view *v, int width, char *buf, size_t len)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	if (width < 2)
		return 0;
	char a[40], b[40];
	progress_part parts[PART_MAX];
	int n = 0;
	if (v->kept >= 0) {
		snprintf(parts[n].text, sizeof parts[n].text, " (%s kept)",
			 progress_group(v->kept, a, sizeof a));
		parts[n++].rank = PART_KEPT;
	}
	int pct = progress_percent(v);
	if (pct >= 0) {
		snprintf(parts[n].text, sizeof parts[n].text, ", %d%%", pct);
		parts[n++].rank = PART_PERCENT;
		snprintf(parts[n].text, sizeof parts[n].text, " of %s%s", v->total_exact ? "" : "~",
			 progress_group(v->total, a, sizeof a));
		parts[n++].rank = PART_TOTAL;
	}
	double rate = progress_rate_of(v);
	if (rate > 0) {
		snprintf(parts[n].text, sizeof parts[n].text, ", %s items/s",
			 progress_rate(rate, a, sizeof a));
		parts[n++].rank = PART_RATE;
	}
	if (v->capacity >= 0) {
		snprintf(parts[n].text, sizeof parts[n].text, ", %s %s",
			 progress_units(v->capacity, a, sizeof a), v->unit[0] == 'w' ? "WCU" : "RCU");
		parts[n++].rank = PART_CAPACITY;
	}
	if (pct >= 0 && rate > 0 && v->done < v->total && !v->finished) {
		progress_clock((double)(v->total - v->done) / rate, b, sizeof b);
		snprintf(parts[n].text, sizeof parts[n].text, ", ETA %s", b);
		parts[n++].rank = PART_ETA;
	}

	size_t max = (size_t)width - 1 < len - 1 ? (size_t)width - 1 : len - 1;
	char head[64];
	snprintf(head, sizeof head, "%s %s items", v->verb, progress_group(v->done, a, sizeof a));
	for (int drop = 0; drop < PART_MAX; drop++) {
		size_t used = strlen(head);
		for (int i = 0; i < n; i++)
			if (parts[i].rank > drop)
				used += strlen(parts[i].text);
		if (used > max)
			continue;
		size_t o = (size_t)snprintf(buf, len, "%s", head);
		for (int i = 0; i < n; i++)
			if (parts[i].rank > drop)
				o += (size_t)snprintf(buf + o, len - o, "%s", parts[i].text);
		return o;
	}
	snprintf(buf, max + 1, "%s", head);
	return strlen(buf);
}

/* "1.4 s", "12 min 05 s", "2 h 03 min". */
static void progress_elapsed(double ms, char *buf, size_t len)
{
	long long s = ms > 0 ? (long long)(ms / 1000) : 0;
	if (ms < 60000)
		snprintf(buf, len, "%.1f s", ms / 1000);
	else if (s < 3600)
		snprintf(buf, len, "%lld min %02lld s", s / 60, s % 60);
	else
		snprintf(buf, len, "%lld h %02lld min", s / 3600, s / 60 % 60);
}

size_t progress_summary(const progress_view *v, char *buf, size_t len)
{
	if (!len)
		return 0;
	char n[40], k[40], t[40], r[40], u[40];
	char kept[64] = "", tail[160] = "";
	if (v->kept >= 0)
		snprintf(kept, sizeof kept, " (%s kept)", progress_group(v->kept, k, sizeof k));
	progress_elapsed(v->elapsed_ms, t, sizeof t);
	double rate = progress_rate_of(v);
	if (rate > 0 && v->capacity >= 0)
		snprintf(tail, sizeof tail, " (%s items/s, %s %s capacity units)",
			 progress_rate(rate, r, sizeof r), progress_units(v->capacity, u, sizeof u),
			 v->unit);
	else if (rate > 0)
		snprintf(tail, sizeof tail, " (%s items/s)", progress_rate(rate, r, sizeof r));
	else if (v->capacity >= 0)
		snprintf(tail, sizeof tail, " (%s %s capacity units)",
			 progress_units(v->capacity, u, sizeof u), v->unit);
	int w = snprintf(buf, len, "%s %s items%s in %s%s", v->verb,
			 progress_group(v->done, n, sizeof n), kept, t, tail);
	return w < 0 ? 0 : (size_t)w < len ? (size_t)w : len - 1;
}

/* ---- the running status line ---- */

int progress_wanted(int quiet)
{
	return !quiet && isatty(STDERR_FILENO);
}

int progress_interval(long *ms)
{
	*ms = PROGRESS_DEFAULT_MS;
	return ctl_env_ms("SHOWTABLE_PROGRESS_MS", ms);
}

struct progress {
	progress_config cfg;
	double t0;
	atomic_long done, kept;
	atomic_long total;             /* cfg.total, or what progress_set_total said last */
	atomic_llong capacity_milli;   /* thousandths of a unit */
	atomic_int capacity_seen;      /* some reply said what it consumed */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;                  /* under lock */
	int has_thread;
	pthread_t thread;
	int has_signals;
	struct sigaction old_int, old_term;
};

/* Read by the signal handler: whether a status line is on screen and not yet ended. */
static volatile sig_atomic_t progress_on_screen;
static int progress_signal_fd = STDERR_FILENO;

static void progress_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;   /* a closed terminal: nothing more to show */
		p += w;
		n -= (size_t)w;
	}
}

/* Ends a drawn line, then lets the signal do what it would have done: the default action
 * is made current again and the signal raised, delivered when the handler returns. */
static void progress_on_signal(int sig)
{
	if (progress_on_screen) {
		ssize_t w = write(progress_signal_fd, "\n", 1);
		(void)w;
		progress_on_screen = 0;
	}
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void progress_catch(progress *p)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = progress_on_signal;
	sigemptyset(&sa.sa_mask);
	progress_signal_fd = p->cfg.fd;
	sigaction(SIGINT, NULL, &p->old_int);
	sigaction(SIGTERM, NULL, &p->old_term);
	/* An ignored signal (nohup, a shell's background job) stays ignored. */
	if (p->old_int.sa_handler == SIG_DFL)
		sigaction(SIGINT, &sa, NULL);
	if (p->old_term.sa_handler == SIG_DFL)
		sigaction(SIGTERM, &sa, NULL);
	p->has_signals = 1;
}

static void progress_view_of(progress *p, progress_view *v)
{
	memset(v, 0, sizeof *v);
	v->verb = p->cfg.verb;
	v->unit = p->cfg.unit;
	v->done = atomic_load(&p->done);
	v->kept = p->cfg.filtered ? atomic_load(&p->kept) : -1;
	v->total = atomic_load(&p->total);
	v->total_exact = p->cfg.total_exact;
	v->capacity = atomic_load(&p->capacity_seen) ?
		      (double)atomic_load(&p->capacity_milli) / 1000.0 : -1;
	v->elapsed_ms = p->cfg.now_ms() - p->t0;
}

static int progress_width(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return PROGRESS_WIDTH_DEFAULT;
}

void progress_set_total(progress *p, long total)
{
	if (p)
		atomic_store(&p->total, total);
}

void progress_draw(progress *p)
{
	if (!p || !p->cfg.live)
		return;
	progress_view v;
	progress_view_of(p, &v);
	char out[PROGRESS_LINE_MAX + 8];
	out[0] = '\r';
	size_t n = 1 + progress_line(&v, progress_width(p->cfg.fd), out + 1, PROGRESS_LINE_MAX);
	memcpy(out + n, "\033[K", 3);
	progress_on_screen = 1;
	progress_write(p->cfg.fd, out, n + 3);
}

static void *progress_reporter(void *arg)
{
	progress *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += p->cfg.interval_ms / 1000;
		until.tv_nsec += p->cfg.interval_ms % 1000 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!p->stopping &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		pthread_mutex_unlock(&p->lock);
		progress_draw(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int progress_start_thread(progress *p)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	int bad = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
		  pthread_cond_init(&p->wake, &ca) != 0;
	pthread_condattr_destroy(&ca);
	if (bad)
		return -1;
	if (pthread_create(&p->thread, NULL, progress_reporter, p) != 0) {
		pthread_cond_destroy(&p->wake);
		return -1;
	}
	p->has_thread = 1;
	return 0;
}

progress *progress_start(const progress_config *cfg)
{
	progress *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!p->cfg.now_ms)
		p->cfg.now_ms = aws_monotonic_ms;
	p->t0 = p->cfg.now_ms();
	atomic_store(&p->total, p->cfg.total);
	pthread_mutex_init(&p->lock, NULL);
	progress_on_screen = 0;
	if (p->cfg.live && p->cfg.interval_ms > 0) {
		progress_catch(p);
		/* Without a reporter the counts still add up for the summary. */
		(void)progress_start_thread(p);
	}
	return p;
}

void progress_add(progress *p, long done, long kept, double capacity)
{
	if (!p)
		return;
	atomic_fetch_add(&p->done, done);
	atomic_fetch_add(&p->kept, kept);
	if (capacity >= 0) {
		atomic_fetch_add(&p->capacity_milli, progress_round(capacity * 1000));
		atomic_store(&p->capacity_seen, 1);
	}
}

void progress_end(progress *p, progress_ending how)
{
	if (!p)
		return;
	if (p->has_thread) {
		pthread_mutex_lock(&p->lock);
		p->stopping = 1;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		pthread_cond_destroy(&p->wake);
	}
	char out[PROGRESS_LINE_MAX + 8];
	size_t n = 0;
	if (how == PROGRESS_DONE) {
		progress_view v;
		progress_view_of(p, &v);
		v.finished = 1;
		if (progress_on_screen)
			memcpy(out, "\r\033[K", 4), n = 4;
		n += progress_summary(&v, out + n, PROGRESS_LINE_MAX);
		out[n++] = '\n';
	} else if (progress_on_screen && how == PROGRESS_FAILED) {
		out[n++] = '\n';
	} else if (progress_on_screen) {
		memcpy(out, "\r\033[K", 4);
		n = 4;
	}
	progress_on_screen = 0;
	progress_write(p->cfg.fd, out, n);
	if (p->has_signals) {
		sigaction(SIGINT, &p->old_int, NULL);
		sigaction(SIGTERM, &p->old_term, NULL);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* progress.h — the live status line of the long data commands (scan, items load): items
 * done, items a second, capacity units consumed, percent of the expected total with an ETA,
 * redrawn in place on standard error a few times a second, then one summary line.
 *
 * Only on a terminal and without -q: a pipe or a log file gets nothing extra, and standard
 * output is never touched. Any thread may count (atomics); one reporter thread draws. The
 * formatters are pure functions of a progress_view, so they are tested with any clock.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stddef.h>

#define PROGRESS_DEFAULT_MS 250     /* redraw period without SHOWTABLE_PROGRESS_MS */
#define PROGRESS_LINE_MAX 256       /* room for any line the formatters write */
#define PROGRESS_WIDTH_DEFAULT 80   /* columns when the terminal does not say */

/* What a line says, at one moment. */
typedef struct progress_view {
	const char *verb;          /* "scanned", "wrote" — borrowed */
	const char *unit;          /* "read", "write": RCU / WCU, "read capacity units" — borrowed */
	long done;                 /* items read or written: what the rate and percent count */
	long kept;                 /* items kept by a filter; < 0: no filter, not shown */
	long total;                /* the done expected at the end; <= 0: unknown, no percent/ETA */
	int total_exact;           /* 1: total is known (the file's items); 0: approximate, "~" */
	double capacity;           /* capacity units consumed; < 0: unknown, not shown */
	double elapsed_ms;
	int finished;              /* 0: the percent stays below 100 however far done goes */
} progress_view;

/* The status line of v (no "\r", no newline) in at most width - 1 columns, so that it never
 * wraps: the least useful fields are left out first (kept, capacity, the total, the rate,
 * the ETA, the percent), then the rest is cut. width < 2 gives "". buf of len bytes
 * (PROGRESS_LINE_MAX is enough). Returns the line's length. */
size_t progress_line(const progress_view *v, int width, char *buf, size_t len);

/* The summary line of v, without newline: "scanned 20 000 items in 1.4 s (14 286 items/s,
 * 2 512.5 read capacity units)". Returns its length (cut to fit len). */
size_t progress_summary(const progress_view *v, char *buf, size_t len);

/* Whether a command shows progress: standard error is a terminal and quiet (-q) is 0. */
int progress_wanted(int quiet);

/* The redraw period into *ms: SHOWTABLE_PROGRESS_MS (1 to 3600000), else
 * PROGRESS_DEFAULT_MS. Returns 0, or -1 after printing why the variable is unusable. */
int progress_interval(long *ms);

typedef struct progress_config {
	const char *verb, *unit;   /* as in progress_view; borrowed for the progress's life */
	long total;
	int total_exact;
	int filtered;              /* 1: count and show the items kept */
	int live;                  /* 0: no status line, the summary only (e.g. standard output
				      is the same terminal and would be written over) */
	int fd;                    /* where the lines go (2) */
	long interval_ms;          /* redraw period; 0: no reporter thread (progress_draw) */
	double (*now_ms)(void);    /* clock in milliseconds; NULL: aws_monotonic_ms */
} progress_config;

typedef struct progress progress;

/* Starts counting (and, when live with an interval, the reporter thread, and a SIGINT /
 * SIGTERM handler that ends a drawn line before the process dies). Returns NULL on out of
 * memory; every function below takes NULL and then does nothing, so a command calls them
 * the same whether progress is shown or not. At most one progress at a time. */
progress *progress_start(const progress_config *cfg);

/* Counts done items, kept items and capacity units (< 0: the reply did not say). Any
 * thread. */
void progress_add(progress *p, long done, long kept, double capacity);

/* A new expected total (an estimate that improves as the work goes on; shown with "~"
 * unless the config said total_exact). Any thread. */
void progress_set_total(progress *p, long total);

/* The status line now, drawn over the last one ("\r", the line, clear to end of line). The
 * reporter calls it; tests without a reporter call it by hand. */
void progress_draw(progress *p);

/* How a progress ends: what becomes of its status line. */
typedef enum progress_ending {
	PROGRESS_DONE,      /* the summary line replaces it */
	PROGRESS_FAILED,    /* it is ended with a newline, so the error printed next starts on
			       its own line; no summary */
	PROGRESS_CLEARED,   /* it is erased: another step, with its own progress, follows */
} progress_ending;

/* Stops the reporter, restores the signal handlers, ends the status line as `how` says and
 * frees p. */
void progress_end(progress *p, progress_ending how);

#endif

/* follow.c — waiting for stacks and following their events (see follow.h). Events come
 * newest first from DescribeStackEvents; each poll asks only for those after the last one
 * seen, prints them oldest first and keeps a bounded copy for the failure summary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "follow.h"
#include "jsonl.h"
#include "aws_time.h"

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return def;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		ctl_errorf("%s=\"%.32s\" is not a number from %ld to %ld — using %ld", name, v, min,
			   max, def);
		return def;
	}
	return n;
}

long follow_poll_ms(void)
{
	return env_long("SHOWTABLE_POLL_MS", 5000, 1, 600000);
}

long follow_wait_s(void)
{
	return env_long("SHOWTABLE_WAIT_S", 7200, 1, 86400);
}

char *follow_last_event_id(aws_client *c, const char *stack)
{
	cfn_event *ev = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	char *id = NULL;
	if (cfn_events_since(c, stack, NULL, 1, &ev, &n, &err) == 0 && n > 0 && ev[0].id)
		id = strdup(ev[0].id);
	cfn_events_free(ev, n);
	return id;
}

static const char *hms(const char *ts)
{
	/* "2026-11-27T04:00:00.123Z" → "04:00:00" (kept as is when shorter). */
	static __thread char buf[16];
	if (ts && strlen(ts) >= 19 && ts[10] == 'T') {
		memcpy(buf, ts + 11, 8);
		buf[8] = '\0';
		return buf;
	}
	return ts ? ts : "";
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void print_event(const cfn_event *e, int tty, const char *stack)
{
	if (jsonl_on())
		jsonl_emit("event", stack, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "time",
						     e->timestamp, "resource", e->logical_id,
						     "resource_type", e->type, "status", e->status,
						     "reason", e->reason, "physical_id", e->physical_id));
	if (tty)
		fputs("\r\033[K", stdout);
	const char *reason = e->reason && *e->reason ? e->reason : NULL;
	printf("%s  %-32s %-40s %s%s%s\n", hms(e->timestamp), e->logical_id ? e->logical_id : "",
	       e->type ? e->type : "", e->status ? e->status : "", reason ? "  " : "",
	       reason ? reason : "");
}

static void summarize_failure(const cfn_event *ev, size_t n, const char *status,
			      const char *cause)
{
	const cfn_event *root = cfn_root_cause(ev, n);
	if (cause)
		printf("\nwhy: %s\n", cause);
	if (root) {
		printf("\nroot cause: %s (%s): %s\n", root->logical_id ? root->logical_id : "?",
		       root->type ? root->type : "?", root->reason);
		int more = 0;
		for (size_t i = 0; i < n && more < 5; i++) {
			const cfn_event *e = &ev[i];
			if (e == root || !ends_with(e->status, "_FAILED") || cfn_reason_is_cascade(e->reason))
				continue;
			if (more++ == 0)
				printf("also failed:\n");
			printf("  %s (%s): %s\n", e->logical_id ? e->logical_id : "?", e->type ? e->type : "?",
			       e->reason ? e->reason : "");
		}
	} else if (cause == NULL) {
		printf("\nno resource reported a failure reason; see the stack's events in the console\n");
	}
	if (strcmp(status, "ROLLBACK_COMPLETE") == 0)
		printf("rollback: complete — the stack's resources were deleted; the empty stack stays in "
		       "ROLLBACK_COMPLETE and the next deploy offers to delete and recreate it\n");
	else if (strcmp(status, "UPDATE_ROLLBACK_COMPLETE") == 0)
		printf("rollback: complete — the stack is back to its previous version\n");
	else if (strstr(status, "ROLLBACK_FAILED"))
		printf("rollback: FAILED (%s) — fix the cause above, then continue the rollback with "
		       "`showtablectl rollback STACK` (--skip RESOURCE for one that cannot be fixed) "
		       "or delete the stack\n", status);
	else
		printf("final state: %s\n", status);
}

void follow_log_free(follow_log *log)
{
	if (log == NULL)
		return;
	cfn_events_free(log->ev, log->n);
	log->ev = NULL;
	log->n = 0;
}

follow_result follow_stack(aws_client *c, const char *stack_id, const char *stack_name,
			   const char *last_id, size_t ntotal, const char *done_status,
			   cfn_stack *final, follow_log *log)
{
	return follow_stack_hooked(c, stack_id, stack_name, last_id, ntotal, done_status, final,
				   log, NULL);
}

/* One follow's state across its polls. */
typedef struct follow_state {
	int tty;
	time_t start;
	char *last;          /* the newest event id seen: the next poll starts after it */
	cfn_event *keep;     /* every event so far (up to FOLLOW_KEEP), oldest first */
	size_t nkeep;
	size_t done;         /* resources that reached *_COMPLETE */
	int started;         /* the operation has shown itself (an event, or a busy status) */
} follow_state;

/* The events since fs->last: each printed and kept (oldest first). -1 after printing the
 * error. */
static int poll_events(aws_client *c, const char *stack_id, const char *stack_name,
		       follow_state *fs)
{
	cfn_event *ev = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_events_since(c, stack_id, fs->last, 10000, &ev, &n, &err) != 0) {
		ctl_aws_error(stack_name, &err);
		return -1;
	}
	if (n > 0 && ev[0].id) {
		char *cp = strdup(ev[0].id);   /* the newest: the next poll starts after it */
		if (cp) {
			free(fs->last);
			fs->last = cp;
		}
	}
	/* newest first: print and keep oldest first */
	for (size_t i = n; i-- > 0;) {
		print_event(&ev[i], fs->tty, stack_name);
		int is_stack = ev[i].type && strcmp(ev[i].type, "AWS::CloudFormation::Stack") == 0 &&
			       ev[i].logical_id && strcmp(ev[i].logical_id, stack_name) == 0;
		if (!is_stack && ends_with(ev[i].status, "_COMPLETE"))
			fs->done++;
		if (fs->nkeep < FOLLOW_KEEP) {
			cfn_event *slot = aws_buf_array_push(&fs->keep, &fs->nkeep, sizeof *fs->keep);
			if (slot) {
				*slot = ev[i];
				memset(&ev[i], 0, sizeof ev[i]);
			}
		}
	}
	cfn_events_free(ev, n);
	if (n > 0)
		fs->started = 1;
	return 0;
}

/* The in-place counter on a terminal. */
static void show_progress(const follow_state *fs, const char *status, size_t ntotal)
{
	if (!fs->tty)
		return;
	long secs = (long)(time(NULL) - fs->start);
	if (ntotal)
		printf("\r\033[K  %s: %zu/%zu resources done, %lds", status,
		       fs->done > ntotal ? ntotal : fs->done, ntotal, secs);
	else
		printf("\r\033[K  %s: %zu resources done, %lds", status, fs->done, secs);
}

/* The stack's status into final (DELETE_COMPLETE once it is gone). 1 while the operation
 * runs, 0 once it has settled, -1 on error (printed). */
static int poll_status(aws_client *c, const char *stack_id, follow_state *fs, cfn_stack *final)
{
	cfn_stack_free(final);
	int ex = stk_describe(c, stack_id, final);
	if (ex < 0)
		return -1;
	if (ex == 0 && !(final->status = strdup("DELETE_COMPLETE")))
		return -1;
	int busy = cfn_status_in_progress(final->status);
	fs->started |= busy;
	/* The operation is asynchronous: right after Execute/Delete the stack can still
	 * show its previous, settled state. It is done only once it has moved. */
	if (!busy && (fs->started || ex == 0 || strcmp(final->status, "DELETE_COMPLETE") == 0))
		return 0;
	return 1;
}

follow_result follow_stack_hooked(aws_client *c, const char *stack_id, const char *stack_name,
				  const char *last_id, size_t ntotal, const char *done_status,
				  cfn_stack *final, follow_log *log, const follow_hook *hook)
{
	long poll = follow_poll_ms();
	time_t limit = follow_wait_s();
	follow_state fs = {.tty = isatty(STDOUT_FILENO), .start = time(NULL),
			   .last = last_id ? strdup(last_id) : NULL};
	follow_result rc = FOLLOW_ERROR;
	int settled = 0;
	memset(final, 0, sizeof *final);
	for (;;) {
		size_t kept_before = fs.nkeep;
		if (poll_events(c, stack_id, stack_name, &fs) != 0 || settled)
			break;
		int busy = poll_status(c, stack_id, &fs, final);
		if (busy < 0)
			break;
		if (hook && hook->poll && cfn_status_in_progress(final->status))
			hook->poll(hook->arg, fs.keep ? fs.keep + kept_before : NULL,
				   fs.nkeep - kept_before, final->status);
		if (!busy) {
			settled = 1;   /* one more round of events: the last ones may be new */
			continue;
		}
		if (time(NULL) - fs.start > limit) {
			if (fs.tty)
				fputs("\r\033[K", stdout);
			ctl_errorf("%s is still %s after %ld s — stopped waiting; it carries on in "
				   "CloudFormation (`showtablectl status` shows where it is)", stack_name,
				   final->status, (long)limit);
			break;
		}
		show_progress(&fs, final->status, ntotal);
		fflush(stdout);
		aws_sleep_ms(poll);
	}
	if (fs.tty)
		fputs("\r\033[K", stdout);
	if (settled) {
		const char *s = final->status;
		if (done_status ? strcmp(s, done_status) == 0
				: ends_with(s, "_COMPLETE") && !strstr(s, "ROLLBACK")) {
			rc = FOLLOW_DONE;
		} else {
			rc = FOLLOW_FAILED;
			summarize_failure(fs.keep, fs.nkeep, s,
					  hook && hook->cause ? hook->cause(hook->arg) : NULL);
		}
	}
	fflush(stdout);
	if (log) {
		log->ev = fs.keep;
		log->n = fs.nkeep;
	} else {
		cfn_events_free(fs.keep, fs.nkeep);
	}
	free(fs.last);
	return rc;
}

int follow_wait_settled(aws_client *c, const char *stack, cfn_stack *out)
{
	time_t start = time(NULL), limit = follow_wait_s();
	int said = 0;
	for (;;) {
		int ex = stk_describe(c, stack, out);
		if (ex <= 0 || !cfn_status_in_progress(out->status))
			return ex;
		if (!said) {
			printf("%s is %s: another operation is running on it; waiting for it to finish\n",
			       stack, out->status);
			fflush(stdout);
			said = 1;
		}
		if (time(NULL) - start > limit) {
			ctl_errorf("%s is still %s after %ld s — try again later", stack, out->status,
				   (long)limit);
			cfn_stack_free(out);
			return -1;
		}
		cfn_stack_free(out);
		aws_sleep_ms(follow_poll_ms());
	}
}

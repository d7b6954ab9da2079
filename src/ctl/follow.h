/* follow.h — waiting for a stack and following its events until it settles: one line
 * per event, an in-place counter on a terminal, and on failure the root cause rather than
 * the cascade. Poll interval: SHOWTABLE_POLL_MS (default 5000); longest wait:
 * SHOWTABLE_WAIT_S (default 7200).
 */
#ifndef FOLLOW_H
#define FOLLOW_H

#include <stddef.h>
#include "cfn.h"
#include "stack.h"

/* The poll interval and the longest wait, from the environment (ranges checked); the
 * waits themselves are aws_sleep_ms (aws_time.h). */
long follow_poll_ms(void);
long follow_wait_s(void);

/* The newest event's id (malloc'd, caller frees) or NULL when the stack has none or on
 * error: where following starts, so only the events of the next operation are shown. */
char *follow_last_event_id(aws_client *c, const char *stack);

typedef enum follow_result {
	FOLLOW_DONE,     /* settled where it should (see follow_stack) */
	FOLLOW_FAILED,   /* settled otherwise; the root cause was printed */
	FOLLOW_ERROR,    /* an AWS error, or the wait timed out (printed) */
} follow_result;

/* The events a follow saw, oldest first (the first FOLLOW_KEEP of them); owned here, free
 * with follow_log_free. */
#define FOLLOW_KEEP 2000
typedef struct follow_log {
	cfn_event *ev;
	size_t n;
} follow_log;
void follow_log_free(follow_log *log);

/* Follows stack (use its id: a deleted stack is only found by id) from the event after
 * last_id: prints one line per new event, an in-place counter on a terminal (total
 * resources: ntotal, 0 = unknown), until the stack leaves *_IN_PROGRESS. *final receives
 * the last DescribeStacks (status "DELETE_COMPLETE" when gone); free it with
 * cfn_stack_free whatever the result. It is FOLLOW_DONE when the stack settles in
 * done_status, or with done_status NULL in a *_COMPLETE state that is not a rollback. log
 * (NULL when not wanted) receives the events. */
follow_result follow_stack(aws_client *c, const char *stack_id, const char *stack_name,
			   const char *last_id, size_t ntotal, const char *done_status,
			   cfn_stack *final, follow_log *log);

/* What a follow calls after each poll, for a caller that watches more than the stack
 * (watch.h: the ECS service's new deployment). poll gets the events new in this poll
 * (oldest first, borrowed for the call) and the stack's status; cause, when set, gives
 * what the caller learned about a failure (or NULL), printed with the root cause. */
typedef struct follow_hook {
	void (*poll)(void *arg, const cfn_event *ev, size_t n, const char *status);
	const char *(*cause)(void *arg);
	void *arg;
} follow_hook;

/* follow_stack with a hook (NULL: none). */
follow_result follow_stack_hooked(aws_client *c, const char *stack_id, const char *stack_name,
				  const char *last_id, size_t ntotal, const char *done_status,
				  cfn_stack *final, follow_log *log, const follow_hook *hook);

/* Waits while the stack is *_IN_PROGRESS (printing why), then describes it into *out.
 * Returns as stk_describe: 1 exists, 0 does not, -1 error (printed). */
int follow_wait_settled(aws_client *c, const char *stack, cfn_stack *out);

#endif

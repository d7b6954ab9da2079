/* watch.h — watching an ECS service's new deployment while CloudFormation waits on it, so a
 * deploy whose tasks cannot run fails in minutes with the reason on screen, not after the
 * deployment circuit breaker's retries.
 *
 * Plugged into follow_stack_hooked as its hook. Once the stack's events show an
 * AWS::ECS::Service being created or updated, each poll reads: the service's deployment
 * started by this operation (DescribeServices: rolloutState, the service's events), its
 * stopped tasks (ListTasks desiredStatus STOPPED of the service, DescribeTasks: those
 * startedBy that deployment: stopCode, stoppedReason, each container's exitCode, reason and
 * health), the last lines of each stopped task's log stream (DescribeTaskDefinition's
 * awslogs options name it: prefix/container/task-id; CloudWatch Logs GetLogEvents) and,
 * behind the load balancer, the targets' health (ELBv2 DescribeTargetHealth; behind the
 * HTTP API there is no target group and the container health check is the signal). Each
 * stop is printed as it is seen. After max_failed stops (0 = leave it to ECS) it ends the
 * operation: CancelUpdateStack for an update (CloudFormation rolls back to the previous
 * task definition), DeleteStack for a create (CloudFormation stops creating the stack and
 * deletes what it made) — the only ways the CloudFormation API offers — and says so.
 * A read that fails is printed once and the watch goes on: the stack's own events still
 * tell the end.
 */
#ifndef WATCH_H
#define WATCH_H

#include "aws_client.h"
#include "follow.h"

typedef struct watch watch;

/* A watcher for the operation on stack_id (called stack_name in its events); max_failed
 * stopped tasks end the operation, 0 never. The strings are copied. NULL when out of
 * memory. Free with watch_free. */
watch *watch_new(aws_client *c, const char *stack_id, const char *stack_name, long max_failed);
void watch_free(watch *w);

/* The hook to give follow_stack_hooked; w must outlive the follow. */
follow_hook watch_hook(watch *w);

typedef enum watch_action {
	WATCH_LEFT_ALONE,   /* the operation ran its course */
	WATCH_CANCELLED,    /* CancelUpdateStack was called */
	WATCH_DELETED,      /* DeleteStack was called on the stack under creation */
} watch_action;

/* What the watcher did, and (stopped, may be NULL) how many tasks of the new deployment it
 * saw stop. */
watch_action watch_result(const watch *w, long *stopped);
/* Why the new deployment's tasks stop (the first stop's reason), or NULL when none did.
 * Owned by w. */
const char *watch_cause(const watch *w);

/* The line a stopped task is summed up in, from a DescribeTasks response (JSON text; its
 * first task): the stop reason (or stop code), then per container its exit code, its
 * reason when it says more, and a failed health check — "Essential container in task
 * exited (web: exit 1)". Into buf, which it returns ("" when there is no task). */
const char *watch_stop_reason(const char *json, size_t json_len, char *buf, size_t len);

#endif

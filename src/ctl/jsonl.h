/* jsonl.h — `--json`: one JSON object per line on standard output, for scripts and CI.
 *
 * With --json, standard output carries only these lines and the human output goes to
 * standard error, unchanged. Each object has "type" and "stack" (when it concerns one);
 * the field names below are stable across versions (new fields may be added, none renamed);
 * a field without a value is left out:
 *   event      time, resource, resource_type, status, reason, physical_id
 *   change     action, resource, resource_type, physical_id, replacement, details[]
 *              (property, attribute, before, after, recreation, evaluation, cause)
 *   parameter  key, value, previous (the deployed value, when it differs), ssm_value,
 *              ssm_previous (SSM-typed parameters: what the name resolves to, now and then)
 *   timeline   total_seconds, resources[] (resource, resource_type, seconds, status)
 *   task_stop  task, deployment, stop_code, reason, seconds (after the deployment began),
 *              log_lines[] (deploy: a stopped task of the new ECS deployment)
 *   watch      action (cancel_update | delete_stack | none), stopped_tasks,
 *              max_failed_tasks, status (deploy: --max-failed-tasks was reached)
 *   drift      drift (IN_SYNC | DRIFTED | …), resources[] (resource, resource_type,
 *              physical_id, status, differences[] (path, expected, actual, kind))
 *   output     key, value
 *   stack      status, reason, updated (status)
 *   result     command, outcome (ok | no_changes | changes | failed | declined), status
 */
#ifndef JSONL_H
#define JSONL_H

#include <jansson.h>
#include "ctl.h"

/* Turns JSON lines on: standard output is kept for them and what the program prints to
 * stdout from now on goes to standard error. 0, or -1 after printing why. */
int jsonl_start(void);
/* 1 when --json is on. */
int jsonl_on(void);
/* Writes obj (with "type": type and "stack": stack when not NULL) as one line, then frees
 * obj; does nothing but free it when --json is off. NULL obj (a failed json_pack) is
 * ignored. */
void jsonl_emit(const char *type, const char *stack, json_t *obj);
/* The result line of a command on one stack; outcome NULL = the name of rc. */
void jsonl_result(const char *command, const char *stack, ctl_outcome rc, const char *outcome,
		  const char *status);

#endif

/* watch.c — the ECS service's new deployment, watched while CloudFormation waits on it
 * (see watch.h).
 *
 * The deployment is told apart from the previous one without a clock of ours: it is the
 * service's PRIMARY deployment created at or after the operation's first stack event (both
 * AWS clocks), and once found it is held by id, so the deployments a rollback starts are
 * never taken for it. Its tasks carry its id in startedBy; ListTasks cannot filter on it
 * together with desiredStatus (startedBy must be the only filter), so the service's stopped
 * tasks are listed and DescribeTasks tells which are its. A task is reported once it is
 * STOPPED (exit codes and its log are complete by then) and remembered by ARN, so each is
 * described and printed once. ECS and Logs speak JSON 1.1, ELBv2 the Query protocol.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "cfn.h"
#include "ctl.h"
#include "jsonl.h"
#include "elb.h"
#include "timeline.h"
#include "watch.h"

#define WATCH_LOG_LINES 10      /* the last lines of a stopped task's log */
#define WATCH_EVENTS_PER_POLL 10
#define WATCH_SEEN_MAX 4096     /* task ARNs and target reasons remembered */

typedef struct strset {
	char **s;
	size_t n;
} strset;

struct watch {
	aws_client *c;
	char *stack_id, *stack_name;
	long max_failed;
	long long t0_ms;            /* the operation's first stack event; -1 until seen */
	char *service_arn;          /* from the service's *_IN_PROGRESS event */
	char *cluster, *service_name, *target_group;
	int resources_read;         /* DescribeStackResources was asked (once per service) */
	int service_settled;        /* its *_COMPLETE or *_FAILED event came */
	char *deployment;           /* the new deployment's id, once found */
	double dep_created;         /* its createdAt, epoch seconds */
	double events_after;        /* service events printed up to this createdAt */
	int rollout_failed_said;
	strset tasks_seen;          /* stopped tasks handled (ours or not) */
	strset targets_said;        /* "id:port reason" of unhealthy targets printed */
	strset errors_said;         /* reads that failed, each printed once */
	json_t *taskdef;            /* the last DescribeTaskDefinition's taskDefinition */
	long stopped;
	char *cause;
	watch_action action;
	int acted;                  /* max_failed reached and handled (acted or could not) */
};

static int strset_has(const strset *set, const char *s)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->s[i], s) == 0)
			return 1;
	return 0;
}

/* Adds s; 0, or -1 when full or out of memory (the caller then just forgets it). */
static int strset_add(strset *set, const char *s)
{
	if (set->n >= WATCH_SEEN_MAX)
		return -1;
	char *cp = strdup(s);
	char **slot = cp ? aws_buf_array_push(&set->s, &set->n, sizeof *set->s) : NULL;
	if (slot == NULL) {
		free(cp);
		return -1;
	}
	*slot = cp;
	return 0;
}

static void strset_free(strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->s[i]);
	free(set->s);
	set->s = NULL;
	set->n = 0;
}

/* One line of the watcher's output, above the follow's in-place counter on a terminal. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	if (isatty(STDOUT_FILENO))
		fputs("\r\033[K", stdout);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* A failed read, printed once per operation and kind: the stack's events go on regardless. */
static void read_failed(watch *w, const char *what, const aws_error *err)
{
	if (strset_has(&w->errors_said, what))
		return;
	strset_add(&w->errors_said, what);
	char buf[600];
	say("  watch: %s failed (%s) — following the stack's events only", what,
	    aws_error_str(err, buf, sizeof buf));
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *after_last(const char *s, int ch)
{
	const char *p = s ? strrchr(s, ch) : NULL;
	return p ? p + 1 : s;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

/* The service being created or updated, from the events; a new one (replaced) starts over. */
static void take_events(watch *w, const cfn_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const cfn_event *e = &ev[i];
		if (w->t0_ms < 0 && e->type && strcmp(e->type, "AWS::CloudFormation::Stack") == 0 &&
		    e->logical_id && strcmp(e->logical_id, w->stack_name) == 0)
			w->t0_ms = timeline_parse_time(e->timestamp);
		if (e->type == NULL || strcmp(e->type, "AWS::ECS::Service") != 0)
			continue;
		const char *arn = e->physical_id;
		int is_arn = arn && strncmp(arn, "arn:", 4) == 0 && strstr(arn, ":service/");
		if (ends_with(e->status, "_IN_PROGRESS") && is_arn &&
		    (w->service_arn == NULL || strcmp(w->service_arn, arn) != 0)) {
			set_str(&w->service_arn, arn);
			set_str(&w->service_name, after_last(arn, '/'));
			set_str(&w->deployment, NULL);
			w->service_settled = 0;
			w->resources_read = 0;
			/* arn:…:service/<cluster>/<name>; the old form without the cluster is
			 * completed from the stack's resources */
			const char *path = strstr(arn, ":service/") + strlen(":service/");
			const char *slash = strchr(path, '/');
			free(w->cluster);
			w->cluster = slash ? strndup(path, (size_t)(slash - path)) : NULL;
		} else if (w->service_arn && arn && strcmp(arn, w->service_arn) == 0 &&
			   (ends_with(e->status, "_COMPLETE") || ends_with(e->status, "_FAILED"))) {
			w->service_settled = 1;
		}
	}
}

/* The cluster (when the service ARN does not name it) and the target group, once. */
static void read_resources(watch *w)
{
	cfn_resource *r = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_describe_resources(w->c, w->stack_id, &r, &n, &err) != 0) {
		read_failed(w, "CloudFormation DescribeStackResources", &err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (r[i].type == NULL || r[i].physical_id == NULL || *r[i].physical_id == '\0')
			continue;
		if (w->cluster == NULL && strcmp(r[i].type, "AWS::ECS::Cluster") == 0)
			w->cluster = strdup(r[i].physical_id);
		if (w->target_group == NULL &&
		    strcmp(r[i].type, "AWS::ElasticLoadBalancingV2::TargetGroup") == 0)
			w->target_group = strdup(r[i].physical_id);
	}
	cfn_resources_free(r, n);
}

/* DescribeServices: finds (then follows) the new deployment and prints the service's events
 * since it began. */
static void read_service(watch *w)
{
	aws_error err;
	aws_error_clear(&err);
	json_t *resp = ctl_json_call(w->c, &AWS_SERVICE_ECS, "DescribeServices",
			       json_pack("{s:s, s:[s]}", "cluster", w->cluster, "services",
					 w->service_arn), &err);
	if (resp == NULL) {
		read_failed(w, "ECS DescribeServices", &err);
		return;
	}
	json_t *svc = json_array_get(json_object_get(resp, "services"), 0);
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(svc, "deployments"), i, d) {
		const char *id = jstr(d, "id");
		double created = json_number_value(json_object_get(d, "createdAt"));
		if (id == NULL)
			continue;
		/* createdAt is epoch seconds as a JSON number; t0_ms (epoch ms, far below 2^53) is
		 * exact as a double */
		if (w->deployment == NULL && w->t0_ms >= 0 && jstr(d, "status") &&
		    strcmp(jstr(d, "status"), "PRIMARY") == 0 &&
		    created * 1000 >= (double)(w->t0_ms - 2000)) {
			const char *td = after_last(jstr(d, "taskDefinition"), '/');
			w->deployment = strdup(id);
			w->dep_created = created;
			w->events_after = created - 1;
			say("  ecs: new deployment %s (%s): watching its tasks", id, td ? td : "?");
		}
		if (w->deployment && strcmp(id, w->deployment) == 0 && !w->rollout_failed_said &&
		    jstr(d, "rolloutState") && strcmp(jstr(d, "rolloutState"), "FAILED") == 0) {
			w->rollout_failed_said = 1;
			say("  ecs: deployment %s FAILED: %s", id,
			    jstr(d, "rolloutStateReason") ? jstr(d, "rolloutStateReason") : "(no reason given)");
		}
	}
	if (w->deployment) {
		/* newest first: print the new ones oldest first */
		json_t *evs = json_object_get(svc, "events");
		size_t n = json_array_size(evs), shown = 0;
		double newest = w->events_after;
		for (size_t k = n; k-- > 0;) {
			json_t *e = json_array_get(evs, k);
			double at = json_number_value(json_object_get(e, "createdAt"));
			if (at <= w->events_after || at < w->dep_created - 1 || jstr(e, "message") == NULL)
				continue;
			if (at > newest)
				newest = at;
			if (shown++ < WATCH_EVENTS_PER_POLL)
				say("  ecs: %s", jstr(e, "message"));
		}
		w->events_after = newest;
	}
	json_decref(resp);
}

/* The awslogs group and stream prefix of container `name` in the task definition (borrowed
 * from w->taskdef), read once per task definition. 0, or -1 when it has none. */
static int log_config(watch *w, const char *taskdef_arn, const char *name, const char **group,
		      const char **prefix)
{
	if (taskdef_arn == NULL)
		return -1;
	if (w->taskdef == NULL || jstr(w->taskdef, "taskDefinitionArn") == NULL ||
	    strcmp(jstr(w->taskdef, "taskDefinitionArn"), taskdef_arn) != 0) {
		aws_error err;
		aws_error_clear(&err);
		json_t *resp = ctl_json_call(w->c, &AWS_SERVICE_ECS, "DescribeTaskDefinition",
				       json_pack("{s:s}", "taskDefinition", taskdef_arn), &err);
		if (resp == NULL) {
			read_failed(w, "ECS DescribeTaskDefinition", &err);
			return -1;
		}
		json_decref(w->taskdef);
		w->taskdef = json_incref(json_object_get(resp, "taskDefinition"));
		json_decref(resp);
	}
	size_t i;
	json_t *cd;
	json_array_foreach(json_object_get(w->taskdef, "containerDefinitions"), i, cd) {
		if (jstr(cd, "name") == NULL || strcmp(jstr(cd, "name"), name) != 0)
			continue;
		json_t *lc = json_object_get(cd, "logConfiguration");
		json_t *opt = json_object_get(lc, "options");
		if (jstr(lc, "logDriver") == NULL || strcmp(jstr(lc, "logDriver"), "awslogs") != 0)
			return -1;
		*group = jstr(opt, "awslogs-group");
		*prefix = jstr(opt, "awslogs-stream-prefix");
		return *group && *prefix ? 0 : -1;
	}
	return -1;
}

/* The last lines of container `name`'s log stream in the stopped task; each line is also
 * appended to lines (for --json). */
static void print_last_lines(watch *w, const json_t *task, const char *name, json_t *lines)
{
	const char *group, *prefix;
	const char *task_id = after_last(jstr(task, "taskArn"), '/');
	if (log_config(w, jstr(task, "taskDefinitionArn"), name, &group, &prefix) != 0) {
		say("    (%s does not log to CloudWatch Logs: no lines to show)", name);
		return;
	}
	char stream[768];
	snprintf(stream, sizeof stream, "%s/%s/%s", prefix, name, task_id ? task_id : "");
	aws_error err;
	aws_error_clear(&err);
	json_t *resp = ctl_json_call(w->c, &AWS_SERVICE_LOGS, "GetLogEvents",
			       json_pack("{s:s, s:s, s:i, s:b}", "logGroupName", group, "logStreamName",
					 stream, "limit", WATCH_LOG_LINES, "startFromHead", 0), &err);
	if (resp == NULL) {
		if (err.kind == AWS_ERR_SERVICE && strcmp(err.type, "ResourceNotFoundException") == 0)
			say("    (no log stream %s in %s: the container wrote nothing)", stream, group);
		else
			read_failed(w, "CloudWatch Logs GetLogEvents", &err);
		return;
	}
	json_t *evs = json_object_get(resp, "events");
	if (json_array_size(evs) == 0)
		say("    (log stream %s is empty)", stream);
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e) {
		const char *m = jstr(e, "message");
		if (m == NULL)
			continue;
		int len = (int)strcspn(m, "\n");
		say("    | %.*s", len, m);
		json_array_append_new(lines, json_stringn(m, (size_t)len));
	}
	json_decref(resp);
}

/* "Essential container in task exited (web: exit 1)" and the like, into buf; a container's
 * reason that only repeats the task's is left out. */
static const char *stop_reason(const json_t *task, char *buf, size_t len)
{
	const char *why = jstr(task, "stoppedReason");
	const char *code_only = jstr(task, "stopCode");
	size_t at = (size_t)snprintf(buf, len, "%s",
				     why ? why : code_only ? code_only : "no reason given");
	size_t i;
	json_t *ct;
	json_array_foreach(json_object_get(task, "containers"), i, ct) {
		const char *name = jstr(ct, "name");
		json_t *code = json_object_get(ct, "exitCode");
		const char *reason = jstr(ct, "reason");
		const char *health = jstr(ct, "healthStatus");
		if (reason && why && strcmp(reason, why) == 0)
			reason = NULL;
		int unhealthy = health && strcmp(health, "UNHEALTHY") == 0;
		if (!json_is_integer(code) && reason == NULL && !unhealthy)
			continue;
		if (at >= len)
			break;
		at += (size_t)snprintf(buf + at, len - at, " (%s:", name ? name : "?");
		if (at < len && json_is_integer(code))
			at += (size_t)snprintf(buf + at, len - at, " exit %lld",
					       (long long)json_integer_value(code));
		if (at < len && reason)
			at += (size_t)snprintf(buf + at, len - at, "%s%s",
					       json_is_integer(code) ? ", " : " ", reason);
		if (at < len && unhealthy)
			at += (size_t)snprintf(buf + at, len - at, "%shealth check UNHEALTHY",
					       json_is_integer(code) || reason ? ", " : " ");
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, ")");
	}
	return buf;
}

const char *watch_stop_reason(const char *json, size_t json_len, char *buf, size_t len)
{
	json_t *resp = json_loadb(json, json_len, 0, NULL);
	json_t *task = json_array_get(json_object_get(resp, "tasks"), 0);
	if (len)
		buf[0] = '\0';
	if (json_is_object(task) && len)
		stop_reason(task, buf, len);
	json_decref(resp);
	return buf;
}

/* One stopped task of the new deployment: its reason, then each container's last lines. */
static void report_stop(watch *w, const json_t *task)
{
	char why[1024];
	stop_reason(task, why, sizeof why);
	double stopped_at = json_number_value(json_object_get(task, "stoppedAt"));
	char after[64] = "";
	if (stopped_at > 0 && w->dep_created > 0 && stopped_at >= w->dep_created) {
		char d[32];
		snprintf(after, sizeof after, " %s after the deployment began",
			 timeline_duration((long long)((stopped_at - w->dep_created) * 1000), d, sizeof d));
	}
	w->stopped++;
	const char *id = after_last(jstr(task, "taskArn"), '/');
	say("  task %.8s… stopped%s: %s — last log lines:", id ? id : "?", after, why);
	if (w->cause == NULL) {
		size_t len = strlen(why) + 64;
		w->cause = malloc(len);
		if (w->cause)
			snprintf(w->cause, len, "the new deployment's tasks stop: %s", why);
	}
	json_t *lines = json_array();
	size_t i;
	json_t *ct;
	json_array_foreach(json_object_get(task, "containers"), i, ct)
		if (jstr(ct, "name") && i < 4)
			print_last_lines(w, task, jstr(ct, "name"), lines);
	json_t *line = json_pack("{s:s?, s:s?, s:s?, s:s, s:o}", "task", jstr(task, "taskArn"),
				 "deployment", w->deployment, "stop_code", jstr(task, "stopCode"),
				 "reason", why, "log_lines", lines ? json_incref(lines) : json_array());
	if (line && after[0])
		json_object_set_new(line, "seconds", json_real(stopped_at - w->dep_created));
	jsonl_emit("task_stop", w->stack_name, line);
	json_decref(lines);
}

/* The service's stopped tasks not seen before; those of the new deployment are reported. */
static void read_stopped_tasks(watch *w)
{
	aws_error err;
	aws_error_clear(&err);
	json_t *list = ctl_json_call(w->c, &AWS_SERVICE_ECS, "ListTasks",
			       json_pack("{s:s, s:s, s:s, s:i}", "cluster", w->cluster, "serviceName",
					 w->service_name, "desiredStatus", "STOPPED", "maxResults", 100),
			       &err);
	if (list == NULL) {
		read_failed(w, "ECS ListTasks", &err);
		return;
	}
	json_t *fresh = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(list, "taskArns"), i, a)
		if (json_is_string(a) && !strset_has(&w->tasks_seen, json_string_value(a)))
			json_array_append(fresh, a);
	json_decref(list);
	if (fresh == NULL || json_array_size(fresh) == 0) {
		json_decref(fresh);
		return;
	}
	json_t *desc = ctl_json_call(w->c, &AWS_SERVICE_ECS, "DescribeTasks",
			       json_pack("{s:s, s:o}", "cluster", w->cluster, "tasks", fresh), &err);
	if (desc == NULL) {
		read_failed(w, "ECS DescribeTasks", &err);
		return;
	}
	json_t *t;
	json_array_foreach(json_object_get(desc, "tasks"), i, t) {
		const char *arn = jstr(t, "taskArn"), *by = jstr(t, "startedBy");
		const char *last = jstr(t, "lastStatus");
		if (arn == NULL)
			continue;
		int ours = by && strcmp(by, w->deployment) == 0;
		if (ours && (last == NULL || strcmp(last, "STOPPED") != 0))
			continue;   /* still stopping: its exit code and log come later */
		strset_add(&w->tasks_seen, arn);
		if (ours)
			report_stop(w, t);
	}
	json_decref(desc);
}

/* Behind the load balancer: each unhealthy target with its reason, once per reason. */
static void read_target_health(watch *w)
{
	elb_target *t;
	size_t n;
	aws_error err;
	aws_error_clear(&err);
	if (elb_target_health(w->c, w->target_group, &t, &n, &err) != 0) {
		read_failed(w, "ELBv2 DescribeTargetHealth", &err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char key[900];
		if (strcmp(t[i].state, "unhealthy") != 0)
			continue;
		snprintf(key, sizeof key, "%s:%s %s", t[i].id, t[i].port, t[i].reason);
		if (strset_has(&w->targets_said, key))
			continue;
		strset_add(&w->targets_said, key);
		say("  target %s:%s unhealthy: %s%s%s", t[i].id, t[i].port,
		    *t[i].reason ? t[i].reason : "(no reason)", *t[i].description ? " — " : "",
		    t[i].description);
	}
	free(t);
}

/* max_failed stops: end the operation as the API allows for its kind, and say what was done. */
static void end_operation(watch *w, const char *status)
{
	w->acted = 1;
	const char *action = strcmp(status, "UPDATE_IN_PROGRESS") == 0 ? "cancel_update"
			   : strcmp(status, "CREATE_IN_PROGRESS") == 0 ? "delete_stack" : "none";
	jsonl_emit("watch", w->stack_name, json_pack("{s:s, s:I, s:I, s:s}", "action", action,
						     "stopped_tasks", (json_int_t)w->stopped,
						     "max_failed_tasks", (json_int_t)w->max_failed,
						     "status", status));
	aws_error err;
	aws_error_clear(&err);
	if (strcmp(status, "UPDATE_IN_PROGRESS") == 0) {
		say("%ld tasks of the new deployment stopped (--max-failed-tasks %ld): cancelling the "
		    "update (CancelUpdateStack) — CloudFormation rolls the stack back to its previous "
		    "task definition", w->stopped, w->max_failed);
		if (cfn_cancel_update_stack(w->c, w->stack_id, &err) != 0)
			ctl_aws_error("cancelling the update", &err);
		else
			w->action = WATCH_CANCELLED;
	} else if (strcmp(status, "CREATE_IN_PROGRESS") == 0) {
		say("%ld tasks of the new deployment stopped (--max-failed-tasks %ld): deleting the "
		    "stack under creation (DeleteStack) — CloudFormation stops creating it and deletes "
		    "what it made; deploy again once the cause above is fixed", w->stopped,
		    w->max_failed);
		if (cfn_delete_stack(w->c, w->stack_id, &err) != 0)
			ctl_aws_error("deleting the stack under creation", &err);
		else
			w->action = WATCH_DELETED;
	} else {
		say("%ld tasks of the new deployment stopped (--max-failed-tasks %ld), but the stack "
		    "is already %s: nothing to cancel", w->stopped, w->max_failed, status);
	}
}

static void watch_poll(void *arg, const cfn_event *ev, size_t n, const char *status)
{
	watch *w = arg;
	take_events(w, ev, n);
	if (w->service_arn == NULL || w->service_settled || w->acted ||
	    (strcmp(status, "CREATE_IN_PROGRESS") != 0 && strcmp(status, "UPDATE_IN_PROGRESS") != 0))
		return;
	if (!w->resources_read) {
		w->resources_read = 1;
		read_resources(w);
	}
	if (w->cluster == NULL)
		return;
	read_service(w);
	if (w->deployment == NULL)
		return;
	read_stopped_tasks(w);
	if (w->target_group)
		read_target_health(w);
	if (w->max_failed > 0 && w->stopped >= w->max_failed)
		end_operation(w, status);
}

static const char *hook_cause(void *arg)
{
	return watch_cause(arg);
}

watch *watch_new(aws_client *c, const char *stack_id, const char *stack_name, long max_failed)
{
	watch *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->c = c;
	w->max_failed = max_failed;
	w->t0_ms = -1;
	w->stack_id = strdup(stack_id);
	w->stack_name = strdup(stack_name);
	if (w->stack_id == NULL || w->stack_name == NULL) {
		watch_free(w);
		return NULL;
	}
	return w;
}

void watch_free(watch *w)
{
	if (w == NULL)
		return;
	free(w->stack_id);
	free(w->stack_name);
	free(w->service_arn);
	free(w->cluster);
	free(w->service_name);
	free(w->target_group);
	free(w->deployment);
	free(w->cause);
	strset_free(&w->tasks_seen);
	strset_free(&w->targets_said);
	strset_free(&w->errors_said);
	json_decref(w->taskdef);
	free(w);
}

follow_hook watch_hook(watch *w)
{
	follow_hook h = {watch_poll, hook_cause, w};
	return h;
}

watch_action watch_result(const watch *w, long *stopped)
{
	if (stopped)
		*stopped = w->stopped;
	return w->action;
}

const char *watch_cause(const watch *w)
{
	return w->cause;
}

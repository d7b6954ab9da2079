/* ctl_status.c — `showtablectl status` and `showtablectl outputs STACK`.
 *
 * status shows, per stack: its state and last change, the SSM parameters its template
 * writes and reads and whether each exists; for the container stack also the service's
 * tasks (ECS DescribeServices), each task's container health check (ECS ListTasks +
 * DescribeTasks: the only health there is behind the HTTP API front door), its targets'
 * health behind the ALB (ELBv2 DescribeTargetHealth) and the URL of either front door.
 * Everything is read-only, so it asks nothing and prints no account banner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "ctl_status.h"
#include "elb.h"
#include "jsonl.h"
#include "stack.h"
#include "templates.h"

static const char *resource_of(const cfn_resource *r, size_t n, const char *type)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].type && strcmp(r[i].type, type) == 0 && r[i].physical_id && *r[i].physical_id)
			return r[i].physical_id;
	return NULL;
}

/* An error that every further call of this run would repeat: no credentials, or the
 * program stopping. status reports it once and stops, instead of once per stack and
 * parameter. */
static int status_fatal(const aws_error *err)
{
	return err->kind == AWS_ERR_CREDENTIALS || err->kind == AWS_ERR_CANCELLED;
}

/* One line per parameter. Returns 0, 1 when some state is unknown, -1 after printing an
 * error that status_fatal says ends the run. */
static int print_ssm(aws_client *c, const char *verb, const tmpl_ssm *s, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		aws_error err;
		aws_error_clear(&err);
		int ex = stk_ssm_exists(c, s[i].name, &err);
		if (ex < 0 && status_fatal(&err)) {
			fflush(stdout);
			ctl_aws_error(s[i].name, &err);
			return -1;
		}
		const char *state = ex > 0 ? "exists" : ex == 0 ? "MISSING" : "unknown";
		printf("  %-6s %-40s %s", verb, s[i].name, state);
		if (ex < 0) {
			char buf[900];
			printf(" (%s)", aws_error_str(&err, buf, sizeof buf));
			rc = 1;
		}
		printf("\n");
	}
	return rc;
}

/* One ECS JSON call; the parsed answer or NULL after printing the error with context what
 * (NULL: "ECS <op>"). */
static json_t *ecs_call(aws_client *c, const char *op, json_t *req, const char *what)
{
	aws_error err;
	aws_error_clear(&err);
	json_t *resp = ctl_json_call(c, &AWS_SERVICE_ECS, op, req, &err);
	if (resp == NULL) {
		char ctx[64];
		snprintf(ctx, sizeof ctx, "ECS %s", op);
		ctl_aws_error(what ? what : ctx, &err);
	}
	return resp;
}

static int service_status(aws_client *c, const char *cluster, const char *service)
{
	json_t *resp = ecs_call(c, "DescribeServices",
				json_pack("{s:s, s:[s]}", "cluster", cluster, "services", service),
				"the service's tasks");
	if (resp == NULL)
		return 1;
	json_t *svc = json_array_get(json_object_get(resp, "services"), 0);
	if (!json_is_object(svc)) {
		printf("  service: not found in cluster %s\n", cluster);
		json_decref(resp);
		return 1;
	}
	json_t *dep = json_array_get(json_object_get(svc, "deployments"), 0);
	const char *rollout = json_string_value(json_object_get(dep, "rolloutState"));
	const char *status = json_string_value(json_object_get(svc, "status"));
	printf("  service: %lld/%lld tasks running, %lld pending, %s%s%s\n",
	       (long long)json_integer_value(json_object_get(svc, "runningCount")),
	       (long long)json_integer_value(json_object_get(svc, "desiredCount")),
	       (long long)json_integer_value(json_object_get(svc, "pendingCount")),
	       status ? status : "?", rollout ? ", rollout " : "", rollout ? rollout : "");
	json_decref(resp);
	return 0;
}

/* Each running task of the service with its container health check's verdict (HEALTHY,
 * UNHEALTHY, UNKNOWN while it starts): the first 100, which is more than MaxCapacity. */
static int task_health(aws_client *c, const char *cluster, const char *service)
{
	json_t *list = ecs_call(c, "ListTasks", json_pack("{s:s, s:s, s:i}", "cluster", cluster,
							  "serviceName", service, "maxResults", 100),
				NULL);
	if (list == NULL)
		return 1;
	json_t *arns = json_object_get(list, "taskArns");
	if (json_array_size(arns) == 0) {
		printf("  task:    none running\n");
		json_decref(list);
		return 0;
	}
	json_t *desc = ecs_call(c, "DescribeTasks",
				json_pack("{s:s, s:O}", "cluster", cluster, "tasks", arns), NULL);
	json_decref(list);
	if (desc == NULL)
		return 1;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(desc, "tasks"), i, t) {
		const char *arn = json_string_value(json_object_get(t, "taskArn"));
		const char *id = arn && strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
		const char *state = json_string_value(json_object_get(t, "lastStatus"));
		const char *health = json_string_value(json_object_get(t, "healthStatus"));
		printf("  task:    %s %s, health %s\n", id ? id : "?", state ? state : "?",
		       health ? health : "UNKNOWN");
	}
	json_decref(desc);
	return 0;
}

static int target_health(aws_client *c, const char *tg)
{
	elb_target *t;
	size_t n;
	aws_error err;
	aws_error_clear(&err);
	if (elb_target_health(c, tg, &t, &n, &err) != 0) {
		ctl_aws_error("the targets' health", &err);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		printf("  target:  %s:%s %s", t[i].id, t[i].port, t[i].state);
		if (*t[i].reason)
			printf(" (%s%s%s)", t[i].reason, *t[i].description ? ": " : "",
			       t[i].description);
		printf("\n");
	}
	if (n == 0)
		printf("  target:  none registered\n");
	free(t);
	return 0;
}

static const char *url_output(const cfn_stack *st)
{
	for (size_t i = 0; i < st->noutputs; i++)
		if (st->outputs[i].key && strcasestr(st->outputs[i].key, "url"))
			return st->outputs[i].value;
	return NULL;
}

/* Prints kind's stack. Returns 0, 1 when something failed or is unknown (printed), -1
 * after an error that ends the run (status_fatal). */
static int status_one(ctl_ctx *ctx, aws_client *c, const char *kind)
{
	char stack[256];
	stk_name(ctx, kind, stack, sizeof stack);
	tmpl_info info;
	if (templates_load(ctx, kind, NULL, &info) != 0)
		return 1;
	cfn_stack st;
	aws_error err;
	aws_error_clear(&err);
	int ex = cfn_describe_stack(c, stack, &st, &err);
	if (ex < 0) {
		fflush(stdout);
		ctl_aws_error(stack, &err);
		if (status_fatal(&err)) {
			tmpl_info_free(&info);
			return -1;
		}
	}
	int rc = ex < 0;
	if (ex == 1)
		printf("%-24s %-28s last change %s\n", stack, st.status,
		       st.updated ? st.updated : st.created ? st.created : "?");
	else if (ex == 0)
		printf("%-24s not deployed\n", stack);
	if (ex >= 0)
		jsonl_emit("stack", stack, json_pack("{s:s, s:s?, s:s?}", "status",
						     ex == 1 ? st.status : "NOT_DEPLOYED", "reason",
						     ex == 1 ? st.reason : NULL, "updated",
						     ex == 1 ? (st.updated ? st.updated : st.created)
							     : NULL));
	if (st.reason && ex == 1 && strstr(st.status, "FAILED"))
		printf("  reason: %s\n", st.reason);
	int w = print_ssm(c, "writes", info.writes, info.nwrites);
	int r = w < 0 ? -1 : print_ssm(c, "reads", info.reads, info.nreads);
	if (w < 0 || r < 0) {
		if (ex == 1)
			cfn_stack_free(&st);
		tmpl_info_free(&info);
		return -1;
	}
	rc |= w | r;
	if (ex == 1 && tmpl_find_param(&info, "Image")) {
		cfn_resource *res = NULL;
		size_t n = 0;
		aws_error_clear(&err);
		if (cfn_describe_resources(c, st.id, &res, &n, &err) != 0) {
			ctl_aws_error(stack, &err);
			rc = 1;
		} else {
			const char *cluster = resource_of(res, n, "AWS::ECS::Cluster");
			const char *svc = resource_of(res, n, "AWS::ECS::Service");
			const char *tg = resource_of(res, n, "AWS::ElasticLoadBalancingV2::TargetGroup");
			if (cluster && svc) {
				rc |= service_status(c, cluster, svc);
				rc |= task_health(c, cluster, svc);
			}
			if (tg)
				rc |= target_health(c, tg);
			cfn_resources_free(res, n);
		}
		const char *url = url_output(&st);
		if (url)
			printf("  url:     %s\n", url);
	}
	if (ex == 1)
		cfn_stack_free(&st);
	tmpl_info_free(&info);
	return rc;
}

ctl_outcome cmd_status(ctl_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		ctl_errorf("usage: status");
		return CTL_USAGE;
	}
	ctl_outcome ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	printf("region %s, parameter prefix %s\n", aws_client_region(c), ctx->param_prefix);
	int rc = 0;
	for (int k = 0; k < STK_NKINDS && rc >= 0; k++) {
		int one = status_one(ctx, c, stk_kinds[k]);
		rc = one < 0 ? -1 : rc | one;
	}
	fflush(stdout);
	return rc ? CTL_FAILED : CTL_OK;
}

ctl_outcome cmd_outputs(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc != 2) {
		ctl_errorf("usage: outputs vpc|table|container");
		return CTL_USAGE;
	}
	if (stk_kind_index(argv[1]) < 0)
		return CTL_USAGE;
	ctl_outcome ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	char stack[256];
	stk_name(ctx, argv[1], stack, sizeof stack);
	cfn_stack st;
	int ex = stk_describe(c, stack, &st);
	if (ex <= 0) {
		if (ex == 0)
			ctl_errorf("%s is not deployed — run `showtablectl deploy %s`", stack, argv[1]);
		return CTL_FAILED;
	}
	for (size_t i = 0; i < st.noutputs; i++) {
		printf("%s\t%s\n", st.outputs[i].key ? st.outputs[i].key : "",
		       st.outputs[i].value ? st.outputs[i].value : "");
		jsonl_emit("output", stack, json_pack("{s:s?, s:s?}", "key", st.outputs[i].key,
						      "value", st.outputs[i].value));
	}
	cfn_stack_free(&st);
	return CTL_OK;
}

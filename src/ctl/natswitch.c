/* natswitch.c — NatGateways switched under a running service (see natswitch.h).
 *
 * Read from what CloudFormation itself says, not from the template: the NAT mode from the
 * deployed and sent NatGateways, the routes the change set removes, and from the container
 * stack's DescribeStacks whether its ServiceSubnets parameter is the SSM name
 * <prefix>/subnets/service and what it resolved to (ResolvedValue) — the subnets the
 * service runs in now — compared with <prefix>/subnets/public.
 */
#include <stdio.h>
#include <string.h>
#include "aws_ssm.h"
#include "natswitch.h"
#include "stack.h"

static const char *stack_value(const cfn_stack *st, const char *key, int resolved)
{
	for (size_t i = 0; st && i < st->nparams; i++)
		if (st->params[i].key && strcmp(st->params[i].key, key) == 0)
			return resolved ? st->params[i].resolved : st->params[i].value;
	return NULL;
}

static const char *sent_value(const params *ps, const char *key)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0 && !ps->p[i].use_previous)
			return ps->p[i].value;
	return NULL;
}

static size_t routes_changed(const cfn_change_set *cs, const char *action)
{
	size_t n = 0;
	for (size_t i = 0; i < cs->nchanges; i++)
		if (cs->changes[i].type && strcmp(cs->changes[i].type, "AWS::EC2::Route") == 0 &&
		    cs->changes[i].action && strcmp(cs->changes[i].action, action) == 0)
			n++;
	return n;
}

ctl_outcome natswitch_check(ctl_ctx *ctx, aws_client *c, const cfn_stack *deployed,
			    const params *ps, const cfn_change_set *cs)
{
	const char *from = stack_value(deployed, "NatGateways", 0);
	const char *to = sent_value(ps, "NatGateways");
	if (from == NULL || to == NULL || strcmp(from, to) == 0 ||
	    (strcmp(from, "0") != 0 && strcmp(to, "0") != 0))
		return CTL_OK;
	char container[256], flags[512], service_subnets[512], public_subnets[512], public_ip[512];
	stk_name(ctx, "container", container, sizeof container);
	stk_env_flags(ctx, flags, sizeof flags);
	snprintf(service_subnets, sizeof service_subnets, "%s/subnets/service", ctx->param_prefix);
	snprintf(public_subnets, sizeof public_subnets, "%s/subnets/public", ctx->param_prefix);
	snprintf(public_ip, sizeof public_ip, "%s/service-public-ip", ctx->param_prefix);
	cfn_stack st;
	aws_error err;
	aws_error_clear(&err);
	int ex = cfn_describe_stack(c, container, &st, &err);
	if (ex < 0) {
		ctl_aws_error(container, &err);
		return CTL_FAILED;
	}
	int running = ex == 1 && strcmp(st.status, "REVIEW_IN_PROGRESS") != 0 &&
		      strcmp(st.status, "DELETE_COMPLETE") != 0;
	const char *reads = running ? stack_value(&st, "ServiceSubnets", 0) : NULL;
	if (reads == NULL || strcmp(reads, service_subnets) != 0) {
		if (ex == 1)
			cfn_stack_free(&st);
		return CTL_OK;   /* no service, or one that does not follow the vpc stack's subnets */
	}
	ctl_outcome rc = CTL_OK;
	if (strcmp(to, "0") != 0) {
		printf("\nNatGateways %s → %s: the NAT gateway%s and the private subnets' routes out come "
		       "first; %s keeps running in the public subnets until `showtablectl %sdeploy "
		       "container` moves it into the private ones (%s will name them).\n", from, to,
		       strcmp(to, "1") == 0 ? "" : "s", container, flags, service_subnets);
	} else if (routes_changed(cs, "Remove") > 0) {
		aws_ssm_parameter pub = {0};
		aws_error_clear(&err);
		if (aws_ssm_get_parameter(c, public_subnets, 0, &pub, &err) != 0) {
			ctl_aws_error(public_subnets, &err);
			rc = CTL_FAILED;
		} else {
			const char *now = stack_value(&st, "ServiceSubnets", 1);
			const char *ip = stack_value(&st, "ServicePublicIp", 1);
			int moved = now && pub.value && strcmp(now, pub.value) == 0 && ip &&
				    strcmp(ip, "ENABLED") == 0;
			if (!moved) {
				ctl_errorf("NatGateways %s → 0 removes the private subnets' routes out while "
					   "%s runs in them (%s = %s): its tasks would lose SSM, ECR and "
					   "CloudWatch Logs, and every new task, scale-out and rollback would "
					   "fail until the container stack is deployed again. Not deployed. "
					   "Move the service first, then remove the NAT:\n"
					   "  showtablectl %sparam put %s '%s' --type StringList --overwrite\n"
					   "  showtablectl %sparam put %s ENABLED --overwrite\n"
					   "  showtablectl %s--yes deploy container\n"
					   "  showtablectl %s--yes deploy --param NatGateways=0 vpc",
					   from, container, service_subnets, now ? now : "?", flags,
					   service_subnets, pub.value ? pub.value : "?", flags, public_ip,
					   flags, flags);
				rc = CTL_FAILED;
			} else {
				printf("\nNatGateways %s → 0: %s already runs in the public subnets with a "
				       "public IP, so removing the NAT cuts nothing off.\n", from, container);
			}
		}
		aws_ssm_parameter_free(&pub);
	}
	cfn_stack_free(&st);
	return rc;
}

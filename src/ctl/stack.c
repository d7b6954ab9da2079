/* stack.c — the three stacks of an environment (see stack.h): their kinds and names, the
 * checks on --name and --param-prefix, the account banner, and describing a stack. */
#include <stdio.h>
#include <string.h>
#include "stack.h"
#include "aws_sts.h"
#include "aws_ssm.h"

const char *const stk_kinds[STK_NKINDS] = {"vpc", "table", "container"};

int stk_kind_index(const char *kind)
{
	for (int i = 0; i < STK_NKINDS; i++)
		if (strcmp(stk_kinds[i], kind) == 0)
			return i;
	ctl_errorf("unknown stack \"%s\" — the stacks are vpc, table and container", kind);
	return -1;
}

int stk_kind_protected(const char *kind)
{
	return strcmp(kind, "table") == 0;
}

int stk_kinds_wanted(int argc, char **argv, int first, int want[STK_NKINDS])
{
	int nwant = 0;
	for (int k = 0; k < STK_NKINDS; k++)
		want[k] = 0;
	for (int i = first; i < argc; i++) {
		int k = stk_kind_index(argv[i]);
		if (k < 0)
			return -1;
		nwant += !want[k];
		want[k] = 1;
	}
	return nwant;
}

aws_client *stk_client(ctl_ctx *ctx, ctl_outcome *outcome)
{
	if (stk_check_env(ctx) != 0) {
		*outcome = CTL_USAGE;
		return NULL;
	}
	aws_client *c = ctl_client(ctx);
	if (c == NULL)
		*outcome = CTL_FAILED;
	return c;
}

int stk_check_env(const ctl_ctx *ctx)
{
	const char *n = ctx->name;
	size_t len = strlen(n);
	int ok = len > 0 && len <= 128 - strlen("-container") &&
		 ((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z'));
	for (const char *p = n; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     *p == '-';
	if (!ok) {
		ctl_errorf("--name \"%.64s\" cannot name a stack — start with a letter, then letters, "
			   "digits or '-', at most 118 characters", n);
		return -1;
	}
	const char *p = ctx->param_prefix;
	len = strlen(p);
	ok = len >= 2 && len <= 900 && p[0] == '/' && p[len - 1] != '/' && !strstr(p, "//");
	for (const char *q = p; ok && *q; q++)
		ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		     strchr("/_.-", *q) != NULL;
	if (!ok) {
		ctl_errorf("--param-prefix \"%.64s\" is not an SSM path like /go-on-aws or /team/dev "
			   "(letters, digits, _ . -; starts with /, does not end with /)", p);
		return -1;
	}
	return 0;
}

void stk_name(const ctl_ctx *ctx, const char *kind, char *out, size_t len)
{
	snprintf(out, len, "%s-%s", ctx->name, kind);
}

const char *stk_env_flags(const ctl_ctx *ctx, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (strcmp(ctx->name, "showtable") != 0) {
		int w = snprintf(buf, len, "--name %s ", ctx->name);
		o = w > 0 ? (size_t)w : 0; /* the length it wanted: past len when cut */
	}
	if (o < len && strcmp(ctx->param_prefix, "/go-on-aws") != 0)
		snprintf(buf + o, len - o, "--param-prefix %s ", ctx->param_prefix);
	return buf;
}

int stk_banner(ctl_ctx *ctx, aws_client *c)
{
	aws_sts_identity id;
	aws_error err;
	aws_error_clear(&err);
	if (aws_sts_get_caller_identity(c, &id, &err) != 0) {
		ctl_aws_error("finding the account these credentials act on", &err);
		return -1;
	}
	(void)ctx;
	printf("account %s (%s), region %s\n", id.account, id.arn, aws_client_region(c));
	fflush(stdout);
	return 0;
}

int stk_ssm_exists(aws_client *c, const char *name, aws_error *err)
{
	aws_ssm_parameter p;
	memset(&p, 0, sizeof p);
	if (aws_ssm_get_parameter(c, name, 0, &p, err) == 0) {
		aws_ssm_parameter_free(&p);
		return 1;
	}
	if (err->kind == AWS_ERR_SERVICE && strcmp(err->type, "ParameterNotFound") == 0)
		return 0;
	return -1;
}

int stk_describe(aws_client *c, const char *stack, cfn_stack *out)
{
	aws_error err;
	aws_error_clear(&err);
	int rc = cfn_describe_stack(c, stack, out, &err);
	if (rc < 0)
		ctl_aws_error(stack, &err);
	return rc;
}

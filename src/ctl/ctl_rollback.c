/* ctl_rollback.c — `showtablectl rollback STACK [--skip RESOURCE]…`.
 *
 * An update that fails is rolled back; when the rollback fails too (usually a resource was
 * changed or deleted outside CloudFormation) the stack stops in UPDATE_ROLLBACK_FAILED and
 * nothing can be deployed to it. This lists the resources whose rollback failed, asks, runs
 * ContinueUpdateRollback (skipping the resources named with --skip, which CloudFormation
 * then marks as rolled back without touching them) and follows it to
 * UPDATE_ROLLBACK_COMPLETE, after which the stack can be deployed again.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_rollback.h"
#include "follow.h"
#include "jsonl.h"
#include "prompt.h"
#include "stack.h"
#include "timeline.h"

#define MAX_SKIP 32
#define ROLLBACK_USAGE "rollback [--yes] [--skip RESOURCE]... vpc|table|container"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl " ROLLBACK_USAGE "\n"
		"Continues the rollback of a stack in UPDATE_ROLLBACK_FAILED and follows it.\n"
		"  --yes, -y          do not ask for confirmation (required without a terminal)\n"
		"  --skip RESOURCE    a resource (logical id) whose rollback cannot succeed: leave it\n"
		"                     as it is and mark it rolled back (repeatable)\n"
		"Global flags come before the command (showtablectl --help); "
		"showtablectl(1) describes every option.\n");
}

/* The resources whose rollback failed, for the user to fix or --skip. */
static void list_failed(aws_client *c, const cfn_stack *st)
{
	cfn_resource *res = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_describe_resources(c, st->id, &res, &n, &err) != 0)
		return;   /* only a hint; the rollback goes on without it */
	for (size_t i = 0; i < n; i++)
		if (res[i].status && strcmp(res[i].status, "UPDATE_FAILED") == 0)
			printf("  rollback failed: %s (%s) %s — fix it, or pass --skip %s\n",
			       res[i].logical_id ? res[i].logical_id : "?",
			       res[i].type ? res[i].type : "?",
			       res[i].physical_id ? res[i].physical_id : "",
			       res[i].logical_id ? res[i].logical_id : "?");
	cfn_resources_free(res, n);
}

static ctl_outcome continue_rollback(ctl_ctx *ctx, aws_client *c, const char *stack,
				     const cfn_stack *st, const char *const *skip, size_t nskip)
{
	char q[1024];
	int o = snprintf(q, sizeof q, "Continue the rollback of %s", stack);
	for (size_t i = 0; i < nskip && o > 0 && (size_t)o < sizeof q; i++)
		o += snprintf(q + o, sizeof q - (size_t)o, "%s%s", i ? ", " : ", skipping ", skip[i]);
	if (o > 0 && (size_t)o < sizeof q)
		snprintf(q + o, sizeof q - (size_t)o, "?");
	prompt_answer yes = prompt_confirm(ctx, q);
	if (yes != PROMPT_YES) {
		if (yes == PROMPT_NO)
			printf("%s: rollback not continued\n", stack);
		return prompt_refusal(yes);
	}
	char *last = follow_last_event_id(c, st->id);
	aws_error err;
	aws_error_clear(&err);
	if (cfn_continue_update_rollback(c, st->id, skip, nskip, &err) != 0) {
		ctl_aws_error(stack, &err);
		free(last);
		return CTL_FAILED;
	}
	cfn_stack fin;
	follow_log log = {0};
	follow_result f = follow_stack(c, st->id, stack, last, 0, "UPDATE_ROLLBACK_COMPLETE", &fin,
				       &log);
	free(last);
	timeline t;
	if (log.n && timeline_build(log.ev, log.n, stack, &t) == 0) {
		timeline_print(&t, stack);
		timeline_free(&t);
	}
	follow_log_free(&log);
	ctl_outcome rc = CTL_FAILED;
	if (f == FOLLOW_DONE) {
		printf("%s: UPDATE_ROLLBACK_COMPLETE — back to its previous version; it can be "
		       "deployed again\n", stack);
		rc = CTL_OK;
	} else if (f == FOLLOW_FAILED) {
		ctl_errorf("%s: the rollback did not complete (%s)", stack,
			   fin.status ? fin.status : "?");
	}
	jsonl_result("rollback", stack, rc, NULL, fin.status);
	cfn_stack_free(&fin);
	return rc;
}

ctl_outcome cmd_rollback(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"skip", required_argument, 0, 's'},
		{"yes", no_argument, 0, 'y'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *skip[MAX_SKIP];
	size_t nskip = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (nskip >= MAX_SKIP) {
				ctl_errorf("at most %d --skip flags", MAX_SKIP);
				return CTL_USAGE;
			}
			skip[nskip++] = optarg;
			break;
		case 'y': ctx->yes = 1; break;
		case 'h': usage(stdout); return CTL_OK;
		default: ctl_errorf("usage: " ROLLBACK_USAGE); return CTL_USAGE;
		}
	}
	if (optind + 1 != argc) {
		ctl_errorf("usage: " ROLLBACK_USAGE);
		return CTL_USAGE;
	}
	const char *kind = argv[optind];
	if (stk_kind_index(kind) < 0)
		return CTL_USAGE;
	ctl_outcome rc;
	aws_client *c = stk_client(ctx, &rc);
	if (c == NULL)
		return rc;
	char stack[256];
	stk_name(ctx, kind, stack, sizeof stack);
	cfn_stack st;
	int ex = follow_wait_settled(c, stack, &st);
	if (ex <= 0) {
		if (ex == 0)
			ctl_errorf("%s does not exist — there is no rollback to continue", stack);
		return CTL_FAILED;
	}
	if (strcmp(st.status, "UPDATE_ROLLBACK_FAILED") != 0) {
		ctl_errorf("%s is %s, not UPDATE_ROLLBACK_FAILED — there is no failed rollback to "
			   "continue", stack, st.status);
		cfn_stack_free(&st);
		return CTL_FAILED;
	}
	rc = CTL_FAILED;
	if (stk_banner(ctx, c) == 0) {
		printf("%s is UPDATE_ROLLBACK_FAILED%s%s\n", stack, st.reason ? ": " : "",
		       st.reason ? st.reason : "");
		list_failed(c, &st);
		fflush(stdout);
		rc = continue_rollback(ctx, c, stack, &st, skip, nskip);
	}
	cfn_stack_free(&st);
	fflush(stdout);
	return rc;
}

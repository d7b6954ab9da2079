/* ctl_destroy.c — `showtablectl destroy STACK…`: delete stacks in reverse dependency order.
 *
 * The guard comes from the templates: a stack is not destroyed while another deployed
 * stack reads an SSM parameter it writes (the reader would break at its next deploy or
 * start), unless --force. What a stack keeps after deletion (DeletionPolicy Retain or
 * Snapshot) is listed, since it stays billable.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stack.h"

/* 0 when nothing deployed reads what kind writes; 1 refused (printed); -1 error. */
static int guard(ctl_ctx *ctx, aws_client *c, const char *kind, const tmpl_info *info)
{
	int refused = 0;
	for (int k = 0; k < STK_NKINDS; k++) {
		if (strcmp(stk_kinds[k], kind) == 0)
			continue;
		tmpl_info other;
		if (stk_template(ctx, stk_kinds[k], NULL, &other) != 0)
			return -1;
		const char *shared = NULL;
		for (size_t r = 0; r < other.nreads && !shared; r++)
			for (size_t w = 0; w < info->nwrites && !shared; w++)
				if (strcmp(other.reads[r].name, info->writes[w].name) == 0)
					shared = info->writes[w].name;
		if (shared) {
			char name[256];
			stk_name(ctx, stk_kinds[k], name, sizeof name);
			cfn_stack st;
			int ex = stk_describe(c, name, &st);
			if (ex < 0) {
				tmpl_info_free(&other);
				return -1;
			}
			if (ex == 1 && strcmp(st.status, "DELETE_COMPLETE") != 0) {
				char flags[512];
				ctl_errorf("%s (%s) reads %s, which the %s stack writes — destroy it first "
					   "(`showtablectl %sdestroy %s`), or pass --force", name, st.status,
					   shared, kind, stk_env_flags(ctx, flags, sizeof flags),
					   stk_kinds[k]);
				refused = 1;
			}
			cfn_stack_free(&st);
		}
		tmpl_info_free(&other);
	}
	return refused;
}

static int destroy_one(ctl_ctx *ctx, aws_client *c, const char *kind, int force,
		       int *banner_done)
{
	char stack[256];
	stk_name(ctx, kind, stack, sizeof stack);
	tmpl_info info;
	if (stk_template(ctx, kind, NULL, &info) != 0)
		return 1;
	int rc = 1;
	cfn_stack st;
	memset(&st, 0, sizeof st);
	int ex = stk_wait_settled(c, stack, &st);
	if (ex < 0)
		goto out;
	if (ex == 0) {
		printf("%s does not exist — nothing to destroy\n", stack);
		rc = 0;
		goto out;
	}
	int g = force ? 0 : guard(ctx, c, kind, &info);
	if (g != 0)
		goto out;
	if (!*banner_done && stk_banner(ctx, c) != 0)
		goto out;
	*banner_done = 1;
	size_t nres = 0;
	{
		cfn_resource *res = NULL;
		aws_error err;
		aws_error_clear(&err);
		if (cfn_describe_resources(c, st.id, &res, &nres, &err) == 0)
			cfn_resources_free(res, nres);
		else
			nres = 0;   /* the counter is a nicety; the delete goes on without it */
	}
	printf("%s (%s): %zu resources will be deleted\n", stack, st.status, nres);
	for (size_t i = 0; i < info.nretained; i++)
		printf("  kept after delete (still billable): %s\n", info.retained[i]);
	char q[320];
	snprintf(q, sizeof q, "Destroy %s?", stack);
	int yes = stk_confirm(ctx, q);
	if (yes != 1) {
		if (yes == 0)
			printf("%s: not destroyed\n", stack);
		rc = yes == 2 ? 2 : 1;
		goto out;
	}
	char *last = stk_last_event_id(c, st.id);
	aws_error err;
	aws_error_clear(&err);
	if (cfn_delete_stack(c, st.id, &err) != 0) {
		ctl_aws_error(stack, &err);
		free(last);
		goto out;
	}
	cfn_stack fin;
	int f = stk_follow(c, st.id, stack, last, nres, &fin);
	free(last);
	if (f == 0 && fin.status && strcmp(fin.status, "DELETE_COMPLETE") == 0) {
		printf("%s: DELETE_COMPLETE\n", stack);
		rc = 0;
	} else if (f >= 0) {
		ctl_errorf("%s: delete did not complete (%s) — see the reasons above; resources "
			   "that refuse to delete can be retained from the console's delete dialog",
			   stack, fin.status ? fin.status : "?");
	}
	cfn_stack_free(&fin);
out:
	cfn_stack_free(&st);
	tmpl_info_free(&info);
	fflush(stdout);
	return rc;
}

int cmd_destroy(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, 0, 'f'},
		{"yes", no_argument, 0, 'y'},
		{0, 0, 0, 0},
	};
	int force = 0, ch;
	while ((ch = getopt_long(argc, argv, "fy", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'y': ctx->yes = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		ctl_errorf("usage: destroy [--yes] [--force] vpc|table|container...");
		return 2;
	}
	int want[STK_NKINDS] = {0};
	for (int i = optind; i < argc; i++) {
		int k = stk_kind_index(argv[i]);
		if (k < 0)
			return 2;
		want[k] = 1;
	}
	if (stk_check_env(ctx) != 0)
		return 2;
	aws_client *c = ctl_client(ctx);
	if (c == NULL)
		return 1;
	int banner = 0;
	for (int k = STK_NKINDS - 1; k >= 0; k--) {
		if (!want[k])
			continue;
		int rc = destroy_one(ctx, c, stk_kinds[k], force, &banner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

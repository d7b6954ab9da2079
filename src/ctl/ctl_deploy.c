/* ctl_deploy.c — `showtablectl deploy STACK…` and `showtablectl diff STACK`.
 *
 * Both go through a CloudFormation change set, so what is shown is exactly what will be
 * done: create it (CREATE or UPDATE by the stack's state), wait for it, show it; diff
 * then deletes it, deploy asks (or takes --yes), executes it and follows the events.
 * Before that, every SSM parameter the template reads must exist (the decoupling
 * contract read from the templates), so a stack is never deployed against nothing.
 * The container stack's image is built and pushed to ECR first unless --image is given
 * (image.h: pushed only when ECR lacks its digest), and deployed by its digest.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "image.h"
#include "stack.h"

#define MAX_USER_PARAMS 32

struct deploy_opts {
	const char *image;
	const char *kv[MAX_USER_PARAMS];  /* "Key=Value" from --param */
	size_t nkv;
	int diff_only;
	int several;   /* more than one stack: --param/--image go where the template takes them */
};

/* The parameters sent with a change set; strings owned here. */
struct params {
	cfn_param p[64];
	char *owned[64];
	size_t n;
};

static void params_free(struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->owned[i]);
	ps->n = 0;
}

static int params_set(struct params *ps, const char *key, const char *value, int previous)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0)
			return 0;   /* first setter wins: callers go from most to least specific */
	if (ps->n >= sizeof ps->p / sizeof ps->p[0])
		return -1;
	char *own = NULL;
	if (value && (own = strdup(value)) == NULL)
		return -1;
	ps->owned[ps->n] = own;
	ps->p[ps->n] = (cfn_param){key, own, previous};
	ps->n++;
	return 0;
}

static const char *stack_param(const cfn_stack *st, const char *key)
{
	for (size_t i = 0; st && i < st->nparams; i++)
		if (st->params[i].key && strcmp(st->params[i].key, key) == 0)
			return st->params[i].value ? st->params[i].value : "";
	return NULL;
}

/* Every SSM parameter the template reads must exist; names the stack that writes it. */
static int check_reads(ctl_ctx *ctx, aws_client *c, const char *kind, const tmpl_info *info)
{
	int missing = 0;
	for (size_t i = 0; i < info->nreads; i++) {
		aws_error err;
		aws_error_clear(&err);
		int ex = stk_ssm_exists(c, info->reads[i].name, &err);
		if (ex < 0) {
			ctl_aws_error(info->reads[i].name, &err);
			return -1;
		}
		if (ex)
			continue;
		missing++;
		const char *producer = NULL;
		for (int k = 0; k < STK_NKINDS && !producer; k++) {
			tmpl_info other;
			if (strcmp(stk_kinds[k], kind) == 0 || stk_template(ctx, stk_kinds[k], NULL, &other))
				continue;
			for (size_t w = 0; w < other.nwrites; w++)
				if (strcmp(other.writes[w].name, info->reads[i].name) == 0)
					producer = stk_kinds[k];
			tmpl_info_free(&other);
		}
		char flags[512];
		if (producer)
			ctl_errorf("the %s stack reads SSM parameter %s, which does not exist — run "
				   "`showtablectl %sdeploy %s` first", kind, info->reads[i].name,
				   stk_env_flags(ctx, flags, sizeof flags), producer);
		else
			ctl_errorf("the %s stack reads SSM parameter %s, which does not exist and no "
				   "stack writes — create it with `showtablectl param put %s VALUE`",
				   kind, info->reads[i].name, info->reads[i].name);
	}
	return missing ? 1 : 0;
}

/* The parameters for this change set: --param, --image, the prefix and the SSM names
 * when the prefix is not the template's default, then on UPDATE the stack's previous
 * values for the rest (so an earlier --param NatGateways=0 is not silently undone). */
static int build_params(const ctl_ctx *ctx, const char *kind, const tmpl_info *info,
			const struct deploy_opts *o, const cfn_stack *existing, struct params *ps)
{
	for (size_t i = 0; i < o->nkv; i++) {
		const char *eq = strchr(o->kv[i], '=');
		char key[128];
		if (eq == NULL || eq == o->kv[i] || (size_t)(eq - o->kv[i]) >= sizeof key) {
			ctl_errorf("--param \"%s\" is not KEY=VALUE", o->kv[i]);
			return 2;
		}
		memcpy(key, o->kv[i], (size_t)(eq - o->kv[i]));
		key[eq - o->kv[i]] = '\0';
		const tmpl_param *tp = tmpl_find_param(info, key);
		if (tp == NULL && o->several)
			continue;   /* run_stacks checked that some chosen stack takes it */
		if (tp == NULL) {
			ctl_errorf("--param %s: the %s template has no parameter %s", o->kv[i], kind, key);
			return 2;
		}
		if (params_set(ps, tp->name, eq + 1, 0))
			return -1;
	}
	const tmpl_param *img = tmpl_find_param(info, "Image");
	if (o->image && img == NULL && !o->several) {
		ctl_errorf("--image: the %s stack takes no image (only the container stack does)", kind);
		return 2;
	}
	if (img) {
		if (o->image) {
			if (params_set(ps, "Image", o->image, 0))
				return -1;
		} else if (stack_param(existing, "Image")) {
			if (params_set(ps, "Image", NULL, 1))
				return -1;
		} else if (img->def == NULL || *img->def == '\0') {
			ctl_errorf("the %s stack is not deployed yet, so diff needs an image — pass "
				   "--image URI (deploy builds and pushes one itself)", kind);
			return 2;
		}
	}
	const tmpl_param *pp = tmpl_find_param(info, TMPL_PREFIX_PARAM);
	int nondefault = pp && (pp->def == NULL || strcmp(pp->def, ctx->param_prefix) != 0);
	if (nondefault && params_set(ps, TMPL_PREFIX_PARAM, ctx->param_prefix, 0))
		return -1;
	for (size_t i = 0; i < info->nreads; i++) {
		const tmpl_param *tp = tmpl_find_param(info, info->reads[i].key);
		if (tp && tp->def && strcmp(tp->def, info->reads[i].name) != 0 &&
		    params_set(ps, tp->name, info->reads[i].name, 0))
			return -1;
	}
	if (existing) {
		for (size_t i = 0; i < info->nparams; i++) {
			const char *k = info->params[i].name;
			int managed = strcmp(k, TMPL_PREFIX_PARAM) == 0;
			for (size_t r = 0; r < info->nreads; r++)
				managed |= strcmp(info->reads[r].key, k) == 0;
			if (!managed && stack_param(existing, k) && params_set(ps, k, NULL, 1))
				return -1;
		}
	}
	return 0;
}

static void print_change_set(const char *stack, const char *type, const cfn_change_set *cs)
{
	size_t add = 0, mod = 0, rep = 0, rem = 0;
	printf("\nchange set for %s (%s):\n", stack, strcmp(type, "CREATE") == 0 ? "create" : "update");
	for (size_t i = 0; i < cs->nchanges; i++) {
		const cfn_change *ch = &cs->changes[i];
		const char *a = ch->action ? ch->action : "?";
		char mark = '?';
		char note[64] = "";
		if (strcmp(a, "Add") == 0) {
			mark = '+';
			add++;
		} else if (strcmp(a, "Remove") == 0) {
			mark = '-';
			rem++;
		} else if (strcmp(a, "Modify") == 0) {
			mark = '~';
			mod++;
			if (ch->replacement && strcmp(ch->replacement, "True") == 0) {
				snprintf(note, sizeof note, "REPLACED");
				rep++;
			} else if (ch->replacement && strcmp(ch->replacement, "Conditional") == 0) {
				snprintf(note, sizeof note, "may be replaced");
				rep++;
			}
		}
		printf("  %c %-7s %-32s %s%s%s\n", mark, a, ch->logical_id ? ch->logical_id : "",
		       ch->type ? ch->type : "", *note ? "  " : "", note);
	}
	printf("  %zu to add, %zu to modify (%zu replaced or maybe replaced), %zu to remove\n", add,
	       mod, rep, rem);
	if (cs->nparams) {
		printf("parameters:\n");
		for (size_t i = 0; i < cs->nparams; i++)
			printf("  %s = %s\n", cs->params[i].key ? cs->params[i].key : "",
			       cs->params[i].value ? cs->params[i].value : "");
	}
	fflush(stdout);
}

/* Waits for the change set to be computed. 0 ready, 1 empty (no changes), -1 failed. */
static int wait_change_set(aws_client *c, const char *stack, const char *id, cfn_change_set *cs)
{
	time_t start = time(NULL);
	for (;;) {
		aws_error err;
		aws_error_clear(&err);
		cfn_change_set_free(cs);
		if (cfn_describe_change_set(c, id, cs, &err) != 0) {
			ctl_aws_error(stack, &err);
			return -1;
		}
		if (strcmp(cs->status, "CREATE_COMPLETE") == 0)
			return 0;
		if (cfn_change_set_is_empty(cs))
			return 1;
		if (strcmp(cs->status, "FAILED") == 0) {
			ctl_errorf("%s: CloudFormation could not prepare the change: %s", stack,
				   cs->reason ? cs->reason : "(no reason given)");
			return -1;
		}
		if (time(NULL) - start > stk_wait_s()) {
			ctl_errorf("%s: the change set is still %s after %ld s", stack, cs->status,
				   stk_wait_s());
			return -1;
		}
		stk_sleep_ms(stk_poll_ms() < 2000 ? stk_poll_ms() : 2000);
	}
}

/* Deletes a change set we will not execute, and the empty stack a CREATE change set made. */
static void discard(aws_client *c, const char *stack, const char *cs_id, int created)
{
	aws_error err;
	aws_error_clear(&err);
	if (cfn_delete_change_set(c, cs_id, &err) != 0)
		ctl_aws_error("deleting the change set", &err);
	if (created && cfn_delete_stack(c, stack, &err) != 0)
		ctl_aws_error("deleting the empty stack the change set created", &err);
}

/* ROLLBACK_COMPLETE: the first creation failed; the stack must go before a new create. */
static int recreate(ctl_ctx *ctx, aws_client *c, const char *stack, const cfn_stack *st)
{
	printf("%s is ROLLBACK_COMPLETE: its creation failed and was rolled back, so it holds no "
	       "resources and cannot be updated; it must be deleted and created again\n", stack);
	if (st->reason)
		printf("  last reason: %s\n", st->reason);
	fflush(stdout);
	int yes = stk_confirm(ctx, "Delete it and create it again?");
	if (yes != 1)
		return yes == 2 ? 2 : 1;
	char *last = stk_last_event_id(c, st->id);
	aws_error err;
	aws_error_clear(&err);
	int rc = cfn_delete_stack(c, st->id, &err);
	if (rc != 0) {
		ctl_aws_error(stack, &err);
		free(last);
		return 1;
	}
	cfn_stack fin;
	rc = stk_follow(c, st->id, stack, last, 0, &fin);
	free(last);
	int ok = rc == 0 && fin.status && strcmp(fin.status, "DELETE_COMPLETE") == 0;
	cfn_stack_free(&fin);
	if (!ok) {
		ctl_errorf("%s could not be deleted — see the events above", stack);
		return 1;
	}
	return 0;
}

/* A change of the container's front door is one update, but not an invisible one: say what
 * CloudFormation will do in which order and what the user has to do around it. */
static void print_frontend_switch(const cfn_stack *existing, const struct params *ps)
{
	const char *from = stack_param(existing, "Frontend"), *to = NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, "Frontend") == 0 && !ps->p[i].use_previous)
			to = ps->p[i].value;
	if (from == NULL || to == NULL || strcmp(from, to) == 0)
		return;
	int to_api = strcmp(to, "httpapi") == 0;
	printf("\nFrontend %s → %s, in this one update: CloudFormation first creates the %s and opens "
	       "port 8080 to it, then moves the service (ECS starts tasks %s and stops the old ones once "
	       "they are healthy), then deletes the %s. The URL changes to %s, printed as ServiceURL "
	       "when the update is done; %s\n",
	       from, to,
	       to_api ? "HTTP API, its VPC link and the Cloud Map service" : "load balancer and its target group",
	       to_api ? "registered in Cloud Map" : "registered in the target group",
	       to_api ? "load balancer, its listeners and its security group"
		      : "HTTP API, its VPC link and the Cloud Map namespace",
	       to_api ? "the API's https://….execute-api….amazonaws.com endpoint" : "the load balancer's",
	       to_api ? "a DNS name pointing at the load balancer must be moved by hand (to the ApiDomainTarget "
			"output, with --param ApiDomainName=NAME for a certificate's name)."
		      : "it is http:// unless CertificateArn is set (with a DNS name of yours pointing at the "
			"load balancer).");
}

static void print_outputs(const cfn_stack *st)
{
	for (size_t i = 0; i < st->noutputs; i++)
		printf("  %s = %s\n", st->outputs[i].key ? st->outputs[i].key : "",
		       st->outputs[i].value ? st->outputs[i].value : "");
}

static int deploy_one(ctl_ctx *ctx, aws_client *c, const char *kind,
		      const struct deploy_opts *o, int *banner_done)
{
	char stack[256];
	stk_name(ctx, kind, stack, sizeof stack);
	char *text = NULL;
	tmpl_info info;
	if (stk_template(ctx, kind, &text, &info) != 0)
		return 1;
	int rc = 1;
	cfn_stack st;
	memset(&st, 0, sizeof st);
	struct params ps = {0};
	char *cs_id = NULL, *stack_id = NULL;
	cfn_change_set cs;
	memset(&cs, 0, sizeof cs);

	/* deploy builds the image and pushes it when ECR lacks its digest (like a CDK asset);
	 * --image overrides, diff shows the deployed image (it changes nothing, so no push) */
	int need_image = o->image == NULL && !o->diff_only && tmpl_find_param(&info, "Image");
	struct deploy_opts oo = *o;
	char image_uri[1024];
	int rollback = 0;

	int chk = check_reads(ctx, c, kind, &info);
	if (chk != 0)
		goto out;
	int ex = stk_wait_settled(c, stack, &st);
	if (ex < 0)
		goto out;
	const char *type = "CREATE";
	int created = 1;   /* the change set makes the stack (REVIEW_IN_PROGRESS) */
	if (ex == 1) {
		const char *s = st.status;
		if (strcmp(s, "ROLLBACK_COMPLETE") == 0) {
			if (o->diff_only) {
				printf("%s is ROLLBACK_COMPLETE (its creation failed); `showtablectl deploy "
				       "%s` will offer to delete and recreate it\n", stack, kind);
				rc = 1;
				goto out;
			}
			rollback = 1;   /* deleted below, once the new parameters and image are right */
		} else if (strcmp(s, "UPDATE_ROLLBACK_FAILED") == 0) {
			ctl_errorf("%s is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback, "
				   "usually because a resource was changed or deleted outside "
				   "CloudFormation. Fix that resource, then continue the rollback "
				   "(console: Stack actions → Continue update rollback; CLI: `aws "
				   "cloudformation continue-update-rollback --stack-name %s`, with "
				   "--resources-to-skip for resources that cannot be fixed) and deploy again",
				   stack, stack);
			goto out;
		} else if (strcmp(s, "CREATE_FAILED") == 0 || strcmp(s, "ROLLBACK_FAILED") == 0 ||
			   strcmp(s, "DELETE_FAILED") == 0) {
			char flags[512];
			ctl_errorf("%s is %s%s%s — it cannot be updated; delete it with `showtablectl "
				   "%sdestroy %s` (retain resources that refuse to delete in the console) "
				   "and deploy again", stack, s, st.reason ? ": " : "",
				   st.reason ? st.reason : "", stk_env_flags(ctx, flags, sizeof flags), kind);
			goto out;
		} else if (strcmp(s, "REVIEW_IN_PROGRESS") != 0) {
			type = "UPDATE";
			created = 0;
		}
	}
	/* The parameters are checked before anything changes (a push, a delete); the image's
	 * URI is only known after the push, so a stand-in takes its place here. */
	if (need_image)
		oo.image = "image";
	int pr = build_params(ctx, kind, &info, &oo, created ? NULL : &st, &ps);
	params_free(&ps);
	if (pr == 0 && !*banner_done && stk_banner(ctx, c) != 0)
		goto out;
	if (pr == 0)
		*banner_done = 1;
	if (pr == 0 && need_image) {
		/* The task's CPU (--param, else what the stack has) decides which platform the
		 * image must have: an ARM64 task cannot start from an amd64-only index. */
		const char *cpu = created ? NULL : stack_param(&st, "CpuArchitecture");
		for (size_t i = 0; i < o->nkv; i++)
			if (strncmp(o->kv[i], "CpuArchitecture=", 16) == 0)
				cpu = o->kv[i] + 16;
		const char *arch = cpu && strcmp(cpu, "ARM64") == 0 ? "arm64" : "amd64";
		if (image_ensure_pushed(ctx, arch, image_uri, sizeof image_uri) != 0)
			goto out;
		oo.image = image_uri;
	}
	if (pr == 0 && rollback) {
		if ((rc = recreate(ctx, c, stack, &st)) != 0)
			goto out;
		rc = 1;
		cfn_stack_free(&st);
	}
	if (pr == 0)
		pr = build_params(ctx, kind, &info, &oo, created ? NULL : &st, &ps);
	if (pr != 0) {
		rc = pr < 0 ? 1 : pr;
		if (pr < 0)
			ctl_errorf("out of memory or too many parameters");
		goto out;
	}
	if (o->diff_only && o->image == NULL && tmpl_find_param(&info, "Image") && !created)
		printf("%s: diff keeps the deployed image; `showtablectl deploy %s` builds the image "
		       "and pushes it first when the binary or assets changed\n", stack, kind);

	char csname[64];
	snprintf(csname, sizeof csname, "showtablectl-%ld", (long)time(NULL));
	cfn_change_set_input in = {
		.stack_name = stack, .change_set_name = csname, .type = type,
		.template_body = text, .params = ps.p, .nparams = ps.n, .capabilities_iam = 1,
		.description = o->diff_only ? "showtablectl diff" : "showtablectl deploy",
	};
	aws_error err;
	aws_error_clear(&err);
	printf("%s: preparing a change set (%s)…\n", stack, type);
	fflush(stdout);
	if (cfn_create_change_set(c, &in, &cs_id, &stack_id, &err) != 0) {
		ctl_aws_error(stack, &err);
		goto out;
	}
	int w = wait_change_set(c, stack, cs_id, &cs);
	if (w != 0) {
		if (w == 1) {
			printf("%s: no changes\n", stack);
			rc = 0;
		}
		discard(c, stack, cs_id, created);
		goto out;
	}
	print_change_set(stack, type, &cs);
	if (!created)
		print_frontend_switch(&st, &ps);
	if (o->diff_only) {
		discard(c, stack, cs_id, created);
		rc = 0;
		goto out;
	}
	char q[320];
	snprintf(q, sizeof q, "Deploy these changes to %s?", stack);
	int yes = stk_confirm(ctx, q);
	if (yes != 1) {
		discard(c, stack, cs_id, created);
		if (yes == 0)
			printf("%s: not deployed\n", stack);
		rc = yes == 2 ? 2 : 1;
		goto out;
	}
	if (tmpl_find_param(&info, "Image") && ctl_credentials_ensure(ctx, c) != 0) {
		discard(c, stack, cs_id, created);
		goto out;
	}
	char *last = stk_last_event_id(c, stack_id ? stack_id : stack);
	if (cfn_execute_change_set(c, cs_id, &err) != 0) {
		ctl_aws_error(stack, &err);
		free(last);
		goto out;
	}
	cfn_stack fin;
	int f = stk_follow(c, stack_id ? stack_id : stack, stack, last, cs.nchanges, &fin);
	free(last);
	if (f == 0) {
		printf("%s: %s\n", stack, fin.status);
		print_outputs(&fin);
		rc = 0;
	} else if (f == 1) {
		ctl_errorf("%s: deploy failed (%s)", stack, fin.status ? fin.status : "?");
	}
	cfn_stack_free(&fin);
out:
	cfn_change_set_free(&cs);
	free(cs_id);
	free(stack_id);
	params_free(&ps);
	cfn_stack_free(&st);
	tmpl_info_free(&info);
	free(text);
	fflush(stdout);
	return rc;
}

/* Parses the flags shared by deploy and diff; returns the index of the first stack arg,
 * or -1 after a usage error. */
static int parse_opts(ctl_ctx *ctx, int argc, char **argv, struct deploy_opts *o)
{
	static const struct option opts[] = {
		{"image", required_argument, 0, 'i'},
		{"param", required_argument, 0, 'p'},
		{"yes", no_argument, 0, 'y'},
		{0, 0, 0, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "y", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': o->image = optarg; break;
		case 'p':
			if (o->nkv >= MAX_USER_PARAMS) {
				ctl_errorf("at most %d --param flags", MAX_USER_PARAMS);
				return -1;
			}
			o->kv[o->nkv++] = optarg;
			break;
		case 'y': ctx->yes = 1; break;
		default: return -1;
		}
	}
	return optind;
}

/* With several stacks, each --param and --image must suit at least one of them. */
static int check_flags_apply(const ctl_ctx *ctx, const int want[STK_NKINDS],
			     const struct deploy_opts *o)
{
	int bad = 0;
	for (size_t i = 0; i <= o->nkv; i++) {
		char key[128];
		const char *flag;
		if (i == o->nkv) {
			if (o->image == NULL)
				break;
			snprintf(key, sizeof key, "Image");
			flag = "--image";
		} else {
			flag = o->kv[i];
			size_t kl = strcspn(flag, "=");
			snprintf(key, sizeof key, "%.*s", (int)(kl < sizeof key ? kl : sizeof key - 1), flag);
		}
		int found = 0;
		for (int k = 0; k < STK_NKINDS && !found; k++) {
			tmpl_info info;
			if (!want[k] || stk_template(ctx, stk_kinds[k], NULL, &info) != 0)
				continue;
			found = tmpl_find_param(&info, key) != NULL;
			tmpl_info_free(&info);
		}
		if (!found) {
			ctl_errorf("%s: none of the chosen stacks takes a parameter %s", flag, key);
			bad = 1;
		}
	}
	return bad;
}

/* Runs fn on each stack named in argv, in the order of stk_kinds. */
static int run_stacks(ctl_ctx *ctx, int argc, char **argv, struct deploy_opts *o,
		      const char *usage)
{
	int first = parse_opts(ctx, argc, argv, o);
	if (first < 0 || first >= argc) {
		ctl_errorf("usage: %s", usage);
		return 2;
	}
	int want[STK_NKINDS];
	int nwant = stk_kinds_wanted(argc, argv, first, want);
	if (nwant < 0)
		return 2;
	if (o->diff_only && argc - first != 1) {
		ctl_errorf("usage: %s", usage);
		return 2;
	}
	o->several = nwant > 1;
	if (o->several && check_flags_apply(ctx, want, o) != 0)
		return 2;
	int ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	int banner = 0;
	for (int k = 0; k < STK_NKINDS; k++) {
		if (!want[k])
			continue;
		int rc = deploy_one(ctx, c, stk_kinds[k], o, &banner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int cmd_deploy(ctl_ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = {0};
	return run_stacks(ctx, argc, argv, &o,
			  "deploy [--yes] [--image URI] [--param KEY=VALUE]... vpc|table|container...");
}

int cmd_diff(ctl_ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = {.diff_only = 1};
	return run_stacks(ctx, argc, argv, &o,
			  "diff [--image URI] [--param KEY=VALUE]... vpc|table|container");
}

/* ctl_deploy.c — `showtablectl deploy STACK…` and `showtablectl diff STACK`.
 *
 * A deploy is a list of named steps (deploy_steps below), each taking the stack one step
 * further and returning a ctl_outcome: check the SSM inputs, wait for a settled stack,
 * the parameters, the image, the change set, the question, execute, follow, report. The
 * first outcome that is not CTL_OK ends it; a step that leaves nothing more to do (no
 * changes, diff shown) marks the deploy finished. What the steps share lives in one
 * struct deploy, and its clean-up (deleting a change set that was not executed) is in one
 * place, so no path forgets it.
 *
 * Both commands go through a CloudFormation change set (changeset.h), so what is shown is
 * exactly what will be done. Every SSM parameter the template reads must exist first
 * (the decoupling contract read from the templates), so a stack is never deployed
 * against nothing. The container stack's image is built and pushed to ECR first unless
 * --image is given (image.h: pushed only when ECR lacks its digest), and deployed by its
 * digest.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "changeset.h"
#include "credentials.h"
#include "ctl_deploy.h"
#include "follow.h"
#include "image.h"
#include "jsonl.h"
#include "natswitch.h"
#include "params.h"
#include "prompt.h"
#include "stack.h"
#include "templates.h"
#include "timeline.h"
#include "watch.h"

#define MAX_USER_PARAMS 32
#define MAX_TAGS 50   /* CloudFormation's limit per stack */

struct deploy_opts {
	const char *image;
	const char *kv[MAX_USER_PARAMS];  /* "Key=Value" from --param */
	size_t nkv;
	const char *tag[MAX_TAGS];        /* "Key=Value" from --tag */
	size_t ntags;
	int diff_only;
	long max_failed_tasks;  /* stopped tasks of a new ECS deployment that end the deploy; 0 never */
	int several;   /* more than one stack: --param/--image go where the template takes them */
};

/* One stack's deploy (or diff), carried from step to step. */
typedef struct deploy {
	ctl_ctx *ctx;
	aws_client *c;
	const char *kind;
	const struct deploy_opts *o;
	int *banner_done;          /* the account banner was printed (once per run) */
	char stack[256];
	char *text;                /* the template body */
	tmpl_info info;
	cfn_stack st;              /* the stack as found; zeroed when there is none */
	const char *type;          /* "CREATE" or "UPDATE" */
	int creates;               /* the change set creates the stack (REVIEW_IN_PROGRESS) */
	int recreate;              /* ROLLBACK_COMPLETE: delete it once parameters and image are right */
	int needs_image;           /* deploy builds and pushes the image (no --image given) */
	char image_uri[1024];
	params ps;
	cfn_kv tags[MAX_TAGS + 1]; /* the stack's tags: borrowed strings, names in tagbuf */
	size_t ntags;
	char tagbuf[MAX_TAGS + 1][2][260];
	char *cs_id, *stack_id;    /* the change set and the stack it applies to */
	cfn_change_set cs;
	int executing;             /* ExecuteChangeSet was called: the change set is not ours to delete */
	int finished;              /* nothing left to do: no changes, or the diff was shown */
	cfn_stack fin;             /* the stack after the deploy */
	follow_result followed;
	follow_log log;            /* its events */
	watch_action watched;      /* what the watch of the ECS deployment did */
	long stopped_tasks;        /* the new deployment's tasks it saw stop */
} deploy;

/* The value of parameter key in a deployed stack, or NULL. */
static const char *stack_param(const cfn_stack *st, const char *key)
{
	for (size_t i = 0; st && i < st->nparams; i++)
		if (st->params[i].key && strcmp(st->params[i].key, key) == 0)
			return st->params[i].value ? st->params[i].value : "";
	return NULL;
}

/* Every SSM parameter the template reads must exist; names the stack that writes it. */
static ctl_outcome step_check_inputs(deploy *d)
{
	if (templates_load(d->ctx, d->kind, &d->text, &d->info) != 0)
		return CTL_FAILED;
	int missing = 0;
	for (size_t i = 0; i < d->info.nreads; i++) {
		const char *name = d->info.reads[i].name;
		aws_error err;
		aws_error_clear(&err);
		int ex = stk_ssm_exists(d->c, name, &err);
		if (ex < 0) {
			ctl_aws_error(name, &err);
			return CTL_FAILED;
		}
		if (ex)
			continue;
		missing++;
		const char *producer = templates_writer(d->ctx, name, d->kind);
		char flags[512];
		if (producer)
			ctl_errorf("the %s stack reads SSM parameter %s, which does not exist — run "
				   "`showtablectl %sdeploy %s` first", d->kind, name,
				   stk_env_flags(d->ctx, flags, sizeof flags), producer);
		else
			ctl_errorf("the %s stack reads SSM parameter %s, which does not exist and no "
				   "stack writes — create it with `showtablectl param put %s VALUE`",
				   d->kind, name, name);
	}
	return missing ? CTL_FAILED : CTL_OK;
}

/* Waits out another operation, then decides from the stack's state: CREATE (no stack, or
 * one under review), UPDATE, recreate after a failed first create, or refuse a state no
 * change set can leave. */
static ctl_outcome step_wait_settled(deploy *d)
{
	d->type = "CREATE";
	d->creates = 1;
	int ex = follow_wait_settled(d->c, d->stack, &d->st);
	if (ex < 0)
		return CTL_FAILED;
	if (ex == 0)
		return CTL_OK;
	const char *s = d->st.status;
	if (strcmp(s, "ROLLBACK_COMPLETE") == 0) {
		if (d->o->diff_only) {
			printf("%s is ROLLBACK_COMPLETE (its creation failed); `showtablectl deploy "
			       "%s` will offer to delete and recreate it\n", d->stack, d->kind);
			return CTL_FAILED;
		}
		d->recreate = 1;
	} else if (strcmp(s, "UPDATE_ROLLBACK_FAILED") == 0) {
		char flags[512];
		ctl_errorf("%s is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback, "
			   "usually because a resource was changed or deleted outside "
			   "CloudFormation. Fix that resource, then continue the rollback with "
			   "`showtablectl %srollback %s` (--skip RESOURCE for one that cannot be "
			   "fixed) and deploy again", d->stack, stk_env_flags(d->ctx, flags, sizeof flags),
			   d->kind);
		return CTL_FAILED;
	} else if (strcmp(s, "CREATE_FAILED") == 0 || strcmp(s, "ROLLBACK_FAILED") == 0 ||
		   strcmp(s, "DELETE_FAILED") == 0) {
		char flags[512];
		ctl_errorf("%s is %s%s%s — it cannot be updated; delete it with `showtablectl "
			   "%sdestroy %s` (retain resources that refuse to delete in the console) "
			   "and deploy again", d->stack, s, d->st.reason ? ": " : "",
			   d->st.reason ? d->st.reason : "", stk_env_flags(d->ctx, flags, sizeof flags),
			   d->kind);
		return CTL_FAILED;
	} else if (strcmp(s, "REVIEW_IN_PROGRESS") != 0) {
		d->type = "UPDATE";
		d->creates = 0;
	}
	return CTL_OK;
}

/* The value the deploy gives parameter key: given, carried from the stack, or the default. */
static const char *param_to_deploy(const deploy *d, const char *key)
{
	const tmpl_param *tp = tmpl_find_param(&d->info, key);
	for (size_t i = 0; tp && i < d->ps.n; i++) {
		if (strcmp(d->ps.p[i].key, key) != 0)
			continue;
		if (!d->ps.p[i].use_previous)
			return d->ps.p[i].value ? d->ps.p[i].value : "";
		for (size_t j = 0; j < d->st.nparams; j++)
			if (d->st.params[j].key && strcmp(d->st.params[j].key, key) == 0)
				return d->st.params[j].value ? d->st.params[j].value : "";
	}
	return tp ? (tp->def ? tp->def : "") : NULL;
}

/* HTTP Basic over plain HTTP sends the password readable to anyone on the way. */
static void warn_without_https(const deploy *d)
{
	const char *cert = param_to_deploy(d, "CertificateArn");
	if (cert == NULL || *cert)
		return;
	ctl_errorf("warning: %s has no CertificateArn, so it answers on plain HTTP and the "
		   "basic-auth password crosses the Internet in clear text — deploy with --param "
		   "CertificateArn=arn:aws:acm:… (an ACM certificate for your domain; see HTTPS in "
		   "docs/deploy.md)", d->stack);
}

/* Sets tag key to value in d->tags (replacing it when there). */
static void tag_set(deploy *d, const char *key, size_t klen, const char *value)
{
	size_t i = 0;
	while (i < d->ntags && (strlen(d->tags[i].key) != klen ||
				strncmp(d->tags[i].key, key, klen) != 0))
		i++;
	if (i == d->ntags) {
		if (d->ntags > MAX_TAGS)
			return;   /* the caller checked the count */
		d->ntags++;
	}
	snprintf(d->tagbuf[i][0], sizeof d->tagbuf[i][0], "%.*s", (int)klen, key);
	snprintf(d->tagbuf[i][1], sizeof d->tagbuf[i][1], "%s", value);
	d->tags[i] = (cfn_kv){d->tagbuf[i][0], d->tagbuf[i][1], NULL};
}

/* The stack's tags, propagated by CloudFormation to every resource that takes tags (so
 * costs group by them): the deployed stack's, else app=<name>; then --tag on top. */
static ctl_outcome step_tags(deploy *d)
{
	d->ntags = 0;
	for (size_t i = 0; !d->creates && i < d->st.ntags && i < MAX_TAGS; i++)
		if (d->st.tags[i].key && d->st.tags[i].value)
			tag_set(d, d->st.tags[i].key, strlen(d->st.tags[i].key), d->st.tags[i].value);
	if (d->ntags == 0)
		tag_set(d, "app", 3, d->ctx->name);
	for (size_t i = 0; i < d->o->ntags; i++) {
		const char *t = d->o->tag[i], *eq = strchr(t, '=');
		size_t klen = eq ? (size_t)(eq - t) : 0;
		if (klen == 0 || klen > 128 || strlen(eq + 1) > 256 || strncmp(t, "aws:", 4) == 0) {
			ctl_errorf("--tag \"%s\" is not KEY=VALUE (key 1 to 128 characters, not starting "
				   "with aws:, value at most 256)", t);
			return CTL_USAGE;
		}
		tag_set(d, t, klen, eq + 1);
		if (d->ntags > MAX_TAGS) {
			ctl_errorf("at most %d tags on a stack", MAX_TAGS);
			return CTL_USAGE;
		}
	}
	printf("%s: tags", d->stack);
	for (size_t i = 0; i < d->ntags; i++)
		printf("%s%s=%s", i ? ", " : " ", d->tags[i].key, d->tags[i].value);
	printf("\n");
	return CTL_OK;
}

/* The parameters are checked before anything changes (a push, a delete); the image's URI
 * is only known after the push, so a stand-in takes its place until step_image. */
static ctl_outcome step_parameters(deploy *d)
{
	d->needs_image = d->o->image == NULL && !d->o->diff_only &&
			 tmpl_find_param(&d->info, "Image") != NULL;
	params_request req = {
		.kv = d->o->kv, .nkv = d->o->nkv, .several = d->o->several,
		.image = d->needs_image ? "image" : d->o->image,
	};
	params_carry carry = d->recreate ? PARAMS_VALUES : d->creates ? PARAMS_FRESH
						     : PARAMS_PREVIOUS;
	ctl_outcome rc = params_build(d->ctx, d->kind, &d->info, &req, &d->st, carry, &d->ps);
	if (rc == CTL_OK)
		warn_without_https(d);
	return rc;
}

/* The account and region about to change, once per run. */
static ctl_outcome step_banner(deploy *d)
{
	if (*d->banner_done)
		return CTL_OK;
	if (stk_banner(d->ctx, d->c) != 0)
		return CTL_FAILED;
	*d->banner_done = 1;
	return CTL_OK;
}

/* deploy builds the image and pushes it when ECR lacks its digest (like a CDK asset);
 * --image overrides; diff shows the deployed image (it changes nothing, so no push). */
static ctl_outcome step_image(deploy *d)
{
	if (!d->needs_image)
		return CTL_OK;
	/* The task's CPU (--param, else what the stack has) decides which platform the image
	 * must have: an ARM64 task cannot start from an amd64-only index. */
	const char *cpu = d->creates ? NULL : stack_param(&d->st, "CpuArchitecture");
	for (size_t i = 0; i < d->o->nkv; i++)
		if (strncmp(d->o->kv[i], "CpuArchitecture=", 16) == 0)
			cpu = d->o->kv[i] + 16;
	const char *arch = cpu && strcmp(cpu, "ARM64") == 0 ? "arm64" : "amd64";
	if (image_ensure_pushed(d->ctx, arch, d->image_uri, sizeof d->image_uri) != CTL_OK)
		return CTL_FAILED;
	if (params_set_value(&d->ps, "Image", d->image_uri) != 0) {
		ctl_errorf("out of memory or too many parameters");
		return CTL_FAILED;
	}
	return CTL_OK;
}

/* ROLLBACK_COMPLETE: the first creation failed; the stack must go before a new create. */
static ctl_outcome step_recreate(deploy *d)
{
	if (!d->recreate)
		return CTL_OK;
	printf("%s is ROLLBACK_COMPLETE: its creation failed and was rolled back, so it holds no "
	       "resources and cannot be updated; it must be deleted and created again\n", d->stack);
	if (d->st.reason)
		printf("  last reason: %s\n", d->st.reason);
	printf("  the new stack keeps the failed stack's parameters (--param changes them)\n");
	fflush(stdout);
	prompt_answer yes = prompt_confirm(d->ctx, "Delete it and create it again?");
	if (yes != PROMPT_YES)
		return prompt_refusal(yes);
	char *last = follow_last_event_id(d->c, d->st.id);
	aws_error err;
	aws_error_clear(&err);
	if (cfn_delete_stack(d->c, d->st.id, &err) != 0) {
		ctl_aws_error(d->stack, &err);
		free(last);
		return CTL_FAILED;
	}
	cfn_stack fin;
	follow_result f = follow_stack(d->c, d->st.id, d->stack, last, 0, NULL, &fin, NULL);
	free(last);
	int ok = f == FOLLOW_DONE && fin.status && strcmp(fin.status, "DELETE_COMPLETE") == 0;
	cfn_stack_free(&fin);
	if (!ok) {
		ctl_errorf("%s could not be deleted — see the events above", d->stack);
		return CTL_FAILED;
	}
	return CTL_OK;
}

/* A change of the container's front door is one update, but not an invisible one: say what
 * CloudFormation will do in which order and what the user has to do around it. */
static void print_frontend_switch(const cfn_stack *existing, const params *ps)
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

/* Creates the change set and shows it; an empty one ends the deploy ("no changes"). */
static ctl_outcome step_change_set(deploy *d)
{
	if (d->o->diff_only && d->o->image == NULL && tmpl_find_param(&d->info, "Image") &&
	    !d->creates)
		printf("%s: diff keeps the deployed image; `showtablectl deploy %s` builds the image "
		       "and pushes it first when the binary or assets changed\n", d->stack, d->kind);
	char csname[64];
	snprintf(csname, sizeof csname, "showtablectl-%ld", (long)time(NULL));
	cfn_change_set_input in = {
		.stack_name = d->stack, .change_set_name = csname, .type = d->type,
		.template_body = d->text, .params = d->ps.p, .nparams = d->ps.n,
		.capabilities_iam = 1, .tags = d->tags, .ntags = d->ntags,
		.description = d->o->diff_only ? "showtablectl diff" : "showtablectl deploy",
	};
	printf("%s: preparing a change set (%s)…\n", d->stack, d->type);
	fflush(stdout);
	switch (changeset_create(d->c, &in, &d->cs_id, &d->stack_id, &d->cs)) {
	case CHANGESET_READY:
		break;
	case CHANGESET_EMPTY:
		printf("%s: no changes\n", d->stack);
		d->finished = 1;
		return CTL_OK;
	case CHANGESET_ERROR:
		return CTL_FAILED;
	}
	/* a recreate compares with the failed stack: what it had is what is carried over */
	changeset_print(d->stack, d->type, &d->cs, d->creates && !d->recreate ? NULL : &d->st);
	if (!d->creates)
		print_frontend_switch(&d->st, &d->ps);
	return CTL_OK;
}

/* A vpc update that switches the NAT mode under the running service: refused unless the
 * service has moved first (natswitch.h). */
static ctl_outcome step_nat_switch(deploy *d)
{
	if (d->creates || d->o->diff_only || strcmp(d->kind, "vpc") != 0)
		return CTL_OK;
	return natswitch_check(d->ctx, d->c, &d->st, &d->ps, &d->cs);
}

/* diff ends here (with changes: CTL_CHANGES); deploy asks (or takes --yes). */
static ctl_outcome step_confirm(deploy *d)
{
	if (d->o->diff_only) {
		d->finished = 1;
		return CTL_CHANGES;
	}
	char q[320];
	snprintf(q, sizeof q, "Deploy these changes to %s?", d->stack);
	prompt_answer yes = prompt_confirm(d->ctx, q);
	if (yes == PROMPT_YES)
		return CTL_OK;
	if (yes == PROMPT_NO)
		printf("%s: not deployed\n", d->stack);
	return prompt_refusal(yes);
}

/* The server's credentials exist before the service that reads them starts; then the
 * change set is executed, remembering the last event so only this deploy's are shown. */
static ctl_outcome step_execute(deploy *d, char **last)
{
	if (tmpl_find_param(&d->info, "Image") && credentials_ensure(d->ctx, d->c) != 0)
		return CTL_FAILED;
	*last = follow_last_event_id(d->c, d->stack_id ? d->stack_id : d->stack);
	d->executing = 1;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_execute_change_set(d->c, d->cs_id, &err) != 0) {
		ctl_aws_error(d->stack, &err);
		return CTL_FAILED;
	}
	return CTL_OK;
}

/* Follows the stack to its end, watching an ECS service's new deployment on the way, then
 * says where the time went. */
static ctl_outcome step_follow(deploy *d, const char *last)
{
	const char *id = d->stack_id ? d->stack_id : d->stack;
	watch *w = watch_new(d->c, id, d->stack, d->o->max_failed_tasks);
	follow_hook hook = w ? watch_hook(w) : (follow_hook){0};
	d->followed = follow_stack_hooked(d->c, id, d->stack, last, d->cs.nchanges, NULL,
					  &d->fin, &d->log, w ? &hook : NULL);
	if (w)
		d->watched = watch_result(w, &d->stopped_tasks);
	watch_free(w);
	timeline t;
	if (d->log.n && timeline_build(d->log.ev, d->log.n, d->stack, &t) == 0) {
		timeline_print(&t, d->stack);
		timeline_free(&t);
	}
	return d->followed == FOLLOW_ERROR ? CTL_FAILED : CTL_OK;
}

/* The stack that holds the data gets termination protection: a destroy must then name it. */
static ctl_outcome protect(deploy *d)
{
	if (!stk_kind_protected(d->kind) || (d->fin.protection && strcmp(d->fin.protection,
									  "true") == 0))
		return CTL_OK;
	aws_error err;
	aws_error_clear(&err);
	if (cfn_set_termination_protection(d->c, d->stack, 1, &err) != 0) {
		/* the deploy itself succeeded: say what is missing and how to add it */
		char what[1024];
		snprintf(what, sizeof what, "warning: %s is deployed but not protected (turn it on "
			 "with `aws cloudformation update-termination-protection "
			 "--enable-termination-protection --stack-name %s`)", d->stack, d->stack);
		ctl_aws_error(what, &err);
		return CTL_OK;
	}
	char flags[512];
	printf("%s: termination protection on — `showtablectl %sdestroy %s` needs "
	       "--lift-protection\n", d->stack, stk_env_flags(d->ctx, flags, sizeof flags), d->kind);
	return CTL_OK;
}

/* The final state and the stack's outputs (the URL, the names it made). */
static ctl_outcome step_report(deploy *d)
{
	if (d->watched != WATCH_LEFT_ALONE) {
		ctl_errorf("%s: deploy stopped after %ld tasks of the new ECS deployment stopped: %s "
			   "(%s) — fix the cause printed above and deploy again", d->stack,
			   d->stopped_tasks,
			   d->watched == WATCH_CANCELLED ? "the update was cancelled and rolled back"
							 : "the stack under creation was deleted",
			   d->fin.status ? d->fin.status : "?");
		return CTL_FAILED;
	}
	if (d->followed != FOLLOW_DONE) {
		ctl_errorf("%s: deploy failed (%s)", d->stack, d->fin.status ? d->fin.status : "?");
		return CTL_FAILED;
	}
	printf("%s: %s\n", d->stack, d->fin.status);
	for (size_t i = 0; i < d->fin.noutputs; i++)
		printf("  %s = %s\n", d->fin.outputs[i].key ? d->fin.outputs[i].key : "",
		       d->fin.outputs[i].value ? d->fin.outputs[i].value : "");
	return protect(d);
}

/* The steps before the execution, in order; each runs only when all before it gave CTL_OK
 * and none finished the deploy. */
static const struct deploy_step {
	const char *name;
	ctl_outcome (*run)(deploy *d);
} deploy_steps[] = {
	{"check inputs", step_check_inputs},
	{"wait for a settled stack", step_wait_settled},
	{"parameters", step_parameters},
	{"tags", step_tags},
	{"banner", step_banner},
	{"image", step_image},
	{"recreate", step_recreate},
	{"change set", step_change_set},
	{"NAT mode switch", step_nat_switch},
	{"confirm", step_confirm},
};

static ctl_outcome deploy_one(ctl_ctx *ctx, aws_client *c, const char *kind,
			      const struct deploy_opts *o, int *banner_done)
{
	deploy d = {.ctx = ctx, .c = c, .kind = kind, .o = o, .banner_done = banner_done};
	stk_name(ctx, kind, d.stack, sizeof d.stack);
	ctl_outcome rc = CTL_OK;
	for (size_t i = 0; i < sizeof deploy_steps / sizeof deploy_steps[0]; i++) {
		if (ctx->verbose)
			fprintf(stderr, "%s: %s\n", d.stack, deploy_steps[i].name);
		rc = deploy_steps[i].run(&d);
		if (rc != CTL_OK || d.finished)
			break;
	}
	char *last = NULL;
	if (rc == CTL_OK && !d.finished) {
		rc = step_execute(&d, &last);
		if (rc == CTL_OK)
			rc = step_follow(&d, last);
		if (rc == CTL_OK)
			rc = step_report(&d);
	}
	if (d.cs_id && !d.executing)
		changeset_discard(c, d.stack, d.cs_id, d.creates);
	jsonl_result(o->diff_only ? "diff" : "deploy", d.stack, rc,
		     rc == CTL_OK && d.finished ? "no_changes" : NULL, d.fin.status);
	free(last);
	cfn_stack_free(&d.fin);
	follow_log_free(&d.log);
	cfn_change_set_free(&d.cs);
	free(d.cs_id);
	free(d.stack_id);
	params_free(&d.ps);
	cfn_stack_free(&d.st);
	tmpl_info_free(&d.info);
	free(d.text);
	fflush(stdout);
	return rc;
}

#define DEPLOY_USAGE "deploy [--yes] [--image URI] [--param KEY=VALUE]... [--tag KEY=VALUE]... " \
	"[--max-failed-tasks N] vpc|table|container..."
#define DIFF_USAGE "diff [--image URI] [--param KEY=VALUE]... [--tag KEY=VALUE]... " \
	"vpc|table|container"

/* --help: the usage line and every flag of the command. */
static void usage(FILE *f, int diff)
{
	if (diff)
		fprintf(f,
			"usage: showtablectl " DIFF_USAGE "\n"
			"Shows what deploy would change: creates the change set, shows it and deletes it.\n"
			"  --image URI        the container image (default: the deployed one; nothing is built)\n"
			"  --param KEY=VALUE  a template parameter (repeatable)\n"
			"  --tag KEY=VALUE    a stack tag (repeatable)\n");
	else
		fprintf(f,
			"usage: showtablectl " DEPLOY_USAGE "\n"
			"Deploys the stacks in dependency order: change set, confirmation, execution, events.\n"
			"  --yes, -y          do not ask for confirmation (required without a terminal)\n"
			"  --image URI        the container image (default: build it and push it to ECR)\n"
			"  --param KEY=VALUE  a template parameter (repeatable); an update keeps the\n"
			"                     deployed values of the parameters not given\n"
			"  --tag KEY=VALUE    a stack tag, propagated to its resources (repeatable;\n"
			"                     default app=<name>; deployed tags are kept)\n"
			"  --max-failed-tasks N\n"
			"                     end the deploy once N tasks of the new ECS deployment have\n"
			"                     stopped: cancel an update, delete a stack under creation\n"
			"                     (default 2; 0 leaves it to ECS's circuit breaker)\n");
	fprintf(f, "Global flags come before the command (showtablectl --help); "
		   "showtablectl(1) describes every option.\n");
}

/* Parses the flags shared by deploy and diff; returns the index of the first stack arg,
 * or -1 after a usage error, 0 after --help. */
static int parse_opts(ctl_ctx *ctx, int argc, char **argv, struct deploy_opts *o)
{
	static const struct option opts[] = {
		{"image", required_argument, 0, 'i'},
		{"param", required_argument, 0, 'p'},
		{"tag", required_argument, 0, 't'},
		{"yes", no_argument, 0, 'y'},
		{"max-failed-tasks", required_argument, 0, 'm'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': o->image = optarg; break;
		case 'p':
			if (o->nkv >= MAX_USER_PARAMS) {
				ctl_errorf("at most %d --param flags", MAX_USER_PARAMS);
				return -1;
			}
			o->kv[o->nkv++] = optarg;
			break;
		case 't':
			if (o->ntags >= MAX_TAGS) {
				ctl_errorf("at most %d --tag flags", MAX_TAGS);
				return -1;
			}
			o->tag[o->ntags++] = optarg;
			break;
		case 'y': ctx->yes = 1; break;
		case 'm':
			if (o->diff_only) {
				ctl_errorf("--max-failed-tasks is for deploy: diff starts no tasks");
				return -1;
			}
			if (ctl_parse_long("--max-failed-tasks", optarg, 0, 1000, &o->max_failed_tasks) != 0)
				return -1;
			break;
		case 'h': usage(stdout, o->diff_only); return 0;
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
		if (!templates_take_param(ctx, want, key)) {
			ctl_errorf("%s: none of the chosen stacks takes a parameter %s", flag, key);
			bad = 1;
		}
	}
	return bad;
}

/* Deploys (or diffs) each stack named in argv, in the order of stk_kinds. */
static ctl_outcome run_stacks(ctl_ctx *ctx, int argc, char **argv, struct deploy_opts *o,
			      const char *usage_line)
{
	int first = parse_opts(ctx, argc, argv, o);
	if (first == 0)
		return CTL_OK;
	if (first < 0 || first >= argc) {
		ctl_errorf("usage: %s", usage_line);
		return CTL_USAGE;
	}
	int want[STK_NKINDS];
	int nwant = stk_kinds_wanted(argc, argv, first, want);
	if (nwant < 0)
		return CTL_USAGE;
	if (o->diff_only && argc - first != 1) {
		ctl_errorf("usage: %s", usage_line);
		return CTL_USAGE;
	}
	o->several = nwant > 1;
	if (o->several && check_flags_apply(ctx, want, o) != 0)
		return CTL_USAGE;
	ctl_outcome rc;
	aws_client *c = stk_client(ctx, &rc);
	if (c == NULL)
		return rc;
	int banner = 0;
	for (int k = 0; k < STK_NKINDS; k++) {
		if (!want[k])
			continue;
		rc = deploy_one(ctx, c, stk_kinds[k], o, &banner);
		if (rc != CTL_OK)
			return rc;
	}
	return CTL_OK;
}

ctl_outcome cmd_deploy(ctl_ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = {.max_failed_tasks = 2};
	return run_stacks(ctx, argc, argv, &o, DEPLOY_USAGE);
}

ctl_outcome cmd_diff(ctl_ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = {.diff_only = 1};
	return run_stacks(ctx, argc, argv, &o, DIFF_USAGE);
}

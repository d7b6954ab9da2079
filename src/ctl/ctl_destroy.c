/* ctl_destroy.c — `showtablectl destroy STACK…`: delete stacks in reverse dependency order.
 *
 * The guard comes from the templates: a stack is not destroyed while another deployed
 * stack reads an SSM parameter it writes (the reader would break at its next deploy or
 * start), unless --force. What a stack keeps after deletion (DeletionPolicy Retain or
 * Snapshot) is listed, since it stays billable; so is the container's ECR repository
 * (its images), which --purge-images deletes once the stack is gone.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_destroy.h"
#include "ecr.h"
#include "image.h"
#include "jsonl.h"
#include "follow.h"
#include "prompt.h"
#include "stack.h"
#include "templates.h"
#include "timeline.h"

/* 0 when nothing deployed reads what kind writes; 1 refused (printed); -1 error. */
static int guard(ctl_ctx *ctx, aws_client *c, const char *kind, const tmpl_info *info)
{
	int refused = 0;
	for (int k = 0; k < STK_NKINDS; k++) {
		if (strcmp(stk_kinds[k], kind) == 0)
			continue;
		tmpl_info other;
		if (templates_load(ctx, stk_kinds[k], NULL, &other) != 0)
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

/* The ECR repository deploy pushes the container's image to (image.h): 1 exists (uri
 * filled), 0 not, -1 unknown (the error was printed; the caller still says what may stay). */
static int repo_state(aws_client *c, const char *repo, char *uri, size_t len)
{
	ecr_repository r;
	int found = 0;
	aws_error err;
	aws_error_clear(&err);
	if (ecr_describe_repository(c, repo, &r, &found, &err) != 0) {
		ctl_aws_error("ECR repository", &err);
		return -1;
	}
	snprintf(uri, len, "%s", found && r.uri[0] ? r.uri : repo);
	return found;
}

/* What stays billable when the repository is kept, and how to remove it. */
static void repo_kept_note(const ctl_ctx *ctx, const char *repo, const char *uri, int known)
{
	char flags[512];
	printf("ECR repository %s%s stays, with its images (billed per GB-month of storage) — "
	       "delete it with `showtablectl %sdestroy container --purge-images` or `aws ecr "
	       "delete-repository --repository-name %s --force`\n", uri,
	       known ? "" : " (if it exists)", stk_env_flags(ctx, flags, sizeof flags), repo);
}

/* DeleteRepository with force (its images go too): CTL_OK when deleted or not there. */
static ctl_outcome purge_repo(aws_client *c, const char *repo, const char *uri)
{
	aws_error err;
	aws_error_clear(&err);
	if (ecr_delete_repository(c, repo, 1, &err) == 0) {
		printf("deleted ECR repository %s and its images\n", uri);
		return CTL_OK;
	}
	if (strcmp(err.type, "RepositoryNotFoundException") == 0) {
		printf("ECR repository %s does not exist — no images to delete\n", repo);
		return CTL_OK;
	}
	ctl_aws_error("deleting the ECR repository", &err);
	return CTL_FAILED;
}

/* One stack's destroy, carried from step to step (as a deploy is, in ctl_deploy.c). */
typedef struct destroy {
	ctl_ctx *ctx;
	aws_client *c;
	const char *kind;
	int force, purge, lift;    /* --force, --purge-images, --lift-protection */
	int *banner_done;
	char stack[256];
	tmpl_info info;
	cfn_stack st;              /* the stack as found */
	int images;                /* the container stack: its images live in ECR, outside it */
	char repo[256], repo_uri[512];
	int repo_found;            /* repo_state: 1, 0, -1 unknown */
	size_t nres;               /* resources to delete, for the counter (0 = unknown) */
	int finished;              /* nothing left to do */
	tmpl_kept *kept;           /* what the delete keeps */
	size_t nkept;
	cfn_stack fin;             /* the stack after the delete */
	follow_result followed;
	follow_log log;            /* its events */
} destroy;

/* No stack: nothing to delete but, for the container, perhaps its ECR repository. */
static ctl_outcome destroy_absent(destroy *d)
{
	printf("%s does not exist — nothing to destroy\n", d->stack);
	d->finished = 1;
	if (!d->images)
		return CTL_OK;
	d->repo_found = repo_state(d->c, d->repo, d->repo_uri, sizeof d->repo_uri);
	if (d->repo_found == 0)
		return CTL_OK;
	if (!d->purge) {
		repo_kept_note(d->ctx, d->repo, d->repo_uri, d->repo_found == 1);
		return CTL_OK;
	}
	if (!*d->banner_done && stk_banner(d->ctx, d->c) != 0)
		return CTL_FAILED;
	*d->banner_done = 1;
	char q[600];
	snprintf(q, sizeof q, "Delete ECR repository %s and its images?", d->repo_uri);
	prompt_answer yes = prompt_confirm(d->ctx, q);
	return yes == PROMPT_YES ? purge_repo(d->c, d->repo, d->repo_uri) : prompt_refusal(yes);
}

static ctl_outcome step_wait_settled(destroy *d)
{
	if (templates_load(d->ctx, d->kind, NULL, &d->info) != 0)
		return CTL_FAILED;
	int ex = follow_wait_settled(d->c, d->stack, &d->st);
	if (ex < 0)
		return CTL_FAILED;
	return ex == 0 ? destroy_absent(d) : CTL_OK;
}

static ctl_outcome step_guard(destroy *d)
{
	if (d->force)
		return CTL_OK;
	return guard(d->ctx, d->c, d->kind, &d->info) == 0 ? CTL_OK : CTL_FAILED;
}

static ctl_outcome step_banner(destroy *d)
{
	if (!*d->banner_done && stk_banner(d->ctx, d->c) != 0)
		return CTL_FAILED;
	*d->banner_done = 1;
	return CTL_OK;
}

/* A stack parameter's value for the template's conditions: what an SSM-typed parameter
 * resolved to, else the value. */
static const char *stack_value(void *ud, const char *name)
{
	const cfn_stack *st = ud;
	for (size_t i = 0; i < st->nparams; i++)
		if (st->params[i].key && strcmp(st->params[i].key, name) == 0)
			return st->params[i].resolved ? st->params[i].resolved : st->params[i].value;
	return NULL;
}

/* What the delete keeps: the deployed template's DeletionPolicy and Conditions evaluated
 * with the stack's parameters (the local template when the deployed one cannot be read). */
static int find_kept(destroy *d)
{
	char *body = NULL;
	aws_error err;
	aws_error_clear(&err);
	if (strcmp(d->st.status, "REVIEW_IN_PROGRESS") == 0)
		return 0;   /* created for a change set never executed: it has no resources */
	if (cfn_get_template(d->c, d->st.id, &body, &err) != 0) {
		ctl_aws_error("reading the deployed template (the local one is used instead)", &err);
		tmpl_info local;
		if (templates_load(d->ctx, d->kind, &body, &local) != 0)
			return -1;
		tmpl_info_free(&local);
	}
	aws_error_clear(&err);
	int rc = tmpl_kept_on_delete(body, strlen(body), stack_value, &d->st, &d->kept, &d->nkept,
				     &err);
	if (rc != 0)
		ctl_errorf("%s: cannot tell what its deletion keeps: %s", d->stack, err.message);
	free(body);
	return rc;
}

static const char *physical_of(const cfn_resource *res, size_t n, const char *lid)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].logical_id && strcmp(res[i].logical_id, lid) == 0)
			return res[i].physical_id;
	return NULL;
}

/* What goes, and exactly what stays billable after the delete. */
static ctl_outcome step_list(destroy *d)
{
	/* The count and the physical ids are niceties and the delete goes on without them, but
	 * a failed listing must not read as "0 resources" just before the question. */
	cfn_resource *res = NULL;
	aws_error err;
	aws_error_clear(&err);
	int listed = cfn_describe_resources(d->c, d->st.id, &res, &d->nres, &err) == 0;
	char why[1024] = "";
	if (!listed) {
		d->nres = 0;
		aws_error_str(&err, why, sizeof why);
	}
	if (find_kept(d) != 0) {
		cfn_resources_free(res, d->nres);
		return CTL_FAILED;
	}
	int protected = d->st.protection && strcmp(d->st.protection, "true") == 0;
	if (protected && !d->lift) {
		char flags[512];
		ctl_errorf("%s has termination protection%s — to delete it anyway, run `showtablectl "
			   "%sdestroy --lift-protection %s`", d->stack,
			   stk_kind_protected(d->kind) ? " (it holds the table and its data)" : "",
			   stk_env_flags(d->ctx, flags, sizeof flags), d->kind);
		cfn_resources_free(res, d->nres);
		return CTL_FAILED;
	}
	if (protected)
		printf("%s: termination protection is on — lifted before the delete "
		       "(--lift-protection)\n", d->stack);
	if (listed)
		printf("%s (%s): %zu resources will be deleted\n", d->stack, d->st.status,
		       d->nres >= d->nkept ? d->nres - d->nkept : d->nres);
	else
		printf("%s (%s): every resource%s will be deleted (they could not be listed: %s)\n",
		       d->stack, d->st.status, d->nkept ? " but those kept below" : "", why);
	for (size_t i = 0; i < d->nkept; i++) {
		const tmpl_kept *k = &d->kept[i];
		const char *phys = physical_of(res, d->nres, k->logical_id);
		printf("  %s after delete (still billable): %s (%s, %s)%s%s\n",
		       strcmp(k->policy, "Snapshot") == 0 ? "a snapshot is kept" : "kept",
		       k->logical_id, k->type, k->policy, phys ? " — " : "", phys ? phys : "");
	}
	cfn_resources_free(res, d->nres);
	if (d->images)
		d->repo_found = repo_state(d->c, d->repo, d->repo_uri, sizeof d->repo_uri);
	if (d->images && d->purge && d->repo_found != 0)
		printf("  deleted after the stack (--purge-images): ECR repository %s and its "
		       "images\n", d->repo_uri);
	else if (d->images && d->repo_found != 0)
		printf("  kept after delete (still billable): ECR repository %s and its images "
		       "(--purge-images deletes it)\n", d->repo_uri);
	if (d->nkept == 0 && !(d->images && d->repo_found != 0 && !d->purge))
		printf("  nothing stays: the template keeps no resource after delete\n");
	return CTL_OK;
}

static ctl_outcome step_confirm(destroy *d)
{
	char q[320];
	snprintf(q, sizeof q, "Destroy %s?", d->stack);
	prompt_answer yes = prompt_confirm(d->ctx, q);
	if (yes == PROMPT_YES)
		return CTL_OK;
	if (yes == PROMPT_NO)
		printf("%s: not destroyed\n", d->stack);
	return prompt_refusal(yes);
}

static ctl_outcome step_delete(destroy *d)
{
	aws_error err;
	aws_error_clear(&err);
	if (d->st.protection && strcmp(d->st.protection, "true") == 0 &&
	    cfn_set_termination_protection(d->c, d->st.id, 0, &err) != 0) {
		ctl_aws_error("lifting termination protection", &err);
		return CTL_FAILED;
	}
	char *last = follow_last_event_id(d->c, d->st.id);
	if (cfn_delete_stack(d->c, d->st.id, &err) != 0) {
		ctl_aws_error(d->stack, &err);
		free(last);
		return CTL_FAILED;
	}
	d->followed = follow_stack(d->c, d->st.id, d->stack, last, d->nres, NULL, &d->fin, &d->log);
	free(last);
	timeline t;
	if (d->log.n && timeline_build(d->log.ev, d->log.n, d->stack, &t) == 0) {
		timeline_print(&t, d->stack);
		timeline_free(&t);
	}
	return d->followed == FOLLOW_ERROR ? CTL_FAILED : CTL_OK;
}

static ctl_outcome step_report(destroy *d)
{
	if (d->followed != FOLLOW_DONE || d->fin.status == NULL ||
	    strcmp(d->fin.status, "DELETE_COMPLETE") != 0) {
		ctl_errorf("%s: delete did not complete (%s) — see the reasons above; resources "
			   "that refuse to delete can be retained from the console's delete dialog",
			   d->stack, d->fin.status ? d->fin.status : "?");
		return CTL_FAILED;
	}
	printf("%s: DELETE_COMPLETE\n", d->stack);
	/* what CloudFormation actually left in place says it with DELETE_SKIPPED */
	for (size_t i = 0; i < d->log.n; i++) {
		const cfn_event *e = &d->log.ev[i];
		if (e->status && strcmp(e->status, "DELETE_SKIPPED") == 0)
			printf("  stays, still billable (DELETE_SKIPPED): %s (%s)%s%s — delete it "
			       "yourself when it is no longer needed\n",
			       e->logical_id ? e->logical_id : "?", e->type ? e->type : "?",
			       e->physical_id && *e->physical_id ? " " : "",
			       e->physical_id ? e->physical_id : "");
	}
	/* only now: the service may pull its image until the stack is gone */
	if (d->images && d->purge && d->repo_found != 0)
		return purge_repo(d->c, d->repo, d->repo_uri);
	if (d->images && d->repo_found != 0)
		repo_kept_note(d->ctx, d->repo, d->repo_uri, d->repo_found == 1);
	return CTL_OK;
}

static const struct destroy_step {
	const char *name;
	ctl_outcome (*run)(destroy *d);
} destroy_steps[] = {
	{"wait for a settled stack", step_wait_settled},
	{"guard", step_guard},
	{"banner", step_banner},
	{"list what goes and stays", step_list},
	{"confirm", step_confirm},
	{"delete", step_delete},
	{"report", step_report},
};

static ctl_outcome destroy_one(ctl_ctx *ctx, aws_client *c, const char *kind, int force,
			       int purge, int lift, int *banner_done)
{
	destroy d = {.ctx = ctx, .c = c, .kind = kind, .force = force, .purge = purge,
		     .lift = lift, .banner_done = banner_done, .repo_found = -1};
	d.images = strcmp(kind, "container") == 0;
	image_repository_name(ctx, d.repo, sizeof d.repo);
	snprintf(d.repo_uri, sizeof d.repo_uri, "%s", d.repo);
	stk_name(ctx, kind, d.stack, sizeof d.stack);
	ctl_outcome rc = CTL_OK;
	for (size_t i = 0; i < sizeof destroy_steps / sizeof destroy_steps[0]; i++) {
		if (ctx->verbose)
			fprintf(stderr, "%s: %s\n", d.stack, destroy_steps[i].name);
		rc = destroy_steps[i].run(&d);
		if (rc != CTL_OK || d.finished)
			break;
	}
	if (jsonl_on()) {
		json_t *kept = json_array();
		for (size_t i = 0; kept && i < d.nkept; i++)
			json_array_append_new(kept, json_pack("{s:s, s:s, s:s}", "resource",
							      d.kept[i].logical_id, "resource_type",
							      d.kept[i].type, "policy", d.kept[i].policy));
		jsonl_emit("kept", d.stack, json_pack("{s:o*}", "resources", kept));
		jsonl_result("destroy", d.stack, rc, NULL, d.fin.status);
	}
	cfn_stack_free(&d.fin);
	follow_log_free(&d.log);
	tmpl_kept_free(d.kept, d.nkept);
	cfn_stack_free(&d.st);
	tmpl_info_free(&d.info);
	fflush(stdout);
	return rc;
}

#define DESTROY_USAGE "destroy [--yes] [--force] [--purge-images] [--lift-protection] " \
	"vpc|table|container..."

static void usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl " DESTROY_USAGE "\n"
		"Deletes the stacks in reverse dependency order and says what stays billable.\n"
		"  --yes, -y          do not ask for confirmation (required without a terminal)\n"
		"  --force            delete a stack even while another one reads its parameters\n"
		"  --purge-images     with container: also delete its ECR repository and images\n"
		"  --lift-protection  lift the termination protection of a protected stack (the\n"
		"                     table's) and delete it; --yes alone does not\n"
		"Global flags come before the command (showtablectl --help); "
		"showtablectl(1) describes every option.\n");
}

ctl_outcome cmd_destroy(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, 0, 'f'},
		{"purge-images", no_argument, 0, 'P'},
		{"lift-protection", no_argument, 0, 'L'},
		{"yes", no_argument, 0, 'y'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int force = 0, purge = 0, lift = 0, ch;
	while ((ch = getopt_long(argc, argv, "fyh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'P': purge = 1; break;
		case 'L': lift = 1; break;
		case 'y': ctx->yes = 1; break;
		case 'h': usage(stdout); return CTL_OK;
		default: return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		ctl_errorf("usage: " DESTROY_USAGE);
		return CTL_USAGE;
	}
	int want[STK_NKINDS];
	if (stk_kinds_wanted(argc, argv, optind, want) < 0)
		return CTL_USAGE;
	if (purge && !want[STK_NKINDS - 1]) {
		ctl_errorf("--purge-images deletes the container's ECR repository: it goes with "
			   "`destroy container`");
		return CTL_USAGE;
	}
	ctl_outcome ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	int banner = 0;
	for (int k = STK_NKINDS - 1; k >= 0; k--) {
		if (!want[k])
			continue;
		ctl_outcome rc = destroy_one(ctx, c, stk_kinds[k], force, purge, lift, &banner);
		if (rc != CTL_OK)
			return rc;
	}
	return CTL_OK;
}

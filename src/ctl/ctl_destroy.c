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
#include "ecr.h"
#include "image.h"
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

/* DeleteRepository with force (its images go too). 0 deleted or not there, 1 failed. */
static int purge_repo(aws_client *c, const char *repo, const char *uri)
{
	aws_error err;
	aws_error_clear(&err);
	if (ecr_delete_repository(c, repo, 1, &err) == 0) {
		printf("deleted ECR repository %s and its images\n", uri);
		return 0;
	}
	if (strcmp(err.type, "RepositoryNotFoundException") == 0) {
		printf("ECR repository %s does not exist — no images to delete\n", repo);
		return 0;
	}
	ctl_aws_error("deleting the ECR repository", &err);
	return 1;
}

static int destroy_one(ctl_ctx *ctx, aws_client *c, const char *kind, int force, int purge,
		       int *banner_done)
{
	/* the container stack's images live in ECR, outside the stack */
	int images = strcmp(kind, "container") == 0;
	char repo[256], repo_uri[512];
	int repo_found = -1;
	image_repository_name(ctx, repo, sizeof repo);
	snprintf(repo_uri, sizeof repo_uri, "%s", repo);
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
		if (images && (repo_found = repo_state(c, repo, repo_uri, sizeof repo_uri)) == 0)
			goto out;
		if (images && !purge) {
			repo_kept_note(ctx, repo, repo_uri, repo_found == 1);
		} else if (images) {
			if (!*banner_done && stk_banner(ctx, c) != 0) {
				rc = 1;
				goto out;
			}
			*banner_done = 1;
			char q[600];
			snprintf(q, sizeof q, "Delete ECR repository %s and its images?", repo_uri);
			int yes = stk_confirm(ctx, q);
			rc = yes == 1 ? purge_repo(c, repo, repo_uri) : yes == 2 ? 2 : 1;
		}
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
		/* The count is a nicety and the delete goes on without it, but a failed listing
		 * must not read as "0 resources" just before the question. */
		cfn_resource *res = NULL;
		aws_error err;
		aws_error_clear(&err);
		if (cfn_describe_resources(c, st.id, &res, &nres, &err) == 0) {
			cfn_resources_free(res, nres);
			printf("%s (%s): %zu resources will be deleted\n", stack, st.status, nres);
		} else {
			char why[1024];
			nres = 0;
			printf("%s (%s): every resource will be deleted (they could not be listed: "
			       "%s)\n", stack, st.status, aws_error_str(&err, why, sizeof why));
		}
	}
	for (size_t i = 0; i < info.nretained; i++)
		printf("  kept after delete (still billable): %s\n", info.retained[i]);
	if (images)
		repo_found = repo_state(c, repo, repo_uri, sizeof repo_uri);
	if (images && purge && repo_found != 0)
		printf("  deleted after the stack (--purge-images): ECR repository %s and its "
		       "images\n", repo_uri);
	else if (images && repo_found != 0)
		printf("  kept after delete (still billable): ECR repository %s and its images "
		       "(--purge-images deletes it)\n", repo_uri);
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
		/* only now: the service may pull its image until the stack is gone */
		if (images && purge && repo_found != 0)
			rc = purge_repo(c, repo, repo_uri);
		else if (images && repo_found != 0)
			repo_kept_note(ctx, repo, repo_uri, repo_found == 1);
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
		{"purge-images", no_argument, 0, 'P'},
		{"yes", no_argument, 0, 'y'},
		{0, 0, 0, 0},
	};
	int force = 0, purge = 0, ch;
	while ((ch = getopt_long(argc, argv, "fy", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'P': purge = 1; break;
		case 'y': ctx->yes = 1; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		ctl_errorf("usage: destroy [--yes] [--force] [--purge-images] vpc|table|container...");
		return 2;
	}
	int want[STK_NKINDS];
	if (stk_kinds_wanted(argc, argv, optind, want) < 0)
		return 2;
	if (purge && !want[STK_NKINDS - 1]) {
		ctl_errorf("--purge-images deletes the container's ECR repository: it goes with "
			   "`destroy container`");
		return 2;
	}
	int ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	int banner = 0;
	for (int k = STK_NKINDS - 1; k >= 0; k--) {
		if (!want[k])
			continue;
		int rc = destroy_one(ctx, c, stk_kinds[k], force, purge, &banner);
		if (rc != 0)
			return rc;
	}
	return 0;
}

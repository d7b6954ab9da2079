/* ctl_drift.c — `showtablectl drift [STACK…]`.
 *
 * For each stack (all three by default; one that does not exist is skipped, saying so):
 * DetectStackDrift, wait for it, then DescribeStackResourceDrifts of the resources
 * MODIFIED or DELETED outside CloudFormation, each changed property with the value the
 * template expects and the one the resource has. Exit 0 when every stack is in sync,
 * 2 when one drifted (CTL_CHANGES), 1 on an error — for CI jobs that watch for hand edits.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cfn_drift.h"
#include "ctl_drift.h"
#include "follow.h"
#include "jsonl.h"
#include "stack.h"
#include "aws_time.h"

#define DRIFT_USAGE "drift [vpc|table|container...]"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl " DRIFT_USAGE "\n"
		"Detects changes made outside CloudFormation (all stacks by default) and prints\n"
		"each drifted resource's properties, expected and actual. Exit 0 in sync, 2\n"
		"drifted, 1 on an error.\n"
		"Global flags come before the command (showtablectl --help); "
		"showtablectl(1) describes every option.\n");
}

static void print_drifts(const cfn_resource_drift *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int deleted = r[i].status && strcmp(r[i].status, "DELETED") == 0;
		printf("  %c %s (%s) %s: %s\n", deleted ? '-' : '~',
		       r[i].logical_id ? r[i].logical_id : "?", r[i].type ? r[i].type : "?",
		       r[i].physical_id ? r[i].physical_id : "", r[i].status ? r[i].status : "?");
		for (size_t j = 0; j < r[i].ndiffs; j++) {
			const cfn_property_diff *d = &r[i].diffs[j];
			printf("      %s: expected %s, actual %s%s%s%s\n", d->path ? d->path : "?",
			       d->expected ? d->expected : "(none)", d->actual ? d->actual : "(none)",
			       d->kind ? " (" : "", d->kind ? d->kind : "", d->kind ? ")" : "");
		}
	}
}

static void emit_drifts(const char *stack, const char *drift, const cfn_resource_drift *r,
			size_t n)
{
	if (!jsonl_on())
		return;
	json_t *rs = json_array();
	for (size_t i = 0; rs && i < n; i++) {
		json_t *ds = json_array();
		for (size_t j = 0; ds && j < r[i].ndiffs; j++)
			json_array_append_new(ds, json_pack("{s:s?, s:s?, s:s?, s:s?}", "path",
							    r[i].diffs[j].path, "expected",
							    r[i].diffs[j].expected, "actual",
							    r[i].diffs[j].actual, "kind", r[i].diffs[j].kind));
		json_array_append_new(rs, json_pack("{s:s?, s:s?, s:s?, s:s?, s:o*}", "resource",
						    r[i].logical_id, "resource_type", r[i].type,
						    "physical_id", r[i].physical_id, "status",
						    r[i].status, "differences", ds));
	}
	jsonl_emit("drift", stack, json_pack("{s:s, s:o*}", "drift", drift, "resources", rs));
}

/* Detects one stack's drift and prints it: CTL_OK in sync, CTL_CHANGES drifted. */
static ctl_outcome drift_one(aws_client *c, const char *stack)
{
	cfn_stack st;
	int ex = follow_wait_settled(c, stack, &st);
	if (ex < 0)
		return CTL_FAILED;
	if (ex == 0) {
		printf("%s: does not exist — not checked\n", stack);
		return CTL_OK;
	}
	cfn_stack_free(&st);
	aws_error err;
	aws_error_clear(&err);
	char *id = NULL;
	if (cfn_detect_drift(c, stack, &id, &err) != 0) {
		ctl_aws_error(stack, &err);
		return CTL_FAILED;
	}
	cfn_drift_status ds = {0};
	time_t start = time(NULL);
	for (;;) {
		cfn_drift_status_free(&ds);
		if (cfn_describe_drift_status(c, id, &ds, &err) != 0) {
			ctl_aws_error(stack, &err);
			free(id);
			return CTL_FAILED;
		}
		if (strcmp(ds.detection, "DETECTION_IN_PROGRESS") != 0)
			break;
		if (time(NULL) - start > follow_wait_s()) {
			ctl_errorf("%s: drift detection still running after %ld s", stack,
				   follow_wait_s());
			cfn_drift_status_free(&ds);
			free(id);
			return CTL_FAILED;
		}
		aws_sleep_ms(follow_poll_ms() < 2000 ? follow_poll_ms() : 2000);
	}
	free(id);
	ctl_outcome rc = CTL_OK;
	const char *drift = ds.drift ? ds.drift : "UNKNOWN";
	if (strcmp(drift, "DRIFTED") == 0) {
		printf("%s: DRIFTED (%s resource%s changed outside CloudFormation)\n", stack,
		       ds.drifted_count ? ds.drifted_count : "?",
		       ds.drifted_count && strcmp(ds.drifted_count, "1") == 0 ? "" : "s");
		cfn_resource_drift *r = NULL;
		size_t n = 0;
		if (cfn_resource_drifts(c, stack, &r, &n, &err) != 0) {
			ctl_aws_error(stack, &err);
			rc = CTL_FAILED;
		} else {
			print_drifts(r, n);
			emit_drifts(stack, drift, r, n);
			cfn_resource_drifts_free(r, n);
			rc = CTL_CHANGES;
		}
	} else if (strcmp(drift, "IN_SYNC") == 0) {
		printf("%s: IN_SYNC\n", stack);
		emit_drifts(stack, drift, NULL, 0);
	} else {
		ctl_errorf("%s: drift %s (%s)%s%s", stack, drift, ds.detection,
			   ds.reason ? ": " : "", ds.reason ? ds.reason : "");
		rc = CTL_FAILED;
	}
	if (rc != CTL_FAILED && strcmp(ds.detection, "DETECTION_FAILED") == 0)
		printf("  note: detection incomplete%s%s\n", ds.reason ? ": " : "",
		       ds.reason ? ds.reason : "");
	cfn_drift_status_free(&ds);
	fflush(stdout);
	return rc;
}

ctl_outcome cmd_drift(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': usage(stdout); return CTL_OK;
		default: ctl_errorf("usage: " DRIFT_USAGE); return CTL_USAGE;
		}
	}
	int want[STK_NKINDS];
	if (optind == argc) {
		for (int k = 0; k < STK_NKINDS; k++)
			want[k] = 1;
	} else if (stk_kinds_wanted(argc, argv, optind, want) < 0) {
		return CTL_USAGE;
	}
	ctl_outcome rc;
	aws_client *c = stk_client(ctx, &rc);
	if (c == NULL)
		return rc;
	int drifted = 0, failed = 0;
	for (int k = 0; k < STK_NKINDS; k++) {
		if (!want[k])
			continue;
		char stack[256];
		stk_name(ctx, stk_kinds[k], stack, sizeof stack);
		rc = drift_one(c, stack);
		drifted |= rc == CTL_CHANGES;
		failed |= rc == CTL_FAILED;
	}
	return failed ? CTL_FAILED : drifted ? CTL_CHANGES : CTL_OK;
}

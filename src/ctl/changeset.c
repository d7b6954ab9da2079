/* changeset.c — creating, waiting for, showing and discarding change sets (changeset.h).
 * A change set with no changes is reported by CloudFormation as FAILED with a reason that
 * says so (cfn_change_set_is_empty): that is "no changes", not an error. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "changeset.h"
#include "ctl.h"
#include "follow.h"
#include "jsonl.h"
#include "aws_time.h"

/* DescribeChangeSet until CloudFormation has computed the change set. */
static changeset_state wait_computed(aws_client *c, const char *stack, const char *id, cfn_change_set *cs)
{
	time_t start = time(NULL);
	for (;;) {
		aws_error err;
		aws_error_clear(&err);
		cfn_change_set_free(cs);
		if (cfn_describe_change_set(c, id, cs, &err) != 0) {
			ctl_aws_error(stack, &err);
			return CHANGESET_ERROR;
		}
		if (strcmp(cs->status, "CREATE_COMPLETE") == 0)
			return CHANGESET_READY;
		if (cfn_change_set_is_empty(cs))
			return CHANGESET_EMPTY;
		if (strcmp(cs->status, "FAILED") == 0) {
			ctl_errorf("%s: CloudFormation could not prepare the change: %s", stack,
				   cs->reason ? cs->reason : "(no reason given)");
			return CHANGESET_ERROR;
		}
		if (time(NULL) - start > follow_wait_s()) {
			ctl_errorf("%s: the change set is still %s after %ld s", stack, cs->status,
				   follow_wait_s());
			return CHANGESET_ERROR;
		}
		aws_sleep_ms(follow_poll_ms() < 2000 ? follow_poll_ms() : 2000);
	}
}

changeset_state changeset_create(aws_client *c, const cfn_change_set_input *in, char **cs_id,
				 char **stack_id, cfn_change_set *cs)
{
	aws_error err;
	aws_error_clear(&err);
	*cs_id = *stack_id = NULL;
	if (cfn_create_change_set(c, in, cs_id, stack_id, &err) != 0) {
		ctl_aws_error(in->stack_name, &err);
		return CHANGESET_ERROR;
	}
	return wait_computed(c, in->stack_name, *cs_id, cs);
}

/* A property value for one line: at most 60 characters, the rest as "…". */
static void print_value(const char *v)
{
	if (v == NULL)
		fputs("(none)", stdout);
	else if (strcmp(v, CHANGESET_KNOWN_AFTER_APPLY) == 0)
		fputs("(known after the update)", stdout);
	else if (strlen(v) > 60)
		printf("%.57s…", v);
	else
		fputs(v, stdout);
}

static const cfn_kv *find_param(const cfn_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; key && i < n; i++)
		if (kv[i].key && strcmp(kv[i].key, key) == 0)
			return &kv[i];
	return NULL;
}

/* The parameters, each changed one with its deployed value; then the values the SSM-typed
 * parameters resolve to now against those the deployed stack resolved. */
static void print_params(const char *stack, const cfn_change_set *cs, const cfn_stack *deployed)
{
	for (size_t i = 0; jsonl_on() && i < cs->nparams; i++) {
		const cfn_kv *p = &cs->params[i];
		const cfn_kv *old = deployed ? find_param(deployed->params, deployed->nparams, p->key)
					     : NULL;
		int differs = old && old->value && p->value && strcmp(old->value, p->value) != 0;
		jsonl_emit("parameter", stack,
			   json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "key", p->key, "value", p->value,
				     "previous", differs ? old->value : NULL, "ssm_value", p->resolved,
				     "ssm_previous", old ? old->resolved : NULL));
	}
	if (cs->nparams == 0)
		return;
	printf("parameters:\n");
	size_t nssm = 0;
	for (size_t i = 0; i < cs->nparams; i++) {
		const cfn_kv *p = &cs->params[i];
		const cfn_kv *old = deployed ? find_param(deployed->params, deployed->nparams, p->key)
					     : NULL;
		const char *v = p->value ? p->value : "";
		nssm += p->resolved != NULL;
		if (old && old->value && strcmp(old->value, v) != 0)
			printf("  %s = %s   (was %s)\n", p->key ? p->key : "", v, old->value);
		else if (deployed && !old)
			printf("  %s = %s   (new)\n", p->key ? p->key : "", v);
		else
			printf("  %s = %s\n", p->key ? p->key : "", v);
	}
	if (nssm == 0)
		return;
	printf("SSM inputs (the values CloudFormation reads at this deploy):\n");
	for (size_t i = 0; i < cs->nparams; i++) {
		const cfn_kv *p = &cs->params[i];
		if (p->resolved == NULL)
			continue;
		const cfn_kv *old = deployed ? find_param(deployed->params, deployed->nparams, p->key)
					     : NULL;
		const char *was = old && old->value && p->value && strcmp(old->value, p->value) == 0
					  ? old->resolved : NULL;
		if (was && strcmp(was, p->resolved) == 0)
			printf("  %s: %s (unchanged)\n", p->value ? p->value : p->key, p->resolved);
		else if (was)
			printf("  %s: %s → %s\n", p->value ? p->value : p->key, was, p->resolved);
		else
			printf("  %s: %s (new)\n", p->value ? p->value : p->key, p->resolved);
	}
}

/* The "change" JSON line of one resource change. */
static void emit_change(const char *stack, const cfn_change *ch)
{
	json_t *ds = json_array();
	for (size_t j = 0; ds && j < ch->ndetails; j++) {
		const cfn_change_detail *d = &ch->details[j];
		json_array_append_new(ds, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
						    "property", d->name, "attribute", d->attribute,
						    "before", d->before, "after", d->after,
						    "recreation", d->recreation, "evaluation",
						    d->evaluation, "cause", d->causing));
	}
	jsonl_emit("change", stack, json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o*}", "action",
					      ch->action, "resource", ch->logical_id,
					      "resource_type", ch->type, "physical_id",
					      ch->physical_id, "replacement", ch->replacement,
					      "details", ds));
}

/* One line per ResourceChangeDetail: the property, old → new when CloudFormation sent the
 * values, what causes it when it is not a direct edit, and whether it replaces. */
static void print_detail(const cfn_change_detail *d)
{
	const char *what = d->name && *d->name ? d->name : d->attribute ? d->attribute : "?";
	printf("      %s", what);
	if (d->before || d->after) {
		fputs(": ", stdout);
		print_value(d->change_type && strcmp(d->change_type, "Add") == 0 ? NULL : d->before);
		fputs(" → ", stdout);
		print_value(d->change_type && strcmp(d->change_type, "Remove") == 0 ? NULL : d->after);
	} else {
		fputs(d->change_type && strcmp(d->change_type, "Add") == 0 ? " added" :
		      d->change_type && strcmp(d->change_type, "Remove") == 0 ? " removed" : " changes",
		      stdout);
	}
	if (d->source && d->causing && strcmp(d->source, "ParameterReference") == 0)
		printf("  (parameter %s)", d->causing);
	else if (d->source && d->causing && strcmp(d->source, "ResourceReference") == 0)
		printf("  (refers to %s)", d->causing);
	int dynamic = d->evaluation && strcmp(d->evaluation, "Dynamic") == 0;
	if (d->recreation && strcmp(d->recreation, "Always") == 0)
		fputs(dynamic ? " — may replace the resource" : " — replaces the resource", stdout);
	else if (d->recreation && strcmp(d->recreation, "Conditionally") == 0)
		fputs(" — may replace the resource", stdout);
	fputc('\n', stdout);
}

void changeset_print(const char *stack, const char *type, const cfn_change_set *cs,
		     const cfn_stack *deployed)
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
		/* the physical id says which real resource an update or removal touches */
		int phys = ch->physical_id && *ch->physical_id && mark != '+';
		printf("  %c %-7s %-32s %s%s%s%s%s%s\n", mark, a, ch->logical_id ? ch->logical_id : "",
		       ch->type ? ch->type : "", *note ? "  " : "", note, phys ? "  (" : "",
		       phys ? ch->physical_id : "", phys ? ")" : "");
		for (size_t j = 0; j < ch->ndetails; j++)
			print_detail(&ch->details[j]);
		if (jsonl_on())
			emit_change(stack, ch);
	}
	printf("  %zu to add, %zu to modify (%zu replaced or maybe replaced), %zu to remove\n", add,
	       mod, rep, rem);
	print_params(stack, cs, deployed);
	fflush(stdout);
}

void changeset_discard(aws_client *c, const char *stack, const char *cs_id, int creates)
{
	aws_error err;
	aws_error_clear(&err);
	if (cfn_delete_change_set(c, cs_id, &err) != 0)
		ctl_aws_error("deleting the change set", &err);
	if (creates && cfn_delete_stack(c, stack, &err) != 0)
		ctl_aws_error("deleting the empty stack the change set created", &err);
}

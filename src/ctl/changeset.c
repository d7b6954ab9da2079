/* changeset.c — creating, waiting for, showing and discarding change sets (changeset.h).
 * A change set with no changes is reported by CloudFormation as FAILED with a reason that
 * says so (cfn_change_set_is_empty): that is "no changes", not an error. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "changeset.h"
#include "ctl.h"
#include "follow.h"

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
		follow_sleep_ms(follow_poll_ms() < 2000 ? follow_poll_ms() : 2000);
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

void changeset_print(const char *stack, const char *type, const cfn_change_set *cs)
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

void changeset_discard(aws_client *c, const char *stack, const char *cs_id, int creates)
{
	aws_error err;
	aws_error_clear(&err);
	if (cfn_delete_change_set(c, cs_id, &err) != 0)
		ctl_aws_error("deleting the change set", &err);
	if (creates && cfn_delete_stack(c, stack, &err) != 0)
		ctl_aws_error("deleting the empty stack the change set created", &err);
}

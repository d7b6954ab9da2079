/* changeset.h — a CloudFormation change set, the one way showtablectl changes a stack: so
 * what is shown before the question is exactly what will be done. Created, waited for
 * until CloudFormation has computed it, shown, and deleted again when it is not executed.
 */
#ifndef CHANGESET_H
#define CHANGESET_H

#include "cfn.h"

typedef enum changeset_state {
	CHANGESET_READY,   /* computed, with changes: *cs is filled */
	CHANGESET_EMPTY,   /* computed, no changes */
	CHANGESET_ERROR,   /* the call failed, or CloudFormation could not compute it (printed) */
} changeset_state;

/* CreateChangeSet, then DescribeChangeSet until it is computed (at most follow_wait_s()).
 * *cs_id and *stack_id receive the ARNs (malloc'd, caller frees; NULL when the create
 * call failed); *cs (zeroed) the change set, freed with cfn_change_set_free. */
changeset_state changeset_create(aws_client *c, const cfn_change_set_input *in, char **cs_id,
				 char **stack_id, cfn_change_set *cs);

/* Prints the change set: one line per resource (+ add, ~ modify with replacement, - remove),
 * the counts, and the parameters. type is "CREATE" or "UPDATE". */
void changeset_print(const char *stack, const char *type, const cfn_change_set *cs);

/* Deletes a change set that will not be executed, and with creates the empty stack
 * (REVIEW_IN_PROGRESS) its CREATE made. Errors are printed; nothing is returned. */
void changeset_discard(aws_client *c, const char *stack, const char *cs_id, int creates);

#endif

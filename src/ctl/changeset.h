/* changeset.h — a CloudFormation change set, the one way showtablectl changes a stack: so
 * what is shown before the question is exactly what will be done. Created, waited for
 * until CloudFormation has computed it, shown, and deleted again when it is not executed.
 */
#ifndef CHANGESET_H
#define CHANGESET_H

#include "cfn.h"

/* The AfterValue of a property CloudFormation learns only during the update. */
#define CHANGESET_KNOWN_AFTER_APPLY "{{changeSet:KNOWN_AFTER_APPLY}}"

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

/* Prints the change set: one line per resource (+ add, ~ modify with replacement, - remove,
 * with the physical id of what is modified or removed), under a modification one line per
 * property (old → new, its cause, whether it replaces), the counts, and the parameters:
 * each one that changes with its deployed value, and for SSM-typed ones the value the SSM
 * parameter holds now against the one the deployed stack read. type is "CREATE" or
 * "UPDATE"; deployed is the stack as it is (NULL for a create). */
void changeset_print(const char *stack, const char *type, const cfn_change_set *cs,
		     const cfn_stack *deployed);

/* Deletes a change set that will not be executed, and with creates the empty stack
 * (REVIEW_IN_PROGRESS) its CREATE made. Errors are printed; nothing is returned. */
void changeset_discard(aws_client *c, const char *stack, const char *cs_id, int creates);

#endif

/* cfn.h — the CloudFormation operations showtablectl uses, over the Query protocol.
 *
 * API reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/
 * (Version 2010-05-15; responses in namespace CFN_NS). Each call is split in two: the
 * request (aws_query_call) and a pure parser of the response XML (cfn_parse_*), so the
 * parsers are unit-tested on responses copied from the reference. Paged operations
 * (DescribeStacks, DescribeStackEvents, DescribeChangeSet) follow NextToken, up to
 * CFN_MAX_PAGES pages. Every string in the structures below is malloc'd and owned by
 * the structure; free with the matching cfn_*_free.
 */
#ifndef CFN_H
#define CFN_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_client.h"

#define CFN_NS "http://cloudformation.amazonaws.com/doc/2010-05-15/"
#define CFN_MAX_PAGES 200

typedef struct cfn_kv {
	char *key;
	char *value;
	char *resolved;    /* Parameters only: ResolvedValue, what an SSM-typed parameter's
			    * name resolved to; NULL for other parameters and for outputs */
} cfn_kv;

typedef struct cfn_stack {
	char *id, *name, *status, *reason;   /* reason may be NULL */
	char *created, *updated;             /* ISO 8601; updated NULL when never updated */
	char *protection;                    /* EnableTerminationProtection "true"/"false", or NULL */
	cfn_kv *outputs;                     /* OutputKey → OutputValue */
	size_t noutputs;
	cfn_kv *params;                      /* ParameterKey → ParameterValue */
	size_t nparams;
	cfn_kv *tags;                        /* Key → Value */
	size_t ntags;
} cfn_stack;

typedef struct cfn_event {
	char *id, *logical_id, *physical_id, *type, *status, *reason, *timestamp;
} cfn_event;

/* One ResourceChangeDetail: what changes in a modified resource, and why. */
typedef struct cfn_change_detail {
	char *attribute;       /* Properties | Metadata | DeletionPolicy | Tags | ... */
	char *name;            /* the property, when attribute is Properties */
	char *recreation;      /* RequiresRecreation: Never | Conditionally | Always */
	char *change_type;     /* AttributeChangeType: Add | Remove | Modify */
	char *before, *after;  /* BeforeValue / AfterValue; NULL when not sent */
	char *evaluation;      /* Static | Dynamic (the value is known only during the update) */
	char *source;          /* ChangeSource: DirectModification | ParameterReference | ... */
	char *causing;         /* CausingEntity: the parameter or resource behind it, or NULL */
} cfn_change_detail;

typedef struct cfn_change {
	char *action;       /* Add | Modify | Remove | Import | Dynamic */
	char *logical_id, *physical_id, *type;
	char *replacement;  /* True | False | Conditional, NULL unless Modify */
	cfn_change_detail *details;   /* Modify: what changes */
	size_t ndetails;
} cfn_change;

typedef struct cfn_change_set {
	char *id, *stack_id, *status, *reason, *exec_status;
	cfn_change *changes;
	size_t nchanges;
	cfn_kv *params;
	size_t nparams;
} cfn_change_set;

typedef struct cfn_resource {
	char *logical_id, *physical_id, *type, *status;
} cfn_resource;

/* --- pure parsers: xml is one response body; lists are appended to (paging) --- */
int cfn_parse_stacks(const char *xml, size_t len, cfn_stack **stacks, size_t *n, char **next,
		     aws_error *err);
int cfn_parse_events(const char *xml, size_t len, cfn_event **ev, size_t *n, char **next,
		     aws_error *err);
/* The first page fills cs's fields; later pages append to cs->changes. */
int cfn_parse_change_set(const char *xml, size_t len, cfn_change_set *cs, char **next,
			 aws_error *err);
int cfn_parse_create_change_set(const char *xml, size_t len, char **id, char **stack_id,
				aws_error *err);
int cfn_parse_resources(const char *xml, size_t len, cfn_resource **r, size_t *n,
			aws_error *err);
/* GetTemplate: *body is the TemplateBody (malloc'd). */
int cfn_parse_template(const char *xml, size_t len, char **body, aws_error *err);

void cfn_stack_free(cfn_stack *s);
void cfn_stacks_free(cfn_stack *s, size_t n);
void cfn_events_free(cfn_event *ev, size_t n);
void cfn_change_set_free(cfn_change_set *cs);
void cfn_resources_free(cfn_resource *r, size_t n);

/* --- judgements on parsed data --- */
/* 1 when a FAILED change set failed only because it contains no changes. */
int cfn_change_set_is_empty(const cfn_change_set *cs);
/* 1 for *_IN_PROGRESS (incl. REVIEW_IN_PROGRESS is not: it is a created-but-empty stack). */
int cfn_status_in_progress(const char *status);
/* 1 when the reason only says the resource was cancelled because another one failed. */
int cfn_reason_is_cascade(const char *reason);
/* The root cause among events in chronological order: the earliest *_FAILED event with a
 * reason that is not a cascade. NULL when none. */
const cfn_event *cfn_root_cause(const cfn_event *ev, size_t n);

/* --- calls --- */
/* DescribeStacks for one stack (name or id). Returns 1 and fills *out when it exists,
 * 0 when CloudFormation says it does not exist (ValidationError), -1 on error. */
int cfn_describe_stack(aws_client *c, const char *name, cfn_stack *out, aws_error *err);

/* DescribeStackEvents, newest first, paging until the event with id stop_id (exclusive)
 * is reached; stop_id NULL = first page only. At most max events. */
int cfn_events_since(aws_client *c, const char *stack, const char *stop_id, size_t max,
		     cfn_event **ev, size_t *n, aws_error *err);

typedef struct cfn_param {
	const char *key;
	const char *value;     /* ignored when use_previous */
	int use_previous;
} cfn_param;

typedef struct cfn_change_set_input {
	const char *stack_name;
	const char *change_set_name;
	const char *type;             /* "CREATE" or "UPDATE" */
	const char *template_body;
	const cfn_param *params;
	size_t nparams;
	int capabilities_iam;         /* CAPABILITY_IAM and CAPABILITY_NAMED_IAM */
	const cfn_kv *tags;           /* the stack's tags, propagated to its resources */
	size_t ntags;
	const char *description;      /* NULL = none */
} cfn_change_set_input;

/* CreateChangeSet; *id and *stack_id (may be NULL) receive the ARNs (caller frees). */
int cfn_create_change_set(aws_client *c, const cfn_change_set_input *in, char **id,
			  char **stack_id, aws_error *err);
/* DescribeChangeSet with every page of changes, with property values
 * (IncludePropertyValues). cs must be zeroed. */
int cfn_describe_change_set(aws_client *c, const char *id, cfn_change_set *cs, aws_error *err);
int cfn_execute_change_set(aws_client *c, const char *id, aws_error *err);
int cfn_delete_change_set(aws_client *c, const char *id, aws_error *err);
int cfn_delete_stack(aws_client *c, const char *name, aws_error *err);
/* UpdateTerminationProtection: on (enable 1) or off (0). */
int cfn_set_termination_protection(aws_client *c, const char *stack, int enable,
				   aws_error *err);
/* ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED, skipping the nskip
 * resources named in skip (logical ids of resources in UPDATE_FAILED). */
int cfn_continue_update_rollback(aws_client *c, const char *stack, const char *const *skip,
				 size_t nskip, aws_error *err);

/* One CloudFormation call: params (form-encoded, without Action and Version) → resp, the
 * response body; errors name "CloudFormation <op>". For the other cfn_* files. */
int cfn_call(aws_client *c, const char *op, const aws_buf *params, aws_buf *resp,
	     aws_error *err);
/* CancelUpdateStack: an UPDATE_IN_PROGRESS stack rolls back to its previous configuration
 * (the API refuses any other state with a ValidationError). */
int cfn_cancel_update_stack(aws_client *c, const char *name, aws_error *err);
/* GetTemplate (TemplateStage Original): the template the stack was last deployed with, as
 * written, into *body (malloc'd, caller frees). */
int cfn_get_template(aws_client *c, const char *stack, char **body, aws_error *err);
/* DescribeStackResources (not paged by the API; up to the stack's resource count). */
int cfn_describe_resources(aws_client *c, const char *stack, cfn_resource **res, size_t *n,
			   aws_error *err);

#endif

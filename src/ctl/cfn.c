/* cfn.c — CloudFormation over the Query protocol: request building, paging, and response
 * parsing with aws_query (see cfn.h). Structures are filled from field tables (element name
 * → struct offset) so each response shape is described once, as in the API reference. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cfn.h"
#include "ctl.h"
#include "aws_query.h"

struct field {
	const char *elem;
	size_t off;
};

/* Fills the char* fields listed in f from the children of node. */
static int fill(const aws_xml_node *node, void *obj, const struct field *f, size_t nf)
{
	int oom = 0;
	for (size_t i = 0; i < nf; i++) {
		char **slot = (char **)((char *)obj + f[i].off);
		*slot = aws_query_dup(node, f[i].elem, &oom);
	}
	return oom ? -1 : 0;
}

static void unfill(void *obj, const struct field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		char **slot = (char **)((char *)obj + f[i].off);
		free(*slot);
		*slot = NULL;
	}
}

static const struct field stack_fields[] = {
	{"StackId", offsetof(cfn_stack, id)},
	{"StackName", offsetof(cfn_stack, name)},
	{"StackStatus", offsetof(cfn_stack, status)},
	{"StackStatusReason", offsetof(cfn_stack, reason)},
	{"CreationTime", offsetof(cfn_stack, created)},
	{"LastUpdatedTime", offsetof(cfn_stack, updated)},
	{"EnableTerminationProtection", offsetof(cfn_stack, protection)},
};
static const struct field event_fields[] = {
	{"EventId", offsetof(cfn_event, id)},
	{"LogicalResourceId", offsetof(cfn_event, logical_id)},
	{"PhysicalResourceId", offsetof(cfn_event, physical_id)},
	{"ResourceType", offsetof(cfn_event, type)},
	{"ResourceStatus", offsetof(cfn_event, status)},
	{"ResourceStatusReason", offsetof(cfn_event, reason)},
	{"Timestamp", offsetof(cfn_event, timestamp)},
};
static const struct field change_fields[] = {
	{"Action", offsetof(cfn_change, action)},
	{"LogicalResourceId", offsetof(cfn_change, logical_id)},
	{"PhysicalResourceId", offsetof(cfn_change, physical_id)},
	{"ResourceType", offsetof(cfn_change, type)},
	{"Replacement", offsetof(cfn_change, replacement)},
};
static const struct field target_fields[] = {
	{"Attribute", offsetof(cfn_change_detail, attribute)},
	{"Name", offsetof(cfn_change_detail, name)},
	{"RequiresRecreation", offsetof(cfn_change_detail, recreation)},
	{"AttributeChangeType", offsetof(cfn_change_detail, change_type)},
	{"BeforeValue", offsetof(cfn_change_detail, before)},
	{"AfterValue", offsetof(cfn_change_detail, after)},
};
static const struct field detail_fields[] = {
	{"Evaluation", offsetof(cfn_change_detail, evaluation)},
	{"ChangeSource", offsetof(cfn_change_detail, source)},
	{"CausingEntity", offsetof(cfn_change_detail, causing)},
};
static const struct field cs_fields[] = {
	{"ChangeSetId", offsetof(cfn_change_set, id)},
	{"StackId", offsetof(cfn_change_set, stack_id)},
	{"Status", offsetof(cfn_change_set, status)},
	{"StatusReason", offsetof(cfn_change_set, reason)},
	{"ExecutionStatus", offsetof(cfn_change_set, exec_status)},
};
static const struct field res_fields[] = {
	{"LogicalResourceId", offsetof(cfn_resource, logical_id)},
	{"PhysicalResourceId", offsetof(cfn_resource, physical_id)},
	{"ResourceType", offsetof(cfn_resource, type)},
	{"ResourceStatus", offsetof(cfn_resource, status)},
};
#define NF(a) (sizeof a / sizeof a[0])

static int nomem(aws_error *err, const char *op)
{
	return aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory parsing the response", op);
}

/* Reads <List><member><K>..</K><V>..</V></member>..</List> into kv pairs (Parameters
 * also keep their ResolvedValue). */
static int parse_kvs(const aws_xml_node *parent, const char *list, const char *k,
		     const char *v, cfn_kv **out, size_t *n)
{
	for (const aws_xml_node *m = aws_query_members(parent, list); m; m = aws_query_next(m)) {
		cfn_kv *kv = aws_buf_array_push(out, n, sizeof *kv);
		if (kv == NULL)
			return -1;
		int oom = 0;
		kv->key = aws_query_dup(m, k, &oom);
		kv->value = aws_query_dup(m, v, &oom);
		if (strcmp(list, "Parameters") == 0)
			kv->resolved = aws_query_dup(m, "ResolvedValue", &oom);
		if (oom)
			return -1;
	}
	return 0;
}

static void kvs_free(cfn_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
		free(kv[i].resolved);
	}
	free(kv);
}

/* <Details><member><Target>..</Target><Evaluation/>..</member></Details> of a change. */
static int parse_details(const aws_xml_node *rcn, cfn_change *c)
{
	for (const aws_xml_node *m = aws_query_members(rcn, "Details"); m; m = aws_query_next(m)) {
		cfn_change_detail *d = aws_buf_array_push(&c->details, &c->ndetails, sizeof *d);
		const aws_xml_node *t = aws_query_child(m, "Target");
		if (d == NULL || fill(m, d, detail_fields, NF(detail_fields)) != 0 ||
		    (t && fill(t, d, target_fields, NF(target_fields)) != 0))
			return -1;
	}
	return 0;
}

static int take_next(const aws_xml_node *result, char **next)
{
	if (next == NULL)
		return 0;
	free(*next);
	int oom = 0;
	*next = aws_query_dup(result, "NextToken", &oom);
	if (*next && **next == '\0') {
		free(*next);
		*next = NULL;
	}
	return oom ? -1 : 0;
}

int cfn_parse_stacks(const char *xml, size_t len, cfn_stack **stacks, size_t *n, char **next,
		     aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeStacks", CFN_NS, &d, err) != 0)
		return -1;
	int rc = 0;
	for (const aws_xml_node *m = aws_query_members(d.result, "Stacks"); m && rc == 0;
	     m = aws_query_next(m)) {
		cfn_stack *s = aws_buf_array_push(stacks, n, sizeof *s);
		if (s == NULL || fill(m, s, stack_fields, NF(stack_fields)) != 0 ||
		    parse_kvs(m, "Outputs", "OutputKey", "OutputValue", &s->outputs, &s->noutputs) ||
		    parse_kvs(m, "Parameters", "ParameterKey", "ParameterValue", &s->params,
			      &s->nparams) ||
		    parse_kvs(m, "Tags", "Key", "Value", &s->tags, &s->ntags))
			rc = nomem(err, "DescribeStacks");
	}
	if (rc == 0 && take_next(d.result, next) != 0)
		rc = nomem(err, "DescribeStacks");
	aws_query_free(&d);
	return rc;
}

int cfn_parse_events(const char *xml, size_t len, cfn_event **ev, size_t *n, char **next,
		     aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeStackEvents", CFN_NS, &d, err) != 0)
		return -1;
	int rc = 0;
	for (const aws_xml_node *m = aws_query_members(d.result, "StackEvents"); m && rc == 0;
	     m = aws_query_next(m)) {
		cfn_event *e = aws_buf_array_push(ev, n, sizeof *e);
		if (e == NULL || fill(m, e, event_fields, NF(event_fields)) != 0)
			rc = nomem(err, "DescribeStackEvents");
	}
	if (rc == 0 && take_next(d.result, next) != 0)
		rc = nomem(err, "DescribeStackEvents");
	aws_query_free(&d);
	return rc;
}

int cfn_parse_change_set(const char *xml, size_t len, cfn_change_set *cs, char **next,
			 aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeChangeSet", CFN_NS, &d, err) != 0)
		return -1;
	int rc = 0;
	if (d.result == NULL) {
		rc = aws_error_set(err, AWS_ERR_PROTOCOL,
				   "DescribeChangeSet: response has no <DescribeChangeSetResult>");
		goto out;
	}
	if (cs->status == NULL) {
		if (fill(d.result, cs, cs_fields, NF(cs_fields)) != 0 ||
		    parse_kvs(d.result, "Parameters", "ParameterKey", "ParameterValue", &cs->params,
			      &cs->nparams) != 0) {
			rc = nomem(err, "DescribeChangeSet");
			goto out;
		}
		if (cs->status == NULL) {
			rc = aws_error_set(err, AWS_ERR_PROTOCOL,
					   "DescribeChangeSet: response has no <Status>");
			goto out;
		}
	}
	for (const aws_xml_node *m = aws_query_members(d.result, "Changes"); m && rc == 0;
	     m = aws_query_next(m)) {
		/* Only Type=Resource changes exist today; anything else is skipped, not guessed. */
		const aws_xml_node *rcn = aws_query_child(m, "ResourceChange");
		if (rcn == NULL)
			continue;
		cfn_change *c = aws_buf_array_push(&cs->changes, &cs->nchanges, sizeof *c);
		if (c == NULL || fill(rcn, c, change_fields, NF(change_fields)) != 0 ||
		    parse_details(rcn, c) != 0)
			rc = nomem(err, "DescribeChangeSet");
	}
	if (rc == 0 && take_next(d.result, next) != 0)
		rc = nomem(err, "DescribeChangeSet");
out:
	aws_query_free(&d);
	return rc;
}

int cfn_parse_create_change_set(const char *xml, size_t len, char **id, char **stack_id,
				aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "CreateChangeSet", CFN_NS, &d, err) != 0)
		return -1;
	int oom = 0;
	char *i = aws_query_dup(d.result, "Id", &oom);
	char *s = aws_query_dup(d.result, "StackId", &oom);
	aws_query_free(&d);
	if (oom || i == NULL || *i == '\0') {
		free(i);
		free(s);
		return oom ? nomem(err, "CreateChangeSet")
			   : aws_error_set(err, AWS_ERR_PROTOCOL, "CreateChangeSet: response has no <Id>");
	}
	*id = i;
	if (stack_id)
		*stack_id = s;
	else
		free(s);
	return 0;
}

int cfn_parse_template(const char *xml, size_t len, char **body, aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "GetTemplate", CFN_NS, &d, err) != 0)
		return -1;
	int oom = 0;
	*body = d.result ? aws_query_dup(d.result, "TemplateBody", &oom) : NULL;
	aws_query_free(&d);
	if (oom)
		return nomem(err, "GetTemplate");
	if (*body == NULL)
		return aws_error_set(err, AWS_ERR_PROTOCOL, "GetTemplate: response has no "
				     "<TemplateBody>");
	return 0;
}

int cfn_parse_resources(const char *xml, size_t len, cfn_resource **r, size_t *n,
			aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeStackResources", CFN_NS, &d, err) != 0)
		return -1;
	int rc = 0;
	for (const aws_xml_node *m = aws_query_members(d.result, "StackResources"); m && rc == 0;
	     m = aws_query_next(m)) {
		cfn_resource *e = aws_buf_array_push(r, n, sizeof *e);
		if (e == NULL || fill(m, e, res_fields, NF(res_fields)) != 0)
			rc = nomem(err, "DescribeStackResources");
	}
	aws_query_free(&d);
	return rc;
}

void cfn_stack_free(cfn_stack *s)
{
	if (s == NULL)
		return;
	unfill(s, stack_fields, NF(stack_fields));
	kvs_free(s->outputs, s->noutputs);
	kvs_free(s->params, s->nparams);
	kvs_free(s->tags, s->ntags);
	memset(s, 0, sizeof *s);
}

void cfn_stacks_free(cfn_stack *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cfn_stack_free(&s[i]);
	free(s);
}

void cfn_events_free(cfn_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unfill(&ev[i], event_fields, NF(event_fields));
	free(ev);
}

void cfn_change_set_free(cfn_change_set *cs)
{
	if (cs == NULL)
		return;
	unfill(cs, cs_fields, NF(cs_fields));
	for (size_t i = 0; i < cs->nchanges; i++) {
		cfn_change *c = &cs->changes[i];
		for (size_t j = 0; j < c->ndetails; j++) {
			unfill(&c->details[j], target_fields, NF(target_fields));
			unfill(&c->details[j], detail_fields, NF(detail_fields));
		}
		free(c->details);
		unfill(c, change_fields, NF(change_fields));
	}
	free(cs->changes);
	kvs_free(cs->params, cs->nparams);
	memset(cs, 0, sizeof *cs);
}

void cfn_resources_free(cfn_resource *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unfill(&r[i], res_fields, NF(res_fields));
	free(r);
}

int cfn_change_set_is_empty(const cfn_change_set *cs)
{
	if (cs->status == NULL || strcmp(cs->status, "FAILED") != 0 || cs->reason == NULL)
		return 0;
	/* The reasons CloudFormation gives for an empty change set (create and update). */
	return strstr(cs->reason, "didn't contain changes") != NULL ||
	       strstr(cs->reason, "No updates are to be performed") != NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int cfn_status_in_progress(const char *status)
{
	return status && ends_with(status, "_IN_PROGRESS") &&
	       strcmp(status, "REVIEW_IN_PROGRESS") != 0;
}

int cfn_reason_is_cascade(const char *reason)
{
	static const char *const cascades[] = {
		"Resource creation cancelled", "Resource update cancelled",
		"Resource deletion cancelled", "The following resource(s) failed",
	};
	if (reason == NULL)
		return 1;
	for (size_t i = 0; i < NF(cascades); i++)
		if (strncmp(reason, cascades[i], strlen(cascades[i])) == 0)
			return 1;
	return 0;
}

const cfn_event *cfn_root_cause(const cfn_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ev[i].status && ends_with(ev[i].status, "_FAILED") && ev[i].reason &&
		    *ev[i].reason && !cfn_reason_is_cascade(ev[i].reason))
			return &ev[i];
	return NULL;
}

/* --- calls --- */

int cfn_call(aws_client *c, const char *op, const aws_buf *params, aws_buf *resp,
	     aws_error *err)
{
	aws_buf_reset(resp);
	/* The client's errors already name "CloudFormation <op>": no second prefix. */
	return aws_query_call(c, &AWS_SERVICE_CLOUDFORMATION, op, params->data ? params->data : "",
			      resp, err);
}


static int not_exist(const aws_error *err)
{
	return err->kind == AWS_ERR_SERVICE && strcmp(err->type, "ValidationError") == 0 &&
	       strstr(err->message, "does not exist") != NULL;
}

int cfn_describe_stack(aws_client *c, const char *name, cfn_stack *out, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	cfn_stack *list = NULL;
	size_t n = 0;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (aws_query_form_add(&p, "StackName", name) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (cfn_call(c, "DescribeStacks", &p, &r, err) != 0) {
		rc = not_exist(err) ? 0 : -1;
		goto out;
	}
	if (cfn_parse_stacks(r.data, r.len, &list, &n, NULL, err) != 0)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	*out = list[0];
	memset(&list[0], 0, sizeof list[0]);
	rc = 1;
out:
	cfn_stacks_free(list, n);
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

/* Frees events [from, *n) and sets *n = from. */
static void events_truncate(cfn_event *ev, size_t *n, size_t from)
{
	for (size_t j = from; j < *n; j++)
		unfill(&ev[j], event_fields, NF(event_fields));
	if (from < *n)
		*n = from;
}

int cfn_events_since(aws_client *c, const char *stack, const char *stop_id, size_t max,
		     cfn_event **ev, size_t *n, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	char *next = NULL;
	int rc = 0;
	*ev = NULL;
	*n = 0;
	for (int page = 0; page < CFN_MAX_PAGES; page++) {
		aws_buf_reset(&p);
		if (aws_query_form_add(&p, "StackName", stack) != 0 ||
		    (next && aws_query_form_add(&p, "NextToken", next) != 0)) {
			rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			break;
		}
		size_t before = *n;
		if (cfn_call(c, "DescribeStackEvents", &p, &r, err) != 0 ||
		    cfn_parse_events(r.data, r.len, ev, n, &next, err) != 0) {
			rc = -1;
			break;
		}
		/* Events come newest first: everything from the stop event on was seen before. */
		size_t cut = *n;
		for (size_t i = before; i < *n && stop_id; i++)
			if ((*ev)[i].id && strcmp((*ev)[i].id, stop_id) == 0) {
				cut = i;
				break;
			}
		if (cut > max)
			cut = max;
		int done = cut < *n;
		events_truncate(*ev, n, cut);
		if (done || stop_id == NULL || next == NULL)
			break;
	}
	free(next);
	aws_buf_free(&p);
	aws_buf_free(&r);
	if (rc != 0) {
		cfn_events_free(*ev, *n);
		*ev = NULL;
		*n = 0;
	}
	return rc;
}

static int add_params(aws_buf *p, const cfn_change_set_input *in)
{
	if (aws_query_form_add(p, "StackName", in->stack_name) ||
	    aws_query_form_add(p, "ChangeSetName", in->change_set_name) ||
	    aws_query_form_add(p, "ChangeSetType", in->type) ||
	    aws_query_form_add(p, "TemplateBody", in->template_body))
		return -1;
	if (in->description && aws_query_form_add(p, "Description", in->description))
		return -1;
	for (size_t i = 0; i < in->nparams; i++) {
		if (aws_query_form_addf(p, in->params[i].key, "Parameters.member.%zu.ParameterKey", i + 1))
			return -1;
		if (in->params[i].use_previous) {
			if (aws_query_form_addf(p, "true", "Parameters.member.%zu.UsePreviousValue", i + 1))
				return -1;
		} else if (aws_query_form_addf(p, in->params[i].value, "Parameters.member.%zu.ParameterValue",
					  i + 1)) {
			return -1;
		}
	}
	for (size_t i = 0; i < in->ntags; i++)
		if (aws_query_form_addf(p, in->tags[i].key, "Tags.member.%zu.Key", i + 1) ||
		    aws_query_form_addf(p, in->tags[i].value, "Tags.member.%zu.Value", i + 1))
			return -1;
	if (in->capabilities_iam &&
	    (aws_query_form_add(p, "Capabilities.member.1", "CAPABILITY_IAM") ||
	     aws_query_form_add(p, "Capabilities.member.2", "CAPABILITY_NAMED_IAM")))
		return -1;
	return 0;
}

int cfn_create_change_set(aws_client *c, const cfn_change_set_input *in, char **id,
			  char **stack_id, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = -1;
	if (add_params(&p, in) != 0)
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory building CreateChangeSet");
	else if (cfn_call(c, "CreateChangeSet", &p, &r, err) == 0)
		rc = cfn_parse_create_change_set(r.data, r.len, id, stack_id, err);
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

int cfn_describe_change_set(aws_client *c, const char *id, cfn_change_set *cs, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	char *next = NULL;
	int rc = 0;
	for (int page = 0; page < CFN_MAX_PAGES; page++) {
		aws_buf_reset(&p);
		if (aws_query_form_add(&p, "ChangeSetName", id) ||
		    aws_query_form_add(&p, "IncludePropertyValues", "true") ||
		    (next && aws_query_form_add(&p, "NextToken", next))) {
			rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			break;
		}
		if (cfn_call(c, "DescribeChangeSet", &p, &r, err) != 0 ||
		    cfn_parse_change_set(r.data, r.len, cs, &next, err) != 0) {
			rc = -1;
			break;
		}
		if (next == NULL)
			break;
	}
	free(next);
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

/* A call whose response carries nothing we need beyond success. */
static int simple(aws_client *c, const char *op, const char *key, const char *val,
		  aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = -1;
	if (aws_query_form_add(&p, key, val) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	} else if (cfn_call(c, op, &p, &r, err) == 0) {
		aws_query_doc d;
		rc = aws_query_parse(r.data, r.len, op, CFN_NS, &d, err);
		aws_query_free(&d);
	}
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

int cfn_execute_change_set(aws_client *c, const char *id, aws_error *err)
{
	return simple(c, "ExecuteChangeSet", "ChangeSetName", id, err);
}

int cfn_delete_change_set(aws_client *c, const char *id, aws_error *err)
{
	return simple(c, "DeleteChangeSet", "ChangeSetName", id, err);
}

int cfn_delete_stack(aws_client *c, const char *name, aws_error *err)
{
	return simple(c, "DeleteStack", "StackName", name, err);
}

int cfn_set_termination_protection(aws_client *c, const char *stack, int enable,
				   aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = -1;
	if (aws_query_form_add(&p, "EnableTerminationProtection", enable ? "true" : "false") != 0 ||
	    aws_query_form_add(&p, "StackName", stack) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	} else if (cfn_call(c, "UpdateTerminationProtection", &p, &r, err) == 0) {
		aws_query_doc d;
		rc = aws_query_parse(r.data, r.len, "UpdateTerminationProtection", CFN_NS, &d, err);
		aws_query_free(&d);
	}
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

int cfn_continue_update_rollback(aws_client *c, const char *stack, const char *const *skip,
				 size_t nskip, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = aws_query_form_add(&p, "StackName", stack);
	for (size_t i = 0; rc == 0 && i < nskip; i++)
		rc = aws_query_form_addf(&p, skip[i], "ResourcesToSkip.member.%zu", i + 1);
	if (rc != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		rc = -1;
	} else if ((rc = cfn_call(c, "ContinueUpdateRollback", &p, &r, err)) == 0) {
		aws_query_doc d;
		rc = aws_query_parse(r.data, r.len, "ContinueUpdateRollback", CFN_NS, &d, err);
		aws_query_free(&d);
	}
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

int cfn_cancel_update_stack(aws_client *c, const char *name, aws_error *err)
{
	return simple(c, "CancelUpdateStack", "StackName", name, err);
}

int cfn_get_template(aws_client *c, const char *stack, char **body, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = -1;
	*body = NULL;
	if (aws_query_form_add(&p, "StackName", stack) != 0 ||
	    aws_query_form_add(&p, "TemplateStage", "Original") != 0)
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	else if (cfn_call(c, "GetTemplate", &p, &r, err) == 0)
		rc = cfn_parse_template(r.data, r.len, body, err);
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

int cfn_describe_resources(aws_client *c, const char *stack, cfn_resource **res, size_t *n,
			   aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	int rc = -1;
	*res = NULL;
	*n = 0;
	if (aws_query_form_add(&p, "StackName", stack) != 0)
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	else if (cfn_call(c, "DescribeStackResources", &p, &r, err) == 0)
		rc = cfn_parse_resources(r.data, r.len, res, n, err);
	aws_buf_free(&p);
	aws_buf_free(&r);
	if (rc != 0) {
		cfn_resources_free(*res, *n);
		*res = NULL;
		*n = 0;
	}
	return rc;
}

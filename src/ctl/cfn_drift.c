/* cfn_drift.c — drift detection over the Query protocol (see cfn_drift.h). */
#include <stdlib.h>
#include <string.h>
#include "cfn.h"
#include "cfn_drift.h"
#include "ctl.h"
#include "aws_query.h"

static int nomem(aws_error *err, const char *op)
{
	return aws_error_set(err, AWS_ERR_NOMEM, "%s: out of memory parsing the response", op);
}

int cfn_parse_detect_drift(const char *xml, size_t len, char **id, aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DetectStackDrift", CFN_NS, &d, err) != 0)
		return -1;
	int oom = 0;
	*id = d.result ? aws_query_dup(d.result, "StackDriftDetectionId", &oom) : NULL;
	aws_query_free(&d);
	if (oom)
		return nomem(err, "DetectStackDrift");
	if (*id == NULL || **id == '\0') {
		free(*id);
		*id = NULL;
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "DetectStackDrift: response has no <StackDriftDetectionId>");
	}
	return 0;
}

int cfn_parse_drift_status(const char *xml, size_t len, cfn_drift_status *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeStackDriftDetectionStatus", CFN_NS, &d, err) != 0)
		return -1;
	int oom = 0;
	if (d.result) {
		out->detection = aws_query_dup(d.result, "DetectionStatus", &oom);
		out->drift = aws_query_dup(d.result, "StackDriftStatus", &oom);
		out->reason = aws_query_dup(d.result, "DetectionStatusReason", &oom);
		out->drifted_count = aws_query_dup(d.result, "DriftedStackResourceCount", &oom);
	}
	aws_query_free(&d);
	if (oom) {
		cfn_drift_status_free(out);
		return nomem(err, "DescribeStackDriftDetectionStatus");
	}
	if (out->detection == NULL) {
		cfn_drift_status_free(out);
		return aws_error_set(err, AWS_ERR_PROTOCOL, "DescribeStackDriftDetectionStatus: "
				     "response has no <DetectionStatus>");
	}
	return 0;
}

int cfn_parse_resource_drifts(const char *xml, size_t len, cfn_resource_drift **r, size_t *n,
			      char **next, aws_error *err)
{
	aws_query_doc d;
	if (aws_query_parse(xml, len, "DescribeStackResourceDrifts", CFN_NS, &d, err) != 0)
		return -1;
	int oom = 0;
	for (const aws_xml_node *m = aws_query_members(d.result, "StackResourceDrifts"); m && !oom;
	     m = aws_query_next(m)) {
		cfn_resource_drift *e = aws_buf_array_push(r, n, sizeof *e);
		if (e == NULL) {
			oom = 1;
			break;
		}
		e->logical_id = aws_query_dup(m, "LogicalResourceId", &oom);
		e->physical_id = aws_query_dup(m, "PhysicalResourceId", &oom);
		e->type = aws_query_dup(m, "ResourceType", &oom);
		e->status = aws_query_dup(m, "StackResourceDriftStatus", &oom);
		for (const aws_xml_node *p = aws_query_members(m, "PropertyDifferences"); p && !oom;
		     p = aws_query_next(p)) {
			cfn_property_diff *pd = aws_buf_array_push(&e->diffs, &e->ndiffs, sizeof *pd);
			if (pd == NULL) {
				oom = 1;
				break;
			}
			pd->path = aws_query_dup(p, "PropertyPath", &oom);
			pd->expected = aws_query_dup(p, "ExpectedValue", &oom);
			pd->actual = aws_query_dup(p, "ActualValue", &oom);
			pd->kind = aws_query_dup(p, "DifferenceType", &oom);
		}
	}
	if (!oom && next) {
		free(*next);
		*next = aws_query_dup(d.result, "NextToken", &oom);
		if (*next && **next == '\0') {
			free(*next);
			*next = NULL;
		}
	}
	aws_query_free(&d);
	return oom ? nomem(err, "DescribeStackResourceDrifts") : 0;
}

void cfn_drift_status_free(cfn_drift_status *s)
{
	free(s->detection);
	free(s->drift);
	free(s->reason);
	free(s->drifted_count);
	memset(s, 0, sizeof *s);
}

void cfn_resource_drifts_free(cfn_resource_drift *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < r[i].ndiffs; j++) {
			free(r[i].diffs[j].path);
			free(r[i].diffs[j].expected);
			free(r[i].diffs[j].actual);
			free(r[i].diffs[j].kind);
		}
		free(r[i].diffs);
		free(r[i].logical_id);
		free(r[i].physical_id);
		free(r[i].type);
		free(r[i].status);
	}
	free(r);
}

/* One request with one parameter, its response parsed by parse. */
static int one(aws_client *c, const char *op, const char *key, const char *value,
	       aws_buf *resp, aws_error *err)
{
	aws_buf p = AWS_BUF_INIT;
	int rc = aws_query_form_add(&p, key, value) != 0
			 ? aws_error_set(err, AWS_ERR_NOMEM, "out of memory")
			 : cfn_call(c, op, &p, resp, err);
	aws_buf_free(&p);
	return rc;
}

int cfn_detect_drift(aws_client *c, const char *stack, char **id, aws_error *err)
{
	aws_buf r = AWS_BUF_INIT;
	*id = NULL;
	int rc = one(c, "DetectStackDrift", "StackName", stack, &r, err);
	if (rc == 0)
		rc = cfn_parse_detect_drift(r.data, r.len, id, err);
	aws_buf_free(&r);
	return rc;
}

int cfn_describe_drift_status(aws_client *c, const char *id, cfn_drift_status *out, aws_error *err)
{
	aws_buf r = AWS_BUF_INIT;
	memset(out, 0, sizeof *out);
	int rc = one(c, "DescribeStackDriftDetectionStatus", "StackDriftDetectionId", id, &r, err);
	if (rc == 0)
		rc = cfn_parse_drift_status(r.data, r.len, out, err);
	aws_buf_free(&r);
	return rc;
}

int cfn_resource_drifts(aws_client *c, const char *stack, cfn_resource_drift **r, size_t *n,
			aws_error *err)
{
	aws_buf p = AWS_BUF_INIT, resp = AWS_BUF_INIT;
	char *next = NULL;
	int rc = 0;
	*r = NULL;
	*n = 0;
	for (int page = 0; page < CFN_MAX_PAGES && rc == 0; page++) {
		aws_buf_reset(&p);
		if (aws_query_form_add(&p, "StackName", stack) ||
		    aws_query_form_add(&p, "StackResourceDriftStatusFilters.member.1", "MODIFIED") ||
		    aws_query_form_add(&p, "StackResourceDriftStatusFilters.member.2", "DELETED") ||
		    (next && aws_query_form_add(&p, "NextToken", next))) {
			rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			break;
		}
		rc = cfn_call(c, "DescribeStackResourceDrifts", &p, &resp, err);
		if (rc == 0)
			rc = cfn_parse_resource_drifts(resp.data, resp.len, r, n, &next, err);
		if (next == NULL)
			break;
	}
	free(next);
	aws_buf_free(&p);
	aws_buf_free(&resp);
	if (rc != 0) {
		cfn_resource_drifts_free(*r, *n);
		*r = NULL;
		*n = 0;
	}
	return rc;
}

/* cfn_drift.h — CloudFormation drift detection: DetectStackDrift, its status, and the
 * resources that drifted with their property differences (expected vs actual). As in
 * cfn.h, each call is a request plus a pure parser unit-tested on the reference's
 * responses; every string is malloc'd and owned by its structure.
 */
#ifndef CFN_DRIFT_H
#define CFN_DRIFT_H

#include <stddef.h>
#include "aws_client.h"

typedef struct cfn_drift_status {
	char *detection;      /* DetectionStatus: DETECTION_IN_PROGRESS | _COMPLETE | _FAILED */
	char *drift;          /* StackDriftStatus: DRIFTED | IN_SYNC | UNKNOWN | NOT_CHECKED */
	char *reason;         /* DetectionStatusReason, may be NULL */
	char *drifted_count;  /* DriftedStackResourceCount, may be NULL */
} cfn_drift_status;

typedef struct cfn_property_diff {
	char *path, *expected, *actual;
	char *kind;           /* DifferenceType: ADD | REMOVE | NOT_EQUAL */
} cfn_property_diff;

typedef struct cfn_resource_drift {
	char *logical_id, *physical_id, *type;
	char *status;         /* StackResourceDriftStatus: MODIFIED | DELETED | IN_SYNC | ... */
	cfn_property_diff *diffs;
	size_t ndiffs;
} cfn_resource_drift;

int cfn_parse_detect_drift(const char *xml, size_t len, char **id, aws_error *err);
int cfn_parse_drift_status(const char *xml, size_t len, cfn_drift_status *out, aws_error *err);
/* Appends to *r (paging). */
int cfn_parse_resource_drifts(const char *xml, size_t len, cfn_resource_drift **r, size_t *n,
			      char **next, aws_error *err);
void cfn_drift_status_free(cfn_drift_status *s);
void cfn_resource_drifts_free(cfn_resource_drift *r, size_t n);

/* DetectStackDrift: *id (malloc'd) is the StackDriftDetectionId. */
int cfn_detect_drift(aws_client *c, const char *stack, char **id, aws_error *err);
/* DescribeStackDriftDetectionStatus of detection id into *out (zeroed here). */
int cfn_describe_drift_status(aws_client *c, const char *id, cfn_drift_status *out, aws_error *err);
/* DescribeStackResourceDrifts of the MODIFIED and DELETED resources, every page. */
int cfn_resource_drifts(aws_client *c, const char *stack, cfn_resource_drift **r, size_t *n,
			aws_error *err);

#endif

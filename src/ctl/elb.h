/* elb.h — the one ELBv2 call showtablectl makes: DescribeTargetHealth (Query protocol), read
 * by `status` to show every target and by the deploy watch to report unhealthy ones.
 */
#ifndef ELB_H
#define ELB_H

#include <stddef.h>
#include "aws_client.h"

typedef struct elb_target {
	char id[128];            /* the task's IP address (target type ip) */
	char port[16];
	char state[64];          /* "healthy", "unhealthy", "initial", "draining", … */
	char reason[128];        /* "Target.FailedHealthChecks", "" when healthy */
	char description[512];   /* ELB's words for the reason, "" when none */
} elb_target;

/* The targets of target group tg_arn with their health into *out (malloc'd, caller frees;
 * NULL when there are none) and *n. -1 with err set on failure. */
int elb_target_health(aws_client *c, const char *tg_arn, elb_target **out, size_t *n,
		      aws_error *err);

#endif

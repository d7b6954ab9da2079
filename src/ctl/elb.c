/* elb.c — ELBv2 DescribeTargetHealth (elb.h): the Query call and its XML read into records.
 */
#include "elb.h"

#include <stdlib.h>
#include "aws_buf.h"
#include "aws_query.h"

#define ELB_NS "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

int elb_target_health(aws_client *c, const char *tg_arn, elb_target **out, size_t *n,
		      aws_error *err)
{
	*out = NULL;
	*n = 0;
	aws_buf p = AWS_BUF_INIT, r = AWS_BUF_INIT;
	aws_query_doc d = {0};
	int rc = -1;
	if (aws_query_form_add(&p, "TargetGroupArn", tg_arn) != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (aws_query_call(c, &AWS_SERVICE_ELBV2, "DescribeTargetHealth", p.data, &r, err) != 0 ||
	    aws_query_parse(r.data, r.len, "DescribeTargetHealth", ELB_NS, &d, err) != 0)
		goto out;
	for (const aws_xml_node *m = aws_query_members(d.result, "TargetHealthDescriptions"); m;
	     m = aws_query_next(m)) {
		elb_target *t = aws_buf_array_push(out, n, sizeof *t);
		if (!t) {
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			goto out;
		}
		const aws_xml_node *tg = aws_query_child(m, "Target");
		const aws_xml_node *h = aws_query_child(m, "TargetHealth");
		aws_query_copy(tg, "Id", t->id, sizeof t->id);
		aws_query_copy(tg, "Port", t->port, sizeof t->port);
		aws_query_copy(h, "State", t->state, sizeof t->state);
		aws_query_copy(h, "Reason", t->reason, sizeof t->reason);
		aws_query_copy(h, "Description", t->description, sizeof t->description);
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	aws_query_free(&d);
	aws_buf_free(&p);
	aws_buf_free(&r);
	return rc;
}

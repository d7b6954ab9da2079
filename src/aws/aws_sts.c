/* aws_sts.c — STS GetCallerIdentity over the Query protocol (see aws_sts.h): one
 * aws_query_call, its answer read with aws_query. */
#include <string.h>
#include "aws_sts.h"
#include "aws_query.h"

int aws_sts_parse_identity(const char *xml, size_t len, aws_sts_identity *out, aws_error *err)
{
	aws_query_doc d;
	memset(out, 0, sizeof *out);
	if (aws_query_parse(xml, len, "GetCallerIdentity", AWS_STS_NS, &d, err) != 0)
		return -1;
	aws_query_copy(d.result, "Account", out->account, sizeof out->account);
	aws_query_copy(d.result, "Arn", out->arn, sizeof out->arn);
	aws_query_copy(d.result, "UserId", out->user_id, sizeof out->user_id);
	aws_query_free(&d);
	if (out->account[0] == '\0')
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "GetCallerIdentity: response has no <Account>");
	return 0;
}

int aws_sts_get_caller_identity(aws_client *c, aws_sts_identity *out, aws_error *err)
{
	aws_buf r = AWS_BUF_INIT;
	int rc = aws_query_call(c, &AWS_SERVICE_STS, "GetCallerIdentity", "", &r, err);
	if (rc == 0)   /* on failure the client's error already names "STS GetCallerIdentity" */
		rc = aws_sts_parse_identity(r.data, r.len, out, err);
	aws_buf_free(&r);
	return rc;
}

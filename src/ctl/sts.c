/* sts.c — STS GetCallerIdentity over the Query protocol (see sts.h). */
#include <string.h>
#include "sts.h"
#include "qxml.h"

int sts_parse_identity(const char *xml, size_t len, sts_identity *out, aws_error *err)
{
	qxml_doc d;
	memset(out, 0, sizeof *out);
	if (qxml_parse(xml, len, "GetCallerIdentity", STS_NS, &d, err) != 0)
		return -1;
	qxml_copy(d.result, "Account", out->account, sizeof out->account);
	qxml_copy(d.result, "Arn", out->arn, sizeof out->arn);
	qxml_copy(d.result, "UserId", out->user_id, sizeof out->user_id);
	qxml_free(&d);
	if (out->account[0] == '\0')
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "GetCallerIdentity: response has no <Account>");
	return 0;
}

int sts_get_caller_identity(aws_client *c, sts_identity *out, aws_error *err)
{
	aws_buf r = AWS_BUF_INIT;
	int rc = aws_query_call(c, &AWS_SERVICE_STS, "GetCallerIdentity", "", &r, err);
	if (rc == 0)   /* on failure the client's error already names "STS GetCallerIdentity" */
		rc = sts_parse_identity(r.data, r.len, out, err);
	aws_buf_free(&r);
	return rc;
}

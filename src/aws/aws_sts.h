/* aws_sts.h — STS GetCallerIdentity through an aws_client: which account and principal the
 * credentials act as (Query protocol, Version 2011-06-15, responses in namespace AWS_STS_NS;
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 * AssumeRole and AssumeRoleWithWebIdentity, which the credentials chain calls before any
 * client can sign, are in aws_creds_sts.c; both read their answers with aws_query.
 */
#ifndef AWS_STS_H
#define AWS_STS_H

#include <stddef.h>
#include "aws_client.h"

#define AWS_STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

typedef struct aws_sts_identity {
	char account[32];
	char arn[512];
	char user_id[256];
} aws_sts_identity;

/* Parses a GetCallerIdentity response body into *out (zeroed first). Returns 0, or -1 with
 * AWS_ERR_PROTOCOL when it is not one or names no account. */
int aws_sts_parse_identity(const char *xml, size_t len, aws_sts_identity *out, aws_error *err);
/* Calls GetCallerIdentity with c's credentials. Returns 0 or -1 (err says why). */
int aws_sts_get_caller_identity(aws_client *c, aws_sts_identity *out, aws_error *err);

#endif

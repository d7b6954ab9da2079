/* sts.h — STS GetCallerIdentity: which account and principal the credentials act as.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 * (Query protocol, Version 2011-06-15, responses in namespace STS_NS). */
#ifndef STS_H
#define STS_H

#include <stddef.h>
#include "aws_client.h"

#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

typedef struct sts_identity {
	char account[32];
	char arn[512];
	char user_id[256];
} sts_identity;

/* Parses a GetCallerIdentity response body. */
int sts_parse_identity(const char *xml, size_t len, sts_identity *out, aws_error *err);
/* Calls GetCallerIdentity. */
int sts_get_caller_identity(aws_client *c, sts_identity *out, aws_error *err);

#endif

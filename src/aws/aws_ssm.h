/* aws_ssm.h — the SSM Parameter Store operations showtable uses.
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/ (JSON 1.1, AmazonSSM)
 */
#ifndef AWS_SSM_H
#define AWS_SSM_H

#include <stddef.h>
#include "aws_client.h"

typedef struct aws_ssm_parameter {
	char *name;        /* owned (all strings); free with aws_ssm_parameter_free */
	char *type;        /* "String", "StringList", "SecureString" */
	char *value;       /* decrypted when asked for */
	long long version;
	char *arn;
} aws_ssm_parameter;

/* GetParameter. with_decryption: WithDecryption=true. A missing parameter is -1 with
 * AWS_ERR_SERVICE, type "ParameterNotFound". */
int aws_ssm_get_parameter(aws_client *c, const char *name, int with_decryption,
			  aws_ssm_parameter *out, aws_error *err);
void aws_ssm_parameter_free(aws_ssm_parameter *p);

typedef struct aws_ssm_put_input {
	const char *name;
	const char *value;
	const char *type;         /* "String" (default when NULL), "StringList", "SecureString" */
	const char *description;  /* NULL = none */
	const char *key_id;       /* KMS key for SecureString, NULL = aws/ssm default key */
	int overwrite;
} aws_ssm_put_input;

/* PutParameter. *version_out (may be NULL) receives the new version. */
int aws_ssm_put_parameter(aws_client *c, const aws_ssm_put_input *in, long long *version_out,
			  aws_error *err);

/* DeleteParameter. */
int aws_ssm_delete_parameter(aws_client *c, const char *name, aws_error *err);

#endif

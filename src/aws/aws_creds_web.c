/* aws_creds_web.c — web identity credentials: an OIDC token in a file (EKS, CI systems with
 * OIDC federation) exchanged for role credentials with STS AssumeRoleWithWebIdentity.
 *
 * Set by AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME), or by a
 * profile's role_arn + web_identity_token_file, as the SDKs read them. The file is read at
 * every fetch because its token rotates; it is bounded (STS takes at most 20 000
 * characters) and wiped from memory after use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_config.h"
#include "aws_creds_internal.h"
#include "aws_file.h"

#define TOKEN_MAX 20000
#define TOKEN_READ_MAX (TOKEN_MAX + 4096)   /* room for trailing white space */

int aws_creds_web_identity(const aws_creds_ctx *ctx, const char *role_arn, const char *token_file,
			   const char *session_name, aws_credentials *out, aws_error *err)
{
	aws_buf b = AWS_BUF_INIT;
	int e;
	aws_file_status st = aws_file_read(token_file, TOKEN_READ_MAX, &b, &e);
	if (st == AWS_FILE_NOT_OPENED)
		return aws_error_set(err, AWS_ERR_CREDENTIALS, "web identity token file %s: %s",
				     token_file, strerror(e));
	if (st == AWS_FILE_NO_MEMORY)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", token_file);
	size_t n = b.len;   /* the token's length without trailing white space */
	while (st == AWS_FILE_READ && n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' ||
						b.data[n - 1] == ' ' || b.data[n - 1] == '\t'))
		b.data[--n] = '\0';
	int rc;
	if (st == AWS_FILE_READ_FAILED)
		rc = aws_error_set(err, AWS_ERR_CREDENTIALS, "web identity token file %s could not be read",
				   token_file);
	else if (st == AWS_FILE_TOO_LARGE || n < 4 || n > TOKEN_MAX || memchr(b.data, '\0', n))
		rc = aws_error_set(err, AWS_ERR_CREDENTIALS,
				   "web identity token file %s does not hold a token (%zu bytes; STS takes "
				   "4 to %d characters)", token_file,
				   st == AWS_FILE_TOO_LARGE ? (size_t)TOKEN_READ_MAX + 1 : n, TOKEN_MAX);
	else {
		aws_creds_assume_role ar = {.role_arn = role_arn, .session_name = session_name,
					    .web_identity_token = b.data};
		rc = aws_creds_sts_assume_role(ctx, NULL, &ar, out, err);
		if (rc != 0)
			aws_error_prefix(err, "web identity (%s, role %s): AssumeRoleWithWebIdentity",
					 token_file, role_arn);
	}
	if (b.data)
		explicit_bzero(b.data, b.cap);
	aws_buf_free(&b);
	return rc;
}

int aws_creds_from_web_identity_env(const aws_creds_ctx *ctx, aws_credentials *out, char *why,
				    size_t why_len, aws_error *err)
{
	const char *role = aws_env_nonempty("AWS_ROLE_ARN"), *file = aws_env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE");
	if (!file) {   /* AWS_ROLE_ARN alone is not web identity (as in botocore) */
		snprintf(why, why_len, "AWS_WEB_IDENTITY_TOKEN_FILE not set");
		return AWS_CREDS_NONE;
	}
	if (!role) {
		aws_error_set(err, AWS_ERR_CREDENTIALS, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set "
			      "but AWS_ROLE_ARN is not; set the role to assume");
		return AWS_CREDS_FAILED;
	}
	if (aws_creds_web_identity(ctx, role, file, aws_env_nonempty("AWS_ROLE_SESSION_NAME"), out, err) != 0)
		return AWS_CREDS_FAILED;
	return AWS_CREDS_FOUND;
}

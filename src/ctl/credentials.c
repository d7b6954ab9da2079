/* credentials.c — the server's basic-auth credentials: generated, hashed and stored, for
 * `credentials set USER` and for the first deploy of the container stack.
 *
 * <prefix>/credentials is an SSM SecureString holding one htpasswd line "user:hash" (bcrypt
 * via libcrypt, which the server verifies with crypt_r). The password is generated here,
 * printed once, and never stored in clear anywhere.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "credentials.h"
#include "stack.h"
#include "aws_crypto.h"
#include "aws_ssm.h"

#define CREDS_DEFAULT_USER "showtable"
#define BCRYPT_COST 10   /* ~50-100 ms per check; the server caches successful checks */

int credentials_user_valid(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > 64)
		return 0;
	for (const char *p = u; *p; p++)
		if (*p == ':' || (unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* A 24-character password from 18 random bytes (base64 with - and _ for + and /). */
static int make_password(char out[32])
{
	unsigned char rnd[18];
	if (aws_random_bytes(rnd, sizeof rnd) != 0 ||
	    aws_base64_encode(rnd, sizeof rnd, out, 32) != 24)
		return -1;
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return 0;
}

/* "user:$2b$..." into line. */
static int htpasswd_line(const char *user, const char *password, char *line, size_t len)
{
	unsigned char rnd[16];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	if (aws_random_bytes(rnd, sizeof rnd) != 0 ||
	    crypt_gensalt_rn("$2b$", BCRYPT_COST, (const char *)rnd, sizeof rnd, salt, sizeof salt) ==
		    NULL)
		return -1;
	struct crypt_data *cd = calloc(1, sizeof *cd);
	if (cd == NULL)
		return -1;
	const char *h = crypt_r(password, salt, cd);
	int rc = -1;
	if (h && h[0] == '$' && (size_t)snprintf(line, len, "%s:%s", user, h) < len)
		rc = 0;
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

int credentials_store(ctl_ctx *ctx, aws_client *c, const char *user, int overwrite)
{
	char name[512], password[32], line[256];
	snprintf(name, sizeof name, "%s/credentials", ctx->param_prefix);
	if (make_password(password) != 0 || htpasswd_line(user, password, line, sizeof line) != 0) {
		ctl_errorf("could not generate a password hash (libcrypt bcrypt) — is libcrypt1 "
			   "installed with bcrypt support?");
		return -1;
	}
	aws_ssm_put_input in = {
		.name = name, .value = line, .type = "SecureString",
		.description = "showtable basic-auth credentials (htpasswd line)",
		.overwrite = overwrite,
	};
	aws_error err;
	aws_error_clear(&err);
	int rc = aws_ssm_put_parameter(c, &in, NULL, &err);
	explicit_bzero(line, sizeof line);
	if (rc != 0) {
		ctl_aws_error(name, &err);
		explicit_bzero(password, sizeof password);
		return -1;
	}
	printf("credentials stored in %s (SecureString, bcrypt hash)\n"
	       "  user:     %s\n  password: %s\n"
	       "  (shown only now; rotate with `showtablectl credentials set %s`)\n",
	       name, user, password, user);
	fflush(stdout);
	explicit_bzero(password, sizeof password);
	return 0;
}

int credentials_ensure(ctl_ctx *ctx, aws_client *c)
{
	char name[512];
	snprintf(name, sizeof name, "%s/credentials", ctx->param_prefix);
	aws_error err;
	aws_error_clear(&err);
	int ex = stk_ssm_exists(c, name, &err);
	if (ex < 0) {
		ctl_aws_error(name, &err);
		return -1;
	}
	if (ex)
		return 0;
	printf("%s does not exist: creating the server's credentials\n", name);
	return credentials_store(ctx, c, CREDS_DEFAULT_USER, 0);
}

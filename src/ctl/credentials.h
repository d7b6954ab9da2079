/* credentials.h — the server's basic-auth credentials in SSM: <prefix>/credentials, a
 * SecureString holding one htpasswd line "user:bcrypt-hash". The password is generated
 * here, printed once on stdout, and never stored in clear.
 */
#ifndef CREDENTIALS_H
#define CREDENTIALS_H

#include "ctl.h"

/* 1 when u can be a basic-auth user: 1 to 64 characters, no ':', spaces or controls. */
int credentials_user_valid(const char *u);

/* Generates a password for user, stores its htpasswd line in <prefix>/credentials
 * (replacing the one there when overwrite) and prints the user and password. 0, or -1
 * after printing the error. */
int credentials_store(ctl_ctx *ctx, aws_client *c, const char *user, int overwrite);

/* Creates <prefix>/credentials for the user "showtable" when it does not exist, printing
 * the password once. 0 (created or already there), -1 after printing the error. */
int credentials_ensure(ctl_ctx *ctx, aws_client *c);

#endif

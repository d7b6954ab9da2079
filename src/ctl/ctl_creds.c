/* ctl_creds.c — `showtablectl credentials set USER`: a new password for USER, stored hashed
 * in <prefix>/credentials (credentials.h) and printed once.
 */
#include <stdio.h>
#include <string.h>
#include "credentials.h"
#include "ctl_creds.h"
#include "stack.h"

ctl_outcome cmd_credentials(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "set") != 0) {
		ctl_errorf("usage: credentials set USER   (generates a password, stores its hash in "
			   "<prefix>/credentials, prints it once)");
		return CTL_USAGE;
	}
	if (!credentials_user_valid(argv[2])) {
		ctl_errorf("user \"%.64s\" is not valid — 1 to 64 characters, no ':' or spaces", argv[2]);
		return CTL_USAGE;
	}
	ctl_outcome ec;
	aws_client *c = stk_client(ctx, &ec);
	if (c == NULL)
		return ec;
	if (stk_banner(ctx, c) != 0)
		return CTL_FAILED;
	return credentials_store(ctx, c, argv[2], 1) == 0 ? CTL_OK : CTL_FAILED;
}

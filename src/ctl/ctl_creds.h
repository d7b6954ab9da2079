/* ctl_creds.h — `showtablectl credentials set USER`: a new basic-auth password.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_CREDS_H
#define CTL_CREDS_H

#include "ctl.h"

ctl_outcome cmd_credentials(ctl_ctx *ctx, int argc, char **argv);

#endif

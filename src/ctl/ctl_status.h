/* ctl_status.h — `showtablectl status` and `showtablectl outputs STACK`: where the stacks are.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_STATUS_H
#define CTL_STATUS_H

#include "ctl.h"

ctl_outcome cmd_status(ctl_ctx *ctx, int argc, char **argv);
ctl_outcome cmd_outputs(ctl_ctx *ctx, int argc, char **argv);

#endif

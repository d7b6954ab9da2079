/* ctl_rollback.h — `showtablectl rollback STACK [--skip RESOURCE]…`: continue the rollback
 * of a stack left in UPDATE_ROLLBACK_FAILED, and follow it.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_ROLLBACK_H
#define CTL_ROLLBACK_H

#include "ctl.h"

ctl_outcome cmd_rollback(ctl_ctx *ctx, int argc, char **argv);

#endif

/* ctl_destroy.h — `showtablectl destroy STACK…`: delete stacks in reverse dependency order,
 * saying what stays.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_DESTROY_H
#define CTL_DESTROY_H

#include "ctl.h"

ctl_outcome cmd_destroy(ctl_ctx *ctx, int argc, char **argv);

#endif

/* ctl_param.h — `showtablectl param get|put|delete`: one SSM parameter, as JSON.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_PARAM_H
#define CTL_PARAM_H

#include "ctl.h"

ctl_outcome cmd_param(ctl_ctx *ctx, int argc, char **argv);

#endif

/* ctl_logs.h — `showtablectl logs`: the service's CloudWatch logs.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_LOGS_H
#define CTL_LOGS_H

#include "ctl.h"

ctl_outcome cmd_logs(ctl_ctx *ctx, int argc, char **argv);

#endif

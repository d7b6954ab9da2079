/* ctl_drift.h — `showtablectl drift [STACK…]`: what was changed outside CloudFormation,
 * per resource and property (expected vs actual); exit 0 in sync, 2 drifted.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_DRIFT_H
#define CTL_DRIFT_H

#include "ctl.h"

ctl_outcome cmd_drift(ctl_ctx *ctx, int argc, char **argv);

#endif

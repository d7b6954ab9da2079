/* ctl_deploy.h — `showtablectl deploy STACK…` and `showtablectl diff STACK`: a change set
 * shown, confirmed, executed and followed (deploy), or only shown (diff).
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_DEPLOY_H
#define CTL_DEPLOY_H

#include "ctl.h"

ctl_outcome cmd_deploy(ctl_ctx *ctx, int argc, char **argv);
ctl_outcome cmd_diff(ctl_ctx *ctx, int argc, char **argv);

#endif

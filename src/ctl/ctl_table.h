/* ctl_table.h — `showtablectl table create|describe|delete`: a table managed directly.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include "ctl.h"

ctl_outcome cmd_table(ctl_ctx *ctx, int argc, char **argv);

#endif

/* ctl_scan.h — `showtablectl scan`: every item of a table, one DynamoDB-JSON object per line.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_SCAN_H
#define CTL_SCAN_H

#include "ctl.h"

ctl_outcome cmd_scan(ctl_ctx *ctx, int argc, char **argv);

#endif

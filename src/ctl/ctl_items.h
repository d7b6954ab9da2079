/* ctl_items.h — `showtablectl items load`: write items, one DynamoDB-JSON object per line.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_ITEMS_H
#define CTL_ITEMS_H

#include "ctl.h"

ctl_outcome cmd_items(ctl_ctx *ctx, int argc, char **argv);

#endif

/* ctl_image.h — `showtablectl image build|push`: the container image from the command line.
 * argv[0] is the command's name; what it came to is returned (ctl.h).
 */
#ifndef CTL_IMAGE_H
#define CTL_IMAGE_H

#include "ctl.h"

ctl_outcome cmd_image(ctl_ctx *ctx, int argc, char **argv);

#endif

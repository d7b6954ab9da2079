/* image.h — `showtablectl image build|push`, and what `deploy container` calls to get the
 * image it deploys (like a CDK asset: built every time, which is cheap and reproducible,
 * pushed only when the registry does not have that digest yet).
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include "ctl.h"

/* Builds the image from the default inputs (the showtable binary next to showtablectl,
 * web/ and infra/ of the current directory or the installed share dir), pushes it to ECR
 * repository ctx->name unless that repository already holds its digest (creating the
 * repository with scan on push, immutable tags and a lifecycle policy when missing), and
 * writes the digest-pinned URI "ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME@sha256:HEX" into
 * uri_out. Progress goes to stderr. Returns 0, or 1 after printing an error that says what
 * to do (the exit-status convention of ctl.h). */
int image_ensure_pushed(ctl_ctx *ctx, char *uri_out, size_t len);

#endif

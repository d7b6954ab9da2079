/* image.h — `showtablectl image build|push`, and what `deploy container` calls to get the
 * image it deploys (like a CDK asset: built every time, which is cheap and reproducible,
 * pushed only when the registry does not have that digest yet).
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include "ctl.h"

/* Builds the image from the default inputs (the showtable binary next to showtablectl and
 * the arm64 one in build-arm64/ when it exists, web/ and infra/ of the current directory or
 * the installed share dir; both are required) with at least the platform linux/need_arch
 * ("amd64" or "arm64": the task's CPU; its binary missing is an error that says to build it)
 * into the layout $XDG_CACHE_HOME/showtable/image-REPO (else ~/.cache/...), pushes it to
 * the ECR repository image_repository_name(ctx) unless that repository already holds its
 * digest (creating the repository with scan on push, immutable tags and a lifecycle policy
 * when missing), and writes the digest-pinned URI
 * "ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME@sha256:HEX" into uri_out. What it did goes to
 * stdout, one line per step: "image sha256:…: N MB compressed …, built in T s", then
 * "image sha256:… already in ECR (HOST/REPO), not pushed" or a line per blob and "pushed
 * sha256:… to HOST/REPO: N blobs, X MB uploaded …". Returns 0, or 1 after printing an error
 * that says what to do (the exit-status convention of ctl.h). */
int image_ensure_pushed(ctl_ctx *ctx, const char *need_arch, char *uri_out, size_t len);

/* The ECR repository of this environment: --name in lowercase (ECR names are lowercase;
 * stack names need not be). `image push`, `deploy container` and `destroy container
 * --purge-images` all use it. */
void image_repository_name(const ctl_ctx *ctx, char *out, size_t len);

#endif

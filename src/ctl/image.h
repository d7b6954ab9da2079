/* image.h — the server's container image: build it (an OCI image index, one image per
 * platform, each with its SBOM; no Docker) and push it to ECR or any distribution-API
 * registry. `image build|push|sbom` (ctl_image.c) drives it from its flags; `deploy
 * container` calls image_ensure_pushed, like a CDK asset: built every time, which is cheap
 * and reproducible, pushed only when the registry lacks that digest.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include "ctl.h"
#include "image_layout.h"
#include "image_oci.h"

/* The platforms an image can have, in index order; bit i of image_args.platforms. */
extern const char *const image_arches[IMAGE_MAX_PLATFORMS];   /* "amd64", "arm64" */

/* What to build and where to push; image_args_defaults fills the defaults. */
typedef struct image_args {
	char binary[PATH_MAX];       /* --binary PATH: one image, for that binary's machine */
	char binaries[IMAGE_MAX_PLATFORMS][PATH_MAX]; /* per platform, as image_arches */
	int binary_set;              /* --binary given without an arch */
	int platforms;               /* bit i: image_arches[i] asked by --platform; 0 = default */
	char web[PATH_MAX];
	char infra[PATH_MAX];
	char out[PATH_MAX];
	char tar[PATH_MAX + 8];
	int no_tar;
	/* push */
	const char *registry;
	const char *repository;
	const char *username;
	int password_stdin;
	int insecure_http;
	const char *tag;
	size_t chunk_size;
	int keep;
	int no_build;
	int quiet;
	int brief;    /* deploy: one line per step on stdout instead of the full report on stderr */
} image_args;

/* The default inputs: the showtable binary next to showtablectl (and the arm64 one in
 * build-arm64/ when it exists), web/ and infra/ of the current directory or the installed
 * share dir (empty when not found), the layout in build/image under the current directory,
 * ECR as the registry, keep 10. */
void image_args_defaults(image_args *a);
/* Index of arch in image_arches, or -1. */
int image_arch_index(const char *arch);
/* The platform of the running machine ("amd64" or "arm64"). */
const char *image_host_arch(void);
/* Parses --platform "linux/amd64,linux/arm64" into bits of image_arches. 0, or -1 after
 * printing what is wrong. */
int image_parse_platforms(const char *list, int *out);
/* mkdir -p of path's parent directories (path itself is made by the build), new ones with
 * mode (less the umask). 0, or -1 after printing the error. */
int image_make_parents(const char *path, mode_t mode);

/* Builds the layout a->out (and a->tar unless no_tar) and fills *r; prints the sizes
 * (one line per image on stdout with a->brief, a report on stderr unless a->quiet).
 * CTL_OK or CTL_FAILED after printing the error. */
ctl_outcome image_build(const image_args *a, image_build_result *r);

/* Pushes the layout a->out (the index's manifests, then the index, and the SBOMs as
 * referrers) to ECR (repository a->repository, default image_repository_name(ctx), created
 * when missing) or to a->registry, and writes the digest-pinned URI into uri. CTL_OK,
 * CTL_USAGE (flags that do not fit together) or CTL_FAILED, after printing why. */
ctl_outcome image_push(ctl_ctx *ctx, const image_args *a, char *uri, size_t ulen);

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
 * sha256:… to HOST/REPO: N blobs, X MB uploaded …". CTL_OK, or CTL_FAILED after printing an
 * error that says what to do. */
ctl_outcome image_ensure_pushed(ctl_ctx *ctx, const char *need_arch, char *uri_out,
				size_t len);

/* The ECR repository of this environment: --name in lowercase (ECR names are lowercase;
 * stack names need not be). `image push`, `deploy container` and `destroy container
 * --purge-images` all use it. */
void image_repository_name(const ctl_ctx *ctx, char *out, size_t len);

#endif

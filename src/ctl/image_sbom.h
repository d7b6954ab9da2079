/* image_sbom.h — the software bill of materials of one image: CycloneDX 1.5 JSON.
 *
 * Lists every regular file of the image's layers, nothing else, each with its SHA-256,
 * grouped under the component it comes from: showtable itself (the binary, web assets,
 * templates and the files image build writes, at the git commit), each Debian package that
 * owns a shared object or the loader (name, version, arch, purl pkg:deb/debian/…, the
 * licences its copyright file names), and ca-certificates for the CA bundle it generates.
 * CycloneDX rather than SPDX 2.3: Debian's licence names ("GPL-2+", "LGPL-2.1+") are not
 * all SPDX identifiers and CycloneDX takes them as names as they are; SPDX 2.3 also
 * requires a SHA-1 of every file. The output is deterministic (sorted, the image's time,
 * no random serial number), so the same image always has the same SBOM digest.
 */
#ifndef IMAGE_SBOM_H
#define IMAGE_SBOM_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_error.h"

#define IMAGE_SBOM_MEDIA "application/vnd.cyclonedx+json"

typedef enum image_sbom_origin {
	IMAGE_SBOM_APP = 0,     /* showtable's own: binary, assets, templates, generated files */
	IMAGE_SBOM_PACKAGE,     /* a host file installed by a Debian package (host_path) */
	IMAGE_SBOM_CA,          /* the CA bundle, generated from the ca-certificates package */
} image_sbom_origin;

typedef struct image_sbom_file {
	const char *path;       /* in the image, absolute: "/lib/aarch64-linux-gnu/libc.so.6" */
	const char *host_path;  /* IMAGE_SBOM_PACKAGE: the file on this machine (borrowed) */
	image_sbom_origin origin;
	char sha256[65];        /* hex */
} image_sbom_file;

typedef struct image_sbom_opts {
	const char *arch;            /* OCI architecture of the image: "amd64", "arm64" */
	const char *image_digest;    /* the platform manifest's digest: what the SBOM describes */
	const char *revision;        /* showtable's git commit, NULL = unknown */
	const char *source;          /* repository URL, NULL = none */
	long long created;           /* the image's time (metadata.timestamp) */
} image_sbom_opts;

typedef struct image_sbom_stats {
	size_t files;                /* file components */
	size_t packages;             /* Debian packages */
	size_t unowned;              /* host files no package owns (listed at the top level) */
} image_sbom_stats;

/* Writes the CycloneDX document for files[0..n) into out (compact JSON, sorted keys).
 * Looks the package files up with image_dpkg. Errors: those of image_dpkg_lookup,
 * AWS_ERR_NOMEM. stats may be NULL. */
int image_sbom_cyclonedx(const image_sbom_file *files, size_t n, const image_sbom_opts *o,
			 aws_buf *out, image_sbom_stats *stats, aws_error *err);

#endif

/* image_oci.h — a reproducible OCI image of showtable, written as an OCI image layout.
 *
 * One image per platform (linux/amd64, linux/arm64), gathered in an OCI image index whose
 * digest names the image; each platform's image has its SBOM (image_sbom) attached as an
 * OCI 1.1 artifact manifest whose subject is that image, listed in the index too (with the
 * platform unknown/unknown, as BuildKit lists attestations, so pulls never pick it).
 *
 * Two layers, each a tar (libarchive, pax-restricted = plain ustar for these names) with
 * fixed mtimes, sorted entries, root owners (the app user's home excepted) and normalised
 * modes, compressed with zlib's gzip (header mtime 0), so the same inputs always give the
 * same bytes and therefore the same digests. Layer 1: the binary at /showtable, its
 * library closure (image_elf) and dynamic loader, the CA bundle, /etc/passwd, /etc/group,
 * /etc/nsswitch.conf, an empty /tmp (1777). Layer 2: web assets and infra templates under
 * /usr/share/showtable. The config, manifest, index.json and oci-layout follow the OCI
 * image spec v1.1; a Docker-style manifest.json (the first platform's image) is added so
 * `docker load` takes the .tar.
 *
 * This module decides what the image holds and writes its documents; image_layer makes a
 * layer's bytes, image_layout writes the layout and reads it back, image_sbom the SBOM.
 */
#ifndef IMAGE_OCI_H
#define IMAGE_OCI_H

#include <stddef.h>
#include <stdint.h>
#include "aws_error.h"
#include "aws_buf.h"
#include "image_blob.h"

#define IMAGE_MAX_PLATFORMS 2

#define IMAGE_UID 10001
#define IMAGE_USER "showtable"
#define IMAGE_ASSETS_DIR "/usr/share/showtable/web"
#define IMAGE_INFRA_DIR "/usr/share/showtable/infra"
#define IMAGE_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* One platform of the image: the showtable built for it. */
typedef struct image_platform {
	const char *arch;        /* OCI architecture: "amd64" or "arm64" (linux) */
	const char *binary;      /* host path of the showtable binary built for it */
} image_platform;

typedef struct image_build_opts {
	image_platform platforms[IMAGE_MAX_PLATFORMS]; /* in index order */
	size_t nplatforms;       /* 0 = one platform: `binary`, for the machine it was built for */
	const char *binary;      /* host path of the showtable binary when nplatforms is 0 */
	const char *web_dir;     /* host dir of web assets, NULL/"" = none */
	const char *infra_dir;   /* host dir of *.yaml templates, NULL/"" = none */
	const char *ca_file;     /* NULL = /etc/ssl/certs/ca-certificates.crt */
	const char *out_dir;     /* OCI layout directory to write (replaced if it is one) */
	const char *tar_path;    /* also write the layout as this .tar; NULL = not */
	const char *ref_name;    /* org.opencontainers.image.ref.name, NULL = "latest" */
	const char *source;      /* label org.opencontainers.image.source, NULL = omitted */
	const char *revision;    /* label org.opencontainers.image.revision, NULL = omitted */
	long long created;       /* seconds since the epoch: every mtime and "created" */
	int gzip_level;          /* 0 = 6 (zlib default: level 9 saves 0.5 % and takes 3x as long) */
} image_build_opts;

typedef struct image_platform_result {
	char arch[16];
	image_blob_info manifest, config, layers[2]; /* layers[1] is the shared one */
	image_blob_info sbom, sbom_manifest;         /* the SBOM blob and its artifact manifest */
	size_t nlibs;                    /* shared objects in layer 1, the loader included */
	size_t sbom_files, sbom_packages;
	uint64_t compressed;             /* config + layers as stored: what a pull downloads */
	uint64_t uncompressed;           /* config + uncompressed layers */
} image_platform_result;

typedef struct image_build_result {
	image_blob_info index;           /* the image index: its digest names the image */
	image_platform_result platforms[IMAGE_MAX_PLATFORMS];
	size_t nplatforms;
	uint64_t stored;                 /* every distinct blob of the layout, the index included */
} image_build_result;

/* Builds the image and writes out_dir (and tar_path). out_dir is replaced only when it
 * does not exist or already is an OCI layout (has an oci-layout file); anything else is
 * refused rather than deleted. Errors: AWS_ERR_INVALID (binary not ELF, library missing),
 * AWS_ERR_IO (file read/write, with the path). */
int image_oci_build(const image_build_opts *opts, image_build_result *res, aws_error *err);

#endif

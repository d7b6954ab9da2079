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

#define IMAGE_OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_OCI_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_OCI_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_OCI_MEDIA_EMPTY "application/vnd.oci.empty.v1+json"

#define IMAGE_MAX_PLATFORMS 2

#define IMAGE_UID 10001
#define IMAGE_USER "showtable"
#define IMAGE_ASSETS_DIR "/usr/share/showtable/web"
#define IMAGE_INFRA_DIR "/usr/share/showtable/infra"
#define IMAGE_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* "sha256:" + 64 hex + NUL */
#define IMAGE_DIGEST_LEN 72

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

typedef struct image_blob_info {
	char digest[IMAGE_DIGEST_LEN];   /* of the bytes stored (compressed for layers) */
	char diff_id[IMAGE_DIGEST_LEN];  /* layers only: digest of the uncompressed tar */
	uint64_t size;                   /* stored bytes */
	uint64_t usize;                  /* layers only: uncompressed tar bytes */
	size_t nentries;                 /* layers only: tar entries */
} image_blob_info;

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

/* "sha256:" + hex SHA-256 of data (through aws_crypto). */
void image_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN]);

/* Reads the host file at path (at most max bytes) into out, replacing its content; every
 * failure is worded with the path (cannot open, read failed, larger than max, no memory). */
int image_read_file(const char *path, size_t max, aws_buf *out, aws_error *err);

#endif

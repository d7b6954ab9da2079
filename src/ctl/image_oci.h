/* image_oci.h — a reproducible OCI image of showtable, written as an OCI image layout.
 *
 * Two layers, each a tar (libarchive, pax-restricted = plain ustar for these names) with
 * fixed mtimes, sorted entries, root owners (the app user's home excepted) and normalised
 * modes, compressed with zlib's gzip (header mtime 0), so the same inputs always give the
 * same bytes and therefore the same digests. Layer 1: the binary at /showtable, its
 * library closure (image_elf) and dynamic loader, the CA bundle, /etc/passwd, /etc/group,
 * /etc/nsswitch.conf, an empty /tmp (1777). Layer 2: web assets and infra templates under
 * /usr/share/showtable. The config, manifest, index.json and oci-layout follow the OCI
 * image spec v1; a Docker-style manifest.json is added so `docker load` takes the .tar.
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

#define IMAGE_UID 10001
#define IMAGE_USER "showtable"
#define IMAGE_ASSETS_DIR "/usr/share/showtable/web"
#define IMAGE_INFRA_DIR "/usr/share/showtable/infra"
#define IMAGE_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/* "sha256:" + 64 hex + NUL */
#define IMAGE_DIGEST_LEN 72

typedef struct image_build_opts {
	const char *binary;      /* host path of the showtable binary (required) */
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

typedef struct image_build_result {
	image_blob_info manifest, config, layers[2];
	size_t nlayers;
	size_t nlibs;                    /* shared objects in layer 1, the loader included */
	uint64_t compressed;             /* config + layers as stored */
	uint64_t uncompressed;           /* config + uncompressed layers */
} image_build_result;

/* Builds the image and writes out_dir (and tar_path). out_dir is replaced only when it
 * does not exist or already is an OCI layout (has an oci-layout file); anything else is
 * refused rather than deleted. Errors: AWS_ERR_INVALID (binary not ELF, library missing),
 * AWS_ERR_IO (file read/write, with the path). */
int image_oci_build(const image_build_opts *opts, image_build_result *res, aws_error *err);

/* What a layout on disk holds, as push needs it: the (single) manifest and its blobs. */
typedef struct image_layout {
	char *manifest;                  /* the manifest JSON bytes (owned) */
	size_t manifest_len;
	char manifest_digest[IMAGE_DIGEST_LEN];
	char media_type[96];             /* the manifest's mediaType */
	char (*blobs)[IMAGE_DIGEST_LEN]; /* config first, then layers */
	uint64_t *blob_sizes;
	size_t nblobs;
	char *dir;
} image_layout;

/* Reads index.json → the manifest it names (the first one) → its config and layers; checks
 * the manifest's digest and that every blob file exists with the size the manifest says.
 * Free with image_layout_free. */
int image_layout_open(const char *dir, image_layout *lay, aws_error *err);
void image_layout_free(image_layout *lay);
/* Path of a blob file inside the layout: DIR/blobs/sha256/HEX. */
int image_layout_blob_path(const image_layout *lay, const char *digest, char *out, size_t len);

/* Reads blob `digest` of the layout into out (at most 1 GiB) and checks that its bytes
 * hash to that digest: a corrupt or truncated blob is AWS_ERR_INVALID, never pushed. */
int image_layout_read_blob(const image_layout *lay, const char *digest, aws_buf *out,
			   aws_error *err);

/* "sha256:" + hex SHA-256 of data (through aws_crypto). */
void image_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN]);

#endif

/* image_layout.h — an OCI image layout on disk: written from blobs held in memory (as a
 * directory and, optionally, as one .tar of the same files), and read back for push with
 * every manifest's digest and every blob's size checked.
 *
 * A layout is blobs/sha256/HEX for every blob, index.json naming the image, oci-layout, and
 * the manifest.json that lets `docker load` take the .tar. Writing is atomic: a temporary
 * directory or file renamed over the old one, which is replaced only if it is a layout.
 */
#ifndef IMAGE_LAYOUT_H
#define IMAGE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "aws_buf.h"
#include "aws_error.h"
#include "image_blob.h"

/* One file of a layout to write: a named file at the top (name set) or a blob (name NULL,
 * stored under its digest). Everything borrowed. */
typedef struct image_layout_file {
	const char *name;
	const char *digest;
	const aws_buf *buf;
} image_layout_file;

/* Writes the files as the layout directory dir. dir is replaced only when it does not exist
 * or already is an OCI layout (has an oci-layout file); anything else is refused rather
 * than deleted. AWS_ERR_IO or AWS_ERR_INVALID (path too long) with the path. */
int image_layout_write(const char *dir, const image_layout_file *files, size_t n,
		       aws_error *err);

/* Writes the same files as one tar at path (replaced atomically): blobs/ and blobs/sha256/,
 * the blobs sorted by digest, then the named files in the order given (pass them sorted);
 * every entry root-owned with mtime `mtime`. */
int image_layout_write_tar(const char *path, long long mtime, const image_layout_file *files,
			   size_t n, aws_error *err);

/* A manifest an image index of the layout lists. */
typedef struct image_layout_manifest {
	char digest[IMAGE_DIGEST_LEN];
	char media_type[96];
	char *data;                      /* the manifest bytes (owned) */
	size_t len;
	char subject[IMAGE_DIGEST_LEN];  /* the manifest it refers to (an SBOM's image), "" = none */
	char artifact_type[96];          /* "" for an image */
	char arch[16];                   /* the index's platform.architecture, "" when none */
} image_layout_manifest;

/* What a layout on disk holds, as push needs it: the image (an index, or a single manifest
 * in layouts written before images had indexes), the manifests the index lists, and every
 * blob they name. */
typedef struct image_layout {
	char *manifest;                  /* the image's index (or manifest) JSON bytes (owned) */
	size_t manifest_len;
	char manifest_digest[IMAGE_DIGEST_LEN]; /* the image's digest */
	char media_type[96];             /* its mediaType */
	image_layout_manifest *children; /* the index's manifests in its order; none for a manifest */
	size_t nchildren;
	char (*blobs)[IMAGE_DIGEST_LEN]; /* each once: per manifest its config first, then layers */
	uint64_t *blob_sizes;
	size_t nblobs;
	char *dir;
} image_layout;

/* Reads index.json → the image it names (the first entry) → for an index each manifest it
 * lists → their configs and layers; checks every manifest's digest and that every blob
 * file exists with the size its descriptor says. Free with image_layout_free. */
int image_layout_open(const char *dir, image_layout *lay, aws_error *err);
void image_layout_free(image_layout *lay);
/* Path of a blob file inside the layout: DIR/blobs/sha256/HEX. */
int image_layout_blob_path(const image_layout *lay, const char *digest, char *out, size_t len);

/* Reads blob `digest` of the layout into out (at most 1 GiB) and checks that its bytes
 * hash to that digest: a corrupt or truncated blob is AWS_ERR_INVALID, never pushed. */
int image_layout_read_blob(const image_layout *lay, const char *digest, aws_buf *out,
			   aws_error *err);

/* The SBOM of the layout's image for arch ("amd64"; NULL = the first platform) into out,
 * its bytes checked against their digest. AWS_ERR_INVALID when the layout has none for
 * that platform (built before images carried one: build it again). */
int image_layout_sbom(const image_layout *lay, const char *arch, aws_buf *out, aws_error *err);

#endif

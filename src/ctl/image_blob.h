/* image_blob.h — what every part of the image writer shares about a blob: the OCI media
 * types, a blob's digest and the sizes a manifest records, and reading a host file into
 * memory with errors that name it.
 */
#ifndef IMAGE_BLOB_H
#define IMAGE_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include "aws_buf.h"
#include "aws_error.h"

#define IMAGE_OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_OCI_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_OCI_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_OCI_MEDIA_EMPTY "application/vnd.oci.empty.v1+json"

/* "sha256:" + 64 hex + NUL */
#define IMAGE_DIGEST_LEN 72

typedef struct image_blob_info {
	char digest[IMAGE_DIGEST_LEN];   /* of the bytes stored (compressed for layers) */
	char diff_id[IMAGE_DIGEST_LEN];  /* layers only: digest of the uncompressed tar */
	uint64_t size;                   /* stored bytes */
	uint64_t usize;                  /* layers only: uncompressed tar bytes */
	size_t nentries;                 /* layers only: tar entries */
} image_blob_info;

/* "sha256:" + hex SHA-256 of data (through aws_crypto). */
void image_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN]);

/* Reads the host file at path (at most max bytes) into out, replacing its content; every
 * failure is worded with the path (cannot open, read failed, larger than max, no memory). */
int image_read_file(const char *path, size_t max, aws_buf *out, aws_error *err);

#endif

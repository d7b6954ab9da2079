/* image_layer.h — one layer of the image: the files and directories it holds, then its
 * bytes as a reproducible gzip'd tar with the digests the manifest and config name.
 *
 * Entries are collected in any order and written sorted by path with every parent
 * directory listed (0755, root), so extractors never invent one with their own mode or
 * time. Paths are inside the image, without a leading or trailing '/'.
 */
#ifndef IMAGE_LAYER_H
#define IMAGE_LAYER_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_error.h"
#include "image_blob.h"
#include "image_sbom.h"
#include "image_tar.h"

typedef struct image_layer_entry {
	char *path;        /* in the image, no leading or trailing '/' (owned) */
	image_tar_type type;
	unsigned mode;
	unsigned uid, gid;
	char *src;         /* IMAGE_TAR_FILE: host file to copy, or NULL when data is set (owned) */
	char *data;        /* IMAGE_TAR_FILE inline content (owned) */
	size_t len;
	char *link;        /* IMAGE_TAR_LINK target (owned) */
	image_sbom_origin origin; /* IMAGE_TAR_FILE: where its bytes come from, for the SBOM */
	char sha256[65];   /* IMAGE_TAR_FILE: hex SHA-256 of the content, set by image_layer_write */
} image_layer_entry;

typedef struct image_layer {
	image_layer_entry *v;
	size_t n, cap;
} image_layer;

#define IMAGE_LAYER_INIT {NULL, 0, 0}

/* Each add returns 0, or -1 with err set: a path that is empty or has "..", a second
 * entry for a path (two directories are one: the first is kept), more than 100000
 * entries, or no memory. The host file src is read only by image_layer_write. */
int image_layer_add_file(image_layer *l, const char *path, const char *src, unsigned mode,
			 aws_error *err);
int image_layer_add_text(image_layer *l, const char *path, const char *text, aws_error *err);
int image_layer_add_dir(image_layer *l, const char *path, unsigned mode, unsigned id,
			aws_error *err);
/* Host directory src recursively under image directory dst: directories and regular files
 * (symlinks followed, so a link's content is copied); other kinds skipped. */
int image_layer_add_tree(image_layer *l, const char *src, const char *dst, aws_error *err);
/* The entry just added by a successful image_layer_add_* call (borrowed). */
image_layer_entry *image_layer_last(image_layer *l);

/* Sorts the layer, adds the missing parents, reads the host files, and writes the tar
 * compressed at gzip level (1-9) into gz (replacing its content); fills info's digest,
 * diff_id, size, usize and nentries, and each file entry's sha256. */
int image_layer_write(image_layer *l, long long mtime, int level, aws_buf *gz,
		      image_blob_info *info, aws_error *err);

void image_layer_free(image_layer *l);

#endif

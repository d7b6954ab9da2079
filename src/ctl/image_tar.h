/* image_tar.h — a deterministic tar writer for the image: each layer and the layout's .tar.
 *
 * libarchive with the pax-restricted format (plain ustar for these names) and no filter;
 * every field of an entry comes from the caller (no user or group names, no host times), so
 * the same entries always give the same bytes.
 */
#ifndef IMAGE_TAR_H
#define IMAGE_TAR_H

#include <stddef.h>
#include "aws_buf.h"
#include "aws_error.h"

struct archive;
struct archive_entry;

typedef enum image_tar_type {
	IMAGE_TAR_FILE,
	IMAGE_TAR_DIR,
	IMAGE_TAR_LINK,
} image_tar_type;

typedef struct image_tar {
	struct archive *a;
	struct archive_entry *e;
} image_tar;

#define IMAGE_TAR_INIT {NULL, NULL}

/* Opens t to write into buf (which it appends to; borrowed until image_tar_close) or, when
 * buf is NULL, to the file at path. On failure t is still closed with image_tar_close. */
int image_tar_open(image_tar *t, aws_buf *buf, const char *path, aws_error *err);

/* One entry: path without a trailing '/', a directory written as "path/"; data and len
 * only for IMAGE_TAR_FILE (borrowed), link only for IMAGE_TAR_LINK. */
int image_tar_put(image_tar *t, const char *path, image_tar_type type, unsigned mode,
		  unsigned uid, unsigned gid, long long mtime, const void *data, size_t len,
		  const char *link, aws_error *err);

/* Finishes the archive and frees t; err may be NULL when a failure is already reported.
 * Safe on a t that failed to open or was never opened (IMAGE_TAR_INIT). */
int image_tar_close(image_tar *t, aws_error *err);

#endif

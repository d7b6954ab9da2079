/* image_tar.c — the deterministic tar writer (image_tar.h): libarchive to memory or a file.
 */
#include "image_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>

/* libarchive → aws_buf */
static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
	(void)a;
	return aws_buf_append(ud, buf, n) == 0 ? (la_ssize_t)n : -1;
}

int image_tar_open(image_tar *t, aws_buf *buf, const char *path, aws_error *err)
{
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->a || !t->e)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	int r = archive_write_set_format_pax_restricted(t->a);
	if (r == ARCHIVE_OK)
		r = archive_write_add_filter_none(t->a);
	if (r == ARCHIVE_OK)
		r = buf ? archive_write_open2(t->a, buf, NULL, tar_write_cb, NULL, NULL)
			: archive_write_open_filename(t->a, path);
	if (r != ARCHIVE_OK)
		return aws_error_set(err, AWS_ERR_IO, "tar %s: %s", path ? path : "(memory)",
				     archive_error_string(t->a));
	return 0;
}

int image_tar_put(image_tar *t, const char *path, image_tar_type type, unsigned mode,
		  unsigned uid, unsigned gid, long long mtime, const void *data, size_t len,
		  const char *link, aws_error *err)
{
	archive_entry_clear(t->e);
	char name[PATH_MAX + 2];
	snprintf(name, sizeof name, "%s%s", path, type == IMAGE_TAR_DIR ? "/" : "");
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, type == IMAGE_TAR_DIR    ? AE_IFDIR
					 : type == IMAGE_TAR_LINK ? AE_IFLNK
								  : AE_IFREG);
	archive_entry_set_perm(t->e, (mode_t)mode);
	archive_entry_set_uid(t->e, uid);
	archive_entry_set_gid(t->e, gid);
	archive_entry_set_mtime(t->e, (time_t)mtime, 0);
	archive_entry_set_size(t->e, type == IMAGE_TAR_FILE ? (la_int64_t)len : 0);
	if (type == IMAGE_TAR_LINK)
		archive_entry_set_symlink(t->e, link);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return aws_error_set(err, AWS_ERR_IO, "tar entry %s: %s", path,
				     archive_error_string(t->a));
	if (type == IMAGE_TAR_FILE && len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
		return aws_error_set(err, AWS_ERR_IO, "tar data %s: %s", path,
				     archive_error_string(t->a));
	return 0;
}

int image_tar_close(image_tar *t, aws_error *err)
{
	int rc = 0;
	if (t->a) {
		if (archive_write_close(t->a) != ARCHIVE_OK)
			rc = aws_error_set(err, AWS_ERR_IO, "tar: %s", archive_error_string(t->a));
		archive_write_free(t->a);
	}
	if (t->e)
		archive_entry_free(t->e);
	t->a = NULL;
	t->e = NULL;
	return rc;
}

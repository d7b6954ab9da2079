/* aws_file.h — reading a whole file into memory with a size cap: profile files, token
 * caches, templates, htpasswd files and image blobs are all read this way, and each caller
 * words its own failure (a missing profile file is no error; a missing template is).
 */
#ifndef AWS_FILE_H
#define AWS_FILE_H

#include <stddef.h>
#include "aws_buf.h"

typedef enum aws_file_status {
	AWS_FILE_READ = 0,       /* the whole file is in *out */
	AWS_FILE_NOT_OPENED,     /* open failed: *sys_errno says why (ENOENT: it does not exist) */
	AWS_FILE_READ_FAILED,    /* read failed: *sys_errno says why (EISDIR: a directory) */
	AWS_FILE_TOO_LARGE,      /* more than max bytes */
	AWS_FILE_NO_MEMORY,
} aws_file_status;

/* Reads the file at path into out, replacing what out held (its memory is reused). On
 * AWS_FILE_READ out->data is the content, NUL-terminated, out->len its size (<= max). On
 * any other status out is empty and *sys_errno (may be NULL) is the errno of the failing
 * call, 0 when none. Memory the content passed through is wiped before it is released
 * (token and credential files are read this way); the caller wipes out itself if the
 * content is secret. */
aws_file_status aws_file_read(const char *path, size_t max, aws_buf *out, int *sys_errno);

/* aws_file_read for a file whose content is trusted only when no one else could have put it
 * there (cached credentials): opened without following a link (a link: AWS_FILE_NOT_OPENED,
 * ELOOP), and AWS_FILE_NOT_OPENED with EPERM unless it is a regular file of this user that
 * group and others cannot write. */
aws_file_status aws_file_read_private(const char *path, size_t max, aws_buf *out, int *sys_errno);

#endif

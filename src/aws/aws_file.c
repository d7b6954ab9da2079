/* aws_file.c — a whole file into an aws_buf, bounded, and optionally only from a file no one
 * else could have written (see aws_file.h). The buffer is sized from fstat once, so a file
 * read whole is copied once; should it grow while read, the old memory is wiped before it is
 * freed, never left behind by realloc. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aws_file.h"

/* Makes room for want bytes (want > out->cap) in a fresh block; the old one is wiped. */
static int file_grow(aws_buf *out, size_t want)
{
	char *p = malloc(want);
	if (!p)
		return -1;
	if (out->data) {
		memcpy(p, out->data, out->len);
		explicit_bzero(out->data, out->cap);
		free(out->data);
	}
	out->data = p;
	out->cap = want;
	return 0;
}

static aws_file_status file_fail(aws_buf *out, aws_file_status st, int e, int *sys_errno)
{
	if (out->data)
		explicit_bzero(out->data, out->cap);
	aws_buf_reset(out);
	if (out->data)
		out->data[0] = '\0';
	if (sys_errno)
		*sys_errno = e;
	return st;
}

static aws_file_status file_read(const char *path, int private_, size_t max, aws_buf *out, int *sys_errno)
{
	aws_buf_reset(out);
	if (sys_errno)
		*sys_errno = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (private_ ? O_NOFOLLOW | O_NONBLOCK : 0));
	if (fd < 0)
		return file_fail(out, AWS_FILE_NOT_OPENED, errno, sys_errno);
	/* Room for the whole file, one byte more to see that it ends, and the NUL. */
	struct stat st;
	size_t want = 4096;
	int got_st = fstat(fd, &st) == 0;
	if (private_ && (!got_st || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
			 (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd);
		return file_fail(out, AWS_FILE_NOT_OPENED, EPERM, sys_errno);
	}
	if (got_st && S_ISREG(st.st_mode) && st.st_size > 0)
		want = (size_t)st.st_size < max ? (size_t)st.st_size + 2 : max + 2;
	if (want > max + 2)
		want = max + 2;
	if (out->cap < want && file_grow(out, want) < 0) {
		close(fd);
		return file_fail(out, AWS_FILE_NO_MEMORY, ENOMEM, sys_errno);
	}
	for (;;) {
		if (out->len + 1 >= out->cap) {
			size_t next = out->cap * 2 < max + 2 ? out->cap * 2 : max + 2;
			if (next <= out->cap || file_grow(out, next) < 0) {
				close(fd);
				return file_fail(out, AWS_FILE_NO_MEMORY, ENOMEM, sys_errno);
			}
		}
		ssize_t r = read(fd, out->data + out->len, out->cap - 1 - out->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return file_fail(out, AWS_FILE_READ_FAILED, e, sys_errno);
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		if (out->len > max) {
			close(fd);
			return file_fail(out, AWS_FILE_TOO_LARGE, 0, sys_errno);
		}
	}
	close(fd);
	out->data[out->len] = '\0';
	return AWS_FILE_READ;
}

aws_file_status aws_file_read(const char *path, size_t max, aws_buf *out, int *sys_errno)
{
	return file_read(path, 0, max, out, sys_errno);
}

aws_file_status aws_file_read_private(const char *path, size_t max, aws_buf *out, int *sys_errno)
{
	return file_read(path, 1, max, out, sys_errno);
}

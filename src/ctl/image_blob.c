/* image_blob.c — blob digests and host file reads for the image writer (see image_blob.h). */
#include "image_blob.h"

#include <stdio.h>
#include <string.h>

#include "aws_crypto.h"
#include "aws_file.h"

void image_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN])
{
	char hex[2 * AWS_SHA256_LEN + 1];
	aws_sha256_hex(data, len, hex);
	snprintf(out, IMAGE_DIGEST_LEN, "sha256:%s", hex);
}

int image_read_file(const char *path, size_t max, aws_buf *out, aws_error *err)
{
	int e;
	switch (aws_file_read(path, max, out, &e)) {
	case AWS_FILE_READ:
		return 0;
	case AWS_FILE_NOT_OPENED:
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot open: %s", path, strerror(e));
	case AWS_FILE_READ_FAILED:
		return aws_error_set(err, AWS_ERR_IO, "%s: read failed: %s", path, strerror(e));
	case AWS_FILE_TOO_LARGE:
		return aws_error_set(err, AWS_ERR_INVALID, "%s: larger than %zu MiB, refusing",
				     path, max >> 20);
	case AWS_FILE_NO_MEMORY:
		break;
	}
	return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading %s", path);
}

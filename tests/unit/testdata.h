/* testdata.h — reading a test's data file whole, shared by the unit tests that load
 * recorded responses and test vectors (tests/data/...).
 *
 * Header-only (each test is one program); include it after <cmocka.h>.
 */
#ifndef TESTDATA_H
#define TESTDATA_H

#include <stdio.h>
#include "aws_buf.h"

/* The whole file at path, malloc'd and NUL-terminated (free it), its length in *len; NULL
 * when the file cannot be opened (optional files are probed this way). Fails the test when
 * out of memory. */
static inline char *testdata_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	aws_buf b = AWS_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(aws_buf_append(&b, chunk, n), 0);
	fclose(f);
	return aws_buf_steal(&b, len);
}

#endif

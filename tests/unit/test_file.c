/* test_file.c — reading a whole file with a size cap (aws_file.h): what each outcome
 * leaves in the buffer and which errno comes back, and what a private read refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "aws_file.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void a_file_within_the_cap_is_read_whole_and_terminated(void **state)
{
	(void)state;
	const char *p = write_file("a", "hello\0world", 11);
	aws_buf b = AWS_BUF_INIT;
	int e = -1;
	assert_int_equal(aws_file_read(p, 11, &b, &e), AWS_FILE_READ);
	assert_int_equal(e, 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "hello\0world", 12);
	aws_buf_free(&b);
}

static void an_empty_file_is_an_empty_string(void **state)
{
	(void)state;
	const char *p = write_file("empty", "", 0);
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_file_read(p, 10, &b, NULL), AWS_FILE_READ);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	aws_buf_free(&b);
}

static void one_byte_over_the_cap_is_too_large_and_leaves_nothing(void **state)
{
	(void)state;
	const char *p = write_file("big", "123456", 6);
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_buf_puts(&b, "old"), 0);
	assert_int_equal(aws_file_read(p, 5, &b, NULL), AWS_FILE_TOO_LARGE);
	assert_int_equal(b.len, 0);
	assert_int_equal(aws_file_read(p, 6, &b, NULL), AWS_FILE_READ);
	assert_string_equal(b.data, "123456");
	aws_buf_free(&b);
}

static void a_missing_file_and_a_directory_say_why(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof p, "%s/none", dir);
	aws_buf b = AWS_BUF_INIT;
	int e;
	assert_int_equal(aws_file_read(p, 10, &b, &e), AWS_FILE_NOT_OPENED);
	assert_int_equal(e, ENOENT);
	assert_int_equal(aws_file_read(dir, 10, &b, &e), AWS_FILE_READ_FAILED);
	assert_int_equal(e, EISDIR);
	aws_buf_free(&b);
}

static void a_small_buffer_is_replaced_by_one_that_holds_the_file(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(n);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)('a' + i % 26);
	const char *p = write_file("long", text, n);
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(aws_buf_reserve(&b, 8), 0);
	assert_int_equal(aws_file_read(p, n, &b, NULL), AWS_FILE_READ);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, text, n);
	aws_buf_free(&b);
	free(text);
}

/* A private read takes only a regular file of this user that no one else can write. */
static void a_private_read_refuses_links_shared_files_and_folders(void **state)
{
	(void)state;
	char p[128], link[160];
	snprintf(p, sizeof p, "%s", write_file("mine", "secret", 6));
	aws_buf b = AWS_BUF_INIT;
	int e = -1;
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(aws_file_read_private(p, 64, &b, &e), AWS_FILE_READ);
	assert_string_equal(b.data, "secret");
	assert_int_equal(chmod(p, 0640), 0);   /* others may read: still ours alone to write */
	assert_int_equal(aws_file_read_private(p, 64, &b, &e), AWS_FILE_READ);
	assert_int_equal(chmod(p, 0620), 0);
	assert_int_equal(aws_file_read_private(p, 64, &b, &e), AWS_FILE_NOT_OPENED);
	assert_int_equal(e, EPERM);
	assert_int_equal(b.len, 0);
	assert_int_equal(chmod(p, 0602), 0);
	assert_int_equal(aws_file_read_private(p, 64, &b, &e), AWS_FILE_NOT_OPENED);
	assert_int_equal(e, EPERM);
	assert_int_equal(chmod(p, 0600), 0);
	snprintf(link, sizeof link, "%s/link", dir);
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(aws_file_read_private(link, 64, &b, &e), AWS_FILE_NOT_OPENED);
	assert_int_equal(e, ELOOP);
	assert_int_equal(aws_file_read(link, 64, &b, &e), AWS_FILE_READ);   /* the plain read follows it */
	assert_int_equal(aws_file_read_private(dir, 64, &b, &e), AWS_FILE_NOT_OPENED);
	assert_int_equal(e, EPERM);
	aws_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_file_within_the_cap_is_read_whole_and_terminated),
		cmocka_unit_test(an_empty_file_is_an_empty_string),
		cmocka_unit_test(one_byte_over_the_cap_is_too_large_and_leaves_nothing),
		cmocka_unit_test(a_missing_file_and_a_directory_say_why),
		cmocka_unit_test(a_small_buffer_is_replaced_by_one_that_holds_the_file),
		cmocka_unit_test(a_private_read_refuses_links_shared_files_and_folders),
	};
	return cmocka_run_group_tests_name("file", tests, make_dir, remove_dir);
}

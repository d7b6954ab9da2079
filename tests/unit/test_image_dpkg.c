/* test_image_dpkg.c — the Debian facts the SBOM is made of: licence names from copyright
 * files (every tests/data/dpkg/NAME.copyright against NAME.expect), and owners and versions
 * from this machine's dpkg database (a Debian system with libc6 and ca-certificates, as the
 * build needs anyway).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "image_dpkg.h"
#include "testdata.h"

static char data_dir[512];

static void every_copyright_file_gives_the_expected_licence_names(void **state)
{
	(void)state;
	DIR *d = opendir(data_dir);
	assert_non_null(d);
	struct dirent *de;
	size_t cases = 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 11 || strcmp(de->d_name + n - 10, ".copyright") != 0)
			continue;
		char path[1024], expect_path[1024];
		snprintf(path, sizeof path, "%s/%s", data_dir, de->d_name);
		snprintf(expect_path, sizeof expect_path, "%s/%.*s.expect", data_dir, (int)(n - 10),
			 de->d_name);
		size_t len, elen;
		char *text = testdata_read(path, &len), *expect = testdata_read(expect_path, &elen);
		assert_non_null(text);
		assert_non_null(expect);
		char **names = NULL;
		size_t nn = 0;
		assert_int_equal(image_dpkg_copyright_licenses(text, len, &names, &nn), 0);
		aws_buf got = AWS_BUF_INIT;
		for (size_t i = 0; i < nn; i++) {
			assert_int_equal(aws_buf_printf(&got, "%s\n", names[i]), 0);
			free(names[i]);
		}
		free(names);
		if (strcmp(got.data ? got.data : "", expect) != 0)
			fail_msg("%s: got\n%s\nexpected\n%s", de->d_name, got.data ? got.data : "",
				 expect);
		aws_buf_free(&got);
		free(text);
		free(expect);
		cases++;
	}
	closedir(d);
	assert_true(cases >= 2);
}

static void a_library_is_found_under_its_usr_merged_path(void **state)
{
	(void)state;
#if !defined(__x86_64__)
	skip();
#endif
	/* Debian 12 lists libc as /lib/x86_64-linux-gnu/libc.so.6; the image has the real path */
	const char *files[] = {"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/showtable-test-nofile"};
	const char *extra[] = {"ca-certificates", NULL};
	image_dpkg db;
	aws_error err;
	assert_int_equal(image_dpkg_lookup(files, 2, extra, &db, &err), 0);
	assert_int_equal(db.nfiles, 3);
	assert_true(db.owner[0] >= 0);
	const image_dpkg_pkg *libc = &db.pkgs[db.owner[0]];
	assert_string_equal(libc->name, "libc6");
	assert_string_equal(libc->arch, "amd64");
	assert_true(strlen(libc->version) > 2);
	assert_int_equal(db.owner[1], -1); /* no package owns it: not an error */
	assert_true(db.owner[2] >= 0);
	const image_dpkg_pkg *ca = &db.pkgs[db.owner[2]];
	assert_string_equal(ca->name, "ca-certificates");
	assert_string_equal(ca->arch, "all");
	int mpl = 0;
	for (size_t i = 0; i < ca->nlicenses; i++)
		mpl |= strcmp(ca->licenses[i], "MPL-2.0") == 0;
	assert_true(mpl);
	image_dpkg_free(&db);
}

static void a_package_that_is_not_installed_is_an_error_that_names_it(void **state)
{
	(void)state;
	const char *extra[] = {"no-such-package-showtable-test", NULL};
	image_dpkg db;
	aws_error err;
	assert_int_equal(image_dpkg_lookup(NULL, 0, extra, &db, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "no-such-package-showtable-test"));
}

int main(void)
{
	const char *td = getenv("SHOWTABLE_TESTDATA");
	snprintf(data_dir, sizeof data_dir, "%s/dpkg", td ? td : "tests/data");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_copyright_file_gives_the_expected_licence_names),
		cmocka_unit_test(a_library_is_found_under_its_usr_merged_path),
		cmocka_unit_test(a_package_that_is_not_installed_is_an_error_that_names_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_srv_static.c — asset loading: only regular files under css/ and js/ (never symlinks),
 * exact-path lookup, stable ETags, gzip copies that decompress to the original, and the
 * Accept-Encoding reading. Builds its asset folder under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "srv_static.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int make_dir(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_srv_static.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[256];
	snprintf(p, sizeof p, "%s/css", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/js", dir);
	mkdir(p, 0755);
	static char big[8192];
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = "body { color: red; }\n"[i % 21];
	put("css/app.css", big);
	put("js/app.js", "console.log(1)");
	put("secret.txt", "top secret");
	put(".hidden", "x");
	snprintf(p, sizeof p, "%s/css/link.css", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	return 0;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void only_regular_files_under_css_and_js_are_served(void **state)
{
	(void)state;
	srv_static *s = srv_static_load(dir, NULL);
	assert_non_null(s);
	assert_int_equal(srv_static_count(s), 2);
	assert_non_null(srv_static_find(s, "/css/app.css"));
	assert_non_null(srv_static_find(s, "/js/app.js"));
	assert_null(srv_static_find(s, "/css/link.css"));
	assert_null(srv_static_find(s, "/secret.txt"));
	assert_null(srv_static_find(s, "/css/../secret.txt"));
	assert_null(srv_static_find(s, "/css//app.css"));
	assert_string_equal(srv_static_find(s, "/js/app.js")->type, "text/javascript; charset=utf-8");
	srv_static_free(s);
}

static void etags_are_stable_and_gzip_round_trips(void **state)
{
	(void)state;
	srv_static *a = srv_static_load(dir, NULL), *b = srv_static_load(dir, NULL);
	srv_asset *x = srv_static_find(a, "/css/app.css"), *y = srv_static_find(b, "/css/app.css");
	assert_string_equal(x->etag, y->etag);
	assert_int_equal(strlen(x->etag), 18);
	assert_non_null(x->gz);
	assert_true(x->gz_len < x->len / 2);
	unsigned char *back = malloc(x->len);
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = x->gz;
	z.avail_in = (uInt)x->gz_len;
	z.next_out = back;
	z.avail_out = (uInt)x->len;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, x->len);
	assert_memory_equal(back, x->data, x->len);
	inflateEnd(&z);
	free(back);
	assert_null(srv_static_find(a, "/js/app.js")->gz);   /* too small to pay */
	srv_static_free(a);
	srv_static_free(b);
}

static void a_missing_folder_is_an_error_naming_it(void **state)
{
	(void)state;
	aws_error e;
	assert_null(srv_static_load("/nonexistent/web", &e));
	assert_non_null(strstr(e.message, "/nonexistent/web"));
}

static void accept_encoding_is_read_with_q_values(void **state)
{
	(void)state;
	assert_int_equal(srv_static_accepts_gzip("gzip"), 1);
	assert_int_equal(srv_static_accepts_gzip("br, gzip;q=0.5"), 1);
	assert_int_equal(srv_static_accepts_gzip("gzip;q=0"), 0);
	assert_int_equal(srv_static_accepts_gzip("identity"), 0);
	assert_int_equal(srv_static_accepts_gzip("*"), 1);
	assert_int_equal(srv_static_accepts_gzip("xgzip"), 0);
	assert_int_equal(srv_static_accepts_gzip(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_regular_files_under_css_and_js_are_served),
		cmocka_unit_test(etags_are_stable_and_gzip_round_trips),
		cmocka_unit_test(a_missing_folder_is_an_error_naming_it),
		cmocka_unit_test(accept_encoding_is_read_with_q_values),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

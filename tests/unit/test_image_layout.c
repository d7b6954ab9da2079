/* test_image_layout.c — reading an image layout back for push: the blobs in order, config
 * first; a blob whose bytes do not hash to its digest refused; a blob of the wrong size, or
 * no index.json, a layout to build again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "image_layout.h"

/* A layout written by hand: one config blob, one layer blob, a manifest and index.json. */
static char dir[64];

static void put(const char *rel, const char *data, size_t n)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void make_layout(char man_digest[IMAGE_DIGEST_LEN], char layer_digest[IMAGE_DIGEST_LEN])
{
	snprintf(dir, sizeof dir, "/tmp/test_image_layout.XXXXXX");
	assert_non_null(mkdtemp(dir));
	char p[128];
	snprintf(p, sizeof p, "%s/blobs", dir);
	mkdir(p, 0755);
	strcat(p, "/sha256");
	mkdir(p, 0755);
	const char *cfg = "{\"architecture\":\"amd64\"}", *layer = "layer bytes";
	char cd[IMAGE_DIGEST_LEN], man[1024], rel[128], idx[512];
	image_digest(cfg, strlen(cfg), cd);
	image_digest(layer, strlen(layer), layer_digest);
	snprintf(rel, sizeof rel, "blobs/sha256/%s", cd + 7);
	put(rel, cfg, strlen(cfg));
	snprintf(rel, sizeof rel, "blobs/sha256/%s", layer_digest + 7);
	put(rel, layer, strlen(layer));
	snprintf(man, sizeof man,
		 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		 "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
		 "\"size\":%zu}]}", IMAGE_OCI_MEDIA_MANIFEST, IMAGE_OCI_MEDIA_CONFIG, cd, strlen(cfg),
		 IMAGE_OCI_MEDIA_LAYER_GZIP, layer_digest, strlen(layer));
	image_digest(man, strlen(man), man_digest);
	snprintf(rel, sizeof rel, "blobs/sha256/%s", man_digest + 7);
	put(rel, man, strlen(man));
	snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\"}]}",
		 man_digest);
	put("index.json", idx, strlen(idx));
}

static void rm_layout(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void layout_is_read_back_config_first(void **state)
{
	(void)state;
	char md[IMAGE_DIGEST_LEN], ld[IMAGE_DIGEST_LEN];
	make_layout(md, ld);
	image_layout lay;
	aws_error err;
	assert_int_equal(image_layout_open(dir, &lay, &err), 0);
	assert_string_equal(lay.manifest_digest, md);
	assert_string_equal(lay.media_type, IMAGE_OCI_MEDIA_MANIFEST);
	assert_int_equal(lay.nblobs, 2);
	assert_string_equal(lay.blobs[1], ld);
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(image_layout_read_blob(&lay, ld, &b, &err), 0);
	assert_memory_equal(b.data, "layer bytes", 11);
	aws_buf_free(&b);
	image_layout_free(&lay);
	rm_layout();
}

static void corrupt_blob_is_refused(void **state)
{
	(void)state;
	char md[IMAGE_DIGEST_LEN], ld[IMAGE_DIGEST_LEN], rel[128];
	make_layout(md, ld);
	snprintf(rel, sizeof rel, "blobs/sha256/%s", ld + 7);
	put(rel, "layer bytez", 11); /* same size, other bytes */
	image_layout lay;
	aws_error err;
	assert_int_equal(image_layout_open(dir, &lay, &err), 0);
	aws_buf b = AWS_BUF_INIT;
	assert_int_equal(image_layout_read_blob(&lay, ld, &b, &err), -1);
	assert_int_equal(err.kind, AWS_ERR_INVALID);
	assert_non_null(strstr(err.message, "corrupt"));
	aws_buf_free(&b);
	image_layout_free(&lay);
	rm_layout();
}

static void truncated_blob_makes_the_layout_incomplete(void **state)
{
	(void)state;
	char md[IMAGE_DIGEST_LEN], ld[IMAGE_DIGEST_LEN], rel[128];
	make_layout(md, ld);
	snprintf(rel, sizeof rel, "blobs/sha256/%s", ld + 7);
	put(rel, "layer", 5);
	image_layout lay;
	aws_error err;
	assert_int_equal(image_layout_open(dir, &lay, &err), -1);
	assert_non_null(strstr(err.message, "incomplete"));
	rm_layout();
}

static void missing_index_says_to_build(void **state)
{
	(void)state;
	image_layout lay;
	aws_error err;
	assert_int_equal(image_layout_open("/nonexistent/layout", &lay, &err), -1);
	assert_non_null(strstr(err.message, "image build"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_is_read_back_config_first),
		cmocka_unit_test(corrupt_blob_is_refused),
		cmocka_unit_test(truncated_blob_makes_the_layout_incomplete),
		cmocka_unit_test(missing_index_says_to_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

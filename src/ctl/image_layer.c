/* image_layer.c — a layer's entries and its reproducible tar + gzip (image_layer.h).
 *
 * Reproducibility comes from: entries sorted by path with every parent directory listed,
 * one mtime for all, owners as the caller set them (0:0 but for the app user's home),
 * modes as given, no user/group names, and gzip through zlib with no name and mtime 0 in
 * its header. The layer is assembled in memory so it is hashed once and written once.
 */
#include "image_layer.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "aws_crypto.h"

#define LAYER_MAX_FILE ((size_t)512 << 20)
#define LAYER_MAX_TAR ((size_t)1 << 30)
#define LAYER_MAX_ENTRIES 100000
#define LAYER_MAX_TREE_DEPTH 32

void image_layer_free(image_layer *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].src);
		free(l->v[i].data);
		free(l->v[i].link);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static image_layer_entry *layer_find(image_layer *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

/* Adds an entry; the path is normalised (leading '/' and trailing '/' stripped). Adding a
 * path twice is an error unless both are directories (the first one is kept). */
static image_layer_entry *layer_add(image_layer *l, const char *path, image_tar_type type,
				     unsigned mode, aws_error *err)
{
	while (*path == '/')
		path++;
	size_t n = strlen(path);
	while (n && path[n - 1] == '/')
		n--;
	if (n == 0 || n >= PATH_MAX || strstr(path, "..")) {
		aws_error_set(err, AWS_ERR_INVALID, "image path \"%s\" is empty or not allowed", path);
		return NULL;
	}
	char *p = strndup(path, n);
	if (!p) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	image_layer_entry *old = layer_find(l, p);
	if (old) {
		if (old->type == IMAGE_TAR_DIR && type == IMAGE_TAR_DIR) {
			free(p);
			return old;
		}
		aws_error_set(err, AWS_ERR_INVALID, "two files for /%s in one layer", p);
		free(p);
		return NULL;
	}
	if (l->n >= LAYER_MAX_ENTRIES) {
		free(p);
		aws_error_set(err, AWS_ERR_INVALID, "more than %d files in a layer", LAYER_MAX_ENTRIES);
		return NULL;
	}
	if (l->n == l->cap && aws_buf_array_grow(&l->v, &l->cap, sizeof *l->v, 64) < 0) {
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	image_layer_entry *e = &l->v[l->n++];
	memset(e, 0, sizeof *e);
	e->path = p;
	e->type = type;
	e->mode = mode;
	return e;
}

int image_layer_add_file(image_layer *l, const char *path, const char *src, unsigned mode,
			 aws_error *err)
{
	image_layer_entry *e = layer_add(l, path, IMAGE_TAR_FILE, mode, err);
	if (!e)
		return -1;
	if (!(e->src = strdup(src)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

int image_layer_add_text(image_layer *l, const char *path, const char *text, aws_error *err)
{
	image_layer_entry *e = layer_add(l, path, IMAGE_TAR_FILE, 0644, err);
	if (!e)
		return -1;
	e->len = strlen(text);
	if (!(e->data = strdup(text)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

int image_layer_add_dir(image_layer *l, const char *path, unsigned mode, unsigned id,
			aws_error *err)
{
	image_layer_entry *e = layer_add(l, path, IMAGE_TAR_DIR, mode, err);
	if (!e)
		return -1;
	e->mode = mode;
	e->uid = e->gid = id;
	return 0;
}

/* image_layer_add_tree at nesting depth `depth`. Entries are read in any order: the layer
 * is sorted before it is written. */
static int layer_add_tree_at(image_layer *l, const char *src, const char *dst, int depth,
			     aws_error *err)
{
	if (depth > LAYER_MAX_TREE_DEPTH)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: nested deeper than %d levels",
				     src, LAYER_MAX_TREE_DEPTH);
	DIR *d = opendir(src);
	if (!d)
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot read directory: %s", src,
				     strerror(errno));
	if (image_layer_add_dir(l, dst, 0755, 0, err) != 0) {
		closedir(d);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		char sp[PATH_MAX], dp[PATH_MAX];
		if ((size_t)snprintf(sp, sizeof sp, "%s/%s", src, de->d_name) >= sizeof sp ||
		    (size_t)snprintf(dp, sizeof dp, "%s/%s", dst, de->d_name) >= sizeof dp) {
			rc = aws_error_set(err, AWS_ERR_INVALID, "%s/%s: path too long", src, de->d_name);
			break;
		}
		struct stat st;
		if (stat(sp, &st) != 0)
			continue; /* dangling link: nothing to ship */
		if (S_ISDIR(st.st_mode))
			rc = layer_add_tree_at(l, sp, dp, depth + 1, err);
		else if (S_ISREG(st.st_mode))
			rc = image_layer_add_file(l, dp, sp, 0644, err);
	}
	closedir(d);
	return rc;
}

int image_layer_add_tree(image_layer *l, const char *src, const char *dst, aws_error *err)
{
	return layer_add_tree_at(l, src, dst, 0, err);
}

image_layer_entry *image_layer_last(image_layer *l)
{
	return &l->v[l->n - 1];
}

/* Lists every missing parent directory (0755, root) so extractors never invent them with
 * their own modes and times. */
static int layer_add_parents(image_layer *l, aws_error *err)
{
	size_t n = l->n;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s", l->v[i].path);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			if (!layer_find(l, p) && image_layer_add_dir(l, p, 0755, 0, err) != 0)
				return -1;
			*s = '/';
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const image_layer_entry *)a)->path, ((const image_layer_entry *)b)->path);
}

/* gzip with zlib: deflateInit2 with windowBits 15+16 writes a header with mtime 0, no
 * file name and OS "unix", so the output depends only on the input and the level. */
static int gzip_buf(const aws_buf *in, int level, aws_buf *out, aws_error *err)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return aws_error_set(err, AWS_ERR_NOMEM, "gzip: deflateInit2 failed");
	uLong bound = deflateBound(&z, (uLong)in->len) + 64;
	if (aws_buf_reserve(out, bound) != 0) {
		deflateEnd(&z);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory compressing a layer");
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)(out->cap - out->len - 1);
	int r = deflate(&z, Z_FINISH);
	size_t produced = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END)
		return aws_error_set(err, AWS_ERR_IO, "gzip: deflate did not finish (%d)", r);
	out->len += produced;
	out->data[out->len] = '\0';
	return 0;
}

/* The tar is built in memory (tarbuf, up to 1 GiB), then compressed into gz. */
int image_layer_write(image_layer *l, long long mtime, int level, aws_buf *gz,
		      image_blob_info *info, aws_error *err)
{
	if (layer_add_parents(l, err) != 0)
		return -1;
	qsort(l->v, l->n, sizeof *l->v, entry_cmp);
	aws_buf tarbuf = AWS_BUF_INIT, file = AWS_BUF_INIT;
	tarbuf.limit = LAYER_MAX_TAR;
	image_tar t = IMAGE_TAR_INIT;
	int rc = image_tar_open(&t, &tarbuf, NULL, err);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		image_layer_entry *e = &l->v[i];
		const void *data = e->data;
		size_t len = e->len;
		if (e->type == IMAGE_TAR_FILE && e->src) {
			if ((rc = image_read_file(e->src, LAYER_MAX_FILE, &file, err)) != 0)
				break;
			data = file.data;
			len = file.len;
		}
		if (e->type == IMAGE_TAR_FILE)
			aws_sha256_hex(data ? data : "", len, e->sha256);
		rc = image_tar_put(&t, e->path, e->type, e->mode, e->uid, e->gid, mtime, data, len,
				   e->link, err);
	}
	if (image_tar_close(&t, rc == 0 ? err : NULL) != 0)
		rc = -1;
	aws_buf_free(&file);
	if (rc == 0) {
		image_digest(tarbuf.data, tarbuf.len, info->diff_id);
		info->usize = tarbuf.len;
		info->nentries = l->n;
		aws_buf_reset(gz);
		rc = gzip_buf(&tarbuf, level, gz, err);
	}
	if (rc == 0) {
		image_digest(gz->data, gz->len, info->digest);
		info->size = gz->len;
	}
	aws_buf_free(&tarbuf);
	return rc;
}

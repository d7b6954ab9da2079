/* image_layout.c — an OCI image layout on disk (image_layout.h): writing the directory and
 * its .tar from blobs in memory, and reading a layout back with its digests checked.
 *
 * Reading trusts nothing it reads: every digest is checked to be sha256 and hex before it
 * becomes a path, every manifest is hashed against the digest that named it, and every
 * blob's size is compared with its descriptor before push reads it.
 */
#include "image_layout.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_sbom.h"
#include "image_tar.h"

#define LAYOUT_MAX_BLOB ((size_t)1 << 30)
#define LAYOUT_MAX_INDEX ((size_t)4 << 20)
#define LAYOUT_MAX_BLOBS 256
#define LAYOUT_MAX_MANIFESTS 64

/* ---- writing a layout -------------------------------------------------------------------- */

static int write_file(const char *path, const void *data, size_t len, aws_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			return aws_error_set(err, AWS_ERR_IO, "%s: write failed: %s", path, strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0)
		return aws_error_set(err, AWS_ERR_IO, "%s: close failed: %s", path, strerror(errno));
	return 0;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int rm_tree(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int image_layout_write(const char *dir, const image_layout_file *files, size_t n,
		       aws_error *err)
{
	char tmp[PATH_MAX], marker[PATH_MAX + 16], blobs[PATH_MAX + 32];
	struct stat st;
	snprintf(marker, sizeof marker, "%s/oci-layout", dir);
	if (lstat(dir, &st) == 0 && lstat(marker, &st) != 0)
		return aws_error_set(err, AWS_ERR_IO, "%s exists and is not an OCI layout: refusing "
				     "to replace it — choose another --out", dir);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dir, (long)getpid()) >= sizeof tmp)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: path too long", dir);
	rm_tree(tmp);
	snprintf(blobs, sizeof blobs, "%s/blobs", tmp);
	if (mkdir(tmp, 0755) != 0 || mkdir(blobs, 0755) != 0 ||
	    (strcat(blobs, "/sha256"), mkdir(blobs, 0755) != 0)) {
		int e = errno;
		rm_tree(tmp);
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot create: %s", tmp, strerror(e));
	}
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX + 128];
		if (files[i].name)
			snprintf(p, sizeof p, "%s/%s", tmp, files[i].name);
		else
			snprintf(p, sizeof p, "%s/%s", blobs, files[i].digest + 7);
		if (write_file(p, files[i].buf->data, files[i].buf->len, err) != 0) {
			rm_tree(tmp);
			return -1;
		}
	}
	if (rm_tree(dir) != 0 || rename(tmp, dir) != 0) {
		int e = errno;
		rm_tree(tmp);
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot replace: %s", dir, strerror(e));
	}
	return 0;
}

static int blob_cmp(const void *a, const void *b)
{
	const image_layout_file *x = *(const image_layout_file *const *)a;
	const image_layout_file *y = *(const image_layout_file *const *)b;
	return strcmp(x->digest, y->digest);
}

/* The blobs, then the named files, into an open tar. */
static int tar_files(image_tar *t, long long mtime, const image_layout_file *files, size_t n,
		     aws_error *err)
{
	/* Fixed order, already sorted by name: blobs/ < index.json < manifest.json < oci-layout. */
	if (image_tar_put(t, "blobs", IMAGE_TAR_DIR, 0755, 0, 0, mtime, NULL, 0, NULL, err) != 0 ||
	    image_tar_put(t, "blobs/sha256", IMAGE_TAR_DIR, 0755, 0, 0, mtime, NULL, 0, NULL,
			  err) != 0)
		return -1;
	const image_layout_file **sorted = calloc(n ? n : 1, sizeof *sorted);
	if (!sorted)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	size_t nb = 0;
	for (size_t i = 0; i < n; i++)
		if (!files[i].name)
			sorted[nb++] = &files[i];
	qsort(sorted, nb, sizeof *sorted, blob_cmp);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		char p[128];
		snprintf(p, sizeof p, "blobs/sha256/%s", sorted[i]->digest + 7);
		rc = image_tar_put(t, p, IMAGE_TAR_FILE, 0644, 0, 0, mtime, sorted[i]->buf->data,
				   sorted[i]->buf->len, NULL, err);
	}
	free(sorted);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (files[i].name)
			rc = image_tar_put(t, files[i].name, IMAGE_TAR_FILE, 0644, 0, 0, mtime,
					   files[i].buf->data, files[i].buf->len, NULL, err);
	return rc;
}

int image_layout_write_tar(const char *path, long long mtime, const image_layout_file *files,
			   size_t n, aws_error *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= sizeof tmp)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: path too long", path);
	image_tar t = IMAGE_TAR_INIT;
	int rc = image_tar_open(&t, NULL, tmp, err);
	if (rc == 0)
		rc = tar_files(&t, mtime, files, n, err);
	if (image_tar_close(&t, rc == 0 ? err : NULL) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = aws_error_set(err, AWS_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* ---- reading a layout back ---------------------------------------------------------------- */

void image_layout_free(image_layout *lay)
{
	if (!lay)
		return;
	free(lay->manifest);
	for (size_t i = 0; i < lay->nchildren; i++)
		free(lay->children[i].data);
	free(lay->children);
	free(lay->blobs);
	free(lay->blob_sizes);
	free(lay->dir);
	memset(lay, 0, sizeof *lay);
}

static int valid_digest(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return 0;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

int image_layout_blob_path(const image_layout *lay, const char *digest, char *out, size_t len)
{
	if (!valid_digest(digest))
		return -1;
	return (size_t)snprintf(out, len, "%s/blobs/sha256/%s", lay->dir, digest + 7) < len ? 0 : -1;
}

int image_layout_read_blob(const image_layout *lay, const char *digest, aws_buf *out,
			   aws_error *err)
{
	char path[PATH_MAX];
	if (image_layout_blob_path(lay, digest, path, sizeof path) != 0)
		return aws_error_set(err, AWS_ERR_INVALID, "\"%s\" is not a sha256 digest", digest);
	if (image_read_file(path, LAYOUT_MAX_BLOB, out, err) != 0)
		return -1;
	char got[IMAGE_DIGEST_LEN];
	image_digest(out->data ? out->data : "", out->len, got);
	if (strcmp(got, digest) != 0)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: content hashes to %s, not %s — the "
				     "layout is corrupt, rebuild it", path, got, digest);
	return 0;
}

/* Adds the config and layers of manifest `man` (digest md) to the layout's blob list, each
 * once, after checking that its file exists with the size the descriptor says. */
static int layout_add_blobs(image_layout *lay, const char *md, json_t *man, aws_error *err)
{
	json_t *cfg = json_object_get(man, "config");
	json_t *layers = json_object_get(man, "layers");
	if (!json_is_array(layers) || !json_is_object(cfg))
		return aws_error_set(err, AWS_ERR_INVALID, "manifest %s: not an image manifest (no "
				     "config or layers)", md);
	size_t n = 1 + json_array_size(layers);
	for (size_t i = 0; i < n; i++) {
		json_t *d = i == 0 ? cfg : json_array_get(layers, i - 1);
		const char *dg = json_string_value(json_object_get(d, "digest"));
		json_int_t sz = json_integer_value(json_object_get(d, "size"));
		char bp[PATH_MAX];
		struct stat st;
		if (!valid_digest(dg) || sz < 0 ||
		    image_layout_blob_path(lay, dg, bp, sizeof bp) != 0)
			return aws_error_set(err, AWS_ERR_INVALID, "manifest %s: descriptor %zu has no "
					     "valid digest/size", md, i);
		if (stat(bp, &st) != 0 || (uint64_t)st.st_size != (uint64_t)sz)
			return aws_error_set(err, AWS_ERR_INVALID, "%s: missing or not %lld bytes — the "
					     "layout is incomplete, rebuild it", bp, (long long)sz);
		int seen = 0;
		for (size_t k = 0; k < lay->nblobs && !seen; k++)
			seen = strcmp(lay->blobs[k], dg) == 0;
		if (seen)
			continue;
		if (lay->nblobs >= LAYOUT_MAX_BLOBS)
			return aws_error_set(err, AWS_ERR_INVALID, "more than %d blobs in the layout",
					     LAYOUT_MAX_BLOBS);
		snprintf(lay->blobs[lay->nblobs], IMAGE_DIGEST_LEN, "%s", dg);
		lay->blob_sizes[lay->nblobs++] = (uint64_t)sz;
	}
	return 0;
}

static void copy_string(json_t *j, char *out, size_t len)
{
	const char *s = json_string_value(j);
	snprintf(out, len, "%s", s ? s : "");
}

/* Child i of the index: the manifest descriptor d names, read and checked against its
 * digest, its blobs added to the layout's list. b is scratch. */
static int layout_read_child(image_layout *lay, const char *md, json_t *d, size_t i, aws_buf *b,
			     aws_error *err)
{
	image_layout_manifest *c = &lay->children[i];
	const char *cd = json_string_value(json_object_get(d, "digest"));
	if (!valid_digest(cd))
		return aws_error_set(err, AWS_ERR_INVALID, "index %s: manifests[%zu] has no valid "
				     "digest", md, i);
	snprintf(c->digest, sizeof c->digest, "%s", cd);
	copy_string(json_object_get(json_object_get(d, "platform"), "architecture"), c->arch,
		    sizeof c->arch);
	if (strcmp(c->arch, "unknown") == 0)
		c->arch[0] = '\0';
	if (image_layout_read_blob(lay, cd, b, err) != 0)
		return -1;
	json_error_t je;
	json_t *man = json_loadb(b->data, b->len, 0, &je);
	if (!man)
		return aws_error_set(err, AWS_ERR_INVALID, "manifest %s: not JSON", cd);
	copy_string(json_object_get(man, "mediaType"), c->media_type, sizeof c->media_type);
	if (!c->media_type[0])
		snprintf(c->media_type, sizeof c->media_type, "%s", IMAGE_OCI_MEDIA_MANIFEST);
	copy_string(json_object_get(man, "artifactType"), c->artifact_type,
		    sizeof c->artifact_type);
	copy_string(json_object_get(json_object_get(man, "subject"), "digest"), c->subject,
		    sizeof c->subject);
	int rc = layout_add_blobs(lay, cd, man, err);
	json_decref(man);
	if (rc != 0)
		return -1;
	if (!(c->data = aws_buf_steal(b, &c->len)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	lay->nchildren++;
	return 0;
}

/* The manifests image index md lists (list), each read by layout_read_child. */
static int layout_read_children(image_layout *lay, const char *md, json_t *list, aws_buf *b,
				aws_error *err)
{
	size_t n = json_array_size(list);
	if (n == 0 || n > LAYOUT_MAX_MANIFESTS)
		return aws_error_set(err, AWS_ERR_INVALID, "index %s lists %zu manifests", md, n);
	if (!(lay->children = calloc(n, sizeof *lay->children)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (layout_read_child(lay, md, json_array_get(list, i), i, b, err) != 0)
			return -1;
	return 0;
}

/* index.json of dir → the digest of the image it names first, into lay->manifest_digest. */
static int layout_read_index(image_layout *lay, const char *dir, aws_buf *b, aws_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/index.json", dir);
	if (image_read_file(path, LAYOUT_MAX_INDEX, b, err) != 0)
		return aws_error_prefix(err, "not an OCI layout (run `showtablectl image build`)");
	json_error_t je;
	json_t *idx = json_loadb(b->data, b->len, 0, &je);
	json_t *m0 = json_array_get(json_object_get(idx, "manifests"), 0);
	const char *md = json_string_value(json_object_get(m0, "digest"));
	int rc = 0;
	if (valid_digest(md))
		snprintf(lay->manifest_digest, sizeof lay->manifest_digest, "%s", md);
	else
		rc = aws_error_set(err, AWS_ERR_INVALID, "%s: no manifest digest in manifests[0]",
				   path);
	json_decref(idx);
	return rc;
}

int image_layout_open(const char *dir, image_layout *lay, aws_error *err)
{
	memset(lay, 0, sizeof *lay);
	if (!(lay->dir = strdup(dir)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	aws_buf b = AWS_BUF_INIT;
	json_t *top = NULL;
	int rc = -1;
	if (layout_read_index(lay, dir, &b, err) != 0)
		goto done;
	const char *md = lay->manifest_digest;
	lay->blobs = calloc(LAYOUT_MAX_BLOBS, sizeof *lay->blobs);
	lay->blob_sizes = calloc(LAYOUT_MAX_BLOBS, sizeof *lay->blob_sizes);
	if (!lay->blobs || !lay->blob_sizes) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (image_layout_read_blob(lay, md, &b, err) != 0)
		goto done;
	json_error_t je;
	if (!(top = json_loadb(b.data, b.len, 0, &je))) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: not JSON: %s", md, je.text);
		goto done;
	}
	const char *mt = json_string_value(json_object_get(top, "mediaType"));
	json_t *list = json_object_get(top, "manifests");
	snprintf(lay->media_type, sizeof lay->media_type, "%s",
		 mt ? mt : json_is_array(list) ? IMAGE_OCI_MEDIA_INDEX : IMAGE_OCI_MEDIA_MANIFEST);
	if (!json_is_array(list)) {
		if (layout_add_blobs(lay, md, top, err) != 0)
			goto done;
	} else if (layout_read_children(lay, md, list, &b, err) != 0 ||
		   image_layout_read_blob(lay, md, &b, err) != 0) {
		goto done;
	}
	if (!(lay->manifest = aws_buf_steal(&b, &lay->manifest_len))) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = 0;
done:
	json_decref(top);
	aws_buf_free(&b);
	if (rc != 0)
		image_layout_free(lay);
	return rc;
}

int image_layout_sbom(const image_layout *lay, const char *arch, aws_buf *out, aws_error *err)
{
	const image_layout_manifest *image = NULL;
	for (size_t i = 0; i < lay->nchildren && !image; i++)
		if (!lay->children[i].artifact_type[0] && lay->children[i].arch[0] &&
		    (!arch || strcmp(arch, lay->children[i].arch) == 0))
			image = &lay->children[i];
	if (!image)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: the image has no linux/%s platform",
				     lay->dir, arch ? arch : "(any)");
	for (size_t i = 0; i < lay->nchildren; i++) {
		const image_layout_manifest *c = &lay->children[i];
		if (strcmp(c->artifact_type, IMAGE_SBOM_MEDIA) != 0 ||
		    strcmp(c->subject, image->digest) != 0)
			continue;
		json_error_t je;
		json_t *man = json_loadb(c->data, c->len, 0, &je);
		const char *d = json_string_value(json_object_get(
			json_array_get(json_object_get(man, "layers"), 0), "digest"));
		int rc = valid_digest(d) ? image_layout_read_blob(lay, d, out, err)
					 : aws_error_set(err, AWS_ERR_INVALID, "SBOM manifest %s has "
							 "no layer", c->digest);
		json_decref(man);
		return rc;
	}
	return aws_error_set(err, AWS_ERR_INVALID, "%s: the linux/%s image %s has no SBOM — build "
			     "it again with this showtablectl", lay->dir, image->arch, image->digest);
}

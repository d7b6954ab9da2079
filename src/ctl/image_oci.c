/* image_oci.c — builds showtable's OCI image (layers, config, manifest, layout, .tar).
 *
 * Everything is assembled in memory (the whole image is tens of MB) so each blob is hashed
 * once and written once. Reproducibility comes from: entries sorted by path with every
 * parent directory listed, mtime = opts->created, owners 0:0 except the app user's home,
 * modes normalised (0755 directories and executables, 0644 other files, 1777 /tmp), no
 * user/group names, JSON written with sorted keys, and gzip through zlib with no name and
 * mtime 0 in its header.
 */
#include "image_oci.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "aws_crypto.h"
#include "aws_file.h"
#include "image_elf.h"
#include "image_sbom.h"

#define OCI_MAX_FILE ((size_t)512 << 20)
#define OCI_MAX_BLOB ((size_t)1 << 30)
#define OCI_MAX_ENTRIES 100000
#define OCI_MAX_TREE_DEPTH 32
#define OCI_MAX_DOCS (8 * IMAGE_MAX_PLATFORMS + 8)

enum { ENT_FILE, ENT_DIR, ENT_LINK };

typedef struct entry {
	char *path;        /* in the image, no leading or trailing '/' */
	int type;
	unsigned mode;
	unsigned uid, gid;
	char *src;         /* ENT_FILE: host file to copy, or NULL when data is set */
	char *data;        /* ENT_FILE inline content (owned) */
	size_t len;
	char *link;        /* ENT_LINK target */
	image_sbom_origin origin; /* ENT_FILE: where its bytes come from, for the SBOM */
	char sha256[65];   /* ENT_FILE: hex SHA-256 of the content, set by layer_write */
} entry;

typedef struct layer {
	entry *v;
	size_t n, cap;
} layer;

void image_digest(const void *data, size_t len, char out[IMAGE_DIGEST_LEN])
{
	char hex[2 * AWS_SHA256_LEN + 1];
	aws_sha256_hex(data, len, hex);
	snprintf(out, IMAGE_DIGEST_LEN, "sha256:%s", hex);
}

static void layer_free(layer *l)
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

static entry *layer_find(layer *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return &l->v[i];
	return NULL;
}

/* Adds an entry; the path is normalised (leading '/' and trailing '/' stripped). Adding a
 * path twice is an error unless both are directories (the first one is kept). */
static entry *layer_add(layer *l, const char *path, int type, unsigned mode, aws_error *err)
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
	entry *old = layer_find(l, p);
	if (old) {
		if (old->type == ENT_DIR && type == ENT_DIR) {
			free(p);
			return old;
		}
		aws_error_set(err, AWS_ERR_INVALID, "two files for /%s in one layer", p);
		free(p);
		return NULL;
	}
	if (l->n >= OCI_MAX_ENTRIES) {
		free(p);
		aws_error_set(err, AWS_ERR_INVALID, "more than %d files in a layer", OCI_MAX_ENTRIES);
		return NULL;
	}
	if (l->n == l->cap && aws_buf_array_grow(&l->v, &l->cap, sizeof *l->v, 64) < 0) {
		free(p);
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	entry *e = &l->v[l->n++];
	memset(e, 0, sizeof *e);
	e->path = p;
	e->type = type;
	e->mode = mode;
	return e;
}

static int layer_add_file(layer *l, const char *path, const char *src, unsigned mode,
			  aws_error *err)
{
	entry *e = layer_add(l, path, ENT_FILE, mode, err);
	if (!e)
		return -1;
	if (!(e->src = strdup(src)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

static int layer_add_text(layer *l, const char *path, const char *text, aws_error *err)
{
	entry *e = layer_add(l, path, ENT_FILE, 0644, err);
	if (!e)
		return -1;
	e->len = strlen(text);
	if (!(e->data = strdup(text)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

static int layer_add_dir(layer *l, const char *path, unsigned mode, unsigned id, aws_error *err)
{
	entry *e = layer_add(l, path, ENT_DIR, mode, err);
	if (!e)
		return -1;
	e->mode = mode;
	e->uid = e->gid = id;
	return 0;
}

/* Adds host directory `src` recursively under image directory `dst`: directories and
 * regular files (symlinks followed, so a link's content is copied); other kinds skipped.
 * Entries are read in any order: the layer is sorted before it is written. */
static int layer_add_tree(layer *l, const char *src, const char *dst, int depth, aws_error *err)
{
	if (depth > OCI_MAX_TREE_DEPTH)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: nested deeper than %d levels",
				     src, OCI_MAX_TREE_DEPTH);
	DIR *d = opendir(src);
	if (!d)
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot read directory: %s", src,
				     strerror(errno));
	if (layer_add_dir(l, dst, 0755, 0, err) != 0) {
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
			rc = layer_add_tree(l, sp, dp, depth + 1, err);
		else if (S_ISREG(st.st_mode))
			rc = layer_add_file(l, dp, sp, 0644, err);
	}
	closedir(d);
	return rc;
}

/* Lists every missing parent directory (0755, root) so extractors never invent them with
 * their own modes and times. */
static int layer_add_parents(layer *l, aws_error *err)
{
	size_t n = l->n;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s", l->v[i].path);
		for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			if (!layer_find(l, p) && layer_add_dir(l, p, 0755, 0, err) != 0)
				return -1;
			*s = '/';
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->path, ((const entry *)b)->path);
}

static int read_file(const char *path, size_t max, aws_buf *out, aws_error *err)
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

/* libarchive → aws_buf */
static la_ssize_t tar_write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
	(void)a;
	return aws_buf_append(ud, buf, n) == 0 ? (la_ssize_t)n : -1;
}

typedef struct tar_out {
	struct archive *a;
	struct archive_entry *e;
} tar_out;

/* Opens a deterministic tar writer: to memory (buf) or to a file (path). */
static int tar_open(tar_out *t, aws_buf *buf, const char *path, aws_error *err)
{
	t->a = archive_write_new();
	t->e = archive_entry_new();
	if (!t->a || !t->e)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	int r = archive_write_set_format_pax_restricted(t->a);
	if (r == ARCHIVE_OK)
		r = archive_write_add_filter_none(t->a);
	if (r == ARCHIVE_OK)
		r = buf ? archive_write_open2(t->a, buf, NULL, tar_write_cb, NULL, NULL)
			: archive_write_open_filename(t->a, path);
	if (r != ARCHIVE_OK)
		return aws_error_set(err, AWS_ERR_IO, "tar %s: %s", path ? path : "(memory)",
				     archive_error_string(t->a));
	return 0;
}

static int tar_put(tar_out *t, const char *path, int type, unsigned mode, unsigned uid,
		   unsigned gid, long long mtime, const void *data, size_t len, const char *link,
		   aws_error *err)
{
	archive_entry_clear(t->e);
	char name[PATH_MAX + 2];
	snprintf(name, sizeof name, "%s%s", path, type == ENT_DIR ? "/" : "");
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, type == ENT_DIR ? AE_IFDIR : type == ENT_LINK ? AE_IFLNK
										    : AE_IFREG);
	archive_entry_set_perm(t->e, mode);
	archive_entry_set_uid(t->e, uid);
	archive_entry_set_gid(t->e, gid);
	archive_entry_set_mtime(t->e, (time_t)mtime, 0);
	archive_entry_set_size(t->e, type == ENT_FILE ? (la_int64_t)len : 0);
	if (type == ENT_LINK)
		archive_entry_set_symlink(t->e, link);
	if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
		return aws_error_set(err, AWS_ERR_IO, "tar entry %s: %s", path,
				     archive_error_string(t->a));
	if (type == ENT_FILE && len &&
	    archive_write_data(t->a, data, len) != (la_ssize_t)len)
		return aws_error_set(err, AWS_ERR_IO, "tar data %s: %s", path,
				     archive_error_string(t->a));
	return 0;
}

static int tar_close(tar_out *t, aws_error *err)
{
	int rc = 0;
	if (t->a) {
		if (archive_write_close(t->a) != ARCHIVE_OK)
			rc = aws_error_set(err, AWS_ERR_IO, "tar: %s", archive_error_string(t->a));
		archive_write_free(t->a);
	}
	if (t->e)
		archive_entry_free(t->e);
	t->a = NULL;
	t->e = NULL;
	return rc;
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

/* Writes a layer as tar (into tarbuf) and gzip (into gz); fills info. */
static int layer_write(layer *l, long long mtime, int level, aws_buf *gz, image_blob_info *info,
		       aws_error *err)
{
	if (layer_add_parents(l, err) != 0)
		return -1;
	qsort(l->v, l->n, sizeof *l->v, entry_cmp);
	aws_buf tarbuf = AWS_BUF_INIT, file = AWS_BUF_INIT;
	tarbuf.limit = OCI_MAX_BLOB;
	tar_out t = {0};
	int rc = tar_open(&t, &tarbuf, NULL, err);
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		entry *e = &l->v[i];
		const void *data = e->data;
		size_t len = e->len;
		if (e->type == ENT_FILE && e->src) {
			if ((rc = read_file(e->src, OCI_MAX_FILE, &file, err)) != 0)
				break;
			data = file.data;
			len = file.len;
		}
		if (e->type == ENT_FILE)
			aws_sha256_hex(data ? data : "", len, e->sha256);
		rc = tar_put(&t, e->path, e->type, e->mode, e->uid, e->gid, mtime, data, len, e->link,
			     err);
	}
	if (tar_close(&t, rc == 0 ? err : NULL) != 0)
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

/* ---- layer contents ------------------------------------------------------------------- */

/* The entry just added by a successful layer_add_* call. */
static entry *layer_last(layer *l)
{
	return &l->v[l->n - 1];
}

static int layer1_fill(layer *l, const image_build_opts *o, const image_platform *pf,
		       size_t *nlibs, aws_error *err)
{
	const image_elf_arch *arch = image_elf_arch_named(pf->arch);
	if (!arch)
		return aws_error_set(err, AWS_ERR_INVALID, "platform linux/%s is not supported "
				     "(linux/amd64 and linux/arm64 are)", pf->arch);
	image_elf_info bi;
	if (image_elf_read(pf->binary, &bi, err) != 0)
		return -1;
	int machine = bi.machine;
	image_elf_info_free(&bi);
	if (machine != arch->machine) {
		const image_elf_arch *is = image_elf_arch_of(machine);
		return aws_error_set(err, AWS_ERR_INVALID, "%s is built for %s, not for linux/%s — "
				     "pass the %s build (make%s)", pf->binary,
				     is ? is->oci_arch : "another machine", pf->arch, pf->arch,
				     strcmp(pf->arch, "arm64") == 0 ? " ARCH=arm64" : "");
	}
	image_elf_closure c = {0};
	if (image_elf_resolve(pf->binary, NULL, &c, err) != 0)
		return aws_error_prefix(err, "library closure of %s", pf->binary);
	int rc = layer_add_file(l, "showtable", pf->binary, 0755, err);
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		const image_elf_lib *lib = &c.libs[i];
		char path[PATH_MAX];
		if (lib->via == IMAGE_ELF_VIA_SYSTEM) {
			/* Found through ld.so.conf or a default dir: put it in a default dir of the
			 * image's loader, which has no ld.so.cache to find it elsewhere. */
			snprintf(path, sizeof path, "lib/%s/%s", arch->triplet, lib->name);
		} else if (lib->path[0] == '/') {
			snprintf(path, sizeof path, "%s", lib->path); /* RPATH/RUNPATH/loader: as named */
		} else {
			rc = aws_error_set(err, AWS_ERR_INVALID,
					   "%s needs %s by a relative path, which cannot be placed in an "
					   "image", lib->needed_by, lib->path);
			break;
		}
		rc = layer_add_file(l, path, lib->real_path,
				    lib->via == IMAGE_ELF_VIA_INTERP ? 0755 : 0644, err);
		if (rc == 0)
			layer_last(l)->origin = IMAGE_SBOM_PACKAGE;
	}
	*nlibs = c.n;
	image_elf_closure_free(&c);
	if (rc != 0)
		return -1;
	const char *ca = o->ca_file ? o->ca_file : IMAGE_CA_FILE;
	if (access(ca, R_OK) != 0)
		return aws_error_set(err, AWS_ERR_IO, "%s: CA bundle not readable (%s) — install "
				     "ca-certificates", ca, strerror(errno));
	char passwd[256], group[128], home[64];
	snprintf(passwd, sizeof passwd,
		 "root:x:0:0:root:/root:/sbin/nologin\n"
		 "%s:x:%d:%d:showtable server:/home/%s:/sbin/nologin\n",
		 IMAGE_USER, IMAGE_UID, IMAGE_UID, IMAGE_USER);
	snprintf(group, sizeof group, "root:x:0:\n%s:x:%d:\n", IMAGE_USER, IMAGE_UID);
	snprintf(home, sizeof home, "home/%s", IMAGE_USER);
	if (layer_add_file(l, IMAGE_CA_FILE, ca, 0644, err) != 0)
		return -1;
	layer_last(l)->origin = IMAGE_SBOM_CA;
	if (layer_add_text(l, "etc/passwd", passwd, err) != 0 ||
	    layer_add_text(l, "etc/group", group, err) != 0 ||
	    layer_add_text(l, "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n",
			   err) != 0 ||
	    layer_add_dir(l, "tmp", 01777, 0, err) != 0 ||
	    layer_add_dir(l, home, 0755, IMAGE_UID, err) != 0)
		return -1;
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int layer2_fill(layer *l, const image_build_opts *o, aws_error *err)
{
	if (layer_add_dir(l, "usr/share/showtable", 0755, 0, err) != 0)
		return -1;
	if (o->web_dir && *o->web_dir && layer_add_tree(l, o->web_dir, IMAGE_ASSETS_DIR, 0, err) != 0)
		return -1;
	if (o->infra_dir && *o->infra_dir) {
		DIR *d = opendir(o->infra_dir);
		if (!d)
			return aws_error_set(err, AWS_ERR_IO, "%s: cannot read directory: %s",
					     o->infra_dir, strerror(errno));
		struct dirent *de;
		int rc = layer_add_dir(l, IMAGE_INFRA_DIR, 0755, 0, err);
		while (rc == 0 && (de = readdir(d))) {
			if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".yaml"))
				continue;
			char sp[PATH_MAX], dp[PATH_MAX];
			snprintf(sp, sizeof sp, "%s/%s", o->infra_dir, de->d_name);
			snprintf(dp, sizeof dp, "%s/%s", IMAGE_INFRA_DIR, de->d_name);
			struct stat st;
			if (stat(sp, &st) == 0 && S_ISREG(st.st_mode))
				rc = layer_add_file(l, dp, sp, 0644, err);
		}
		closedir(d);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- JSON documents -------------------------------------------------------------------- */

static void iso8601(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Serialises deterministically (sorted keys, compact) into out. */
static int json_out(json_t *j, aws_buf *out, aws_error *err)
{
	aws_buf_reset(out);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!s || aws_buf_puts(out, s) != 0) {
		free(s);
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory writing JSON");
	}
	free(s);
	return 0;
}

static json_t *descriptor(const char *media, const image_blob_info *b)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", b->digest, "size",
			 (json_int_t)b->size);
}

static int config_json(const image_build_opts *o, const image_platform_result *r, aws_buf *out,
		       aws_error *err)
{
	char created[32], user[32];
	iso8601(o->created, created);
	snprintf(user, sizeof user, "%d:%d", IMAGE_UID, IMAGE_UID);
	json_t *labels = json_object();
	json_object_set_new(labels, "org.opencontainers.image.created", json_string(created));
	json_object_set_new(labels, "org.opencontainers.image.title", json_string("showtable"));
	if (o->source && *o->source)
		json_object_set_new(labels, "org.opencontainers.image.source", json_string(o->source));
	if (o->revision && *o->revision)
		json_object_set_new(labels, "org.opencontainers.image.revision",
				    json_string(o->revision));
	json_t *diff_ids = json_array();
	for (size_t i = 0; i < 2; i++)
		json_array_append_new(diff_ids, json_string(r->layers[i].diff_id));
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:{s:s, s:[s], s:{s:{}}, s:[s,s,s], s:s, s:o, s:s},"
		" s:{s:s, s:o}, s:[{s:s, s:s}, {s:s, s:s}]}",
		"created", created, "architecture", r->arch, "os", "linux",
		"config", "User", user, "Entrypoint", "/showtable", "ExposedPorts", "8080/tcp",
		"Env", "PATH=/usr/bin:/bin", "SSL_CERT_FILE=" IMAGE_CA_FILE,
		"SHOWTABLE_ASSETS=" IMAGE_ASSETS_DIR, "WorkingDir", "/", "Labels", labels,
		"StopSignal", "SIGTERM",
		"rootfs", "type", "layers", "diff_ids", diff_ids,
		"history",
		"created", created, "created_by", "showtablectl image build: binary, libraries, loader, CA bundle, users",
		"created", created, "created_by", "showtablectl image build: web assets and templates");
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build the image config JSON");
	return json_out(j, out, err);
}

static int manifest_json(const image_build_opts *o, const image_platform_result *r, aws_buf *out,
			 aws_error *err)
{
	json_t *layers = json_array();
	for (size_t i = 0; i < 2; i++)
		json_array_append_new(layers, descriptor(IMAGE_OCI_MEDIA_LAYER_GZIP, &r->layers[i]));
	char created[32];
	iso8601(o->created, created);
	json_t *ann = json_object();
	json_object_set_new(ann, "org.opencontainers.image.created", json_string(created));
	if (o->source && *o->source)
		json_object_set_new(ann, "org.opencontainers.image.source", json_string(o->source));
	if (o->revision && *o->revision)
		json_object_set_new(ann, "org.opencontainers.image.revision", json_string(o->revision));
	json_t *j = json_pack("{s:i, s:s, s:o, s:o, s:o}", "schemaVersion", 2, "mediaType",
			      IMAGE_OCI_MEDIA_MANIFEST, "config",
			      descriptor(IMAGE_OCI_MEDIA_CONFIG, &r->config), "layers", layers,
			      "annotations", ann);
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build the manifest JSON");
	return json_out(j, out, err);
}

/* The SBOM as an OCI 1.1 artifact: artifactType, the empty config, the document as its one
 * layer, and the image it describes as its subject. */
static int sbom_manifest_json(const image_build_opts *o, const image_platform_result *r,
			      const image_blob_info *empty, aws_buf *out, aws_error *err)
{
	char created[32];
	iso8601(o->created, created);
	json_t *j = json_pack("{s:i, s:s, s:s, s:o, s:[o], s:o, s:{s:s}}", "schemaVersion", 2,
			      "mediaType", IMAGE_OCI_MEDIA_MANIFEST, "artifactType", IMAGE_SBOM_MEDIA,
			      "config", descriptor(IMAGE_OCI_MEDIA_EMPTY, empty),
			      "layers", descriptor(IMAGE_SBOM_MEDIA, &r->sbom),
			      "subject", descriptor(IMAGE_OCI_MEDIA_MANIFEST, &r->manifest),
			      "annotations", "org.opencontainers.image.created", created);
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build the SBOM manifest JSON");
	return json_out(j, out, err);
}

/* The image index: one manifest per platform, then the SBOM artifacts (platform
 * unknown/unknown, so a pull by platform never picks one). */
static int image_index_json(const image_build_opts *o, const image_build_result *r, aws_buf *out,
			    aws_error *err)
{
	json_t *m = json_array();
	for (size_t i = 0; i < r->nplatforms; i++) {
		json_t *d = descriptor(IMAGE_OCI_MEDIA_MANIFEST, &r->platforms[i].manifest);
		json_object_set_new(d, "platform", json_pack("{s:s, s:s}", "architecture",
							     r->platforms[i].arch, "os", "linux"));
		json_array_append_new(m, d);
	}
	for (size_t i = 0; i < r->nplatforms; i++) {
		json_t *d = descriptor(IMAGE_OCI_MEDIA_MANIFEST, &r->platforms[i].sbom_manifest);
		json_object_set_new(d, "artifactType", json_string(IMAGE_SBOM_MEDIA));
		json_object_set_new(d, "platform", json_pack("{s:s, s:s}", "architecture", "unknown",
							     "os", "unknown"));
		json_array_append_new(m, d);
	}
	char created[32];
	iso8601(o->created, created);
	json_t *ann = json_object();
	json_object_set_new(ann, "org.opencontainers.image.created", json_string(created));
	if (o->source && *o->source)
		json_object_set_new(ann, "org.opencontainers.image.source", json_string(o->source));
	if (o->revision && *o->revision)
		json_object_set_new(ann, "org.opencontainers.image.revision", json_string(o->revision));
	json_t *j = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType",
			      IMAGE_OCI_MEDIA_INDEX, "manifests", m, "annotations", ann);
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build the image index JSON");
	return json_out(j, out, err);
}

/* The layout's index.json: the image index, under its ref name. */
static int layout_index_json(const image_build_opts *o, const image_build_result *r, aws_buf *out,
			     aws_error *err)
{
	json_t *j = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I, s:{s:s}}]}",
			      "schemaVersion", 2, "mediaType", IMAGE_OCI_MEDIA_INDEX, "manifests",
			      "mediaType", IMAGE_OCI_MEDIA_INDEX, "digest", r->index.digest,
			      "size", (json_int_t)r->index.size, "annotations",
			      "org.opencontainers.image.ref.name", o->ref_name ? o->ref_name : "latest");
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build index.json");
	return json_out(j, out, err);
}

/* The Docker archive manifest, so `docker load -i image.tar` accepts the same file: the
 * first platform's image (docker load takes one per tag). */
static int docker_json(const image_build_opts *o, const image_platform_result *r, aws_buf *out,
		       aws_error *err)
{
	char cfg[PATH_MAX], tag[160];
	snprintf(cfg, sizeof cfg, "blobs/sha256/%s", r->config.digest + 7);
	snprintf(tag, sizeof tag, "showtable:%s", o->ref_name ? o->ref_name : "latest");
	json_t *layers = json_array();
	for (size_t i = 0; i < 2; i++) {
		char p[128];
		snprintf(p, sizeof p, "blobs/sha256/%s", r->layers[i].digest + 7);
		json_array_append_new(layers, json_string(p));
	}
	json_t *j = json_pack("[{s:s, s:[s], s:o}]", "Config", cfg, "RepoTags", tag, "Layers", layers);
	if (!j)
		return aws_error_set(err, AWS_ERR_NOMEM, "cannot build manifest.json");
	return json_out(j, out, err);
}

/* ---- writing the layout ---------------------------------------------------------------- */

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

typedef struct doc {
	const char *name;    /* file name in the layout, or NULL for a blob */
	const char *digest;  /* blob digest */
	const aws_buf *buf;
} doc;

static int layout_write(const image_build_opts *o, const doc *docs, size_t ndocs, aws_error *err)
{
	char tmp[PATH_MAX], marker[PATH_MAX + 16], blobs[PATH_MAX + 32];
	struct stat st;
	snprintf(marker, sizeof marker, "%s/oci-layout", o->out_dir);
	if (lstat(o->out_dir, &st) == 0 && lstat(marker, &st) != 0)
		return aws_error_set(err, AWS_ERR_IO, "%s exists and is not an OCI layout: refusing "
				     "to replace it — choose another --out", o->out_dir);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->out_dir, (long)getpid()) >= sizeof tmp)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: path too long", o->out_dir);
	rm_tree(tmp);
	snprintf(blobs, sizeof blobs, "%s/blobs", tmp);
	if (mkdir(tmp, 0755) != 0 || mkdir(blobs, 0755) != 0 ||
	    (strcat(blobs, "/sha256"), mkdir(blobs, 0755) != 0)) {
		int e = errno;
		rm_tree(tmp);
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot create: %s", tmp, strerror(e));
	}
	for (size_t i = 0; i < ndocs; i++) {
		char p[PATH_MAX + 128];
		if (docs[i].name)
			snprintf(p, sizeof p, "%s/%s", tmp, docs[i].name);
		else
			snprintf(p, sizeof p, "%s/%s", blobs, docs[i].digest + 7);
		if (write_file(p, docs[i].buf->data, docs[i].buf->len, err) != 0) {
			rm_tree(tmp);
			return -1;
		}
	}
	if (rm_tree(o->out_dir) != 0 || rename(tmp, o->out_dir) != 0) {
		int e = errno;
		rm_tree(tmp);
		return aws_error_set(err, AWS_ERR_IO, "%s: cannot replace: %s", o->out_dir,
				     strerror(e));
	}
	return 0;
}

/* The layout as one tar (same files, sorted, fixed times), written atomically. */
static int layout_tar(const image_build_opts *o, const doc *docs, size_t ndocs, aws_error *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", o->tar_path, (long)getpid()) >= sizeof tmp)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: path too long", o->tar_path);
	tar_out t = {0};
	int rc = tar_open(&t, NULL, tmp, err);
	/* Fixed order, already sorted by name: blobs/ < index.json < manifest.json < oci-layout. */
	if (rc == 0)
		rc = tar_put(&t, "blobs", ENT_DIR, 0755, 0, 0, o->created, NULL, 0, NULL, err);
	if (rc == 0)
		rc = tar_put(&t, "blobs/sha256", ENT_DIR, 0755, 0, 0, o->created, NULL, 0, NULL, err);
	/* blobs sorted by digest */
	const doc *sorted[OCI_MAX_DOCS];
	size_t nb = 0;
	for (size_t i = 0; i < ndocs && nb < OCI_MAX_DOCS; i++)
		if (!docs[i].name)
			sorted[nb++] = &docs[i];
	for (size_t i = 1; i < nb; i++)
		for (size_t k = i; k > 0 && strcmp(sorted[k - 1]->digest, sorted[k]->digest) > 0; k--) {
			const doc *x = sorted[k];
			sorted[k] = sorted[k - 1];
			sorted[k - 1] = x;
		}
	for (size_t i = 0; rc == 0 && i < nb; i++) {
		char p[128];
		snprintf(p, sizeof p, "blobs/sha256/%s", sorted[i]->digest + 7);
		rc = tar_put(&t, p, ENT_FILE, 0644, 0, 0, o->created, sorted[i]->buf->data,
			     sorted[i]->buf->len, NULL, err);
	}
	for (size_t i = 0; rc == 0 && i < ndocs; i++)
		if (docs[i].name)
			rc = tar_put(&t, docs[i].name, ENT_FILE, 0644, 0, 0, o->created,
				     docs[i].buf->data, docs[i].buf->len, NULL, err);
	if (tar_close(&t, rc == 0 ? err : NULL) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, o->tar_path) != 0)
		rc = aws_error_set(err, AWS_ERR_IO, "%s: cannot write: %s", o->tar_path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* The files of a written layer as the SBOM lists them (borrowing the layer's strings). */
static int sbom_files_add(const layer *l, image_sbom_file *f, size_t *n, size_t cap)
{
	for (size_t i = 0; i < l->n; i++) {
		const entry *e = &l->v[i];
		if (e->type != ENT_FILE)
			continue;
		if (*n >= cap)
			return -1;
		f[*n] = (image_sbom_file){.path = e->path, .host_path = e->src, .origin = e->origin};
		memcpy(f[*n].sha256, e->sha256, sizeof f[*n].sha256);
		(*n)++;
	}
	return 0;
}

/* Layer 1, config, manifest, SBOM and its artifact manifest of one platform; the shared
 * layer 2 is already written (l2, r->layers[1]). The SBOM names files by absolute path. */
static int platform_build(const image_build_opts *o, const image_platform *pf, const layer *l2,
			  const image_blob_info *empty, int level, image_platform_result *r,
			  aws_buf bufs[5], aws_error *err)
{
	layer l1 = {0};
	image_sbom_file *files = NULL;
	char **abs = NULL;
	size_t nfiles = 0, cap = 0;
	int rc = -1;
	snprintf(r->arch, sizeof r->arch, "%s", pf->arch);
	if (layer1_fill(&l1, o, pf, &r->nlibs, err) != 0 ||
	    layer_write(&l1, o->created, level, &bufs[0], &r->layers[0], err) != 0)
		goto done;
	if (config_json(o, r, &bufs[1], err) != 0)
		goto done;
	image_digest(bufs[1].data, bufs[1].len, r->config.digest);
	r->config.size = bufs[1].len;
	if (manifest_json(o, r, &bufs[2], err) != 0)
		goto done;
	image_digest(bufs[2].data, bufs[2].len, r->manifest.digest);
	r->manifest.size = bufs[2].len;
	r->compressed = r->config.size + r->layers[0].size + r->layers[1].size;
	r->uncompressed = r->config.size + r->layers[0].usize + r->layers[1].usize;

	cap = l1.n + l2->n;
	if (!(files = calloc(cap ? cap : 1, sizeof *files)) ||
	    !(abs = calloc(cap ? cap : 1, sizeof *abs))) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (sbom_files_add(&l1, files, &nfiles, cap) != 0 ||
	    sbom_files_add(l2, files, &nfiles, cap) != 0) {
		aws_error_set(err, AWS_ERR_INVALID, "more files than layer entries");
		goto done;
	}
	for (size_t i = 0; i < nfiles; i++) {
		if (asprintf(&abs[i], "/%s", files[i].path) < 0) {
			abs[i] = NULL;
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			goto done;
		}
		files[i].path = abs[i];
	}
	image_sbom_opts so = {.arch = pf->arch, .image_digest = r->manifest.digest,
			      .revision = o->revision, .source = o->source, .created = o->created};
	image_sbom_stats ss;
	if (image_sbom_cyclonedx(files, nfiles, &so, &bufs[3], &ss, err) != 0) {
		aws_error_prefix(err, "SBOM of linux/%s", pf->arch);
		goto done;
	}
	r->sbom_files = ss.files;
	r->sbom_packages = ss.packages;
	image_digest(bufs[3].data, bufs[3].len, r->sbom.digest);
	r->sbom.size = bufs[3].len;
	if (sbom_manifest_json(o, r, empty, &bufs[4], err) != 0)
		goto done;
	image_digest(bufs[4].data, bufs[4].len, r->sbom_manifest.digest);
	r->sbom_manifest.size = bufs[4].len;
	rc = 0;
done:
	for (size_t i = 0; abs && i < nfiles; i++)
		free(abs[i]);
	free(abs);
	free(files);
	layer_free(&l1);
	return rc;
}

/* Adds a blob document unless one with that digest is already listed. */
static void docs_add_blob(doc *docs, size_t *n, const char *digest, const aws_buf *buf)
{
	for (size_t i = 0; i < *n; i++)
		if (!docs[i].name && strcmp(docs[i].digest, digest) == 0)
			return;
	docs[(*n)++] = (doc){NULL, digest, buf};
}

int image_oci_build(const image_build_opts *o, image_build_result *r, aws_error *err)
{
	memset(r, 0, sizeof *r);
	image_platform one[1];
	const image_platform *pfs = o->platforms;
	size_t npf = o->nplatforms;
	if (npf == 0) {
		/* one platform: the binary's own */
		image_elf_info bi;
		if (!o->binary)
			return aws_error_set(err, AWS_ERR_INVALID, "image build needs a binary");
		if (image_elf_read(o->binary, &bi, err) != 0)
			return -1;
		int machine = bi.machine;
		const image_elf_arch *arch = image_elf_arch_of(machine);
		image_elf_info_free(&bi);
		if (!arch)
			return aws_error_set(err, AWS_ERR_INVALID, "%s: ELF machine %d is not supported "
					     "(x86-64 and aarch64 are)", o->binary, machine);
		one[0] = (image_platform){arch->oci_arch, o->binary};
		pfs = one;
		npf = 1;
	}
	if (npf > IMAGE_MAX_PLATFORMS || !o->out_dir)
		return aws_error_set(err, AWS_ERR_INVALID, "image build needs at most %d platforms "
				     "and an output dir", IMAGE_MAX_PLATFORMS);
	for (size_t i = 0; i < npf; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(pfs[i].arch, pfs[k].arch) == 0)
				return aws_error_set(err, AWS_ERR_INVALID, "platform linux/%s given twice",
						     pfs[i].arch);
	int level = o->gzip_level > 0 && o->gzip_level <= 9 ? o->gzip_level : 6;
	layer l2 = {0};
	image_blob_info shared = {0}, empty = {0};
	aws_buf gz2 = AWS_BUF_INIT, emptyb = AWS_BUF_INIT, idx = AWS_BUF_INIT, lidx = AWS_BUF_INIT,
		dock = AWS_BUF_INIT, lay = AWS_BUF_INIT;
	aws_buf pb[IMAGE_MAX_PLATFORMS][5];
	for (size_t i = 0; i < IMAGE_MAX_PLATFORMS; i++)
		for (size_t k = 0; k < 5; k++)
			pb[i][k] = (aws_buf)AWS_BUF_INIT;
	int rc = -1;
	if (layer2_fill(&l2, o, err) != 0 ||
	    layer_write(&l2, o->created, level, &gz2, &shared, err) != 0)
		goto done;
	if (aws_buf_puts(&emptyb, "{}") != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	image_digest(emptyb.data, emptyb.len, empty.digest);
	empty.size = emptyb.len;
	for (size_t i = 0; i < npf; i++) {
		r->platforms[i].layers[1] = shared;
		if (platform_build(o, &pfs[i], &l2, &empty, level, &r->platforms[i], pb[i], err) != 0)
			goto done;
		r->nplatforms++;
	}
	if (image_index_json(o, r, &idx, err) != 0)
		goto done;
	image_digest(idx.data, idx.len, r->index.digest);
	r->index.size = idx.len;
	if (layout_index_json(o, r, &lidx, err) != 0 || docker_json(o, &r->platforms[0], &dock, err) != 0 ||
	    aws_buf_puts(&lay, "{\"imageLayoutVersion\":\"1.0.0\"}") != 0)
		goto done;
	doc docs[OCI_MAX_DOCS];
	size_t ndocs = 0;
	docs_add_blob(docs, &ndocs, shared.digest, &gz2);
	docs_add_blob(docs, &ndocs, empty.digest, &emptyb);
	for (size_t i = 0; i < npf; i++) {
		const image_platform_result *p = &r->platforms[i];
		docs_add_blob(docs, &ndocs, p->layers[0].digest, &pb[i][0]);
		docs_add_blob(docs, &ndocs, p->config.digest, &pb[i][1]);
		docs_add_blob(docs, &ndocs, p->manifest.digest, &pb[i][2]);
		docs_add_blob(docs, &ndocs, p->sbom.digest, &pb[i][3]);
		docs_add_blob(docs, &ndocs, p->sbom_manifest.digest, &pb[i][4]);
	}
	docs_add_blob(docs, &ndocs, r->index.digest, &idx);
	for (size_t i = 0; i < ndocs; i++)
		r->stored += docs[i].buf->len;
	docs[ndocs++] = (doc){"index.json", NULL, &lidx};
	docs[ndocs++] = (doc){"manifest.json", NULL, &dock};
	docs[ndocs++] = (doc){"oci-layout", NULL, &lay};
	if (layout_write(o, docs, ndocs, err) != 0)
		goto done;
	if (o->tar_path && *o->tar_path && layout_tar(o, docs, ndocs, err) != 0)
		goto done;
	rc = 0;
done:
	layer_free(&l2);
	for (size_t i = 0; i < IMAGE_MAX_PLATFORMS; i++)
		for (size_t k = 0; k < 5; k++)
			aws_buf_free(&pb[i][k]);
	aws_buf_free(&gz2);
	aws_buf_free(&emptyb);
	aws_buf_free(&idx);
	aws_buf_free(&lidx);
	aws_buf_free(&dock);
	aws_buf_free(&lay);
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
	if (read_file(path, OCI_MAX_BLOB, out, err) != 0)
		return -1;
	char got[IMAGE_DIGEST_LEN];
	image_digest(out->data ? out->data : "", out->len, got);
	if (strcmp(got, digest) != 0)
		return aws_error_set(err, AWS_ERR_INVALID, "%s: content hashes to %s, not %s — the "
				     "layout is corrupt, rebuild it", path, got, digest);
	return 0;
}

#define LAYOUT_MAX_BLOBS 256
#define LAYOUT_MAX_MANIFESTS 64

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

int image_layout_open(const char *dir, image_layout *lay, aws_error *err)
{
	memset(lay, 0, sizeof *lay);
	if (!(lay->dir = strdup(dir)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/index.json", dir);
	aws_buf b = AWS_BUF_INIT;
	json_t *idx = NULL, *top = NULL, *man = NULL;
	int rc = -1;
	if (read_file(path, 4 << 20, &b, err) != 0) {
		aws_error_prefix(err, "not an OCI layout (run `showtablectl image build`)");
		goto done;
	}
	json_error_t je;
	idx = json_loadb(b.data, b.len, 0, &je);
	json_t *m0 = json_array_get(json_object_get(idx, "manifests"), 0);
	const char *md = json_string_value(json_object_get(m0, "digest"));
	if (!valid_digest(md)) {
		aws_error_set(err, AWS_ERR_INVALID, "%s: no manifest digest in manifests[0]", path);
		goto done;
	}
	snprintf(lay->manifest_digest, sizeof lay->manifest_digest, "%s", md);
	lay->blobs = calloc(LAYOUT_MAX_BLOBS, sizeof *lay->blobs);
	lay->blob_sizes = calloc(LAYOUT_MAX_BLOBS, sizeof *lay->blob_sizes);
	if (!lay->blobs || !lay->blob_sizes) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (image_layout_read_blob(lay, md, &b, err) != 0)
		goto done;
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
	} else {
		size_t n = json_array_size(list);
		if (n == 0 || n > LAYOUT_MAX_MANIFESTS) {
			aws_error_set(err, AWS_ERR_INVALID, "index %s lists %zu manifests", md, n);
			goto done;
		}
		if (!(lay->children = calloc(n, sizeof *lay->children))) {
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			json_t *d = json_array_get(list, i);
			image_layout_manifest *c = &lay->children[i];
			const char *cd = json_string_value(json_object_get(d, "digest"));
			if (!valid_digest(cd)) {
				aws_error_set(err, AWS_ERR_INVALID, "index %s: manifests[%zu] has no valid "
					      "digest", md, i);
				goto done;
			}
			snprintf(c->digest, sizeof c->digest, "%s", cd);
			copy_string(json_object_get(json_object_get(d, "platform"), "architecture"),
				    c->arch, sizeof c->arch);
			if (strcmp(c->arch, "unknown") == 0)
				c->arch[0] = '\0';
			if (image_layout_read_blob(lay, cd, &b, err) != 0)
				goto done;
			json_decref(man);
			if (!(man = json_loadb(b.data, b.len, 0, &je))) {
				aws_error_set(err, AWS_ERR_INVALID, "manifest %s: not JSON", cd);
				goto done;
			}
			copy_string(json_object_get(man, "mediaType"), c->media_type,
				    sizeof c->media_type);
			if (!c->media_type[0])
				snprintf(c->media_type, sizeof c->media_type, "%s",
					 IMAGE_OCI_MEDIA_MANIFEST);
			copy_string(json_object_get(man, "artifactType"), c->artifact_type,
				    sizeof c->artifact_type);
			copy_string(json_object_get(json_object_get(man, "subject"), "digest"),
				    c->subject, sizeof c->subject);
			if (layout_add_blobs(lay, cd, man, err) != 0)
				goto done;
			if (!(c->data = aws_buf_steal(&b, &c->len))) {
				aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
				goto done;
			}
			lay->nchildren++;
		}
		if (image_layout_read_blob(lay, md, &b, err) != 0)
			goto done;
	}
	lay->manifest = aws_buf_steal(&b, &lay->manifest_len);
	if (!lay->manifest) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	rc = 0;
done:
	json_decref(idx);
	json_decref(top);
	json_decref(man);
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

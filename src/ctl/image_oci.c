/* image_oci.c — builds showtable's OCI image: what goes in each layer, the config, the
 * manifests and the index, and the SBOM attached to each platform's image (image_oci.h).
 *
 * Everything is assembled in memory (the whole image is tens of MB) so each blob is hashed
 * once and written once; image_layer makes the layers' bytes, image_layout writes them out.
 * Reproducibility comes from fixed times (opts->created), the layers' own rules, JSON written
 * with sorted keys, and the SBOM's deterministic output.
 */
#include "image_oci.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws_crypto.h"
#include "aws_file.h"
#include "image_elf.h"
#include "image_layer.h"
#include "image_layout.h"
#include "image_sbom.h"

/* The blobs of one platform's image, in the order platform_build fills them. */
enum { PB_LAYER, PB_CONFIG, PB_MANIFEST, PB_SBOM, PB_SBOM_MANIFEST, PB_COUNT };

/* Every blob and file of the layout: per platform PB_COUNT, the shared layer, the empty
 * config, the index, index.json, manifest.json and oci-layout. */
#define OCI_MAX_FILES (PB_COUNT * IMAGE_MAX_PLATFORMS + 8)

/* ---- layer contents ------------------------------------------------------------------- */

/* Layer 1 of platform pf: the binary at /showtable, its library closure and loader, the CA
 * bundle, the users and groups, an empty /tmp and the app user's home. */
static int layer1_fill(image_layer *l, const image_build_opts *o, const image_platform *pf,
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
	int rc = image_layer_add_file(l, "showtable", pf->binary, 0755, err);
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
		rc = image_layer_add_file(l, path, lib->real_path,
				    lib->via == IMAGE_ELF_VIA_INTERP ? 0755 : 0644, err);
		if (rc == 0)
			image_layer_last(l)->origin = IMAGE_SBOM_PACKAGE;
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
	if (image_layer_add_file(l, IMAGE_CA_FILE, ca, 0644, err) != 0)
		return -1;
	image_layer_last(l)->origin = IMAGE_SBOM_CA;
	if (image_layer_add_text(l, "etc/passwd", passwd, err) != 0 ||
	    image_layer_add_text(l, "etc/group", group, err) != 0 ||
	    image_layer_add_text(l, "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n",
			   err) != 0 ||
	    image_layer_add_dir(l, "tmp", 01777, 0, err) != 0 ||
	    image_layer_add_dir(l, home, 0755, IMAGE_UID, err) != 0)
		return -1;
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

static int layer2_fill(image_layer *l, const image_build_opts *o, aws_error *err)
{
	if (image_layer_add_dir(l, "usr/share/showtable", 0755, 0, err) != 0)
		return -1;
	if (o->web_dir && *o->web_dir && image_layer_add_tree(l, o->web_dir, IMAGE_ASSETS_DIR, err) != 0)
		return -1;
	if (o->infra_dir && *o->infra_dir) {
		DIR *d = opendir(o->infra_dir);
		if (!d)
			return aws_error_set(err, AWS_ERR_IO, "%s: cannot read directory: %s",
					     o->infra_dir, strerror(errno));
		struct dirent *de;
		int rc = image_layer_add_dir(l, IMAGE_INFRA_DIR, 0755, 0, err);
		while (rc == 0 && (de = readdir(d))) {
			if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".yaml"))
				continue;
			char sp[PATH_MAX], dp[PATH_MAX];
			snprintf(sp, sizeof sp, "%s/%s", o->infra_dir, de->d_name);
			snprintf(dp, sizeof dp, "%s/%s", IMAGE_INFRA_DIR, de->d_name);
			struct stat st;
			if (stat(sp, &st) == 0 && S_ISREG(st.st_mode))
				rc = image_layer_add_file(l, dp, sp, 0644, err);
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

/* The annotations every document carries (the config's labels too): created, and source
 * and revision when given. A new object, NULL when out of memory (json_pack then fails). */
static json_t *annotations(const image_build_opts *o, const char *created)
{
	json_t *a = json_object();
	json_object_set_new(a, "org.opencontainers.image.created", json_string(created));
	if (o->source && *o->source)
		json_object_set_new(a, "org.opencontainers.image.source", json_string(o->source));
	if (o->revision && *o->revision)
		json_object_set_new(a, "org.opencontainers.image.revision", json_string(o->revision));
	return a;
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
	json_t *labels = annotations(o, created);
	json_object_set_new(labels, "org.opencontainers.image.title", json_string("showtable"));
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
	json_t *ann = annotations(o, created);
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
	json_t *ann = annotations(o, created);
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

/* The files of a written layer as the SBOM lists them (borrowing the layer's strings). */
static int sbom_files_add(const image_layer *l, image_sbom_file *f, size_t *n, size_t cap)
{
	for (size_t i = 0; i < l->n; i++) {
		const image_layer_entry *e = &l->v[i];
		if (e->type != IMAGE_TAR_FILE)
			continue;
		if (*n >= cap)
			return -1;
		f[*n] = (image_sbom_file){.path = e->path, .host_path = e->src, .origin = e->origin};
		memcpy(f[*n].sha256, e->sha256, sizeof f[*n].sha256);
		(*n)++;
	}
	return 0;
}

/* Names blob b in info: its digest and size. */
static void blob_info_set(image_blob_info *info, const aws_buf *b)
{
	image_digest(b->data, b->len, info->digest);
	info->size = b->len;
}

/* ---- the SBOM attached to each platform's image ----------------------------------------- */

/* The SBOM of the platform whose layer 1 is l1 (r->manifest already named) into bufs[PB_SBOM],
 * and its artifact manifest into bufs[PB_SBOM_MANIFEST]. The SBOM names files by absolute
 * path. */
static int platform_sbom(const image_build_opts *o, const image_platform *pf,
			 const image_layer *l1, const image_layer *l2, const image_blob_info *empty,
			 image_platform_result *r, aws_buf bufs[PB_COUNT], aws_error *err)
{
	size_t nfiles = 0, cap = l1->n + l2->n;
	image_sbom_file *files = calloc(cap ? cap : 1, sizeof *files);
	char **abs = calloc(cap ? cap : 1, sizeof *abs);
	int rc = -1;
	if (!files || !abs) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	if (sbom_files_add(l1, files, &nfiles, cap) != 0 ||
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
	if (image_sbom_cyclonedx(files, nfiles, &so, &bufs[PB_SBOM], &ss, err) != 0) {
		aws_error_prefix(err, "SBOM of linux/%s", pf->arch);
		goto done;
	}
	r->sbom_files = ss.files;
	r->sbom_packages = ss.packages;
	blob_info_set(&r->sbom, &bufs[PB_SBOM]);
	if (sbom_manifest_json(o, r, empty, &bufs[PB_SBOM_MANIFEST], err) != 0)
		goto done;
	blob_info_set(&r->sbom_manifest, &bufs[PB_SBOM_MANIFEST]);
	rc = 0;
done:
	for (size_t i = 0; abs && i < nfiles; i++)
		free(abs[i]);
	free(abs);
	free(files);
	return rc;
}

/* ---- the build ------------------------------------------------------------------------- */

/* Layer 1, config, manifest, SBOM and its artifact manifest of one platform, into bufs; the
 * shared layer 2 is already written (l2, r->layers[1]). */
static int platform_build(const image_build_opts *o, const image_platform *pf,
			  const image_layer *l2, const image_blob_info *empty, int level,
			  image_platform_result *r, aws_buf bufs[PB_COUNT], aws_error *err)
{
	image_layer l1 = IMAGE_LAYER_INIT;
	int rc = -1;
	snprintf(r->arch, sizeof r->arch, "%s", pf->arch);
	if (layer1_fill(&l1, o, pf, &r->nlibs, err) != 0 ||
	    image_layer_write(&l1, o->created, level, &bufs[PB_LAYER], &r->layers[0], err) != 0)
		goto done;
	if (config_json(o, r, &bufs[PB_CONFIG], err) != 0)
		goto done;
	blob_info_set(&r->config, &bufs[PB_CONFIG]);
	if (manifest_json(o, r, &bufs[PB_MANIFEST], err) != 0)
		goto done;
	blob_info_set(&r->manifest, &bufs[PB_MANIFEST]);
	r->compressed = r->config.size + r->layers[0].size + r->layers[1].size;
	r->uncompressed = r->config.size + r->layers[0].usize + r->layers[1].usize;
	rc = platform_sbom(o, pf, &l1, l2, empty, r, bufs, err);
done:
	image_layer_free(&l1);
	return rc;
}

/* The platforms to build: o->platforms, or the one of o->binary when none are given (in
 * *one). Each at most once, and no more than IMAGE_MAX_PLATFORMS. */
static int platforms_of(const image_build_opts *o, image_platform *one,
			const image_platform **pfs, size_t *npf, aws_error *err)
{
	*pfs = o->platforms;
	*npf = o->nplatforms;
	if (*npf == 0) {
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
		*one = (image_platform){arch->oci_arch, o->binary};
		*pfs = one;
		*npf = 1;
	}
	if (*npf > IMAGE_MAX_PLATFORMS || !o->out_dir)
		return aws_error_set(err, AWS_ERR_INVALID, "image build needs at most %d platforms "
				     "and an output dir", IMAGE_MAX_PLATFORMS);
	for (size_t i = 0; i < *npf; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp((*pfs)[i].arch, (*pfs)[k].arch) == 0)
				return aws_error_set(err, AWS_ERR_INVALID, "platform linux/%s given twice",
						     (*pfs)[i].arch);
	return 0;
}

/* The bytes of everything the layout holds, while the image is built. */
typedef struct oci_bufs {
	aws_buf shared;                  /* layer 2 */
	aws_buf empty;                   /* the SBOM artifacts' config: {} */
	aws_buf platform[IMAGE_MAX_PLATFORMS][PB_COUNT];
	aws_buf index, layout_index, docker, oci_layout;
} oci_bufs;

static void oci_bufs_free(oci_bufs *b)
{
	for (size_t i = 0; i < IMAGE_MAX_PLATFORMS; i++)
		for (size_t k = 0; k < PB_COUNT; k++)
			aws_buf_free(&b->platform[i][k]);
	aws_buf_free(&b->shared);
	aws_buf_free(&b->empty);
	aws_buf_free(&b->index);
	aws_buf_free(&b->layout_index);
	aws_buf_free(&b->docker);
	aws_buf_free(&b->oci_layout);
}

/* Adds a blob unless one with that digest is already listed. */
static void files_add_blob(image_layout_file *files, size_t *n, const char *digest,
			   const aws_buf *buf)
{
	for (size_t i = 0; i < *n; i++)
		if (!files[i].name && strcmp(files[i].digest, digest) == 0)
			return;
	files[(*n)++] = (image_layout_file){NULL, digest, buf};
}

/* The index documents, then every blob once and the top files, written as the layout (and
 * its .tar when asked); r->stored counts the blobs. */
static int layout_out(const image_build_opts *o, image_build_result *r,
		      const image_blob_info *empty, oci_bufs *b, aws_error *err)
{
	if (image_index_json(o, r, &b->index, err) != 0)
		return -1;
	blob_info_set(&r->index, &b->index);
	if (layout_index_json(o, r, &b->layout_index, err) != 0 ||
	    docker_json(o, &r->platforms[0], &b->docker, err) != 0)
		return -1;
	if (aws_buf_puts(&b->oci_layout, "{\"imageLayoutVersion\":\"1.0.0\"}") != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	image_layout_file files[OCI_MAX_FILES];
	size_t n = 0;
	files_add_blob(files, &n, r->platforms[0].layers[1].digest, &b->shared);
	files_add_blob(files, &n, empty->digest, &b->empty);
	for (size_t i = 0; i < r->nplatforms; i++) {
		const image_platform_result *p = &r->platforms[i];
		files_add_blob(files, &n, p->layers[0].digest, &b->platform[i][PB_LAYER]);
		files_add_blob(files, &n, p->config.digest, &b->platform[i][PB_CONFIG]);
		files_add_blob(files, &n, p->manifest.digest, &b->platform[i][PB_MANIFEST]);
		files_add_blob(files, &n, p->sbom.digest, &b->platform[i][PB_SBOM]);
		files_add_blob(files, &n, p->sbom_manifest.digest, &b->platform[i][PB_SBOM_MANIFEST]);
	}
	files_add_blob(files, &n, r->index.digest, &b->index);
	for (size_t i = 0; i < n; i++)
		r->stored += files[i].buf->len;
	/* sorted by name, as the .tar wants them */
	files[n++] = (image_layout_file){"index.json", NULL, &b->layout_index};
	files[n++] = (image_layout_file){"manifest.json", NULL, &b->docker};
	files[n++] = (image_layout_file){"oci-layout", NULL, &b->oci_layout};
	if (image_layout_write(o->out_dir, files, n, err) != 0)
		return -1;
	if (o->tar_path && *o->tar_path &&
	    image_layout_write_tar(o->tar_path, o->created, files, n, err) != 0)
		return -1;
	return 0;
}

int image_oci_build(const image_build_opts *opts, image_build_result *res, aws_error *err)
{
	memset(res, 0, sizeof *res);
	image_platform one;
	const image_platform *pfs;
	size_t npf;
	if (platforms_of(opts, &one, &pfs, &npf, err) != 0)
		return -1;
	int level = opts->gzip_level > 0 && opts->gzip_level <= 9 ? opts->gzip_level : 6;
	image_layer l2 = IMAGE_LAYER_INIT;
	image_blob_info shared = {0}, empty = {0};
	oci_bufs b;
	memset(&b, 0, sizeof b);
	int rc = -1;
	if (layer2_fill(&l2, opts, err) != 0 ||
	    image_layer_write(&l2, opts->created, level, &b.shared, &shared, err) != 0)
		goto done;
	if (aws_buf_puts(&b.empty, "{}") != 0) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	blob_info_set(&empty, &b.empty);
	for (size_t i = 0; i < npf; i++) {
		res->platforms[i].layers[1] = shared;
		if (platform_build(opts, &pfs[i], &l2, &empty, level, &res->platforms[i],
				   b.platform[i], err) != 0)
			goto done;
		res->nplatforms++;
	}
	rc = layout_out(opts, res, &empty, &b, err);
done:
	image_layer_free(&l2);
	oci_bufs_free(&b);
	return rc;
}

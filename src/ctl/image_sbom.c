/* image_sbom.c — CycloneDX 1.5 JSON of an image's files, grouped by where they come from.
 *
 * Components are ordered (showtable, then packages by name, files by path) and serialised
 * with sorted keys, so the document depends only on the files and the options.
 */
#include "image_sbom.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image_dpkg.h"

/* purl percent-encoding of a version or qualifier value (RFC 3986 unreserved kept). */
static void purl_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;
	for (; *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_' || c == '~')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static json_t *file_component(const image_sbom_file *f)
{
	char ref[4200];
	snprintf(ref, sizeof ref, "file:%s", f->path);
	return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "type", "file", "bom-ref", ref, "name",
			 f->path, "hashes", "alg", "SHA-256", "content", f->sha256);
}

static int path_cmp(const void *a, const void *b)
{
	const image_sbom_file *x = *(const image_sbom_file *const *)a;
	const image_sbom_file *y = *(const image_sbom_file *const *)b;
	return strcmp(x->path, y->path);
}

/* The files of group g (a package index, or -1 for showtable's own, -2 for unowned), by
 * path, as an array of file components. */
static json_t *files_of(const image_sbom_file *const *sorted, size_t n, const long *group, long g)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (group[i] == g && json_array_append_new(a, file_component(sorted[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

typedef struct pkg_order {
	const image_dpkg_pkg *p;
	long index;
} pkg_order;

static int pkg_cmp(const void *a, const void *b)
{
	const pkg_order *x = a, *y = b;
	int c = strcmp(x->p->name, y->p->name);
	return c ? c : strcmp(x->p->arch, y->p->arch);
}

/* The files sorted by path, each given its group: the index of the package that owns it
 * in db, -1 for showtable's own, -2 for a host file no package owns (counted in st). */
typedef struct sbom_files {
	const image_sbom_file **sorted;
	long *group;
	size_t n;
} sbom_files;

static int group_files(const image_sbom_file *files, size_t n, sbom_files *f, image_dpkg *db,
		       image_sbom_stats *st, aws_error *err)
{
	const char **hosts = calloc(n ? n : 1, sizeof *hosts);
	size_t *hostof = calloc(n ? n : 1, sizeof *hostof);
	f->sorted = calloc(n ? n : 1, sizeof *f->sorted);
	f->group = calloc(n ? n : 1, sizeof *f->group);
	f->n = n;
	int rc = -1;
	if (!f->sorted || !hosts || !f->group || !hostof) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		f->sorted[i] = &files[i];
	qsort(f->sorted, n, sizeof *f->sorted, path_cmp);
	size_t nh = 0;
	int want_ca = 0;
	for (size_t i = 0; i < n; i++) {
		if (f->sorted[i]->origin == IMAGE_SBOM_PACKAGE) {
			hostof[i] = nh;
			hosts[nh++] = f->sorted[i]->host_path;
		}
		want_ca |= f->sorted[i]->origin == IMAGE_SBOM_CA;
	}
	const char *extra[] = {want_ca ? "ca-certificates" : NULL, NULL};
	if (image_dpkg_lookup(hosts, nh, extra, db, err) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		long *g = &f->group[i];
		switch (f->sorted[i]->origin) {
		case IMAGE_SBOM_APP: *g = -1; break;
		case IMAGE_SBOM_PACKAGE: *g = db->owner[hostof[i]]; break;
		case IMAGE_SBOM_CA: *g = db->owner[nh]; break;
		}
		if (*g < 0 && f->sorted[i]->origin != IMAGE_SBOM_APP) {
			*g = -2;
			st->unowned++;
		}
		st->files++;
	}
	rc = 0;
done:
	free(hosts);
	free(hostof);
	return rc;
}

/* showtable itself: its own files, at the git revision. */
static json_t *app_component(const sbom_files *f, const image_sbom_opts *o)
{
	const char *rev = o->revision && *o->revision ? o->revision : "unknown";
	char app_ref[300];
	snprintf(app_ref, sizeof app_ref, "pkg:generic/showtable@%s", rev);
	json_t *app = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", "application", "bom-ref",
				app_ref, "name", "showtable", "version", rev, "purl", app_ref,
				"components", files_of(f->sorted, f->n, f->group, -1));
	if (app && o->source && *o->source)
		json_object_set_new(app, "externalReferences",
				    json_pack("[{s:s, s:s}]", "type", "vcs", "url", o->source));
	return app;
}

/* One Debian package (index `index` in the lookup) with its files and licences. */
static json_t *package_component(const sbom_files *f, const image_dpkg_pkg *p, long index)
{
	char ver[256], purl[600];
	purl_escape(p->version, ver, sizeof ver);
	snprintf(purl, sizeof purl, "pkg:deb/debian/%s@%s?arch=%s", p->name, ver, p->arch);
	json_t *lic = json_array();
	for (size_t i = 0; i < p->nlicenses; i++)
		json_array_append_new(lic, json_pack("{s:{s:s}}", "license", "name", p->licenses[i]));
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "type", "library", "bom-ref", purl,
			      "name", p->name, "version", p->version, "purl", purl, "components",
			      files_of(f->sorted, f->n, f->group, index));
	if (c && json_array_size(lic))
		json_object_set(c, "licenses", lic);
	if (c && p->source[0])
		json_object_set_new(c, "properties", json_pack("[{s:s, s:s}]", "name",
							       "debian:source", "value", p->source));
	json_decref(lic);
	return c;
}

/* Every package of db, sorted by name and architecture, appended to comps. */
static int package_components(json_t *comps, const sbom_files *f, const image_dpkg *db,
			      image_sbom_stats *st, aws_error *err)
{
	if (db->npkgs == 0)
		return 0;
	pkg_order *order = calloc(db->npkgs, sizeof *order);
	if (!order)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < db->npkgs; i++)
		order[i] = (pkg_order){&db->pkgs[i], (long)i};
	qsort(order, db->npkgs, sizeof *order, pkg_cmp);
	for (size_t k = 0; k < db->npkgs; k++) {
		json_array_append_new(comps, package_component(f, order[k].p, order[k].index));
		st->packages++;
	}
	free(order);
	return 0;
}

/* The whole document around comps (consumed), into out. */
static int sbom_document(const image_sbom_opts *o, json_t *comps, aws_buf *out, aws_error *err)
{
	char created[32];
	time_t tt = (time_t)o->created;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	char platform[64];
	snprintf(platform, sizeof platform, "linux/%s", o->arch);
	json_t *doc = json_pack("{s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s}]}, s:{s:s, s:s, s:s, s:s, "
				"s:[{s:s, s:s}]}}, s:o}",
				"bomFormat", "CycloneDX", "specVersion", "1.5", "version", 1,
				"metadata", "timestamp", created,
				"tools", "components", "type", "application", "name", "showtablectl",
				"component", "type", "container", "bom-ref", "image", "name", "showtable",
				"version", o->image_digest ? o->image_digest : "",
				"properties", "name", "oci:platform", "value", platform,
				"components", comps);
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	aws_buf_reset(out);
	int rc = 0;
	if (!s || aws_buf_puts(out, s) != 0)
		rc = aws_error_set(err, AWS_ERR_NOMEM, "out of memory writing the SBOM");
	free(s);
	return rc;
}

int image_sbom_cyclonedx(const image_sbom_file *files, size_t n, const image_sbom_opts *o,
			 aws_buf *out, image_sbom_stats *stats, aws_error *err)
{
	image_sbom_stats st = {0};
	sbom_files f = {0};
	image_dpkg db = {0};
	json_t *comps = NULL;
	int rc = -1;
	if (group_files(files, n, &f, &db, &st, err) != 0)
		goto done;
	comps = json_array();
	json_array_append_new(comps, app_component(&f, o));
	if (package_components(comps, &f, &db, &st, err) != 0)
		goto done;
	json_t *loose = files_of(f.sorted, n, f.group, -2);
	for (size_t i = 0; i < json_array_size(loose); i++)
		json_array_append(comps, json_array_get(loose, i));
	json_decref(loose);
	rc = sbom_document(o, comps, out, err);
	comps = NULL; /* consumed */
	if (rc == 0 && stats)
		*stats = st;
done:
	json_decref(comps);
	image_dpkg_free(&db);
	free(f.sorted);
	free(f.group);
	return rc;
}

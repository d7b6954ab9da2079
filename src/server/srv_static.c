/* srv_static.c — loads the asset folder into memory, with ETags and gzip copies.
 *
 * Work is done once at start so that serving an asset is a lookup and a prebuilt
 * response: no file I/O, no compression, no allocation per request.
 */
#include "srv_static.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "aws_crypto.h"

#define FILE_MAX (8u << 20)
#define TOTAL_MAX (64u << 20)
#define DEPTH_MAX 4

struct srv_static {
	srv_asset *a;
	size_t n, cap, total;
};

static const char *type_of(const char *name)
{
	static const struct { const char *ext, *type; } T[] = {
		{".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".map", "application/json"}, {".json", "application/json"},
		{".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
		{".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof T / sizeof T[0]; i++)
		if (strcasecmp(dot, T[i].ext) == 0)
			return T[i].type;
	return "application/octet-stream";
}

/* gzip (with header, for Content-Encoding: gzip) of the data; kept only if 10 % smaller. */
static void make_gzip(srv_asset *as)
{
	if (as->len < 256)
		return;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	uLong bound = deflateBound(&z, (uLong)as->len);
	unsigned char *out = malloc(bound);
	if (out) {
		z.next_in = as->data;
		z.avail_in = (uInt)as->len;
		z.next_out = out;
		z.avail_out = (uInt)bound;
		if (deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out < as->len - as->len / 10) {
			as->gz = out;
			as->gz_len = z.total_out;
			out = NULL;
		}
		free(out);
	}
	deflateEnd(&z);
}

static int add_file(srv_static *s, int dirfd, const char *name, const char *urlpath, aws_error *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return aws_error_set(err, AWS_ERR_IO, "assets: cannot open %s: %s", urlpath, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((size_t)st.st_size > FILE_MAX || s->total + (size_t)st.st_size > TOTAL_MAX) {
		close(fd);
		return aws_error_set(err, AWS_ERR_INVALID, "assets: %s makes the assets larger than allowed "
				     "(8 MiB a file, 64 MiB in all)", urlpath);
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		srv_asset *na = realloc(s->a, nc * sizeof *na);
		if (!na) {
			close(fd);
			return aws_error_set(err, AWS_ERR_NOMEM, "assets: out of memory");
		}
		s->a = na;
		s->cap = nc;
	}
	srv_asset *as = &s->a[s->n];
	memset(as, 0, sizeof *as);
	snprintf(as->path, sizeof as->path, "%s", urlpath);
	as->type = type_of(name);
	as->len = (size_t)st.st_size;
	as->data = malloc(as->len ? as->len : 1);
	size_t got = 0;
	while (as->data && got < as->len) {
		ssize_t r = read(fd, as->data + got, as->len - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!as->data || got != as->len) {
		free(as->data);
		return aws_error_set(err, AWS_ERR_IO, "assets: cannot read %s", urlpath);
	}
	uint8_t h[AWS_SHA256_LEN];
	char hex[2 * AWS_SHA256_LEN + 1];
	aws_sha256(as->data, as->len, h);
	aws_hex(h, 8, hex);
	snprintf(as->etag, sizeof as->etag, "\"%.16s\"", hex);
	make_gzip(as);
	s->total += as->len;
	s->n++;
	return 0;
}

static int safe_name(const char *n)
{
	if (n[0] == '.' || strlen(n) > 100)
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

/* Loads the regular files of the folder dirfd (URL prefix urlpath), recursing into
 * subfolders; symlinks are never followed (O_NOFOLLOW, and DT/lstat checks). */
static int add_dir(srv_static *s, int dirfd, const char *urlpath, int depth, aws_error *err)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return aws_error_set(err, AWS_ERR_IO, "assets: cannot list %s: %s", urlpath, strerror(errno));
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (!safe_name(e->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		char sub[256];
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", urlpath, e->d_name) >= sizeof sub)
			continue;
		if (S_ISREG(st.st_mode)) {
			rc = add_file(s, dirfd, e->d_name, sub, err);
		} else if (S_ISDIR(st.st_mode) && depth < DEPTH_MAX) {
			int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				rc = add_dir(s, fd, sub, depth + 1, err);
		}
	}
	closedir(d);
	return rc;
}

srv_static *srv_static_load(const char *dir, aws_error *err)
{
	srv_static *s = calloc(1, sizeof *s);
	if (!s) {
		aws_error_set(err, AWS_ERR_NOMEM, "assets: out of memory");
		return NULL;
	}
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		aws_error_set(err, AWS_ERR_IO, "assets folder %s: %s (set --assets DIR)", dir, strerror(errno));
		free(s);
		return NULL;
	}
	static const char *sub[] = {"css", "js"};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		int fd = openat(root, sub[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char url[16];
		snprintf(url, sizeof url, "/%s", sub[i]);
		if (fd >= 0)
			rc = add_dir(s, fd, url, 1, err);
	}
	struct stat st;
	if (rc == 0 && fstatat(root, "favicon.ico", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		rc = add_file(s, root, "favicon.ico", "/favicon.ico", err);
	close(root);
	if (rc) {
		srv_static_free(s);
		return NULL;
	}
	return s;
}

void srv_static_free(srv_static *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->a[i].data);
		free(s->a[i].gz);
	}
	free(s->a);
	free(s);
}

size_t srv_static_count(const srv_static *s) { return s->n; }
srv_asset *srv_static_at(srv_static *s, size_t i) { return i < s->n ? &s->a[i] : NULL; }

srv_asset *srv_static_find(srv_static *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].path, path) == 0)
			return &s->a[i];
	return NULL;
}

int srv_static_is_static_path(const char *path)
{
	return strncmp(path, "/css/", 5) == 0 || strncmp(path, "/js/", 4) == 0 ||
	       strcmp(path, "/favicon.ico") == 0;
}

int srv_static_accepts_gzip(const char *accept_encoding)
{
	if (!accept_encoding)
		return 0;
	const char *p = accept_encoding;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",;");
		size_t tn = n;
		while (tn > 0 && p[tn - 1] == ' ')
			tn--;
		int is_gzip = (tn == 4 && strncasecmp(p, "gzip", 4) == 0) || (tn == 1 && p[0] == '*');
		p += n;
		int zero = 0;
		if (*p == ';') { /* parameters: look for q=0 */
			const char *q = p + 1;
			size_t pn = strcspn(q, ",");
			const char *qq = q;
			while (qq < q + pn && *qq == ' ')
				qq++;
			if ((qq[0] == 'q' || qq[0] == 'Q') && qq[1] == '=') {
				double v = strtod(qq + 2, NULL);
				zero = v <= 0.0;
			}
			p = q + pn;
		}
		if (is_gzip && !zero)
			return 1;
	}
	return 0;
}

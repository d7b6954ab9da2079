/* image_dpkg.c — file → Debian package, version and licences, through dpkg-query.
 *
 * Two runs of dpkg-query whatever the number of files (each run reads dpkg's whole
 * database, so one per file would cost seconds), with argument vectors, never a shell.
 * Output is read with a size cap and parsed line by line; anything unexpected in it is
 * skipped, not trusted.
 */
#include "image_dpkg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws_buf.h"

#define DPKG_MAX_OUTPUT ((size_t)4 << 20)
#define DPKG_MAX_COPYRIGHT ((size_t)1 << 20)
#define DPKG_MAX_ARGS 4096

/* Runs argv with stdout captured (at most DPKG_MAX_OUTPUT) and stderr discarded. Returns
 * the exit status (≥ 0), or -1 with err set when it cannot be run. */
static int run_capture(char *const argv[], aws_buf *out, aws_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return aws_error_set(err, AWS_ERR_IO, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return aws_error_set(err, AWS_ERR_IO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(p[1], 1);
		if (null >= 0) {
			dup2(null, 2);
			dup2(null, 0);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	aws_buf_reset(out);
	char chunk[16384];
	int too_big = 0;
	for (;;) {
		ssize_t r = read(p[0], chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!too_big && (out->len + (size_t)r > DPKG_MAX_OUTPUT ||
				 aws_buf_append(out, chunk, (size_t)r) != 0))
			too_big = 1;
	}
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return aws_error_set(err, AWS_ERR_IO, "%s cannot be run: the SBOM maps files to "
				     "packages with dpkg's database (a Debian system)", argv[0]);
	if (too_big)
		return aws_error_set(err, AWS_ERR_INVALID, "%s printed more than %zu MiB, refusing",
				     argv[0], DPKG_MAX_OUTPUT >> 20);
	if (!out->data && aws_buf_puts(out, "") != 0)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void image_dpkg_free(image_dpkg *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->npkgs; i++) {
		image_dpkg_pkg *p = &d->pkgs[i];
		free(p->name);
		free(p->arch);
		free(p->version);
		free(p->source);
		for (size_t k = 0; k < p->nlicenses; k++)
			free(p->licenses[k]);
		free(p->licenses);
	}
	free(d->pkgs);
	free(d->owner);
	memset(d, 0, sizeof *d);
}

/* The /usr-merge twin of a path: /lib/x → /usr/lib/x and back; "" when there is none. */
static void usr_twin(const char *p, char *out, size_t len)
{
	out[0] = '\0';
	if (strncmp(p, "/usr/lib/", 9) == 0 || strncmp(p, "/usr/bin/", 9) == 0 ||
	    strncmp(p, "/usr/sbin/", 10) == 0)
		snprintf(out, len, "%s", p + 4);
	else if (strncmp(p, "/lib/", 5) == 0 || strncmp(p, "/lib64/", 7) == 0 ||
		 strncmp(p, "/bin/", 5) == 0 || strncmp(p, "/sbin/", 6) == 0)
		snprintf(out, len, "/usr%s", p);
}

/* dpkg-query -S takes arguments with these characters as patterns, not paths. */
static int plain_path(const char *p)
{
	return p[0] == '/' && !strpbrk(p, "*?[]\\\n");
}

int image_dpkg_copyright_licenses(const char *text, size_t len, char ***names, size_t *n)
{
	if (len < 7 || strncmp(text, "Format:", 7) != 0)
		return 0; /* not machine-readable: it names no licence we could rely on */
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p > 8 && strncmp(p, "License:", 8) == 0) {
			const char *s = p + 8;
			while (s < le && (*s == ' ' || *s == '\t'))
				s++;
			const char *e = le;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				e--;
			size_t k = (size_t)(e - s);
			int seen = k == 0 || k > 200;
			for (size_t i = 0; !seen && i < *n; i++)
				seen = strlen((*names)[i]) == k && memcmp((*names)[i], s, k) == 0;
			if (!seen) {
				char **nv = realloc(*names, (*n + 1) * sizeof *nv);
				if (!nv)
					return -1;
				*names = nv;
				if (!(nv[*n] = strndup(s, k)))
					return -1;
				(*n)++;
			}
		}
		p = le + 1;
	}
	return 0;
}

static int read_copyright(image_dpkg_pkg *pkg)
{
	char path[512];
	snprintf(path, sizeof path, "/usr/share/doc/%s/copyright", pkg->name);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0; /* no copyright file: no licence named */
	char *buf = malloc(DPKG_MAX_COPYRIGHT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t len = fread(buf, 1, DPKG_MAX_COPYRIGHT, f);
	fclose(f);
	int rc = image_dpkg_copyright_licenses(buf, len, &pkg->licenses, &pkg->nlicenses);
	free(buf);
	return rc;
}

/* Index of package spec (as dpkg prints it: "libc6:arm64" or "ca-certificates") in
 * specs, adding it when new. */
static long spec_index(char ***specs, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*specs)[i]) == len && memcmp((*specs)[i], s, len) == 0)
			return (long)i;
	char **nv = realloc(*specs, (*n + 1) * sizeof *nv);
	if (!nv)
		return -2;
	*specs = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -2;
	return (long)(*n)++;
}

int image_dpkg_lookup(const char *const *files, size_t n, const char *const *extra_pkgs,
		      image_dpkg *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	size_t nextra = 0;
	while (extra_pkgs && extra_pkgs[nextra])
		nextra++;
	if (n * 2 + nextra + 8 > DPKG_MAX_ARGS)
		return aws_error_set(err, AWS_ERR_INVALID, "%zu files: too many for one dpkg query", n);
	out->nfiles = n + nextra;
	char **argv = calloc(n * 2 + nextra + 8, sizeof *argv);
	char (*twins)[4096] = calloc(n ? n : 1, sizeof *twins);
	char **specs = NULL;
	size_t nspecs = 0;
	aws_buf o = AWS_BUF_INIT;
	int rc = -1;
	if (!(out->owner = calloc(out->nfiles ? out->nfiles : 1, sizeof *out->owner)) || !argv ||
	    !twins) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->nfiles; i++)
		out->owner[i] = -1;

	/* 1. owners: one dpkg-query -S for every path and its twin */
	size_t a = 0;
	argv[a++] = "dpkg-query";
	argv[a++] = "-S";
	for (size_t i = 0; i < n; i++) {
		usr_twin(files[i], twins[i], sizeof twins[i]);
		if (plain_path(files[i]))
			argv[a++] = (char *)files[i];
		if (twins[i][0] && plain_path(twins[i]))
			argv[a++] = twins[i];
	}
	argv[a] = NULL;
	if (a > 2) {
		int st = run_capture(argv, &o, err);
		if (st < 0)
			goto done;
		if (st > 1) {
			aws_error_set(err, AWS_ERR_IO, "dpkg-query -S failed (exit status %d): dpkg's "
				      "database is not readable", st);
			goto done;
		}
		/* "pkg[:arch][, pkg2…]: /path" per line; "diversion by …" lines are skipped */
		for (char *line = o.data, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			char *sep = strstr(line, ": /");
			if (!sep || strncmp(line, "diversion ", 10) == 0)
				continue;
			const char *path = sep + 2;
			size_t plen = strcspn(line, ",");
			if (line + plen > sep)
				plen = (size_t)(sep - line);
			for (size_t i = 0; i < n; i++) {
				if (out->owner[i] >= 0 ||
				    (strcmp(path, files[i]) != 0 && strcmp(path, twins[i]) != 0))
					continue;
				long k = spec_index(&specs, &nspecs, line, plen);
				if (k < -1) {
					aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
					goto done;
				}
				out->owner[i] = k;
			}
		}
	}
	for (size_t i = 0; i < nextra; i++) {
		long k = spec_index(&specs, &nspecs, extra_pkgs[i], strlen(extra_pkgs[i]));
		if (k < -1) {
			aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			goto done;
		}
		out->owner[n + i] = k;
	}
	if (nspecs == 0) {
		rc = 0;
		goto done;
	}

	/* 2. versions: one dpkg-query -W for every package found */
	if (!(out->pkgs = calloc(nspecs, sizeof *out->pkgs))) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	out->npkgs = nspecs;
	a = 0;
	argv[a++] = "dpkg-query";
	argv[a++] = "-W";
	argv[a++] = "-f=${binary:Package}\t${Package}\t${Architecture}\t${Version}\t"
		    "${source:Package}\t${db:Status-Abbrev}\n";
	for (size_t i = 0; i < nspecs; i++)
		argv[a++] = specs[i];
	argv[a] = NULL;
	int st = run_capture(argv, &o, err);
	if (st < 0)
		goto done;
	for (char *line = o.data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[6];
		size_t nf = 0;
		for (char *s = line; nf < 6; nf++) {
			f[nf] = s;
			char *t = strchr(s, '\t');
			if (!t) {
				nf++;
				break;
			}
			*t = '\0';
			s = t + 1;
		}
		if (nf < 6 || strncmp(f[5], "ii", 2) != 0)
			continue; /* not installed (only config files left, or half-installed) */
		for (size_t i = 0; i < nspecs; i++) {
			image_dpkg_pkg *p = &out->pkgs[i];
			/* "libc6:arm64" as asked, or "libc6" for a package that is not Multi-Arch:
			 * same asked as "libc6:amd64" */
			size_t bl = strcspn(specs[i], ":");
			if (p->name || (strcmp(specs[i], f[0]) != 0 &&
					!(strlen(f[0]) == bl && memcmp(specs[i], f[0], bl) == 0)))
				continue;
			if (!(p->name = strdup(f[1])) || !(p->arch = strdup(f[2])) ||
			    !(p->version = strdup(f[3])) ||
			    !(p->source = strdup(strcmp(f[4], f[1]) == 0 ? "" : f[4])) ||
			    read_copyright(p) != 0) {
				aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
				goto done;
			}
			break;
		}
	}
	for (size_t i = 0; i < nspecs; i++) {
		if (!out->pkgs[i].name) {
			aws_error_set(err, AWS_ERR_INVALID, "dpkg says %s owns a file of the image but "
				      "has no version for it (half-installed?) — reinstall it",
				      specs[i]);
			goto done;
		}
	}
	rc = 0;
done:
	for (size_t i = 0; i < nspecs; i++)
		free(specs[i]);
	free(specs);
	free(argv);
	free(twins);
	aws_buf_free(&o);
	if (rc != 0)
		image_dpkg_free(out);
	return rc;
}

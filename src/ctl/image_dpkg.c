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

/* Appends a copy of s[0..len) to the string array *v (*n of them, grown by
 * aws_buf_array_push alone). -1 out of memory, *v and *n as they were. */
static int strpush(char ***v, size_t *n, const char *s, size_t len)
{
	char *c = strndup(s, len);
	char **slot = c ? aws_buf_array_push(v, n, sizeof **v) : NULL;
	if (!slot) {
		free(c);
		return -1;
	}
	*slot = c;
	return 0;
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
			if (!seen && strpush(names, n, s, k) != 0)
				return -1;
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

/* One lookup's scratch: the argument vector, each file's /usr twin, the package specs as
 * dpkg prints them ("libc6:arm64" or "ca-certificates"), each once in order of first use,
 * and dpkg-query's output. */
typedef struct dpkg_query {
	char **argv;
	char (*twins)[4096];
	char **specs;
	size_t nspecs;
	aws_buf out;
} dpkg_query;

/* Index of package spec s[0..len) in q->specs, adding it when new; -1 out of memory. */
static long spec_index(dpkg_query *q, const char *s, size_t len)
{
	for (size_t i = 0; i < q->nspecs; i++)
		if (strlen(q->specs[i]) == len && memcmp(q->specs[i], s, len) == 0)
			return (long)i;
	if (strpush(&q->specs, &q->nspecs, s, len) != 0)
		return -1;
	return (long)(q->nspecs - 1);
}

/* Cuts the next line off *text (NUL-terminating it); NULL at the end. */
static char *next_line(char **text)
{
	char *line = *text;
	if (!line || !*line)
		return NULL;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl++ = '\0';
	*text = nl;
	return line;
}

/* dpkg-query -S's "pkg[:arch][, pkg2…]: /path" lines → out->owner of each file whose path or
 * twin is that path (the first package named); "diversion by …" lines are skipped. */
static int owners_parse(dpkg_query *q, const char *const *files, size_t n, image_dpkg *out,
			aws_error *err)
{
	char *text = q->out.data;
	for (char *line; (line = next_line(&text));) {
		char *sep = strstr(line, ": /");
		if (!sep || strncmp(line, "diversion ", 10) == 0)
			continue;
		const char *path = sep + 2;
		size_t plen = strcspn(line, ",");
		if (line + plen > sep)
			plen = (size_t)(sep - line);
		for (size_t i = 0; i < n; i++) {
			if (out->owner[i] >= 0 ||
			    (strcmp(path, files[i]) != 0 && strcmp(path, q->twins[i]) != 0))
				continue;
			if ((out->owner[i] = spec_index(q, line, plen)) < 0)
				return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		}
	}
	return 0;
}

/* Step 1, owners: one dpkg-query -S for every path and its twin. */
static int owners_query(dpkg_query *q, const char *const *files, size_t n, image_dpkg *out,
			aws_error *err)
{
	size_t a = 0;
	q->argv[a++] = "dpkg-query";
	q->argv[a++] = "-S";
	for (size_t i = 0; i < n; i++) {
		usr_twin(files[i], q->twins[i], sizeof q->twins[i]);
		if (plain_path(files[i]))
			q->argv[a++] = (char *)files[i];
		if (q->twins[i][0] && plain_path(q->twins[i]))
			q->argv[a++] = q->twins[i];
	}
	q->argv[a] = NULL;
	if (a == 2)
		return 0; /* nothing dpkg could own */
	int st = run_capture(q->argv, &q->out, err);
	if (st < 0)
		return -1;
	if (st > 1)
		return aws_error_set(err, AWS_ERR_IO, "dpkg-query -S failed (exit status %d): dpkg's "
				     "database is not readable", st);
	return owners_parse(q, files, n, out, err);
}

/* Splits a dpkg-query -W line at its tabs into f[0..6); 0 unless it has all six fields and
 * the package is installed ("ii": not only config files left, not half-installed). */
static int version_fields(char *line, char *f[6])
{
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
	return nf >= 6 && strncmp(f[5], "ii", 2) == 0;
}

/* The spec asked that dpkg answered as f0: "libc6:arm64" as asked, or "libc6" for a package
 * that is not Multi-Arch: same asked as "libc6:amd64". */
static int spec_is(const char *spec, const char *f0)
{
	size_t bl = strcspn(spec, ":");
	return strcmp(spec, f0) == 0 || (strlen(f0) == bl && memcmp(spec, f0, bl) == 0);
}

/* Step 2, versions: one dpkg-query -W for every package found, each package's fields and
 * licences into out->pkgs (in the order of q->specs). */
static int versions_query(dpkg_query *q, image_dpkg *out, aws_error *err)
{
	if (!(out->pkgs = calloc(q->nspecs, sizeof *out->pkgs)))
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	out->npkgs = q->nspecs;
	size_t a = 0;
	q->argv[a++] = "dpkg-query";
	q->argv[a++] = "-W";
	q->argv[a++] = "-f=${binary:Package}\t${Package}\t${Architecture}\t${Version}\t"
		       "${source:Package}\t${db:Status-Abbrev}\n";
	for (size_t i = 0; i < q->nspecs; i++)
		q->argv[a++] = q->specs[i];
	q->argv[a] = NULL;
	if (run_capture(q->argv, &q->out, err) < 0)
		return -1;
	char *text = q->out.data;
	for (char *line; (line = next_line(&text));) {
		char *f[6];
		if (!version_fields(line, f))
			continue;
		for (size_t i = 0; i < q->nspecs; i++) {
			image_dpkg_pkg *p = &out->pkgs[i];
			if (p->name || !spec_is(q->specs[i], f[0]))
				continue;
			if (!(p->name = strdup(f[1])) || !(p->arch = strdup(f[2])) ||
			    !(p->version = strdup(f[3])) ||
			    !(p->source = strdup(strcmp(f[4], f[1]) == 0 ? "" : f[4])) ||
			    read_copyright(p) != 0)
				return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			break;
		}
	}
	for (size_t i = 0; i < q->nspecs; i++)
		if (!out->pkgs[i].name)
			return aws_error_set(err, AWS_ERR_INVALID, "dpkg says %s owns a file of the "
					     "image but has no version for it (half-installed?) — "
					     "reinstall it", q->specs[i]);
	return 0;
}

/* The packages named in extra (nextra of them) as files n.. of out->owner. */
static int extras_add(dpkg_query *q, const char *const *extra, size_t nextra, size_t n,
		      image_dpkg *out, aws_error *err)
{
	for (size_t i = 0; i < nextra; i++)
		if ((out->owner[n + i] = spec_index(q, extra[i], strlen(extra[i]))) < 0)
			return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
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
	dpkg_query q = {.argv = calloc(n * 2 + nextra + 8, sizeof *q.argv),
			.twins = calloc(n ? n : 1, sizeof *q.twins),
			.out = AWS_BUF_INIT};
	int rc = -1;
	if (!(out->owner = calloc(out->nfiles ? out->nfiles : 1, sizeof *out->owner)) ||
	    !q.argv || !q.twins) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->nfiles; i++)
		out->owner[i] = -1;
	if (owners_query(&q, files, n, out, err) != 0 ||
	    extras_add(&q, extra_pkgs, nextra, n, out, err) != 0)
		goto done;
	if (q.nspecs > 0 && versions_query(&q, out, err) != 0)
		goto done;
	rc = 0;
done:
	for (size_t i = 0; i < q.nspecs; i++)
		free(q.specs[i]);
	free(q.specs);
	free(q.argv);
	free(q.twins);
	aws_buf_free(&q.out);
	if (rc != 0)
		image_dpkg_free(out);
	return rc;
}

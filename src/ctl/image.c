/* image.c — building the server's container image and pushing it to a registry: what
 * `image build|push` runs and what `deploy container` calls (image_ensure_pushed).
 *
 * build: image_oci_build with inputs found the way a person expects (the showtable next
 * to this showtablectl, ./web and ./infra or the installed share dir) and a reproducible
 * time (SOURCE_DATE_EPOCH, else the git commit time). push: to ECR by default (repository
 * created if missing, token from GetAuthorizationToken), or to any distribution-API
 * registry with --registry; the tag is the digest ("sha256-HEX") and the URI printed is
 * digest-pinned.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "ctl.h"
#include "ecr.h"
#include "image.h"
#include "registry.h"
#include "aws_time.h"

const char *const image_arches[IMAGE_MAX_PLATFORMS] = {"amd64", "arm64"};

int image_arch_index(const char *arch)
{
	for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++)
		if (strcmp(arch, image_arches[i]) == 0)
			return i;
	return -1;
}

/* The machine showtablectl runs on, as an OCI architecture. */
const char *image_host_arch(void)
{
#if defined(__aarch64__)
	return "arm64";
#else
	return "amd64";
#endif
}

static double now_s(void)
{
	return aws_monotonic_ms() / 1e3;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Directory of the running showtablectl, "" when unknown. */
static void exe_dir(char *out, size_t len)
{
	char p[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", p, sizeof p - 1);
	out[0] = '\0';
	if (n <= 0)
		return;
	p[n] = '\0';
	snprintf(out, len, "%s", dirname(p));
}

/* First line of a command's output (no shell involved in the arguments: fixed strings). */
static int run_line(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	out[0] = '\0';
	char *got = fgets(out, (int)len, f);
	int st = pclose(f);
	if (!got || st != 0)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return out[0] ? 0 : -1;
}

void image_args_defaults(image_args *a)
{
	memset(a, 0, sizeof *a);
	char dir[PATH_MAX - 64]; /* room for the names appended below */
	exe_dir(dir, sizeof dir);
	snprintf(a->binary, sizeof a->binary, "%s/showtable", dir[0] ? dir : "build");
	/* The host build next to showtablectl; the other machine's cross build beside it, in
	 * the directory `make ARCH=…` writes (build → build-arm64). */
	for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++) {
		if (strcmp(image_arches[i], image_host_arch()) == 0)
			memcpy(a->binaries[i], a->binary, sizeof a->binary);
		else
			snprintf(a->binaries[i], PATH_MAX, "%s-%s/showtable", dir[0] ? dir : "build",
				 image_arches[i]);
	}
	const char *share[] = {"web", "infra"};
	char *dst[] = {a->web, a->infra};
	for (int i = 0; i < 2; i++) {
		char alt[PATH_MAX + 32];
		snprintf(alt, sizeof alt, "%s/../share/showtable/%s", dir, share[i]);
		if (is_dir(share[i]))
			snprintf(dst[i], PATH_MAX, "%s", share[i]);
		else if (dir[0] && is_dir(alt))
			snprintf(dst[i], PATH_MAX, "%.*s", PATH_MAX - 1, alt);
	}
	/* Output goes where the user is, not beside an installed binary in bin/. */
	snprintf(a->out, sizeof a->out, "build/image");
	a->keep = 10;
}

/* The image's timestamp: SOURCE_DATE_EPOCH (reproducible-builds.org), else the commit time
 * of HEAD, else the binary's mtime (reproducible for one binary). */
static int image_time(const char *binary, long long *out)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	char line[64];
	if (e && *e) {
		char *end;
		errno = 0;
		long long v = strtoll(e, &end, 10);
		if (errno || *end || v < 0) {
			ctl_errorf("SOURCE_DATE_EPOCH=\"%.32s\" is not seconds since the epoch — fix or "
				   "unset it", e);
			return -1;
		}
		*out = v;
		return 0;
	}
	if (run_line("git log -1 --format=%ct 2>/dev/null", line, sizeof line) == 0) {
		*out = strtoll(line, NULL, 10);
		return 0;
	}
	struct stat st;
	*out = stat(binary, &st) == 0 ? (long long)st.st_mtime : 0;
	return 0;
}

/* Registry and layout errors already say what to do: print them without the AWS hints. */
static void image_error(const char *context, const aws_error *err)
{
	ctl_errorf("%s: %s", context, err->message);
}

/* Parses --platform "linux/amd64,linux/arm64" into a bit set. Returns 0 or -1 (printed). */
int image_parse_platforms(const char *list, int *out)
{
	*out = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		char one[64];
		snprintf(one, sizeof one, "%.*s", (int)(n < 63 ? n : 63), p);
		int i = strncmp(one, "linux/", 6) == 0 ? image_arch_index(one + 6) : -1;
		if (i < 0) {
			ctl_errorf("--platform \"%s\": linux/amd64 and linux/arm64 are the platforms an "
				   "image can have", one);
			return -1;
		}
		*out |= 1 << i;
		p += n;
		if (*p == ',')
			p++;
	}
	return *out ? 0 : (ctl_errorf("--platform: name at least one platform"), -1);
}

/* Fills o's platforms: those asked with --platform; else the one --binary PATH names; else
 * the host's, and every other platform whose cross build exists. */
static int choose_platforms(const image_args *a, image_build_opts *o)
{
	if (!a->platforms && a->binary_set) {
		if (access(a->binary, R_OK) != 0) {
			ctl_errorf("%s: %s — build it (make) or pass --binary PATH", a->binary,
				   strerror(errno));
			return -1;
		}
		o->binary = a->binary;
		return 0;
	}
	int want = a->platforms;
	if (!want) {
		for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++)
			if (strcmp(image_arches[i], image_host_arch()) == 0 || access(a->binaries[i], R_OK) == 0)
				want |= 1 << i;
	}
	for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++) {
		if (!(want & (1 << i)))
			continue;
		if (access(a->binaries[i], R_OK) != 0) {
			ctl_errorf("%s: %s — build it (make%s) or pass --binary %s=PATH", a->binaries[i],
				   strerror(errno), strcmp(image_arches[i], image_host_arch()) == 0 ? ""
				   : strcmp(image_arches[i], "arm64") == 0 ? " ARCH=arm64" : " on that machine",
				   image_arches[i]);
			return -1;
		}
		o->platforms[o->nplatforms++] = (image_platform){image_arches[i], a->binaries[i]};
	}
	return 0;
}

ctl_outcome image_build(const image_args *a, image_build_result *r)
{
	char revision[128] = "", source[512] = "";
	long long created;
	if (image_time(a->binary_set || a->platforms ? a->binary : a->binaries[0], &created) != 0)
		return CTL_FAILED;
	const char *ev = getenv("SHOWTABLE_REVISION");
	if (ev && *ev)
		snprintf(revision, sizeof revision, "%s", ev);
	else if (run_line("git rev-parse HEAD 2>/dev/null", revision, sizeof revision) != 0)
		snprintf(revision, sizeof revision, "%s", SHOWTABLE_VERSION);
	const char *es = getenv("SHOWTABLE_SOURCE");
	if (es && *es)
		snprintf(source, sizeof source, "%s", es);
	else
		run_line("git remote get-url origin 2>/dev/null", source, sizeof source);
	image_build_opts o = {
		.web_dir = a->web,
		.infra_dir = a->infra,
		.out_dir = a->out,
		.tar_path = a->no_tar ? NULL : a->tar,
		.source = source[0] ? source : NULL,
		.revision = revision,
		.created = created,
	};
	if (choose_platforms(a, &o) != 0)
		return CTL_FAILED;
	double t0 = now_s();
	aws_error err;
	if (image_oci_build(&o, r, &err) != 0) {
		image_error("image build", &err);
		return CTL_FAILED;
	}
	double dt = now_s() - t0;
	if (a->brief) {
		printf("image %s: %.2f MB compressed (linux/%s", r->index.digest,
		       (double)r->platforms[0].compressed / 1e6, r->platforms[0].arch);
		for (size_t i = 1; i < r->nplatforms; i++)
			printf("; %.2f MB linux/%s", (double)r->platforms[i].compressed / 1e6,
			       r->platforms[i].arch);
		printf("; showtable, %zu shared objects; %zu web and template entries; an SBOM "
		       "each), built in %.1f s\n", r->platforms[0].nlibs,
		       r->platforms[0].layers[1].nentries, dt);
		fflush(stdout);
	} else if (!a->quiet) {
		fprintf(stderr, "image: %s (index of %zu platform%s)\n", r->index.digest,
			r->nplatforms, r->nplatforms > 1 ? "s" : "");
		for (size_t i = 0; i < r->nplatforms; i++) {
			const image_platform_result *p = &r->platforms[i];
			fprintf(stderr,
				"  linux/%s: %s\n"
				"    layer 1 (binary, %zu shared objects, CA bundle, users): %.2f MB "
				"compressed, %.2f MB uncompressed, %zu entries\n"
				"    layer 2 (web assets, templates): %.3f MB compressed, %.3f MB "
				"uncompressed, %zu entries\n"
				"    total %.2f MB compressed, %.2f MB uncompressed\n"
				"    SBOM %s (CycloneDX 1.5): %zu files, %zu Debian packages\n",
				p->arch, p->manifest.digest, p->nlibs, (double)p->layers[0].size / 1e6,
				(double)p->layers[0].usize / 1e6, p->layers[0].nentries,
				(double)p->layers[1].size / 1e6, (double)p->layers[1].usize / 1e6,
				p->layers[1].nentries, (double)p->compressed / 1e6,
				(double)p->uncompressed / 1e6, p->sbom_manifest.digest, p->sbom_files,
				p->sbom_packages);
		}
		fprintf(stderr, "  built in %.2f s; layout %s (%.2f MB)%s%s\n", dt, a->out,
			(double)r->stored / 1e6, o.tar_path ? ", archive " : "",
			o.tar_path ? o.tar_path : "");
	}
	return CTL_OK;
}

static void progress_line(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "  %s\n", line);
}

/* deploy's progress: only the per-blob lines (registry.h: they start with the digest); that
 * nothing was pushed is said once, after the push. */
static void progress_brief(void *ud, const char *line)
{
	(void)ud;
	if (strncmp(line, "sha256:", 7) == 0) {
		printf("  %s\n", line);
		fflush(stdout);
	}
}

void image_repository_name(const ctl_ctx *ctx, char *out, size_t len)
{
	/* ECR (and the distribution spec) allow lowercase names only; stack names may have
	 * capitals. */
	size_t i = 0;
	for (const char *p = ctx->name; *p && i + 1 < len; p++)
		out[i++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
	if (len)
		out[i] = '\0';
}

/* Reads the registry password from stdin: the first line, without its newline. */
static int read_password(char *out, size_t len)
{
	if (!fgets(out, (int)len, stdin)) {
		ctl_errorf("--password-stdin: nothing on standard input — pipe the password in");
		return -1;
	}
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* Where a push goes and as whom: the registry's base URL and host, the login (user and
 * password, or none), what to say when the login is refused, and the HTTP handle. */
typedef struct push_target {
	char base[600], host[512], hint[512];
	const char *user;            /* NULL: no login */
	char *password;              /* a buffer of password_len bytes, wiped after the push */
	size_t password_len;
	ecr_auth *auth;              /* ECR: the token (owned, wiped when freed) */
	aws_http *own_http, *http;   /* --registry: a handle of its own; ECR: the client's */
} push_target;

/* --registry: the URL as given (http:// only with --insecure-http), the login from
 * --username and standard input. */
static ctl_outcome target_registry(const image_args *a, push_target *t)
{
	const char *r = a->registry;
	aws_error err;
	if (strncmp(r, "http://", 7) == 0 && !a->insecure_http) {
		ctl_errorf("--registry %s is plain HTTP: add --insecure-http to allow it", r);
		return CTL_USAGE;
	}
	if (strncmp(r, "http://", 7) == 0 || strncmp(r, "https://", 8) == 0)
		snprintf(t->base, sizeof t->base, "%s", r);
	else
		snprintf(t->base, sizeof t->base, "%s://%s", a->insecure_http ? "http" : "https", r);
	if (a->username) {
		t->user = a->username;
		if (!a->password_stdin) {
			ctl_errorf("--username needs --password-stdin (the password is read from "
				   "standard input, never from the command line)");
			return CTL_USAGE;
		}
		if (read_password(t->password, t->password_len) != 0)
			return CTL_FAILED;
	}
	if (!(t->http = t->own_http = aws_http_new(NULL, &err))) {
		ctl_aws_error("image push", &err);
		return CTL_FAILED;
	}
	snprintf(t->hint, sizeof t->hint, "pass --username U --password-stdin for %s", r);
	return CTL_OK;
}

/* ECR: the repository made if missing (said unless quiet), the login from
 * GetAuthorizationToken. */
static ctl_outcome target_ecr(ctl_ctx *ctx, const image_args *a, const char *repo,
			      push_target *t)
{
	aws_error err;
	aws_client *c = ctl_client(ctx);
	if (!c)
		return CTL_FAILED;
	ecr_repository er;
	int created = 0;
	if (ecr_ensure_repository(c, repo, a->keep, &er, &created, &err) != 0) {
		ctl_aws_error("ECR repository", &err);
		return CTL_FAILED;
	}
	if (created && a->brief)
		printf("created ECR repository %s (scan on push, immutable tags, keeps the "
		       "newest %d images)\n", er.uri[0] ? er.uri : repo, a->keep);
	else if (created && !a->quiet)
		fprintf(stderr, "created ECR repository %s (scan on push, immutable tags, keeps "
			"the newest %d images)\n", er.uri[0] ? er.uri : repo, a->keep);
	if (!(t->auth = calloc(1, sizeof *t->auth))) {
		ctl_errorf("out of memory");
		return CTL_FAILED;
	}
	if (ecr_get_authorization(c, t->auth, &err) != 0) {
		ctl_aws_error("ECR login", &err);
		return CTL_FAILED;
	}
	snprintf(t->base, sizeof t->base, "%s", t->auth->proxy_endpoint);
	snprintf(t->password, t->password_len, "%s", t->auth->password);
	t->user = t->auth->username;
	t->http = aws_client_http(c);
	snprintf(t->hint, sizeof t->hint, "the ECR token was refused: check that the AWS identity "
		 "may call ecr:GetAuthorizationToken and push to %s", repo);
	return CTL_OK;
}

/* What the push did: one line on stdout (brief), a summary on stderr, or nothing (quiet). */
static void push_report(const image_args *a, const registry_stats *st, const char *digest,
			const char *host, const char *repo, double seconds)
{
	if (a->brief && st->manifest_skipped)
		printf("image %s already in %s (%s/%s), not pushed\n", digest,
		       a->registry ? "the registry" : "ECR", host, repo);
	else if (a->brief)
		printf("pushed %s to %s/%s: %zu blobs, %.2f MB uploaded (%zu already there) in "
		       "%.1f s\n", digest, host, repo, st->blobs_uploaded,
		       (double)st->bytes_uploaded / 1e6, st->blobs_skipped, seconds);
	else if (!a->quiet)
		fprintf(stderr, "pushed in %.2f s: %zu blobs uploaded (%.2f MB), %zu already there, "
			"%zu retries (%.3f s waiting), %zu requests\n", seconds, st->blobs_uploaded,
			(double)st->bytes_uploaded / 1e6, st->blobs_skipped, st->retries,
			(double)st->backoff_ms / 1e3, st->requests);
}

/* The layout's blobs and manifests to the target, then the report. */
static ctl_outcome push_to(const image_args *a, const image_layout *lay, const char *repo,
			   push_target *t)
{
	aws_error err;
	const char *h = strstr(t->base, "://");
	snprintf(t->host, sizeof t->host, "%.*s", (int)strcspn(h ? h + 3 : t->base, "/"),
		 h ? h + 3 : t->base);
	registry_opts ro = {
		.base_url = t->base,
		.repository = repo,
		.username = t->user,
		.password = t->user ? t->password : NULL,
		.login_hint = t->hint,
		.chunk_size = a->chunk_size,
	};
	const char *eb = getenv("SHOWTABLE_REGISTRY_RETRY_MS"); /* tests: short backoff */
	if (eb && *eb)
		ro.retry_base_ms = strtol(eb, NULL, 10);
	registry *reg = registry_new(t->http, &ro, &err);
	if (!reg) {
		image_error("image push", &err);
		return CTL_FAILED;
	}
	if (!a->quiet && !a->brief)
		fprintf(stderr, "pushing %s to %s/%s\n", lay->manifest_digest, t->host, repo);
	double t0 = now_s();
	ctl_outcome rc = CTL_OK;
	if (registry_push_layout(reg, lay, a->tag,
				 a->brief ? progress_brief : a->quiet ? NULL : progress_line, NULL,
				 &err) != 0) {
		image_error("image push", &err);
		rc = CTL_FAILED;
	} else {
		push_report(a, registry_get_stats(reg), lay->manifest_digest, t->host, repo,
			    now_s() - t0);
	}
	registry_free(reg);
	return rc;
}

/* Pushes the layout at a->out; on success writes the digest-pinned URI. */
ctl_outcome image_push(ctl_ctx *ctx, const image_args *a, char *uri, size_t ulen)
{
	aws_error err;
	image_layout lay;
	if (image_layout_open(a->out, &lay, &err) != 0) {
		image_error("image push", &err);
		return CTL_FAILED;
	}
	char defrepo[256];
	image_repository_name(ctx, defrepo, sizeof defrepo);
	const char *repo = a->repository ? a->repository : defrepo;
	static char password[8192];
	push_target t = {.password = password, .password_len = sizeof password};
	ctl_outcome rc = a->registry ? target_registry(a, &t) : target_ecr(ctx, a, repo, &t);
	if (rc == CTL_OK)
		rc = push_to(a, &lay, repo, &t);
	if (rc == CTL_OK)
		snprintf(uri, ulen, "%s/%s@%s", t.host, repo, lay.manifest_digest);
	explicit_bzero(password, sizeof password);
	if (t.auth) {
		explicit_bzero(t.auth, sizeof *t.auth);
		free(t.auth);
	}
	aws_http_free(t.own_http);
	image_layout_free(&lay);
	return rc;
}

int image_make_parents(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			ctl_errorf("%s: cannot create the directory: %s", p, strerror(errno));
			return -1;
		}
		*s = '/';
	}
	return 0;
}

ctl_outcome image_ensure_pushed(ctl_ctx *ctx, const char *need_arch, char *uri_out,
				size_t len)
{
	image_args a;
	image_args_defaults(&a);
	int need = need_arch ? image_arch_index(need_arch) : -1;
	if (need >= 0) {
		/* the default platforms, and the one the task runs on whether built or not */
		a.platforms = 1 << need;
		for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++)
			if (strcmp(image_arches[i], image_host_arch()) == 0 || access(a.binaries[i], R_OK) == 0)
				a.platforms |= 1 << i;
	}
	a.no_tar = 1;
	a.brief = 1;
	/* The layout is a cache the next deploy replaces: under the user's cache directory, so
	 * an installed showtablectl (next to no writable build/) works, one per --name so two
	 * environments deployed at once do not share it. */
	char repo[256];
	image_repository_name(ctx, repo, sizeof repo);
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n = -1;
	if (xdg && *xdg == '/')
		n = snprintf(a.out, sizeof a.out, "%s/showtable/image-%s", xdg, repo);
	else if (home && *home == '/')
		n = snprintf(a.out, sizeof a.out, "%s/.cache/showtable/image-%s", home, repo);
	if (n < 0 || (size_t)n >= sizeof a.out) {
		ctl_errorf("no cache directory for the image layout — set HOME or XDG_CACHE_HOME");
		return CTL_FAILED;
	}
	for (char *p = a.out + strlen(a.out) - strlen(repo); *p; p++)
		if (*p == '/')
			*p = '_';   /* a repository "team/app" is one directory */
	/* An image without its web assets or templates would deploy and then serve nothing:
	 * refuse rather than push it. */
	if (!a.web[0] || !a.infra[0]) {
		char dir[PATH_MAX];
		exe_dir(dir, sizeof dir);
		ctl_errorf("the image needs web/ and infra/: %s%s%s found neither in the current "
			   "directory nor in %s/../share/showtable — run from the source tree, or pass "
			   "--image URI", a.web[0] ? "" : "web/", !a.web[0] && !a.infra[0] ? " and " : "",
			   a.infra[0] ? "" : "infra/", dir[0] ? dir : "(unknown)");
		return CTL_FAILED;
	}
	if (image_make_parents(a.out, 0700) != 0)
		return CTL_FAILED;
	image_build_result r;
	ctl_outcome rc = image_build(&a, &r);
	if (rc == CTL_OK)
		rc = image_push(ctx, &a, uri_out, len);
	fflush(stdout);
	return rc == CTL_OK ? CTL_OK : CTL_FAILED;
}

/* ctl_image.c — `showtablectl image build|push|sbom`: the image module (image.h) driven
 * from the command line; build prints the index digest, push the digest-pinned URI, sbom
 * the CycloneDX SBOM of a layout's image.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "ctl_image.h"
#include "image.h"
#include "image_layout.h"

/* `image sbom`: the SBOM of a layout's image for one platform, indented. */
static ctl_outcome print_sbom(const char *dir, int platforms)
{
	const char *arch = NULL;
	for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++)
		if (platforms & (1 << i)) {
			if (arch) {
				ctl_errorf("image sbom: name one platform");
				return CTL_USAGE;
			}
			arch = image_arches[i];
		}
	image_layout lay;
	aws_error err;
	aws_buf b = AWS_BUF_INIT;
	if (image_layout_open(dir, &lay, &err) != 0 || image_layout_sbom(&lay, arch, &b, &err) != 0) {
		ctl_errorf("image sbom: %s", err.message);
		image_layout_free(&lay);
		return CTL_FAILED;
	}
	json_error_t je;
	json_t *j = json_loadb(b.data, b.len, 0, &je);
	ctl_outcome rc = CTL_FAILED;
	if (!j)
		ctl_errorf("image sbom: %s: the SBOM is not JSON (%s) — build the image again", dir,
			   je.text);
	else if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && putchar('\n') != EOF)
		rc = CTL_OK;
	json_decref(j);
	aws_buf_free(&b);
	image_layout_free(&lay);
	return rc;
}

static void usage_image(FILE *f)
{
	fprintf(f,
		"usage: showtablectl image build [--platform linux/amd64,linux/arm64]\n"
		"                                [--binary [ARCH=]PATH]... [--web DIR] [--infra DIR]\n"
		"                                [--out DIR] [--tar FILE | --no-tar]\n"
		"       showtablectl image push  [build flags | --no-build] [--repository NAME]\n"
		"                                [--registry HOST:PORT|URL [--insecure-http]\n"
		"                                 [--username U --password-stdin]] [--tag T]\n"
		"                                [--chunk-size BYTES] [--keep N]\n"
		"       showtablectl image sbom  [--platform linux/ARCH] [LAYOUT]\n"
		"build writes an OCI image layout (default: build/image and build/image.tar under\n"
		"the current directory): an\n"
		"image index with one image per platform — by default the host's, and linux/arm64\n"
		"too when build-arm64/showtable exists (make ARCH=arm64) — each with its SBOM, and\n"
		"prints the index digest. push sends it to ECR (repository --name, created if\n"
		"missing) or to --registry, and prints the digest-pinned URI. sbom prints the\n"
		"CycloneDX SBOM of a layout's image (default: build/image, the first platform).\n");
}

/* Which file flags were given, so defaults derived from --out are not applied over them. */
typedef struct image_flags_set {
	int tar, out;
} image_flags_set;

/* --binary: "arm64=PATH" names one platform's binary; a bare PATH is the one image. */
static void binary_flag(image_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char arch[16];
	snprintf(arch, sizeof arch, "%.*s", eq ? (int)(eq - arg) : 0, arg);
	int i = eq && eq - arg < 16 ? image_arch_index(arch) : -1;
	if (i >= 0) {
		snprintf(a->binaries[i], PATH_MAX, "%s", eq + 1);
	} else {
		snprintf(a->binary, sizeof a->binary, "%s", arg);
		a->binary_set = 1;
	}
}

/* One flag (getopt's c, its argument arg) into a. CTL_OK, or CTL_USAGE after saying why. */
static ctl_outcome image_flag(int c, char *arg, image_args *a, image_flags_set *set)
{
	char *end;
	switch (c) {
	case 'b': binary_flag(a, arg); break;
	case 'p':
		if (image_parse_platforms(arg, &a->platforms) != 0)
			return CTL_USAGE;
		break;
	case 'w': snprintf(a->web, sizeof a->web, "%s", arg); break;
	case 'i': snprintf(a->infra, sizeof a->infra, "%s", arg); break;
	case 'o': snprintf(a->out, sizeof a->out, "%s", arg); set->out = 1; break;
	case 't': snprintf(a->tar, sizeof a->tar, "%s", arg); set->tar = 1; break;
	case 'N': a->no_tar = 1; break;
	case 'R': a->registry = arg; break;
	case 'r': a->repository = arg; break;
	case 'u': a->username = arg; break;
	case 'P': a->password_stdin = 1; break;
	case 'I': a->insecure_http = 1; break;
	case 'T': a->tag = arg; break;
	case 'c':
		errno = 0;
		a->chunk_size = (size_t)strtoull(arg, &end, 10);
		if (errno || *end || a->chunk_size < 1024) {
			ctl_errorf("--chunk-size \"%s\": a number of bytes, at least 1024", arg);
			return CTL_USAGE;
		}
		break;
	case 'k': {
		long keep = strtol(arg, &end, 10);
		if (*end || keep < 1 || keep > 1000) {
			ctl_errorf("--keep \"%s\": a number of images from 1 to 1000", arg);
			return CTL_USAGE;
		}
		a->keep = (int)keep; /* 1..1000 */
		break;
	}
	case 'n': a->no_build = 1; break;
	case 'q': a->quiet = 1; break;
	default: usage_image(stderr); return CTL_USAGE;
	}
	return CTL_OK;
}

ctl_outcome cmd_image(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "build") != 0 && strcmp(argv[1], "push") != 0 &&
			 strcmp(argv[1], "sbom") != 0)) {
		usage_image(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? CTL_OK : CTL_USAGE;
	}
	int push = strcmp(argv[1], "push") == 0, sbom = strcmp(argv[1], "sbom") == 0;
	image_args a;
	image_args_defaults(&a);
	image_flags_set set = {0, 0};
	static const struct option opts[] = {
		{"binary", required_argument, 0, 'b'}, {"web", required_argument, 0, 'w'},
		{"infra", required_argument, 0, 'i'},  {"out", required_argument, 0, 'o'},
		{"tar", required_argument, 0, 't'},    {"no-tar", no_argument, 0, 'N'},
		{"registry", required_argument, 0, 'R'}, {"repository", required_argument, 0, 'r'},
		{"username", required_argument, 0, 'u'}, {"password-stdin", no_argument, 0, 'P'},
		{"insecure-http", no_argument, 0, 'I'}, {"tag", required_argument, 0, 'T'},
		{"chunk-size", required_argument, 0, 'c'}, {"keep", required_argument, 0, 'k'},
		{"no-build", no_argument, 0, 'n'},     {"quiet", no_argument, 0, 'q'},
		{"platform", required_argument, 0, 'p'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "q", opts, NULL)) != -1) {
		if (c == 'h') {
			usage_image(stdout);
			return CTL_OK;
		}
		ctl_outcome fr = image_flag(c, optarg, &a, &set);
		if (fr != CTL_OK)
			return fr;
	}
	if (optind + 1 < argc && !(sbom && optind + 2 == argc)) {
		ctl_errorf("image %s: unexpected argument \"%s\"", argv[1], argv[optind + 1]);
		return CTL_USAGE;
	}
	if (a.platforms && a.binary_set) {
		/* --platform with a bare --binary: that binary is the host platform's */
		for (int i = 0; i < IMAGE_MAX_PLATFORMS; i++)
			if (strcmp(image_arches[i], image_host_arch()) == 0)
				memcpy(a.binaries[i], a.binary, sizeof a.binary);
	}
	if (sbom)
		return print_sbom(optind + 1 < argc ? argv[optind + 1] : a.out, a.platforms);
	if (!set.tar)
		snprintf(a.tar, sizeof a.tar, "%s.tar", a.out);
	if (!push || !a.no_build) {
		if (!set.out && image_make_parents(a.out, 0777) != 0)   /* ./build, as make would */
			return CTL_FAILED;
		image_build_result r;
		ctl_outcome rc = image_build(&a, &r);
		if (rc != CTL_OK)
			return rc;
		if (!push) {
			printf("%s\n", r.index.digest);
			return CTL_OK;
		}
	}
	char uri[1024];
	ctl_outcome rc = image_push(ctx, &a, uri, sizeof uri);
	if (rc == CTL_OK)
		printf("%s\n", uri);
	return rc;
}

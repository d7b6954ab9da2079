/* ctl_param.c — `showtablectl param get|put|delete`: SSM Parameter Store by hand (the
 * table name and the site credentials live there), printing JSON. Values can come from
 * standard input so secrets stay out of shell history and process lists.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "aws_ssm.h"
#include "ctl_param.h"

#define PARAM_STDIN_MAX (64u << 10)   /* SSM values are at most 8 KB (advanced tier) */

static void param_usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl param get NAME [--raw] [--no-decrypt]\n"
		"       showtablectl param put NAME VALUE|- [--secure | --type T] [--overwrite]\n"
		"                                [--description D] [--key-id KMS_KEY]\n"
		"       showtablectl param delete NAME\n"
		"get prints {\"name\", \"type\", \"value\", \"version\", \"arn\"} (SecureString values\n"
		"decrypted unless --no-decrypt); --raw prints only the value.\n"
		"put: VALUE \"-\" reads the value from standard input (one trailing newline dropped);\n"
		"--secure stores a SecureString (same as --type SecureString); types: String,\n"
		"StringList, SecureString. Prints {\"name\", \"version\"}.\n");
}

/* Prints a JSON object (consumed) on one line. Returns the exit status. */
static ctl_outcome param_print(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		ctl_errorf("param: cannot print the result as JSON (out of memory, or a value "
			   "that is not UTF-8 — try --raw)");
		return CTL_FAILED;
	}
	puts(s);
	free(s);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAILED;
}

static ctl_outcome param_get(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"raw", no_argument, 0, 'r'},
		{"no-decrypt", no_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int raw = 0, decrypt = 1, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': raw = 1; break;
		case 'n': decrypt = 0; break;
		case 'h': param_usage(stdout); return CTL_OK;
		default: param_usage(stderr); return CTL_USAGE;
		}
	}
	if (optind != argc - 1) {
		ctl_errorf("param get: needs exactly one NAME");
		param_usage(stderr);
		return CTL_USAGE;
	}
	aws_client *client = ctl_client(ctx);
	if (!client)
		return CTL_FAILED;
	aws_ssm_parameter p;
	memset(&p, 0, sizeof p);
	aws_error err;
	if (aws_ssm_get_parameter(client, argv[optind], decrypt, &p, &err) < 0) {
		char what[300];
		snprintf(what, sizeof what, "param get %.256s", argv[optind]);
		ctl_aws_error(what, &err);
		return CTL_FAILED;
	}
	ctl_outcome rc;
	if (raw) {
		puts(p.value ? p.value : "");
		rc = fflush(stdout) == 0 ? CTL_OK : CTL_FAILED;
	} else {
		rc = param_print(json_pack("{s:s?, s:s?, s:s?, s:I, s:s?}", "name", p.name,
					   "type", p.type, "value", p.value, "version",
					   (json_int_t)p.version, "arn", p.arn));
	}
	aws_ssm_parameter_free(&p);
	return rc;
}

/* Reads the whole of standard input (bounded), dropping one trailing newline. */
static char *param_read_stdin(void)
{
	aws_buf b = AWS_BUF_INIT;
	b.limit = PARAM_STDIN_MAX;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (aws_buf_append(&b, chunk, n) < 0) {
			aws_buf_free(&b);
			ctl_errorf("param put: the value on standard input is longer than %u KiB",
				   PARAM_STDIN_MAX >> 10);
			return NULL;
		}
	if (ferror(stdin)) {
		aws_buf_free(&b);
		ctl_errorf("param put: cannot read standard input");
		return NULL;
	}
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	return aws_buf_steal(&b, NULL);
}

static ctl_outcome param_put(ctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"secure", no_argument, 0, 's'},
		{"type", required_argument, 0, 't'},
		{"overwrite", no_argument, 0, 'o'},
		{"description", required_argument, 0, 'd'},
		{"key-id", required_argument, 0, 'k'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	aws_ssm_put_input in;
	memset(&in, 0, sizeof in);
	int secure = 0, c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': secure = 1; break;
		case 't': in.type = optarg; break;
		case 'o': in.overwrite = 1; break;
		case 'd': in.description = optarg; break;
		case 'k': in.key_id = optarg; break;
		case 'h': param_usage(stdout); return CTL_OK;
		default: param_usage(stderr); return CTL_USAGE;
		}
	}
	if (optind != argc - 2) {
		ctl_errorf("param put: needs NAME and VALUE (or - to read the value from standard "
			   "input)");
		param_usage(stderr);
		return CTL_USAGE;
	}
	if (secure && in.type && strcmp(in.type, "SecureString") != 0) {
		ctl_errorf("param put: --secure and --type %s contradict each other", in.type);
		return CTL_USAGE;
	}
	if (secure)
		in.type = "SecureString";
	if (in.type && strcmp(in.type, "String") && strcmp(in.type, "StringList") &&
	    strcmp(in.type, "SecureString")) {
		ctl_errorf("param put: --type must be String, StringList or SecureString, not "
			   "\"%.32s\"", in.type);
		return CTL_USAGE;
	}
	in.name = argv[optind];
	char *from_stdin = NULL;
	if (strcmp(argv[optind + 1], "-") == 0) {
		if (!(from_stdin = param_read_stdin()))
			return CTL_FAILED;
		in.value = from_stdin;
	} else {
		in.value = argv[optind + 1];
	}
	ctl_outcome rc = CTL_FAILED;
	aws_client *client = ctl_client(ctx);
	if (client) {
		long long version = 0;
		aws_error err;
		if (aws_ssm_put_parameter(client, &in, &version, &err) < 0) {
			char what[300];
			snprintf(what, sizeof what, "param put %.256s", in.name);
			ctl_aws_error(what, &err);
		} else {
			rc = param_print(json_pack("{s:s, s:I}", "name", in.name, "version",
						   (json_int_t)version));
		}
	}
	free(from_stdin);
	return rc;
}

static ctl_outcome param_delete(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc != 2) {
		ctl_errorf("param delete: needs exactly one NAME");
		param_usage(stderr);
		return CTL_USAGE;
	}
	aws_client *client = ctl_client(ctx);
	if (!client)
		return CTL_FAILED;
	aws_error err;
	if (aws_ssm_delete_parameter(client, argv[1], &err) < 0) {
		char what[300];
		snprintf(what, sizeof what, "param delete %.256s", argv[1]);
		ctl_aws_error(what, &err);
		return CTL_FAILED;
	}
	return param_print(json_pack("{s:s, s:b}", "name", argv[1], "deleted", 1));
}

ctl_outcome cmd_param(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		param_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if (strcmp(argv[1], "get") == 0)
		return param_get(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "put") == 0)
		return param_put(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "delete") == 0)
		return param_delete(ctx, argc - 1, argv + 1);
	ctl_errorf("param: unknown subcommand \"%s\" — use get, put or delete", argv[1]);
	return CTL_USAGE;
}

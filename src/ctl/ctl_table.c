/* ctl_table.c — `showtablectl table create|describe|delete`: a DynamoDB table by hand
 * (on-demand billing, one string partition key), for local runs and tests; deployed
 * environments get theirs from the table stack.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aws_ddb.h"
#include "ctl_table.h"

static void table_usage(FILE *f)
{
	fprintf(f,
		"usage: showtablectl table create --table T [--key K] [--wait] [--timeout S]\n"
		"       showtablectl table describe [--table T]   (default: SSM <param-prefix>/table)\n"
		"       showtablectl table delete --table T [--wait] [--timeout S]\n"
		"create: on-demand billing, partition key K of type S (default itemID); --wait\n"
		"returns when the table is ACTIVE (delete: when it is gone), within S seconds\n"
		"(default 300). Prints JSON (describe: DynamoDB's Table description).\n");
}

static ctl_outcome table_print(json_t *o, size_t flags)
{
	char *s = o ? json_dumps(o, flags) : NULL;
	json_decref(o);
	if (!s) {
		ctl_errorf("table: out of memory");
		return CTL_FAILED;
	}
	puts(s);
	free(s);
	return fflush(stdout) == 0 ? CTL_OK : CTL_FAILED;
}

ctl_outcome cmd_table(ctl_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		table_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "create") && strcmp(sub, "describe") && strcmp(sub, "delete")) {
		ctl_errorf("table: unknown subcommand \"%s\" — use create, describe or delete", sub);
		return CTL_USAGE;
	}
	static const struct option opts[] = {
		{"table", required_argument, 0, 't'},
		{"key", required_argument, 0, 'k'},
		{"wait", no_argument, 0, 'w'},
		{"timeout", required_argument, 0, 'T'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	const char *table = NULL, *key = "itemID";
	int wait = 0, c;
	long timeout = 300;
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': table = optarg; break;
		case 'k': key = optarg; break;
		case 'w': wait = 1; break;
		case 'T':
			if (ctl_parse_long("--timeout", optarg, 1, 3600, &timeout) < 0)
				return CTL_USAGE;
			break;
		case 'h': table_usage(stdout); return CTL_OK;
		default: table_usage(stderr); return CTL_USAGE;
		}
	}
	int is_describe = strcmp(sub, "describe") == 0;
	/* Only describe falls back to the deployed table: creating or deleting one is never
	 * done by default. */
	if ((!is_describe && (!table || !*table)) || optind != argc) {
		ctl_errorf("table %s: needs --table T and nothing else", sub);
		table_usage(stderr);
		return CTL_USAGE;
	}
	char table_buf[256];
	if (!(table = ctl_table_name(ctx, table, table_buf, sizeof table_buf)))
		return CTL_FAILED;
	aws_client *client = ctl_client(ctx);
	if (!client)
		return CTL_FAILED;
	char what[320];
	snprintf(what, sizeof what, "table %s %.256s", sub, table);
	aws_error err;
	if (strcmp(sub, "create") == 0) {
		if (aws_ddb_create_table(client, table, key, wait, (int)timeout, &err) < 0) {
			ctl_aws_error(what, &err);
			return CTL_FAILED;
		}
		return table_print(json_pack("{s:s, s:s, s:s}", "table", table, "key", key, "status",
					     wait ? "ACTIVE" : "CREATING"), JSON_COMPACT);
	}
	if (strcmp(sub, "describe") == 0) {
		json_t *t;
		if (aws_ddb_describe_table(client, table, &t, &err) < 0) {
			ctl_aws_error(what, &err);
			return CTL_FAILED;
		}
		return table_print(t, JSON_INDENT(2));
	}
	if (aws_ddb_delete_table(client, table, &err) < 0 ||
	    (wait && aws_ddb_wait_table(client, table, AWS_DDB_TABLE_GONE, (int)timeout, &err) < 0)) {
		ctl_aws_error(what, &err);
		return CTL_FAILED;
	}
	return table_print(json_pack("{s:s, s:s}", "table", table, "status",
				     wait ? "DELETED" : "DELETING"), JSON_COMPACT);
}

/* main.c — showtablectl: global flags, then one subcommand (see ctl.h for the contract).
 * Every command is listed once in `commands` below with its one-line help; what a command
 * came to (ctl_outcome) becomes the exit status here and nowhere else. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "ctl_creds.h"
#include "ctl_deploy.h"
#include "ctl_destroy.h"
#include "ctl_drift.h"
#include "ctl_image.h"
#include "ctl_items.h"
#include "ctl_logs.h"
#include "ctl_param.h"
#include "ctl_rollback.h"
#include "ctl_scan.h"
#include "ctl_status.h"
#include "ctl_table.h"
#include "jsonl.h"

struct command {
	const char *name;
	ctl_outcome (*run)(ctl_ctx *, int, char **);
	const char *usage;
	int own_help; /* 1: the command prints its own --help; 0: main prints its usage line */
};

static const struct command commands[] = {
	{"scan", cmd_scan, "scan --table T [--segments N] [--filter S] [--count]   print items, one JSON per line", 1},
	{"items", cmd_items, "items load --table T FILE|-                    write items (one JSON per line)", 1},
	{"param", cmd_param, "param get NAME | put NAME VALUE|- [--secure] | delete NAME", 1},
	{"table", cmd_table, "table create|describe|delete --table T        manage a table directly", 1},
	{"deploy", cmd_deploy, "deploy [--image URI] [--param K=V]... vpc|table|container...   change set, confirm, execute", 1},
	{"diff", cmd_diff, "diff [--image URI] [--param K=V]... STACK     show what deploy would change", 1},
	{"destroy", cmd_destroy, "destroy [--force] [--purge-images] vpc|table|container...   delete stacks (reverse order)", 1},
	{"rollback", cmd_rollback, "rollback [--skip RESOURCE]... STACK          continue a failed rollback (UPDATE_ROLLBACK_FAILED)", 1},
	{"drift", cmd_drift, "drift [STACK...]                             changes made outside CloudFormation (exit 2)", 1},
	{"status", cmd_status, "status                                       stacks, SSM parameters, service, URL", 0},
	{"outputs", cmd_outputs, "outputs STACK                                a stack's outputs, KEY<TAB>VALUE", 0},
	{"logs", cmd_logs, "logs [--follow] [--since 10m]                the service's CloudWatch logs", 0},
	{"credentials", cmd_credentials, "credentials set USER                         new password, stored hashed in <prefix>/credentials", 0},
	{"image", cmd_image, "image build|push [--registry R] [--repository N]   OCI image without Docker; push to ECR", 1},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: showtablectl [global flags] COMMAND [args]\n\n"
		   "global flags (each also read from the environment):\n"
		   "  --region R         AWS region (AWS_REGION, AWS_DEFAULT_REGION, profile)\n"
		   "  --profile P        shared-config profile (AWS_PROFILE)\n"
		   "  --name N           environment name, stacks N-vpc, N-table, N-container (SHOWTABLE_NAME, default showtable)\n"
		   "  --param-prefix P   SSM parameter prefix (SHOWTABLE_PARAM_PREFIX, default /go-on-aws)\n"
		   "  --template-dir D   use templates from D instead of the built-in ones\n"
		   "  --yes, -y          do not ask for confirmation\n"
		   "  --json             one JSON object per line on stdout (events, changes,\n"
		   "                     timeline, result); the human output goes to stderr\n"
		   "  -v                 verbose\n"
		   "  --help, --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nenvironment: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> (e.g. _DYNAMODB, _SSM),\n"
		   "  AWS_MAX_ATTEMPTS, and the AWS credential variables, as the AWS CLI;\n"
		   "  SHOWTABLE_AWS_TIMEOUT_MS (per attempt, default 15000) and\n"
		   "  SHOWTABLE_AWS_CONNECT_TIMEOUT_MS (default 3000) for AWS calls.\n"
		   "`showtablectl COMMAND --help` describes each command.\n");
}

/* 0 done, 1 failed (printed) or declined, 2 usage error, a question nobody can answer, or
 * differences found (diff, drift: scripts tell them from failures). */
static int exit_status(ctl_outcome outcome)
{
	switch (outcome) {
	case CTL_OK: return 0;
	case CTL_FAILED: return 1;
	case CTL_DECLINED: return 1;
	case CTL_USAGE: return 2;
	case CTL_NO_TERMINAL: return 2;
	case CTL_CHANGES: return 2;
	}
	return 1;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	ctl_ctx ctx = {
		.name = env_or("SHOWTABLE_NAME", "showtable"),
		.param_prefix = env_or("SHOWTABLE_PARAM_PREFIX", "/go-on-aws"),
		.template_dir = env_or("SHOWTABLE_TEMPLATE_DIR", NULL),
	};
	static const struct option opts[] = {
		{"region", required_argument, 0, 'r'},
		{"profile", required_argument, 0, 'p'},
		{"name", required_argument, 0, 'n'},
		{"param-prefix", required_argument, 0, 'P'},
		{"template-dir", required_argument, 0, 'T'},
		{"yes", no_argument, 0, 'y'},
		{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int c, json = 0;
	/* '+': stop at the first non-option, the command's own flags follow it. */
	while ((c = getopt_long(argc, argv, "+yvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': ctx.region = optarg; break;
		case 'p': ctx.profile = optarg; break;
		case 'n': ctx.name = optarg; break;
		case 'P': ctx.param_prefix = optarg; break;
		case 'T': ctx.template_dir = optarg; break;
		case 'y': ctx.yes = 1; break;
		case 'j': json = 1; break;
		case 'v': ctx.verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("showtablectl %s\n", SHOWTABLE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (json && jsonl_start() != 0)
		return 1;
	const char *cmd = argv[optind];
	int first = optind;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, cmd) == 0) {
			if (!commands[i].own_help && argc - first > 1 &&
			    (strcmp(argv[first + 1], "--help") == 0 || strcmp(argv[first + 1], "-h") == 0)) {
				printf("usage: showtablectl %s\n\nGlobal flags come before the command "
				       "(showtablectl --help); showtablectl(1) describes every option.\n",
				       commands[i].usage);
				return 0;
			}
			optind = 0; /* GNU getopt: 0 re-initialises, commands parse their own flags */
			ctl_outcome outcome = commands[i].run(&ctx, argc - first, argv + first);
			aws_client_free(ctx.client);
			return exit_status(outcome);
		}
	}
	ctl_errorf("unknown command \"%s\" — run showtablectl --help for the list", cmd);
	return 2;
}

/* ctl.h — showtablectl's shared context and the entry points of its commands.
 *
 * main.c parses the global flags into a ctl_ctx and dispatches to one cmd_* function per
 * top-level command; each command lives in its own file (ctl_scan.c, ctl_param.c,
 * ctl_deploy.c, ...). A command returns the process exit status: 0 success, 1 failure
 * (an error was printed to stderr as "showtablectl: <what failed> — <what to do>"),
 * 2 usage error.
 */
#ifndef CTL_H
#define CTL_H

#include <stdio.h>
#include "aws_client.h"

typedef struct ctl_ctx {
	const char *region;        /* --region, NULL = the SDK chain */
	const char *profile;       /* --profile, NULL = AWS_PROFILE / default */
	const char *name;          /* --name, stack name prefix, default "showtable" */
	const char *param_prefix;  /* --param-prefix, default "/go-on-aws" */
	const char *template_dir;  /* --template-dir, NULL = built-in templates */
	int yes;                   /* --yes: no confirmation prompt */
	int verbose;               /* -v */
	aws_client *client;        /* created on first use by ctl_client(); owned here */
} ctl_ctx;

/* The AWS client for this run, created on first call from the ctx's region/profile.
 * On failure prints the error and returns NULL. */
aws_client *ctl_client(ctl_ctx *ctx);

/* Prints "showtablectl: " + message + newline to stderr. */
void ctl_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an aws_error with context: "showtablectl: <ctx>: <error line>" and, for known
 * cases, a hint (e.g. ResourceNotFoundException → "is the table stack deployed?"). */
void ctl_aws_error(const char *context, const aws_error *err);
/* The table a command works on: given (its --table) when set, else the value of the SSM
 * parameter <param_prefix>/table — where the table stack records it, as the server reads
 * it. Returns given or buf, or NULL after printing the error. */
const char *ctl_table_name(ctl_ctx *ctx, const char *given, char *buf, size_t len);
/* Parses flag's value s as a whole decimal number in [min, max] into *out. Returns 0, or
 * -1 after printing "--flag needs a number from min to max". */
int ctl_parse_long(const char *flag, const char *s, long min, long max, long *out);
/* Commands: argv[0] is the command name; return the exit status. */
int cmd_scan(ctl_ctx *ctx, int argc, char **argv);
int cmd_param(ctl_ctx *ctx, int argc, char **argv);
int cmd_items(ctl_ctx *ctx, int argc, char **argv);
int cmd_table(ctl_ctx *ctx, int argc, char **argv);
/* The stacks (ctl_deploy.c, ctl_destroy.c, ctl_status.c, ctl_logs.c, ctl_creds.c). */
int cmd_deploy(ctl_ctx *ctx, int argc, char **argv);
int cmd_diff(ctl_ctx *ctx, int argc, char **argv);
int cmd_destroy(ctl_ctx *ctx, int argc, char **argv);
int cmd_status(ctl_ctx *ctx, int argc, char **argv);
int cmd_outputs(ctl_ctx *ctx, int argc, char **argv);
int cmd_logs(ctl_ctx *ctx, int argc, char **argv);
int cmd_credentials(ctl_ctx *ctx, int argc, char **argv);
int cmd_image(ctl_ctx *ctx, int argc, char **argv);

#endif

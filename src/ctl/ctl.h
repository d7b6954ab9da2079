/* ctl.h — what every showtablectl command shares: the context of a run, the outcome a
 * command comes to, the AWS client (and its JSON calls with jansson values) and error
 * printing.
 *
 * main.c parses the global flags into a ctl_ctx and dispatches to one cmd_* function per
 * top-level command; each command lives in its own file with its own header (ctl_scan.h,
 * ctl_deploy.h, ...). A command returns a ctl_outcome, which main alone turns into the
 * process exit status. Errors go to stderr as
 * "showtablectl: <what failed> — <what to do>".
 */
#ifndef CTL_H
#define CTL_H

#include <stdio.h>
#include <jansson.h>
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

/* What a command came to. main.c maps it to the exit status, the only place those
 * numbers are written. */
typedef enum ctl_outcome {
	CTL_OK,           /* done, or nothing to do — exit 0 */
	CTL_FAILED,       /* something failed; the error was printed — exit 1 */
	CTL_DECLINED,     /* the user answered no (or Ctrl-C) at a question — exit 1 */
	CTL_USAGE,        /* bad flags or arguments; what is wrong was printed — exit 2 */
	CTL_NO_TERMINAL,  /* a question with no terminal to ask on and no --yes — exit 2 */
	CTL_CHANGES,      /* diff, drift: differences found and shown — exit 2 */
} ctl_outcome;

/* The AWS client for this run, created on first call from the ctx's region/profile.
 * On failure prints the error and returns NULL. */
aws_client *ctl_client(ctl_ctx *ctx);

/* One JSON-protocol call (ECS, ECR, CloudWatch Logs) with jansson values: req (consumed;
 * NULL when building it ran out of memory) → the answer, a JSON object the caller
 * json_decrefs, or NULL with err set (nothing printed). aws_json_call has checked the
 * answer to be one JSON object, so reading it fails only for want of memory. */
json_t *ctl_json_call(aws_client *c, const aws_service *svc, const char *op, json_t *req,
		      aws_error *err);

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
/* Reads an optional millisecond setting (1 to 3600000) from the environment variable name
 * into *out, left as it is when unset. Returns 0, or -1 after printing what is wrong. */
int ctl_env_ms(const char *name, long *out);

#endif

/* stack.h — the three stacks of an environment: <name>-vpc, <name>-table and
 * <name>-container, deployed in that order and destroyed in reverse. Which stack depends
 * on which is never written here: it is read from the templates (templates.h, the SSM
 * parameters each reads and writes). Also what every command on the stacks starts with:
 * the checked environment, the AWS client, the account/region banner.
 */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>
#include "ctl.h"
#include "cfn.h"

#define STK_NKINDS 3
extern const char *const stk_kinds[STK_NKINDS];   /* "vpc", "table", "container" */

/* Index of kind in stk_kinds, or -1 (after printing what the valid kinds are). */
int stk_kind_index(const char *kind);
/* Marks in want[] (zeroed here) each stack named in argv[first..argc-1]. Returns how many
 * distinct stacks are wanted, or -1 after printing an unknown name. */
int stk_kinds_wanted(int argc, char **argv, int first, int want[STK_NKINDS]);
/* Checks --name (a CloudFormation stack name once "-container" is added: a letter, then
 * letters, digits, '-') and --param-prefix ("/a/b": SSM path segments, no trailing '/').
 * Prints what is wrong and returns -1; 0 when both are usable. */
int stk_check_env(const ctl_ctx *ctx);
/* The AWS client for a command on the stacks: checks the environment (stk_check_env),
 * then gets ctx's client (ctl_client; owned by ctx, do not free). NULL after printing
 * why, with *outcome set to what the command came to: CTL_USAGE (bad --name or
 * --param-prefix) or CTL_FAILED (no client). */
aws_client *stk_client(ctl_ctx *ctx, ctl_outcome *outcome);
/* "<name>-<kind>" into out. */
void stk_name(const ctl_ctx *ctx, const char *kind, char *out, size_t len);
/* The flags that select this environment, for hints ("--name x --param-prefix /p "), or "". */
const char *stk_env_flags(const ctl_ctx *ctx, char *buf, size_t len);

/* 1 for the kind whose stack holds the data (the table): deploy turns its termination
 * protection on, and destroy lifts it only when told by name (--lift-protection). */
int stk_kind_protected(const char *kind);

/* Prints "account A (ARN), region R" — the target of any change. -1 after printing an error. */
int stk_banner(ctl_ctx *ctx, aws_client *c);

/* 1 when the SSM parameter exists, 0 when not (ParameterNotFound), -1 on error (err). */
int stk_ssm_exists(aws_client *c, const char *name, aws_error *err);

/* DescribeStacks for stack; prints the error on failure. 1 exists, 0 does not, -1 error. */
int stk_describe(aws_client *c, const char *stack, cfn_stack *out);

#endif

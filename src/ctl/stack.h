/* stack.h — what the deploy commands (deploy, diff, destroy, status, outputs, logs) share:
 * the three stacks and their order, their templates, the account/region banner, the
 * confirmation rule, and following a stack's events until it settles.
 *
 * Stacks are <name>-vpc, <name>-table, <name>-container, deployed in that order and
 * destroyed in reverse. Which stack depends on which is never written here: it is read
 * from the templates (the SSM parameters each reads and writes, see tmpl.h).
 * Poll interval: SHOWTABLE_POLL_MS (default 5000); longest wait: SHOWTABLE_WAIT_S
 * (default 7200).
 */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>
#include "ctl.h"
#include "cfn.h"
#include "tmpl.h"

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
 * why, with *exit_code set to the command's exit status: 2 (bad --name/--param-prefix),
 * 1 (no client). */
aws_client *stk_client(ctl_ctx *ctx, int *exit_code);
/* "<name>-<kind>" into out. */
void stk_name(const ctl_ctx *ctx, const char *kind, char *out, size_t len);
/* The flags that select this environment, for hints ("--name x --param-prefix /p "), or "". */
const char *stk_env_flags(const ctl_ctx *ctx, char *buf, size_t len);

long stk_poll_ms(void);
long stk_wait_s(void);
void stk_sleep_ms(long ms);

/* Loads and parses kind's template. On failure prints the error and returns -1. text may
 * be NULL when only the info is needed; otherwise *text is malloc'd. */
int stk_template(const ctl_ctx *ctx, const char *kind, char **text, tmpl_info *info);

/* Prints "account A (ARN), region R" — the target of any change. -1 after printing an error. */
int stk_banner(ctl_ctx *ctx, aws_client *c);

/* 1 when the SSM parameter exists, 0 when not (ParameterNotFound), -1 on error (err). */
int stk_ssm_exists(aws_client *c, const char *name, aws_error *err);

/* Asks question on the terminal. Returns 1 (yes: --yes, or the user said y), 0 (the user
 * said no, or pressed Ctrl-C: SIGINT is caught while the question waits), 2 (no terminal and no --yes; a message saying to pass --yes was printed). */
int stk_confirm(const ctl_ctx *ctx, const char *question);

/* DescribeStacks for stack; prints the error on failure. 1 exists, 0 does not, -1 error. */
int stk_describe(aws_client *c, const char *stack, cfn_stack *out);

/* The newest event's id (malloc'd) or NULL when the stack has none / on error. */
char *stk_last_event_id(aws_client *c, const char *stack);

/* Follows stack (use its id: a deleted stack is only found by id) from the event after
 * last_id: prints one line per new event, an in-place counter on a terminal (total
 * resources: ntotal, 0 = unknown), until the stack leaves *_IN_PROGRESS. *final receives
 * the last DescribeStacks (status "DELETE_COMPLETE" when gone). On failure statuses,
 * prints the root cause and other failure reasons. Returns 0 when the stack settled in
 * a *_COMPLETE state that is not a rollback, 1 when it settled otherwise, -1 on error or
 * timeout (printed). */
int stk_follow(aws_client *c, const char *stack_id, const char *stack_name,
	       const char *last_id, size_t ntotal, cfn_stack *final);

/* Waits while the stack is *_IN_PROGRESS (printing why), then describes it into *out.
 * Return as stk_describe. */
int stk_wait_settled(aws_client *c, const char *stack, cfn_stack *out);

/* Creates <prefix>/credentials (SecureString, htpasswd line for user "showtable") when it
 * does not exist, printing the password once. 0 ok (created or already there), -1 error. */
int ctl_credentials_ensure(ctl_ctx *ctx, aws_client *c);

#endif

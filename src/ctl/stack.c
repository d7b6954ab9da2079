/* stack.c — shared machinery of the deploy commands (see stack.h): names, templates, the
 * banner, confirmation, and following stack events with a root-cause summary. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "stack.h"
#include "aws_sts.h"
#include "aws_ssm.h"
#include "aws_time.h"

const char *const stk_kinds[STK_NKINDS] = {"vpc", "table", "container"};

int stk_kind_index(const char *kind)
{
	for (int i = 0; i < STK_NKINDS; i++)
		if (strcmp(stk_kinds[i], kind) == 0)
			return i;
	ctl_errorf("unknown stack \"%s\" — the stacks are vpc, table and container", kind);
	return -1;
}

int stk_kinds_wanted(int argc, char **argv, int first, int want[STK_NKINDS])
{
	int nwant = 0;
	for (int k = 0; k < STK_NKINDS; k++)
		want[k] = 0;
	for (int i = first; i < argc; i++) {
		int k = stk_kind_index(argv[i]);
		if (k < 0)
			return -1;
		nwant += !want[k];
		want[k] = 1;
	}
	return nwant;
}

aws_client *stk_client(ctl_ctx *ctx, int *exit_code)
{
	if (stk_check_env(ctx) != 0) {
		*exit_code = 2;
		return NULL;
	}
	aws_client *c = ctl_client(ctx);
	if (c == NULL)
		*exit_code = 1;
	return c;
}

int stk_check_env(const ctl_ctx *ctx)
{
	const char *n = ctx->name;
	size_t len = strlen(n);
	int ok = len > 0 && len <= 128 - strlen("-container") &&
		 ((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z'));
	for (const char *p = n; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     *p == '-';
	if (!ok) {
		ctl_errorf("--name \"%.64s\" cannot name a stack — start with a letter, then letters, "
			   "digits or '-', at most 118 characters", n);
		return -1;
	}
	const char *p = ctx->param_prefix;
	len = strlen(p);
	ok = len >= 2 && len <= 900 && p[0] == '/' && p[len - 1] != '/' && !strstr(p, "//");
	for (const char *q = p; ok && *q; q++)
		ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		     strchr("/_.-", *q) != NULL;
	if (!ok) {
		ctl_errorf("--param-prefix \"%.64s\" is not an SSM path like /go-on-aws or /team/dev "
			   "(letters, digits, _ . -; starts with /, does not end with /)", p);
		return -1;
	}
	return 0;
}

void stk_name(const ctl_ctx *ctx, const char *kind, char *out, size_t len)
{
	snprintf(out, len, "%s-%s", ctx->name, kind);
}

const char *stk_env_flags(const ctl_ctx *ctx, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (strcmp(ctx->name, "showtable") != 0)
		o += snprintf(buf + o, len - o, "--name %s ", ctx->name);
	if (o < len && strcmp(ctx->param_prefix, "/go-on-aws") != 0)
		snprintf(buf + o, len - o, "--param-prefix %s ", ctx->param_prefix);
	return buf;
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return def;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		ctl_errorf("%s=\"%.32s\" is not a number from %ld to %ld — using %ld", name, v, min,
			   max, def);
		return def;
	}
	return n;
}

long stk_poll_ms(void)
{
	return env_long("SHOWTABLE_POLL_MS", 5000, 1, 600000);
}

long stk_wait_s(void)
{
	return env_long("SHOWTABLE_WAIT_S", 7200, 1, 86400);
}

void stk_sleep_ms(long ms)
{
	aws_sleep_ms(ms);
}

int stk_template(const ctl_ctx *ctx, const char *kind, char **text, tmpl_info *info)
{
	aws_error err;
	char *t = NULL;
	size_t len = 0;
	aws_error_clear(&err);
	memset(info, 0, sizeof *info);
	if (tmpl_load(ctx->template_dir, kind, &t, &len, &err) != 0 ||
	    tmpl_parse(t, len, ctx->param_prefix, info, &err) != 0) {
		ctl_errorf("template of the %s stack: %s", kind, err.message);
		free(t);
		return -1;
	}
	if (text)
		*text = t;
	else
		free(t);
	return 0;
}

int stk_banner(ctl_ctx *ctx, aws_client *c)
{
	aws_sts_identity id;
	aws_error err;
	aws_error_clear(&err);
	if (aws_sts_get_caller_identity(c, &id, &err) != 0) {
		ctl_aws_error("finding the account these credentials act on", &err);
		return -1;
	}
	(void)ctx;
	printf("account %s (%s), region %s\n", id.account, id.arn, aws_client_region(c));
	fflush(stdout);
	return 0;
}

int stk_ssm_exists(aws_client *c, const char *name, aws_error *err)
{
	aws_ssm_parameter p;
	memset(&p, 0, sizeof p);
	if (aws_ssm_get_parameter(c, name, 0, &p, err) == 0) {
		aws_ssm_parameter_free(&p);
		return 1;
	}
	if (err->kind == AWS_ERR_SERVICE && strcmp(err->type, "ParameterNotFound") == 0)
		return 0;
	return -1;
}

static volatile sig_atomic_t prompt_interrupted;
static void on_prompt_interrupt(int sig)
{
	(void)sig;
	prompt_interrupted = 1;
}

int stk_confirm(const ctl_ctx *ctx, const char *question)
{
	if (ctx->yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		ctl_errorf("%s — there is no terminal to ask on; pass --yes to go ahead", question);
		return 2;
	}
	/* Ctrl-C here is a "no": the caller then deletes what it prepared for the answer (a
	 * change set, the empty stack under review), where dying would leave them behind.
	 * SIGINT stays blocked except inside ppoll(), which unblocks it atomically: a Ctrl-C
	 * that comes before the wait begins is not lost (a plain read would wait forever). */
	struct sigaction sa, old_int;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_prompt_interrupt;
	sigemptyset(&sa.sa_mask);
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	prompt_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	printf("%s [y/N] ", question);
	fflush(stdout);
	struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
	int ready;
	do
		ready = ppoll(&pfd, 1, NULL, &old_mask);
	while (ready < 0 && errno == EINTR && !prompt_interrupted);
	char line[32];
	char *got = prompt_interrupted ? NULL : fgets(line, sizeof line, stdin);
	sigaction(SIGINT, &old_int, NULL);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (prompt_interrupted) {
		printf("\ninterrupted: taken as no\n");
		return 0;
	}
	if (got == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int stk_describe(aws_client *c, const char *stack, cfn_stack *out)
{
	aws_error err;
	aws_error_clear(&err);
	int rc = cfn_describe_stack(c, stack, out, &err);
	if (rc < 0)
		ctl_aws_error(stack, &err);
	return rc;
}

char *stk_last_event_id(aws_client *c, const char *stack)
{
	cfn_event *ev = NULL;
	size_t n = 0;
	aws_error err;
	aws_error_clear(&err);
	char *id = NULL;
	if (cfn_events_since(c, stack, NULL, 1, &ev, &n, &err) == 0 && n > 0 && ev[0].id)
		id = strdup(ev[0].id);
	cfn_events_free(ev, n);
	return id;
}

static const char *hms(const char *ts)
{
	/* "2026-11-27T04:00:00.123Z" → "04:00:00" (kept as is when shorter). */
	static __thread char buf[16];
	if (ts && strlen(ts) >= 19 && ts[10] == 'T') {
		memcpy(buf, ts + 11, 8);
		buf[8] = '\0';
		return buf;
	}
	return ts ? ts : "";
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void print_event(const cfn_event *e, int tty)
{
	if (tty)
		fputs("\r\033[K", stdout);
	const char *reason = e->reason && *e->reason ? e->reason : NULL;
	printf("%s  %-32s %-40s %s%s%s\n", hms(e->timestamp), e->logical_id ? e->logical_id : "",
	       e->type ? e->type : "", e->status ? e->status : "", reason ? "  " : "",
	       reason ? reason : "");
}

/* Events kept for the failure summary: chronological, bounded. */
#define FOLLOW_KEEP 2000

static void summarize_failure(const cfn_event *ev, size_t n, const char *status)
{
	const cfn_event *root = cfn_root_cause(ev, n);
	if (root) {
		printf("\nroot cause: %s (%s): %s\n", root->logical_id ? root->logical_id : "?",
		       root->type ? root->type : "?", root->reason);
		int more = 0;
		for (size_t i = 0; i < n && more < 5; i++) {
			const cfn_event *e = &ev[i];
			if (e == root || !ends_with(e->status, "_FAILED") || cfn_reason_is_cascade(e->reason))
				continue;
			if (more++ == 0)
				printf("also failed:\n");
			printf("  %s (%s): %s\n", e->logical_id ? e->logical_id : "?", e->type ? e->type : "?",
			       e->reason ? e->reason : "");
		}
	} else {
		printf("\nno resource reported a failure reason; see the stack's events in the console\n");
	}
	if (strcmp(status, "ROLLBACK_COMPLETE") == 0)
		printf("rollback: complete — the stack's resources were deleted; the empty stack stays in "
		       "ROLLBACK_COMPLETE and the next deploy offers to delete and recreate it\n");
	else if (strcmp(status, "UPDATE_ROLLBACK_COMPLETE") == 0)
		printf("rollback: complete — the stack is back to its previous version\n");
	else if (strstr(status, "ROLLBACK_FAILED"))
		printf("rollback: FAILED (%s) — fix the cause above, then continue the rollback (console: "
		       "Stack actions → Continue update rollback; CLI: aws cloudformation "
		       "continue-update-rollback) or delete the stack\n", status);
	else
		printf("final state: %s\n", status);
}

int stk_follow(aws_client *c, const char *stack_id, const char *stack_name,
	       const char *last_id, size_t ntotal, cfn_stack *final)
{
	int tty = isatty(STDOUT_FILENO);
	long poll = stk_poll_ms();
	time_t start = time(NULL), limit = stk_wait_s();
	char *last = last_id ? strdup(last_id) : NULL;
	cfn_event *keep = NULL;
	size_t nkeep = 0, done = 0;
	int rc = -1, settled = 0, started = 0;
	memset(final, 0, sizeof *final);
	for (;;) {
		cfn_event *ev = NULL;
		size_t n = 0;
		aws_error err;
		aws_error_clear(&err);
		if (cfn_events_since(c, stack_id, last, 10000, &ev, &n, &err) != 0) {
			ctl_aws_error(stack_name, &err);
			break;
		}
		if (n > 0 && ev[0].id) {
			char *cp = strdup(ev[0].id);   /* the newest: the next poll starts after it */
			if (cp) {
				free(last);
				last = cp;
			}
		}
		/* newest first: print and keep oldest first */
		for (size_t i = n; i-- > 0;) {
			print_event(&ev[i], tty);
			int is_stack = ev[i].type && strcmp(ev[i].type, "AWS::CloudFormation::Stack") == 0 &&
				       ev[i].logical_id && strcmp(ev[i].logical_id, stack_name) == 0;
			if (!is_stack && ends_with(ev[i].status, "_COMPLETE"))
				done++;
			if (nkeep < FOLLOW_KEEP) {
				cfn_event *nk = realloc(keep, (nkeep + 1) * sizeof *keep);
				if (nk) {
					keep = nk;
					keep[nkeep++] = ev[i];
					memset(&ev[i], 0, sizeof ev[i]);
				}
			}
		}
		cfn_events_free(ev, n);
		if (n > 0)
			started = 1;
		if (settled)
			break;
		cfn_stack_free(final);
		int ex = stk_describe(c, stack_id, final);
		if (ex < 0)
			break;
		if (ex == 0) {
			final->status = strdup("DELETE_COMPLETE");
			if (final->status == NULL)
				break;
		}
		int busy = cfn_status_in_progress(final->status);
		started |= busy;
		/* The operation is asynchronous: right after Execute/Delete the stack can still
		 * show its previous, settled state. It is done only once it has moved. */
		if (!busy && (started || ex == 0 || strcmp(final->status, "DELETE_COMPLETE") == 0)) {
			settled = 1;   /* one more round of events: the last ones may be new */
			continue;
		}
		if (time(NULL) - start > limit) {
			if (tty)
				fputs("\r\033[K", stdout);
			ctl_errorf("%s is still %s after %ld s — stopped waiting; it carries on in "
				   "CloudFormation (`showtablectl status` shows where it is)", stack_name,
				   final->status, (long)limit);
			break;
		}
		if (tty) {
			if (ntotal)
				printf("\r\033[K  %s: %zu/%zu resources done, %lds", final->status,
				       done > ntotal ? ntotal : done, ntotal, (long)(time(NULL) - start));
			else
				printf("\r\033[K  %s: %zu resources done, %lds", final->status, done,
				       (long)(time(NULL) - start));
		}
		fflush(stdout);
		stk_sleep_ms(poll);
	}
	if (tty)
		fputs("\r\033[K", stdout);
	if (settled) {
		const char *s = final->status;
		if (ends_with(s, "_COMPLETE") && !strstr(s, "ROLLBACK")) {
			rc = 0;
		} else {
			rc = 1;
			summarize_failure(keep, nkeep, s);
		}
	}
	fflush(stdout);
	cfn_events_free(keep, nkeep);
	free(last);
	return rc;
}

int stk_wait_settled(aws_client *c, const char *stack, cfn_stack *out)
{
	time_t start = time(NULL), limit = stk_wait_s();
	int said = 0;
	for (;;) {
		int ex = stk_describe(c, stack, out);
		if (ex <= 0 || !cfn_status_in_progress(out->status))
			return ex;
		if (!said) {
			printf("%s is %s: another operation is running on it; waiting for it to finish\n",
			       stack, out->status);
			fflush(stdout);
			said = 1;
		}
		if (time(NULL) - start > limit) {
			ctl_errorf("%s is still %s after %ld s — try again later", stack, out->status,
				   (long)limit);
			cfn_stack_free(out);
			return -1;
		}
		cfn_stack_free(out);
		stk_sleep_ms(stk_poll_ms());
	}
}

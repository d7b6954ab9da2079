/* prompt.c — the one question showtablectl asks before a change (see prompt.h). Ctrl-C
 * while it waits is an answer, not a death: the caller must clean up what it prepared. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "prompt.h"

static volatile sig_atomic_t prompt_interrupted;
static void on_prompt_interrupt(int sig)
{
	(void)sig;
	prompt_interrupted = 1;
}
prompt_answer prompt_confirm(const ctl_ctx *ctx, const char *question)
{
	if (ctx->yes)
		return PROMPT_YES;
	if (!isatty(STDIN_FILENO)) {
		ctl_errorf("%s — there is no terminal to ask on; pass --yes to go ahead", question);
		return PROMPT_NO_TERMINAL;
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
		return PROMPT_NO;
	}
	if (got == NULL)
		return PROMPT_NO;
	return line[0] == 'y' || line[0] == 'Y' ? PROMPT_YES : PROMPT_NO;
}

ctl_outcome prompt_refusal(prompt_answer answer)
{
	return answer == PROMPT_NO_TERMINAL ? CTL_NO_TERMINAL : CTL_DECLINED;
}

/* prompt.h — asking for confirmation before a change: yes with --yes, else a [y/N]
 * question on the terminal; without a terminal (CI) and without --yes, no question can be
 * asked and the command stops saying to pass --yes.
 */
#ifndef PROMPT_H
#define PROMPT_H

#include "ctl.h"

typedef enum prompt_answer {
	PROMPT_YES,          /* --yes, or the user said y */
	PROMPT_NO,           /* the user said no, or pressed Ctrl-C (caught while asking) */
	PROMPT_NO_TERMINAL,  /* no terminal and no --yes: printed "pass --yes" */
} prompt_answer;

/* Asks question ("… [y/N] " on stdout) and reads the answer from the terminal. */
prompt_answer prompt_confirm(const ctl_ctx *ctx, const char *question);

/* What a command came to when the answer was not yes: CTL_DECLINED or CTL_NO_TERMINAL. */
ctl_outcome prompt_refusal(prompt_answer answer);

#endif

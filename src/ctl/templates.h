/* templates.h — the template of each stack kind (tmpl.h parses one), for the commands on
 * the stacks: loaded from --template-dir or the built-in copy, parsed with the SSM prefix
 * of this environment, and asked which stack writes an SSM parameter another one reads.
 */
#ifndef TEMPLATES_H
#define TEMPLATES_H

#include "ctl.h"
#include "stack.h"
#include "tmpl.h"

/* Loads and parses kind's template into *info (free with tmpl_info_free). text may be
 * NULL when only the info is needed; otherwise *text is malloc'd (caller frees). On
 * failure prints the error and returns -1. */
int templates_load(const ctl_ctx *ctx, const char *kind, char **text, tmpl_info *info);

/* The kind (a string of stk_kinds) whose template writes the SSM parameter ssm_name,
 * looking at every kind but except; NULL when none does. */
const char *templates_writer(const ctl_ctx *ctx, const char *ssm_name, const char *except);

/* 1 when the template of at least one wanted kind has the parameter key, else 0. */
int templates_take_param(const ctl_ctx *ctx, const int want[STK_NKINDS], const char *key);

#endif

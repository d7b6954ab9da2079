/* params.h — the parameters a change set sends for one stack: what --param and --image
 * ask for, the SSM prefix and the SSM names when the prefix is not the template's
 * default, and the deployed stack's values for the rest (UsePreviousValue), so an earlier
 * --param NatGateways=0 is not silently undone by the next deploy — nor by the recreate
 * of a stack whose first create failed.
 */
#ifndef PARAMS_H
#define PARAMS_H

#include <stddef.h>
#include "cfn.h"
#include "ctl.h"
#include "tmpl.h"

#define PARAMS_MAX 64

/* The parameters of one change set. The values are owned here (keys point into the
 * tmpl_info they were built from); zero-initialise, free with params_free. */
typedef struct params {
	cfn_param p[PARAMS_MAX];
	char *owned[PARAMS_MAX];
	size_t n;
} params;

/* What the command line asks of the parameters. */
typedef struct params_request {
	const char *const *kv;   /* "Key=Value" from --param, nkv of them */
	size_t nkv;
	const char *image;       /* --image (or a stand-in until the image is pushed), or NULL */
	int several;             /* several stacks: a --param only goes where a template takes it */
} params_request;

/* How the values of a stack that exists are carried into the change set. */
typedef enum params_carry {
	PARAMS_FRESH,      /* a new stack: template defaults for what is not given */
	PARAMS_PREVIOUS,   /* an update: UsePreviousValue for what is not given */
	PARAMS_VALUES,     /* a recreate after a failed create (ROLLBACK_COMPLETE): the failed
			    * stack's values, sent as values (a CREATE has no previous ones) */
} params_carry;

/* Fills ps (empty) for the kind's template info from req; parameters not given come from
 * stack as carry says (stack NULL with PARAMS_FRESH). The SSM prefix and the SSM names are
 * never carried: they follow --param-prefix. CTL_OK; CTL_USAGE after printing a --param
 * or --image that does not fit; CTL_FAILED when out of memory (printed). */
ctl_outcome params_build(const ctl_ctx *ctx, const char *kind, const tmpl_info *info,
			 const params_request *req, const cfn_stack *stack, params_carry carry,
			 params *ps);

/* Sets the value of key (already in ps) to value, no longer a previous value. 0, or -1
 * when key is not there or out of memory. */
int params_set_value(params *ps, const char *key, const char *value);

void params_free(params *ps);

#endif

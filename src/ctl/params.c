/* params.c — the parameters of a change set (see params.h). Several sources may set the
 * same key; the first setter wins, so params_build goes from the most specific source (the
 * command line) to the least (the deployed stack). */
#include <stdlib.h>
#include <string.h>
#include "params.h"

void params_free(params *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->owned[i]);
	ps->n = 0;
}

static int params_set(params *ps, const char *key, const char *value, int previous)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0)
			return 0;
	if (ps->n >= PARAMS_MAX)
		return -1;
	char *own = NULL;
	if (value && (own = strdup(value)) == NULL)
		return -1;
	ps->owned[ps->n] = own;
	ps->p[ps->n] = (cfn_param){key, own, previous};
	ps->n++;
	return 0;
}

int params_set_value(params *ps, const char *key, const char *value)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].key, key) != 0)
			continue;
		char *own = strdup(value);
		if (own == NULL)
			return -1;
		free(ps->owned[i]);
		ps->owned[i] = own;
		ps->p[i].value = own;
		ps->p[i].use_previous = 0;
		return 0;
	}
	return -1;
}

static const char *stack_param(const cfn_stack *st, const char *key)
{
	for (size_t i = 0; st && i < st->nparams; i++)
		if (st->params[i].key && strcmp(st->params[i].key, key) == 0)
			return st->params[i].value ? st->params[i].value : "";
	return NULL;
}

/* --param KEY=VALUE, each for a parameter of this template (or of another chosen one). */
static ctl_outcome from_flags(const char *kind, const tmpl_info *info, const params_request *req,
			      params *ps)
{
	for (size_t i = 0; i < req->nkv; i++) {
		const char *eq = strchr(req->kv[i], '=');
		char key[128];
		if (eq == NULL || eq == req->kv[i] || (size_t)(eq - req->kv[i]) >= sizeof key) {
			ctl_errorf("--param \"%s\" is not KEY=VALUE", req->kv[i]);
			return CTL_USAGE;
		}
		memcpy(key, req->kv[i], (size_t)(eq - req->kv[i]));
		key[eq - req->kv[i]] = '\0';
		const tmpl_param *tp = tmpl_find_param(info, key);
		if (tp == NULL && req->several)
			continue;   /* the command checked that some chosen stack takes it */
		if (tp == NULL) {
			ctl_errorf("--param %s: the %s template has no parameter %s", req->kv[i], kind, key);
			return CTL_USAGE;
		}
		if (params_set(ps, tp->name, eq + 1, 0))
			return CTL_FAILED;
	}
	return CTL_OK;
}

/* The Image parameter: --image, else the deployed one; a first deploy needs one. */
static ctl_outcome image(const char *kind, const tmpl_info *info, const params_request *req,
			 const cfn_stack *existing, params_carry carry, params *ps)
{
	const tmpl_param *img = tmpl_find_param(info, "Image");
	if (req->image && img == NULL && !req->several) {
		ctl_errorf("--image: the %s stack takes no image (only the container stack does)", kind);
		return CTL_USAGE;
	}
	if (img == NULL)
		return CTL_OK;
	if (req->image)
		return params_set(ps, "Image", req->image, 0) ? CTL_FAILED : CTL_OK;
	const char *was = stack_param(existing, "Image");
	if (was && carry == PARAMS_VALUES)
		return params_set(ps, "Image", was, 0) ? CTL_FAILED : CTL_OK;
	if (was)
		return params_set(ps, "Image", NULL, 1) ? CTL_FAILED : CTL_OK;
	if (img->def == NULL || *img->def == '\0') {
		ctl_errorf("the %s stack is not deployed yet, so diff needs an image — pass "
			   "--image URI (deploy builds and pushes one itself)", kind);
		return CTL_USAGE;
	}
	return CTL_OK;
}

/* The prefix and the SSM names it gives, when they are not the template's defaults. */
static int from_prefix(const ctl_ctx *ctx, const tmpl_info *info, params *ps)
{
	const tmpl_param *pp = tmpl_find_param(info, TMPL_PREFIX_PARAM);
	int nondefault = pp && (pp->def == NULL || strcmp(pp->def, ctx->param_prefix) != 0);
	if (nondefault && params_set(ps, TMPL_PREFIX_PARAM, ctx->param_prefix, 0))
		return -1;
	for (size_t i = 0; i < info->nreads; i++) {
		const tmpl_param *tp = tmpl_find_param(info, info->reads[i].key);
		if (tp && tp->def && strcmp(tp->def, info->reads[i].name) != 0 &&
		    params_set(ps, tp->name, info->reads[i].name, 0))
			return -1;
	}
	return 0;
}

/* Every other parameter the stack has keeps its value. The prefix and the SSM names are
 * not carried over: they follow --param-prefix. */
static int from_stack(const tmpl_info *info, const cfn_stack *existing, params_carry carry,
		      params *ps)
{
	for (size_t i = 0; existing && carry != PARAMS_FRESH && i < info->nparams; i++) {
		const char *k = info->params[i].name;
		int managed = strcmp(k, TMPL_PREFIX_PARAM) == 0;
		for (size_t r = 0; r < info->nreads; r++)
			managed |= strcmp(info->reads[r].key, k) == 0;
		const char *was = managed ? NULL : stack_param(existing, k);
		if (was && (carry == PARAMS_VALUES ? params_set(ps, k, was, 0)
						   : params_set(ps, k, NULL, 1)))
			return -1;
	}
	return 0;
}

ctl_outcome params_build(const ctl_ctx *ctx, const char *kind, const tmpl_info *info,
			 const params_request *req, const cfn_stack *stack, params_carry carry,
			 params *ps)
{
	const cfn_stack *existing = carry == PARAMS_FRESH ? NULL : stack;
	ctl_outcome rc = from_flags(kind, info, req, ps);
	if (rc == CTL_OK)
		rc = image(kind, info, req, existing, carry, ps);
	if (rc == CTL_OK && (from_prefix(ctx, info, ps) != 0 ||
			     from_stack(info, existing, carry, ps) != 0))
		rc = CTL_FAILED;
	if (rc == CTL_FAILED)
		ctl_errorf("out of memory or too many parameters");
	return rc;
}

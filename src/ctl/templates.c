/* templates.c — the template of each stack kind, loaded and parsed for the prefix in use,
 * and what the templates say about each other (see templates.h). */
#include <stdlib.h>
#include <string.h>
#include "templates.h"

int templates_load(const ctl_ctx *ctx, const char *kind, char **text, tmpl_info *info)
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

const char *templates_writer(const ctl_ctx *ctx, const char *ssm_name, const char *except)
{
	const char *writer = NULL;
	for (int k = 0; k < STK_NKINDS && !writer; k++) {
		tmpl_info other;
		if (strcmp(stk_kinds[k], except) == 0 || templates_load(ctx, stk_kinds[k], NULL, &other))
			continue;
		for (size_t w = 0; w < other.nwrites; w++)
			if (strcmp(other.writes[w].name, ssm_name) == 0)
				writer = stk_kinds[k];
		tmpl_info_free(&other);
	}
	return writer;
}

int templates_take_param(const ctl_ctx *ctx, const int want[STK_NKINDS], const char *key)
{
	int found = 0;
	for (int k = 0; k < STK_NKINDS && !found; k++) {
		tmpl_info info;
		if (!want[k] || templates_load(ctx, stk_kinds[k], NULL, &info) != 0)
			continue;
		found = tmpl_find_param(&info, key) != NULL;
		tmpl_info_free(&info);
	}
	return found;
}

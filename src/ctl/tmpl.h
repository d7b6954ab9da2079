/* tmpl.h — the CloudFormation templates showtablectl deploys, and what each reads and writes.
 *
 * The templates infra/<stack>.yaml are compiled into the binary (the Makefile generates
 * $(BUILD)/gen/templates.c); --template-dir DIR reads DIR/<stack>.yaml instead. tmpl_parse
 * reads a template with libyaml (CloudFormation's short-form tags such as !Sub are just
 * tags there) far enough to know its Parameters and the SSM parameters it reads (the
 * defaults of `AWS::SSM::Parameter::Value<…>` parameters) and writes (the Name of each
 * AWS::SSM::Parameter resource) — the decoupling contract between stacks, taken from the
 * templates themselves. All strings are owned by the tmpl_info; free with tmpl_info_free.
 */
#ifndef TMPL_H
#define TMPL_H

#include <stddef.h>
#include "aws_error.h"

#define TMPL_MAX_BYTES (1024 * 1024)
#define TMPL_PREFIX_PARAM "ParamPrefix"

/* One built-in template (generated table; name is the file name without .yaml). */
typedef struct tmpl_embedded {
	const char *name;
	const unsigned char *data;
	size_t len;
} tmpl_embedded;
extern const tmpl_embedded tmpl_embedded_list[];
extern const size_t tmpl_embedded_count;

typedef struct tmpl_param {
	char *name, *type;
	char *def;         /* Default as written, NULL when none */
} tmpl_param;

/* An SSM parameter a template reads or writes. */
typedef struct tmpl_ssm {
	char *key;         /* reads: the template parameter; writes: the resource's logical id */
	char *name;        /* the SSM name with the chosen prefix substituted */
} tmpl_ssm;

typedef struct tmpl_info {
	tmpl_param *params;
	size_t nparams;
	tmpl_ssm *reads;
	size_t nreads;
	tmpl_ssm *writes;
	size_t nwrites;
	char **retained;   /* "LogicalId (Type)" of resources with DeletionPolicy Retain/Snapshot */
	size_t nretained;
	const char *default_prefix;  /* ParamPrefix's Default (points into params), or NULL */
} tmpl_info;

/* The text of template `stack`: from dir/<stack>.yaml when dir is non-NULL (at most
 * TMPL_MAX_BYTES), else the built-in one. *text is malloc'd and NUL-terminated. */
int tmpl_load(const char *dir, const char *stack, char **text, size_t *len, aws_error *err);

/* Parses a template; prefix is the SSM prefix in use (substituted for ${ParamPrefix} and
 * for ParamPrefix's default at the start of a read's default name). info must be zeroed. */
int tmpl_parse(const char *text, size_t len, const char *prefix, tmpl_info *info,
	       aws_error *err);
void tmpl_info_free(tmpl_info *info);

/* The parameter named name, or NULL. */
const tmpl_param *tmpl_find_param(const tmpl_info *info, const char *name);

#endif

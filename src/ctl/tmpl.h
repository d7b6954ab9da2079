/* tmpl.h — the CloudFormation templates showtablectl deploys, and what each reads and writes.
 *
 * The templates infra/<stack>.yaml are compiled into the binary (the Makefile generates
 * $(BUILD)/gen/templates.c); --template-dir DIR reads DIR/<stack>.yaml instead. tmpl_parse
 * reads a template with libyaml (CloudFormation's short-form tags such as !Sub are just
 * tags there) far enough to know its Parameters and the SSM parameters it reads (the
 * defaults of `AWS::SSM::Parameter::Value<…>` parameters) and writes (the Name of each
 * AWS::SSM::Parameter resource) — the decoupling contract between stacks, taken from the
 * templates themselves — and, given a stack's parameter values, which resources a deletion
 * keeps. All strings are owned by the tmpl_info; free with tmpl_info_free.
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

/* A resource that outlives the deletion of its stack (or leaves a snapshot behind). */
typedef struct tmpl_kept {
	char *logical_id, *type;
	char *policy;      /* Retain | RetainExceptOnCreate | Snapshot */
} tmpl_kept;

/* A stack's value of parameter name (for an SSM-typed one, what it resolved to), or NULL
 * when the stack has none (its Default applies). */
typedef const char *(*tmpl_param_value_fn)(void *ud, const char *name);

/* The resources of template text that a deletion keeps: each resource that exists (its
 * Condition holds) and whose DeletionPolicy is Retain, RetainExceptOnCreate or Snapshot —
 * a literal, or Fn::If / !If on the template's Conditions (Fn::Equals, Fn::Not, Fn::And,
 * Fn::Or, Condition; Ref to parameters), evaluated with the stack's parameter values. An
 * expression that cannot be evaluated (a pseudo parameter, another function) is an error
 * naming it, not a guess. *kept (malloc'd, *nkept of them) is freed with tmpl_kept_free. */
int tmpl_kept_on_delete(const char *text, size_t len, tmpl_param_value_fn value, void *ud,
			tmpl_kept **kept, size_t *nkept, aws_error *err);
void tmpl_kept_free(tmpl_kept *kept, size_t n);

#endif

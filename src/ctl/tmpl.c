/* tmpl.c — built-in templates and a small reader of their Parameters, SSM reads and SSM
 * writes (see tmpl.h), on libyaml's document API. Only literal values are interpreted;
 * a Name built with anything but ${ParamPrefix} substitution is reported as an error,
 * because guessing would make the decoupling check silently wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "ctl.h"
#include "tmpl.h"
#include "aws_file.h"

int tmpl_load(const char *dir, const char *stack, char **text, size_t *len, aws_error *err)
{
	*text = NULL;
	*len = 0;
	if (dir == NULL) {
		for (size_t i = 0; i < tmpl_embedded_count; i++) {
			if (strcmp(tmpl_embedded_list[i].name, stack) != 0)
				continue;
			char *t = malloc(tmpl_embedded_list[i].len + 1);
			if (t == NULL)
				return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
			memcpy(t, tmpl_embedded_list[i].data, tmpl_embedded_list[i].len);
			t[tmpl_embedded_list[i].len] = '\0';
			*text = t;
			*len = tmpl_embedded_list[i].len;
			return 0;
		}
		return aws_error_set(err, AWS_ERR_INVALID,
				     "no built-in template for stack \"%s\" (this build has %zu) — "
				     "pass --template-dir DIR with %s.yaml in it",
				     stack, tmpl_embedded_count, stack);
	}
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s.yaml", dir, stack) >= sizeof path)
		return aws_error_set(err, AWS_ERR_INVALID, "template path too long");
	aws_buf b = AWS_BUF_INIT;
	int e;
	switch (aws_file_read(path, TMPL_MAX_BYTES, &b, &e)) {
	case AWS_FILE_READ:
		break;
	case AWS_FILE_NOT_OPENED:
		return aws_error_set(err, AWS_ERR_IO, "cannot open template %s: %s", path, strerror(e));
	case AWS_FILE_NO_MEMORY:
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	case AWS_FILE_READ_FAILED:
		return aws_error_set(err, AWS_ERR_IO, "template %s: read error", path);
	case AWS_FILE_TOO_LARGE:
		return aws_error_set(err, AWS_ERR_IO, "template %s: larger than 1 MiB", path);
	}
	*text = aws_buf_steal(&b, len);
	if (*text == NULL)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory");
	return 0;
}

/* --- libyaml document helpers --- */

static const char *scalar(yaml_document_t *d, yaml_node_t *n)
{
	(void)d;
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(d, yaml_document_get_node(d, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *get_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	return scalar(d, get(d, map, key));
}

/* Replaces every ${ParamPrefix} in s with prefix; NULL on memory failure. */
static char *subst_prefix(const char *s, const char *prefix)
{
	static const char tok[] = "${" TMPL_PREFIX_PARAM "}";
	size_t cap = strlen(s) + 1, pl = strlen(prefix);
	for (const char *p = strstr(s, tok); p; p = strstr(p + 1, tok))
		cap += pl;
	char *out = malloc(cap), *o = out;
	if (out == NULL)
		return NULL;
	while (*s) {
		if (strncmp(s, tok, sizeof tok - 1) == 0) {
			memcpy(o, prefix, pl);
			o += pl;
			s += sizeof tok - 1;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* The string a Name property denotes: plain scalar, !Sub scalar, or Fn::Sub (string or
 * [string, vars]); sets *sub when it is a Sub. NULL when it is something else. */
static const char *name_source(yaml_document_t *d, yaml_node_t *n, int *sub)
{
	*sub = 0;
	if (n == NULL)
		return NULL;
	if (n->type == YAML_SCALAR_NODE) {
		const char *tag = (const char *)n->tag;
		if (tag && strcmp(tag, "!Sub") == 0)
			*sub = 1;
		else if (tag && tag[0] == '!' && strncmp(tag, "tag:yaml.org", 12) != 0)
			return NULL;  /* another intrinsic function: !Ref, !Join, ... */
		return scalar(d, n);
	}
	if (n->type == YAML_MAPPING_NODE) {
		yaml_node_t *v = get(d, n, "Fn::Sub");
		if (v == NULL)
			return NULL;
		*sub = 1;
		if (v->type == YAML_SEQUENCE_NODE && v->data.sequence.items.top > v->data.sequence.items.start)
			v = yaml_document_get_node(d, *v->data.sequence.items.start);
		return scalar(d, v);
	}
	if (n->type == YAML_SEQUENCE_NODE && n->tag && strcmp((const char *)n->tag, "!Sub") == 0 &&
	    n->data.sequence.items.top > n->data.sequence.items.start) {
		*sub = 1;
		return scalar(d, yaml_document_get_node(d, *n->data.sequence.items.start));
	}
	return NULL;
}

static int fail_nomem(aws_error *err)
{
	return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading a template");
}

static int read_params(yaml_document_t *d, yaml_node_t *params, tmpl_info *info,
		       aws_error *err)
{
	if (params == NULL)
		return 0;
	if (params->type != YAML_MAPPING_NODE)
		return aws_error_set(err, AWS_ERR_INVALID, "template: Parameters is not a mapping");
	for (yaml_node_pair_t *p = params->data.mapping.pairs.start;
	     p < params->data.mapping.pairs.top; p++) {
		const char *name = scalar(d, yaml_document_get_node(d, p->key));
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *type = get_str(d, v, "Type");
		const char *def = get_str(d, v, "Default");
		if (name == NULL || type == NULL)
			return aws_error_set(err, AWS_ERR_INVALID,
					     "template: parameter %s has no Type", name ? name : "?");
		tmpl_param *tp = aws_buf_array_push(&info->params, &info->nparams, sizeof *tp);
		if (tp == NULL || (tp->name = strdup(name)) == NULL ||
		    (tp->type = strdup(type)) == NULL || (def && (tp->def = strdup(def)) == NULL))
			return fail_nomem(err);
	}
	return 0;
}

/* The SSM name a read parameter's default denotes under prefix. */
static char *read_name(const char *def, const char *default_prefix, const char *prefix)
{
	if (strstr(def, "${"))
		return subst_prefix(def, prefix);
	size_t dl = default_prefix ? strlen(default_prefix) : 0;
	if (dl && strncmp(def, default_prefix, dl) == 0 && def[dl] == '/') {
		char *s = malloc(strlen(prefix) + strlen(def + dl) + 1);
		if (s)
			sprintf(s, "%s%s", prefix, def + dl);
		return s;
	}
	return strdup(def);
}

int tmpl_parse(const char *text, size_t len, const char *prefix, tmpl_info *info,
	       aws_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;
	if (!yaml_parser_initialize(&parser))
		return fail_nomem(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = aws_error_set(err, AWS_ERR_INVALID, "template is not valid YAML: %s at line %zu",
				   parser.problem ? parser.problem : "parse error",
				   parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		rc = aws_error_set(err, AWS_ERR_INVALID, "template is empty or not a mapping");
		goto out;
	}
	if ((rc = read_params(&doc, get(&doc, root, "Parameters"), info, err)) != 0)
		goto out;
	const tmpl_param *pp = tmpl_find_param(info, TMPL_PREFIX_PARAM);
	info->default_prefix = pp ? pp->def : NULL;

	static const char ssm_type[] = "AWS::SSM::Parameter::Value<";
	for (size_t i = 0; i < info->nparams; i++) {
		tmpl_param *tp = &info->params[i];
		if (strncmp(tp->type, ssm_type, sizeof ssm_type - 1) != 0 || tp->def == NULL)
			continue;
		tmpl_ssm *r = aws_buf_array_push(&info->reads, &info->nreads, sizeof *r);
		if (r == NULL || (r->key = strdup(tp->name)) == NULL ||
		    (r->name = read_name(tp->def, info->default_prefix, prefix)) == NULL) {
			rc = fail_nomem(err);
			goto out;
		}
	}

	yaml_node_t *res = get(&doc, root, "Resources");
	if (res == NULL || res->type != YAML_MAPPING_NODE) {
		rc = aws_error_set(err, AWS_ERR_INVALID, "template has no Resources mapping");
		goto out;
	}
	for (yaml_node_pair_t *p = res->data.mapping.pairs.start; p < res->data.mapping.pairs.top;
	     p++) {
		const char *lid = scalar(&doc, yaml_document_get_node(&doc, p->key));
		yaml_node_t *r = yaml_document_get_node(&doc, p->value);
		const char *type = get_str(&doc, r, "Type");
		if (lid == NULL || type == NULL)
			continue;
		if (strcmp(type, "AWS::SSM::Parameter") != 0)
			continue;
		int sub;
		const char *src = name_source(&doc, get(&doc, get(&doc, r, "Properties"), "Name"), &sub);
		if (src == NULL) {
			rc = aws_error_set(err, AWS_ERR_INVALID,
					   "template: %s (AWS::SSM::Parameter) has no literal Name or "
					   "!Sub \"${ParamPrefix}/...\" Name", lid);
			goto out;
		}
		tmpl_ssm *w = aws_buf_array_push(&info->writes, &info->nwrites, sizeof *w);
		if (w == NULL || (w->key = strdup(lid)) == NULL ||
		    (w->name = sub ? subst_prefix(src, prefix) : strdup(src)) == NULL) {
			rc = fail_nomem(err);
			goto out;
		}
		if (strstr(w->name, "${")) {
			rc = aws_error_set(err, AWS_ERR_INVALID,
					   "template: %s's Name \"%s\" uses a variable other than "
					   "${ParamPrefix}", lid, src);
			goto out;
		}
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0)
		tmpl_info_free(info);
	return rc;
}

static void ssm_free(tmpl_ssm *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].key);
		free(s[i].name);
	}
	free(s);
}

void tmpl_info_free(tmpl_info *info)
{
	for (size_t i = 0; i < info->nparams; i++) {
		free(info->params[i].name);
		free(info->params[i].type);
		free(info->params[i].def);
	}
	free(info->params);
	ssm_free(info->reads, info->nreads);
	ssm_free(info->writes, info->nwrites);
	memset(info, 0, sizeof *info);
}

const tmpl_param *tmpl_find_param(const tmpl_info *info, const char *name)
{
	for (size_t i = 0; i < info->nparams; i++)
		if (strcmp(info->params[i].name, name) == 0)
			return &info->params[i];
	return NULL;
}

/* --- what a deletion keeps: DeletionPolicy and Condition evaluated with parameter values --- */

typedef struct eval_ctx {
	yaml_document_t *d;
	yaml_node_t *params, *conditions;
	tmpl_param_value_fn value;
	void *ud;
	aws_error *err;
	int depth;
} eval_ctx;

/* The function a node calls: "Fn::If" for {Fn::If: …} and !If, "Ref" for !Ref and
 * {Ref: …}, "Condition"; *arg receives its argument. NULL for a plain scalar/list/map. */
static const char *intrinsic(eval_ctx *e, yaml_node_t *n, yaml_node_t **arg)
{
	static const char *const names[] = {"Fn::If", "Fn::Equals", "Fn::Not", "Fn::And",
					    "Fn::Or", "Ref", "Condition"};
	const char *tag = (const char *)n->tag;
	if (tag && tag[0] == '!') {
		*arg = n;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			const char *shortname = strncmp(names[i], "Fn::", 4) == 0 ? names[i] + 4
										  : names[i];
			if (strcmp(tag + 1, shortname) == 0)
				return names[i];
		}
		return tag;   /* another function: reported, not evaluated */
	}
	if (n->type == YAML_MAPPING_NODE &&
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start == 1) {
		yaml_node_pair_t *p = n->data.mapping.pairs.start;
		const char *k = scalar(e->d, yaml_document_get_node(e->d, p->key));
		if (k && (strncmp(k, "Fn::", 4) == 0 || strcmp(k, "Ref") == 0 ||
			  strcmp(k, "Condition") == 0)) {
			*arg = yaml_document_get_node(e->d, p->value);
			return k;
		}
	}
	return NULL;
}

/* The i-th item of a sequence node, or NULL. */
static yaml_node_t *item(eval_ctx *e, yaml_node_t *seq, size_t i)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE ||
	    (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) <= i)
		return NULL;
	return yaml_document_get_node(e->d, seq->data.sequence.items.start[i]);
}

static size_t nitems(yaml_node_t *seq)
{
	return seq && seq->type == YAML_SEQUENCE_NODE
		       ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) : 0;
}

static int eval_condition_named(eval_ctx *e, const char *name, int *out);

/* A string value: a scalar, a Ref to a parameter, or Fn::If choosing one. */
static int eval_string(eval_ctx *e, yaml_node_t *n, const char **out)
{
	yaml_node_t *arg = NULL;
	const char *fn = n ? intrinsic(e, n, &arg) : NULL;
	if (n && fn == NULL && n->type == YAML_SCALAR_NODE) {
		*out = scalar(e->d, n);
		return 0;
	}
	if (fn && strcmp(fn, "Ref") == 0 && scalar(e->d, arg)) {
		const char *name = scalar(e->d, arg);
		yaml_node_t *decl = get(e->d, e->params, name);
		if (decl == NULL)
			return aws_error_set(e->err, AWS_ERR_INVALID, "cannot evaluate Ref %s: not a "
					     "parameter of the template", name);
		const char *v = e->value ? e->value(e->ud, name) : NULL;
		*out = v ? v : get_str(e->d, decl, "Default");
		if (*out == NULL)
			return aws_error_set(e->err, AWS_ERR_INVALID, "parameter %s has no value and "
					     "no Default", name);
		return 0;
	}
	if (fn && strcmp(fn, "Fn::If") == 0 && nitems(arg) == 3) {
		const char *cname = scalar(e->d, item(e, arg, 0));
		int c;
		if (cname == NULL || eval_condition_named(e, cname, &c) != 0)
			return cname ? -1 : aws_error_set(e->err, AWS_ERR_INVALID, "Fn::If needs a "
							  "condition name");
		return eval_string(e, item(e, arg, c ? 1 : 2), out);
	}
	return aws_error_set(e->err, AWS_ERR_INVALID, "cannot evaluate %s here",
			     fn ? fn : "a list or mapping");
}

static int eval_condition(eval_ctx *e, yaml_node_t *n, int *out)
{
	yaml_node_t *arg = NULL;
	const char *fn = n ? intrinsic(e, n, &arg) : NULL;
	if (++e->depth > 32) {
		e->depth--;
		return aws_error_set(e->err, AWS_ERR_INVALID, "conditions nest too deep (a cycle?)");
	}
	int rc = 0;
	if (fn && strcmp(fn, "Fn::Equals") == 0 && nitems(arg) == 2) {
		const char *a, *b;
		rc = eval_string(e, item(e, arg, 0), &a);
		if (rc == 0)
			rc = eval_string(e, item(e, arg, 1), &b);
		if (rc == 0)
			*out = strcmp(a, b) == 0;
	} else if (fn && strcmp(fn, "Fn::Not") == 0 && nitems(arg) == 1) {
		rc = eval_condition(e, item(e, arg, 0), out);
		*out = !*out;
	} else if (fn && (strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0) && nitems(arg)) {
		int and = strcmp(fn, "Fn::And") == 0;
		*out = and;
		for (size_t i = 0; rc == 0 && i < nitems(arg); i++) {
			int c;
			rc = eval_condition(e, item(e, arg, i), &c);
			*out = and ? *out && c : *out || c;
		}
	} else if (fn && strcmp(fn, "Condition") == 0 && scalar(e->d, arg)) {
		rc = eval_condition_named(e, scalar(e->d, arg), out);
	} else {
		rc = aws_error_set(e->err, AWS_ERR_INVALID, "cannot evaluate %s as a condition",
				   fn ? fn : "a plain value");
	}
	e->depth--;
	return rc;
}

static int eval_condition_named(eval_ctx *e, const char *name, int *out)
{
	yaml_node_t *c = get(e->d, e->conditions, name);
	if (c == NULL)
		return aws_error_set(e->err, AWS_ERR_INVALID, "condition %s is not in Conditions",
				     name);
	if (eval_condition(e, c, out) != 0)
		return aws_error_prefix(e->err, "condition %s", name);
	return 0;
}

int tmpl_kept_on_delete(const char *text, size_t len, tmpl_param_value_fn value, void *ud,
			tmpl_kept **kept, size_t *nkept, aws_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	*kept = NULL;
	*nkept = 0;
	if (!yaml_parser_initialize(&parser))
		return fail_nomem(err);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		int rc = aws_error_set(err, AWS_ERR_INVALID, "template is not valid YAML: %s at "
				       "line %zu", parser.problem ? parser.problem : "parse error",
				       parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return rc;
	}
	int rc = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	eval_ctx e = {&doc, get(&doc, root, "Parameters"), get(&doc, root, "Conditions"), value,
		      ud, err, 0};
	yaml_node_t *res = get(&doc, root, "Resources");
	for (yaml_node_pair_t *p = res && res->type == YAML_MAPPING_NODE
					   ? res->data.mapping.pairs.start : NULL;
	     p && p < res->data.mapping.pairs.top && rc == 0; p++) {
		const char *lid = scalar(&doc, yaml_document_get_node(&doc, p->key));
		yaml_node_t *r = yaml_document_get_node(&doc, p->value);
		const char *type = get_str(&doc, r, "Type");
		yaml_node_t *pol = get(&doc, r, "DeletionPolicy");
		const char *cond = get_str(&doc, r, "Condition");
		const char *policy = NULL;
		int exists = 1;
		if (lid == NULL || type == NULL || pol == NULL)
			continue;
		if ((cond && eval_condition_named(&e, cond, &exists) != 0) ||
		    (exists && eval_string(&e, pol, &policy) != 0)) {
			rc = aws_error_prefix(err, "%s's DeletionPolicy", lid);
			break;
		}
		if (!exists || (strcmp(policy, "Retain") != 0 && strcmp(policy, "Snapshot") != 0 &&
				strcmp(policy, "RetainExceptOnCreate") != 0))
			continue;
		tmpl_kept *k = aws_buf_array_push(kept, nkept, sizeof *k);
		if (k == NULL || (k->logical_id = strdup(lid)) == NULL ||
		    (k->type = strdup(type)) == NULL || (k->policy = strdup(policy)) == NULL)
			rc = fail_nomem(err);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		tmpl_kept_free(*kept, *nkept);
		*kept = NULL;
		*nkept = 0;
	}
	return rc;
}

void tmpl_kept_free(tmpl_kept *kept, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kept[i].logical_id);
		free(kept[i].type);
		free(kept[i].policy);
	}
	free(kept);
}

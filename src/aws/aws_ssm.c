/* aws_ssm.c — SSM Parameter Store: GetParameter, PutParameter, DeleteParameter.
 *
 * Requests are built with jansson; every field of a response is checked for presence and
 * type before use, so a malformed answer is an AWS_ERR_PROTOCOL value, never a crash.
 */
#include "aws_ssm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Documented limits (PutParameter): name 1..2048, value up to 8 KB (advanced tier). */
#define SSM_MAX_NAME 2048
#define SSM_MAX_VALUE 8192
#define SSM_MAX_DESCRIPTION 1024

/* Sends body (consumed) as operation; on success *out holds the parsed response. */
static int ssm_call(aws_client *c, const char *op, json_t *body, json_t **out, aws_error *err)
{
	*out = NULL;
	if (!body)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building SSM %s", op);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory building SSM %s", op);
	aws_buf resp = AWS_BUF_INIT;
	int rc = aws_json_call(c, &AWS_SERVICE_SSM, op, text, strlen(text), &resp, err);
	free(text);
	if (rc < 0) {
		aws_buf_free(&resp);
		return -1;
	}
	json_error_t je;
	*out = json_loadb(resp.data ? resp.data : "", resp.len, 0, &je);
	aws_buf_free(&resp);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return aws_error_set(err, AWS_ERR_PROTOCOL, "SSM %s: response is not a JSON object: %s",
				     op, je.text);
	}
	return 0;
}

static int ssm_check_name(const char *op, const char *name, aws_error *err)
{
	if (!name || !*name)
		return aws_error_set(err, AWS_ERR_INVALID, "SSM %s: parameter name is empty", op);
	if (strlen(name) > SSM_MAX_NAME)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "SSM %s: parameter name longer than %d characters", op, SSM_MAX_NAME);
	return 0;
}

/* A required string member, copied. */
static int ssm_str(const json_t *obj, const char *key, int required, char **out, aws_error *err)
{
	*out = NULL;
	const json_t *v = json_object_get(obj, key);
	if (!v && !required)
		return 0;
	if (!json_is_string(v))
		return aws_error_set(err, AWS_ERR_PROTOCOL,
				     "SSM GetParameter: response field Parameter.%s is %s", key,
				     v ? "not a string" : "missing");
	*out = strdup(json_string_value(v));
	if (!*out)
		return aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading the SSM response");
	return 0;
}

int aws_ssm_get_parameter(aws_client *c, const char *name, int with_decryption,
			  aws_ssm_parameter *out, aws_error *err)
{
	if (!out)
		return aws_error_set(err, AWS_ERR_INVALID, "SSM GetParameter: no output given");
	memset(out, 0, sizeof *out);
	if (ssm_check_name("GetParameter", name, err) < 0)
		return -1;
	json_t *resp;
	if (ssm_call(c, "GetParameter",
		     json_pack("{s:s, s:b}", "Name", name, "WithDecryption", with_decryption ? 1 : 0),
		     &resp, err) < 0) {
		if (err && err->kind == AWS_ERR_SERVICE && strcmp(err->type, "ParameterNotFound") == 0)
			aws_error_prefix(err, "SSM parameter %.200s does not exist", name);
		return -1;
	}
	int rc = -1;
	const json_t *p = json_object_get(resp, "Parameter");
	if (!json_is_object(p)) {
		aws_error_set(err, AWS_ERR_PROTOCOL, "SSM GetParameter: response field Parameter is %s",
			      p ? "not an object" : "missing");
		goto out;
	}
	const json_t *ver = json_object_get(p, "Version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		aws_error_set(err, AWS_ERR_PROTOCOL,
			      "SSM GetParameter: response field Parameter.Version is %s",
			      !ver ? "missing" : "not a positive integer");
		goto out;
	}
	out->version = json_integer_value(ver);
	if (ssm_str(p, "Name", 1, &out->name, err) < 0 ||
	    ssm_str(p, "Type", 1, &out->type, err) < 0 ||
	    ssm_str(p, "Value", 1, &out->value, err) < 0 ||
	    ssm_str(p, "ARN", 0, &out->arn, err) < 0)
		goto out;
	if (strcmp(out->type, "String") != 0 && strcmp(out->type, "StringList") != 0 &&
	    strcmp(out->type, "SecureString") != 0) {
		aws_error_set(err, AWS_ERR_PROTOCOL,
			      "SSM GetParameter: unknown parameter type '%.40s' in the response",
			      out->type);
		goto out;
	}
	rc = 0;
out:
	json_decref(resp);
	if (rc < 0)
		aws_ssm_parameter_free(out);
	return rc;
}

void aws_ssm_parameter_free(aws_ssm_parameter *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->type);
	if (p->value) {
		/* Parameters hold secrets: do not leave them in freed memory. */
		memset(p->value, 0, strlen(p->value));
		free(p->value);
	}
	free(p->arn);
	memset(p, 0, sizeof *p);
}

int aws_ssm_put_parameter(aws_client *c, const aws_ssm_put_input *in, long long *version_out,
			  aws_error *err)
{
	if (!in)
		return aws_error_set(err, AWS_ERR_INVALID, "SSM PutParameter: no input given");
	if (ssm_check_name("PutParameter", in->name, err) < 0)
		return -1;
	if (!in->value)
		return aws_error_set(err, AWS_ERR_INVALID, "SSM PutParameter: no value for %.200s",
				     in->name);
	if (strlen(in->value) > SSM_MAX_VALUE)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "SSM PutParameter: value of %.200s is longer than %d bytes",
				     in->name, SSM_MAX_VALUE);
	const char *type = in->type ? in->type : "String";
	if (strcmp(type, "String") != 0 && strcmp(type, "StringList") != 0 &&
	    strcmp(type, "SecureString") != 0)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "SSM PutParameter: type '%.40s' is not String, StringList or "
				     "SecureString", type);
	if (in->description && strlen(in->description) > SSM_MAX_DESCRIPTION)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "SSM PutParameter: description longer than %d characters",
				     SSM_MAX_DESCRIPTION);
	if (in->key_id && strcmp(type, "SecureString") != 0)
		return aws_error_set(err, AWS_ERR_INVALID,
				     "SSM PutParameter: a KMS key id only applies to SecureString");
	json_t *body = json_pack("{s:s, s:s, s:s, s:b}", "Name", in->name, "Value", in->value,
				 "Type", type, "Overwrite", in->overwrite ? 1 : 0);
	if (body && in->description &&
	    json_object_set_new(body, "Description", json_string(in->description)) < 0) {
		json_decref(body);
		body = NULL;
	}
	if (body && in->key_id && json_object_set_new(body, "KeyId", json_string(in->key_id)) < 0) {
		json_decref(body);
		body = NULL;
	}
	json_t *resp;
	if (ssm_call(c, "PutParameter", body, &resp, err) < 0) {
		if (err && err->kind == AWS_ERR_SERVICE &&
		    strcmp(err->type, "ParameterAlreadyExists") == 0)
			aws_error_prefix(err, "SSM parameter %.200s exists (use overwrite to replace it)",
					 in->name);
		return -1;
	}
	const json_t *ver = json_object_get(resp, "Version");
	const json_t *tier = json_object_get(resp, "Tier");
	int rc = 0;
	if (!json_is_integer(ver) || json_integer_value(ver) < 1)
		rc = aws_error_set(err, AWS_ERR_PROTOCOL,
				   "SSM PutParameter: response field Version is %s",
				   !ver ? "missing" : "not a positive integer");
	else if (tier && !json_is_string(tier))
		rc = aws_error_set(err, AWS_ERR_PROTOCOL,
				   "SSM PutParameter: response field Tier is not a string");
	else if (version_out)
		*version_out = json_integer_value(ver);
	json_decref(resp);
	return rc;
}

int aws_ssm_delete_parameter(aws_client *c, const char *name, aws_error *err)
{
	if (ssm_check_name("DeleteParameter", name, err) < 0)
		return -1;
	json_t *resp;
	if (ssm_call(c, "DeleteParameter", json_pack("{s:s}", "Name", name), &resp, err) < 0) {
		if (err && err->kind == AWS_ERR_SERVICE && strcmp(err->type, "ParameterNotFound") == 0)
			aws_error_prefix(err, "SSM parameter %.200s does not exist", name);
		return -1;
	}
	json_decref(resp);
	return 0;
}

/* ecr.c — ECR JSON 1.1 calls: repositories, lifecycle policy, authorization token.
 *
 * Requests are built and responses read with jansson; every field a response lacks is a
 * protocol error naming the operation, never a NULL dereference.
 */
#include "ecr.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_crypto.h"
#include "ctl.h"

/* Sends `req` (stolen) as operation op; on success *out holds the parsed response. The
 * client's errors already name "ECR <op>". */
static int ecr_call(aws_client *c, const char *op, json_t *req, json_t **out, aws_error *err)
{
	*out = ctl_json_call(c, &AWS_SERVICE_ECR, op, req, err);
	return *out ? 0 : -1;
}

static void copy_str(char *dst, size_t len, json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	snprintf(dst, len, "%s", s ? s : "");
}

static int repo_from_json(json_t *r, ecr_repository *out, const char *op, aws_error *err)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(r) || !json_string_value(json_object_get(r, "repositoryName")))
		return aws_error_set(err, AWS_ERR_PROTOCOL, "ECR %s: no repository in the response", op);
	copy_str(out->name, sizeof out->name, r, "repositoryName");
	copy_str(out->arn, sizeof out->arn, r, "repositoryArn");
	copy_str(out->uri, sizeof out->uri, r, "repositoryUri");
	copy_str(out->registry_id, sizeof out->registry_id, r, "registryId");
	copy_str(out->tag_mutability, sizeof out->tag_mutability, r, "imageTagMutability");
	out->scan_on_push = json_is_true(
		json_object_get(json_object_get(r, "imageScanningConfiguration"), "scanOnPush"));
	return 0;
}

int ecr_describe_repository(aws_client *c, const char *name, ecr_repository *out, int *found,
			    aws_error *err)
{
	*found = 0;
	json_t *resp;
	if (ecr_call(c, "DescribeRepositories", json_pack("{s:[s]}", "repositoryNames", name), &resp,
		     err) != 0) {
		if (err && strcmp(err->type, "RepositoryNotFoundException") == 0) {
			aws_error_clear(err);
			return 0;
		}
		return -1;
	}
	json_t *r0 = json_array_get(json_object_get(resp, "repositories"), 0);
	int rc = 0;
	if (r0) {
		rc = repo_from_json(r0, out, "DescribeRepositories", err);
		*found = rc == 0;
	}
	json_decref(resp);
	return rc;
}

int ecr_create_repository(aws_client *c, const char *name, ecr_repository *out, aws_error *err)
{
	json_t *req = json_pack("{s:s, s:s, s:{s:b}, s:{s:s}}", "repositoryName", name,
				"imageTagMutability", "IMMUTABLE", "imageScanningConfiguration",
				"scanOnPush", 1, "encryptionConfiguration", "encryptionType", "AES256");
	json_t *resp;
	if (ecr_call(c, "CreateRepository", req, &resp, err) != 0)
		return -1;
	int rc = repo_from_json(json_object_get(resp, "repository"), out, "CreateRepository", err);
	json_decref(resp);
	return rc;
}

int ecr_lifecycle_policy_text(int keep, char *out, size_t len)
{
	int n = snprintf(out, len,
			 "{\"rules\":[{\"rulePriority\":1,\"description\":\"keep the newest %d "
			 "images\",\"selection\":{\"tagStatus\":\"any\",\"countType\":"
			 "\"imageCountMoreThan\",\"countNumber\":%d},\"action\":{\"type\":"
			 "\"expire\"}}]}", keep, keep);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int ecr_put_lifecycle_policy(aws_client *c, const char *name, int keep, aws_error *err)
{
	if (keep < 1 || keep > 1000)
		return aws_error_set(err, AWS_ERR_INVALID, "images to keep must be 1 to 1000, not %d",
				     keep);
	char text[512];
	ecr_lifecycle_policy_text(keep, text, sizeof text);
	json_t *resp;
	if (ecr_call(c, "PutLifecyclePolicy",
		     json_pack("{s:s, s:s}", "repositoryName", name, "lifecyclePolicyText", text), &resp,
		     err) != 0)
		return -1;
	json_decref(resp);
	return 0;
}

int ecr_ensure_repository(aws_client *c, const char *name, int keep, ecr_repository *out,
			  int *created, aws_error *err)
{
	int found = 0;
	if (created)
		*created = 0;
	if (ecr_describe_repository(c, name, out, &found, err) != 0)
		return -1;
	if (found)
		return 0;
	if (ecr_create_repository(c, name, out, err) != 0) {
		if (!err || strcmp(err->type, "RepositoryAlreadyExistsException") != 0)
			return -1;
		/* Someone created it between our describe and create: use theirs. */
		aws_error_clear(err);
		if (ecr_describe_repository(c, name, out, &found, err) != 0)
			return -1;
		if (!found)
			return aws_error_set(err, AWS_ERR_SERVICE, "ECR repository %s exists and does not",
					     name);
		return 0;
	}
	if (created)
		*created = 1;
	return ecr_put_lifecycle_policy(c, name, keep, err);
}

int ecr_get_authorization(aws_client *c, ecr_auth *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	json_t *resp;
	if (ecr_call(c, "GetAuthorizationToken", json_object(), &resp, err) != 0)
		return -1;
	int rc = ecr_parse_authorization(resp, out, err);
	json_decref(resp);
	return rc;
}

int ecr_parse_authorization(const json_t *resp, ecr_auth *out, aws_error *err)
{
	memset(out, 0, sizeof *out);
	json_t *d0 = json_array_get(json_object_get(resp, "authorizationData"), 0);
	const char *tok = json_string_value(json_object_get(d0, "authorizationToken"));
	const char *ep = json_string_value(json_object_get(d0, "proxyEndpoint"));
	int rc = 0;
	if (!tok || !ep) {
		rc = aws_error_set(err, AWS_ERR_PROTOCOL, "ECR GetAuthorizationToken: no "
				   "authorizationToken/proxyEndpoint in the response");
		goto done;
	}
	size_t tl = strlen(tok);
	uint8_t *dec = malloc(tl / 4 * 3 + 4);
	size_t n = dec ? aws_base64_decode(tok, tl, dec, tl / 4 * 3 + 3) : (size_t)-1;
	char *colon = n != (size_t)-1 ? memchr(dec, ':', n) : NULL;
	if (!colon || (size_t)(colon - (char *)dec) >= sizeof out->username ||
	    n - (size_t)(colon - (char *)dec) > sizeof out->password) {
		rc = aws_error_set(err, AWS_ERR_PROTOCOL, "ECR GetAuthorizationToken: the token is not "
				   "base64 of \"user:password\"");
	} else {
		size_t ul = (size_t)(colon - (char *)dec);
		memcpy(out->username, dec, ul);
		out->username[ul] = '\0';
		memcpy(out->password, colon + 1, n - ul - 1);
		out->password[n - ul - 1] = '\0';
		snprintf(out->proxy_endpoint, sizeof out->proxy_endpoint, "%s", ep);
		out->expires_at = json_number_value(json_object_get(d0, "expiresAt"));
	}
	if (dec) {
		explicit_bzero(dec, tl / 4 * 3 + 4);
		free(dec);
	}
done:
	return rc;
}

int ecr_parse_repository(const json_t *repository, ecr_repository *out, aws_error *err)
{
	return repo_from_json((json_t *)repository, out, "DescribeRepositories", err);
}

int ecr_delete_repository(aws_client *c, const char *name, int force, aws_error *err)
{
	json_t *resp;
	if (ecr_call(c, "DeleteRepository",
		     json_pack("{s:s, s:b}", "repositoryName", name, "force", force), &resp, err) != 0)
		return -1;
	json_decref(resp);
	return 0;
}

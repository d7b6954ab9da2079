/* ecr.h — the ECR control-plane calls `image push` and `destroy container` need.
 *
 * JSON 1.1 through aws_json_call (X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*),
 * following the ECR API reference: CreateRepository (scan on push, IMMUTABLE tags),
 * DescribeRepositories, PutLifecyclePolicy (keep the last N images), GetAuthorizationToken
 * (basic credentials "AWS:<password>" and the registry's proxyEndpoint), DeleteRepository.
 * The image bytes themselves go through the registry API (registry.h), not here.
 */
#ifndef ECR_H
#define ECR_H

#include <stddef.h>
#include <jansson.h>
#include "aws_client.h"

typedef struct ecr_repository {
	char name[256];
	char arn[512];
	char uri[512];             /* ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME */
	char registry_id[32];
	char tag_mutability[16];   /* "MUTABLE" / "IMMUTABLE" */
	int scan_on_push;
} ecr_repository;

/* DescribeRepositories for one name: *found = 0 (and 0 returned) when it does not exist. */
int ecr_describe_repository(aws_client *c, const char *name, ecr_repository *out, int *found,
			    aws_error *err);

/* CreateRepository with imageScanningConfiguration.scanOnPush = true and
 * imageTagMutability = IMMUTABLE. RepositoryAlreadyExistsException is an error here. */
int ecr_create_repository(aws_client *c, const char *name, ecr_repository *out, aws_error *err);

/* The lifecycle policy text that keeps the newest `keep` images (exposed for tests). */
int ecr_lifecycle_policy_text(int keep, char *out, size_t len);
/* PutLifecyclePolicy: expire images beyond the newest `keep` (1..1000). */
int ecr_put_lifecycle_policy(aws_client *c, const char *name, int keep, aws_error *err);

/* Describe, create when missing (a concurrent creator's RepositoryAlreadyExistsException
 * counts as found), then put the lifecycle policy when it was created. *created may be
 * NULL. */
int ecr_ensure_repository(aws_client *c, const char *name, int keep, ecr_repository *out,
			  int *created, aws_error *err);

typedef struct ecr_auth {
	char username[64];         /* "AWS" */
	char password[8192];       /* secret: never print; wipe with explicit_bzero when done */
	char proxy_endpoint[512];  /* "https://ACCOUNT.dkr.ecr.REGION.amazonaws.com" */
	double expires_at;         /* seconds since the epoch */
} ecr_auth;

/* GetAuthorizationToken: decodes authorizationData[0].authorizationToken (base64 of
 * "user:password"). */
int ecr_get_authorization(aws_client *c, ecr_auth *out, aws_error *err);

/* The readers of the two responses above, given the parsed body (exposed for tests and
 * fuzzing): the GetAuthorizationToken response, and one repository object. */
int ecr_parse_authorization(const json_t *resp, ecr_auth *out, aws_error *err);
int ecr_parse_repository(const json_t *repository, ecr_repository *out, aws_error *err);

/* DeleteRepository; force = delete its images too. A repository that does not exist is
 * -1 with type RepositoryNotFoundException (callers that only want it gone check it). */
int ecr_delete_repository(aws_client *c, const char *name, int force, aws_error *err);

#endif

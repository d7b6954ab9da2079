/* aws_config.h — shared config files, region and service endpoints, as the AWS SDKs do.
 *
 * Profile files: AWS_CONFIG_FILE (default ~/.aws/config, sections "[default]" and
 * "[profile NAME]", "[sso-session NAME]") and AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials, sections "[NAME]"); the profile is AWS_PROFILE, else "default".
 * Region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region`.
 * Endpoint: AWS_ENDPOINT_URL_<SERVICE> (service id upper-cased, spaces/dashes to '_',
 * e.g. AWS_ENDPOINT_URL_DYNAMODB), then AWS_ENDPOINT_URL, then
 * https://{service}.{region}.amazonaws.com (".amazonaws.com.cn" for cn- regions).
 */
#ifndef AWS_CONFIG_H
#define AWS_CONFIG_H

#include <stddef.h>
#include "aws_error.h"

/* One parsed profile: key/value pairs (keys lower-case) of the named profile, merged from
 * the credentials file (wins) and the config file. Opaque. */
typedef struct aws_profile aws_profile;

/* Loads profile `name` (NULL = AWS_PROFILE or "default"). A missing file is not an error;
 * an unreadable or malformed one is (AWS_ERR_CONFIG naming file and line). A profile that
 * exists in neither file yields an empty profile (aws_profile_exists() == 0).
 * Caller frees with aws_profile_free. */
aws_profile *aws_profile_load(const char *name, aws_error *err);
/* Loads section "[sso-session NAME]" from the config file the same way. */
aws_profile *aws_profile_load_sso_session(const char *name, aws_error *err);
/* Loads section "[services NAME]" of the config file; its indented sub-settings are keys
 * "<service>.<setting>" ("dynamodb.endpoint_url"). */
aws_profile *aws_profile_load_services(const char *name, aws_error *err);
void aws_profile_free(aws_profile *p);
int aws_profile_exists(const aws_profile *p);
const char *aws_profile_name(const aws_profile *p);
/* The value of key in the profile, or NULL. Owned by p. */
const char *aws_profile_get(const aws_profile *p, const char *key);

/* The environment variable name, or NULL when unset or empty (the SDKs treat both alike). */
const char *aws_env_nonempty(const char *name);

/* Resolves the region into out. Returns 0, or -1 with AWS_ERR_CONFIG saying how to set
 * one ("set AWS_REGION or `region` in profile X"). profile may be NULL (then loaded). */
int aws_region_resolve(const aws_profile *profile, char *out, size_t len, aws_error *err);

/* Resolves the endpoint base URL (scheme://host[:port], no trailing slash) of a service.
 * service_id is the SDK service id used in AWS_ENDPOINT_URL_<ID> ("DynamoDB", "SSM",
 * "CloudFormation", "ECR", "STS", "CloudWatch Logs", "ECS", "Elastic Load Balancing v2");
 * endpoint_prefix is the hostname prefix ("dynamodb", "ssm", "logs", ...).
 * Configured endpoints, in the SDKs' order: AWS_ENDPOINT_URL_<ID> (ID upper-cased, spaces
 * and dashes as _), AWS_ENDPOINT_URL, then — with a profile — its [services NAME] section's
 * "<id>.endpoint_url" (id lower-cased, spaces as _) and its endpoint_url; none of them
 * when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * ignore_configured_endpoint_urls is true. Otherwise https://<prefix>.<region>.amazonaws.com.
 * Returns 0 or -1 (AWS_ERR_CONFIG for a malformed override URL, naming where it was set). */
int aws_endpoint_resolve_profile(const aws_profile *profile, const char *service_id,
				 const char *endpoint_prefix, const char *region, char *out, size_t len,
				 aws_error *err);
/* The same without a profile: environment variables or the default. */
int aws_endpoint_resolve(const char *service_id, const char *endpoint_prefix,
			 const char *region, char *out, size_t len, aws_error *err);

#endif

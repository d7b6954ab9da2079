/* aws_creds.h — the credentials chain, with caching and refresh, safe across threads.
 *
 * Order, as the AWS SDKs: (1) environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN; (2) the shared files' profile: static keys, role_arn + source_profile
 * (STS AssumeRole), sso_session (token cache of `aws sso login`), credential_process;
 * (3) ECS container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against
 * 169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN
 * or _TOKEN_FILE); (4) EC2 IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true; endpoint
 * AWS_EC2_METADATA_SERVICE_ENDPOINT). Temporary credentials are cached and refreshed at
 * least 5 minutes before they expire; concurrent callers wait for one refresh.
 * Secrets never appear in error messages or logs.
 */
#ifndef AWS_CREDS_H
#define AWS_CREDS_H

#include <time.h>
#include "aws_error.h"
#include "aws_http.h"

typedef struct aws_credentials {
	char access_key_id[128];
	char secret_access_key[128];
	char session_token[4096];   /* "" when none */
	time_t expiration;          /* 0 = does not expire */
	char source[64];            /* where they came from: "environment", "profile default",
				       "credential_process", "ecs", "imds", "assume-role", "sso" */
} aws_credentials;

typedef struct aws_creds_provider aws_creds_provider;

/* The default chain. http is used for ECS/IMDS/STS/SSO calls and must outlive the
 * provider. profile_name NULL = AWS_PROFILE or "default"; a non-NULL profile_name (a
 * --profile flag) skips the environment keys, as the AWS CLI does. region is used for
 * STS/SSO endpoints (may be NULL). Nothing is fetched until the first aws_creds_get. */
aws_creds_provider *aws_creds_provider_default(aws_http *http, const char *profile_name,
					       const char *region, aws_error *err);
/* Asks a person for the current code of the MFA device `serial` (a role profile's
 * mfa_serial) and writes it, NUL-terminated, into code[len]. Returns 0, or -1 with why[]
 * saying why nobody could be asked ("there is no terminal ..."). Called at most once per
 * credential fetch, from the thread that fetches. */
typedef int (*aws_mfa_prompt_fn)(void *ud, const char *serial, char *code, size_t len, char *why,
				 size_t why_len);
/* Sets the prompt used for role profiles with mfa_serial (a command-line tool sets one; a
 * server does not, and such profiles then fail with a message saying what to use instead). */
void aws_creds_provider_set_mfa_prompt(aws_creds_provider *p, aws_mfa_prompt_fn fn, void *ud);
/* A provider that always returns the given static credentials (tests, tools). */
aws_creds_provider *aws_creds_provider_static(const aws_credentials *c, aws_error *err);
void aws_creds_provider_free(aws_creds_provider *p);

/* Copies current credentials into *out, fetching or refreshing as needed. Thread-safe.
 * When no source has credentials: AWS_ERR_CREDENTIALS naming every source tried and why
 * each had none. */
int aws_creds_get(aws_creds_provider *p, aws_credentials *out, aws_error *err);

/* The cached credentials, when aws_creds_get would answer from its cache: 0 with *out,
 * or -1 (nothing fetched, nothing waited for) when a fetch or refresh is due. For a thread
 * that must not block (an event loop); any thread. */
int aws_creds_peek(aws_creds_provider *p, aws_credentials *out);

/* Tests only: the clock used for expiry decisions (NULL = time()). */
void aws_creds_set_clock(aws_creds_provider *p, time_t (*now)(void));

#endif

/* fuzz_ecr.c — ECR's JSON answers as the image push reads them: GetAuthorizationToken (a
 * base64 "user:password" token and the registry endpoint) and a repository object, plus the
 * registry's WWW-Authenticate challenge when the input is not JSON. Properties: accepted
 * fields are NUL-terminated within their buffers.
 */
#include <jansson.h>
#include "fuzz.h"
#include "ecr.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 16))
		return 0;
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	aws_error err;
	if (j) {
		static ecr_auth a;
		if (ecr_parse_authorization(j, &a, &err) == 0)
			FUZZ_CHECK(strlen(a.username) < sizeof a.username && strlen(a.password) < sizeof a.password,
				   "token fields overflow");
		explicit_bzero(&a, sizeof a);
		ecr_repository r;
		json_t *repo = json_array_get(json_object_get(j, "repositories"), 0);
		if (ecr_parse_repository(repo ? repo : j, &r, &err) == 0)
			FUZZ_CHECK(strlen(r.name) < sizeof r.name && strlen(r.uri) < sizeof r.uri, "repository overflow");
		json_decref(j);
		return 0;
	}
	char *h = fuzz_strndup(data, size);
	registry_challenge c;
	if (registry_parse_challenge(h, &c) == 0)
		FUZZ_CHECK(strlen(c.realm) < sizeof c.realm && strlen(c.scope) < sizeof c.scope, "challenge overflow");
	free(h);
	return 0;
}

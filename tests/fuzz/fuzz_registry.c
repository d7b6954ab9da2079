/* fuzz_registry.c — a container registry's WWW-Authenticate challenge (registry_parse_challenge),
 * the header a registry (or anything on the path to it) answers an unauthenticated push
 * with. Property: accepted fields are NUL-terminated within their buffers.
 */
#include "fuzz.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *h = fuzz_strndup(data, size);
	registry_challenge c;
	if (registry_parse_challenge(h, &c) == 0) {
		FUZZ_CHECK(strlen(c.scheme) < sizeof c.scheme && strlen(c.realm) < sizeof c.realm, "field overflow");
		FUZZ_CHECK(strlen(c.service) < sizeof c.service && strlen(c.scope) < sizeof c.scope, "field overflow");
	}
	free(h);
	return 0;
}

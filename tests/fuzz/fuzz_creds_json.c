/* fuzz_creds_json.c — credentials in JSON from outside the process: credential_process
 * output, the ECS/EC2 metadata endpoints' answers and the SSO portal's role credentials.
 * The first byte picks the reader. Property: no crash; accepted credentials are
 * NUL-terminated and non-empty.
 */
#include "fuzz.h"
#include "aws_creds_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 16))
		return 0;
	const char *j = (const char *)data + 1;
	size_t n = size - 1;
	aws_credentials c;
	aws_error err;
	memset(&c, 0, sizeof c);
	int rc;
	switch (data[0] % 3) {
	case 0: rc = aws_creds_process_parse(j, n, 1700000000, &c, &err); break;
	case 1: rc = aws_creds_metadata_parse(j, n, "ecs", 1700000000, &c, &err); break;
	default: rc = aws_creds_sso_parse(j, n, 1700000000, &c, &err); break;
	}
	if (rc == 0)
		FUZZ_CHECK(c.access_key_id[0] && strlen(c.access_key_id) < sizeof c.access_key_id, "bad key id");
	return 0;
}

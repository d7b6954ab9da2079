/* fuzz_config.c — the shared config and credentials files (~/.aws/config, ~/.aws/credentials)
 * as the SDKs read them: the input is written as both files and profiles, sso-sessions,
 * services sections, the region and an endpoint are resolved from them. Property: no crash;
 * what is found is NUL-terminated. The files live in a private temp folder.
 */
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"
#include "aws_config.h"

static char dir[64], cfg[128], cred[128];

static void write_file(const char *path, const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 16))
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/fuzz_config.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(cfg, sizeof cfg, "%s/config", dir);
		snprintf(cred, sizeof cred, "%s/credentials", dir);
		setenv("AWS_CONFIG_FILE", cfg, 1);
		setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
		unsetenv("AWS_REGION");
		unsetenv("AWS_DEFAULT_REGION");
		unsetenv("AWS_ENDPOINT_URL");
		unsetenv("AWS_PROFILE");
	}
	const uint8_t *a, *b;
	size_t an, bn;
	fuzz_split(data, size, 0, &a, &an, &b, &bn);
	write_file(cfg, a, an);
	write_file(cred, b, bn);
	static const char *names[] = {"default", "dev", "a b"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		aws_error err;
		aws_profile *p = aws_profile_load(names[i], &err);
		if (!p)
			continue;
		char region[64] = "us-east-1", url[1024];
		if (aws_region_resolve(p, region, sizeof region, &err) != 0)
			snprintf(region, sizeof region, "us-east-1");
		const char *v = aws_profile_get(p, "sso_session");
		if (v) {
			aws_profile *s = aws_profile_load_sso_session(v, &err);
			aws_profile_free(s);
		}
		v = aws_profile_get(p, "services");
		if (v) {
			aws_profile *s = aws_profile_load_services(v, &err);
			aws_profile_free(s);
		}
		(void)aws_endpoint_resolve_profile(p, "DynamoDB", "dynamodb", region, url, sizeof url, &err);
		aws_profile_free(p);
	}
	return 0;
}

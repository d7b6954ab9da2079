/* fuzz_htpasswd.c — htpasswd text, as read from --htpasswd or the SSM SecureString
 * <prefix>/credentials: loaded all or nothing (srv_auth_load), then a login checked against
 * whatever loaded. Properties: a refusal says where; a load leaves at least one user.
 * Hash settings that ask for a cost the fuzzer would wait seconds on (bcrypt cost above 6,
 * SHA-crypt rounds=, yescrypt parameters other than the usual) are left out: the time a
 * costly hash takes is its purpose, not a defect.
 */
#include "fuzz.h"
#include "srv_auth.h"

static int too_costly(const char *t)
{
	for (const char *p = t; (p = strchr(p, '$')); p++) {
		size_t n = strnlen(p, 6);   /* the checks below look at most 6 bytes ahead */
		if ((n >= 6 && p[1] == '2' && p[3] == '$' && (p[4] != '0' || p[5] > '6')) ||
		    strncmp(p + 1, "rounds=", 7) == 0 ||
		    (n >= 3 && p[1] == 'y' && p[2] == '$' && strncmp(p + 3, "j9T$", 4) != 0))
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = fuzz_strndup(data, size);
	if (too_costly(text)) {
		free(text);
		return 0;
	}
	static srv_auth *a;
	if (!a)
		a = srv_auth_new(4, 60, 1000000, NULL);
	aws_error err;
	aws_error_clear(&err);
	int changed = 0;
	if (srv_auth_load(a, text, size, "fuzz", &changed, &err) == 0) {
		FUZZ_CHECK(srv_auth_user_count(a) >= 1, "loaded without a user");
		char user[SRV_AUTH_USER_MAX + 1];
		/* "Basic " + base64("fuzz:probe") */
		(void)srv_auth_verify(a, "Basic ZnV6ejpwcm9iZQ==", user, sizeof user);
	} else {
		FUZZ_CHECK(strstr(err.message, "fuzz"), "refusal without its source: %s",
			   err.message);
	}
	free(text);
	return 0;
}

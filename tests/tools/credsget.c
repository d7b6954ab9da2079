/* credsget.c — resolves credentials with the default chain and prints where they came
 * from, the key id and the expiration (never the secret or token), or the error.
 * The integration tests drive it; --count/--threads make it a refresh-under-load probe.
 *
 *   credsget [--profile P] [--region R] [--count N] [--interval-ms MS] [--threads T]
 *
 * One line per successful get: "source=S key_id=K expiration=E token=yes|no".
 * A failed get prints "error: KIND: MESSAGE" on stderr; exit status 1 if any get failed
 * or handed out credentials already expired, 2 on usage errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_creds.h"
#include "aws_creds_internal.h"
#include "aws_http.h"

static aws_creds_provider *prov;
static long count = 1, interval_ms = 0;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int failures;

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < count; i++) {
		aws_credentials c;
		aws_error e;
		aws_error_clear(&e);
		int rc = aws_creds_get(prov, &c, &e);
		pthread_mutex_lock(&out_mu);
		if (rc != 0) {
			fprintf(stderr, "error: %s: %s\n", aws_err_kind_name(e.kind), e.message);
			failures++;
		} else if (c.expiration != 0 && c.expiration <= time(NULL)) {
			fprintf(stderr, "error: handed out credentials %s that expired\n",
				c.access_key_id);
			failures++;
		} else {
			char t[21] = "never";
			if (c.expiration)
				aws_creds_format_time(c.expiration, t);
			printf("source=%s key_id=%s expiration=%s token=%s\n", c.source,
			       c.access_key_id, t, c.session_token[0] ? "yes" : "no");
			fflush(stdout);
		}
		pthread_mutex_unlock(&out_mu);
		if (interval_ms > 0 && i + 1 < count) {
			struct timespec ts = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *profile = NULL, *region = NULL;
	long threads = 1;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			goto usage;
		if (strcmp(a, "--profile") == 0)
			profile = v;
		else if (strcmp(a, "--region") == 0)
			region = v;
		else if (strcmp(a, "--count") == 0)
			count = atol(v);
		else if (strcmp(a, "--interval-ms") == 0)
			interval_ms = atol(v);
		else if (strcmp(a, "--threads") == 0)
			threads = atol(v);
		else
			goto usage;
	}
	if (count < 1 || threads < 1 || threads > 64 || interval_ms < 0)
		goto usage;

	aws_error e;
	aws_http *http = aws_http_new(NULL, &e);
	if (!http) {
		fprintf(stderr, "error: %s: %s\n", aws_err_kind_name(e.kind), e.message);
		return 1;
	}
	prov = aws_creds_provider_default(http, profile, region, &e);
	if (!prov) {
		fprintf(stderr, "error: %s: %s\n", aws_err_kind_name(e.kind), e.message);
		aws_http_free(http);
		return 1;
	}
	pthread_t tid[64];
	for (long t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, worker, NULL);
	for (long t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	aws_creds_provider_free(prov);
	aws_http_free(http);
	return failures ? 1 : 0;
usage:
	fprintf(stderr, "usage: credsget [--profile P] [--region R] [--count N] "
		"[--interval-ms MS] [--threads T]\n");
	return 2;
}

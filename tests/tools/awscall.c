/* awscall.c — drives the AWS client library from integration tests; prints one JSON line.
 *
 *   awscall json SERVICE OPERATION BODY      raw JSON-protocol call
 *   awscall query SERVICE OPERATION PARAMS   raw Query-protocol call (PARAMS form-encoded)
 *   awscall ssm-get NAME [--decrypt]
 *   awscall ssm-put NAME VALUE [--type T] [--overwrite] [--description D] [--key-id K]
 *   awscall ssm-delete NAME
 *   awscall ssm-get-parallel NAME THREADS CALLS   THREADS threads, CALLS gets each, one client
 *   awscall json-loop SERVICE OPERATION BODY [CALLS] [--cold]
 *                                            CALLS one-attempt calls one after another on an
 *                                            event loop (aws_json_call_start, poll); the last
 *                                            one's answer. --cold: no credentials fetched first
 *   awscall endpoint SERVICE                 the resolved endpoint and region
 *   awscall services                         the service descriptors (for model cross-checks)
 *
 * SERVICE: dynamodb ssm sts cloudformation ecr logs ecs elbv2. Configuration comes from the
 * usual AWS_* variables plus, for tests, SHOWTABLE_AWS_TIMEOUT_MS (whole attempt),
 * SHOWTABLE_AWS_CONNECT_TIMEOUT_MS and SHOWTABLE_AWS_MAX_RESPONSE_BYTES.
 * Output: {"ok":true,"result":...,"elapsed_ms":N} (exit 0) or
 * {"ok":false,"error":{"kind","type","status","throttled","message","request_id"},
 * "elapsed_ms":N} (exit 1); usage errors exit 2.
 */
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_client.h"
#include "aws_config.h"
#include "aws_ssm.h"

static struct timespec t0;

static long elapsed_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

static int usage(void)
{
	fprintf(stderr, "usage: awscall json|query SERVICE OPERATION BODY | ssm-get NAME [--decrypt] | "
		"ssm-put NAME VALUE [--type T] [--overwrite] [--description D] [--key-id K] | "
		"ssm-delete NAME | ssm-get-parallel NAME THREADS CALLS | json-loop SERVICE OPERATION BODY [CALLS] [--cold] | "
		"endpoint SERVICE\n");
	return 2;
}

static const aws_service *service_named(const char *s)
{
	static const struct { const char *name; const aws_service *svc; } map[] = {
		{"dynamodb", &AWS_SERVICE_DYNAMODB}, {"ssm", &AWS_SERVICE_SSM},
		{"sts", &AWS_SERVICE_STS}, {"cloudformation", &AWS_SERVICE_CLOUDFORMATION},
		{"ecr", &AWS_SERVICE_ECR}, {"logs", &AWS_SERVICE_LOGS}, {"ecs", &AWS_SERVICE_ECS},
		{"elbv2", &AWS_SERVICE_ELBV2},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].name, s) == 0)
			return map[i].svc;
	return NULL;
}

static long env_long(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : 0;
}

static int emit(json_t *out)
{
	json_object_set_new(out, "elapsed_ms", json_integer(elapsed_ms()));
	int ok = json_is_true(json_object_get(out, "ok"));
	char *s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (s) {
		puts(s);
		free(s);
	}
	return ok ? 0 : 1;
}

static int fail(const aws_error *e)
{
	json_t *err = json_pack("{s:s, s:s, s:i, s:b, s:s, s:s}", "kind", aws_err_kind_name(e->kind),
				"type", e->type, "status", e->http_status, "throttled", e->throttled,
				"message", e->message, "request_id", e->request_id);
	return emit(json_pack("{s:b, s:o}", "ok", 0, "error", err));
}

static int succeed(json_t *result)
{
	return emit(json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_null()));
}

/* succeed with a JSON answer's text: parsed when it is JSON, else as a string. */
static int succeed_text(const aws_buf *text)
{
	json_error_t je;
	json_t *j = json_loadb(text->data, text->len, 0, &je);
	return succeed(j ? j : json_string(text->data));
}

static int list_services(void)
{
	static const char *const names[] = {"dynamodb", "ssm", "sts", "cloudformation", "ecr",
					     "logs", "ecs", "elbv2"};
	json_t *arr = json_array();
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const aws_service *s = service_named(names[i]);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?}",
						     "name", names[i], "service_id", s->service_id,
						     "endpoint_prefix", s->endpoint_prefix,
						     "signing_name", s->signing_name,
						     "json_version", s->json_version,
						     "target_prefix", s->target_prefix,
						     "api_version", s->api_version));
	}
	return succeed(arr);
}

static json_t *param_json(const aws_ssm_parameter *p)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:s?}", "name", p->name, "type", p->type, "value",
			 p->value, "version", (json_int_t)p->version, "arn", p->arn);
}

typedef struct par_job {
	aws_client *c;
	const char *name;
	int calls, ok;
	aws_error last;
} par_job;

static void *par_run(void *arg)
{
	par_job *j = arg;
	for (int i = 0; i < j->calls; i++) {
		aws_ssm_parameter p;
		if (aws_ssm_get_parameter(j->c, j->name, 0, &p, &j->last) == 0) {
			j->ok++;
			aws_ssm_parameter_free(&p);
		}
	}
	return NULL;
}

/* One call on the event loop: its outcome, filled by loop_done. */
typedef struct loop_call {
	int finished, rc;
	aws_buf body;
	aws_error err;
} loop_call;

static void loop_done(void *ud, int rc, aws_buf *body, const aws_error *err)
{
	loop_call *lc = ud;
	lc->finished = 1;
	lc->rc = rc;
	if (rc == 0) {
		lc->body = *body;   /* taken: the library leaves what remains to free */
		*body = (aws_buf)AWS_BUF_INIT;
	} else {
		lc->err = *err;
	}
}

/* json-loop: calls one-attempt JSON calls on an aws_http_loop driven by poll(). */
static int json_loop(aws_client *c, const aws_service *svc, const char *op, const char *body, int calls, int cold)
{
	aws_error e;
	aws_error_clear(&e);
	aws_credentials cr;
	if (!cold && aws_creds_get(aws_client_creds(c), &cr, &e) < 0)
		return fail(&e);
	aws_http_loop *l = aws_http_loop_new(aws_client_http(c), &e);
	if (!l)
		return fail(&e);
	loop_call lc = {0};
	for (int i = 0; i < calls; i++) {
		aws_buf_free(&lc.body);
		memset(&lc, 0, sizeof lc);
		if (aws_json_call_start(c, l, svc, op, body, strlen(body), loop_done, &lc, &lc.err) < 0) {
			lc.rc = -1;
			break;
		}
		while (!lc.finished) {
			struct pollfd p = {aws_http_loop_fd(l), POLLIN, 0};
			long ms = aws_http_loop_timeout_ms(l);
			int n = poll(&p, 1, ms < 0 || ms > 1000 ? 1000 : (int)ms);
			aws_http_loop_run(l, n > 0);
		}
		if (lc.rc < 0 || aws_http_loop_running(l) != 0)
			break;
	}
	aws_http_loop_free(l);
	int rc;
	if (lc.rc < 0) {
		rc = fail(&lc.err);
	} else {
		rc = succeed_text(&lc.body);
	}
	aws_buf_free(&lc.body);
	return rc;
}

int main(int argc, char **argv)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc == 2 && strcmp(argv[1], "services") == 0)
		return list_services();
	if (argc < 3)
		return usage();
	const char *cmd = argv[1];
	aws_error e;
	aws_error_clear(&e);

	if (strcmp(cmd, "endpoint") == 0) {
		const aws_service *svc = service_named(argv[2]);
		if (!svc)
			return usage();
		char region[64], ep[512];
		if (aws_region_resolve(NULL, region, sizeof region, &e) < 0 ||
		    aws_endpoint_resolve(svc->service_id, svc->endpoint_prefix, region, ep, sizeof ep,
					 &e) < 0)
			return fail(&e);
		return succeed(json_pack("{s:s, s:s}", "region", region, "endpoint", ep));
	}

	aws_client_opts opts = {0};
	opts.http.timeout_ms = env_long("SHOWTABLE_AWS_TIMEOUT_MS");
	opts.http.connect_timeout_ms = env_long("SHOWTABLE_AWS_CONNECT_TIMEOUT_MS");
	opts.http.max_response_bytes = (size_t)env_long("SHOWTABLE_AWS_MAX_RESPONSE_BYTES");
	aws_client *c = aws_client_new(&opts, &e);
	if (!c)
		return fail(&e);
	int rc;

	if ((strcmp(cmd, "json") == 0 || strcmp(cmd, "query") == 0) && argc == 5) {
		const aws_service *svc = service_named(argv[2]);
		if (!svc) {
			aws_client_free(c);
			return usage();
		}
		aws_buf resp = AWS_BUF_INIT;
		int r = cmd[0] == 'j'
			? aws_json_call(c, svc, argv[3], argv[4], strlen(argv[4]), &resp, &e)
			: aws_query_call(c, svc, argv[3], argv[4], &resp, &e);
		if (r < 0) {
			rc = fail(&e);
		} else if (cmd[0] == 'j') {
			rc = succeed_text(&resp);
		} else {
			rc = succeed(json_string(resp.data));
		}
		aws_buf_free(&resp);
	} else if (strcmp(cmd, "json-loop") == 0 && argc >= 5 && argc <= 7) {
		const aws_service *svc = service_named(argv[2]);
		int calls = argc > 5 && strcmp(argv[5], "--cold") != 0 ? atoi(argv[5]) : 1;
		int cold = strcmp(argv[argc - 1], "--cold") == 0;
		if (!svc || calls < 1) {
			aws_client_free(c);
			return usage();
		}
		rc = json_loop(c, svc, argv[3], argv[4], calls, cold);
	} else if (strcmp(cmd, "ssm-get") == 0) {
		int decrypt = argc > 3 && strcmp(argv[3], "--decrypt") == 0;
		aws_ssm_parameter p;
		if (aws_ssm_get_parameter(c, argv[2], decrypt, &p, &e) < 0) {
			rc = fail(&e);
		} else {
			rc = succeed(param_json(&p));
			aws_ssm_parameter_free(&p);
		}
	} else if (strcmp(cmd, "ssm-put") == 0 && argc >= 4) {
		aws_ssm_put_input in = {argv[2], argv[3], NULL, NULL, NULL, 0};
		for (int i = 4; i < argc; i++) {
			if (strcmp(argv[i], "--overwrite") == 0)
				in.overwrite = 1;
			else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
				in.type = argv[++i];
			else if (strcmp(argv[i], "--description") == 0 && i + 1 < argc)
				in.description = argv[++i];
			else if (strcmp(argv[i], "--key-id") == 0 && i + 1 < argc)
				in.key_id = argv[++i];
			else {
				aws_client_free(c);
				return usage();
			}
		}
		long long version = 0;
		if (aws_ssm_put_parameter(c, &in, &version, &e) < 0)
			rc = fail(&e);
		else
			rc = succeed(json_pack("{s:I}", "version", (json_int_t)version));
	} else if (strcmp(cmd, "ssm-delete") == 0) {
		rc = aws_ssm_delete_parameter(c, argv[2], &e) < 0 ? fail(&e) : succeed(NULL);
	} else if (strcmp(cmd, "ssm-get-parallel") == 0 && argc == 5) {
		int threads = atoi(argv[3]), calls = atoi(argv[4]);
		if (threads < 1 || threads > 64 || calls < 1) {
			aws_client_free(c);
			return usage();
		}
		par_job jobs[64];
		pthread_t tid[64];
		int started = 0, ok = 0;
		for (int i = 0; i < threads; i++) {
			jobs[i] = (par_job){c, argv[2], calls, 0, {0}};
			if (pthread_create(&tid[i], NULL, par_run, &jobs[i]) != 0)
				break;
			started++;
		}
		for (int i = 0; i < started; i++) {
			pthread_join(tid[i], NULL);
			ok += jobs[i].ok;
		}
		if (ok == started * calls && started == threads) {
			rc = succeed(json_pack("{s:i}", "ok_calls", ok));
		} else {
			for (int i = 0; i < started; i++)
				if (jobs[i].ok < calls)
					e = jobs[i].last;
			if (e.kind == AWS_OK)
				aws_error_set(&e, AWS_ERR_INVALID, "only %d of %d threads started",
					      started, threads);
			rc = fail(&e);
		}
	} else {
		rc = usage();
	}
	aws_client_free(c);
	return rc;
}

/* ctl_common.c — what every showtablectl command shares: the one AWS client of a run, its
 * JSON calls with jansson values, and error printing that turns an aws_error into "what failed — what to do" for a person.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "aws_creds.h"
#include "aws_ssm.h"
#include "ctl.h"

void ctl_errorf(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "showtablectl: %s\n", line);
}

int ctl_env_ms(const char *name, long *out)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long ms = strtol(v, &end, 10);
	if (errno || *end || ms <= 0 || ms > 3600L * 1000) {
		ctl_errorf("%s=\"%.32s\" is not a time in milliseconds (1 to 3600000) — fix or "
			   "unset it", name, v);
		return -1;
	}
	*out = ms;
	return 0;
}

/* The MFA prompt for role profiles with mfa_serial (aws_mfa_prompt_fn): asks on the
 * terminal that is standard input, without echo, prompting on standard error. */
static int ask_mfa(void *ud, const char *serial, char *code, size_t len, char *why, size_t why_len)
{
	(void)ud;
	if (!isatty(STDIN_FILENO)) {
		snprintf(why, why_len, "there is no terminal to ask on — run showtablectl on a terminal, "
				       "or use an sso_session or credential_process profile");
		return -1;
	}
	struct termios old, quiet;
	int restore = tcgetattr(STDIN_FILENO, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);   /* TCSANOW: keep what was typed ahead */
	}
	fprintf(stderr, "Enter MFA code for %s: ", serial);
	fflush(stderr);
	char line[64];
	char *got = fgets(line, sizeof line, stdin);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fputc('\n', stderr);
	if (!got) {
		snprintf(why, why_len, "no code was entered");
		return -1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	snprintf(code, len, "%s", line);
	explicit_bzero(line, sizeof line);
	return 0;
}

aws_client *ctl_client(ctl_ctx *ctx)
{
	if (ctx->client)
		return ctx->client;
	aws_client_opts o;
	memset(&o, 0, sizeof o);
	o.region = ctx->region;
	o.profile = ctx->profile;
	if (ctl_env_ms("SHOWTABLE_AWS_TIMEOUT_MS", &o.http.timeout_ms) < 0 ||
	    ctl_env_ms("SHOWTABLE_AWS_CONNECT_TIMEOUT_MS", &o.http.connect_timeout_ms) < 0)
		return NULL;
	aws_error err;
	aws_error_clear(&err);
	ctx->client = aws_client_new(&o, &err);
	if (!ctx->client && err.kind == AWS_ERR_CONFIG && !ctx->region &&
	    strstr(err.message, "region"))   /* the library's advice knows no flags */
		ctl_errorf("setting up the AWS client: %s — or pass --region, e.g. --region "
			   "eu-central-1", err.message);
	else if (!ctx->client)
		ctl_aws_error("setting up the AWS client", &err);
	else
		aws_creds_provider_set_mfa_prompt(aws_client_creds(ctx->client), ask_mfa, NULL);
	return ctx->client;
}

/* The IAM action an AccessDenied message names ("... is not authorized to perform:
 * dynamodb:Scan on resource ..."), copied into out; "" when it names none. */
json_t *ctl_json_call(aws_client *c, const aws_service *svc, const char *op, json_t *req,
		      aws_error *err)
{
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (body == NULL) {
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory building the %s request", op);
		return NULL;
	}
	aws_buf r = AWS_BUF_INIT;
	int rc = aws_json_call(c, svc, op, body, strlen(body), &r, err);
	free(body);
	json_t *out = NULL;
	if (rc == 0 && (out = json_loadb(r.data, r.len, 0, NULL)) == NULL)
		aws_error_set(err, AWS_ERR_NOMEM, "out of memory reading the %s answer", op);
	aws_buf_free(&r);
	return out;
}

static void ctl_denied_action(const char *msg, char *out, size_t len)
{
	out[0] = '\0';
	const char *p = strstr(msg, "perform: ");
	if (!p)
		return;
	p += strlen("perform: ");
	size_t n = strcspn(p, " \t,;");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* What a person can do about err, or NULL when we have nothing better than the message. */
static const char *ctl_hint(const char *context, const aws_error *err, char *buf, size_t len)
{
	const char *t = err->type;
	switch (err->kind) {
	case AWS_ERR_CREDENTIALS:
		return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with "
		       "--profile / AWS_PROFILE, or run where a role provides credentials";
	case AWS_ERR_TIMEOUT:
		return "the endpoint did not answer in time — check the network and the endpoint "
		       "(AWS_ENDPOINT_URL_*), or raise SHOWTABLE_AWS_TIMEOUT_MS / "
		       "SHOWTABLE_AWS_CONNECT_TIMEOUT_MS";
	case AWS_ERR_TRANSPORT:
		return "could not reach the endpoint — check the network, the region, and any "
		       "AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> override";
	case AWS_ERR_CONFIG:
		return NULL;  /* aws_config's messages already say what to set */
	default:
		break;
	}
	switch (aws_error_class(err)) {
	case AWS_CLASS_NOT_FOUND:
		if (strcmp(t, "ResourceNotFoundException") == 0)
			return "is the table stack deployed? (showtablectl deploy table)";
		if (strcmp(t, "ParameterNotFound") == 0)
			return "is the stack that writes it deployed? Or create it with "
			       "showtablectl param put NAME VALUE";
		break;
	case AWS_CLASS_ACCESS_DENIED: {
		char action[128];
		ctl_denied_action(err->message, action, sizeof action);
		snprintf(buf, len, "check the IAM permissions for %s",
			 action[0] ? action : context);
		return buf;
	}
	case AWS_CLASS_CREDS_REFUSED:
		return "the credentials were refused — check the access key and secret (and the "
		       "region: keys are checked where you send them)";
	case AWS_CLASS_CREDS_EXPIRED:
		return "the session credentials have expired — refresh them (e.g. aws sso login) "
		       "and retry; check the clock if this persists";
	case AWS_CLASS_THROTTLED:
		return "AWS is throttling these calls — retry later, or raise the table's capacity";
	case AWS_CLASS_TRANSIENT:
	case AWS_CLASS_OTHER:
		break;
	}
	if (err->kind == AWS_ERR_PROTOCOL)
		return "the endpoint's answer is not what the AWS API documents — is the endpoint "
		       "(AWS_ENDPOINT_URL_*) really that service?";
	return NULL;
}

void ctl_aws_error(const char *context, const aws_error *err)
{
	char line[1200], hint[256];
	aws_error_str(err, line, sizeof line);
	const char *h = ctl_hint(context, err, hint, sizeof hint);
	if (h)
		ctl_errorf("%s: %s — %s", context, line, h);
	else
		ctl_errorf("%s: %s", context, line);
}

int ctl_parse_long(const char *flag, const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || errno || *end || v < min || v > max) {
		ctl_errorf("%s needs a number from %ld to %ld, not \"%.32s\"", flag, min, max,
			   s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

const char *ctl_table_name(ctl_ctx *ctx, const char *given, char *buf, size_t len)
{
	if (given && *given)
		return given;
	char name[512];
	snprintf(name, sizeof name, "%s/table", ctx->param_prefix ? ctx->param_prefix : "");
	aws_client *c = ctl_client(ctx);
	if (!c)
		return NULL;
	aws_ssm_parameter p;
	memset(&p, 0, sizeof p);
	aws_error err;
	if (aws_ssm_get_parameter(c, name, 0, &p, &err) < 0) {
		char what[600];
		snprintf(what, sizeof what, "no --table given, and reading the table name from SSM "
			 "%s failed", name);
		ctl_aws_error(what, &err);
		return NULL;
	}
	int ok = p.value && *p.value && strlen(p.value) < len;
	if (ok)
		snprintf(buf, len, "%s", p.value);
	else
		ctl_errorf("SSM parameter %s does not hold a table name — pass --table T", name);
	aws_ssm_parameter_free(&p);
	return ok ? buf : NULL;
}

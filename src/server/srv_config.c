/* srv_config.c — flags and SHOWTABLE_* variables for the server, from one table.
 *
 * The table below is the single list of options: parsing, the environment and --help all
 * read it, so an option cannot exist in one place and be missing from another.
 */
#include "srv_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum opt_kind { OPT_STR, OPT_LONG, OPT_LISTEN, OPT_LEVEL, OPT_PROXIES, OPT_CODES } opt_kind;

typedef struct opt_def {
	const char *flag;      /* without "--" */
	const char *env;
	opt_kind kind;
	size_t off;            /* offset in srv_config */
	long min, max;         /* OPT_LONG bounds */
	const char *def;       /* default as text (applied through the same parser) */
	const char *arg;       /* placeholder in --help */
	const char *help;
} opt_def;

#define OFF(f) offsetof(srv_config, f)
static const opt_def OPTS[] = {
	{"listen", "SHOWTABLE_LISTEN", OPT_LISTEN, OFF(listen_port), 0, 0, ":8080", "[ADDR]:PORT",
	 "address and port to listen on; no address = every IPv4 and IPv6 address"},
	{"htpasswd", "SHOWTABLE_HTPASSWD", OPT_STR, OFF(htpasswd), 0, 0, NULL, "FILE",
	 "users and password hashes (htpasswd -B / mkpasswd -m yescrypt); default: SSM <prefix>/credentials"},
	{"param-prefix", "SHOWTABLE_PARAM_PREFIX", OPT_STR, OFF(param_prefix), 0, 0, "/go-on-aws", "PREFIX",
	 "SSM parameter prefix for <prefix>/table and <prefix>/credentials"},
	{"table", "SHOWTABLE_TABLE", OPT_STR, OFF(table), 0, 0, NULL, "NAME",
	 "DynamoDB table to show; default: SSM <prefix>/table"},
	{"table-ttl", "SHOWTABLE_TABLE_TTL", OPT_LONG, OFF(table_ttl_s), 1, 86400, "60", "SECONDS",
	 "how long the table name read from SSM is cached"},
	{"credentials-refresh", "SHOWTABLE_CREDENTIALS_REFRESH", OPT_LONG, OFF(credentials_refresh_s), 1, 86400, "300", "SECONDS",
	 "how often SSM <prefix>/credentials is read again (rotated passwords work without restart)"},
	{"assets", "SHOWTABLE_ASSETS", OPT_STR, OFF(assets), 0, 0, NULL, "DIR",
	 "folder with css/, js/, favicon.ico; default: ../share/showtable/web next to the binary, or ./web"},
	{"log-level", "SHOWTABLE_LOG_LEVEL", OPT_LEVEL, OFF(log_level), 0, 0, "info", "LEVEL",
	 "debug, info (one line per request), warn or error"},
	{"grace", "SHOWTABLE_GRACE", OPT_LONG, OFF(grace_s), 0, 3600, "10", "SECONDS",
	 "on SIGTERM/SIGINT, how long requests in flight may take to finish"},
	{"trusted-proxies", "SHOWTABLE_TRUSTED_PROXIES", OPT_PROXIES, OFF(nproxies), 0, 0, "", "CIDR,...",
	 "proxies whose X-Forwarded-For is believed (e.g. the VPC range); default: none"},
	{"max-connections", "SHOWTABLE_MAX_CONNECTIONS", OPT_LONG, OFF(max_connections), 1, 65536, "1024", "N",
	 "connections open at once; at the limit the longest idle one is closed to make room"},
	{"max-connections-per-ip", "SHOWTABLE_MAX_CONNECTIONS_PER_IP", OPT_LONG, OFF(max_connections_per_ip), 0, 65536, "256", "N",
	 "connections open at once from one address, --trusted-proxies excepted; 0 = no limit"},
	{"max-header-bytes", "SHOWTABLE_MAX_HEADER_BYTES", OPT_LONG, OFF(max_header_bytes), 4096, 1048576, "8192", "BYTES",
	 "request line + headers; larger requests get 431"},
	{"max-url-bytes", "SHOWTABLE_MAX_URL_BYTES", OPT_LONG, OFF(max_url_bytes), 256, 1048576, "8192", "BYTES",
	 "request target (path + query); longer gets 414"},
	{"max-form-bytes", "SHOWTABLE_MAX_FORM_BYTES", OPT_LONG, OFF(max_form_bytes), 256, 1048576, "16384", "BYTES",
	 "POST /query form body; larger gets 413"},
	{"request-timeout", "SHOWTABLE_REQUEST_TIMEOUT", OPT_LONG, OFF(request_timeout_s), 1, 3600, "10", "SECONDS",
	 "time a client has to send a whole request (slow clients are cut off)"},
	{"idle-timeout", "SHOWTABLE_IDLE_TIMEOUT", OPT_LONG, OFF(idle_timeout_s), 1, 3600, "75", "SECONDS",
	 "keep-alive connection idle time (above the load balancer's 60 s)"},
	{"workers", "SHOWTABLE_WORKERS", OPT_LONG, OFF(workers), 1, 256, "4", "N",
	 "threads making the pages of logged-in users (DynamoDB/SSM calls)"},
	{"login-workers", "SHOWTABLE_LOGIN_WORKERS", OPT_LONG, OFF(login_workers), 1, 256, "1", "N",
	 "threads checking passwords not seen before, apart from the page workers (a flood of wrong logins never delays logged-in users)"},
	{"max-waiting", "SHOWTABLE_MAX_WAITING", OPT_LONG, OFF(max_waiting), 1, 100000, "1024", "N",
	 "requests waiting for a worker, per queue; more get 503 at once (load shedding)"},
	{"scan-budget", "SHOWTABLE_SCAN_BUDGET_MS", OPT_LONG, OFF(scan_budget_ms), 100, 600000, "5000", "MS",
	 "time one page may spend scanning for matching items"},
	{"aws-timeout", "SHOWTABLE_AWS_TIMEOUT_MS", OPT_LONG, OFF(aws_timeout_ms), 100, 600000, "10000", "MS",
	 "time one attempt of a DynamoDB/SSM call may take (retries come on top; a page that times out is a 504)"},
	{"login-failures", "SHOWTABLE_LOGIN_FAILURES", OPT_LONG, OFF(login_failures), 1, 1000000, "10", "N",
	 "login attempts (failed or being checked) per client per minute before it gets 429"},
	{"auth-cache-size", "SHOWTABLE_AUTH_CACHE_SIZE", OPT_LONG, OFF(auth_cache_size), 1, 1000000, "1024", "N",
	 "verified logins remembered (saves a password hash per request)"},
	{"auth-cache-ttl", "SHOWTABLE_AUTH_CACHE_TTL", OPT_LONG, OFF(auth_cache_ttl_s), 1, 86400, "300", "SECONDS",
	 "how long a verified login is remembered"},
	{"healthy-codes", "SHOWTABLE_HEALTHY_CODES", OPT_CODES, OFF(nhealthy), 0, 0, "200-299", "CODES",
	 "with --health-check: HTTP codes meaning healthy, e.g. 200,401 or 200-299"},
	{"health-timeout", "SHOWTABLE_HEALTH_TIMEOUT_MS", OPT_LONG, OFF(health_timeout_ms), 100, 60000, "4000", "MS",
	 "with --health-check: time the whole check may take (below the container check's timeout)"},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int srv_cidr_parse(const char *s, srv_cidr *out)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof addr)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(out, 0, sizeof *out);
	int bits;
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		return -1;
	}
	out->prefix = bits;
	if (slash) {
		long p;
		if (parse_long(slash + 1, &p) || p < 0 || p > bits)
			return -1;
		out->prefix = (int)p;
	}
	return 0;
}

static int prefix_match(const unsigned char *a, const unsigned char *net, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(a, net, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (net[full] & mask);
}

int srv_cidr_match(const srv_cidr *ranges, int n, int family, const unsigned char *addr)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (int i = 0; i < n; i++)
		if (ranges[i].family == family && prefix_match(addr, ranges[i].addr, ranges[i].prefix))
			return 1;
	return 0;
}

int srv_codes_parse(const char *s, srv_code_range *out, int max)
{
	int n = 0;
	const char *p = s;
	for (;;) {
		char *end;
		errno = 0;
		long lo = strtol(p, &end, 10), hi = lo;
		if (errno || end == p || *p == '-' || *p == '+' || *p == ' ')
			return -1;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -1;
			hi = strtol(p, &end, 10);
			if (errno)
				return -1;
		}
		if (lo < 100 || hi > 599 || lo > hi || n >= max)
			return -1;
		out[n].lo = (int)lo;
		out[n].hi = (int)hi;
		n++;
		if (*end == '\0')
			return n;
		if (*end != ',')
			return -1;
		p = end + 1;
	}
}

int srv_codes_match(const srv_code_range *ranges, int n, long status)
{
	for (int i = 0; i < n; i++)
		if (status >= ranges[i].lo && status <= ranges[i].hi)
			return 1;
	return 0;
}

static int set_listen(srv_config *cfg, const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon)
		return -1;
	size_t hl = (size_t)(colon - v);
	const char *h = v;
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']') { /* [::1]:8080 */
		h = v + 1;
		hl -= 2;
	}
	if (hl >= sizeof cfg->listen_host)
		return -1;
	long port;
	if (parse_long(colon + 1, &port) || port < 0 || port > 65535)
		return -1;
	if (hl > 0) {
		char tmp[256];
		unsigned char a[16];
		memcpy(tmp, h, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET, tmp, a) != 1 && inet_pton(AF_INET6, tmp, a) != 1)
			return -1;
	}
	memcpy(cfg->listen_host, h, hl);
	cfg->listen_host[hl] = '\0';
	cfg->listen_port = (int)port;
	return 0;
}

static int set_proxies(srv_config *cfg, const char *v)
{
	cfg->nproxies = 0;
	const char *p = v;
	while (*p) {
		while (*p == ',' || *p == ' ')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", ");
		char one[80];
		if (n >= sizeof one || cfg->nproxies >= SRV_MAX_PROXIES)
			return -1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (srv_cidr_parse(one, &cfg->proxies[cfg->nproxies]))
			return -1;
		cfg->nproxies++;
		p += n;
	}
	return 0;
}

/* Applies one value; on failure writes why into err naming `who` (the flag or variable). */
static int apply(srv_config *cfg, const opt_def *o, const char *v, const char *who, aws_error *err)
{
	char *base = (char *)cfg;
	switch (o->kind) {
	case OPT_STR:
		if (v[0] == '\0')
			return aws_error_set(err, AWS_ERR_INVALID, "%s: needs a value (%s)", who, o->arg);
		*(const char **)(base + o->off) = v;
		return 0;
	case OPT_LONG: {
		long n;
		if (parse_long(v, &n) || n < o->min || n > o->max)
			return aws_error_set(err, AWS_ERR_INVALID, "%s: \"%.64s\" is not a number from %ld to %ld (%s)",
					     who, v, o->min, o->max, o->arg);
		*(long *)(base + o->off) = n;
		return 0;
	}
	case OPT_LISTEN:
		if (set_listen(cfg, v))
			return aws_error_set(err, AWS_ERR_INVALID,
					     "%s: \"%.64s\" is not [ADDR]:PORT (e.g. :8080, 127.0.0.1:8080, [::1]:8080)", who, v);
		return 0;
	case OPT_LEVEL: {
		static const char *names[] = {"debug", "info", "warn", "error"};
		for (int i = 0; i < 4; i++)
			if (strcmp(v, names[i]) == 0) {
				cfg->log_level = (srv_log_level)i;
				return 0;
			}
		return aws_error_set(err, AWS_ERR_INVALID, "%s: \"%.64s\" is not one of debug, info, warn, error", who, v);
	}
	case OPT_PROXIES:
		if (set_proxies(cfg, v))
			return aws_error_set(err, AWS_ERR_INVALID,
					     "%s: \"%.64s\" is not a comma-separated list of at most %d CIDR ranges (e.g. 10.0.0.0/16,fd00::/8)",
					     who, v, SRV_MAX_PROXIES);
		return 0;
	case OPT_CODES: {
		int n = srv_codes_parse(v, cfg->healthy, SRV_MAX_CODE_RANGES);
		if (n < 0)
			return aws_error_set(err, AWS_ERR_INVALID,
					     "%s: \"%.64s\" is not a list of HTTP codes 100-599 or ranges (e.g. 200,401 or 200-299)",
					     who, v);
		cfg->nhealthy = n;
		return 0;
	}
	}
	return -1;
}

int srv_config_parse(srv_config *cfg, int argc, char **argv, srv_config_result *what, aws_error *err)
{
	memset(cfg, 0, sizeof *cfg);
	*what = SRV_CONFIG_RUN;
	for (size_t i = 0; i < NOPTS; i++)
		if (OPTS[i].def && apply(cfg, &OPTS[i], OPTS[i].def, OPTS[i].flag, err))
			return -1; /* a bad default is a programming error, still reported as a value */
	for (size_t i = 0; i < NOPTS; i++) {
		const char *v = getenv(OPTS[i].env);
		if (v && apply(cfg, &OPTS[i], v, OPTS[i].env, err))
			return -1;
	}
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			*what = SRV_CONFIG_HELP;
			return 0;
		}
		if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
			*what = SRV_CONFIG_VERSION;
			return 0;
		}
		if (strcmp(arg, "--health-check") == 0 || strncmp(arg, "--health-check=", 15) == 0) {
			const char *url = arg[14] == '=' ? arg + 15 : a + 1 < argc ? argv[++a] : NULL;
			if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
				return aws_error_set(err, AWS_ERR_INVALID,
						     "--health-check needs an http:// or https:// URL (e.g. http://127.0.0.1:8080/ping)");
			cfg->health_url = url;
			*what = SRV_CONFIG_HEALTH_CHECK;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0)
			return aws_error_set(err, AWS_ERR_INVALID, "unexpected argument \"%.64s\" (see --help)", arg);
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const opt_def *o = NULL;
		for (size_t i = 0; i < NOPTS; i++)
			if (strlen(OPTS[i].flag) == nl && strncmp(OPTS[i].flag, name, nl) == 0)
				o = &OPTS[i];
		if (!o)
			return aws_error_set(err, AWS_ERR_INVALID, "unknown option \"%.64s\" (see --help)", arg);
		const char *v;
		if (eq) {
			v = eq + 1;
		} else {
			if (a + 1 >= argc)
				return aws_error_set(err, AWS_ERR_INVALID, "--%s needs a value (%s)", o->flag, o->arg);
			v = argv[++a];
		}
		char who[64];
		snprintf(who, sizeof who, "--%s", o->flag);
		if (apply(cfg, o, v, who, err))
			return -1;
	}
	/* The URL and the headers share the connection's memory: a URL limit above it is moot. */
	if (cfg->max_url_bytes > cfg->max_header_bytes)
		cfg->max_url_bytes = cfg->max_header_bytes;
	size_t pl = strlen(cfg->param_prefix);
	if (cfg->param_prefix[0] != '/' || (pl > 1 && cfg->param_prefix[pl - 1] == '/'))
		return aws_error_set(err, AWS_ERR_INVALID,
				     "--param-prefix: \"%.64s\" must start with '/' and not end with one (e.g. /go-on-aws)",
				     cfg->param_prefix);
	return 0;
}

void srv_config_help(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION...]\n"
		"Serves a DynamoDB table as web pages (every attribute of every item, page by page)\n"
		"and as JSON (/api/items), behind HTTP Basic auth. /ping answers without auth.\n\n"
		"Every option can also be set with the environment variable shown; a flag wins.\n\n",
		prog);
	for (size_t i = 0; i < NOPTS; i++) {
		const opt_def *o = &OPTS[i];
		char left[64];
		snprintf(left, sizeof left, "--%s %s", o->flag, o->arg);
		fprintf(f, "  %-34s %s\n  %-34s [%s", left, o->help, "", o->env);
		if (o->def && o->def[0])
			fprintf(f, ", default %s", o->def);
		fprintf(f, "]\n");
	}
	fprintf(f, "  %-34s %s\n  %-34s %s\n", "--health-check URL",
		"GET URL once and exit 0 when its status is in --healthy-codes, else 1",
		"", "(a container health check for an image without a shell; not read from the environment)");
	fprintf(f, "  %-34s %s\n  %-34s %s\n\n", "--help", "this text", "--version", "the version");
	fprintf(f,
		"AWS settings come from the usual AWS_* variables (AWS_REGION, AWS_PROFILE,\n"
		"AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SSM, ...) and the ECS task role.\n"
		"Signals: SIGTERM/SIGINT stop accepting, let requests finish (--grace), exit 0.\n");
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int srv_config_find_assets(const char *argv0, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 && argv0 && strlen(argv0) < sizeof self) {
		strcpy(self, argv0);
		n = (ssize_t)strlen(self);
	}
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			static const char *rel[] = {"/../share/showtable/web", "/../../web", "/../web"};
			for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
				snprintf(out, len, "%s%s", self, rel[i]);
				if (is_dir(out))
					return 0;
			}
		}
	}
	snprintf(out, len, "./web");
	return is_dir(out) ? 0 : -1;
}

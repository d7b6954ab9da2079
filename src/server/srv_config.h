/* srv_config.h — showtable's settings: command-line flags, each also an environment variable.
 *
 * 12-factor: every option has a SHOWTABLE_* variable; a flag beats its variable, which beats
 * the default. Parsing never exits: it returns what to do, and errors are aws_error values
 * naming the option and what is accepted.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stdio.h>
#include "aws_error.h"

#define SRV_MAX_PROXIES 16
#define SRV_MAX_CODE_RANGES 16

typedef struct srv_cidr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network address, IPv4 in the first 4 bytes */
	int prefix;               /* prefix length in bits */
} srv_cidr;

/* HTTP status codes lo..hi inclusive (lo == hi for one code). */
typedef struct srv_code_range {
	int lo, hi;
} srv_code_range;

typedef enum srv_log_level { SRV_LOG_DEBUG, SRV_LOG_INFO, SRV_LOG_WARN, SRV_LOG_ERROR } srv_log_level;

typedef struct srv_config {
	char listen_host[256];     /* "" = every address, IPv4 and IPv6 */
	int listen_port;
	const char *htpasswd;      /* NULL = credentials from SSM */
	const char *param_prefix;  /* SSM prefix, no trailing '/' */
	const char *table;         /* NULL = from SSM <prefix>/table */
	long table_ttl_s;
	long credentials_refresh_s;
	const char *assets;        /* NULL = found next to the binary (srv_config_find_assets) */
	srv_log_level log_level;
	long grace_s;
	srv_cidr proxies[SRV_MAX_PROXIES];
	int nproxies;
	long max_connections;
	long max_connections_per_ip;
	long max_header_bytes;
	long max_url_bytes;
	long max_form_bytes;
	long request_timeout_s;    /* request line to last body byte */
	long idle_timeout_s;       /* keep-alive idle / no progress */
	long workers;
	long login_workers;        /* threads for password checks of logins not yet verified */
	long max_waiting;          /* page requests queued for a worker before 503 */
	long scan_budget_ms;
	long aws_timeout_ms;       /* one attempt of an AWS call */
	long login_failures;       /* failed logins per client per minute before 429 */
	long auth_cache_size;
	long auth_cache_ttl_s;
	const char *health_url;    /* --health-check URL (argv only); NULL = serve */
	srv_code_range healthy[SRV_MAX_CODE_RANGES];  /* --healthy-codes */
	int nhealthy;
	long health_timeout_ms;
} srv_config;

typedef enum srv_config_result {
	SRV_CONFIG_RUN,
	SRV_CONFIG_HELP,
	SRV_CONFIG_VERSION,
	SRV_CONFIG_HEALTH_CHECK    /* check health_url and exit (srv_health.h) instead of serving */
} srv_config_result;

/* Fills cfg from defaults, then the environment (getenv), then argv. Strings point into
 * argv or the environment (not copied). Returns 0 with *what set, or -1 with
 * AWS_ERR_INVALID naming the flag or variable ("--grace: \"x\" is not a number of seconds").
 * --health-check URL is taken from argv only, never from the environment: a variable left
 * in a task's environment must not turn the server into a one-shot checker. */
int srv_config_parse(srv_config *cfg, int argc, char **argv, srv_config_result *what,
		     aws_error *err);

/* Writes the --help text (every flag with its variable and default) to f. */
void srv_config_help(FILE *f, const char *prog);

/* Parses "a.b.c.d/n" or "v6::/n" (a bare address = /32 or /128) into *out. Returns 0 or -1. */
int srv_cidr_parse(const char *s, srv_cidr *out);
/* 1 when the address (family AF_INET with 4 bytes or AF_INET6 with 16; IPv4-mapped IPv6 is
 * matched as IPv4) is inside any of the n ranges. */
int srv_cidr_match(const srv_cidr *ranges, int n, int family, const unsigned char *addr);

/* Parses "200", "200,401", "200-299,401" (codes 100..599, at most max ranges) into out.
 * Returns the number of ranges, or -1. */
int srv_codes_parse(const char *s, srv_code_range *out, int max);
/* 1 when status is inside any of the n ranges. */
int srv_codes_match(const srv_code_range *ranges, int n, long status);

/* Resolves the assets folder when cfg->assets is NULL: <bindir>/../share/showtable/web,
 * then <bindir>/../../web (the source tree, for build/showtable), then ./web. Writes it into
 * out; returns 0, or -1 when none exists. */
int srv_config_find_assets(const char *argv0, char *out, size_t len);

#endif

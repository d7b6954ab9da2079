/* main.c — showtable: the web server that shows a DynamoDB table, page by page.
 *
 * Start-up reads the settings, loads the assets and the users (refusing to start without
 * any), then serves until SIGTERM/SIGINT, when it stops accepting, lets requests in flight
 * finish within --grace and exits 0. A background thread re-reads the users every
 * --credentials-refresh seconds so a rotated password works without a restart.
 * `--health-check URL` instead makes one request and exits 0/1 (srv_health.h).
 */
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "aws_client.h"
#include "srv_auth.h"
#include "srv_config.h"
#include "srv_cursor.h"
#include "srv_health.h"
#include "srv_http.h"
#include "srv_log.h"
#include "srv_static.h"
#include "srv_table.h"

typedef struct refresher {
	const srv_config *cfg;
	srv_auth *auth;
	aws_client *client;
	char param[600];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
} refresher;

static int load_users(refresher *r, int *changed, aws_error *err)
{
	if (r->cfg->htpasswd)
		return srv_auth_load_file(r->auth, r->cfg->htpasswd, changed, err);
	return srv_auth_load_ssm(r->auth, r->client, r->param, changed, err);
}

static void *refresh_main(void *arg)
{
	refresher *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->quit) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += r->cfg->credentials_refresh_s;
		while (!r->quit && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
			;
		if (r->quit)
			break;
		pthread_mutex_unlock(&r->mu);
		aws_error e;
		int changed = 0;
		if (load_users(r, &changed, &e)) {
			char why[1024];
			srv_log_event(SRV_LOG_WARN, "credentials_refresh", "keeping the current users: %s",
				      aws_error_str(&e, why, sizeof why));
		} else if (changed) {
			srv_log_event(SRV_LOG_INFO, "credentials_refresh", "users reloaded from %s (%ld users)",
				      r->cfg->htpasswd ? r->cfg->htpasswd : r->param, srv_auth_user_count(r->auth));
		}
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void stop_refresher(refresher *r, pthread_t thread)
{
	pthread_mutex_lock(&r->mu);
	r->quit = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(thread, NULL);
}

/* The AWS client: one attempt of a call takes at most --aws-timeout, a connection 3 s. */
static aws_client *new_client(const srv_config *cfg, aws_error *e)
{
	aws_client_opts copts;
	memset(&copts, 0, sizeof copts);
	copts.http.timeout_ms = cfg->aws_timeout_ms;
	copts.http.connect_timeout_ms = cfg->aws_timeout_ms < 3000 ? cfg->aws_timeout_ms : 3000;
	return aws_client_new(&copts, e);
}

static int fail(const char *what, const aws_error *e)
{
	char why[1024];
	fprintf(stderr, "showtable: %s%s%s\n", what, what[0] ? ": " : "", aws_error_str(e, why, sizeof why));
	srv_log_event(SRV_LOG_ERROR, "startup", "%s%s%s", what, what[0] ? ": " : "", why);
	return 1;
}

/* --health-check: one request, exit 0/1. One line either way: ECS keeps the check's
 * output for `describe-tasks`. */
static int health_check(const srv_config *cfg)
{
	long status;
	char why[1024];
	aws_error e;
	aws_error_clear(&e);
	if (srv_health_check(cfg->health_url, cfg->healthy, cfg->nhealthy, cfg->health_timeout_ms, &status, &e)) {
		fprintf(stderr, "showtable: unhealthy: %s\n", aws_error_str(&e, why, sizeof why));
		return 1;
	}
	printf("showtable: healthy: %s answered %ld\n", cfg->health_url, status);
	return 0;
}

/* Process-wide settings for a server with many connections and few threads. */
static void tune_process(const srv_config *cfg)
{
	/* Few threads, small heaps: glibc's default of 8 arenas per core only holds on to
	 * freed memory (RssAnon) without making anything faster here. */
	mallopt(M_ARENA_MAX, 2);
	/* Each connection is a file descriptor: raise the soft limit (often 1024) towards the
	 * hard one so --max-connections can be reached, and say so when it cannot. */
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + 128;   /* + the transport's slack and our own */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < want)
			srv_log_event(SRV_LOG_WARN, "limits",
				      "open files limited to %llu: fewer than --max-connections %ld can be served",
				      (unsigned long long)rl.rlim_cur, cfg->max_connections);
	}
}

/* Signals are taken by sigwait in the main thread only; every thread started later
 * inherits the mask. A client closing a socket must not kill us (SIGPIPE). */
static void take_signals(sigset_t *sigs)
{
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(sigs);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/* The web assets, from --assets or found next to the binary; the folder used into dir. */
static srv_static *open_assets(const srv_config *cfg, const char *argv0, char *dir, size_t len, aws_error *e)
{
	if (cfg->assets)
		snprintf(dir, len, "%s", cfg->assets);
	else if (srv_config_find_assets(argv0, dir, len)) {
		aws_error_set(e, AWS_ERR_IO, "no assets folder found next to the binary or in ./web — set --assets DIR");
		return NULL;
	}
	return srv_static_load(dir, e);
}

/* The first load of the users: without any the server refuses to start, saying how. */
static int first_users(refresher *rf, aws_error *e)
{
	if (load_users(rf, NULL, e) == 0)
		return 0;
	char why[1024];
	aws_error_str(e, why, sizeof why);
	fprintf(stderr,
		"showtable: no credentials, refusing to start without a login: %s\n"
		"  Configure users with --htpasswd FILE (or SHOWTABLE_HTPASSWD), e.g. made with\n"
		"  `htpasswd -cB FILE USER`, or store htpasswd lines in the SSM SecureString\n"
		"  %s (prefix: --param-prefix / SHOWTABLE_PARAM_PREFIX).\n",
		why, rf->param);
	srv_log_event(SRV_LOG_ERROR, "startup", "no credentials: %s", why);
	return -1;
}

/* Serves until SIGTERM or SIGINT, then stops gracefully (srv is freed). */
static void serve_until_signal(srv_server *srv, const sigset_t *sigs, const srv_config *cfg)
{
	int sig = 0;
	sigwait(sigs, &sig);
	srv_log_event(SRV_LOG_INFO, "shutdown", "%s: no new connections, finishing requests in flight (grace %ld s)",
		      sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg->grace_s);
	int left = srv_http_shutdown(srv, cfg->grace_s * 1000);
	if (left)
		srv_log_event(SRV_LOG_WARN, "shutdown", "%d requests were still running at the end of the grace period",
			      left);
	srv_log_event(SRV_LOG_INFO, "shutdown", "stopped");
}

/* The command line into cfg; -1 to serve, else the exit status of what was asked instead
 * (--help, --version, --health-check) or of a bad command line. */
static int read_command_line(srv_config *cfg, int argc, char **argv)
{
	srv_config_result what;
	aws_error e;
	aws_error_clear(&e);
	if (srv_config_parse(cfg, argc, argv, &what, &e)) {
		fprintf(stderr, "showtable: %s\n", e.message);
		return 2;
	}
	if (what == SRV_CONFIG_HELP) {
		srv_config_help(stdout, "showtable");
		return 0;
	}
	if (what == SRV_CONFIG_VERSION) {
		printf("showtable %s\n", SHOWTABLE_VERSION);
		return 0;
	}
	if (what == SRV_CONFIG_HEALTH_CHECK)
		return health_check(cfg);
	return -1;
}

int main(int argc, char **argv)
{
	srv_config cfg;
	int status = read_command_line(&cfg, argc, argv);
	if (status >= 0)
		return status;
	aws_error e;
	aws_error_clear(&e);
	srv_log_set_level(cfg.log_level);
	tune_process(&cfg);

	sigset_t sigs;
	take_signals(&sigs);

	char assets_dir[PATH_MAX];
	srv_static *assets = open_assets(&cfg, argv[0], assets_dir, sizeof assets_dir, &e);
	if (!assets)
		return fail("", &e);

	aws_client *client = new_client(&cfg, &e);
	if (!client) {
		srv_static_free(assets);
		return fail("AWS client", &e);
	}
	int rc = 1;
	srv_auth *auth = NULL;
	srv_table *table = NULL;
	srv_server *srv = NULL;
	refresher rf;
	memset(&rf, 0, sizeof rf);
	pthread_mutex_init(&rf.mu, NULL);
	pthread_cond_init(&rf.cv, NULL);
	pthread_t rf_thread;
	int rf_started = 0;

	auth = srv_auth_new(cfg.auth_cache_size, cfg.auth_cache_ttl_s, cfg.login_failures, &e);
	if (!auth) {
		fail("", &e);
		goto out;
	}
	/* password checks never hold more than half the workers: pages keep the rest */
	srv_auth_set_check_limits(auth, SRV_AUTH_CHECKS_PER_CLIENT, cfg.workers > 1 ? cfg.workers / 2 : 1);
	rf.cfg = &cfg;
	rf.auth = auth;
	rf.client = client;
	snprintf(rf.param, sizeof rf.param, "%s/credentials", cfg.param_prefix);
	if (first_users(&rf, &e))
		goto out;
	char tparam[600];
	snprintf(tparam, sizeof tparam, "%s/table", cfg.param_prefix);
	table = srv_table_new(cfg.table, tparam, cfg.table_ttl_s, &e);
	if (!table) {
		fail("", &e);
		goto out;
	}
	srv_deps deps = {.cfg = &cfg, .client = client, .auth = auth, .table = table, .assets = assets};
	if (srv_cursor_key_random(&deps.cursor_key, &e)) {
		fail("", &e);
		goto out;
	}
	srv = srv_http_start(&deps, &e);
	explicit_bzero(&deps.cursor_key, sizeof deps.cursor_key);
	if (!srv) {
		fail("", &e);
		goto out;
	}
	if (pthread_create(&rf_thread, NULL, refresh_main, &rf) == 0)
		rf_started = 1;
	srv_log_event(SRV_LOG_INFO, "listening",
		      "showtable %s on %s:%d, table %s, users from %s (%ld), assets %s (%zu files)", SHOWTABLE_VERSION,
		      cfg.listen_host[0] ? cfg.listen_host : "*", srv_http_port(srv),
		      cfg.table ? cfg.table : tparam, cfg.htpasswd ? cfg.htpasswd : rf.param, srv_auth_user_count(auth),
		      assets_dir, srv_static_count(assets));

	serve_until_signal(srv, &sigs, &cfg);
	srv = NULL;
	rc = 0;
out:
	aws_client_cancel(client);   /* a refresh still in an SSM call ends now */
	if (rf_started)
		stop_refresher(&rf, rf_thread);
	if (srv)
		srv_http_shutdown(srv, 0);
	srv_table_free(table);
	srv_auth_free(auth);
	aws_client_free(client);
	srv_static_free(assets);
	pthread_mutex_destroy(&rf.mu);
	pthread_cond_destroy(&rf.cv);
	srv_log_flush();
	return rc;
}

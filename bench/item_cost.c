/* item_cost.c — the server's CPU for GET /item/<id> against its parts: /ping (the HTTP
 * floor) and the GetItem call itself, made here with the same client library, both as a
 * blocking call and as the server makes it, one attempt on an event loop (aws_http_loop).
 *
 * In rounds, each in a rotating order: R GETs of /ping, R GETs of /item/<id> (kept-alive
 * connections, one request at a time), the server's CPU for each batch read from
 * /proc/PID/task/N/schedstat (nanoseconds on a CPU, every thread), and R GetItem calls of the
 * same key from this program each way, timed with its own thread's CPU clock — on CPU
 * GETITEM_CPU, the server's own core, so both see the same cache and the same neighbours.
 * Prints the median per request of each and /item's remainder after the GetItem, as a
 * multiple of /ping.
 * Usage: item_cost TABLE ITEM_ID SERVER_PID BASE_URL ROUNDS R GETITEM_CPU   (AWS_* environment
 * as for showtable; ITEM_COST_AUTH: the Authorization header's value) */
#include <curl/curl.h>
#include <dirent.h>
#include <sched.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_client.h"
#include "aws_ddb.h"
#include "aws_http.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nanoseconds every thread of pid has run. */
static double proc_cpu_ns(const char *pid)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/%s/task", pid);
	DIR *d = opendir(path);
	double sum = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char p[300];
		snprintf(p, sizeof p, "/proc/%s/task/%s/schedstat", pid, e->d_name);
		FILE *f = fopen(p, "r");
		unsigned long long ns = 0;
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += (double)ns;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

/* Server CPU (µs) a request over r GETs of url; exits on a non-200. */
static double server_us(CURL *h, const char *url, const char *pid, int r)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	double t0 = proc_cpu_ns(pid);
	for (int i = 0; i < r; i++) {
		long code = 0;
		if (curl_easy_perform(h) != CURLE_OK ||
		    (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code), code != 200)) {
			fprintf(stderr, "item_cost: GET %s answered %ld\n", url, code);
			exit(1);
		}
	}
	return (proc_cpu_ns(pid) - t0) / r / 1e3;
}

/* Moves this thread to CPU cpu. */
static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		perror("item_cost: sched_setaffinity");
		exit(1);
	}
}

typedef struct loop_get {
	int finished, rc;
	aws_buf body;
	aws_error err;
} loop_get;

static void loop_done(void *ud, int rc, aws_buf *body, const aws_error *err)
{
	loop_get *g = ud;
	g->finished = 1;
	g->rc = rc;
	if (rc == 0) {
		g->body = *body;   /* taken */
		*body = (aws_buf)AWS_BUF_INIT;
	} else {
		g->err = *err;
	}
}

/* One GetItem as the server's event loop makes it: its request built, one attempt started on
 * l, the loop's descriptor waited on until it ends, the answer read. */
static int get_item_on_loop(aws_client *c, aws_http_loop *l, const aws_ddb_get_item_input *in,
			    aws_ddb_get_item_output *out, aws_error *err)
{
	loop_get g = {0};
	char *body = NULL;
	if (aws_ddb_get_item_request(in, &body, err) < 0 ||
	    aws_json_call_start(c, l, &AWS_SERVICE_DYNAMODB, "GetItem", body, strlen(body), loop_done, &g, err) < 0) {
		free(body);
		return -1;
	}
	free(body);
	while (!g.finished) {
		struct pollfd pf = {aws_http_loop_fd(l), POLLIN, 0};
		long ms = aws_http_loop_timeout_ms(l);
		int n = poll(&pf, 1, ms < 0 || ms > 1000 ? 1000 : (int)ms);
		aws_http_loop_run(l, n > 0);
	}
	int rc = g.rc == 0 ? aws_ddb_get_item_read(in->table, g.body.data, g.body.len, out, err) : -1;
	if (g.rc != 0)
		*err = g.err;
	aws_buf_free(&g.body);
	return rc;
}

/* CPU (µs) a GetItem over r calls, made on CPU cpu — blocking, or on the event loop l when l
 * is given; the thread goes back to CPU home. */
static double getitem_us(aws_client *c, aws_http_loop *l, const char *table, const json_t *key, int r, int cpu,
			 int home)
{
	pin(cpu);
	double t0 = thread_cpu_ns();
	for (int i = 0; i < r; i++) {
		aws_ddb_get_item_input in = {.table = table, .key = key};
		aws_ddb_get_item_output out;
		memset(&out, 0, sizeof out);
		aws_error e;
		aws_error_clear(&e);
		if ((l ? get_item_on_loop(c, l, &in, &out, &e) : aws_ddb_get_item(c, &in, &out, &e)) != 0 || !out.found) {
			fprintf(stderr, "item_cost: GetItem%s failed: %s\n", l ? " on a loop" : "",
				out.found ? e.message : "not found");
			exit(1);
		}
		aws_ddb_get_item_output_free(&out);
	}
	double us = (thread_cpu_ns() - t0) / r / 1e3;
	pin(home);
	return us;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: item_cost TABLE ITEM_ID SERVER_PID BASE_URL ROUNDS R GETITEM_CPU\n");
		return 2;
	}
	const char *table = argv[1], *id = argv[2], *pid = argv[3], *base = argv[4];
	int rounds = atoi(argv[5]), r = atoi(argv[6]), cpu = atoi(argv[7]);
	if (rounds < 1 || rounds > 100 || r < 1 || cpu < 0 || cpu >= CPU_SETSIZE) {
		fprintf(stderr, "item_cost: ROUNDS 1-100, R at least 1, GETITEM_CPU a CPU number\n");
		return 2;
	}
	int home = sched_getcpu();
	if (home < 0)
		home = 0;
	aws_error e;
	aws_client *c = aws_client_new(NULL, &e);
	if (!c) {
		fprintf(stderr, "item_cost: %s\n", e.message);
		return 1;
	}
	aws_http_loop *l = aws_http_loop_new(aws_client_http(c), &e);
	if (!l) {
		fprintf(stderr, "item_cost: %s\n", e.message);
		return 1;
	}
	json_t *key = json_pack("{s{ss}}", "itemID", "S", id);
	char ping[512], item[512], auth[512];
	snprintf(ping, sizeof ping, "%s/ping", base);
	snprintf(item, sizeof item, "%s/item/%s", base, id);
	snprintf(auth, sizeof auth, "Authorization: %s", getenv("ITEM_COST_AUTH") ? getenv("ITEM_COST_AUTH") : "");
	struct curl_slist *hdrs = curl_slist_append(NULL, auth);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	double p[100], it[100], g[100], gl[100], rest[100], rest_l[100];
	server_us(h, item, pid, 20);   /* warm: login cached, DescribeTable cached, connections open */
	getitem_us(c, NULL, table, key, 20, cpu, home);
	getitem_us(c, l, table, key, 20, cpu, home);
	for (int k = 0; k < rounds; k++) {
		for (int step = 0; step < 4; step++) {
			switch ((k + step) % 4) {
			case 0: p[k] = server_us(h, ping, pid, r); break;
			case 1: it[k] = server_us(h, item, pid, r); break;
			case 2: g[k] = getitem_us(c, NULL, table, key, r, cpu, home); break;
			default: gl[k] = getitem_us(c, l, table, key, r, cpu, home); break;
			}
		}
		rest[k] = (it[k] - g[k]) / p[k];
		rest_l[k] = (it[k] - gl[k]) / p[k];
	}
	qsort(p, (size_t)rounds, sizeof *p, cmp);
	qsort(it, (size_t)rounds, sizeof *it, cmp);
	qsort(g, (size_t)rounds, sizeof *g, cmp);
	qsort(gl, (size_t)rounds, sizeof *gl, cmp);
	qsort(rest, (size_t)rounds, sizeof *rest, cmp);
	qsort(rest_l, (size_t)rounds, sizeof *rest_l, cmp);
	int m = rounds / 2;
	printf("| CPU a request, median of %d rounds of %d | µs |\n|---|---:|\n", rounds, r);
	printf("| server, GET /ping | %.1f |\n| server, GET /item/%s | %.1f |\n", p[m], id, it[m]);
	printf("| client library, GetItem alone (on CPU %d) | %.1f |\n", cpu, g[m]);
	printf("| client library, GetItem on an event loop, as the server makes it (on CPU %d) | %.1f |\n", cpu, gl[m]);
	printf("| /item − GetItem, in /pings (per-round median; range %.2f–%.2f) | %.2f |\n", rest[0], rest[rounds - 1],
	       rest[m]);
	printf("| /item − GetItem on a loop, in /pings (per-round median; range %.2f–%.2f) | %.2f |\n", rest_l[0],
	       rest_l[rounds - 1], rest_l[m]);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	json_decref(key);
	aws_http_loop_free(l);
	aws_client_free(c);
	return 0;
}

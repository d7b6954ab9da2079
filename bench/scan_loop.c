/* scan_loop.c — the baseline for "/query adds little to a Scan": the same first-page Scan
 * that /query?limit=100 makes (Limit 101: one extra row tells whether a next page exists),
 * made directly with the client library, side by side with GET /query from the server.
 *
 * Each round makes, in a rotating order so neither goes first every time: the Scan read as
 * the server reads it (aws_ddb_scan_text: items left as checked JSON text), the Scan parsed
 * into jansson values (aws_ddb_scan), and — with URL — one GET of URL on a kept-alive
 * connection with the Authorization header from $SCAN_LOOP_AUTH. Pairing the calls round by
 * round keeps the noise of a shared machine out of the comparison. Prints p50 and mean of
 * each in ms, and the median of the per-round ratio GET / text Scan.
 * With FLOOR_URL (a static file of the page's size from the same server) each round also
 * GETs it: the HTTP hop and the page's bytes alone, what any server between the browser
 * and DynamoDB adds before it does any work — printed as a share of the text Scan.
 * Usage: scan_loop TABLE N [URL [FLOOR_URL]]   (AWS_* environment as for showtable) */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_ddb.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t sink(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	*(size_t *)ud += size * n;
	return size * n;
}

static void report(const char *what, double *t, int n)
{
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("%-28s p50 %.2f ms  mean %.2f ms  (%d calls)\n", what, t[n / 2], sum / n, n);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: scan_loop TABLE N [URL [FLOOR_URL]]\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1)
		n = 1;
	const char *url = argc >= 4 ? argv[3] : NULL, *floor_url = argc == 5 ? argv[4] : NULL;
	aws_error e;
	aws_client *c = aws_client_new(NULL, &e);
	if (!c) {
		fprintf(stderr, "scan_loop: %s\n", e.message);
		return 1;
	}
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	size_t got = 0;
	if (url) {
		const char *auth = getenv("SCAN_LOOP_AUTH");
		char line[512];
		snprintf(line, sizeof line, "Authorization: %s", auth ? auth : "");
		hdrs = curl_slist_append(NULL, line);
		h = curl_easy_init();
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	}
	double *tt = calloc((size_t)n, sizeof *tt), *tj = calloc((size_t)n, sizeof *tj),
	       *tq = calloc((size_t)n, sizeof *tq), *ratio = calloc((size_t)n, sizeof *ratio),
	       *tf = calloc((size_t)n, sizeof *tf), *fratio = calloc((size_t)n, sizeof *fratio);
	aws_ddb_scan_page page = {0};
	int kinds = floor_url ? 4 : url ? 3 : 2;
	size_t page_bytes = 0, floor_bytes = 0;
	for (int i = -5; i < n; i++) { /* 5 warm-up rounds: connections, credentials */
		double d[4] = {0};
		for (int k = 0; k < kinds; k++) {
			int which = (k + (i < 0 ? 0 : i)) % kinds;
			aws_ddb_scan_input in = {.table = argv[1], .limit = 101};
			aws_ddb_scan_output out = {0};
			double a = now_ms();
			if (which == 0 && aws_ddb_scan_text(c, &in, &page, &e)) {
				fprintf(stderr, "scan_loop: %s\n", e.message);
				return 1;
			}
			if (which == 1 && aws_ddb_scan(c, &in, &out, &e)) {
				fprintf(stderr, "scan_loop: %s\n", e.message);
				return 1;
			}
			if (which >= 2) {
				const char *u = which == 2 ? url : floor_url;
				long status = 0;
				got = 0;
				curl_easy_setopt(h, CURLOPT_URL, u);
				if (curl_easy_perform(h) != CURLE_OK ||
				    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
				    status != 200) {
					fprintf(stderr, "scan_loop: GET %s failed (HTTP %ld)\n", u, status);
					return 1;
				}
				*(which == 2 ? &page_bytes : &floor_bytes) = got;
			}
			d[which] = now_ms() - a;
			aws_ddb_scan_output_free(&out);
		}
		if (i >= 0) {
			tt[i] = d[0];
			tj[i] = d[1];
			tq[i] = d[2];
			ratio[i] = d[2] / d[0];
			tf[i] = d[3];
			fratio[i] = d[3] / d[0];
		}
	}
	report("Scan, items as text:", tt, n);
	report("Scan, items as jansson tree:", tj, n);
	if (url) {
		report("GET /query from the server:", tq, n);
		qsort(ratio, (size_t)n, sizeof *ratio, cmp);
		printf("GET / text Scan, median of the per-round ratios: %.3f (%zu bytes a page)\n",
		       ratio[n / 2], page_bytes);
	}
	if (floor_url) {
		report("GET of a static page:", tf, n);
		qsort(fratio, (size_t)n, sizeof *fratio, cmp);
		printf("static GET / text Scan, median of the per-round ratios: %.3f (%zu bytes)\n",
		       fratio[n / 2], floor_bytes);
	}
	free(tt);
	free(tj);
	free(tq);
	free(ratio);
	free(tf);
	free(fratio);
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	aws_ddb_scan_page_free(&page);
	aws_client_free(c);
	return 0;
}

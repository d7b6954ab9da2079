/* scan_loop.c — the baseline for "/query adds little to a Scan": the same first-page Scan
 * that /query?limit=100 makes (Limit 101: one extra row tells whether a next page exists),
 * made directly with the client library N times on one thread; prints p50 and mean in ms.
 * Usage: scan_loop TABLE N   (AWS_* environment as for showtable) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aws_ddb.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: scan_loop TABLE N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1)
		n = 1;
	aws_error e;
	aws_client *c = aws_client_new(NULL, &e);
	if (!c) {
		fprintf(stderr, "scan_loop: %s\n", e.message);
		return 1;
	}
	double *t = calloc((size_t)n, sizeof *t), sum = 0;
	for (int i = -5; i < n; i++) { /* 5 warm-up calls: connection, credentials */
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		aws_ddb_scan_input in = {.table = argv[1], .limit = 101};
		aws_ddb_scan_output out = {0};
		if (aws_ddb_scan(c, &in, &out, &e)) {
			fprintf(stderr, "scan_loop: %s\n", e.message);
			return 1;
		}
		aws_ddb_scan_output_free(&out);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (i >= 0) {
			t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
			sum += t[i];
		}
	}
	qsort(t, (size_t)n, sizeof *t, cmp);
	printf("p50 %.2f ms  mean %.2f ms  (%d scans)\n", t[n / 2], sum / n, n);
	free(t);
	aws_client_free(c);
	return 0;
}

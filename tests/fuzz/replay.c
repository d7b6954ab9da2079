/* replay.c — runs one fuzz target over its corpus as a unit test: every file of
 * $SHOWTABLE_TESTDATA/../fuzz/corpus/<name>/ (the seeds and every crash found so far) once,
 * where <name> comes from the program's name, test_fuzz_<name>. A property that fails or a
 * sanitizer report ends the run as a failure; otherwise it prints how many inputs passed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	/* an exact-size copy, so reads past the input are caught by AddressSanitizer */
	uint8_t *exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	const char *name = strncmp(base, "test_fuzz_", 10) == 0 ? base + 10 : base;
	char dir[4096];
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else {
		const char *data = getenv("SHOWTABLE_TESTDATA");
		snprintf(dir, sizeof dir, "%s/../fuzz/corpus/%s", data ? data : "tests/data", name);
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "replay %s: no corpus at %s (set SHOWTABLE_TESTDATA)\n", name, dir);
		return 1;
	}
	int ran = 0, bad = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (run_file(path))
			bad++;
		ran++;
	}
	closedir(d);
	fprintf(stderr, "fuzz replay %s: %d inputs%s\n", name, ran, bad ? ", some unreadable" : ", all passed");
	return bad || ran == 0;
}

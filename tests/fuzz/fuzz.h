/* fuzz.h — what the fuzz targets share: the libFuzzer entry point's declaration, a check
 * that stops the run with a message when an output property fails, and input splitting.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput. Built with clang -fsanitize=fuzzer it
 * is a libFuzzer target (make fuzz); linked with replay.c it is the unit test
 * test_fuzz_<name>, which runs every input of tests/fuzz/corpus/<name>/ once — the seeds and
 * every crash ever found — in the plain and the sanitizer builds.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the output that must hold whatever the input: abort() (a crash to
 * libFuzzer, a failure to the replay) with what was wrong. */
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} } while (0)

/* A NUL-terminated malloc'd copy of data (exits when out of memory). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		exit(1);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits data at the first byte sep: *a is what comes before it (or all of it), *b the rest
 * (empty when there is no sep). Both are views. */
static inline void fuzz_split(const uint8_t *data, size_t size, uint8_t sep, const uint8_t **a, size_t *alen,
			      const uint8_t **b, size_t *blen)
{
	const uint8_t *p = memchr(data, sep, size);
	*a = data;
	*alen = p ? (size_t)(p - data) : size;
	*b = p ? p + 1 : data + size;
	*blen = p ? size - *alen - 1 : 0;
}

#endif

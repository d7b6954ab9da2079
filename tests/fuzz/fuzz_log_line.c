/* fuzz_log_line.c — the request log: whatever a client puts in the path, the trace id or
 * the user name, the line written is one JSON object that parses (jansson refuses invalid
 * UTF-8) and stays under 4 KiB. Input: fields separated by 0x00. stdout is a temp file.
 */
#include <jansson.h>
#include <unistd.h>
#include "fuzz.h"
#include "srv_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *f;
	if (!f) {
		f = tmpfile();
		if (!f || dup2(fileno(f), STDOUT_FILENO) < 0)
			abort();
	}
	char *copy = fuzz_strndup(data, size);
	const char *field[6] = {"", "", "", "", "", ""};
	size_t nf = 0, at = 0;
	for (size_t i = 0; i <= size && nf < 6; i++)
		if (i == size || copy[i] == '\0') {
			field[nf++] = copy + at;
			at = i + 1;
		}
	srv_log_req r = {.method = field[0], .path = field[1], .status = 400, .user = field[2],
			 .client = field[3], .request_id = "r-1", .trace_id = field[4],
			 .error = field[5][0] ? field[5] : NULL};
	if (ftruncate(STDOUT_FILENO, 0) || lseek(STDOUT_FILENO, 0, SEEK_SET))
		abort();
	srv_log_request(&r);
	srv_log_flush();
	static char out[16384];
	ssize_t n = pread(STDOUT_FILENO, out, sizeof out, 0);
	FUZZ_CHECK(n > 0 && n < 4096 && out[n - 1] == '\n', "line of %zd bytes", n);
	json_error_t je;
	json_t *j = json_loadb(out, (size_t)n - 1, 0, &je);
	FUZZ_CHECK(j && json_is_object(j), "log line is not JSON: %s: %.*s", je.text, (int)n, out);
	json_decref(j);
	free(copy);
	return 0;
}

/* jsonl.c — JSON lines on standard output (see jsonl.h). The human output is moved to
 * standard error with dup2 rather than threaded through every printf: one switch at start,
 * and what people read stays byte for byte the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jsonl.h"

static FILE *jsonl_out;

int jsonl_start(void)
{
	fflush(stdout);
	int fd = dup(STDOUT_FILENO);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		ctl_errorf("--json: cannot set up standard output");
		return -1;
	}
	jsonl_out = f;
	return 0;
}

int jsonl_on(void)
{
	return jsonl_out != NULL;
}

void jsonl_emit(const char *type, const char *stack, json_t *obj)
{
	if (obj == NULL)
		return;
	if (jsonl_out) {
		/* a field that has no value is left out, not written as null */
		const char *key;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(obj, tmp, key, v)
			if (json_is_null(v))
				json_object_del(obj, key);
		json_t *line = json_pack("{s:s}", "type", type);
		if (line && stack)
			json_object_set_new(line, "stack", json_string(stack));
		if (line && json_object_update(line, obj) == 0) {
			char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
			if (text) {
				fprintf(jsonl_out, "%s\n", text);
				fflush(jsonl_out);
				free(text);
			}
		}
		json_decref(line);
	}
	json_decref(obj);
}

void jsonl_result(const char *command, const char *stack, ctl_outcome rc, const char *outcome,
		  const char *status)
{
	static const char *const names[] = {
		[CTL_OK] = "ok", [CTL_FAILED] = "failed", [CTL_DECLINED] = "declined",
		[CTL_USAGE] = "failed", [CTL_NO_TERMINAL] = "declined", [CTL_CHANGES] = "changes",
	};
	if (!jsonl_on())
		return;
	json_t *o = json_pack("{s:s, s:s}", "command", command, "outcome",
			      outcome ? outcome : names[rc]);
	if (o && status)
		json_object_set_new(o, "status", json_string(status));
	jsonl_emit("result", stack, o);
}

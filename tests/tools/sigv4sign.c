/* sigv4sign.c — test tool: signs requests read as JSON lines on stdin, for the botocore
 * cross-check (tests/integration/test_sigv4_botocore.py).
 *
 * Input line: {"method","path","query","headers":[[name,value],...],"body_b64",
 *              "key","secret","token","region","service","now"}
 * Output line: {"authorization": "...", "canonical": "..."} or {"error": "..."}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "aws_crypto.h"
#include "aws_sigv4.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t je;
		json_t *in = json_loadb(line, (size_t)n, 0, &je);
		json_t *out;
		if (!in) {
			out = json_pack("{ss}", "error", je.text);
			rc = 1;
		} else {
			json_t *hs = json_object_get(in, "headers");
			size_t nh = json_array_size(hs);
			aws_header *h = calloc(nh ? nh : 1, sizeof *h);
			for (size_t i = 0; i < nh; i++) {
				h[i].name = json_string_value(json_array_get(json_array_get(hs, i), 0));
				h[i].value = json_string_value(json_array_get(json_array_get(hs, i), 1));
			}
			const char *b64 = str(in, "body_b64");
			size_t blen = strlen(b64);
			uint8_t *body = malloc(blen / 4 * 3 + 1);
			size_t bodylen = blen ? aws_base64_decode(b64, blen, body, blen / 4 * 3 + 1) : 0;
			aws_sigv4_request req = {str(in, "method"), str(in, "path"), str(in, "query"),
						 h, nh, body, bodylen, NULL};
			aws_sigv4_params p = {
				.access_key_id = str(in, "key"),
				.secret_access_key = str(in, "secret"),
				.session_token = str(in, "token"),
				.region = str(in, "region"),
				.service = str(in, "service"),
				.now = (time_t)json_integer_value(json_object_get(in, "now")),
				.normalize_path = 1,
			};
			aws_sigv4_result res = {0};
			aws_error err;
			if (bodylen == (size_t)-1) {
				out = json_pack("{ss}", "error", "bad body_b64");
				rc = 1;
			} else if (aws_sigv4_sign(&req, &p, &res, &err) == 0) {
				out = json_pack("{ssss}", "authorization", res.authorization, "canonical",
						res.canonical_request.data);
			} else {
				out = json_pack("{ss}", "error", err.message);
			}
			aws_sigv4_result_free(&res);
			free(body);
			free(h);
			json_decref(in);
		}
		char *s = json_dumps(out, JSON_COMPACT);
		puts(s);
		free(s);
		json_decref(out);
	}
	free(line);
	return rc;
}

/* fuzz_cursor.c — next-page cursors from outside: any string given as a cursor is refused
 * unless this server made it (a forged one would need the HMAC key, which the input cannot
 * know); and a key packed from the input makes a cursor that opens with its own filter and
 * is refused with any other. Input: filter ‖ 0x00 ‖ cursor-or-key text.
 */
#include <jansson.h>
#include "fuzz.h"
#include "srv_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const srv_cursor_key key = {{0x5a, 1, 2, 3}};
	const uint8_t *qa, *rest;
	size_t qn, rn;
	fuzz_split(data, size, 0, &qa, &qn, &rest, &rn);
	char *q = fuzz_strndup(qa, qn);
	char *text = fuzz_strndup(rest, rn);
	json_t *lk = NULL;
	aws_error err;
	FUZZ_CHECK(srv_cursor_decode(&key, text, q, &lk, &err) == -1, "a cursor from the input was accepted");
	FUZZ_CHECK(lk == NULL && err.kind == AWS_ERR_INVALID, "refusal is not AWS_ERR_INVALID");

	json_t *k = json_loadb(text, rn, JSON_ALLOW_NUL, NULL);
	if (k) {
		aws_buf c = AWS_BUF_INIT;
		if (srv_cursor_encode(&key, k, q, &c, &err) == 0) {
			FUZZ_CHECK(srv_cursor_decode(&key, c.data, q, &lk, &err) == 0, "own cursor refused: %s", err.message);
			FUZZ_CHECK(json_equal(lk, k), "cursor did not give back its key");
			json_decref(lk);
			lk = NULL;
			char other[8];
			snprintf(other, sizeof other, "%s", q[0] == 'x' ? "y" : "x");
			FUZZ_CHECK(srv_cursor_decode(&key, c.data, other, &lk, &err) == -1,
				   "cursor accepted with another filter");
		}
		aws_buf_free(&c);
		json_decref(k);
	}
	free(q);
	free(text);
	return 0;
}

/* fuzz_item_walker.c — the item text walker (aws_jtext.h) over arbitrary bytes: every member,
 * element and string of whatever the input is, recursively, within its span. It trusts
 * nothing, so any input must end in 0/-1 answers, never a read outside the input (the
 * replay and libFuzzer give it an exact-size buffer) or a loop.
 */
#include "fuzz.h"
#include "aws_jtext.h"

static void walk(aws_jtext_val v, aws_buf *scratch, int depth)
{
	if (depth > 64)
		return;
	int k = aws_jtext_kind(v);
	if (k == '"') {
		const char *s;
		size_t n;
		if (aws_jtext_str(v, scratch, &s, &n) == 0)
			FUZZ_CHECK(n <= v.n, "decoded string longer than its text");
		(void)aws_jtext_str_is_plain(v);
		return;
	}
	if (k != '{' && k != '[')
		return;
	aws_jtext_iter it;
	if (aws_jtext_iter_init(&it, v, (char)k) < 0)
		return;
	aws_jtext_val name, val;
	for (int steps = 0; steps < 100000; steps++) {
		int r = k == '{' ? aws_jtext_member(&it, &name, &val) : aws_jtext_elem(&it, &val);
		if (r != 1)
			break;
		FUZZ_CHECK(val.p >= v.p && val.p + val.n <= v.p + v.n, "value outside its container");
		if (k == '{')
			walk(name, scratch, depth + 1);
		walk(val, scratch, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	aws_buf scratch = AWS_BUF_INIT;
	walk((aws_jtext_val){(const char *)data, size}, &scratch, 0);
	aws_buf_free(&scratch);
	return 0;
}

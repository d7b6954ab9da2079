/* fuzz_rawhead.c — the byte-level request head scanner (srv_rawhead) over any stream.
 * Properties: the verdict (status, which head, stopped) is the same whether the stream
 * comes whole or cut into reads at the places the input's first bytes choose; a feed
 * never passes on more than it was given, and nothing once a head is refused; a refusal
 * always has a reason. Input: 4 cut points (one byte each) ‖ the stream.
 */
#include "fuzz.h"
#include "srv_rawhead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > (1 << 16))
		return 0;
	const char *s = (const char *)data + 4;
	size_t n = size - 4;
	srv_rawhead whole, cut;
	srv_rawhead_init(&whole, 512, 128);
	srv_rawhead_init(&cut, 512, 128);
	size_t pw = srv_rawhead_feed(&whole, s, n);
	FUZZ_CHECK(pw <= n, "passed %zu of %zu", pw, n);
	FUZZ_CHECK(whole.bad || pw == n, "passed %zu of %zu without a refusal", pw, n);
	FUZZ_CHECK(!whole.bad || whole.why, "a refusal without a reason");
	size_t at = 0, passed = 0;
	for (int i = 0; i <= 4 && at < n; i++) {
		size_t len = i < 4 ? (size_t)data[i] * 3 % (n - at + 1) : n - at;
		int was_bad = cut.bad;
		size_t p = srv_rawhead_feed(&cut, s + at, len);
		FUZZ_CHECK(p <= len, "a read passed on %zu of %zu", p, len);
		FUZZ_CHECK(!was_bad || p == 0, "bytes passed on after a refusal");
		passed += p;
		at += len;
	}
	FUZZ_CHECK(cut.bad == whole.bad, "status %d cut, %d whole", cut.bad, whole.bad);
	FUZZ_CHECK(!whole.bad || cut.bad_head == whole.bad_head, "refused head %lu cut, %lu whole", cut.bad_head,
		   whole.bad_head);
	FUZZ_CHECK(cut.stopped == whole.stopped, "stopped %d cut, %d whole", cut.stopped, whole.stopped);
	FUZZ_CHECK(passed <= n && (whole.bad || passed == n), "passed %zu of %zu", passed, n);
	return 0;
}

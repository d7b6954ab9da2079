#!/usr/bin/env bash
# run-unit-tests.sh — runs every unit test binary in $BUILD/tests and sums the results.
# Tests find their data (recorded responses, the SigV4 vectors) through SHOWTABLE_TESTDATA.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export SHOWTABLE_TESTDATA=$PWD/tests/data
export CMOCKA_MESSAGE_OUTPUT=STDOUT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0; ran=0
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	ran=$((ran + 1))
	if ! "$t"; then
		echo "unit: FAILED $t"
		failed=$((failed + 1))
	fi
done
echo "unit test programs: $((ran - failed)) passed, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]

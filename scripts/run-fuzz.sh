#!/usr/bin/env bash
# run-fuzz.sh BUILD SECONDS — runs every libFuzzer target in BUILD/fuzz for SECONDS each,
# starting from its seed corpus in tests/fuzz/corpus/<target>/ (never written to: new inputs
# go to BUILD/corpus/<target>/), with its dictionary tests/fuzz/<target>.dict when there is
# one. A crash, a leak, a timeout or a failed property fails the run; the input is left in
# BUILD/crashes/ and belongs in tests/fuzz/corpus/<target>/ once fixed.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0; ran=0
for bin in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	mkdir -p "$BUILD/corpus/$name" "$BUILD/crashes" "tests/fuzz/corpus/$name"
	dict=(); [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	log="$BUILD/fuzz-$name.log"
	ran=$((ran + 1))
	if nice "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1536 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$BUILD/crashes/$name-" "${dict[@]}" \
		"$BUILD/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $name clean for ${SECONDS_EACH} s (${execs:-?} runs)"
	else
		echo "fuzz: FAILED $name — see $log and $BUILD/crashes/"
		grep -m3 -E "ERROR|runtime error|fuzz check failed" "$log"
		failed=$((failed + 1))
	fi
done
echo "fuzz targets: $((ran - failed)) clean, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]

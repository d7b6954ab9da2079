#!/usr/bin/env bash
# run-all.sh — what `make bench` runs: every benchmark in bench/ (httpd-compare, then each
# *_bench.sh), one after the other, each
# printing its own markdown table (numbers for bench/README.md). Not timed tests: they
# take a few minutes and their numbers depend on the machine.
#   BUILD=build-dir (default build); SECONDS_PER_RUN (default 4) for the wrk-based ones.
set -euo pipefail
cd "$(dirname "$0")"
S=${SECONDS_PER_RUN:-4}
echo "## HTTP libraries (httpd-compare/run.sh)"
BUILD_DIR="$PWD/../${BUILD:-build}" ./httpd-compare/run.sh "$S"
echo
echo "## showtable against nginx (server_bench.sh)"
./server_bench.sh "$S"
for b in ./*_bench.sh; do   # the others' benchmarks (scan, image, ...) as they appear
	[ "$b" = ./server_bench.sh ] && continue
	[ -x "$b" ] || continue
	echo
	echo "## ${b#./}"
	"$b"
done

#!/usr/bin/env bash
# run-all.sh — what `make bench` runs: every benchmark in bench/, one after the other, each
# printing its own markdown table (numbers for the README). Benchmarks are not tests: they
# never fail the build on a slow number, only on a broken run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
echo "## HTTP library comparison (bench/httpd-compare/run.sh)"
bench/httpd-compare/run.sh "${HTTPD_SECONDS:-4}"
echo
echo "## Scan: showtablectl vs the JS SDK (bench/scan_bench.sh)"
bench/scan_bench.sh "${SCAN_RUNS:-7}"
echo
echo "## Server vs nginx (bench/server_bench.sh)"
bench/server_bench.sh "${SERVER_SECONDS:-5}"
if [ -x bench/image_bench.sh ]; then
	echo
	echo "## Image build and push (bench/image_bench.sh)"
	bench/image_bench.sh
fi

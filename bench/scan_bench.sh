#!/usr/bin/env bash
# scan_bench.sh — full scan of 20,000 items from dynalite, 1 and 4 segments: wall time and
# client CPU time (user+sys of the client process, from wait4's rusage) of `showtablectl scan`
# against the same scan done with the AWS SDK for JavaScript v3 (bench/scan_js.mjs). Runs
# alternate between the two clients; prints a markdown table of medians.
#
#   bench/scan_bench.sh [RUNS]        (default 7; BUILD=build-dir, default build;
#                                      ITEMS=n, default 20000: a smaller table for a quick check)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
BUILD=${BUILD:-build}
ITEMS=${ITEMS:-20000}
CTL=$BUILD/showtablectl
[ -x "$CTL" ] || { echo "scan_bench: $CTL is not built — run make first" >&2; exit 1; }

source bench/lib.sh
bench_begin
bench_dynalite
export NODE_NO_WARNINGS=1

TABLE=bench
"$CTL" table create --table "$TABLE" --wait >/dev/null
/usr/bin/python3 bench/items.py "$ITEMS" >"$WORK/items.jsonl"
"$CTL" items load --table "$TABLE" "$WORK/items.jsonl" >/dev/null

/usr/bin/python3 - "$RUNS" "$CTL" "$TABLE" "$WORK" "$ITEMS" <<'EOF'
import os, statistics, subprocess, sys, time
runs, ctl, table, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
items = int(sys.argv[5])

def measure(argv):
    """Runs argv with stdout to a file; returns (wall s, user+sys s of the process, lines)."""
    out = os.path.join(work, "out.jsonl")
    with open(out, "wb") as f:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode()
    p.stderr.close()
    if p.returncode != 0:
        sys.exit(f"scan_bench: {argv} failed ({p.returncode}): {err}")
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    if lines != items:
        sys.exit(f"scan_bench: {argv} printed {lines} items, not {items}")
    return wall, ru.ru_utime + ru.ru_stime

clients = {
    "showtablectl": lambda seg: [ctl, "scan", "--table", table, "--segments", str(seg)],
    "JS SDK v3": lambda seg: ["node", "bench/scan_js.mjs", "--table", table, "--segments", str(seg)],
}
rows = []
for seg in (1, 4):
    res = {name: [] for name in clients}
    for name, argv in clients.items():   # warm-up: dynalite's JIT, page cache
        measure(argv(seg))
    for _ in range(runs):
        for name, argv in clients.items():
            res[name].append(measure(argv(seg)))
    med = {n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
           for n, r in res.items()}
    rows.append((seg, med))

print(f"Full scan of {items:,} items (~200 B each) from dynalite; median of {runs} runs, "
      f"output to a file.\n")
print("| segments | client | wall (s) | client CPU user+sys (s) | CPU vs JS | wall vs JS |")
print("|---:|---|---:|---:|---:|---:|")
for seg, med in rows:
    jw, jc = med["JS SDK v3"]
    for name in clients:
        w, c = med[name]
        print(f"| {seg} | {name} | {w:.3f} | {c:.3f} | {100 * c / jc:.0f} % | {100 * w / jw:.0f} % |")
EOF

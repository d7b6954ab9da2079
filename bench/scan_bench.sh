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
[ -x node_modules/.bin/dynalite ] || { echo "scan_bench: run scripts/install-deps.sh first" >&2; exit 1; }

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
node_modules/.bin/dynalite --host 127.0.0.1 --port "$PORT" >"$WORK/dynalite.log" 2>&1 &
DYN=$!
# `wait` on the killed dynalite returns 143: under set -e that would end the trap (and the
# script, with 143) before the temporary folder is removed.
cleanup() { kill "$DYN" 2>/dev/null || true; wait "$DYN" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Only fake keys and a loopback endpoint: nothing here talks to AWS.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$WORK/none AWS_SHARED_CREDENTIALS_FILE=$WORK/none
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$PORT
export NODE_NO_WARNINGS=1

for _ in $(seq 150); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.1
done

TABLE=bench
"$CTL" table create --table "$TABLE" --wait >/dev/null
# ITEMS items of about 200 bytes each (DynamoDB's size count), a few attribute types.
/usr/bin/python3 - "$WORK/items.jsonl" "$ITEMS" <<'EOF'
import json, random, sys
rnd = random.Random(1)
pool = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(4096))
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({
            "itemID": {"S": f"item-{i:06d}"},
            "title": {"S": pool[i % 3900:i % 3900 + 140]},
            "price": {"N": f"{rnd.randint(1, 99999)}.{rnd.randint(1, 9)}"},
            "active": {"BOOL": i % 2 == 0},
            "tags": {"SS": ["all", f"group-{i % 10}"]},
        }, separators=(",", ":")) + "\n")
EOF
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

#!/usr/bin/env bash
# export_bench.sh — /export.ndjson of 20,000 items from dynalite against `showtablectl scan`
# writing the same items to a file, run alternately: wall time of each, the server's CPU
# time for the export (utime+stime from /proc), and the server's RssAnon (idle, and the peak
# during the exports, sampled every 10 ms). Prints a markdown table of medians and ranges.
#
#   bench/export_bench.sh [RUNS]      (default 5; BUILD=build-dir, default build; ITEMS=n,
#                                      default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BUILD=${BUILD:-build}
ITEMS=${ITEMS:-20000}
SRV=$BUILD/showtable
CTL=$BUILD/showtablectl
for x in "$SRV" "$CTL"; do [ -x "$x" ] || { echo "export_bench: $x is not built — run make" >&2; exit 1; }; done
command -v curl >/dev/null && command -v htpasswd >/dev/null ||
	{ echo "export_bench: needs curl and apache2-utils (scripts/install-deps.sh)" >&2; exit 1; }

source bench/lib.sh
bench_begin
bench_dynalite
"$CTL" table create --table bench --wait >/dev/null
/usr/bin/python3 bench/items.py "$ITEMS" | "$CTL" items load --table bench - >/dev/null

PW=bench-password-not-secret
htpasswd -bcB "$WORK/htpasswd" bench "$PW" 2>/dev/null
SPORT=$(port)
"$SRV" --listen "127.0.0.1:$SPORT" --htpasswd "$WORK/htpasswd" --table bench >/dev/null 2>"$WORK/showtable.err" &
SPID=$!
PIDS+=($SPID)
wait_port "$SPORT"

/usr/bin/python3 - "$RUNS" "$CTL" "$SPORT" "$SPID" "$PW" "$WORK" "$ITEMS" <<'EOF'
import base64, os, statistics, subprocess, sys, threading, time, urllib.request
runs, ctl, port, spid, pw, work, items = (int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                          sys.argv[5], sys.argv[6], int(sys.argv[7]))
auth = "Basic " + base64.b64encode(f"bench:{pw}".encode()).decode()
tck = os.sysconf("SC_CLK_TCK")


def cpu():
    f = open(f"/proc/{spid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tck


def rss_anon():
    for line in open(f"/proc/{spid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def export():
    out = os.path.join(work, "export.ndjson")
    peak, stop = [0.0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_anon())
            time.sleep(0.01)
    t = threading.Thread(target=sample)
    t.start()
    c0, t0 = cpu(), time.monotonic()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/export.ndjson", headers={"Authorization": auth})
    with urllib.request.urlopen(req, timeout=300) as r, open(out, "wb") as f:
        while chunk := r.read(1 << 16):
            f.write(chunk)
    wall, used = time.monotonic() - t0, cpu() - c0
    stop.set()
    t.join()
    if lines(out) != items:
        sys.exit(f"export_bench: the export has {lines(out)} lines, not {items}")
    return wall, used, peak[0]


def scan():
    out = os.path.join(work, "scan.ndjson")
    with open(out, "wb") as f:
        t0 = time.monotonic()
        subprocess.run([ctl, "scan", "--table", "bench"], stdout=f, check=True)
        wall = time.monotonic() - t0
    if lines(out) != items:
        sys.exit(f"export_bench: the scan printed {lines(out)} lines, not {items}")
    return wall


idle = rss_anon()
ex, sc = [], []
for _ in range(runs):
    ex.append(export())
    sc.append(scan())
ratio = [e[0] / s for e, s in zip(ex, sc)]


def row(name, vals, fmt):
    print(f"| {name} | {fmt(statistics.median(vals))} | {fmt(min(vals))}–{fmt(max(vals))} |")


print(f"{items} items, {runs} runs each, alternating; server RssAnon idle {idle:.1f} MiB\n")
print("| | median | range |\n|---|---:|---:|")
row("/export.ndjson wall (s)", [e[0] for e in ex], lambda v: f"{v:.2f}")
row("`showtablectl scan` to a file wall (s)", sc, lambda v: f"{v:.2f}")
row("export ÷ scan, per run", ratio, lambda v: f"{v:.2f}")
row("server CPU for the export (s)", [e[1] for e in ex], lambda v: f"{v:.2f}")
row("server RssAnon peak (MiB)", [e[2] for e in ex], lambda v: f"{v:.1f}")
EOF

#!/usr/bin/env bash
# server_bench.sh — build/showtable under wrk, side by side with nginx, both pinned to CPU 0
# (wrk, 1 thread, on CPU 1): /ping, a CSS file, / with Basic auth (cached login), /query
# for a 100-item page of the demo table in dynalite and /item/<id> (one GetItem), at 64 and 256 connections; p50/p99;
# showtable's memory (VmRSS and RssAnon from /proc/PID/status) idle and peak under load.
# nginx (Debian's nginx-light, 1 worker, own temp config, access log off on both sides:
# showtable's request log goes to /dev/null) serves the same CSS file and a /ping file.
#
#   bench/server_bench.sh [SECONDS per run, default 5]     (BUILD=build-dir, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
BUILD=${BUILD:-build}
SRV=$BUILD/showtable
CTL=$BUILD/showtablectl
for x in "$SRV" "$CTL"; do [ -x "$x" ] || { echo "server_bench: $x is not built — run make" >&2; exit 1; }; done
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v htpasswd >/dev/null ||
	{ echo "server_bench: needs wrk, nginx-light, apache2-utils (scripts/install-deps.sh)" >&2; exit 1; }

source bench/lib.sh
bench_begin
chmod 755 "$WORK"   # nginx workers run as nobody when started by root
bench_dynalite
bench_demo_table "$CTL"

PW=bench-password-not-secret
htpasswd -bcB "$WORK/htpasswd" bench "$PW" 2>/dev/null
AUTH="Authorization: Basic $(printf 'bench:%s' "$PW" | base64 -w0)"
CSS=/css/showtable.css

# The assets plus one file of a 100-item page's size (46 476 bytes), for the /query floor below.
cp -r web "$WORK/assets"
/usr/bin/python3 -c 'import sys; sys.stdout.write(("x" * 75 + "\n") * 611 + "x" * 40)' >"$WORK/assets/css/page-size.css"
SPORT=$(port)
taskset -c 0 "$SRV" --listen "127.0.0.1:$SPORT" --htpasswd "$WORK/htpasswd" --table bench \
	--assets "$WORK/assets" --max-connections 2048 --max-connections-per-ip 0 >/dev/null 2>"$WORK/showtable.err" &
SPID=$!
PIDS+=($SPID)
wait_port "$SPORT"
sleep 0.5
mem() { awk '/^(VmRSS|RssAnon):/ {printf "%s %.1f MiB  ", $1, $2/1024}' "/proc/$1/status"; }
echo "showtable idle: $(mem $SPID)"

# nginx: same CSS, a /ping file with the same body, one worker on the same core.
NPORT=$(port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/root"
printf '{"message":"pong"}' >"$WORK/nginx/root/ping"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp; proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp; uwsgi_temp_path $WORK/nginx/tmp; scgi_temp_path $WORK/nginx/tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NPORT;
    location = /ping { default_type application/json; root $WORK/nginx/root; }
    location /css/ { root $PWD/web; etag on; }
  }
}
CONF
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx.err" &
PIDS+=($!)
wait_port "$NPORT"
NWORKER=$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | head -1)   # the one worker process

PEAK_RSS=0
PEAK_ANON=0
sample() { # samples showtable's memory every 100 ms while wrk runs
	while kill -0 "$1" 2>/dev/null; do
		read -r r a < <(awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} END {print r, a}' "/proc/$SPID/status")
		echo "$r $a"
		sleep 0.1
	done
}
# Each case runs REPS times (default 3), the cases interleaved, so a burst of load from
# elsewhere on the machine hits one repetition rather than one server; the table shows the
# repetition with the median req/s and the range of req/s over all of them.
REPS=${REPS:-3}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, in clock ticks
HZ=$(getconf CLK_TCK)
run() { # server port path conns [header] -> one line in $WORK/results
	local pid=$SPID
	[ "$1" = nginx ] && pid=$NWORKER
	local t0
	t0=$(cpu_ticks "$pid")
	# wrk's own CPU time too: on two cores it can be the limit rather than the server
	if [ -n "${5:-}" ]; then
		/usr/bin/time -f "%U %S" -o "$WORK/wrk.time" taskset -c 1 wrk -t1 -c"$4" -d"${DUR}s" --latency -H "$5" "http://127.0.0.1:$2$3" >"$WORK/wrk.out" 2>&1 &
	else
		/usr/bin/time -f "%U %S" -o "$WORK/wrk.time" taskset -c 1 wrk -t1 -c"$4" -d"${DUR}s" --latency "http://127.0.0.1:$2$3" >"$WORK/wrk.out" 2>&1 &
	fi
	local w=$! peak=-
	if [ "$1" = showtable ]; then
		sample $w >"$WORK/mem.run"
		cat "$WORK/mem.run" >>"$WORK/mem.samples"
		peak=$(awk '$2>a {a=$2} END {printf "%.1f MiB", a/1024}' "$WORK/mem.run")
	fi
	wait $w || true
	local out rps p50 p99 errs n cpu busy
	cpu=$(( $(cpu_ticks "$pid") - t0 ))
	busy=$(awk -v d="$DUR" '{printf "%.0f", ($1 + $2) * 100 / d}' "$WORK/wrk.time" 2>/dev/null || echo -)
	out=$(cat "$WORK/wrk.out")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	cpu=$(awk -v t="$cpu" -v n="${n:-0}" -v hz="$HZ" 'BEGIN {if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "-"}')
	rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
	p50=$(awk '$1=="50%" {print $2}' <<<"$out")
	p99=$(awk '$1=="99%" {print $2}' <<<"$out")
	errs=$( (grep -E 'Non-2xx|Socket errors' <<<"$out" || true) | tr -s ' ' | tr '\n' ' ')
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$1" "$3" "$4" "${rps:-0}" "$p50" "$p99" "${errs:-0}" "$peak" "$cpu" "${busy:--}" >>"$WORK/results"
}
: >"$WORK/mem.samples"
: >"$WORK/results"
for _ in $(seq "$REPS"); do
	for c in 64 256; do
		run showtable "$SPORT" /ping $c
		run nginx "$NPORT" /ping $c
		run showtable "$SPORT" $CSS $c
		run nginx "$NPORT" $CSS $c
		run showtable "$SPORT" / $c "$AUTH"
		run showtable "$SPORT" "/query?limit=100" $c "$AUTH"
		run showtable "$SPORT" /item/item-0042 $c "$AUTH"
	done
done
/usr/bin/python3 - "$WORK/results" <<'PY'
import sys, collections
runs = collections.OrderedDict()
for line in open(sys.argv[1]):
    srv, path, conns, rps, p50, p99, errs, peak, cpu, busy = line.rstrip("\n").split("|")
    runs.setdefault((int(conns), srv, path), []).append((int(rps), p50, p99, errs.strip(), peak, cpu, busy))
# Paired ratios: repetition r of showtable against repetition r of nginx (or of /ping), run
# seconds apart, so a slow minute on the shared machine moves both sides of one ratio.
paired = []
for conns in sorted({k[0] for k in runs}):
    def reps(srv, path):
        return runs.get((conns, srv, path), [])
    for what, a, b in (("/ping vs nginx", ("showtable", "/ping"), ("nginx", "/ping")),
                       ("CSS vs nginx", ("showtable", "/css/showtable.css"), ("nginx", "/css/showtable.css")),
                       ("/ vs /ping", ("showtable", "/"), ("showtable", "/ping"))):
        ra, rb = reps(*a), reps(*b)
        rps = sorted(x[0] / y[0] for x, y in zip(ra, rb) if y[0])
        cpu = sorted(float(y[5]) / float(x[5]) for x, y in zip(ra, rb) if "-" not in (x[5], y[5]) and float(x[5]))
        if rps:
            paired.append((what, conns, rps, cpu))
print("| server | path | conns | req/s (median) | range | p50 | p99 | CPU µs/req | wrk's core busy | non-2xx/errors | RssAnon peak |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (conns, srv, path), rs in sorted(runs.items(), key=lambda kv: kv[0][0]):
    rs.sort()
    m = rs[len(rs) // 2]
    peak = max((r[4] for r in rs), key=lambda p: float(p.split()[0]) if p != "-" else 0)
    cpus = sorted(float(r[5]) for r in rs if r[5] != "-")
    cpu = f"{cpus[len(cpus) // 2]:.1f}" if cpus else "-"
    print(f"| {srv} | {path} | {conns} | {m[0]} | {rs[0][0]}–{rs[-1][0]} | {m[1]} | {m[2]} | {cpu} | {m[6]} % | {m[3] or 0} | {peak} |")
print()
print("| paired, per repetition (first ÷ second) | conns | req/s ratios | median | CPU a request, second ÷ first |")
print("|---|---|---|---|---|")
for what, conns, rps, cpu in paired:
    print(f"| {what} | {conns} | {' '.join(f'{r:.2f}' for r in rps)} | {rps[len(rps) // 2]:.2f} | "
          f"{' '.join(f'{r:.2f}' for r in cpu) or '-'} |")
PY
# /query's cost over the Scan itself: one request at a time, paired round by round with the
# same Scan made directly with the client library (bench/scan_loop.c), from wrk's core, and
# with a static file of the page's size from the same server (the hop and the bytes alone).
AWS_LIBS=$(printf 'print-libs:\n\t@echo $(AWS_LIBS)\n' | make -s --no-print-directory -f Makefile -f - print-libs)
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc/aws $(pkg-config --cflags jansson) -o "$WORK/scan_loop" bench/scan_loop.c \
	"$BUILD/libaws.a" $AWS_LIBS -pthread
echo
SCAN_LOOP_AUTH=${AUTH#Authorization: } taskset -c 1 "$WORK/scan_loop" bench 300 "http://127.0.0.1:$SPORT/query?limit=100" \
	"http://127.0.0.1:$SPORT/css/page-size.css"
# /item's cost over the GetItem it makes: the server's CPU for /ping and /item/<id> and the
# same GetItem made with the client library on the server's core (bench/item_cost.c), round
# by round. dynalite moves to wrk's core first, so the server's core runs only the server and
# the GetItem rounds.
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc/aws $(pkg-config --cflags jansson) -o "$WORK/item_cost" bench/item_cost.c \
	"$BUILD/libaws.a" $AWS_LIBS -pthread
echo
taskset -apc 1 "$DYNALITE_PID" >/dev/null
ITEM_COST_AUTH=${AUTH#Authorization: } taskset -c 1 "$WORK/item_cost" bench item-0042 "$SPID" \
	"http://127.0.0.1:$SPORT" 9 300 0
read -r PEAK_RSS PEAK_ANON < <(awk '$1>r {r=$1} $2>a {a=$2} END {print r+0, a+0}' "$WORK/mem.samples")
printf '\nshowtable peak under load (sampled every 100 ms): VmRSS %.1f MiB, RssAnon %.1f MiB; VmHWM %s\n' \
	"$(echo "$PEAK_RSS/1024" | bc -l)" "$(echo "$PEAK_ANON/1024" | bc -l)" \
	"$(awk '/^VmHWM:/ {printf "%.1f MiB", $2/1024}' /proc/$SPID/status)"
echo "showtable after load: $(mem $SPID)"

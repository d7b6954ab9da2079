#!/usr/bin/env bash
# run.sh — builds the two minimal servers and measures them with wrk, each pinned to CPU 0
# and wrk pinned to CPU 1, same files, same connection counts. Prints one line per run.
# Usage: bench/httpd-compare/run.sh [seconds per run (default 5)]
set -euo pipefail
cd "$(dirname "$0")"
DUR=${1:-5}
OUT=${BUILD_DIR:-../../build}/bench-httpd
mkdir -p "$OUT"
cc -O2 -o "$OUT/mhd_min" mhd_min.c $(pkg-config --cflags --libs libmicrohttpd) -pthread
cc -O2 -o "$OUT/evhttp_min" evhttp_min.c $(pkg-config --cflags --libs libevent)
# A CSS file of a realistic size (about 6 KiB).
CSS="$OUT/app.css"
for i in $(seq 1 120); do echo ".c$i { margin: 0 auto; padding: ${i}px; color: #333; }"; done > "$CSS"
PID=
# A failing wrk or build must not leave a server running on CPU 0.
trap '[ -z "$PID" ] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for variant in mhd_min:epoll mhd_min:poll evhttp_min:-; do
	srv=${variant%%:*}; mode=${variant#*:}
	P=$(port)
	if [ "$mode" = poll ]; then export MHD_POLL=1; else unset MHD_POLL; fi
	taskset -c 0 "$OUT/$srv" "$P" "$CSS" & PID=$!
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && break; sleep 0.1; done
	for path in /ping /css/app.css; do
		for conns in 64 256; do
			r=$(taskset -c 1 wrk -t1 -c$conns -d${DUR}s --latency "http://127.0.0.1:$P$path" 2>&1)
			rps=$(echo "$r" | awk '/Requests\/sec/ {print $2}')
			p50=$(echo "$r" | awk '$1=="50%" {print $2}')
			p99=$(echo "$r" | awk '$1=="99%" {print $2}')
			errs=$(echo "$r" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
			printf '%-11s %-5s %-14s c=%-4s req/s=%-10s p50=%-8s p99=%-8s %s\n' "$srv" "$mode" "$path" "$conns" "$rps" "$p50" "$p99" "$errs"
		done
	done
	rss=$(awk '/VmRSS|RssAnon/ {printf "%s=%s%s ", $1, $2, $3}' /proc/$PID/status)
	echo "$srv $mode memory after load: $rss"
	kill $PID; wait $PID || true
	PID=
done

#!/usr/bin/env bash
# item_bench.sh — the server's CPU for GET /item/<id> against its parts (bench/item_cost.c:
# /ping, the GetItem made with the client library both ways), with DynamoDB played by a stub
# that answers at once: nginx, on the other core, returning the GetItem and DescribeTable
# answers dynalite gave for the demo item, byte for byte. Against dynalite itself its
# JavaScript runs on the next core during the measured work and identical code measured
# anywhere from 1.3 to 9.4 /pings of remainder from one run to the next
# (bench/README.md); against the stub a run repeats within a few percent.
#
#   bench/item_bench.sh [ROUNDS, default 9]     (BUILD=build-dir, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-9}
BUILD=${BUILD:-build}
SRV=$BUILD/showtable
CTL=$BUILD/showtablectl
CALL=$BUILD/tools/awscall
for x in "$SRV" "$CTL" "$CALL"; do [ -x "$x" ] || { echo "item_bench: $x is not built — run make" >&2; exit 1; }; done
command -v nginx >/dev/null && command -v htpasswd >/dev/null ||
	{ echo "item_bench: needs nginx-light and apache2-utils (scripts/install-deps.sh)" >&2; exit 1; }

source bench/lib.sh
bench_begin
chmod 755 "$WORK"   # nginx workers run as nobody when started by root
bench_dynalite
bench_demo_table "$CTL"

# The stub's answers, as dynalite gives them; then dynalite stops.
"$CALL" json dynamodb GetItem \
	'{"TableName":"bench","Key":{"itemID":{"S":"item-0042"}},"ReturnConsumedCapacity":"TOTAL"}' >"$WORK/getitem.json"
"$CALL" json dynamodb DescribeTable '{"TableName":"bench"}' >"$WORK/describe.json"
kill "$DYNALITE_PID"
SPORT=$(port)
DPORT=$(port)
/usr/bin/python3 - "$WORK" "$DPORT" <<'PY'
import json, sys
work, port = sys.argv[1], sys.argv[2]
def answer(name):
    r = json.load(open(f"{work}/{name}.json"))
    if not r.get("ok"):
        sys.exit(f"item_bench: dynalite did not answer {name}: {r}")
    text = json.dumps(r["result"], separators=(",", ":"), ensure_ascii=False)
    if "'" in text or "$" in text or "\\" in text:   # nginx would read these in its quoted string
        sys.exit(f"item_bench: the {name} answer has characters the stub cannot quote")
    return text
conf = f"""worker_processes 1;
daemon off;
pid {work}/stub.pid;
error_log {work}/stub.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {work};
  map $http_x_amz_target $ddb_answer {{
    "DynamoDB_20120810.GetItem" '{answer("getitem")}';
    "DynamoDB_20120810.DescribeTable" '{answer("describe")}';
    default '';
  }}
  server {{
    listen 127.0.0.1:{port};
    keepalive_requests 1000000;
    keepalive_timeout 600s;
    location / {{
      default_type application/x-amz-json-1.0;
      if ($ddb_answer = '') {{ return 400 '{{"__type":"com.amazon.coral.service#UnknownOperationException"}}'; }}
      return 200 $ddb_answer;
    }}
  }}
}}
"""
open(f"{work}/stub.conf", "w").write(conf)
PY
taskset -c 1 nginx -c "$WORK/stub.conf" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$DPORT" || { echo "item_bench: the nginx stub did not start (see $WORK/stub.log)" >&2; exit 1; }
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DPORT

PW=bench-password-not-secret
htpasswd -bcB "$WORK/htpasswd" bench "$PW" 2>/dev/null
taskset -c 0 "$SRV" --listen "127.0.0.1:$SPORT" --htpasswd "$WORK/htpasswd" --table bench \
	--assets web >/dev/null 2>"$WORK/showtable.err" &
SPID=$!
PIDS+=($SPID)
wait_port "$SPORT" || { echo "item_bench: showtable did not start (see $WORK/showtable.err)" >&2; exit 1; }

AWS_LIBS=$(printf 'print-libs:\n\t@echo $(AWS_LIBS)\n' | make -s --no-print-directory -f Makefile -f - print-libs)
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc/aws $(pkg-config --cflags jansson) -o "$WORK/item_cost" bench/item_cost.c \
	"$BUILD/libaws.a" $AWS_LIBS -pthread
echo "GET /item/item-0042 against a DynamoDB stub (nginx, fixed answers), $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
ITEM_COST_AUTH="Basic $(printf 'bench:%s' "$PW" | base64 -w0)" taskset -c 1 "$WORK/item_cost" bench item-0042 "$SPID" \
	"http://127.0.0.1:$SPORT" "$ROUNDS" 300 0

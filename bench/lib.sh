# lib.sh — what the benchmark scripts share (sourced, from the repository's root): free
# loopback ports, a temporary folder and the processes to stop when the script ends, fake
# AWS settings, and dynalite.
#
#   bench_begin          WORK (a temporary folder, removed at exit), PIDS (killed at exit),
#                        fake keys and region, no config files: nothing talks to AWS
#   bench_dynalite       starts dynalite on a free port, waits for it; exports
#                        AWS_ENDPOINT_URL_DYNAMODB (and a dead AWS_ENDPOINT_URL_SSM);
#                        DYNALITE_PID
#   bench_demo_table CTL table "bench" created and 300 demo items loaded (scripts/demo-items.py),
#                        through the showtablectl CTL, in the dynalite started above
#   port, wait_port P    a free port; wait until something listens on P

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

bench_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}

bench_begin() {
	WORK=$(mktemp -d)
	PIDS=()
	trap bench_cleanup EXIT
	# Only fake keys and loopback endpoints: nothing here talks to AWS.
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
	export AWS_CONFIG_FILE=$WORK/none AWS_SHARED_CREDENTIALS_FILE=$WORK/none
}

bench_dynalite() {
	[ -x node_modules/.bin/dynalite ] || { echo "bench: run scripts/install-deps.sh first (dynalite)" >&2; exit 1; }
	DPORT=$(port)
	node_modules/.bin/dynalite --host 127.0.0.1 --port "$DPORT" >"$WORK/dynalite.log" 2>&1 &
	DYNALITE_PID=$!
	PIDS+=($DYNALITE_PID)
	wait_port "$DPORT" || { echo "bench: dynalite did not start (see $WORK/dynalite.log)" >&2; exit 1; }
	export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DPORT
	export AWS_ENDPOINT_URL_SSM=http://127.0.0.1:$(port)   # nothing listens: the servers get --table
}

bench_demo_table() {
	"$1" table create --table bench --wait >/dev/null
	/usr/bin/python3 scripts/demo-items.py 300 | "$1" items load --table bench - >/dev/null
}

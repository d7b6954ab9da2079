#!/usr/bin/env bash
# run-local.sh — what `make run` runs: dynalite (data kept in .local/), the demo table with a
# few hundred items, a generated password kept in .local/password (mode 600) and reused on the
# next run so a browser's saved login keeps working, and showtable on 127.0.0.1:8080.
# Ctrl-C stops everything this script started, and nothing else.
#
# Environment (all optional):
#   SHOWTABLE_LISTEN     address of the server (default 127.0.0.1:8080)
#   SHOWTABLE_TABLE      table to show (default showtable-demo; created and filled if missing/empty)
#   SHOWTABLE_LOCAL_DIR  where dynalite's data, the password and the htpasswd file live (default .local)
#   RESET=1              a new password instead of the kept one (`make run RESET=1`)
#   BUILD                build folder with showtable and showtablectl (default build)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
LISTEN=${SHOWTABLE_LISTEN:-127.0.0.1:8080}
TABLE=${SHOWTABLE_TABLE:-showtable-demo}
LOCAL=${SHOWTABLE_LOCAL_DIR:-.local}
USER_NAME=demo
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

say() { printf 'run-local: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for f in "$BUILD/showtable" "$BUILD/showtablectl"; do
	[ -x "$f" ] || die "$f is not built — run \`make\` first (or \`make run\`, which builds)"
done
[ -x node_modules/.bin/dynalite ] || die "dynalite is not installed — run scripts/install-deps.sh"
command -v htpasswd >/dev/null || die "htpasswd is missing — run scripts/install-deps.sh (apache2-utils)"

# host and port of LISTEN: "127.0.0.1:8080", ":8080" (every address), "[::1]:8080".
port=${LISTEN##*:}
host=${LISTEN%:*}
host=${host#[}; host=${host%]}
case $port in ''|*[!0-9]*) die "SHOWTABLE_LISTEN=$LISTEN is not ADDR:PORT (e.g. 127.0.0.1:8080)";; esac
probe=${host:-127.0.0.1}
url_host=$probe
case $url_host in *:*) url_host="[$url_host]";; esac

port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if port_busy "$probe" "$port"; then
	who=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(("[^"]*"' | head -n1 | cut -d'"' -f2 || true)
	die "port $port on $probe is already in use${who:+ by $who} — stop that program, or choose another port: SHOWTABLE_LISTEN=127.0.0.1:8081 make run"
fi

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {   # wait_port HOST PORT PID WHAT
	local i
	for i in $(seq 1 200); do
		port_busy "$1" "$2" && return 0
		kill -0 "$3" 2>/dev/null || die "$4 exited before listening (see above or $LOCAL/*.log)"
		sleep 0.05
	done
	die "$4 is not listening on $1 port $2 after 10 s"
}

DYN_PID=
SRV_PID=
cleanup() {
	trap - EXIT INT TERM
	# The server gets SIGTERM and finishes requests in flight; dynalite after it.
	if [ -n "$SRV_PID" ] && kill -0 "$SRV_PID" 2>/dev/null; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	if [ -n "$DYN_PID" ] && kill -0 "$DYN_PID" 2>/dev/null; then
		kill -TERM "$DYN_PID" 2>/dev/null || true
		wait "$DYN_PID" 2>/dev/null || true
	fi
	say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$LOCAL/dynalite"
chmod 700 "$LOCAL"

DYN_PORT=$(free_port)
node_modules/.bin/dynalite --host 127.0.0.1 --port "$DYN_PORT" --path "$LOCAL/dynalite" \
	>"$LOCAL/dynalite.log" 2>&1 &
DYN_PID=$!
wait_port 127.0.0.1 "$DYN_PORT" "$DYN_PID" dynalite

# Our programs talk only to dynalite: fake static keys (dynalite does not check them), and
# every AWS endpoint pointed at it so nothing can reach the Internet.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION=${AWS_REGION:-eu-central-1}
export AWS_ENDPOINT_URL=http://127.0.0.1:$DYN_PORT
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DYN_PORT
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

CTL="$BUILD/showtablectl"
if ! "$CTL" table describe --table "$TABLE" >/dev/null 2>"$LOCAL/ctl.err"; then
	grep -q ResourceNotFound "$LOCAL/ctl.err" || { cat "$LOCAL/ctl.err" >&2; die "cannot read table $TABLE in dynalite"; }
	say "creating table $TABLE (key itemID, string)"
	"$CTL" table create --table "$TABLE" --key itemID --wait --timeout 30 >/dev/null
fi
# Empty? Read one item (showtablectl may be cut off by head: that is expected).
first=$(set +o pipefail; "$CTL" scan --table "$TABLE" --limit 1 2>"$LOCAL/ctl.err" | head -n 1)
if [ -z "$first" ]; then
	[ -s "$LOCAL/ctl.err" ] && { cat "$LOCAL/ctl.err" >&2; die "cannot scan table $TABLE"; }
	say "writing the demo items into $TABLE"
	"$PY" scripts/demo-items.py 300 | "$CTL" items load --table "$TABLE" - >/dev/null
fi
rm -f "$LOCAL/ctl.err"

# The password of the last run, unless RESET=1 or there is none yet: a new one then. The
# server reads only its bcrypt hash (htpasswd); the password itself stays in a file only
# its owner can read, inside a folder only its owner can enter.
PWFILE=$LOCAL/password
PASSWORD=
if [ "${RESET:-0}" != 1 ] && [ -s "$PWFILE" ]; then
	IFS= read -r PASSWORD <"$PWFILE" || true
fi
umask 077
if [ -n "$PASSWORD" ]; then
	chmod 600 "$PWFILE"
	pw_note="kept in $PWFILE — \`make run RESET=1\` makes a new one"
else
	PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(15))')
	printf '%s\n' "$PASSWORD" >"$PWFILE.tmp" && mv "$PWFILE.tmp" "$PWFILE"
	pw_note="new; kept in $PWFILE for the next runs"
fi
printf '%s' "$PASSWORD" | htpasswd -niB -C 10 "$USER_NAME" | sed '/^$/d' >"$LOCAL/htpasswd"
umask 022

SHOWTABLE_LISTEN=$LISTEN SHOWTABLE_TABLE=$TABLE SHOWTABLE_HTPASSWD=$LOCAL/htpasswd \
	"$BUILD/showtable" &
SRV_PID=$!
wait_port "$probe" "$port" "$SRV_PID" showtable

cat >&2 <<EOF

  showtable is running at  http://$url_host:$port/
  user:      $USER_NAME
  password:  $PASSWORD   ($pw_note)

  table $TABLE in dynalite (data in $LOCAL/dynalite) — press Ctrl-C to stop.

EOF

# Wait for the server; Ctrl-C lands in the traps above, which stop both.
set +e
wait "$SRV_PID"
rc=$?
SRV_PID=
exit "$rc"

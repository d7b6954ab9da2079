#!/usr/bin/env bash
# image_bench.sh — `showtablectl image build` (wall and CPU time, median of RUNS; both
# platforms when $BUILD-arm64/showtable exists, i.e. after `make ARCH=arm64`) and
# `showtablectl image push` to Debian's docker-registry on a free 127.0.0.1 port (temp config
# and storage): a first push with every blob new, then the same push again (nothing to send);
# prints each platform's compressed and uncompressed size, as markdown tables.
#
#   bench/image_bench.sh [RUNS]        (default 3; BUILD=build-dir, default build)
#
# Each first push goes to a new repository of the same registry: docker-registry links blobs
# per repository, so every blob is uploaded again and no run is a warm one.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BUILD=${BUILD:-build}
CTL=$BUILD/showtablectl
REGISTRY=/usr/bin/docker-registry
for x in "$CTL" "$BUILD/showtable"; do
	[ -x "$x" ] || { echo "image_bench: $x is not built — run make" >&2; exit 1; }
done
[ -x "$REGISTRY" ] || { echo "image_bench: $REGISTRY is missing — run scripts/install-deps.sh" >&2; exit 1; }

WORK=$(mktemp -d)
REG_PID=
cleanup() {
	if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server is copied so that a rebuild in build/ meanwhile changes nothing; the image time
# and labels are fixed so every run builds the same image (and no git call is timed).
cp "$BUILD/showtable" "$WORK/showtable"
ARM64=
if [ -x "$BUILD-arm64/showtable" ]; then cp "$BUILD-arm64/showtable" "$WORK/showtable-arm64"; ARM64=1; fi
export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SHOWTABLE_REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
export SHOWTABLE_SOURCE=https://example.invalid/showtable.git
# No AWS at all: a --registry push makes no AWS call; these only make sure of it.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$WORK/none AWS_SHARED_CREDENTIALS_FILE=$WORK/none

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/registry"
cat >"$WORK/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$PORT
EOF
"$REGISTRY" serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 200); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	kill -0 "$REG_PID" 2>/dev/null || { echo "image_bench: docker-registry exited:" >&2; cat "$WORK/registry.log" >&2; exit 1; }
	sleep 0.05
done

/usr/bin/python3 - "$RUNS" "$CTL" "$WORK" "127.0.0.1:$PORT" "$ARM64" <<'EOF'
import json, os, re, statistics, subprocess, sys, time
runs, ctl, work, reg, arm64 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
out = os.path.join(work, "image")

def run(argv):
    """Runs argv; returns (wall s, user+sys s of the process from wait4's rusage, stdout,
    stderr). Output goes to files, so reading it is not part of the time."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=open(os.path.join(work, "out"), "wb"),
                         stderr=open(os.path.join(work, "err"), "wb"), stdin=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    o = open(os.path.join(work, "out")).read()
    e = open(os.path.join(work, "err")).read()
    if p.returncode != 0:
        sys.exit(f"image_bench: {' '.join(argv)} failed ({p.returncode}):\n{e}")
    return wall, ru.ru_utime + ru.ru_stime, o, e

if arm64:
    build = [ctl, "image", "build", "--platform", "linux/amd64,linux/arm64",
             "--binary", "amd64=" + os.path.join(work, "showtable"),
             "--binary", "arm64=" + os.path.join(work, "showtable-arm64"), "--out", out]
else:
    build = [ctl, "image", "build", "--binary", os.path.join(work, "showtable"), "--out", out]
builds = [run(build) for _ in range(runs)]
digests = {b[2].strip() for b in builds}
if len(digests) != 1:
    sys.exit(f"image_bench: the builds gave different digests: {digests}")
digest = digests.pop()
log = builds[-1][3]
platforms = re.findall(
    r"linux/(\w+): sha256:\w+\n"
    r" +layer 1 \(binary, (\d+) shared objects.*?\): ([\d.]+) MB compressed, ([\d.]+) MB uncompressed.*?\n"
    r" +layer 2 .*?: ([\d.]+) MB compressed, ([\d.]+) MB uncompressed.*?\n"
    r" +total ([\d.]+) MB compressed, ([\d.]+) MB uncompressed", log)
stored = re.search(r"layout .*? \(([\d.]+) MB\)", log)
if not platforms or not stored:
    sys.exit(f"image_bench: cannot read the sizes from image build's output:\n{log}")
# Cross-check each printed total against the layout: config + layers as its manifest lists them.
blob = lambda d: open(os.path.join(out, "blobs", "sha256", d[7:]), "rb").read()
idx = json.loads(blob(json.load(open(os.path.join(out, "index.json")))["manifests"][0]["digest"]))
for arch, _, _, _, _, _, total, _ in platforms:
    d = [m for m in idx["manifests"] if m.get("platform", {}).get("architecture") == arch][0]
    man = json.loads(blob(d["digest"]))
    blob_bytes = man["config"]["size"] + sum(l["size"] for l in man["layers"])
    if abs(blob_bytes / 1e6 - float(total)) > 0.01:
        sys.exit(f"image_bench: build printed {total} MB for {arch}, the manifest lists "
                 f"{blob_bytes / 1e6:.2f} MB")
tar_mb = os.path.getsize(out + ".tar") / 1e6

def push(repo):
    return run([ctl, "image", "push", "--no-build", "--out", out, "--registry", reg,
                "--insecure-http", "--repository", repo])

def requests(log):
    r = re.search(r"(\d+) requests", log)
    return int(r.group(1)) if r else None

first = []
for i in range(runs):
    w, c, o, e = push(f"bench-{i}")
    if o.strip() != f"{reg}/bench-{i}@{digest}":
        sys.exit(f"image_bench: push printed {o.strip()!r}, not the digest-pinned URI\n{e}")
    first.append((w, c, e))
again = []
for _ in range(runs):
    w, c, o, e = push("bench-0")
    if "nothing to push" not in e:
        sys.exit(f"image_bench: the second push to bench-0 was not a no-op:\n{e}")
    again.append((w, c, e))
with open(os.path.join(work, "registry.log")) as f:
    uploads = len(re.findall(r'"POST /v2/[^ ]+/blobs/uploads/ HTTP', f.read()))

med = lambda xs, i: statistics.median(x[i] for x in xs)
print(f"Image {digest[:19]}…; median of {runs} runs, `showtablectl` timed from start to exit "
      f"(CPU: user+sys from wait4's rusage); push to Debian's docker-registry on 127.0.0.1, "
      f"plain HTTP, no auth.\n")
print("| step | wall (s) | CPU user+sys (s) | |")
print("|---|---:|---:|---|")
print(f"| `image build` | {med(builds, 0):.2f} | {med(builds, 1):.2f} | "
      f"runs: {', '.join(f'{b[0]:.2f}' for b in builds)} s |")
print(f"| `image push`, every blob new | {med(first, 0):.2f} | {med(first, 1):.2f} | "
      f"{float(stored.group(1)):.1f} MB (every blob of the layout), {requests(first[0][2])} "
      f"requests, {uploads} blob uploads "
      f"in {runs} pushes |")
print(f"| `image push` again (tag holds the digest) | {med(again, 0):.3f} | {med(again, 1):.3f} | "
      f"{requests(again[0][2]) or 'no'} requests, nothing sent |")
print()
print("| image | compressed (MB) | uncompressed (MB) |")
print("|---|---:|---:|")
for arch, nlibs, c1, u1, c2, u2, ct, ut in platforms:
    print(f"| linux/{arch} layer 1: binary, {nlibs} shared objects, CA bundle, users | {float(c1):.2f} | {float(u1):.2f} |")
    print(f"| linux/{arch} layer 2: web assets, templates (shared) | {float(c2):.3f} | {float(u2):.3f} |")
    print(f"| **linux/{arch} total** (config + layers: what a pull downloads) | **{float(ct):.2f}** | **{float(ut):.2f}** |")
print(f"| the layout (every blob: images, SBOMs, index) | {float(stored.group(1)):.2f} | |")
print(f"| `image.tar` (OCI archive, gzip layers inside) | {tar_mb:.2f} | |")
EOF

#!/usr/bin/env bash
# install-deps.sh — installs everything showtable needs to build, test, run and benchmark,
# from Debian's packages and the npm registry, plus the pinned Python AWS test tools (moto,
# cfn-lint) from PyPI into .local/venv when no Python on the machine has them. Idempotent: a
# second run installs nothing and takes about a second. Needs root for apt-get (CI and dev
# machines run as root). apt-get waits up to 10 minutes for the dpkg lock: a fresh cloud machine
# often runs unattended upgrades at boot, and failing at once there would fail CI for nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# build: compilers, pkg-config and the libraries we link (see README "Components").
# test: cmocka, pytest, botocore (SigV4 cross-check), python3-venv (for .local/venv),
# docker-registry/skopeo (image push), jsonschema (the SBOM against CycloneDX's schema),
# chromium (browser test), apache2-utils (htpasswd in tests), groff-base (man page check).
# bench: wrk, nginx-light, hyperfine.
PKGS=(build-essential clang pkg-config
      libcurl4-openssl-dev libjansson-dev libmicrohttpd-dev libevent-dev libssl-dev
      libexpat1-dev libarchive-dev zlib1g-dev libcrypt-dev libyaml-dev
      libcmocka-dev python3 python3-pytest python3-botocore python3-yaml python3-venv
      docker-registry skopeo chromium apache2-utils libclang-rt-14-dev
      wrk nginx-light hyperfine util-linux procps ca-certificates groff-base
      python3-jsonschema)
# linux/arm64 image: the cross compiler and only the libraries the server links, as :arm64
# (make ARCH=arm64); qemu-user-static runs the arm64 server in the tests.
PKGS+=(gcc-aarch64-linux-gnu qemu-user-static
       libcurl4-openssl-dev:arm64 libjansson-dev:arm64 libssl-dev:arm64 libexpat1-dev:arm64
       libmicrohttpd-dev:arm64 libcrypt-dev:arm64 zlib1g-dev:arm64)

SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
# The :arm64 packages need the architecture known to dpkg (apt-get update below then reads
# its package lists).
dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js: the machine may ship its own build (with npm inside); only install Debian's if
# there is no node at all.
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
	$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm test tools, pinned by package-lock.json (dynalite, the JS SDK for the benchmark,
# playwright-core for the browser test, @aws-cdk/cfnspec for template validation).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "install-deps: npm ci"
	npm ci --no-audit --no-fund --loglevel=error
fi

# The AWS test tools (scripts/aws-tools.txt): a Python that already has them is used as it is;
# otherwise pip fills a virtual environment in .local/venv (git-ignored), never a system Python.
# Without them only the tests fail (with how to get them): `make run` does not need them.
if ! scripts/find-aws-tools.sh >/dev/null 2>&1; then
	echo "install-deps: moto and cfn-lint into .local/venv (pip, pinned in scripts/aws-tools.txt)"
	mkdir -p .local
	if ! { python3 -m venv .local/venv &&
	       .local/venv/bin/python3 -m pip install -q --disable-pip-version-check \
	               -r scripts/aws-tools.txt; }; then
		echo "install-deps: could not install them; the tests will say how to get them" >&2
	fi
fi

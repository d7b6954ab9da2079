#!/usr/bin/env bash
# find-aws-tools.sh — prints the path of a Python interpreter that has the AWS tools the tests use
# (moto with its server, cfn-lint) at exactly the versions pinned in scripts/aws-tools.txt.
# Looks, in order, at $SHOWTABLE_PYTHON, python3 on PATH, pyenv's shim and versions under
# $HOME/.pyenv (a non-login shell often lacks them on PATH), and the virtual environment that
# install-deps.sh makes in .local/venv. The check reads package metadata only (no imports of
# moto), so trying a candidate costs a Python start-up. Exits 1 saying what each candidate
# lacked and how to get the tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pins=$root/scripts/aws-tools.txt

# Prints sys.executable when every pinned distribution (and each requirement of a pinned extra,
# like moto's "server") is installed at its version; otherwise says what is missing, exit 1.
read -r -d '' check <<'PY' || true
import re, sys
try:
    import importlib.metadata as md
except ImportError:
    sys.exit("Python %d.%d has no importlib.metadata (3.8 or newer needed)" % sys.version_info[:2])
def installed(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None
problems = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[([A-Za-z0-9_,-]+)\])?==(\S+)", line)
    if not m:
        sys.exit("cannot read the pin %r in %s" % (line, sys.argv[1]))
    name, extras, want = m.groups()
    have = installed(name)
    if have is None:
        problems.append("%s is not installed" % name)
        continue
    if have != want:
        problems.append("%s is %s, not %s" % (name, have, want))
        continue
    for extra in (extras or "").split(","):
        for req in md.requires(name) or []:
            dep, _, marker = req.partition(";")
            if extra and re.search(r"extra\s*==\s*['\"]%s['\"]" % re.escape(extra), marker):
                dep_name = re.match(r"[A-Za-z0-9_.-]+", dep.strip()).group(0)
                if installed(dep_name) is None:
                    problems.append("%s[%s] needs %s, which is not installed"
                                    % (name, extra, dep_name))
if problems:
    sys.exit("; ".join(problems))
print(sys.executable)
PY

candidates=()
[ -n "${SHOWTABLE_PYTHON:-}" ] && candidates+=("$SHOWTABLE_PYTHON")
if p=$(command -v python3 2>/dev/null); then candidates+=("$p"); fi
candidates+=("$HOME/.pyenv/shims/python3")
for v in "$HOME"/.pyenv/versions/*/bin/python3; do
	[ -e "$v" ] && candidates+=("$v")
done
candidates+=("$root/.local/venv/bin/python3")

report=()
declare -A seen=()
for c in "${candidates[@]}"; do
	[ -n "${seen[$c]:-}" ] && continue
	seen[$c]=1
	if ! exe=$(command -v "$c" 2>/dev/null) || [ ! -x "$exe" ]; then
		report+=("  $c: not found")
		continue
	fi
	if out=$("$exe" -c "$check" "$pins" 2>&1) && [ -n "$out" ]; then
		printf '%s\n' "${out##*$'\n'}"
		exit 0
	fi
	report+=("  $c: ${out##*$'\n'}")
done

{
	echo "find-aws-tools: no Python has the pinned AWS test tools ($(grep -v '^#' "$pins" | xargs)):"
	printf '%s\n' "${report[@]}"
	echo "Get them with scripts/install-deps.sh (a virtual environment in .local/venv, filled by pip"
	echo "from PyPI; needs python3-venv), or point SHOWTABLE_PYTHON at a Python that has them"
	echo "(in a virtual environment: pip install -r scripts/aws-tools.txt)."
} >&2
exit 1

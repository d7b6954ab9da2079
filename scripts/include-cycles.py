#!/usr/bin/env python3
"""include-cycles.py — lists the include cycles between modules under src/ (exit 1 if any).

A module is a header and the files that implement it: foo.h, foo.c, foo_internal.h and
every foo_*.c that has no header of its own. Module A depends on B when a file of A
includes B's header; a cycle is a strongly connected set of two or more modules.
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
files = {}
for d, _, names in os.walk(root):
    for n in names:
        if n.endswith((".c", ".h")):
            files[os.path.join(d, n)] = n
headers = {os.path.splitext(n)[0] for n in files.values() if n.endswith(".h")}

def module(name):
    stem = os.path.splitext(name)[0]
    if stem.endswith("_internal"):
        stem = stem[: -len("_internal")]
    while stem not in headers and "_" in stem:
        stem = stem.rsplit("_", 1)[0]
    return stem if stem in headers else os.path.splitext(name)[0]

deps = {}
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
for path, name in files.items():
    a = module(name)
    deps.setdefault(a, set())
    with open(path, errors="replace") as f:
        for line in f:
            m = inc.match(line)
            if m:
                b = module(os.path.basename(m.group(1)))
                if b != a and b in headers:
                    deps[a].add(b)

# Tarjan's strongly connected components.
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in deps.get(v, ()):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        if len(c) > 1:
            sccs.append(sorted(c))
sys.setrecursionlimit(10000)
for v in sorted(deps):
    if v not in index:
        visit(v)
for c in sccs:
    print("include cycle: " + " <-> ".join(c))
print(f"{len(sccs)} include cycle(s) among {len(deps)} modules")
sys.exit(1 if sccs else 0)

#!/usr/bin/env python3
"""items.py N — N benchmark items as DynamoDB JSON lines (what `showtablectl items load`
reads), about 200 bytes each by DynamoDB's size count, a few attribute types; the same
items on every run (seeded)."""
import json
import random
import sys

rnd = random.Random(1)
pool = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(4096))
out = sys.stdout
for i in range(int(sys.argv[1])):
    out.write(json.dumps({
        "itemID": {"S": f"item-{i:06d}"},
        "title": {"S": pool[i % 3900:i % 3900 + 140]},
        "price": {"N": f"{rnd.randint(1, 99999)}.{rnd.randint(1, 9)}"},
        "active": {"BOOL": i % 2 == 0},
        "tags": {"SS": ["all", f"group-{i % 10}"]},
    }, separators=(",", ":")) + "\n")

#!/usr/bin/env python3
"""demo-items.py — the demo table's items for `make run`, one DynamoDB-JSON object per line.

Deterministic (fixed seed): the same N items (default 300) on every run, so screenshots and
tests can rely on them. They use every attribute type (S N B BOOL NULL M L SS NS BS), leave
some attributes out (sparse columns), and include text that must be shown escaped
(markup, quotes, unicode, control characters) and numbers with 38 significant digits.
Usage: demo-items.py [COUNT] | showtablectl items load --table showtable-demo -
"""
import base64
import json
import random
import sys

PRODUCTS = ["Anchor", "Beacon", "Compass", "Drift", "Ember", "Fjord", "Glacier", "Harbor",
            "Isle", "Juniper", "Kelp", "Lagoon", "Meridian", "Nautilus", "Orca", "Pier",
            "Quay", "Reef", "Sextant", "Tide"]
KINDS = ["lamp", "chair", "desk", "shelf", "rug", "mug", "clock", "vase"]
COLOURS = ["red", "blue", "green", "amber", "slate", "ivory", "teal"]
CITIES = ["Zürich", "São Paulo", "Kraków", "Reykjavík", "東京", "Αθήνα", "Québec", "Malmö"]
NOTES = [
    "Ships in 2–3 days",
    "Customer said: \"works great\" & 'looks nice'",
    "<script>alert('not run: shown as text')</script>",
    "Line one\nline two",
    "Tab\tseparated",
    "Fragile ☕ handle with care",
    "Back-order 🚚",
]


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


def item(i, rnd):
    name = f"{rnd.choice(PRODUCTS)} {rnd.choice(KINDS)}"
    it = {
        "itemID": s(f"item-{i:04d}"),
        "name": s(name),
        "price": n(f"{rnd.randint(1, 49999) / 100:.2f}"),
        "stock": n(rnd.randint(0, 500)),
        "active": {"BOOL": rnd.random() < 0.8},
    }
    if rnd.random() < 0.7:
        it["colours"] = {"SS": sorted(rnd.sample(COLOURS, rnd.randint(1, 3)))}
    if rnd.random() < 0.5:
        it["sizes"] = {"NS": [str(x) for x in sorted(rnd.sample([36, 38, 40, 42, 44, 46], 2))]}
    if rnd.random() < 0.6:
        it["origin"] = {"M": {"city": s(rnd.choice(CITIES)),
                              "lat": n(f"{rnd.uniform(-60, 70):.4f}"),
                              "lon": n(f"{rnd.uniform(-150, 150):.4f}")}}
    if rnd.random() < 0.4:
        it["history"] = {"L": [n(rnd.randint(1, 99)) for _ in range(rnd.randint(1, 4))]
                         + [{"BOOL": rnd.random() < 0.5}]}
    if rnd.random() < 0.3:
        raw = bytes(rnd.randrange(256) for _ in range(rnd.randint(3, 9)))
        it["thumb"] = {"B": base64.b64encode(raw).decode()}
    if rnd.random() < 0.1:
        it["checksums"] = {"BS": [base64.b64encode(bytes([k, rnd.randrange(256)])).decode()
                                  for k in range(2)]}
    if rnd.random() < 0.15:
        it["discontinued"] = {"NULL": True}
    if rnd.random() < 0.25:
        it["note"] = s(rnd.choice(NOTES))
    if i % 50 == 7:
        # 38 significant digits, DynamoDB's maximum: must be shown digit for digit.
        it["serial"] = n("12345678901234567890123456789012345678")
    return it


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rnd = random.Random(20240601)
    out = sys.stdout
    for i in range(1, count + 1):
        out.write(json.dumps(item(i, rnd), ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

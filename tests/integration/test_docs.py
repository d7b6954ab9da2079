"""test_docs.py — what the documentation states, checked against itself and the tree.

docs/cost.md's totals are the sums of its line items and use the image size docs/image.md
measured; README.md quotes the same totals; and the text users read (README, docs, bench,
templates, sources, tests, scripts) speaks of the product and its measurements, never of how
it was developed.
"""
import os
import re

from conftest import ROOT

DOCS = os.path.join(ROOT, "docs")


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def cost_table():
    """The "Monthly totals" table of docs/cost.md: {row label: [cells]} and the header."""
    rows = {}
    for line in read("docs", "cost.md").split("## Monthly totals", 1)[1].splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip().strip("*").strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
        elif rows and not line.startswith("|"):
            break
    return rows


def amounts(cell):
    """(low, high) USD of a cell: "–" is 0, "2.70–4.51" a range, "0.23 (5 GB …)" 0.23."""
    m = re.match(r"^(\d+\.\d\d)(?:–(\d+\.\d\d))?", cell)
    if not m:
        assert cell in ("–", "-"), cell
        return 0.0, 0.0
    low = float(m.group(1))
    return low, float(m.group(2) or low)


def test_cost_totals_are_the_sums_of_their_lines():
    rows = cost_table()
    lines = {k: v for k, v in rows.items() if not k.startswith(("Line item", "Total", "Share"))}
    totals = rows["Total (USD / month)"]
    for col, total in enumerate(totals):
        low = sum(amounts(cells[col])[0] for cells in lines.values())
        high = sum(amounts(cells[col])[1] for cells in lines.values())
        assert amounts(total) == (round(low, 2), round(high, 2)), f"column {col + 1}"


def front_door_tables():
    """The two tables of cost.md's front door section: the totals per mode ({(door, Fargate):
    [0, 100 k, 10 M cells]}) and the line items ({label: cells}, one column per door and volume)."""
    section = read("docs", "cost.md").split("## The front door", 1)[1].split("\n## ", 1)[0]
    tables, rows = [], None
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip().strip("*").strip() for c in line.strip("|").split("|")]
            if rows is None:
                rows = {}
                tables.append(rows)
            rows[tuple(cells[:2]) if len(tables) == 1 else cells[0]] = cells[2:5] if len(tables) == 1 \
                else cells[1:]
        elif not line.startswith("|"):
            rows = None
    modes, items = tables
    return modes, items


def test_front_door_totals_are_the_sums_of_their_lines():
    _, items = front_door_tables()
    lines = {k: v for k, v in items.items() if not k.startswith(("Line item", "Total"))}
    for col, total in enumerate(items["Total (USD / month)"]):
        assert amounts(total)[0] == round(sum(amounts(c[col])[0] for c in lines.values()), 2), f"column {col + 1}"


def test_front_door_modes_quote_the_line_items_and_the_nat_0_total():
    modes, items = front_door_tables()
    totals = items["Total (USD / month)"]
    assert modes[("ALB", "x86 on demand")] == totals[0:3]
    assert modes[("HTTP API", "x86 on demand")] == totals[3:6]
    # The ALB at 100 k requests is the NAT 0 column of the monthly totals.
    assert modes[("ALB", "x86 on demand")][1] == cost_table()["Total (USD / month)"][3]
    readme = read("README.md")
    assert f"| {modes[('HTTP API', 'x86 on demand')][1]} |" in readme


def test_cost_assumes_the_measured_image_size():
    measured = re.search(r"image, compressed \(config \+ gzip layers\) \| \*\*(\d+\.\d+) MB\*\*",
                         read("docs", "image.md"))
    assert measured, "docs/image.md states no compressed image size"
    size = f"{float(measured.group(1)):.1f} MB"
    cost = read("docs", "cost.md")
    assert f"our image {size}" in cost
    assert f"10 × {size}" in cost
    sizes = set(re.findall(r"(\d+(?:\.\d+)?) MB per image|~(\d+) MB per image", cost))
    assert sizes <= {(size[:-3], "")}, sizes


def test_readme_quotes_the_cost_totals():
    totals = cost_table()["Total (USD / month)"]
    readme = read("README.md")
    for total in totals:
        assert f"| {total} |" in readme, total


# The wording of the development process: which round of work did what, issue numbers,
# goals declared reached, the reference design by a nickname. Built from parts so this file
# passes too.
HISTORY = re.compile("|".join([
    r"\bsessions? [0-9]", r"\bissue #?[0-9]+", r"\btargets? (is |are )?met\b",
    r"\bthe " + "seed" + r"\b", r"this " + "session",
]), re.I)
CHECKED = ["README.md", "Makefile", "docs", "bench", "infra", "src", "tests", "web", "scripts"]


def text_files():
    for top in CHECKED:
        path = os.path.join(ROOT, top)
        if os.path.isfile(path):
            yield path
            continue
        for d, dirs, files in os.walk(path):
            dirs[:] = [x for x in dirs if x not in ("node_modules", "__pycache__")]
            for name in files:
                yield os.path.join(d, name)


def test_text_speaks_of_the_product_not_of_its_development():
    hits = []
    for path in text_files():
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue   # binary data (favicon, test vectors)
        for n, line in enumerate(text.splitlines(), 1):
            if HISTORY.search(line):
                hits.append(f"{os.path.relpath(path, ROOT)}:{n}: {line.strip()[:100]}")
    assert hits == [], "\n".join(hits)

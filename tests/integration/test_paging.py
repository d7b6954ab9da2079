"""test_paging.py — paging and filtering against dynalite, through the server's JSON API and
results page, on the demo table `make run` creates (300 items, scripts/demo-items.py).

Every item exactly once across pages for several filters and page sizes; no empty page
before the end of an unfiltered scan; cursors bound to their filter; numbers digit for digit.
"""
import json
import re
import urllib.parse

import pytest

from conftest import binary
from localrun import LocalRun

ALL_IDS = {f"item-{i:04d}" for i in range(1, 301)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    binary("showtable")
    binary("showtablectl")
    run = LocalRun(tmp_path_factory.mktemp("paging"))
    try:
        run.start()
        yield run
        run.interrupt()
        assert run.sanitizer_reports() == []
    finally:
        run.kill()


def api(run, **params):
    status, body = run.get("/api/items?" + urllib.parse.urlencode(params))
    assert status == 200, body[:300]
    return json.loads(body), body


def walk(run, q, limit):
    ids, pages, cursor = [], [], None
    while True:
        params = {"q": q, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        doc, _ = api(run, **params)
        assert doc["count"] == len(doc["items"]) <= limit
        assert doc["scanned"] >= doc["count"]
        pages.append(doc["count"])
        ids += [it["itemID"] for it in doc["items"]]
        cursor = doc["cursor"]
        if cursor is None:
            return ids, pages
        assert len(pages) < 400


@pytest.mark.parametrize("q,limit", [("", 7), ("", 100), ("", 300), ("item-01", 9),
                                     ("5", 13), ("0", 1000), ("zzz", 10)])
def test_pages_hold_every_matching_item_exactly_once(demo, q, limit):
    ids, pages = walk(demo, q, limit)
    want = {i for i in ALL_IDS if q in i}
    assert len(ids) == len(set(ids)), "an item came twice"
    assert set(ids) == want
    if not q:
        # Without a filter a next-page link means more items: no empty page at all.
        assert all(n > 0 for n in pages)
        assert len(pages) == -(-300 // limit)
    else:
        assert all(n == limit for n in pages[:-1]), pages   # full pages until the end


def test_cursor_from_one_filter_is_refused_with_another(demo):
    doc, _ = api(demo, q="item-0", limit=5)
    status, body = demo.get("/api/items?" + urllib.parse.urlencode(
        {"q": "item-1", "limit": 5, "cursor": doc["cursor"]}))
    assert status == 400
    status, body = demo.get("/query?" + urllib.parse.urlencode(
        {"q": "item-1", "cursor": doc["cursor"]}))
    assert status == 400
    assert b"start again from the first page" in body


def test_numbers_and_types_come_through_digit_for_digit(demo):
    doc, raw = api(demo, q="item-0007", limit=10)
    assert [it["itemID"] for it in doc["items"]] == ["item-0007"]
    assert b'"serial":12345678901234567890123456789012345678' in raw
    status, html = demo.get("/query?q=item-0007")
    assert status == 200
    assert b'<td class="n">12345678901234567890123456789012345678</td>' in html


def test_results_page_links_to_the_next_page_with_cursor_filter_and_limit(demo):
    status, html = demo.get("/query?q=item-&limit=25")
    assert status == 200
    m = re.search(rb'<a class="next primary" rel="next" href="([^"]+)"', html)
    assert m, "no next-page link"
    href = m.group(1).decode().replace("&amp;", "&")
    params = urllib.parse.parse_qs(urllib.parse.urlparse(href).query)
    assert params["q"] == ["item-"] and params["limit"] == ["25"] and params["cursor"]
    status, html2 = demo.get(href)
    assert status == 200
    first = set(re.findall(rb'<th scope="row"><a href="/item/item-\d+">(item-\d+)</a></th>', html))
    second = set(re.findall(rb'<th scope="row"><a href="/item/item-\d+">(item-\d+)</a></th>', html2))
    assert len(first) == len(second) == 25 and not first & second


def test_markup_quotes_unicode_and_control_characters_in_items_are_shown_escaped(demo):
    doc, _ = api(demo, limit=1000)
    by_note = {}
    for it in doc["items"]:
        by_note.setdefault(it.get("note"), it["itemID"])
    checks = {
        "<script>alert('not run: shown as text')</script>":
            b"&lt;script&gt;alert(&#39;not run: shown as text&#39;)&lt;/script&gt;",
        "Customer said: \"works great\" & 'looks nice'":
            b"Customer said: &quot;works great&quot; &amp; &#39;looks nice&#39;",
        "Line one\nline two": b'Line one<span class="esc">\\n</span>line two',
        "Fragile \u2615 handle with care": "Fragile \u2615 handle with care".encode(),
    }
    for note, escaped in checks.items():
        assert note in by_note, f"demo data lacks the note {note!r}"
        status, html = demo.get("/query?q=" + by_note[note])
        assert status == 200
        assert escaped in html, note
        assert b"<script>alert" not in html

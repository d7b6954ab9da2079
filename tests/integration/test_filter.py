"""test_filter.py — conditions on any attribute (attr, op, type, value; several ANDed) against
dynalite, through /api/items and /query: every operator and type gives exactly the items a
Python reading of the same condition keeps, across pages; cursors stay bound to the whole
filter; names and values that look like expression syntax are only data; bad conditions
are a clear 400.
"""
import json
import re
import urllib.parse
import uuid

import pytest

from server_fixture import load_items, server_env, showtable_factory  # noqa: F401

AUTH = ("alice", "correct horse battery")


def make_items():
    items = []
    for i in range(120):
        it = {"itemID": {"S": f"item-{i:04d}"}, "n": {"N": str(i)}, "price": {"N": f"{i % 17}.5"},
              "name": {"S": ["apple", "banana", "cherry", "apricot"][i % 4] + f"-{i}"},
              "done": {"BOOL": i % 3 == 0}}
        if i % 5 == 0:
            it["note"] = {"S": "has a note"}
        if i % 7 == 0:
            it["tags"] = {"SS": ["red", "green"] if i % 2 else ["blue"]}
        if i % 11 == 0:
            it["odd name.with:#chars"] = {"S": "x) OR attribute_exists(itemID"}
        items.append(it)
    return items


ITEMS = make_items()


def plain(v):
    (t, x), = v.items()
    return {"S": lambda: x, "N": lambda: float(x), "BOOL": lambda: x, "SS": lambda: set(x)}[t]()


def keeps(item, attr, op, typ, value):
    """The condition, read in Python as DynamoDB defines it."""
    if op == "exists":
        return attr in item
    if op == "not_exists":
        return attr not in item
    if attr not in item:
        return False
    (t, _), = item[attr].items()
    want = {"string": "S", "number": "N", "bool": "BOOL"}[typ]
    v = plain(item[attr])
    x = {"string": lambda: value, "number": lambda: float(value), "bool": lambda: value == "true"}[typ]()
    if op == "contains":
        return (t == "S" and want == "S" and x in v) or (t == "SS" and want == "S" and x in v)
    if t != want:
        return op == "ne"
    return {"eq": v == x, "ne": v != x, "lt": v < x, "gt": v > x,
            "begins_with": t == "S" and v.startswith(x)}[op]


@pytest.fixture(scope="module")
def table(dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, ITEMS)
    return name


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, table):
    return showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()


def params_of(conds, **extra):
    p = list(extra.items())
    for attr, op, typ, value in conds:
        p += [("attr", attr), ("op", op), ("type", typ), ("value", value)]
    return p


def walk(srv, conds, limit=13, q=""):
    ids, cursor, pages = [], None, 0
    while True:
        p = params_of(conds, q=q, limit=limit) + ([("cursor", cursor)] if cursor else [])
        status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(p), auth=AUTH)
        assert status == 200, body[:400]
        doc = json.loads(body)
        ids += [it["itemID"] for it in doc["items"]]
        cursor = doc["cursor"]
        pages += 1
        if not cursor:
            return ids
        assert pages < 100


CASES = [
    ("n", "eq", "number", "42"), ("n", "ne", "number", "42"), ("n", "lt", "number", "10"),
    ("n", "gt", "number", "100"), ("price", "gt", "number", "15"), ("name", "begins_with", "string", "ap"),
    ("name", "contains", "string", "rr"), ("tags", "contains", "string", "red"),
    ("done", "eq", "bool", "true"), ("done", "ne", "bool", "true"), ("note", "exists", "string", ""),
    ("note", "not_exists", "string", ""), ("name", "lt", "string", "b"), ("name", "eq", "string", "banana-1"),
    ("n", "eq", "string", "42"), ("odd name.with:#chars", "eq", "string", "x) OR attribute_exists(itemID"),
]


@pytest.mark.parametrize("cond", CASES, ids=lambda c: "-".join(c[:3]))
def test_each_operator_and_type_keeps_what_dynamodb_would(srv, cond):
    ids = walk(srv, [cond])
    want = {it["itemID"]["S"] for it in ITEMS if keeps(it, *cond)}
    assert len(ids) == len(set(ids))
    assert set(ids) == want


def test_conditions_combine_with_and_and_with_the_itemID_text(srv):
    conds = [("n", "gt", "number", "20"), ("done", "eq", "bool", "false"), ("name", "begins_with", "string", "a")]
    want = {it["itemID"]["S"] for it in ITEMS if all(keeps(it, *c) for c in conds)}
    assert set(walk(srv, conds)) == want and want
    want_q = {i for i in want if "item-00" in i}
    assert set(walk(srv, conds, q="item-00")) == want_q


def test_expression_syntax_in_names_and_values_is_only_data(srv):
    ids = walk(srv, [("itemID", "eq", "string", "x) OR attribute_exists(itemID")])
    assert ids == []
    ids = walk(srv, [("attribute_exists(itemID) OR #a0", "exists", "string", "")])
    assert ids == []


def test_cursor_is_bound_to_the_whole_filter(srv):
    conds = [("n", "gt", "number", "10")]
    status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(params_of(conds, limit=5)), auth=AUTH)
    cursor = json.loads(body)["cursor"]
    assert cursor
    for other in ([], [("n", "gt", "number", "11")], [("n", "gt", "string", "10")],
                  conds + [("note", "exists", "string", "")]):
        p = params_of(other, limit=5, cursor=cursor)
        status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(p), auth=AUTH)
        assert status == 400, other
        assert "start again from the first page" in json.loads(body)["error"]["detail"]
    status, _, _ = srv.get("/api/items?" + urllib.parse.urlencode(params_of(conds, limit=5, cursor=cursor)),
                           auth=AUTH)
    assert status == 200


def test_results_page_keeps_the_filter_in_its_links_and_form(srv):
    conds = [("n", "lt", "number", "50"), ("name", "contains", "string", "an")]
    status, _, body = srv.get("/query?" + urllib.parse.urlencode(params_of(conds, limit=5)), auth=AUTH)
    h = body.decode()
    assert status == 200
    assert "where <code>n</code> &lt; <code>50</code> and <code>name</code> contains <q>an</q>" in h
    href = re.search(r'rel="next" href="([^"]+)"', h).group(1).replace("&amp;", "&")
    got = urllib.parse.parse_qs(urllib.parse.urlparse(href).query, keep_blank_values=True)
    assert got["attr"] == ["n", "name"] and got["op"] == ["lt", "contains"] and got["value"] == ["50", "an"]
    ids = []
    while True:
        ids += re.findall(r'<th scope="row"><a href="/item/[^"]+">([^<]+)</a>', h)
        m = re.search(r'rel="next" href="([^"]+)"', h)
        if not m:
            break
        status, _, body = srv.get(m.group(1).replace("&amp;", "&"), auth=AUTH)
        h = body.decode()
    assert set(ids) == {it["itemID"]["S"] for it in ITEMS if all(keeps(it, *c) for c in conds)}
    # the form shows the conditions and one blank row for another
    assert 'aria-label="attribute of condition 3" value=""' in h


def test_blank_rows_of_the_form_are_ignored_and_post_works(srv):
    form = urllib.parse.urlencode([("q", ""), ("attr", ""), ("op", "eq"), ("type", "string"), ("value", ""),
                                   ("attr", "n"), ("op", "eq"), ("type", "number"), ("value", "7")])
    status, _, body = srv.request("POST", "/query", body=form, auth=AUTH,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert re.findall(r'<th scope="row"><a href="/item/[^"]+">([^<]+)</a>', body.decode()) == ["item-0007"]


@pytest.mark.parametrize("conds,words", [
    ([("n", "gt", "number", "ten")], "is not a number"),
    ([("n", "like", "string", "x")], "op must be one of"),
    ([("n", "eq", "date", "x")], "type must be string, number or bool"),
    ([("done", "eq", "bool", "yes")], "true or false"),
    ([("name", "begins_with", "number", "1")], "strings only"),
    ([("n" * 256, "exists", "string", "")], "attribute name is 1 to 255 bytes"),
    ([("n", "eq", "string", "v" * 1025)], "at most 1024 bytes"),
    ([("n", "exists", "string", "")] * 9, "at most 8 conditions"),
])
def test_bad_conditions_are_a_clear_400(srv, conds, words):
    status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(params_of(conds)), auth=AUTH)
    assert status == 400
    assert words in json.loads(body)["error"]["detail"]
    status, _, body = srv.get("/query?" + urllib.parse.urlencode(params_of(conds)), auth=AUTH)
    assert status == 400 and words.encode() in body


def test_exact_lookup_takes_no_conditions(srv):
    p = params_of([("n", "exists", "string", "")], mode="exact", q="item-0001")
    status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(p), auth=AUTH)
    assert status == 400 and "no attribute conditions" in json.loads(body)["error"]["detail"]

"""test_item.py — the item view (/item/<itemID>, /api/item/<itemID>) and the filter's exact
itemID lookup, against dynalite: every attribute type, itemIDs that need percent-encoding,
links from the list, missing items, tables whose key is not a string or has a sort key.
"""
import base64
import html
import json
import re
import time
import urllib.parse
import uuid

import pytest

from server_fixture import ddb_client, load_items, server_env, showtable_factory  # noqa: F401

AUTH = ("alice", "correct horse battery")

ODD_IDS = ["a/b", "sp ace", "q?x=1&y", "hash#frag", "100%", "plus+sign", "Zürich 日本 😀",
           "<script>x</script>", "dot/../..", "'quote\"", "tab\tnew\nline"]

ALL_TYPES = {
    "itemID": {"S": "all-types"},
    "s": {"S": "plain <b>text</b>"},
    "n": {"N": "12345678901234567890123456789012345678"},
    "b": {"B": base64.b64encode(b"hello world").decode()},
    "yes": {"BOOL": True},
    "nothing": {"NULL": True},
    "list": {"L": [{"S": "a"}, {"N": "1.5"}, {"L": []}, {"M": {"deep": {"S": "down"}}}]},
    "map": {"M": {"k": {"S": "v"}, "inner": {"M": {"x": {"N": "99"}}}}},
    "ss": {"SS": ["red", "green"]},
    "ns": {"NS": ["1", "22"]},
    "bs": {"BS": [base64.b64encode(b"\x00\x01").decode()]},
}


def botocore_form(item):
    """botocore base64-encodes B values itself: it takes them as bytes."""
    out = dict(item)
    out["b"] = {"B": base64.b64decode(item["b"]["B"])}
    out["bs"] = {"BS": [base64.b64decode(x) for x in item["bs"]["BS"]]}
    return out


@pytest.fixture(scope="module")
def table(dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    items = [botocore_form(ALL_TYPES)] + [{"itemID": {"S": i}, "n": {"N": str(k)}} for k, i in enumerate(ODD_IDS)]
    items += [{"itemID": {"S": f"item-{k:04d}"}, "n": {"N": str(k)}} for k in range(30)]
    load_items(dynalite, name, items)
    return name


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, table):
    return showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()


def item_path(item_id, api=False):
    return ("/api/item/" if api else "/item/") + urllib.parse.quote(item_id, safe="")


def test_item_view_shows_every_type_expanded(srv):
    status, headers, body = srv.get(item_path("all-types"), auth=AUTH)
    assert status == 200, body[:400]
    assert headers["content-type"].startswith("text/html")
    h = body.decode()
    assert '<span class="keyname">itemID</span> <code><span class="s">all-types</span></code>' in h
    assert "<strong>11</strong> attributes" in h
    assert "plain &lt;b&gt;text&lt;/b&gt;" in h and "<b>text" not in h
    assert "12345678901234567890123456789012345678" in h
    assert '<code class="b64">aGVsbG8gd29ybGQ=</code> <span class="size">(11 bytes)</span>' in h
    assert '<span class="size">(2 bytes)</span>' in h
    assert '<ul class="set"><li>green</li><li>red</li></ul>' in h or \
        '<ul class="set"><li>red</li><li>green</li></ul>' in h
    assert h.count('<table class="attrs nested">') == 3    # map, map.inner, list[3]
    assert '<th scope="row">deep</th>' in h
    assert "read capacity units" in h
    # its DynamoDB JSON, the way GetItem returns it
    pre = re.search(r'<pre class="ddb-json"[^>]*><code>(.*?)</code></pre>', h, re.S).group(1)
    assert json.loads(html.unescape(pre)) == ALL_TYPES


def test_api_item_is_the_plain_item_and_its_dynamodb_json(srv, dynalite, table):
    status, headers, body = srv.get(item_path("all-types", api=True), auth=AUTH)
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    doc = json.loads(body)
    want = ddb_client(dynalite).get_item(TableName=table, Key={"itemID": {"S": "all-types"}})["Item"]
    # botocore decodes B to bytes: compare in the wire form
    want["b"] = {"B": base64.b64encode(want["b"]["B"]).decode()}
    want["bs"] = {"BS": [base64.b64encode(x).decode() for x in want["bs"]["BS"]]}
    assert doc["dynamodb"] == want
    assert doc["table"] == table
    assert doc["item"]["n"] == 12345678901234567890123456789012345678
    assert doc["item"]["b"] == "aGVsbG8gd29ybGQ="
    assert doc["item"]["list"][3] == {"deep": "down"}
    assert doc["capacity"] is None or doc["capacity"] >= 0


@pytest.mark.parametrize("item_id", ODD_IDS)
def test_any_itemID_is_reachable_percent_encoded(srv, item_id):
    status, _, body = srv.get(item_path(item_id, api=True), auth=AUTH)
    assert status == 200, body[:300]
    assert json.loads(body)["item"]["itemID"] == item_id


def test_every_itemID_in_the_list_links_to_its_item(srv):
    status, _, body = srv.get("/query?limit=1000", auth=AUTH)
    assert status == 200
    links = re.findall(r'<th scope="row"><a href="(/item/[^"]+)">', body.decode())
    assert len(links) == 1 + len(ODD_IDS) + 30
    seen = set()
    for href in links:
        status, _, b = srv.get(html.unescape(href).replace("/item/", "/api/item/", 1), auth=AUTH)
        assert status == 200, href
        seen.add(json.loads(b)["item"]["itemID"])
    assert set(ODD_IDS) <= seen and "all-types" in seen


def test_missing_item_is_a_404_page_and_json(srv):
    status, headers, body = srv.get(item_path("no-such-item"), auth=AUTH)
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert b"No such item" in body and b"no-such-item" in body
    status, headers, body = srv.get(item_path("no-such-item", api=True), auth=AUTH)
    assert status == 404
    assert json.loads(body)["error"]["status"] == 404


def test_item_routes_need_a_login_and_the_api_says_so_in_json(srv):
    status, headers, body = srv.get(item_path("all-types"))
    assert status == 401 and "www-authenticate" in headers
    status, headers, body = srv.get(item_path("all-types", api=True))
    assert status == 401 and json.loads(body)["error"]["status"] == 401
    status, _, _ = srv.get("/item/", auth=AUTH)
    assert status == 404


def test_exact_lookup_reads_one_item_not_a_scan(srv):
    status, _, body = srv.get("/api/items?" + urllib.parse.urlencode({"mode": "exact", "q": "a/b"}),
                              auth=AUTH)
    assert status == 200
    doc = json.loads(body)
    assert [it["itemID"] for it in doc["items"]] == ["a/b"]
    assert doc["cursor"] is None
    # "item-0001" is contained in nothing else, but "item-000" is a prefix of ten: exact is exact
    status, _, body = srv.get("/api/items?mode=exact&q=item-000", auth=AUTH)
    assert json.loads(body)["items"] == []
    status, _, body = srv.get("/query?mode=exact&q=item-0007", auth=AUTH)
    h = body.decode()
    assert status == 200
    assert "whose itemID is <q>item-0007</q>" in h
    assert '<option value="exact" selected>' in h
    assert h.count('<th scope="row">') == 1
    status, _, body = srv.get("/query?mode=exact&q=nothing-here", auth=AUTH)
    assert status == 200 and b"No item matches this filter." in body
    # POST from the start page's form too
    status, _, body = srv.request("POST", "/query", body="mode=exact&q=a%2Fb", auth=AUTH,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and b'<a href="/item/a%2Fb">a/b</a>' in body


def test_unknown_filter_mode_is_400(srv):
    status, _, _ = srv.get("/api/items?mode=contains&q=a%2Fb", auth=AUTH)
    assert status == 200
    status, _, _ = srv.get("/api/items?mode=fuzzy&q=a", auth=AUTH)
    assert status == 400


def test_number_keyed_table_takes_numbers_only(showtable_factory, aws_env, dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    c = ddb_client(dynalite)
    c.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
                   KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    while c.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(0.05)
    c.put_item(TableName=name, Item={"id": {"N": "42"}, "v": {"S": "x"}})
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", name]).start()
    status, _, body = srv.get("/api/item/42", auth=AUTH)
    assert status == 200 and json.loads(body)["item"] == {"id": 42, "v": "x"}
    status, _, body = srv.get("/api/item/4x2", auth=AUTH)
    assert status == 400 and "a number" in json.loads(body)["error"]["detail"]


def test_table_with_a_sort_key_says_an_itemID_is_not_enough(showtable_factory, aws_env, dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    c = ddb_client(dynalite)
    c.create_table(TableName=name,
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                   BillingMode="PAY_PER_REQUEST")
    while c.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(0.05)
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", name]).start()
    status, _, body = srv.get("/item/x", auth=AUTH)
    assert status == 400 and b"cannot be found by pk alone" in body


def test_missing_table_on_the_item_view_is_502_with_the_hint(showtable_factory, aws_env, dynalite):
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", "no-such-table"]).start()
    status, _, body = srv.get("/item/x", auth=AUTH)
    assert status == 502 and b"is the table stack deployed?" in body


def test_pages_say_their_read_capacity_and_items_scanned(srv):
    status, _, body = srv.get("/api/items?limit=10", auth=AUTH)
    doc = json.loads(body)
    assert status == 200 and doc["capacity"] > 0 and doc["scanned"] >= doc["count"] == 10
    status, _, body = srv.get("/api/items?" + urllib.parse.urlencode(
        {"attr": "n", "op": "gt", "type": "number", "value": "25", "limit": 5}), auth=AUTH)
    doc = json.loads(body)
    assert doc["scanned"] > doc["count"] and doc["capacity"] > 0   # read more than it kept
    status, _, body = srv.get("/query?limit=10", auth=AUTH)
    h = body.decode()
    assert re.search(r"<strong>[0-9.]+</strong> read capacity units", h)
    assert re.search(r"<strong>\d+</strong> items scanned", h)


def test_start_page_shows_the_tables_key_billing_size_and_recovery(srv):
    status, _, body = srv.get("/", auth=AUTH)
    h = body.decode()
    assert status == 200
    assert "<dt>Key</dt><dd><code>itemID</code> (string)</dd>" in h
    assert "<dt>Billing</dt><dd>on demand</dd>" in h
    assert re.search(r"<dt>Items</dt><dd>about \d+</dd>", h)
    assert re.search(r"<dt>Size</dt><dd>about [0-9.]+ (bytes|kB)</dd>", h)
    # dynalite has no DescribeContinuousBackups: said so, and the page still works
    assert re.search(r"<dt>Point-in-time recovery</dt><dd>(on|off|unknown)</dd>", h)
    # the second time it comes from the start-page cache, the same
    status, _, body2 = srv.get("/", auth=AUTH)
    assert status == 200 and body2 == body


def test_an_itemID_holding_nul_is_reachable(showtable_factory, aws_env, dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": "a"}, "n": {"N": "1"}},
                                {"itemID": {"S": "a\x00b"}, "n": {"N": "2"}}])
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", name]).start()
    status, _, body = s.get("/api/item/a%00b", auth=AUTH)
    assert status == 200, body[:300]
    assert json.loads(body)["item"] == {"itemID": "a\x00b", "n": 2}
    status, _, body = s.get("/item/a%00b", auth=AUTH)
    assert status == 200, body[:300]
    assert b"&quot;a\\u0000b&quot;" in body          # the item's DynamoDB JSON on the page
    assert s.get("/api/item/a", auth=AUTH)[0] == 200
    assert s.get("/api/item/a%00c", auth=AUTH)[0] == 404


# ---- the item view's read on the event loop: no wait behind the workers, same answers ----

@pytest.fixture
def relay(dynalite):
    from ddb_relay import DdbRelay
    with DdbRelay(dynalite) as r:
        yield r


@pytest.fixture
def relayed(showtable_factory, aws_env, relay, table):
    """A server with one page worker whose DynamoDB is the relay, its table's description
    and a login already cached by one item view."""
    srv = showtable_factory(env=server_env(aws_env, relay.url), args=["--table", table, "--workers", "1"]).start()
    assert srv.get(item_path("item-0001"), auth=AUTH)[0] == 200
    return srv


def test_an_item_is_answered_while_the_only_worker_waits_on_a_scan(relayed, relay):
    import threading
    relay.hold["Scan"] = 4.0
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=relayed.get("/query?limit=5", auth=AUTH)))
    t.start()
    while relay.count("Scan") == 0:   # the worker is in its Scan
        time.sleep(0.02)
    t0 = time.monotonic()
    status, _, body = relayed.get(item_path("item-0002", api=True), auth=AUTH)
    took = time.monotonic() - t0
    t.join()
    assert status == 200 and json.loads(body)["dynamodb"]["n"] == {"N": "2"}
    assert took < 2.0, f"the item waited {took:.1f} s behind the Scan"
    assert slow["r"][0] == 200


def test_many_items_at_once_share_at_most_32_connections_to_dynamodb(showtable_factory, aws_env, relay, table):
    from concurrent.futures import ThreadPoolExecutor
    srv = showtable_factory(env=server_env(aws_env, relay.url),
                            args=["--table", table, "--max-connections-per-ip", "0"]).start()
    assert srv.get(item_path("item-0001"), auth=AUTH)[0] == 200
    relay.hold["GetItem"] = 0.3
    first = len(relay.peers)
    with ThreadPoolExecutor(80) as pool:
        got = list(pool.map(lambda k: srv.get(item_path(f"item-{k % 30:04d}", api=True), auth=AUTH),
                            range(80)))
    assert [g[0] for g in got] == [200] * 80
    assert [json.loads(g[2])["dynamodb"]["n"] for g in got] == [{"N": str(k % 30)} for k in range(80)]
    conns = {peer for op, peer in relay.peers[first:] if op == "GetItem"}
    assert len(conns) <= 32, len(conns)


@pytest.mark.parametrize("fault", ["500", "throttle"])
def test_a_failed_read_is_made_again_by_a_worker_with_retries(relayed, relay, fault):
    before = relay.count("GetItem")
    relay.fail_next(1, fault)
    status, _, body = relayed.get(item_path("item-0003", api=True), auth=AUTH)
    assert status == 200 and json.loads(body)["dynamodb"]["n"] == {"N": "3"}
    assert relay.count("GetItem") == before + 2


def test_a_table_gone_since_its_description_was_cached_is_the_workers_502(relayed, relay):
    before = relay.count("GetItem")
    relay.fail_next(2, "missing")
    status, _, body = relayed.get(item_path("item-0004"), auth=AUTH)
    assert status == 502 and b"is the table stack deployed?" in body
    assert relay.count("GetItem") == before + 2   # one attempt on the loop, one by the worker


def test_stopping_with_an_item_read_in_flight_answers_it_and_exits(showtable_factory, aws_env, relay, table):
    import threading
    relayed = showtable_factory(env=server_env(aws_env, relay.url), args=["--table", table, "--grace", "1"]).start()
    assert relayed.get(item_path("item-0001"), auth=AUTH)[0] == 200
    relay.hold["GetItem"] = 30.0
    got = {}
    t = threading.Thread(target=lambda: got.update(r=relayed.get(item_path("item-0005"), auth=AUTH)))
    t.start()
    while relay.count("GetItem") < 2:   # the warm-up's, then this one's
        time.sleep(0.02)
    t0 = time.monotonic()
    assert relayed.stop() == 0
    assert time.monotonic() - t0 < 1 + 4   # the grace period, then the read is cut
    t.join(10)
    assert got["r"][0] == 503


def test_stopping_with_item_reads_waiting_for_a_connection_ends_them_all(showtable_factory, aws_env, relay, table):
    # 40 reads at once: 32 on connections to DynamoDB, 8 waiting their turn in the loop's queue
    from concurrent.futures import ThreadPoolExecutor
    srv = showtable_factory(env=server_env(aws_env, relay.url),
                            args=["--table", table, "--grace", "1", "--max-connections-per-ip", "0"]).start()
    assert srv.get(item_path("item-0001"), auth=AUTH)[0] == 200
    relay.hold["GetItem"] = 30.0
    first = relay.count("GetItem")
    with ThreadPoolExecutor(40) as pool:
        futures = [pool.submit(srv.get, item_path(f"item-{k % 30:04d}"), auth=AUTH) for k in range(40)]
        while relay.count("GetItem") < first + 32:
            time.sleep(0.02)
        time.sleep(0.2)
        assert relay.count("GetItem") == first + 32   # the rest wait in the loop's queue
        t0 = time.monotonic()
        assert srv.stop() == 0   # no sanitizer report: nothing leaked or used after free
        assert time.monotonic() - t0 < 1 + 4
        statuses = [f.result(timeout=10)[0] for f in futures]
    assert statuses == [503] * 40


# ---- an answer damaged on the way (its body against DynamoDB's x-amz-crc32) ----

def test_a_damaged_getitem_answer_is_never_shown_and_is_read_again(relayed, relay):
    relay.fail_next(1, "damaged")
    before = relay.count("GetItem")
    status, _, body = relayed.get(item_path("item-0003", api=True), auth=AUTH)
    assert status == 200, body[:300]
    assert relay.count("GetItem") - before == 2     # the damaged answer, then a good one
    again = relayed.get(item_path("item-0003", api=True), auth=AUTH)
    assert json.loads(body)["dynamodb"] == json.loads(again[2])["dynamodb"]


def test_an_answer_damaged_every_time_is_a_clear_error_after_three_attempts(build_dir, aws_env, relay, table):
    from awscall import awscall
    env = dict(aws_env, AWS_ENDPOINT_URL_DYNAMODB=relay.url)
    relay.fail_next(3, "damaged")
    out = awscall(build_dir, env, "json", "dynamodb", "GetItem",
                  json.dumps({"TableName": table, "Key": {"itemID": {"S": "item-0004"}}}))
    e = out["error"]
    assert e["kind"] == "protocol", out
    assert "damaged on the way" in e["message"] and "x-amz-crc32 header says" in e["message"], e
    assert "gave up after 3 attempts" in e["message"], e
    assert relay.count("GetItem") == 3
    # dynalite's own CRCs, passed on, match: the next call reads the item.
    out = awscall(build_dir, env, "json", "dynamodb", "GetItem",
                  json.dumps({"TableName": table, "Key": {"itemID": {"S": "item-0004"}}}))
    assert out["result"]["Item"]["n"] == {"N": "4"}, out

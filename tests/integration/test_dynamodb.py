"""test_dynamodb.py — showtablectl's DynamoDB commands against dynalite (and a few scripted
endpoints for answers dynalite never gives): table create/describe/delete, items load of
20,000 items, full and 4-segment scans across pages, every attribute type round-tripping
load → scan, bad input reported by line, missing tables with the deploy hint, malformed
responses as clear errors, UnprocessedItems retried.
"""
import base64
import json
import os
import random
import subprocess

import pytest

from awsfake import FakeServer
from conftest import binary, fake_aws_env
from fake_ssm import FakeSSM

N_ITEMS = 20000
HINT = "is the table stack deployed? (showtablectl deploy table)"


def ctl(env, *args, input=None, rc=0, timeout=180):
    """Runs showtablectl; checks the exit status; returns the CompletedProcess."""
    p = subprocess.run([binary("showtablectl"), *args], env=env, input=input,
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == rc, (f"showtablectl {' '.join(args)[:200]} exited {p.returncode}, "
                                f"wanted {rc}\nstdout: {p.stdout[-2000:]}\nstderr: {p.stderr}")
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in p.stderr, p.stderr
    return p


def lines_of(text):
    return [json.loads(line) for line in text.splitlines()]


def jsonl(items):
    return "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items)


@pytest.fixture(scope="module")
def env(dynalite, tmp_path_factory):
    e = fake_aws_env(tmp_path_factory.mktemp("ddb-home"))
    e["AWS_ENDPOINT_URL_DYNAMODB"] = dynalite
    return e


def make_table(env, name):
    out = json.loads(ctl(env, "table", "create", "--table", name, "--wait").stdout)
    assert out == {"table": name, "key": "itemID", "status": "ACTIVE"}
    return name


def bulk_items(n):
    """n items of about 250 bytes (DynamoDB's size count) with a few attribute types."""
    rnd = random.Random(7)
    pool = "".join(rnd.choice("abcdefghij") for _ in range(4096))
    for i in range(n):
        yield {
            "itemID": {"S": f"item-{i:06d}"},
            "title": {"S": f"title {i} " + pool[i % 3900:i % 3900 + 180]},
            # canonical numbers (no trailing zeros): DynamoDB returns numbers normalised
            "price": {"N": f"{rnd.randint(1, 99999)}.{rnd.choice([1, 2, 3, 5, 7, 9])}{rnd.randint(1, 9)}"},
            "stock": {"N": str(i)},
            "active": {"BOOL": i % 3 == 0},
            "tags": {"SS": ["all", f"group-{i % 10}"]},
        }


@pytest.fixture(scope="module")
def loaded(env, tmp_path_factory):
    """One table with N_ITEMS items loaded by `items load`, shared by the tests that read it.
    Yields (table, {itemID: item}, load summary)."""
    table = make_table(env, "bulk-" + os.urandom(4).hex())
    items = list(bulk_items(N_ITEMS))
    path = tmp_path_factory.mktemp("ddb-data") / "items.jsonl"
    path.write_text(jsonl(items))
    summary = json.loads(ctl(env, "items", "load", "--table", table, str(path)).stdout)
    yield table, {it["itemID"]["S"]: it for it in items}, summary
    ctl(env, "table", "delete", "--table", table)


def scan(env, table, *extra):
    """Scans with --stats; returns (items, stats)."""
    p = ctl(env, "scan", "--table", table, "--stats", *extra)
    stats = json.loads(p.stderr.strip().splitlines()[-1])
    return lines_of(p.stdout), stats


# ---- load and scan at size ----

def test_items_load_writes_every_item_and_prints_a_summary(loaded):
    _, items, summary = loaded
    assert summary["table"] == loaded[0]
    assert summary["items"] == summary["written"] == N_ITEMS == len(items)
    assert summary["seconds"] >= 0
    assert summary["capacity_units"] >= N_ITEMS   # at least one write unit an item


def test_full_scan_returns_every_item_exactly_across_at_least_5_pages(env, loaded):
    table, items, _ = loaded
    got, stats = scan(env, table)
    assert len(got) == N_ITEMS
    assert {it["itemID"]["S"]: it for it in got} == items
    assert stats["pages"] >= 5, stats
    assert stats["items"] == stats["scanned"] == N_ITEMS
    assert stats["capacity_units"] > 0


def test_four_segment_scan_returns_the_same_items(env, loaded):
    table, items, _ = loaded
    got, stats = scan(env, table, "--segments", "4")
    ids = [it["itemID"]["S"] for it in got]
    assert len(ids) == len(set(ids)) == N_ITEMS
    assert {it["itemID"]["S"]: it for it in got} == items
    assert stats["segments"] == 4 and stats["pages"] >= 5


def test_limit_sets_the_page_size(env, loaded):
    table, _, _ = loaded
    got, stats = scan(env, table, "--limit", "1000", "--count")
    # 20 full pages, and maybe an empty last one: a page that ends exactly at the table's
    # end still carries a LastEvaluatedKey.
    assert stats["pages"] in (20, 21)
    assert stats["items"] == N_ITEMS


def test_count_prints_only_counts(env, loaded):
    table, _, _ = loaded
    p = ctl(env, "scan", "--table", table, "--count")
    assert json.loads(p.stdout) == {"table": table, "count": N_ITEMS, "scanned": N_ITEMS}


def test_filter_keeps_items_whose_key_contains_the_text(env, loaded):
    table, items, _ = loaded
    got, stats = scan(env, table, "--filter", "0012")
    want = sorted(k for k in items if "0012" in k)
    assert sorted(it["itemID"]["S"] for it in got) == want
    assert stats["scanned"] == N_ITEMS


def test_projection_returns_only_the_named_attributes(env, loaded):
    table, items, _ = loaded
    got, _ = scan(env, table, "--projection", "itemID,stock", "--segments", "2")
    assert len(got) == N_ITEMS
    for it in got[:100]:
        assert set(it) == {"itemID", "stock"}
        assert it["stock"] == items[it["itemID"]["S"]]["stock"]


# ---- every type round-trips ----

def nested(levels):
    v = {"S": "bottom"}
    for i in range(levels):
        v = {"M": {"k": v}} if i % 2 == 0 else {"L": [v]}
    return v


TYPED_ITEMS = [
    {"itemID": {"S": "strings"}, "plain": {"S": "hello"}, "empty": {"S": ""},
     "unicode": {"S": "Grüße — 世界 🎉 \u00e9\u0301"}, "quotes": {"S": "a \"quoted\" \\ back/slash"},
     "control": {"S": "tab\tnew\nline\u0000nul\u0001\u001f"}, "html": {"S": "<script>alert(1)</script>"}},
    {"itemID": {"S": "numbers"}, "int": {"N": "42"}, "neg": {"N": "-17"}, "dec": {"N": "3.14159"},
     "digits38": {"N": "12345678901234567890123456789012345678"},
     "neg38": {"N": "-0.12345678901234567890123456789012345678"},
     "big": {"N": "99999999999999999999999999999999999999000000000000"},
     "small": {"N": "0.000000000000000000000000000000000000000001"}, "zero": {"N": "0"}},
    {"itemID": {"S": "binary"}, "bytes": {"B": base64.b64encode(bytes(range(256))).decode()},
     "one": {"B": "AA=="}, "empty": {"B": ""}},
    {"itemID": {"S": "scalars"}, "yes": {"BOOL": True}, "no": {"BOOL": False},
     "nothing": {"NULL": True}},
    {"itemID": {"S": "documents"},
     "map": {"M": {"name": {"S": "x"}, "n": {"N": "1"}, "inner": {"M": {"deep": {"L": [
         {"S": "a"}, {"N": "2"}, {"BOOL": False}, {"NULL": True}, {"B": "AQID"},
         {"SS": ["p", "q"]}, {"M": {}}, {"L": []}]}}}}},
     "list": {"L": [{"L": [{"L": [{"S": "nested lists"}]}]}, {"M": {"k": {"N": "-1.5"}}}]},
     "deep": nested(31)},
    {"itemID": {"S": "sets"}, "ss": {"SS": ["b", "a", "", "ünï", "c"]},
     "ns": {"NS": ["1", "-2.5", "12345678901234567890123456789012345678", "0"]},
     "bs": {"BS": ["AA==", "AQ==", "", "/w=="]}},
    {"itemID": {"S": "ключ — 키 🔑"}, "x": {"S": "unicode key value"}},
]


def canonical(v):
    """Sets are unordered in DynamoDB: compare them sorted."""
    if isinstance(v, dict):
        return {k: sorted(x) if k in ("SS", "NS", "BS") else canonical(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canonical(x) for x in v]
    return v


def test_every_attribute_type_round_trips_exactly_through_load_and_scan(env, tmp_path):
    table = make_table(env, "types-" + os.urandom(4).hex())
    ctl(env, "items", "load", "--table", table, "-", input=jsonl(TYPED_ITEMS))
    got = {it["itemID"]["S"]: it for it in lines_of(ctl(env, "scan", "--table", table).stdout)}
    assert set(got) == {it["itemID"]["S"] for it in TYPED_ITEMS}
    for it in TYPED_ITEMS:
        assert canonical(got[it["itemID"]["S"]]) == canonical(it), it["itemID"]
    # The scan output is itself loadable: write it to a second table and compare again.
    copy = make_table(env, "copy-" + os.urandom(4).hex())
    out = ctl(env, "scan", "--table", table).stdout
    ctl(env, "items", "load", "--table", copy, "-", input=out)
    again = {it["itemID"]["S"]: it for it in lines_of(ctl(env, "scan", "--table", copy).stdout)}
    assert {k: canonical(v) for k, v in again.items()} == {k: canonical(v) for k, v in got.items()}


# ---- bad input ----

def test_bad_lines_are_reported_by_number_and_nothing_is_written(env, tmp_path):
    table = make_table(env, "bad-" + os.urandom(4).hex())
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([
        '{"itemID": {"S": "ok-1"}}',
        '{"itemID": {"S": "broken"',
        '',
        '{"itemID": {"S": "n"}, "price": {"N": "12abc"}}',
        '{"itemID": {"S": "s"}, "tags": {"SS": []}}',
        '{"itemID": {"S": "ok-2"}}',
        '{"itemID": {"S": "dup"}, "itemID": {"S": "dup2"}}',
    ]) + "\n")
    p = ctl(env, "items", "load", "--table", table, str(path), rc=1)
    err = p.stderr
    assert f"{path}:2: not valid JSON" in err
    assert f'{path}:4: attribute "price": N value "12abc" is not a number' in err
    assert f"{path}:5: attribute \"tags\": SS set is empty" in err
    assert f"{path}:7: not valid JSON" in err and "duplicate" in err
    assert ":1:" not in err and ":6:" not in err and ":3:" not in err
    assert "4 bad lines" in err and "nothing was written" in err
    assert json.loads(ctl(env, "scan", "--table", table, "--count").stdout)["count"] == 0


def test_items_without_the_table_key_are_reported_by_line(env):
    table = make_table(env, "nokey-" + os.urandom(4).hex())
    text = ('{"itemID": {"S": "a"}}\n{"id": {"S": "b"}}\n{"itemID": {"N": "3"}}\n'
            '{"itemID": {"S": "a"}, "v": {"N": "1"}}\n')
    err = ctl(env, "items", "load", "--table", table, "-", input=text, rc=1).stderr
    assert '<stdin>:2: missing the key attribute "itemID" (type S)' in err
    assert '<stdin>:3: key attribute "itemID" must be of type S' in err
    assert "<stdin>:4: the same key as line 1" in err
    assert "nothing was written" in err
    assert json.loads(ctl(env, "scan", "--table", table, "--count").stdout)["count"] == 0


def test_a_file_with_a_byte_order_mark_and_crlf_line_ends_loads(env, tmp_path):
    table = make_table(env, "bom-" + os.urandom(4).hex())
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"itemID": {"S": "a"}}\r\n{"itemID": {"S": "b"}}\r\n\r\n')
    out = json.loads(ctl(env, "items", "load", "--table", table, str(path)).stdout)
    assert out["written"] == 2


def test_duplicate_keys_are_reported_with_both_lines(env):
    table = make_table(env, "dupe-" + os.urandom(4).hex())
    text = '{"itemID": {"S": "a"}}\n{"itemID": {"S": "b"}}\n{"itemID": {"S": "a"}, "x": {"BOOL": true}}\n'
    err = ctl(env, "items", "load", "--table", table, "-", input=text, rc=1).stderr
    assert "<stdin>:3: the same key as line 1" in err


def test_an_overlong_line_is_refused_by_number(env):
    text = '{"itemID": {"S": "a"}}\n{"itemID": {"S": "' + "x" * (5 << 20) + '"}}\n'
    err = ctl(env, "items", "load", "--table", "whatever", "-", input=text, rc=1).stderr
    assert "<stdin>:2: line longer than 4 MiB" in err


def test_an_item_over_400_kb_is_refused_by_number(env):
    text = '{"itemID": {"S": "a"}, "blob": {"S": "' + "x" * (401 << 10) + '"}}\n'
    err = ctl(env, "items", "load", "--table", "whatever", "-", input=text, rc=1).stderr
    assert "<stdin>:1: the item is about" in err and "at most 400 KB" in err


def test_missing_file_is_a_clear_error(env, tmp_path):
    err = ctl(env, "items", "load", "--table", "whatever", str(tmp_path / "nope.jsonl"),
              rc=1).stderr
    assert "cannot open" in err and "No such file" in err


# ---- missing tables, usage ----

def test_scan_of_a_missing_table_says_to_deploy_the_table_stack(env):
    err = ctl(env, "scan", "--table", "no-such-table", rc=1).stderr
    assert "ResourceNotFoundException" in err and HINT in err
    assert err.startswith("showtablectl: ") and len(err.splitlines()) == 1


def test_parallel_scan_of_a_missing_table_reports_once(env):
    err = ctl(env, "scan", "--table", "no-such-table", "--segments", "4", rc=1).stderr
    assert err.count("ResourceNotFoundException") == 1 and HINT in err


def test_items_load_into_a_missing_table_says_to_deploy_it(env):
    err = ctl(env, "items", "load", "--table", "no-such-table", "-",
              input='{"itemID": {"S": "a"}}\n', rc=1).stderr
    assert "ResourceNotFoundException" in err and HINT in err


def test_without_table_the_ssm_table_parameter_names_it(env, loaded):
    table, _, _ = loaded
    with FakeSSM() as ssm:
        e = dict(env, AWS_ENDPOINT_URL_SSM=ssm.url)
        ssm.put("/go-on-aws/table", table)
        ssm.put("/demo/table", table)
        assert json.loads(ctl(e, "scan", "--count").stdout)["count"] == N_ITEMS
        out = ctl(e, "--param-prefix", "/demo", "scan", "--count").stdout
        assert json.loads(out)["table"] == table
        desc = json.loads(ctl(e, "table", "describe").stdout)
        assert desc["TableName"] == table
        assert ssm.problems == []


def test_without_table_or_ssm_parameter_says_what_to_do(env):
    with FakeSSM() as ssm:
        e = dict(env, AWS_ENDPOINT_URL_SSM=ssm.url)
        err = ctl(e, "scan", rc=1).stderr
    assert "no --table given" in err and "/go-on-aws/table" in err
    assert "ParameterNotFound" in err and "showtablectl param put NAME VALUE" in err


@pytest.mark.parametrize("args", [
    ["scan", "--table", "t1x", "--segments", "0"],
    ["scan", "--table", "t1x", "--segments", "65"], ["scan", "--table", "t1x", "--limit", "-1"],
    ["scan", "--table", "t1x", "extra"], ["items"], ["items", "load", "--table", "t1x"],
    ["items", "unload"], ["table", "create"], ["table", "drop", "--table", "t1x"],
])
def test_usage_errors_exit_2(env, args):
    p = ctl(env, *args, rc=2)
    assert "usage" in p.stderr or "showtablectl:" in p.stderr


def test_table_create_describe_delete(env):
    name = make_table(env, "life-" + os.urandom(4).hex())
    desc = json.loads(ctl(env, "table", "describe", "--table", name).stdout)
    assert desc["TableName"] == name and desc["TableStatus"] == "ACTIVE"
    assert desc["KeySchema"] == [{"AttributeName": "itemID", "KeyType": "HASH"}]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    out = json.loads(ctl(env, "table", "delete", "--table", name, "--wait").stdout)
    assert out == {"table": name, "status": "DELETED"}
    err = ctl(env, "table", "describe", "--table", name, rc=1).stderr
    assert HINT in err


# ---- scripted endpoints: answers dynalite never gives ----

class Scripted(FakeServer):
    """An HTTP endpoint answering each DynamoDB operation from a script:
    replies[op] is a list of (status, body) used in turn (the last one repeats)."""

    def __init__(self, replies):
        super().__init__(methods=("POST",))
        self.replies = {op: list(r) for op, r in replies.items()}
        self.calls = []

    def _handle(self, h):
        body = json.loads(h.raw or b"{}")
        op = h.headers.get("X-Amz-Target", "").split(".")[-1]
        self.calls.append((op, body))
        seq = self.replies.get(op) or [(400, json.dumps({
            "__type": "com.amazon.coral.validate#ValidationException",
            "message": f"unscripted {op}"}))]
        status, text = seq.pop(0) if len(seq) > 1 else seq[0]
        data = text.encode() if isinstance(text, str) else text
        h.send_raw(status, "application/x-amz-json-1.0", data)


@pytest.fixture
def scripted_env(tmp_path):
    return fake_aws_env(tmp_path)


@pytest.mark.parametrize("body,says", [
    ('{"Count": 0, "ScannedCount": 0}', "Items is missing"),
    ('{"Items": {}, "Count": 0, "ScannedCount": 0}', "Items is missing or not one array"),
    ('{"Items": [1], "Count": 1, "ScannedCount": 1}', "Items[0] is not an object"),
    ('{"Items": [{"a": {"S": "x"}}], "Count": 2, "ScannedCount": 2}', "Count 2 does not match"),
    ('{"Items": [], "Count": "0", "ScannedCount": 0}', "Count is missing or not a non-negative"),
    ('{"Items": [], "Count": 0}', "ScannedCount is missing"),
    ('{"Items": [], "Count": 0, "ScannedCount": 0, "LastEvaluatedKey": []}',
     "LastEvaluatedKey is missing or not a non-empty object"),
    ('{"Items": [{"a": {"S": "\\ud800"}}], "Count": 1, "ScannedCount": 1}', "surrogate"),
    (b'{"Items": [{"a": {"S": "\xff"}}], "Count": 1, "ScannedCount": 1}', "UTF-8"),
    ('{"Items": [{"a": {"S": "x"}}', "truncated"),
    ('<html>oops</html>', "JSON"),
])
def test_malformed_scan_responses_are_protocol_errors(scripted_env, body, says):
    with Scripted({"Scan": [(200, body)]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert says in err, err
    assert "AddressSanitizer" not in err and "runtime error" not in err


def test_pretty_printed_scan_items_still_come_out_one_per_line(scripted_env):
    body = json.dumps({"Items": [{"itemID": {"S": "a b"}, "n": {"N": "1"}},
                                 {"itemID": {"S": "c\nd"}}], "Count": 2, "ScannedCount": 2},
                      indent=2)
    with Scripted({"Scan": [(200, body)]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        out = ctl(scripted_env, "scan", "--table", "tbl").stdout
    assert out == '{"itemID":{"S":"a b"},"n":{"N":"1"}}\n{"itemID":{"S":"c\\nd"}}\n'


def test_scan_follows_last_evaluated_key_with_the_key_it_was_given(scripted_env):
    lek = {"itemID": {"S": "k\u00e9y"}}
    with Scripted({"Scan": [
            (200, json.dumps({"Items": [{"itemID": {"S": "1"}}], "Count": 1, "ScannedCount": 3,
                              "LastEvaluatedKey": lek})),
            (200, json.dumps({"Items": [{"itemID": {"S": "2"}}], "Count": 1, "ScannedCount": 1}))]}
            ) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        p = ctl(scripted_env, "scan", "--table", "tbl", "--limit", "7", "--stats")
    assert [c[0] for c in ep.calls] == ["Scan", "Scan"]
    # --stats reports the capacity consumed, so it asks for it
    assert ep.calls[0][1] == {"TableName": "tbl", "Limit": 7, "ReturnConsumedCapacity": "TOTAL"}
    assert ep.calls[1][1] == {"TableName": "tbl", "Limit": 7, "ExclusiveStartKey": lek,
                              "ReturnConsumedCapacity": "TOTAL"}
    assert lines_of(p.stdout) == [{"itemID": {"S": "1"}}, {"itemID": {"S": "2"}}]
    stats = json.loads(p.stderr)
    assert stats["scanned"] == 4
    assert stats["capacity_units"] is None   # the replies did not say


def test_a_last_evaluated_key_that_does_not_move_stops_the_scan(scripted_env):
    page = json.dumps({"Items": [{"itemID": {"S": "1"}}], "Count": 1, "ScannedCount": 1,
                       "LastEvaluatedKey": {"itemID": {"S": "1"}}})
    with Scripted({"Scan": [(200, page)]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        err = ctl(scripted_env, "scan", "--table", "tbl", timeout=30, rc=1).stderr
    assert "returned the LastEvaluatedKey it was given" in err
    assert len(ep.calls) == 2


def test_scan_request_carries_filter_projection_and_segments(scripted_env):
    empty = json.dumps({"Items": [], "Count": 0, "ScannedCount": 0})
    with Scripted({"Scan": [(200, empty)]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        ctl(scripted_env, "scan", "--table", "tbl", "--segments", "3", "--filter", "ab",
            "--projection", "name,size", "--consistent")
    bodies = sorted((c[1] for c in ep.calls), key=lambda b: b["Segment"])
    assert [b["Segment"] for b in bodies] == [0, 1, 2]
    assert bodies[0] == {
        "TableName": "tbl", "Segment": 0, "TotalSegments": 3,
        "FilterExpression": "contains(#fk, :fv)", "ProjectionExpression": "#p0,#p1",
        "ExpressionAttributeNames": {"#p0": "name", "#p1": "size", "#fk": "itemID"},
        "ExpressionAttributeValues": {":fv": {"S": "ab"}}, "ConsistentRead": True}


DESCRIBE = json.dumps({"Table": {
    "TableName": "tbl", "TableStatus": "ACTIVE",
    "KeySchema": [{"AttributeName": "itemID", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "itemID", "AttributeType": "S"}]}})


def test_unprocessed_items_are_sent_again_until_written(scripted_env):
    items = [{"itemID": {"S": f"i{i}"}} for i in range(30)]
    first_left = {"tbl": [{"PutRequest": {"Item": items[3]}}, {"PutRequest": {"Item": items[9]}}]}
    with Scripted({"DescribeTable": [(200, DESCRIBE)], "BatchWriteItem": [
            (200, json.dumps({"UnprocessedItems": first_left})),
            (200, json.dumps({"UnprocessedItems": {"tbl": [{"PutRequest": {"Item": items[9]}}]}})),
            (200, json.dumps({"UnprocessedItems": {}}))]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        out = json.loads(ctl(scripted_env, "items", "load", "--table", "tbl", "--parallel", "1",
                             "-", input=jsonl(items)).stdout)
    assert out["written"] == 30
    writes = [c[1]["RequestItems"]["tbl"] for c in ep.calls if c[0] == "BatchWriteItem"]
    assert [len(w) for w in writes] == [25, 2, 1, 5]
    assert writes[1] == first_left["tbl"]
    assert writes[2] == [{"PutRequest": {"Item": items[9]}}]


def test_malformed_unprocessed_items_is_a_protocol_error(scripted_env):
    with Scripted({"DescribeTable": [(200, DESCRIBE)], "BatchWriteItem": [
            (200, json.dumps({"UnprocessedItems": {"tbl": [{"DeleteRequest": {}}]}}))]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        err = ctl(scripted_env, "items", "load", "--table", "tbl", "-",
                  input='{"itemID": {"S": "a"}}\n', rc=1).stderr
    assert "PutRequest.Item" in err and "0 of 1 items written" in err


def test_access_denied_names_the_iam_action(scripted_env):
    denied = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException",
                         "message": "User: arn:aws:iam::123456789012:user/x is not authorized "
                                    "to perform: dynamodb:Scan on resource: tbl"})
    with Scripted({"Scan": [(400, denied)]}) as ep:
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = ep.url
        err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert "check the IAM permissions for dynamodb:Scan" in err


def test_no_credentials_names_the_sources_and_what_to_set(scripted_env):
    del scripted_env["AWS_ACCESS_KEY_ID"], scripted_env["AWS_SECRET_ACCESS_KEY"]
    scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:9"
    err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert "no AWS credentials found" in err and "EC2 IMDS" in err
    assert "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err


def test_no_region_says_how_to_set_one(scripted_env):
    del scripted_env["AWS_REGION"]
    err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert "no AWS region configured" in err and "AWS_REGION" in err
    assert "--region" in err   # the flag is the quickest way, and the one --help shows


def test_bad_timeout_setting_is_reported(scripted_env):
    scripted_env["SHOWTABLE_AWS_TIMEOUT_MS"] = "soon"
    scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:9"
    err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert "SHOWTABLE_AWS_TIMEOUT_MS" in err


def test_refused_connection_gives_the_endpoint_hint(scripted_env):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{port}"
    scripted_env["AWS_MAX_ATTEMPTS"] = "1"
    err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
    assert "could not reach the endpoint" in err


def test_hanging_endpoint_fails_within_the_configured_timeout(scripted_env):
    import socket
    import time
    with socket.socket() as s:       # accepts connections (backlog) and never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        scripted_env["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{s.getsockname()[1]}"
        scripted_env["AWS_MAX_ATTEMPTS"] = "1"
        scripted_env["SHOWTABLE_AWS_TIMEOUT_MS"] = "400"
        t0 = time.monotonic()
        err = ctl(scripted_env, "scan", "--table", "tbl", rc=1).stderr
        elapsed = time.monotonic() - t0
    assert "did not answer in time" in err and "SHOWTABLE_AWS_TIMEOUT_MS" in err
    assert elapsed < 3.0, elapsed


def test_endpoint_from_a_profile_services_section_reaches_dynalite(dynalite, tmp_path):
    """Without AWS_ENDPOINT_URL_*, the DynamoDB endpoint comes from the profile's
    [services] section, as the SDKs read it; the profile's endpoint_url covers the rest."""
    env = fake_aws_env(tmp_path)
    cfg = tmp_path / "config"
    cfg.write_text("[profile local]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:9\n"
                   "services = local\n\n[services local]\ndynamodb =\n"
                   f"  endpoint_url = {dynalite}\n")
    env.update({"AWS_CONFIG_FILE": str(cfg), "AWS_PROFILE": "local"})
    name = "prof-" + os.urandom(4).hex()
    make_table(env, name)
    ctl(env, "items", "load", "--table", name, "-", input=jsonl([{"itemID": {"S": "a"}}]))
    items, _ = scan(env, name)
    assert items == [{"itemID": {"S": "a"}}]
    ctl(env, "table", "delete", "--table", name)
    # a broken endpoint in the section is named in the error
    cfg.write_text(cfg.read_text().replace(dynalite, "ftp://nowhere"))
    p = ctl(env, "table", "describe", "--table", name, rc=1)
    assert "dynamodb.endpoint_url in [services local]" in p.stderr

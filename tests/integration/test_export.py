"""test_export.py — /export.ndjson against dynalite: a 20,000-item export equals a full scan
item for item and loads back with `showtablectl items load` into a table that scans the
same; the filter is honoured; it is chunked with a download name; one export per user at a
time; a client that leaves mid-stream stops it and frees the user's turn.
"""
import http.client
import json
import socket
import subprocess
import time
import uuid

import pytest

from conftest import binary
from server_fixture import basic, ddb_client, server_env, showtable_factory  # noqa: F401

AUTH = ("alice", "correct horse battery")
N = 20000


def ctl(env, *args, stdin=None):
    return subprocess.run([binary("showtablectl"), *args], env=env, input=stdin, capture_output=True,
                          timeout=600)


def full_scan(endpoint, table):
    """Every item, as botocore reads it (an independent client)."""
    c = ddb_client(endpoint)
    items, kw = [], {"TableName": table}
    while True:
        r = c.scan(**kw)
        items += r["Items"]
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def canon(items):
    return sorted(json.dumps(it, sort_keys=True) for it in items)


@pytest.fixture(scope="module")
def big(dynalite, tmp_path_factory):
    from conftest import fake_aws_env
    env = fake_aws_env(tmp_path_factory.mktemp("export"))
    env["AWS_ENDPOINT_URL_DYNAMODB"] = dynalite
    name = "t-" + uuid.uuid4().hex[:12]
    assert ctl(env, "table", "create", "--table", name, "--wait").returncode == 0
    lines = "".join(json.dumps({"itemID": {"S": f"item-{i:05d}"}, "n": {"N": str(i)},
                                "s": {"S": "x" * (i % 50) + ",\"q\"\n"},
                                "m": {"M": {"l": {"L": [{"N": "1"}, {"BOOL": i % 2 == 0}]}}}}) + "\n"
                    for i in range(N))
    p = ctl(env, "items", "load", "--table", name, "-", stdin=lines.encode())
    assert p.returncode == 0, p.stderr
    return name, env


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, big):
    return showtable_factory(env=server_env(aws_env, dynalite), args=["--table", big[0]]).start()


def test_export_of_20000_items_equals_a_full_scan_and_loads_back(srv, dynalite, big):
    name, env = big
    t0 = time.monotonic()
    status, headers, body = srv.get("/export.ndjson", auth=AUTH, timeout=120)
    took = time.monotonic() - t0
    assert status == 200
    assert headers.get("transfer-encoding") == "chunked"
    assert headers["content-type"].startswith("application/x-ndjson")
    assert headers["content-disposition"] == f'attachment; filename="{name}.ndjson"'
    lines = body.decode().splitlines()
    assert len(lines) == N, took
    exported = [json.loads(l) for l in lines]
    # DynamoDB JSON as the wire has it: compare with botocore's scan in the same form
    assert canon(exported) == canon(full_scan(dynalite, name))
    # ...and it is what `showtablectl items load` reads
    copy = "t-" + uuid.uuid4().hex[:12]
    assert ctl(env, "table", "create", "--table", copy, "--wait").returncode == 0
    p = ctl(env, "items", "load", "--table", copy, "-", stdin=body)
    assert p.returncode == 0, p.stderr
    assert canon(full_scan(dynalite, copy)) == canon(full_scan(dynalite, name))


def test_export_honours_the_filter(srv):
    status, _, body = srv.get("/export.ndjson?q=item-199&attr=n&op=lt&type=number&value=19950", auth=AUTH)
    ids = sorted(json.loads(l)["itemID"]["S"] for l in body.decode().splitlines())
    assert status == 200
    assert ids == [f"item-{i:05d}" for i in range(19900, 19950)]
    status, _, body = srv.get("/export.ndjson?attr=n&op=gt&type=number&value=x", auth=AUTH)
    assert status == 400 and b"is not a number" in body


def test_export_needs_a_login(srv):
    status, headers, _ = srv.get("/export.ndjson")
    assert status == 401 and "www-authenticate" in headers


def raw_export(port, read_bytes):
    """Starts an export, reads read_bytes of the response and returns the open socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET /export.ndjson HTTP/1.1\r\nHost: x\r\nAuthorization: {basic(*AUTH)}\r\n\r\n".encode())
    got = b""
    while len(got) < read_bytes:
        chunk = s.recv(65536)
        assert chunk, got[:300]
        got += chunk
    assert got.startswith(b"HTTP/1.1 200")
    return s


def test_one_export_per_user_and_leaving_frees_the_turn(srv):
    s = raw_export(srv.port, 1000)   # running, the client reads no further: the server waits
    status, _, body = srv.get("/export.ndjson", auth=AUTH)
    assert status == 429 and b"one at a time" in body
    s.close()                        # the client leaves mid-stream
    deadline = time.monotonic() + 20
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        conn.request("GET", "/export.ndjson?q=item-0000", headers={"Authorization": basic(*AUTH)})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status == 200 and len(data.splitlines()) == 10   # item-00000 … item-00009
    assert any(l.get("event") == "export_cut" for l in srv.logs())


def test_sigterm_during_a_stalled_export_exits_within_the_grace(showtable_factory, aws_env, dynalite, big):
    import signal
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", big[0], "--grace", "1"]).start()
    s = raw_export(srv.port, 1000)   # the client stops reading: the producer waits on it
    t0 = time.monotonic()
    code = srv.stop(signal.SIGTERM, timeout=15)
    assert time.monotonic() - t0 < 10
    assert code == 0
    s.close()


def cell_of(v):
    """What the CSV export writes for a botocore value (B as base64, documents as plain JSON)."""
    import base64
    (t, x), = v.items()
    if t == "S":
        return "'" + x if x[:1] in ("=", "+", "-", "@", "\t", "\r") else x
    if t == "N":
        return x
    if t == "BOOL":
        return "true" if x else "false"
    raise AssertionError(t)


def test_csv_export_parses_back_into_the_full_scan(srv, dynalite, big):
    import csv
    import io
    status, headers, body = srv.get("/export.csv", auth=AUTH, timeout=120)
    assert status == 200
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == f'attachment; filename="{big[0]}.csv"'
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    head, rows = rows[0], rows[1:]
    assert head == ["itemID", "m", "n", "s"]
    assert len(rows) == N
    want = {}
    for it in full_scan(dynalite, big[0]):
        want[it["itemID"]["S"]] = [it["itemID"]["S"], json.dumps(
            {"l": [1, it["m"]["M"]["l"]["L"][1]["BOOL"]]}, separators=(",", ":")), cell_of(it["n"]), cell_of(it["s"])]
    got = {r[0]: r for r in rows}
    assert got == want


def test_csv_cells_that_look_like_formulas_are_defused(showtable_factory, aws_env, dynalite):
    import csv
    import io
    from server_fixture import load_items
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [
        {"itemID": {"S": "=cmd|' /C calc'!A0"}, "a": {"S": "+1"}, "b": {"S": "-2+3"}, "c": {"S": "@SUM(A1)"},
         "d": {"N": "-5"}, "e": {"S": 'say "hi", then\r\nbye'}, "f": {"NULL": True}, "g": {"SS": ["x", "=y"]}},
    ])
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", name]).start()
    status, _, body = srv.get("/export.csv", auth=AUTH)
    assert status == 200
    head, row = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert head == ["itemID", "a", "b", "c", "d", "e", "f", "g"]
    assert row == ["'=cmd|' /C calc'!A0", "'+1", "'-2+3", "'@SUM(A1)", "-5", 'say "hi", then\r\nbye', "",
                   row[7]]
    assert sorted(json.loads(row[7])) == ["=y", "x"]
    assert body.endswith(b"\r\n")

"""test_server.py — build/showtable end to end: routes, auth, SSM, errors, limits, shutdown.

Every test starts its own server on a free port against dynalite (session fixture) and/or
the fake SSM endpoint, with users from a real bcrypt htpasswd file, and stops it.
"""
import base64
import contextlib
import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SAN, binary, free_port
from fake_ssm import FakeSSM
from server_fixture import (DEMO_PASSWORD, DEMO_USER, Showtable, basic, drip_until_closed, htpasswd_line,  # noqa: F401
                            load_items, make_htpasswd, raw_request, server_env, showtable_factory)

AUTH = (DEMO_USER, DEMO_PASSWORD)


def wait_logs(srv, pred, timeout=5.0):
    """The log lines matching pred; waits for them, since a request's line is written just
    after its response is sent."""
    end = time.monotonic() + timeout
    while True:
        found = [l for l in srv.logs() if pred(l)]
        if found or time.monotonic() > end:
            return found
        time.sleep(0.05)


def items(n, prefix="item"):
    return [{"itemID": {"S": f"{prefix}-{i:04d}"}, "n": {"N": str(i)}} for i in range(n)]


@pytest.fixture(scope="module")
def table(dynalite):
    """150 items, created once for the module: every test here only reads it."""
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, items(150))
    return name


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, table):
    return showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()


# ---------- routes ----------

def test_ping_answers_pong_without_auth(srv):
    status, h, body = srv.get("/ping")
    assert status == 200
    assert json.loads(body) == {"message": "pong"}
    assert h["content-type"].startswith("application/json")


def test_start_page_without_login_is_401_with_basic_challenge(srv):
    status, h, body = srv.get("/")
    assert status == 401
    assert h["www-authenticate"].startswith('Basic realm="showtable"')
    assert b"<html" in body.lower()


def test_start_page_shows_the_table_and_a_scan_form(srv, table):
    status, h, body = srv.get("/", auth=AUTH)
    assert status == 200
    assert table.encode() in body
    assert b'action="/query"' in body and b'method="get"' in body.lower()


def test_each_user_gets_their_own_start_page(showtable_factory, aws_env, dynalite, table):
    """Start pages are cached per (table, user): the second request of each user is served
    from the cache and still names the right user."""
    users = {"alice": "pw-a", "bob": "pw-b"}
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table], users=users).start()
    for _ in range(3):
        for name, pw in users.items():
            status, _, body = s.get("/", auth=(name, pw))
            assert status == 200
            assert f"signed in as <b>{name}</b>".encode() in body
            other = "bob" if name == "alice" else "alice"
            assert f"<b>{other}</b>".encode() not in body


def test_query_post_form_shows_a_page_of_items(srv):
    status, h, body = srv.request("POST", "/query", body="q=&limit=100",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}, auth=AUTH)
    assert status == 200, body[:500]
    assert len(set(re.findall(rb"item-\d{4}", body))) == 100
    assert b"cursor=" in body   # a next-page link


def test_api_items_pages_through_every_item_with_cursors(srv):
    seen, cursor = [], None
    for _ in range(5):
        path = "/api/items?limit=60" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, h, body = srv.get(path, auth=AUTH)
        assert status == 200, body
        doc = json.loads(body)
        assert set(doc) >= {"table", "items", "count", "scanned", "cursor"}
        seen += [it["itemID"] for it in doc["items"]]
        cursor = doc["cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"item-{i:04d}" for i in range(150)]


BROWSER_HEADERS = {   # what a browser behind the ALB sends besides the URL, about 1 KiB
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Accept-Language": "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
    "Accept-Encoding": "gzip, deflate",
    "Referer": "http://showtable-alb-1234567890.eu-central-1.elb.amazonaws.com/query?q=&limit=1",
    "Cookie": "AWSALB=" + "x" * 150 + "; AWSALBCORS=" + "y" * 150,
    "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "80",
    "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
}


def test_largest_keys_page_through_next_links_with_default_limits(showtable_factory, aws_env, dynalite):
    """DynamoDB allows 2048-byte partition keys. Whatever they hold (quotes and control
    characters that JSON escapes 2x and 6x, multibyte letters), the next-page link made from
    them must fit the server's own default request limits and lead to the next item."""
    ids = ['"' * 2048, "\x01" * 2048, "\u00fc" * 1024, "<&>" * 682 + "xy"]
    assert all(len(i.encode()) == 2048 for i in ids)
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": i}} for i in ids])
    srv = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", name]).start()
    seen, path = [], "/query?limit=1"
    for _ in range(len(ids) + 1):
        status, _, body = srv.get(path, auth=AUTH, headers=BROWSER_HEADERS)
        assert status == 200, (len(path), body[:300])
        links = re.findall(rb'href="(/query\?[^"]*cursor=[^"]*)"', body)
        doc = json.loads(srv.get("/api/items?" + path.split("?", 1)[1], auth=AUTH)[2])
        seen += [it["itemID"] for it in doc["items"]]
        if not links:
            assert doc["cursor"] is None
            break
        path = links[0].decode().replace("&amp;", "&")
        assert len(path) < 3000, len(path)
    assert sorted(seen) == sorted(ids)


def test_pages_from_workers_come_back_at_once(srv):
    """A scan runs on a worker while its connection is suspended; the event loop must be
    woken when the worker hands it back, not find it on its next timeout (a second)."""
    assert srv.get("/api/items?limit=5", auth=AUTH)[0] == 200   # login verified and cached
    times = []
    for _ in range(5):
        t0 = time.monotonic()
        assert srv.get("/api/items?limit=5", auth=AUTH)[0] == 200
        times.append(time.monotonic() - t0)
    assert max(times) < 0.5, times


def test_get_query_with_filter_keeps_matching_items(srv):
    status, _, body = srv.get("/query?q=item-012", auth=AUTH)
    assert status == 200
    assert sorted(set(re.findall(rb"item-\d{4}", body))) == [b"item-%04d" % i for i in range(120, 130)]


def test_tampered_cursor_is_400_not_500(srv):
    _, _, body = srv.get("/api/items?limit=10", auth=AUTH)
    cur = json.loads(body)["cursor"]
    bad = cur[:-3] + ("AAA" if cur[-3:] != "AAA" else "BBB")
    for c in (bad, "garbage!", "A" * 9000):
        status, _, body = srv.get("/api/items?cursor=" + urllib.parse.quote(c), auth=AUTH)
        assert status in (400, 414), (c[:20], status, body[:200])
    status, _, _ = srv.get("/query?cursor=" + urllib.parse.quote(bad), auth=AUTH)
    assert status == 400


def test_bad_limit_is_400(srv):
    status, _, _ = srv.get("/api/items?limit=abc", auth=AUTH)
    assert status == 400


def test_bad_parameters_from_a_wrong_login_get_401_not_400(srv):
    status, h, _ = srv.get("/api/items?cursor=" + "A" * 6500, auth=(DEMO_USER, "wrong"))
    assert status == 401 and "www-authenticate" in h


def test_unknown_path_is_404_and_wrong_method_is_405_with_allow(srv):
    status, _, body = srv.get("/nope")
    assert status == 404 and b"<html" in body.lower()
    status, h, _ = srv.request("DELETE", "/", auth=AUTH)
    assert status == 405 and h["allow"] == "GET, HEAD"
    status, h, _ = srv.request("POST", "/ping")
    assert status == 405
    status, h, _ = srv.request("PUT", "/query", auth=AUTH)
    assert status == 405 and "POST" in h["allow"]


def test_keep_alive_serves_many_requests_on_one_connection(srv):
    """The responses are queued on the second callback (libmicrohttpd's idiom), so the
    connection stays open: each request below reuses the same socket."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.connect()
    sock = conn.sock
    for path, auth in (("/ping", None), ("/", AUTH), ("/css/showtable.css", None), ("/api/items?limit=2", AUTH),
                       ("/nope", None), ("/ping", None)):
        conn.request("GET", path, headers={"Authorization": basic(*auth)} if auth else {})
        r = conn.getresponse()
        r.read()
        assert r.status in (200, 404)
        assert r.getheader("Connection", "").lower() != "close"
        assert conn.sock is sock, f"connection closed after {path}"
    conn.close()


def test_head_works_wherever_get_does(srv):
    for path, auth in (("/ping", None), ("/", AUTH), ("/css/showtable.css", None), ("/api/items?limit=1", AUTH)):
        status, h, body = srv.request("HEAD", path, auth=auth)
        assert status == 200, path
        assert body == b""


def test_pages_carry_security_headers(srv):
    for path, auth in (("/", AUTH), ("/", None), ("/nope", None), ("/query?limit=5", AUTH)):
        _, h, _ = srv.get(path, auth=auth)
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"


def test_post_query_needs_a_form_content_type(srv):
    status, _, _ = srv.request("POST", "/query", body='{"q":""}',
                               headers={"Content-Type": "application/json"}, auth=AUTH)
    assert status == 415


# ---------- auth ----------

@pytest.mark.parametrize("header", [
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"alice:" + b"x" * 5000).decode(),
    "Bearer abc",
    "Basic " + base64.b64encode(b":nouser").decode(),
])
def test_malformed_authorization_is_401(srv, header):
    status, h, _ = srv.get("/", auth=header)
    assert status == 401
    assert "www-authenticate" in h


def test_wrong_password_and_unknown_user_are_401(srv):
    assert srv.get("/", auth=(DEMO_USER, "wrong"))[0] == 401
    assert srv.get("/", auth=("mallory", DEMO_PASSWORD))[0] == 401


def test_verified_login_is_cached(showtable_factory, aws_env, dynalite, table, tmp_path):
    """With an expensive bcrypt cost, only the first request pays for the hash."""
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table], htpasswd=False)
    s.htpasswd = make_htpasswd(tmp_path / "costly", {DEMO_USER: DEMO_PASSWORD}, cost=11)
    s.start()
    t0 = time.monotonic()
    assert s.get("/", auth=AUTH)[0] == 200
    first = time.monotonic() - t0
    times = []
    for _ in range(5):
        t0 = time.monotonic()
        assert s.get("/", auth=AUTH)[0] == 200
        times.append(time.monotonic() - t0)
    times.sort()
    assert times[2] < first / 3, (first, times)


def test_apr1_hashes_are_refused_at_load_with_how_to(showtable_factory, aws_env, tmp_path):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "whatever"], htpasswd=False)
    s.htpasswd = make_htpasswd(tmp_path / "md5", {DEMO_USER: DEMO_PASSWORD}, scheme="-m")
    s.start(expect_fail=True)
    assert s.proc.returncode != 0
    err = s.stderr()
    assert "$apr1$" in err and "htpasswd -nbB" in err and "yescrypt" in err


def test_no_credentials_refuses_to_start_and_says_how(showtable_factory, aws_env):
    with FakeSSM() as ssm:
        s = showtable_factory(env=server_env(aws_env, ssm=ssm.url), args=["--table", "t"], htpasswd=False)
        s.start(expect_fail=True)
    assert s.proc.returncode != 0
    err = s.stderr()
    assert "--htpasswd" in err and "/go-on-aws/credentials" in err


def test_ssm_credentials_work_and_rotation_is_picked_up_without_restart(showtable_factory, aws_env, dynalite, table):
    with FakeSSM() as ssm:
        ssm.put("/go-on-aws/credentials", htpasswd_line("bob", "first-pw"), type="SecureString")
        s = showtable_factory(env=server_env(aws_env, dynalite, ssm.url), htpasswd=False,
                              args=["--table", table, "--credentials-refresh", "1"]).start()
        assert s.get("/", auth=("bob", "first-pw"))[0] == 200
        assert s.get("/", auth=("bob", "second-pw"))[0] == 401
        ssm.put("/go-on-aws/credentials", htpasswd_line("bob", "second-pw"), type="SecureString")
        end = time.monotonic() + 10
        while time.monotonic() < end and s.get("/", auth=("bob", "second-pw"))[0] != 200:
            time.sleep(0.2)
        assert s.get("/", auth=("bob", "second-pw"))[0] == 200
        # The old password (even though it was cached) no longer works.
        assert s.get("/", auth=("bob", "first-pw"))[0] == 401
        gets = [r for r in ssm.requests if r.op == "GetParameter" and r.body["Name"].endswith("/credentials")]
        assert gets and all(r.body.get("WithDecryption") is True for r in gets)
        assert ssm.problems == []


def test_ssm_failure_at_refresh_keeps_the_current_users(showtable_factory, aws_env, dynalite, table):
    with FakeSSM() as ssm:
        ssm.put("/go-on-aws/credentials", htpasswd_line("bob", "pw"), type="SecureString")
        s = showtable_factory(env=server_env(aws_env, dynalite, ssm.url), htpasswd=False,
                              args=["--table", table, "--credentials-refresh", "1", "--auth-cache-ttl", "1"]).start()
        assert s.get("/", auth=("bob", "pw"))[0] == 200
        ssm.denied.add("/go-on-aws/credentials")
        assert wait_logs(s, lambda l: l.get("event") == "credentials_refresh" and l.get("level") == "warn")
        time.sleep(1.1)                                    # the cached login has expired too
        assert s.get("/", auth=("bob", "pw"))[0] == 200


def test_failed_logins_are_rate_limited_per_client(showtable_factory, aws_env, dynalite, table):
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table, "--login-failures", "3"]).start()
    assert s.get("/", auth=AUTH)[0] == 200            # cached before the attack
    for _ in range(3):
        assert s.get("/", auth=(DEMO_USER, "guess"))[0] == 401
    status, h, _ = s.get("/", auth=(DEMO_USER, "guess"))
    assert status == 429 and "retry-after" in h
    assert s.get("/", auth=(DEMO_USER, "another-guess"))[0] == 429
    assert s.get("/", auth=AUTH)[0] == 200            # a cached login is never locked out


def test_forwarded_for_is_trusted_only_from_trusted_proxies(showtable_factory, aws_env, dynalite, table):
    hdr = {"X-Forwarded-For": "203.0.113.9, 127.0.0.1"}
    s = showtable_factory(env=server_env(aws_env, dynalite),
                          args=["--table", table, "--trusted-proxies", "127.0.0.0/8", "--login-failures", "2"]).start()
    for _ in range(2):
        s.get("/", auth=(DEMO_USER, "bad"), headers=hdr)
    assert s.get("/", auth=(DEMO_USER, "bad"), headers=hdr)[0] == 429
    # Another forwarded client is not blocked.
    assert s.get("/", auth=(DEMO_USER, "bad"), headers={"X-Forwarded-For": "198.51.100.7"})[0] == 401
    assert wait_logs(s, lambda l: l.get("client") == "203.0.113.9")
    s2 = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()
    s2.get("/", headers=hdr)
    assert all(l.get("client") in (None, "127.0.0.1") for l in s2.logs())


# ---------- table name and AWS errors ----------

def test_table_name_comes_from_ssm(showtable_factory, aws_env, dynalite, table):
    with FakeSSM() as ssm:
        ssm.put("/go-on-aws/table", table)
        s = showtable_factory(env=server_env(aws_env, dynalite, ssm.url)).start()
        status, _, body = s.get("/api/items?limit=5", auth=AUTH)
        assert status == 200 and json.loads(body)["table"] == table
        status, _, body = s.get("/", auth=AUTH)
        assert table.encode() in body
        assert ssm.count("GetParameter") == 1      # cached (TTL 60 s)


def test_ssm_failure_with_cached_table_name_keeps_serving(showtable_factory, aws_env, dynalite, table):
    with FakeSSM() as ssm:
        ssm.put("/go-on-aws/table", table)
        s = showtable_factory(env=server_env(aws_env, dynalite, ssm.url), args=["--table-ttl", "1"]).start()
        assert s.get("/api/items?limit=1", auth=AUTH)[0] == 200
        ssm.denied.add("/go-on-aws/table")
        time.sleep(1.2)
        status, _, body = s.get("/api/items?limit=1", auth=AUTH)
        assert status == 200 and json.loads(body)["table"] == table
        assert any(l.get("event") == "ssm_table_stale" for l in s.logs())


def test_ssm_failure_without_cached_table_name_is_502_with_hint(showtable_factory, aws_env, dynalite):
    with FakeSSM() as ssm:
        s = showtable_factory(env=server_env(aws_env, dynalite, ssm.url)).start()
        status, _, body = s.get("/query", auth=AUTH)
        assert status == 502
        assert b"/go-on-aws/table" in body and b"table stack deployed" in body
        ssm.put("/go-on-aws/table", "x" * 5)
        ssm.denied.add("/go-on-aws/table")
        status, _, body = s.get("/api/items", auth=AUTH)
        assert status == 502 and "access denied for ssm:GetParameter" in json.loads(body)["error"]["detail"]


def test_missing_table_is_502_with_deploy_hint(showtable_factory, aws_env, dynalite):
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", "no-such-table"]).start()
    status, h, body = s.get("/query", auth=AUTH)
    assert status == 502
    assert b"no-such-table" in body and "is the table stack deployed?" in body.decode()
    assert h["content-type"].startswith("text/html")
    errs = wait_logs(s, lambda l: l.get("status") == 502)
    assert errs and "not found" in errs[0]["error"]


def test_unreachable_dynamodb_is_a_page_not_a_crash(showtable_factory, aws_env):
    env = server_env(aws_env, f"http://127.0.0.1:{free_port()}")
    s = showtable_factory(env=env, args=["--table", "t-x"]).start()
    status, _, body = s.get("/query", auth=AUTH)
    assert status in (502, 504) and b"<html" in body.lower()
    assert s.get("/ping")[0] == 200


# ---------- static files ----------

def test_static_has_etag_304_and_gzip(srv):
    status, h, body = srv.get("/css/showtable.css")
    assert status == 200 and h["content-type"].startswith("text/css")
    assert h["cache-control"] and h["etag"]
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "web", "css", "showtable.css"), "rb") as f:
        assert body == f.read()
    status, h2, body2 = srv.get("/css/showtable.css", headers={"If-None-Match": h["etag"]})
    assert status == 304 and body2 == b""
    status, h3, body3 = srv.get("/css/showtable.css", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200 and h3.get("content-encoding") == "gzip"
    import gzip
    assert gzip.decompress(body3) == body
    status, h4, _ = srv.get("/css/showtable.css", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in h4
    status, h5, ico = srv.get("/favicon.ico")
    assert status == 200 and h5["content-type"] == "image/x-icon" and ico[:4] == b"\x00\x00\x01\x00"
    assert srv.get("/js/showtable.js")[1]["content-type"].startswith("text/javascript")
    assert srv.get("/css/nope.css")[0] == 404


@pytest.mark.parametrize("path", [
    "/css/../Makefile", "/css/%2e%2e/%2e%2e/Makefile", "/css/..%2f..%2fMakefile",
    "/js/%2E%2E/%2E%2E/etc/passwd", "/css//../../../../etc/passwd", "/css/%00", "/css/./showtable.css/..",
])
def test_static_traversal_never_leaves_the_assets(srv, path):
    resp = raw_request(srv.port, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/") else 0
    assert status in (400, 404), resp[:200]
    assert b"root:" not in resp and b"CFLAGS" not in resp


def test_symlinked_assets_are_not_served(showtable_factory, aws_env, tmp_path):
    web = tmp_path / "web"
    (web / "css").mkdir(parents=True)
    (web / "css" / "ok.css").write_text("body{}")
    os.symlink("/etc/passwd", web / "css" / "evil.css")
    os.symlink("/etc", web / "js")
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--assets", str(web)]).start()
    assert s.get("/css/ok.css")[0] == 200
    assert s.get("/css/evil.css")[0] == 404
    assert s.get("/js/passwd")[0] == 404


# ---------- limits ----------

def test_oversized_headers_urls_and_forms_are_refused(srv):
    big = "x" * 20000
    resp = raw_request(srv.port, f"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n".encode())
    assert resp.startswith(b"HTTP/1.1 431 "), resp[:100]
    status, _, _ = srv.get("/query?q=" + "a" * 12500, auth=AUTH)     # over --max-url-bytes
    assert status == 414
    status, _, _ = srv.get("/query?q=" + "a" * 60000, auth=AUTH)     # over the header limit too
    assert status == 414
    status, _, _ = srv.get("/query?q=" + "a" * 5000, auth=AUTH)      # a filter longer than allowed
    assert status == 400
    status, _, _ = srv.request("POST", "/query", body="q=" + "a" * 20000,
                               headers={"Content-Type": "application/x-www-form-urlencoded"}, auth=AUTH)
    assert status == 413
    assert srv.get("/ping")[0] == 200


def test_chunked_form_over_the_limit_is_413(srv):
    body = b"q=" + b"a" * 20000
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    req = (b"POST /query HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\nAuthorization: " + basic(*AUTH).encode() +
           b"\r\n\r\n" + chunked)
    resp = raw_request(srv.port, req)
    assert resp.startswith(b"HTTP/1.1 413"), resp[:100]


@pytest.mark.parametrize("flag", ["--max-connections", "--max-connections-per-ip"])
def test_connection_limits_refuse_extra_connections(showtable_factory, aws_env, flag):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", flag, "3"]).start()
    time.sleep(0.3)   # the start-up probe's connection is closed; let the server reap it first
    held = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(3)]
    try:
        for c in held:   # busy: a request under way (idle ones would be closed to make room)
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)
        resp = raw_request(s.port, b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", read_timeout=2)
        assert not resp.startswith(b"HTTP/1.1 200"), resp[:80]
    finally:
        for c in held:
            c.close()
    time.sleep(0.3)
    assert s.get("/ping")[0] == 200


def test_slow_client_is_cut_off(showtable_factory, aws_env, table, dynalite):
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table, "--request-timeout", "1"]).start()
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        closed = drip_until_closed(c, itertools.repeat(b"X-Drip: 1\r\n"), 0.3, 6)
        assert closed, "a client dripping headers was never cut off"
        assert time.monotonic() - t0 < 4
    assert s.get("/ping")[0] == 200


def test_idle_new_connection_without_request_is_cut_off(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--request-timeout", "1"]).start()
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
        t0 = time.monotonic()
        assert c.recv(10) == b""
        assert time.monotonic() - t0 < 4


@pytest.mark.parametrize("raw", [
    b"\x00\x01\x02\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /%zz%00%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /query?q=%E2%28%A1&limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 3000 + b"\r\n",
    b"GET /" + b"a/" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["binary", "no-target", "http-9.9", "bad-escapes", "negative-length", "huge-length", "bad-chunk",
        "bad-utf8-and-auth", "3000-headers", "deep-path"])
def test_garbage_requests_never_hurt_the_server(srv, raw):
    resp = raw_request(srv.port, raw, read_timeout=3, half_close=True)
    if resp:
        assert resp.startswith(b"HTTP/1."), resp[:80]
        assert int(resp.split(b" ", 2)[1]) in (400, 401, 404, 405, 411, 413, 414, 431, 501, 505), resp[:80]
    assert srv.proc.poll() is None
    assert srv.get("/ping")[0] == 200


# ---------- shutdown ----------

class SlowScan(BaseHTTPRequestHandler):
    """A DynamoDB stand-in whose Scan takes a while: requests are in flight at SIGTERM."""
    delay = 1.5

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay)
        body = json.dumps({"Items": [{"itemID": {"S": "slow-1"}}], "Count": 1, "ScannedCount": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class FailingDynamo(BaseHTTPRequestHandler):
    """A DynamoDB stand-in that answers every Scan with one kind of failure, in the wire
    format DynamoDB uses (JSON 1.0 error body with __type)."""
    mode = "throttle"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "hang":
            time.sleep(3)
            return
        status, typ = {"throttle": (400, "ProvisionedThroughputExceededException"),
                       "deny": (400, "AccessDeniedException"),
                       "500": (500, "InternalServerError")}[self.mode]
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{typ}",
                           "message": f"simulated {typ}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@contextlib.contextmanager
def stand_in(handler):
    """Serves handler (a DynamoDB stand-in) on a free loopback port while the block runs;
    yields its URL."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("mode,status,words", [
    ("throttle", 503, "throttling"),
    ("deny", 502, "access denied for dynamodb:Scan on t-fail — check the task role"),
    ("500", 502, "InternalServerError"),
    ("hang", 504, "timed out"),
])
def test_dynamodb_failures_become_pages_with_the_right_status(showtable_factory, aws_env, mode, status, words):
    handler = type("H", (FailingDynamo,), {"mode": mode})
    with stand_in(handler) as url:
        env = server_env(aws_env, url)
        s = showtable_factory(env=env, args=["--table", "t-fail", "--aws-timeout", "500"]).start()
        got, h, body = s.get("/query", auth=AUTH)
        assert got == status and words in body.decode(), body[:600]
        if status == 503:                      # throttled: tell the client when to come back
            assert h.get("retry-after", "").isdigit(), h
        got, h, body = s.get("/api/items", auth=AUTH)
        assert got == status and h["content-type"].startswith("application/json")
        if status == 503:
            assert h.get("retry-after", "").isdigit(), h
        assert words in json.loads(body)["error"]["detail"]
        assert wait_logs(s, lambda l: l.get("status") == status and words in l.get("error", ""))


def test_sigterm_cuts_aws_calls_still_running_when_the_grace_period_ends(showtable_factory, aws_env):
    """A scan that would take 10 s (and --aws-timeout allows it) must not hold the exit past
    --grace: at the deadline its call is cancelled, it gets a 503, the server exits 0."""
    handler = type("H", (SlowScan,), {"delay": 10})
    with stand_in(handler) as url:
        env = server_env(aws_env, url)
        s = showtable_factory(env=env, args=["--table", "slow", "--grace", "1",
                                             "--aws-timeout", "30000"]).start()
        assert s.get("/", auth=AUTH)[0] == 200     # login cached
        result = []
        t = threading.Thread(target=lambda: result.append(s.get("/api/items?limit=1", auth=AUTH,
                                                                  timeout=20)))
        t.start()
        time.sleep(0.5)                            # the scan is waiting on DynamoDB
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(15) == 0
        assert time.monotonic() - t0 < 4.0         # grace 1 s + about 1 s to cancel
        t.join(5)
        assert result and result[0][0] == 503, result
        assert "stopping" in json.loads(result[0][2])["error"]["detail"]
        assert wait_logs(s, lambda l: "still running at the end of the grace period" in l.get("message", ""))


def test_requests_over_the_waiting_limit_get_503_at_once(showtable_factory, aws_env):
    """One worker busy with a slow scan, one request waiting for it (--max-waiting 1): the
    next is shed at once with 503 and Retry-After instead of queueing; the others finish."""
    with stand_in(SlowScan) as url:
        env = server_env(aws_env, url)
        s = showtable_factory(env=env, args=["--table", "slow", "--workers", "1",
                                             "--max-waiting", "1"]).start()
        assert s.get("/", auth=AUTH)[0] == 200     # login cached: no worker needed for it
        results = {}

        def one(name):
            results[name] = s.get("/api/items?limit=1", auth=AUTH, timeout=20)
        busy = threading.Thread(target=one, args=("busy",))
        busy.start()
        time.sleep(0.4)                            # the worker has it
        waiting = threading.Thread(target=one, args=("waiting",))
        waiting.start()
        time.sleep(0.4)                            # it waits in the queue
        t0 = time.monotonic()
        status, h, body = s.get("/api/items?limit=1", auth=AUTH)
        assert time.monotonic() - t0 < 1.0         # not queued behind 1.5 s scans
        assert status == 503 and h["retry-after"] == "5"
        assert "try again" in json.loads(body)["error"]["detail"]
        busy.join()
        waiting.join()
        assert results["busy"][0] == 200 and results["waiting"][0] == 200
        assert wait_logs(s, lambda l: l.get("status") == 503 and "worker queue full" in l.get("error", ""))


def test_sigterm_lets_requests_in_flight_finish_then_exits_0(showtable_factory, aws_env):
    with stand_in(SlowScan) as url:
        env = server_env(aws_env, url)
        s = showtable_factory(env=env, args=["--table", "slow", "--grace", "10"]).start()
        assert s.get("/", auth=AUTH)[0] == 200     # login cached
        results = []

        def one():
            results.append(s.get("/api/items?limit=1", auth=AUTH))
        ts = [threading.Thread(target=one) for _ in range(3)]
        for t in ts:
            t.start()
        time.sleep(0.5)
        assert s.get("/ping")[0] == 200            # a slow scan does not stall /ping
        s.proc.send_signal(signal.SIGTERM)
        refused, end = False, time.monotonic() + 5
        while not refused and time.monotonic() < end:    # new connections are refused soon
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        assert refused
        for t in ts:
            t.join(15)
        assert [r[0] for r in results] == [200, 200, 200]
        assert all(json.loads(r[2])["items"][0]["itemID"] == "slow-1" for r in results)
        assert s.stop() == 0


def test_client_leaving_during_a_slow_scan_is_harmless(showtable_factory, aws_env):
    with stand_in(SlowScan) as url:
        env = server_env(aws_env, url)
        s = showtable_factory(env=env, args=["--table", "slow"]).start()
        for _ in range(3):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"GET /api/items HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic(*AUTH).encode() + b"\r\n\r\n")
            time.sleep(0.2)
            c.close()                                  # gone while the worker scans
        assert s.get("/ping")[0] == 200
        time.sleep(2)                                  # the scans finish; their answers go nowhere
        assert s.get("/ping")[0] == 200
        assert s.stop() == 0


# ---------- logs, help ----------

def test_log_lines_are_json_and_never_hold_secrets(srv):
    srv.get("/", auth=AUTH, headers={"X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678"})
    srv.get("/", auth=(DEMO_USER, "a-wrong-password"))
    srv.get("/ping")
    srv.stop()
    logs = srv.logs()
    reqs = [l for l in logs if l.get("event") == "request"]
    assert len(reqs) >= 3
    for l in reqs:
        assert {"time", "method", "path", "status", "bytes", "duration_ms", "user", "client", "request_id"} <= set(l)
    assert any(l["user"] == DEMO_USER and l["status"] == 200 for l in reqs)
    assert any(l.get("trace_id") == "Root=1-67891233-abcdef012345678912345678" for l in reqs)
    out = srv.stdout() + srv.stderr()
    for secret in (DEMO_PASSWORD, "a-wrong-password", basic(*AUTH), basic(*AUTH)[6:]):
        assert secret not in out


def test_help_lists_every_option_with_its_variable():
    out = subprocess.run([binary("showtable"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    flags = re.findall(r"^  --([a-z-]+) ", out.stdout, re.M)
    envs = re.findall(r"\[(SHOWTABLE_[A-Z_]+)", out.stdout)
    assert {"listen", "htpasswd", "param-prefix", "table", "table-ttl", "credentials-refresh", "assets",
            "log-level", "grace", "trusted-proxies"} <= set(flags)
    # --health-check is a mode taken from argv only, like --help and --version.
    assert {"health-check", "healthy-codes", "health-timeout"} <= set(flags)
    assert len(envs) == len(set(flags) - {"help", "version", "health-check"})
    v = subprocess.run([binary("showtable"), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("showtable ")


def test_default_listen_is_ipv4_and_ipv6(showtable_factory, aws_env):
    port = free_port()
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--listen", f":{port}"], port=port).start()
    try:
        six = socket.create_connection(("::1", port), timeout=2)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    six.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert six.recv(100).startswith(b"HTTP/1.1 200")
    six.close()
    assert s.get("/ping")[0] == 200


def test_bad_option_is_a_clear_error(aws_env):
    out = subprocess.run([binary("showtable"), "--grace", "soon"], capture_output=True, text=True, env=aws_env)
    assert out.returncode == 2 and "--grace" in out.stderr
    env = dict(aws_env, SHOWTABLE_LISTEN="nonsense")
    out = subprocess.run([binary("showtable")], capture_output=True, text=True, env=env)
    assert out.returncode == 2 and "SHOWTABLE_LISTEN" in out.stderr


# ---------- --health-check (the container health check: the image has no shell) ----------

def health_check(*args, env=None):
    return subprocess.run([binary("showtable"), "--health-check", *args], capture_output=True, text=True,
                          env=env, timeout=30)


def test_health_check_exits_0_when_the_server_answers_ping(srv):
    p = health_check(f"http://127.0.0.1:{srv.port}/ping")
    assert p.returncode == 0, p.stderr
    assert f"healthy: http://127.0.0.1:{srv.port}/ping answered 200" in p.stdout


def test_health_check_exits_1_on_a_status_outside_the_healthy_codes(srv):
    p = health_check(f"http://127.0.0.1:{srv.port}/")   # 401 without a login; default codes 2xx
    assert p.returncode == 1
    assert "answered 401, which is not one of the healthy codes" in p.stderr


def test_health_check_takes_the_load_balancers_codes(srv):
    p = health_check(f"http://127.0.0.1:{srv.port}/", "--healthy-codes", "200,401")
    assert p.returncode == 0, p.stderr


def test_health_check_exits_1_when_nothing_listens():
    p = health_check(f"http://127.0.0.1:{free_port()}/ping")
    assert p.returncode == 1 and "unhealthy: cannot connect to 127.0.0.1" in p.stderr


def test_health_check_gives_up_on_a_server_that_never_answers():
    with socket.socket() as lsn:   # accepts (the kernel's backlog) but never reads or writes
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(4)
        start = time.monotonic()
        p = health_check(f"http://127.0.0.1:{lsn.getsockname()[1]}/ping", "--health-timeout", "300")
        took = time.monotonic() - start
    assert p.returncode == 1 and "unhealthy:" in p.stderr
    assert took < 5


def test_health_check_runs_with_the_tasks_environment(aws_env):
    """ECS runs the check inside the container, with the task's variables set: they must not
    get in its way, and none of them can turn a serving process into a checker."""
    env = dict(aws_env, SHOWTABLE_LISTEN=":8080", SHOWTABLE_TRUSTED_PROXIES="10.0.0.0/16",
               SHOWTABLE_PARAM_PREFIX="/go-on-aws", SHOWTABLE_HEALTHY_CODES="200")
    p = health_check(f"http://127.0.0.1:{free_port()}/ping", env=env)
    assert p.returncode == 1 and "cannot connect" in p.stderr


def test_health_check_needs_a_url():
    p = health_check()
    assert p.returncode == 2 and "--health-check needs an http:// or https:// URL" in p.stderr

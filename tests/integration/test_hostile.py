"""test_hostile.py — build/showtable against clients that try to get around its defences:
parallel password guessing, forged X-Forwarded-For, credentials hunted for in the logs, and
bytes in paths and trace ids that would break a JSON log line.

Each test starts its own server against dynalite (session fixture) with a real bcrypt
htpasswd file. Every log line any server wrote is parsed as JSON from its bytes when the
test ends (server_fixture.showtable_factory), so every request here also checks the logs.
"""
import base64
import binascii
import json
import socket
import urllib.parse
import uuid

import pytest

from server_fixture import (DEMO_PASSWORD, DEMO_USER, basic, load_items, make_htpasswd, raw_request, server_env,
                            showtable_factory)  # noqa: F401

AUTH = (DEMO_USER, DEMO_PASSWORD)


@pytest.fixture(scope="module")
def table(dynalite):
    name = "h-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": f"item-{i:03d}"}} for i in range(20)])
    return name


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.") else 0


# ---------- brute force ----------

def test_a_parallel_burst_of_wrong_logins_is_held_to_the_limit(showtable_factory, aws_env, dynalite, table,
                                                               tmp_path):
    """200 different wrong passwords sent at once from one address (each on its own
    connection, all written before any answer is read; bcrypt cost 10, so checks overlap):
    attempts count as they arrive, so at most --login-failures of them are ever checked and
    the rest get 429 (or 503 while the server's check slots are full) — none is let through
    to a password check past the limit."""
    htpasswd = make_htpasswd(tmp_path / "htpasswd-cost10", {DEMO_USER: DEMO_PASSWORD}, cost=10)
    s = showtable_factory(env=server_env(aws_env, dynalite), htpasswd=False,
                          args=["--table", table, "--htpasswd", htpasswd, "--login-failures", "5",
                                "--max-connections-per-ip", "1000"]).start()
    socks = [socket.create_connection(("127.0.0.1", s.port), timeout=60) for _ in range(200)]
    for i, c in enumerate(socks):
        c.sendall(b"GET /api/items?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " +
                  basic(DEMO_USER, f"guess-{i}").encode() + b"\r\n\r\n")
    results = []
    for c in socks:
        out = b""
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        c.close()
        results.append(status_of(out))
    assert results.count(401) <= 5, sorted(results)
    assert set(results) <= {401, 429, 503}, sorted(results)
    assert results.count(429) >= 150, sorted(results)
    # guesses one at a time from now on: the limit is reached after 5 checked in all
    after = [s.get("/", auth=(DEMO_USER, f"later-{i}"))[0] for i in range(6)]
    assert results.count(401) + after.count(401) == 5 and after[-1] == 429, (results.count(401), after)
    s.stop()
    checked = [l for l in s.logs() if l.get("status") == 401]
    assert len(checked) <= 5


# ---------- X-Forwarded-For ----------

@pytest.mark.parametrize("proxies", [[], ["--trusted-proxies", "10.0.0.0/8"]], ids=["none", "not-the-peer"])
def test_forwarded_for_from_an_untrusted_peer_cannot_dodge_the_limit(showtable_factory, aws_env, dynalite,
                                                                     table, proxies):
    """Without --trusted-proxies (or when the peer is not one of them) X-Forwarded-For is the
    client's own claim: a new forged address with each guess must not reset its count. The
    forged values do not end in the real peer's address, so believing them would show."""
    s = showtable_factory(env=server_env(aws_env, dynalite),
                          args=["--table", table, "--login-failures", "3", *proxies]).start()
    got = [s.get("/", auth=(DEMO_USER, f"bad-{i}"), headers={"X-Forwarded-For": f"198.51.100.{i}"})[0]
           for i in range(6)]
    assert got[:3] == [401, 401, 401] and got[3:] == [429, 429, 429], got
    clients = {l.get("client") for l in s.logs() if l.get("event") == "request"}
    assert clients == {"127.0.0.1"}, clients


# ---------- credentials in the logs ----------

def encodings(secret):
    """Every way a credential could end up written: as sent, in base64 (standard and URL-safe,
    with and without padding, at each of the three alignments a longer base64 text could
    hold it), percent-encoded, hex, and JSON-escaped."""
    b = secret.encode()
    out = {secret, urllib.parse.quote(secret), urllib.parse.quote_plus(secret),
           binascii.hexlify(b).decode(), json.dumps(secret)[1:-1],
           json.dumps(secret, ensure_ascii=False)[1:-1]}
    for pad in (b"", b"x", b"xx"):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            t = enc(pad + b).decode().rstrip("=")
            # characters that depend on the padding or on what follows are left out
            skip = {0: 0, 1: 2, 2: 3}[len(pad)]
            core = t[skip:len(t) - 2] if len(t) - skip > 4 else None
            if core:
                out.add(core)
            out.add(enc(b).decode())
            out.add(enc(b).decode().rstrip("="))
    return {e for e in out if len(e) >= 6}


def test_no_credential_sent_is_ever_logged_in_any_encoding(showtable_factory, aws_env, dynalite, table):
    s = showtable_factory(env=server_env(aws_env, dynalite),
                          args=["--table", table, "--log-level", "debug"]).start()
    sent = []

    def login(user, password, path="/"):
        sent.append((user, password))
        return s.get(path, auth=(user, password))[0]
    assert login(DEMO_USER, DEMO_PASSWORD) == 200
    assert login(DEMO_USER, "wrong-pass-Zq7") == 401
    assert login("nobody-here", "another-secret-9") == 401
    assert login(DEMO_USER, "pässwörd-ünïcode") == 401
    assert login(DEMO_USER, "wrong-on-api-5", "/api/items?limit=1") == 401
    assert login(DEMO_USER, "wrong-on-query-6", "/query?q=x") == 401
    for hdr in ("Basic bm90OmJhc2U2NCE=garbage", "Basic " + "QUFB" * 400, "Bearer tok-3n-secret"):
        s.get("/", auth=hdr)
    s.stop()   # flushes the log
    written = (s.out_path.read_bytes() + s.err_path.read_bytes()).decode("utf-8", "replace")
    secrets = set()
    for user, password in sent:
        secrets |= encodings(password) | encodings(f"{user}:{password}") | {basic(user, password)}
    secrets |= {"bm90OmJhc2U2NCE", "QUFBQUFB", "tok-3n-secret"}
    found = sorted(x for x in secrets if x in written)
    assert not found, found


# ---------- log lines whatever the client sends ----------

BAD_TARGETS = [b"/\xff\xfe", b"/%ff%fe%c3", b"/a\xc3", b"/" + "€".encode() * 200, b"/" + b"\xe2\x82" * 300,
               b"/q\x7fz", b"/query?q=%E2%28%A1", b"/%00x", b"/\xed\xa0\x80", b"/" + "é".encode() * 130 + b"x"]
BAD_TRACES = [b"Root=\xff\xfe", b"Root=" + "€".encode() * 60, b"Root=\xc3", b"Root=\"quoted\\\"",
              b"Root=" + b"\xf0\x9f\x98" * 50, b"Root=\x01\x02"]


def test_every_log_line_is_json_whatever_the_path_and_trace_id_hold(showtable_factory, aws_env, dynalite, table):
    s = showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()
    sent = 0
    for target in BAD_TARGETS:
        for trace in BAD_TRACES:
            for auth in (b"", b"Authorization: " + basic(*AUTH).encode() + b"\r\n"):
                raw_request(s.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"X-Amzn-Trace-Id: " + trace + b"\r\n" + auth + b"\r\n")
                sent += 1
    assert s.get("/ping")[0] == 200
    s.stop()
    logs = s.logs()   # every line: UTF-8 and JSON
    reqs = [l for l in logs if l.get("event") == "request"]
    assert len(reqs) >= sent * 0.9
    assert any("\ufffd" in l.get("path", "") for l in reqs)
    assert any("\ufffd" in l.get("trace_id", "") for l in reqs)
    assert any(l.get("trace_id", "").startswith("Root=€€€") for l in reqs)

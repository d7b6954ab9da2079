"""test_transport.py — what the server does with the bytes of a request before any page is
made: header blocks of every size up to --max-header-bytes are served and larger ones get
431 (never a closed connection without an answer); request heads whose framing two HTTP
parsers could read differently are refused and the connection closed, so that nothing
hidden after them is answered as a second request."""
import base64
import re
import socket
import time
import uuid

import pytest

from server_fixture import (DEMO_PASSWORD, DEMO_USER, load_items, raw_request, read_response,  # noqa: F401
                            drip_until_closed, read_until_closed, server_env, showtable_factory)

AUTH = "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode()
LIMIT = 8192   # --max-header-bytes, the default


@pytest.fixture(scope="module")
def table(dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": f"a-{i}"}} for i in range(5)])
    return name


@pytest.fixture
def srv(showtable_factory, aws_env, dynalite, table):
    return showtable_factory(env=server_env(aws_env, dynalite), args=["--table", table]).start()


def statuses(resp):
    """The status of every response in resp (pipelined answers follow a body directly)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", resp)]


def head_of_size(path, size, auth):
    """A GET whose header block (request line to the empty line) is exactly size bytes when
    it can be, padded with a browser-like Cookie; the smallest it can be otherwise."""
    base = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n"
            "X-Forwarded-Proto: https\r\nX-Amzn-Trace-Id: Root=1-00000000-000000000000000000000000\r\n")
    if auth:
        base += f"Authorization: {AUTH}\r\n"
    pad = size - len(base) - len("Cookie: \r\n\r\n")
    data = base + ("Cookie: " + "c" * pad + "\r\n" if pad >= 0 else "") + "\r\n"
    return data.encode()


@pytest.mark.parametrize("path", ["/", "/query", "/api/items", "/css/showtable.css"])
@pytest.mark.parametrize("auth", [False, True], ids=["anonymous", "logged-in"])
def test_every_header_size_up_to_the_limit_is_served_and_above_it_is_431(srv, path, auth):
    normal = 200 if auth or path.startswith("/css/") else 401
    sizes = (list(range(0, 2 * LIMIT + 1, 256)) + list(range(2 * LIMIT + 512, 4 * LIMIT + 1, 512)) +
             [LIMIT - 1, LIMIT, LIMIT + 1, 64 << 10, 256 << 10])
    for size in sorted(sizes):
        data = head_of_size(path, size, auth)
        got = statuses(raw_request(srv.port, data, read_timeout=10.0))
        want = normal if len(data) <= LIMIT else 431
        assert got == [want], f"{path} with a {len(data)}-byte header: {got or 'no answer'}"


def test_a_head_over_the_limit_sent_slowly_gets_one_431(srv):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nCookie: ")
        for _ in range(3 * LIMIT // 1024):
            try:
                c.sendall(b"c" * 1024)
            except OSError:
                break
            time.sleep(0.01)
        resp = read_until_closed(c)
    assert statuses(resp) == [431], resp[:200]


PING = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
SHAPES = {
    "content-length-and-chunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + PING, 400),
    "two-content-lengths": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 31\r\n\r\n"
                            + PING, 400),
    "space-before-colon": (b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Length : 31\r\n\r\n" + PING, 400),
    "obs-fold": (b"POST /query HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Content-Length: 31\r\n\r\n" + PING, 400),
    "xchunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + PING, 501),
    "gzip-chunked": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + PING, 501),
    "identity": (b"POST /query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n" + PING, 501),
    "http11-without-host": (b"GET /ping HTTP/1.1\r\n\r\n" + PING, 400),
    "two-hosts": (b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + PING, 400),
    "two-authorizations": (b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: " + AUTH.encode() +
                           b"\r\nAuthorization: Basic eDp5\r\n\r\n" + PING, 400),
    # Shapes libmicrohttpd's parser hides from the fields it hands over: refused on the bytes.
    "nul-in-a-value": (b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n" + PING, 400),
    "nul-in-the-host": (b"GET /ping HTTP/1.1\r\nHost: x\x00.evil\r\n\r\n" + PING, 400),
    "empty-name": (b"GET /ping HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n" + PING, 400),
    "obs-fold-tab": (b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tX-B: b\r\n\r\n" + PING, 400),
    "obs-fold-valid-name": (b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Host: y\r\n\r\n" + PING, 400),
    "line-without-colon": (b"GET /ping HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n" + PING, 400),
    "bare-cr": (b"GET /ping HTTP/1.1\r\nHost: x\rX-A: a\r\n\r\n" + PING, 400),
    "control-in-request-line": (b"GET /p\x01ing HTTP/1.1\r\nHost: x\r\n\r\n" + PING, 400),
    "after-a-good-one": (PING + b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: \x00\r\n\r\n" + PING, [200, 400]),
}


@pytest.mark.parametrize("name", SHAPES)
def test_ambiguous_request_heads_are_refused_at_once_and_the_connection_closed(srv, name):
    data, want = SHAPES[name]
    resp = raw_request(srv.port, data, read_timeout=5.0)
    want = want if isinstance(want, list) else [want]
    assert statuses(resp) == want, resp[:200]     # no answer to anything after it
    assert srv.get("/ping")[0] == 200


def test_a_chunked_body_ends_its_connection_after_the_answer(srv):
    data = (b"POST /query HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH.encode() +
            b"\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nq=a\r\n0\r\n\r\n" + PING)
    got = statuses(raw_request(srv.port, data, read_timeout=5.0))
    assert len(got) == 1 and got[0] < 400, got     # answered; the request after it is not read


def test_pipelined_good_heads_are_all_answered(srv):
    body = b"q=a"
    data = (PING + b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 3\r\n\r\n" + body + b"\r\n" + PING + b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert statuses(raw_request(srv.port, data, read_timeout=5.0)) == [200, 401, 200, 200]


def test_one_authorization_header_still_logs_in(srv):
    resp = raw_request(srv.port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nAuthorization: " +
                    AUTH.encode() + b"\r\n\r\n", read_timeout=10.0)
    assert statuses(resp) == [200]


def test_http10_without_host_is_served(srv):
    assert statuses(raw_request(srv.port, b"GET /ping HTTP/1.0\r\n\r\n", read_timeout=10.0)) == [200]


# ---------- deadlines on keep-alive connections ----------

def test_next_request_dripped_on_a_keep_alive_connection_is_cut_off(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--request-timeout", "2"]).start()
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(PING)
        assert read_response(c) == 200
        t0 = time.monotonic()
        pieces = [bytes([b]) for b in b"GET /ping HTTP/1.1\r\nHost: x\r\n"]   # a byte every 0.5 s
        closed = drip_until_closed(c, pieces, 0.5, 60)
        assert closed, "a request dripped after a first one was never cut off"
        assert time.monotonic() - t0 < 5


def test_idle_time_between_requests_is_not_the_request_deadline(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--request-timeout", "1"]).start()
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(PING)
        assert read_response(c) == 200
        time.sleep(2.5)                                           # idle, longer than --request-timeout
        c.sendall(PING)
        assert read_response(c) == 200


# ---------- connection limits ----------

def hold_idle(port, n, source="127.0.0.1", request_first=True):
    """n idle connections from source: keep-alive ones after one answered /ping, or ones
    that have sent nothing yet."""
    socks = []
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(10)
        c.bind((source, 0))
        c.connect(("127.0.0.1", port))
        if request_first:
            c.sendall(PING)
        socks.append(c)
    for c in socks if request_first else ():
        try:
            read_response(c)
        except (AssertionError, OSError):
            pass   # closed to make room for a newer one
    return socks


def ping_from(port, source, timeout=5.0):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(timeout)
    try:
        c.bind((source, 0))
        t0 = time.monotonic()
        c.connect(("127.0.0.1", port))
        c.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = read_response(c)
        return status, time.monotonic() - t0
    except (AssertionError, OSError):
        return None, time.monotonic() - t0
    finally:
        c.close()


def test_fresh_client_is_served_within_a_second_while_2000_idle_connections_are_held(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x"]).start()
    held = hold_idle(s.port, 200) + hold_idle(s.port, 1800, request_first=False)
    try:
        status, took = ping_from(s.port, "127.0.0.2")
        assert status == 200 and took < 1.0, (status, took)
    finally:
        for c in held:
            c.close()


def test_at_the_connection_limit_the_longest_idle_connections_make_room(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--max-connections", "100",
                                                         "--max-connections-per-ip", "0"]).start()
    held = hold_idle(s.port, 100) + hold_idle(s.port, 100, request_first=False)
    try:
        status, took = ping_from(s.port, "127.0.0.2")
        assert status == 200 and took < 1.0, (status, took)
        assert ping_from(s.port, "127.0.0.1")[0] == 200
        oldest = held[0]                                   # closed to make room
        oldest.settimeout(2)
        assert oldest.recv(10) == b""
    finally:
        for c in held:
            c.close()


def test_one_address_gets_at_most_its_share_of_connections_unless_it_is_a_trusted_proxy(showtable_factory, aws_env):
    s = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--max-connections-per-ip", "20"]).start()
    held = hold_idle(s.port, 20)
    try:
        assert ping_from(s.port, "127.0.0.1", timeout=2)[0] is None     # its 21st: refused
        assert ping_from(s.port, "127.0.0.2")[0] == 200                  # another address is served
    finally:
        for c in held:
            c.close()
    p = showtable_factory(env=server_env(aws_env), args=["--table", "t-x", "--max-connections-per-ip", "20",
                                                         "--trusted-proxies", "127.0.0.1/32"]).start()
    held = hold_idle(p.port, 30)
    try:
        assert ping_from(p.port, "127.0.0.1")[0] == 200
    finally:
        for c in held:
            c.close()

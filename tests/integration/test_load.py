"""test_load.py — users already logged in keep their speed while others flood the server
with logins: password checks of logins not yet verified run on their own workers
(--login-workers), so a burst of 200 wrong passwords sent at once does not queue in front
of a logged-in user's /api/items. Bounded: one burst, 300 measured requests, loopback only."""
import base64
import socket
import time
import uuid

import pytest

from server_fixture import (DEMO_PASSWORD, DEMO_USER, load_items, make_htpasswd, read_response,  # noqa: F401
                            server_env)
from server_fixture import showtable_factory  # noqa: F401

AUTH = "Basic " + base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode()
WRONG = "Basic " + base64.b64encode(f"{DEMO_USER}:wrong".encode()).decode()


@pytest.fixture(scope="module")
def table(dynalite):
    name = "t-" + uuid.uuid4().hex[:12]
    load_items(dynalite, name, [{"itemID": {"S": f"a-{i}"}, "n": {"N": str(i)}} for i in range(20)])
    return name


def get(sock, path, auth):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode())
    return read_response(sock)


def get_answer(sock):
    buf = b""
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "closed before an answer"
        buf += chunk
    return int(buf.split(b" ")[1])


def p99(port, n=100):
    times = []
    with socket.create_connection(("127.0.0.1", port), timeout=30) as c:
        for _ in range(n):
            t0 = time.monotonic()
            assert get(c, "/api/items?limit=10", AUTH) == 200
            times.append(time.monotonic() - t0)
    times.sort()
    return times[min(len(times) - 1, int(len(times) * 0.99))]


def test_a_burst_of_wrong_logins_does_not_slow_down_logged_in_users(showtable_factory, aws_env, dynalite, table,
                                                                   tmp_path):
    pw = make_htpasswd(tmp_path / "htpasswd-cost8", {DEMO_USER: DEMO_PASSWORD}, cost=8)
    s = showtable_factory(env=server_env(aws_env, dynalite), htpasswd=False,
                          args=["--htpasswd", pw, "--table", table, "--login-failures", "1000"]).start()
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
        assert get(c, "/api/items?limit=10", AUTH) == 200          # the login is verified once
    idle = p99(s.port)
    burst = []
    try:
        for _ in range(200):
            b = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            b.sendall(f"GET /api/items HTTP/1.1\r\nHost: x\r\nAuthorization: {WRONG}\r\n\r\n".encode())
            burst.append(b)
        time.sleep(0.3)     # the loop has taken them in; their ~3 s of password checks go on
        during = p99(s.port)
        for b in burst:                                            # every wrong login is answered
            assert get_answer(b) == 401
    finally:
        for b in burst:
            b.close()
    time.sleep(1)                                                  # the 200 connections are closed
    after = p99(s.port)
    # The idle p99 is taken before and after the burst, the larger counting, and not below
    # 50 ms: on a shared machine other work moves a p99 of a few tens of milliseconds by as
    # much from one minute to the next. The server without login workers took 5–16 s.
    print(f"p99 of a logged-in /api/items: idle {idle * 1000:.1f} / {after * 1000:.1f} ms, "
          f"during 200 wrong logins {during * 1000:.1f} ms")
    assert during <= 2 * max(idle, after, 0.050), (idle, after, during)

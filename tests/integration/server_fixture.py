"""server_fixture.py — starts build/showtable for a test, talks HTTP to it, stops it.

Other test modules import it:

    from server_fixture import Showtable, make_htpasswd, ddb_client, load_items
    srv = Showtable(tmp_path, aws_env, args=["--table", t]).start()   # free 127.0.0.1 port
    status, headers, body = srv.get("/", auth=("alice", "pw"))
    srv.stop()            # SIGTERM; returns the exit code; srv.logs() = parsed JSON lines

The htpasswd file is made by `htpasswd -bB` (apache2-utils, bcrypt) so the server checks
real hashes. Tables are created and filled in dynalite with botocore, independently of the
code under test.
"""
import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import FAKE_KEY_ID, FAKE_SECRET, SAN, binary, free_port, wait_port

DEMO_USER = "alice"
DEMO_PASSWORD = "correct horse battery"


def make_htpasswd(path, users, cost=4, scheme="-B"):
    """Writes an htpasswd file with users {name: password}; scheme "-B" (bcrypt, cost) or any
    other htpasswd hash flag ("-m" makes $apr1$, which the server must refuse)."""
    path = str(path)
    if os.path.exists(path):
        os.unlink(path)
    for name, pw in users.items():
        flags = ["-b", scheme] + (["-C", str(cost)] if scheme == "-B" else [])
        if not os.path.exists(path):
            flags.append("-c")
        subprocess.run(["htpasswd", *flags, path, name, pw], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def htpasswd_line(name, password, cost=4):
    out = subprocess.run(["htpasswd", "-nbB", "-C", str(cost), name, password], check=True,
                         capture_output=True, text=True).stdout
    return out.strip() + "\n"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Showtable:
    def __init__(self, tmp_path, env, args=(), users=None, htpasswd=True, port=None):
        self.tmp = tmp_path
        self.port = port or free_port()
        self.env = dict(env)
        self.args = list(args)
        self.users = users if users is not None else {DEMO_USER: DEMO_PASSWORD}
        self.htpasswd = None
        if htpasswd:
            self.htpasswd = make_htpasswd(tmp_path / f"htpasswd-{self.port}", self.users)
        self.out_path = tmp_path / f"showtable-{self.port}.out"
        self.err_path = tmp_path / f"showtable-{self.port}.err"
        self.proc = None

    def command(self):
        cmd = [binary("showtable"), "--listen", f"127.0.0.1:{self.port}"]
        if self.htpasswd:
            cmd += ["--htpasswd", self.htpasswd]
        return cmd + self.args

    def start(self, expect_fail=False, timeout=20.0):
        self.proc = subprocess.Popen(self.command(), env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=open(self.out_path, "wb"),
                                     stderr=open(self.err_path, "wb"))
        if expect_fail:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                raise AssertionError("showtable started although it should have refused")
            return self
        try:
            wait_port(self.port, timeout=timeout, proc=self.proc)
        except Exception:
            raise AssertionError(f"showtable did not start: {self.stderr()}")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Stops the server; returns its exit code. Fails on sanitizer reports."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("showtable did not stop after the signal")
        err = self.stderr()
        assert "ERROR: AddressSanitizer" not in err and "runtime error:" not in err, err
        assert "ERROR: LeakSanitizer" not in err, err
        return self.proc.returncode

    def stdout(self):
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""

    def stderr(self):
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""

    def logs(self):
        """Every stdout line, parsed as JSON from its bytes: a line that is not UTF-8 or not
        JSON fails the test."""
        out = []
        raw = self.out_path.read_bytes() if self.out_path.exists() else b""
        for line in raw.splitlines():
            try:
                out.append(json.loads(line.decode("utf-8")))
            except ValueError:
                raise AssertionError(f"log line is not JSON: {line!r}")
        return out

    def request(self, method, path, headers=None, body=None, auth=None, timeout=30.0):
        """One request on a new connection: (status, {lower-case header: value}, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if auth is not None:
            h["Authorization"] = basic(*auth) if isinstance(auth, tuple) else auth
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def auth(self):
        return (DEMO_USER, DEMO_PASSWORD)


def ddb_client(endpoint):
    """A botocore DynamoDB client for dynalite (independent of our C client)."""
    import botocore.session
    s = botocore.session.get_session()
    return s.create_client("dynamodb", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET)


def create_table(endpoint, name):
    c = ddb_client(endpoint)
    c.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "itemID", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "itemID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    for _ in range(200):
        if c.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return c
        time.sleep(0.05)
    raise AssertionError(f"table {name} never became ACTIVE")


def load_items(endpoint, name, items):
    """Creates table name and writes items (DynamoDB JSON) in batches of 25."""
    c = create_table(endpoint, name)
    for i in range(0, len(items), 25):
        req = {name: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]}
        while req:
            req = c.batch_write_item(RequestItems=req).get("UnprocessedItems") or None
    return c


def server_env(aws_env, dynalite=None, ssm=None):
    env = dict(aws_env)
    if dynalite:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynalite
    if ssm:
        env["AWS_ENDPOINT_URL_SSM"] = ssm
    else:
        # No SSM in the test: point it at a closed port so nothing can leave the machine.
        env["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{free_port()}"
    env.setdefault("AWS_MAX_ATTEMPTS", "2")
    return env


@pytest.fixture
def showtable_factory(tmp_path, aws_env):
    """Makes servers and stops whatever is still running at the end of the test."""
    made = []

    def make(**kw):
        srv = Showtable(tmp_path, kw.pop("env", aws_env), **kw)
        made.append(srv)
        return srv
    yield make
    for srv in made:
        srv.stop()
    for srv in made:      # whatever the test sent, every log line it caused is JSON
        srv.logs()


def read_response(sock):
    """The status of one response with a Content-Length body, read whole from a keep-alive
    socket (raw-socket tests that hold connections open)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "closed before an answer"
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ")[1])


def raw_request(port, data, read_timeout=5.0, half_close=False):
    """Sends data on a new connection (optionally half-closing it), then reads until the server
    closes or stays silent for read_timeout: everything it answered, as bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass   # the server may answer (413/431) and close before reading it all
        return read_until_closed(s)


def drip_until_closed(sock, pieces, every, limit_s):
    """Sends pieces one at a time, waiting up to every seconds for the server between them,
    until the server closes the connection or limit_s have passed; True when it closed."""
    t0 = time.monotonic()
    for piece in pieces:
        if time.monotonic() - t0 >= limit_s:
            return False
        try:
            sock.sendall(piece)
            sock.settimeout(every)
            if sock.recv(1024) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def read_until_closed(sock):
    """Everything the server sends on sock until it closes or stays silent for the socket's
    timeout, as bytes."""
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out

"""awsfake.py — what every fake endpoint in tests/integration/fakes shares, so each fake
holds only its API: a ThreadingHTTPServer on 127.0.0.1 served from a thread (FakeServer),
a quiet HTTP/1.1 handler with TCP_NODELAY (Handler), the one SigV4 Authorization verifier
(verify_sigv4, the strictest check any fake made), and the AWS error bodies (JSON 1.x
{"__type", "message"}, Query <ErrorResponse>).

    class FakeFoo(FakeServer):
        def __init__(self, port=0):
            super().__init__(port, methods=("POST",))   # do_POST -> self._handle(h)
        def _handle(self, h):                            # h.raw: the body, already read
            akid = verify_sigv4(h.lower_headers(), h.raw, "foo", "us-east-1", secrets)
            h.send_json(200, {...})
"""
import datetime
import hashlib
import hmac
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

# Obviously fake keys (the AWS documentation's examples): nothing here ever talks to AWS.
FAKE_KEY_ID = "AKIDEXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCOUNT = "123456789012"
JSON_11 = "application/x-amz-json-1.1"

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[A-Za-z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)"
    r"/(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<sig>[0-9a-f]{64})$")
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


def iso(t):
    """Epoch seconds as the ISO 8601 UTC time AWS credential documents carry."""
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def sigv4_signature(secret, method, path, query, headers, signed, body, amz_date, region,
                    service):
    """The SigV4 signature of a request, computed independently of the code under test."""
    def trim(v):
        return " ".join(v.strip().split())
    canon_headers = "".join(f"{h}:{trim(headers.get(h, ''))}\n" for h in signed.split(";"))
    canonical = "\n".join([method, path, query, canon_headers, signed,
                           hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


class SigV4Error(Exception):
    """Why verify_sigv4 rejected a request. kind says which check failed, so each fake can
    answer with its service's error code: "missing" (no well-formed X-Amz-Date or
    Authorization), "headers" (SignedHeaders unsorted or without host / x-amz-date),
    "scope" (credential scope of another date, region or service), "key" (unknown access
    key id), "token" (a temporary key without its signed X-Amz-Security-Token),
    "signature" (the signature does not verify)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message


def verify_sigv4(hdr, raw, service, region, key_for, method="POST", path="/", query=""):
    """Checks a request's SigV4 signature as AWS does and returns its access key id; raises
    SigV4Error otherwise. hdr: the request headers with lower-case names; raw: the body
    bytes; key_for(akid): (secret, session token or None) for a key this fake knows, else
    None (it is called with the request's key id, so a key_for may match keys loosely)."""
    amz_date = hdr.get("x-amz-date", "")
    if not AMZ_DATE_RE.match(amz_date):
        raise SigV4Error("missing", f"X-Amz-Date {amz_date!r} is not YYYYMMDDTHHMMSSZ")
    m = AUTH_RE.match(hdr.get("authorization", ""))
    if not m:
        raise SigV4Error("missing", f"malformed Authorization header {hdr.get('authorization')!r}")
    signed = m["signed"].split(";")
    if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
        raise SigV4Error("headers", f"SignedHeaders {m['signed']!r} must be sorted and include "
                                    f"host and x-amz-date")
    if m["service"] != service or m["region"] != region or m["date"] != amz_date[:8]:
        raise SigV4Error("scope", f"credential scope {m['date']}/{m['region']}/{m['service']} "
                                  f"is wrong (expected {service} in {region})")
    key = key_for(m["akid"])
    if key is None:
        raise SigV4Error("key", f"unknown access key id {m['akid']!r}")
    secret, token = key
    if token is not None and (hdr.get("x-amz-security-token") != token
                              or "x-amz-security-token" not in signed):
        raise SigV4Error("token", "temporary key without its signed session token")
    want = sigv4_signature(secret, method, path, query, hdr, m["signed"], raw, amz_date,
                           m["region"], service)
    if not hmac.compare_digest(want, m["sig"]):
        raise SigV4Error("signature", "signature does not match")
    return m["akid"]


def json_error(code, message=None):
    """A JSON 1.x protocol error body; without message, the member is left out (as AWS
    does for some errors, e.g. SSM's ParameterNotFound)."""
    return {"__type": code} if message is None else {"__type": code, "message": message}


def query_error(ns, code, message, typ="Sender"):
    """A Query protocol (STS, CloudFormation, ELBv2) <ErrorResponse> document."""
    return (f'<ErrorResponse xmlns="{ns}"><Error><Type>{typ}</Type><Code>{escape(code)}</Code>'
            f'<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}'
            f'</RequestId></ErrorResponse>')


class Handler(BaseHTTPRequestHandler):
    """An HTTP/1.1 keep-alive handler that logs nothing. FakeServer subclasses it with
    fake (the FakeServer) and a do_<METHOD> per method served, which reads the body into
    raw and calls fake._handle(self)."""
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle plus the client's
    # delayed ACK adds ~40 ms to every response.
    disable_nagle_algorithm = True
    request_ids = True      # an x-amzn-RequestId header on every answer
    fake = None
    raw = b""

    def log_message(self, *a):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def lower_headers(self):
        return {k.lower(): v for k, v in self.headers.items()}

    def send_raw(self, status, ctype, data, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if self.request_ids:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, obj, ctype=JSON_11, headers=()):
        self.send_raw(status, ctype, json.dumps(obj).encode(), headers)

    def send_xml(self, status, text):
        self.send_raw(status, "text/xml", text.encode())


class FakeServer:
    """A fake endpoint on host:port (127.0.0.1, 0: a free one), served from a daemon thread
    between start() and stop() (or as a context manager). Subclasses implement
    _handle(h) for the HTTP methods they serve; fail_next/_next_fault queue injected
    faults; problems collects protocol violations seen (tests assert it is empty).
    request_ids=False: answers carry no x-amzn-RequestId header (an endpoint that is no AWS
    API, or a test of the RequestId in an error body, which the header would take over)."""

    def __init__(self, port=0, methods=("POST",), handler=Handler, request_ids=True, host="127.0.0.1"):
        attrs = {"fake": self, "request_ids": request_ids}
        for m in methods:
            attrs["do_" + m] = _dispatch
        self._server = ThreadingHTTPServer((host, port),
                                           type(handler.__name__, (handler,), attrs))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.problems = []
        self._faults = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None

    @property
    def server(self):
        return self._server

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()           # ends injected hangs
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self):
        """Serves in this thread until interrupted (fakes run as processes)."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass

    def fail_next(self, n, kind):
        """The next n requests get fault kind (what a kind means is the fake's)."""
        with self._lock:
            self._faults.extend([kind] * n)

    def _next_fault(self):
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _problem(self, what):
        with self._lock:
            self.problems.append(what)
        return what

    def _handle(self, h):
        raise NotImplementedError


def _dispatch(h):
    h.raw = h.read_body()
    h.fake._handle(h)

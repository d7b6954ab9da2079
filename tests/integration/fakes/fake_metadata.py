"""fake_metadata.py — the two metadata credential endpoints, as AWS documents them, for tests.

ECS/EKS container credentials: GET <ecs_path> answers
{"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}; when auth_token is
set the request's Authorization header must equal it (AWS_CONTAINER_CREDENTIALS_FULL_URI
with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]), else 401 {"code", "message"}.

EC2 IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1-21600)
returns a session token (and echoes the TTL header); GET
/latest/meta-data/iam/security-credentials/ lists the role, GET .../<role> returns
{"Code": "Success", "LastUpdated", "Type": "AWS-HMAC", "AccessKeyId", "SecretAccessKey",
"Token", "Expiration"}. Every GET needs a valid X-aws-ec2-metadata-token (IMDSv1 requests
get 401, as on instances that require IMDSv2); a PUT carrying X-Forwarded-For gets 403.

    from fake_metadata import FakeMetadata
    with FakeMetadata(expiry_seconds=302, auth_token="tok") as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = md.url
        md.issued            # key ids handed out, in order
        md.requests          # (method, path, headers) of every request
        md.fail_next(1, "500")   # or "hang" (no answer for hang_seconds)
        assert md.problems == []

Credentials are fake (ASIAFAKE... ids, the AKIDEXAMPLE test secret) and expire
expiry_seconds after they are handed out.
"""
import datetime
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def iso(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class FakeMetadata:
    def __init__(self, expiry_seconds=6 * 3600, auth_token=None, role="showtable-task",
                 ecs_path="/v2/credentials/4f1e9c2a-fake", port=0, hang_seconds=10.0):
        self.expiry_seconds, self.auth_token, self.role = expiry_seconds, auth_token, role
        self.ecs_path, self.hang_seconds = ecs_path, hang_seconds
        self.issued, self.requests, self.problems = [], [], []
        self.imds_tokens = set()
        self._faults = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_PUT(self):
                fake._handle(self, "PUT")

            def do_POST(self):
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def fail_next(self, n, kind):
        with self._lock:
            self._faults.extend([kind] * n)

    def _new_credentials(self):
        with self._lock:
            key = f"ASIAFAKE{len(self.issued) + 1:04d}"
            self.issued.append(key)
        return {"AccessKeyId": key, "SecretAccessKey": FAKE_SECRET,
                "Token": "FAKETOKEN" + secrets.token_hex(8),
                "Expiration": iso(time.time() + self.expiry_seconds)}

    def _send(self, h, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h, method):
        path = h.path
        n = int(h.headers.get("Content-Length") or 0)
        if n:
            h.rfile.read(n)
        with self._lock:
            self.requests.append((method, path, dict(h.headers)))
            fault = self._faults.pop(0) if self._faults else None
        if fault == "hang":
            self._stop.wait(self.hang_seconds)
            return
        if fault == "500":
            return self._send(h, 500, json.dumps({"code": "InternalError",
                                                  "message": "injected failure"}))
        if path.startswith("/latest/"):
            return self._imds(h, method, path)
        if path == self.ecs_path and method == "GET":
            return self._ecs(h)
        self.problems.append(f"unexpected {method} {path}")
        self._send(h, 404, json.dumps({"code": "NotFound", "message": f"no {path}"}))

    def _ecs(self, h):
        if self.auth_token is not None and h.headers.get("Authorization") != self.auth_token:
            return self._send(h, 401, json.dumps({
                "code": "AccessDenied",
                "message": "Authorization header is missing or does not match"}))
        if self.auth_token is None and h.headers.get("Authorization"):
            self.problems.append("Authorization header sent to an endpoint that has none")
        c = self._new_credentials()
        c["RoleArn"] = f"arn:aws:iam::123456789012:role/{self.role}"
        self._send(h, 200, json.dumps(c))

    def _imds(self, h, method, path):
        if path == "/latest/api/token":
            if method != "PUT":
                return self._send(h, 405, "", "text/plain")
            if h.headers.get("X-Forwarded-For"):
                return self._send(h, 403, "", "text/plain")
            ttl = h.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
            if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                self.problems.append(f"token PUT with TTL header {ttl!r}")
                return self._send(h, 400, "", "text/plain")
            tok = "AQAEAFAKE" + secrets.token_urlsafe(24)
            with self._lock:
                self.imds_tokens.add(tok)
            return self._send(h, 200, tok, "text/plain",
                              [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])
        if method != "GET":
            return self._send(h, 405, "", "text/plain")
        tok = h.headers.get("X-aws-ec2-metadata-token")
        if tok not in self.imds_tokens:
            if tok is None:
                self.problems.append(f"IMDSv1 request (no token) for {path}")
            return self._send(h, 401, "", "text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            if not self.role:
                return self._send(h, 404, "", "text/plain")
            return self._send(h, 200, self.role, "text/plain")
        if path == base + (self.role or "\0"):
            c = self._new_credentials()
            doc = {"Code": "Success", "LastUpdated": iso(time.time()), "Type": "AWS-HMAC", **c}
            return self._send(h, 200, json.dumps(doc, indent=2), "text/plain")
        return self._send(h, 404, "", "text/plain")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--expiry-seconds", type=int, default=6 * 3600)
    ap.add_argument("--auth-token")
    a = ap.parse_args()
    md = FakeMetadata(expiry_seconds=a.expiry_seconds, auth_token=a.auth_token, port=a.port)
    print(f"listening {md.url} (ECS path {md.ecs_path})", flush=True)
    try:
        md.server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)

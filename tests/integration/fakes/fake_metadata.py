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
import json
import secrets
import sys
import time

from awsfake import FAKE_SECRET, FakeServer, iso


class FakeMetadata(FakeServer):
    def __init__(self, expiry_seconds=6 * 3600, auth_token=None, role="showtable-task",
                 ecs_path="/v2/credentials/4f1e9c2a-fake", port=0, hang_seconds=10.0):
        super().__init__(port, methods=("GET", "PUT", "POST"), request_ids=False)
        self.expiry_seconds, self.auth_token, self.role = expiry_seconds, auth_token, role
        self.ecs_path, self.hang_seconds = ecs_path, hang_seconds
        self.issued, self.requests = [], []
        self.imds_tokens = set()

    def _new_credentials(self):
        with self._lock:
            key = f"ASIAFAKE{len(self.issued) + 1:04d}"
            self.issued.append(key)
        return {"AccessKeyId": key, "SecretAccessKey": FAKE_SECRET,
                "Token": "FAKETOKEN" + secrets.token_hex(8),
                "Expiration": iso(time.time() + self.expiry_seconds)}

    def _send(self, h, status, body, ctype="application/json", headers=()):
        h.send_raw(status, ctype, body.encode(), headers)

    def _handle(self, h):
        method, path = h.command, h.path
        with self._lock:
            self.requests.append((method, path, dict(h.headers)))
            fault = self._next_fault()
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
    md.serve_forever()
    sys.exit(0)

"""fake_ssm.py — a small SSM Parameter Store endpoint (AWS JSON 1.1, target AmazonSSM) for tests.

It checks every request the way SSM would reject it (POST /, X-Amz-Target, Content-Type,
JSON body with only documented members of the right types, a well-formed SigV4
Authorization header whose signature verifies with the known test secret) and answers as
the SSM API reference documents (GetParameter, PutParameter, DeleteParameter; errors as
JSON {"__type": ...} with HTTP 400, InternalServerError with 500). Faults can be injected.

    from fake_ssm import FakeSSM
    with FakeSSM() as ssm:                    # 127.0.0.1:<free port>, served from a thread
        env["AWS_ENDPOINT_URL_SSM"] = ssm.url
        ssm.put("/app/db", "secret", type="SecureString")   # seed a parameter
        ssm.params["/app/db"]                 # {"Name", "Type", "Value", "Version", ...}
        ssm.fail_next(2, "throttle")          # the next 2 requests fail that way
        ssm.denied.add("/app/db")             # AccessDeniedException for that name
        ssm.requests                          # every request: .op .headers .body .fault .peer
        assert ssm.problems == []             # protocol violations seen (each also got a 400)

Fault kinds for fail_next: "throttle" (400 ThrottlingException), "500" (InternalServerError),
"503" (ServiceUnavailable), "deny" (400 AccessDeniedException), "hang" (no answer until
hang_seconds pass or the fake stops), "reset" (connection closed without an answer),
"truncated" (Content-Length promises more than is sent), "truncated_json" (a complete HTTP
200 carrying half a JSON document), "nonjson" (200 text/html), "huge" (200 with a valid
JSON body of huge_bytes, with Content-Length), "huge_chunked" (the same, chunked).

As a process (for other tools): python3 fake_ssm.py [--port N] [--region R]
[--param NAME=VALUE]... [--secure-param NAME=VALUE]... prints "listening http://127.0.0.1:N"
and serves until terminated.
"""
import base64
import json
import socket
import sys
import time

from awsfake import (ACCOUNT, AMZ_DATE_RE, AUTH_RE, FAKE_KEY_ID, FAKE_SECRET,  # noqa: F401
                     JSON_11, FakeServer, SigV4Error, json_error, sigv4_signature, verify_sigv4)

# Request members per operation, as documented: name -> (type, required).
OPS = {
    "GetParameter": {"Name": (str, True), "WithDecryption": (bool, False)},
    "PutParameter": {
        "Name": (str, True), "Value": (str, True), "Type": (str, False),
        "Description": (str, False), "KeyId": (str, False), "Overwrite": (bool, False),
        "AllowedPattern": (str, False), "Tags": (list, False), "Tier": (str, False),
        "Policies": (str, False), "DataType": (str, False),
    },
    "DeleteParameter": {"Name": (str, True)},
}
TYPES = ("String", "StringList", "SecureString")


class Request:
    """One request as received: op (or None), headers (lower-case names), body (parsed
    JSON or None), raw body bytes, the fault injected into its answer (or None), and peer,
    the client's (host, port) — one port per TCP connection, to see connection reuse."""

    def __init__(self, op, headers, body, raw, fault, peer=None):
        self.op, self.headers, self.body, self.raw, self.fault = op, headers, body, raw, fault
        self.peer = peer

    def __repr__(self):
        return f"Request({self.op!r}, fault={self.fault!r}, body={self.body!r})"


class FakeSSM(FakeServer):
    def __init__(self, region="us-east-1", key_id=FAKE_KEY_ID, secret=FAKE_SECRET,
                 port=0, hang_seconds=30.0, huge_bytes=8 * 1024 * 1024, host="127.0.0.1"):
        super().__init__(port, methods=("POST", "GET", "PUT", "DELETE"), host=host)
        self.region, self.key_id, self.secret = region, key_id, secret
        self.hang_seconds, self.huge_bytes = hang_seconds, huge_bytes
        self.params = {}
        self.denied = set()
        self.requests = []

    # -- test controls
    def put(self, name, value, type="String", description=None):
        """Seeds a parameter as PutParameter would (version increments)."""
        with self._lock:
            return self._store(name, value, type, description, None)

    def count(self, op=None):
        return sum(1 for r in self.requests if op is None or r.op == op)

    # -- internals
    def _arn(self, name):
        sep = "" if name.startswith("/") else "/"
        return f"arn:aws:ssm:{self.region}:{ACCOUNT}:parameter{sep}{name}"

    def _store(self, name, value, type, description, key_id):
        old = self.params.get(name)
        version = old["Version"] + 1 if old else 1
        self.params[name] = {
            "Name": name, "Type": type, "Value": value, "Version": version,
            "LastModifiedDate": round(time.time(), 3), "ARN": self._arn(name),
            "DataType": "text", "Description": description, "KeyId": key_id,
        }
        return version

    def _check(self, h):
        """Returns (op, body, problem) for a request; problem is None when well-formed."""
        hdr = h.lower_headers()
        raw = h.raw
        if h.command != "POST" or h.path != "/":
            return None, None, f"expected POST /, got {h.command} {h.path}"
        target = hdr.get("x-amz-target", "")
        if not target.startswith("AmazonSSM."):
            return None, None, f"X-Amz-Target {target!r} is not AmazonSSM.<Operation>"
        op = target[len("AmazonSSM."):]
        if op not in OPS:
            return op, None, f"unknown operation {op!r}"
        if hdr.get("content-type") != JSON_11:
            return op, None, f"Content-Type {hdr.get('content-type')!r} is not application/x-amz-json-1.1"
        try:
            verify_sigv4(hdr, raw, "ssm", self.region, self._key_for)
        except SigV4Error as e:
            return op, None, e.message
        try:
            body = json.loads(raw)
        except ValueError as e:
            return op, None, f"body is not JSON: {e}"
        if not isinstance(body, dict):
            return op, body, "body is not a JSON object"
        spec = OPS[op]
        for k, v in body.items():
            if k not in spec:
                return op, body, f"{op}: unknown member {k!r}"
            if not isinstance(v, spec[k][0]):
                return op, body, f"{op}: member {k} has the wrong type"
        for k, (_, req) in spec.items():
            if req and k not in body:
                return op, body, f"{op}: required member {k} is missing"
        if not 1 <= len(body["Name"]) <= 2048:
            return op, body, f"{op}: Name length out of range"
        if op == "PutParameter" and body.get("Type", "String") not in TYPES:
            return op, body, f"PutParameter: Type {body.get('Type')!r} is not one of {TYPES}"
        return op, body, None

    def _key_for(self, akid):
        # akid == key_id, not a dict lookup: a test's key_id may stand for several keys.
        return (self.secret, None) if akid == self.key_id else None

    def _handle(self, h):
        op, body, problem = self._check(h)
        with self._lock:
            fault = self._next_fault()
            self.requests.append(Request(op, h.lower_headers(), body, h.raw, fault,
                                         h.client_address))
            if problem:
                self._problem(problem)
        if fault:
            return self._fault(h, fault, op)
        if problem:
            # SigV4 problems are what SSM reports as these; the rest as validation.
            code = "InvalidSignatureException" if "ignature" in problem or "Authorization" in problem \
                else "ValidationException"
            return h.send_json(400, json_error(code, problem))
        name = body["Name"]
        if name in self.denied:
            return self._deny(h, op, name)
        with self._lock:
            if op == "GetParameter":
                p = self.params.get(name)
                if not p:
                    return h.send_json(400, json_error("ParameterNotFound"))
                value = p["Value"]
                if p["Type"] == "SecureString" and not body.get("WithDecryption"):
                    value = base64.b64encode(b"fake-kms-ciphertext:" + value.encode()).decode()
                out = {k: p[k] for k in ("Name", "Type", "Version", "LastModifiedDate", "ARN",
                                         "DataType")}
                out["Value"] = value
                return h.send_json(200, {"Parameter": out})
            if op == "PutParameter":
                if name in self.params and not body.get("Overwrite"):
                    return h.send_json(400, json_error(
                        "ParameterAlreadyExists",
                        "The parameter already exists. To overwrite this value, set "
                        "the overwrite option in the request to true."))
                if "KeyId" in body and body.get("Type") != "SecureString":
                    return h.send_json(400, json_error("ValidationException",
                                                        "KeyId is only valid for SecureString"))
                ptype = body.get("Type") or (self.params[name]["Type"] if name in self.params
                                             else "String")
                v = self._store(name, body["Value"], ptype, body.get("Description"),
                                body.get("KeyId"))
                return h.send_json(200, {"Version": v, "Tier": "Standard"})
            if op == "DeleteParameter":
                if name not in self.params:
                    return h.send_json(400, json_error("ParameterNotFound"))
                del self.params[name]
                return h.send_json(200, {})

    def _deny(self, h, op, name):
        return h.send_json(400, {
            "__type": "AccessDeniedException",
            "Message": f"User: arn:aws:iam::{ACCOUNT}:user/test is not authorized to perform: "
                       f"ssm:{op} on resource: {self._arn(name)} because no identity-based "
                       f"policy allows the ssm:{op} action"})

    def _fault(self, h, kind, op):
        if kind == "throttle":
            return h.send_json(400, json_error("ThrottlingException", "Rate exceeded"))
        if kind == "500":
            return h.send_json(500, json_error("InternalServerError",
                                                "An error occurred on the server side."))
        if kind == "503":
            return h.send_json(503, json_error("ServiceUnavailable", "Service is unavailable."))
        if kind == "deny":
            return self._deny(h, op or "GetParameter", "/denied")
        if kind == "hang":
            self._stop.wait(self.hang_seconds)
            h.close_connection = True
            return
        if kind == "reset":
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        doc = json.dumps({"Parameter": {
            "Name": "/fault", "Type": "String", "Value": "v" * 64, "Version": 1,
            "LastModifiedDate": 1700000000.0, "ARN": self._arn("/fault"),
            "DataType": "text"}}).encode()
        if kind == "truncated":
            h.send_response(200)
            h.send_header("Content-Type", JSON_11)
            h.send_header("Content-Length", str(len(doc)))
            h.end_headers()
            h.wfile.write(doc[: len(doc) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "truncated_json":
            return h.send_raw(200, JSON_11, doc[: len(doc) // 2])
        if kind == "nonjson":
            return h.send_raw(200, "text/html",
                              b"<html><body><h1>502 Bad Gateway</h1></body></html>\n")
        if kind in ("huge", "huge_chunked"):
            head = b'{"Parameter":{"Name":"/huge","Type":"String","Version":1,"Value":"'
            tail = b'"}}'
            fill = self.huge_bytes - len(head) - len(tail)
            h.send_response(200)
            h.send_header("Content-Type", JSON_11)
            chunked = kind == "huge_chunked"
            if chunked:
                h.send_header("Transfer-Encoding", "chunked")
            else:
                h.send_header("Content-Length", str(self.huge_bytes))
            h.end_headers()
            h.close_connection = True
            block = b"x" * 65536

            def write_body(data):
                h.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n" if chunked else data)
            try:
                write_body(head)
                while fill > 0:
                    part = block[:min(fill, len(block))]
                    write_body(part)
                    fill -= len(part)
                write_body(tail)
                if chunked:
                    h.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass   # the client gave up on the body: that is the point
            return
        raise ValueError(f"unknown fault kind {kind!r}")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="fake SSM endpoint for tests")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--param", action="append", default=[], help="seed NAME=VALUE (String)")
    ap.add_argument("--secure-param", action="append", default=[],
                    help="seed NAME=VALUE (SecureString)")
    a = ap.parse_args(argv)
    ssm = FakeSSM(region=a.region, port=a.port)
    for spec, ptype in [(x, "String") for x in a.param] + \
            [(x, "SecureString") for x in a.secure_param]:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            ap.error(f"expected NAME=VALUE, got {spec!r}")
        ssm.put(name, value, type=ptype)
    print(f"listening {ssm.url}", flush=True)
    ssm.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])

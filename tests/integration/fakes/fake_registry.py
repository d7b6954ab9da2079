"""A small OCI distribution (registry API v2) endpoint with fault injection, for push tests.

Implements what a pusher uses, as the distribution spec describes it: GET /v2/, HEAD/GET
blobs, POST upload sessions, PATCH chunks (Content-Range checked), GET upload status
(204 + Range), PUT with ?digest= (the bytes must hash to it: 400 DIGEST_INVALID), HEAD/GET/
PUT manifests (every referenced blob must exist with its size: 400 MANIFEST_BLOB_UNKNOWN;
an image index's manifests must be there: 400 MANIFEST_UNKNOWN). With --referrers it keeps
the referrers of a manifest's subject as the OCI 1.1 referrers API does: the PUT answers
OCI-Subject and GET /v2/NAME/referrers/DIGEST lists them.
Auth: --basic USER:PASS (WWW-Authenticate Basic) or --bearer USER:PASS (a token realm at
/token, as Docker Hub's flow). Faults are set at run time with POST /_faults, a JSON list
of {"method", "path" (substring), "action": "status"|"close"|"partial", "status", "count"}:
"close" drops the connection without an answer, "partial" stores half of a PATCH body and
answers 500. GET /_state shows blobs, manifests and the request log.

Run: python3 fake_registry.py --port P [--basic U:P | --bearer U:P]
"""
import argparse
import base64
import hashlib
import json
import re
import socket
import threading
import uuid
from urllib.parse import parse_qs, urlparse

import awsfake

LOCK = threading.Lock()
STATE = {"blobs": {}, "uploads": {}, "manifests": {}, "log": [], "faults": []}
AUTH = {"mode": None, "user": None, "password": None, "tokens": set()}

NAME = r"(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
RE_BLOB = re.compile(r"^/v2/" + NAME + r"/blobs/(?P<digest>sha256:[0-9a-f]{64})$")
RE_UPLOADS = re.compile(r"^/v2/" + NAME + r"/blobs/uploads/$")
RE_UPLOAD = re.compile(r"^/v2/" + NAME + r"/blobs/uploads/(?P<uuid>[0-9a-f-]{36})$")
RE_REFERRERS = re.compile(r"^/v2/" + NAME + r"/referrers/(?P<digest>sha256:[0-9a-f]{64})$")
RE_MANIFEST = re.compile(r"^/v2/" + NAME + r"/manifests/(?P<ref>[A-Za-z0-9_.:-]{1,128})$")

MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.oci.image.index.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
REFERRERS = {"enabled": False, "by_subject": {}}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Handler(awsfake.Handler):
    # --- helpers -------------------------------------------------------------------------
    def body(self):
        return self.read_body()

    def send(self, status, body=b"", headers=None, ctype=None):
        self.send_response(status)
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        if self.command == "HEAD":
            self.send_header("Content-Length", (headers or {}).get("X-Len", str(len(body))))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message, headers=None):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.send(status, body, headers, "application/json")

    def fault(self):
        """Applies the first matching fault rule; returns True when the request is done."""
        with LOCK:
            for f in STATE["faults"]:
                if f.get("count", 1) <= 0:
                    continue
                if f.get("method") and f["method"] != self.command:
                    continue
                if f.get("path") and f["path"] not in self.path:
                    continue
                f["count"] = f.get("count", 1) - 1
                rule = dict(f)
                break
            else:
                return False
        action = rule.get("action", "status")
        if action == "close":
            self.body()  # the request arrived; the answer never does
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if action == "partial" and self.command == "PATCH":
            m = RE_UPLOAD.match(urlparse(self.path).path)
            data = self.body()
            with LOCK:
                if m and m["uuid"] in STATE["uploads"]:
                    STATE["uploads"][m["uuid"]] += data[: len(data) // 2]
            self.error(500, "UNKNOWN", "injected failure after half the chunk")
            return True
        self.body()
        self.error(rule.get("status", 500), "UNKNOWN", "injected failure")
        return True

    def authorized(self):
        mode = AUTH["mode"]
        if not mode:
            return True
        h = self.headers.get("Authorization", "")
        if mode == "basic":
            want = base64.b64encode(f"{AUTH['user']}:{AUTH['password']}".encode()).decode()
            if h == "Basic " + want:
                return True
            self.body()
            self.error(401, "UNAUTHORIZED", "authentication required",
                       {"WWW-Authenticate": 'Basic realm="fake-registry"'})
            return False
        if h.startswith("Bearer ") and h[7:] in AUTH["tokens"]:
            return True
        host = self.headers.get("Host")
        self.body()
        self.error(401, "UNAUTHORIZED", "authentication required", {
            "WWW-Authenticate": f'Bearer realm="http://{host}/token",service="fake-registry",'
                                f'scope="repository:showtable:pull,push"'})
        return False

    # --- verbs ---------------------------------------------------------------------------
    def handle_any(self):
        url = urlparse(self.path)
        with LOCK:
            STATE["log"].append([self.command, url.path])
        if url.path == "/_state":
            with LOCK:
                out = {"blobs": {d: len(b) for d, b in STATE["blobs"].items()},
                       "manifests": sorted(STATE["manifests"].keys()),
                       "log": STATE["log"][:-1]}
            return self.send(200, json.dumps(out).encode(), ctype="application/json")
        if url.path == "/_faults" and self.command == "POST":
            rules = json.loads(self.body() or b"[]")
            with LOCK:
                STATE["faults"] = rules
                STATE["log"] = []
            return self.send(200, b"{}", ctype="application/json")
        if url.path == "/token":
            want = base64.b64encode(f"{AUTH['user']}:{AUTH['password']}".encode()).decode()
            if self.headers.get("Authorization") != "Basic " + want:
                return self.error(401, "UNAUTHORIZED", "bad credentials for the token")
            q = parse_qs(url.query)
            if q.get("service") != ["fake-registry"] or not q.get("scope"):
                return self.error(400, "DENIED", "service and scope are required")
            tok = "tok-" + uuid.uuid4().hex
            with LOCK:
                AUTH["tokens"].add(tok)
            return self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode(),
                             ctype="application/json")
        if not self.authorized():
            return
        if self.fault():
            return
        if url.path == "/v2/":
            return self.send(200, b"{}", ctype="application/json")
        m = RE_BLOB.match(url.path)
        if m and self.command in ("HEAD", "GET"):
            with LOCK:
                data = STATE["blobs"].get(m["digest"])
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return self.send(200, data, {"Docker-Content-Digest": m["digest"],
                                         "X-Len": str(len(data))}, "application/octet-stream")
        m = RE_UPLOADS.match(url.path)
        if m and self.command == "POST":
            self.body()
            u = str(uuid.uuid4())
            with LOCK:
                STATE["uploads"][u] = b""
            return self.send(202, b"", {"Location": f"/v2/{m['name']}/blobs/uploads/{u}",
                                        "Docker-Upload-UUID": u, "Range": "0-0"})
        m = RE_UPLOAD.match(url.path)
        if m:
            return self.upload(m, url)
        m = RE_MANIFEST.match(url.path)
        if m:
            return self.manifest(m)
        m = RE_REFERRERS.match(url.path)
        if m and self.command == "GET" and REFERRERS["enabled"]:
            with LOCK:
                found = list(REFERRERS["by_subject"].get(m["digest"], []))
            body = json.dumps({"schemaVersion": 2, "manifests": found,
                               "mediaType": "application/vnd.oci.image.index.v1+json"})
            return self.send(200, body.encode(), {}, "application/vnd.oci.image.index.v1+json")
        self.body()
        return self.error(404, "NOT_FOUND", f"no route for {self.command} {url.path}")

    def upload(self, m, url):
        u = m["uuid"]
        with LOCK:
            have = STATE["uploads"].get(u)
        if have is None:
            self.body()
            return self.error(404, "BLOB_UPLOAD_UNKNOWN", "upload session unknown")
        loc = {"Location": f"/v2/{m['name']}/blobs/uploads/{u}", "Docker-Upload-UUID": u}
        if self.command == "GET":
            rng = f"0-{len(have) - 1}" if have else "0-0"
            return self.send(204, b"", dict(loc, Range=rng))
        if self.command == "PATCH":
            cr = self.headers.get("Content-Range")
            data = self.body()
            if cr:
                start, _, end = cr.partition("-")
                if int(start) != len(have) or int(end) - int(start) + 1 != len(data):
                    return self.error(416, "BLOB_UPLOAD_INVALID",
                                      f"range {cr} does not follow {len(have)} bytes")
            with LOCK:
                STATE["uploads"][u] = have + data
                n = len(STATE["uploads"][u])
            return self.send(202, b"", dict(loc, Range=f"0-{n - 1}"))
        if self.command == "PUT":
            data = self.body()
            digest = parse_qs(url.query).get("digest", [""])[0]
            full = have + data
            if sha256(full) != digest:
                with LOCK:
                    STATE["uploads"].pop(u, None)
                return self.error(400, "DIGEST_INVALID", "provided digest did not match content")
            with LOCK:
                STATE["blobs"][digest] = full
                STATE["uploads"].pop(u, None)
            return self.send(201, b"", {"Location": f"/v2/{m['name']}/blobs/{digest}",
                                        "Docker-Content-Digest": digest})
        self.body()
        return self.error(405, "UNSUPPORTED", "method not allowed")

    def manifest(self, m):
        key = f"{m['name']}:{m['ref']}"
        if self.command in ("HEAD", "GET"):
            with LOCK:
                got = STATE["manifests"].get(key)
            if not got:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            ctype, data = got
            return self.send(200, data, {"Docker-Content-Digest": sha256(data),
                                         "X-Len": str(len(data))}, ctype)
        if self.command == "PUT":
            data = self.body()
            ctype = self.headers.get("Content-Type", "")
            if ctype not in MANIFEST_TYPES:
                return self.error(400, "MANIFEST_INVALID", f"unsupported media type {ctype}")
            try:
                man = json.loads(data)
            except ValueError:
                return self.error(400, "MANIFEST_INVALID", "not JSON")
            if man.get("mediaType") != ctype:
                return self.error(400, "MANIFEST_INVALID", "mediaType differs from Content-Type")
            with LOCK:
                for d in man.get("manifests", []):
                    if f"{m['name']}:{d.get('digest')}" not in STATE["manifests"]:
                        return self.error(400, "MANIFEST_UNKNOWN",
                                          f"manifest {d.get('digest')} unknown")
                if "manifests" not in man:
                    for d in [man.get("config", {})] + man.get("layers", []):
                        b = STATE["blobs"].get(d.get("digest"))
                        if b is None or len(b) != d.get("size"):
                            return self.error(400, "MANIFEST_BLOB_UNKNOWN",
                                              f"blob {d.get('digest')} unknown or of another size")
                STATE["manifests"][key] = (ctype, data)
                STATE["manifests"][f"{m['name']}:{sha256(data)}"] = (ctype, data)
                extra = {}
                subject = (man.get("subject") or {}).get("digest")
                if REFERRERS["enabled"] and subject:
                    REFERRERS["by_subject"].setdefault(subject, []).append(
                        {"mediaType": ctype, "digest": sha256(data), "size": len(data),
                         "artifactType": man.get("artifactType", "")})
                    extra["OCI-Subject"] = subject
            return self.send(201, b"", {"Docker-Content-Digest": sha256(data),
                                        "Location": f"/v2/{m['name']}/manifests/{sha256(data)}",
                                        **extra})
        self.body()
        return self.error(405, "UNSUPPORTED", "method not allowed")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--basic")
    ap.add_argument("--bearer")
    ap.add_argument("--referrers", action="store_true")
    a = ap.parse_args()
    REFERRERS["enabled"] = a.referrers
    cred = a.basic or a.bearer
    if cred:
        AUTH["mode"] = "basic" if a.basic else "bearer"
        AUTH["user"], AUTH["password"] = cred.split(":", 1)
    awsfake.FakeServer(a.port, methods=(), handler=Handler).serve_forever()


if __name__ == "__main__":
    main()

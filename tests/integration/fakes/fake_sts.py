"""fake_sts.py — an STS endpoint for AssumeRole, following the STS API reference (Query API,
Version 2011-06-15, XML answers), for tests.

Each request must be a POST / of application/x-www-form-urlencoded parameters, signed with
SigV4 (scope <date>/<region>/sts/aws4_request) by a key this fake knows: the signature is
recomputed with that key's secret, and a temporary key must send (and sign) the
X-Amz-Security-Token it was issued with. Keys start as {AKIDEXAMPLE: test secret}; every
issued credential is added, so role chains verify end to end. RoleArn, RoleSessionName
([\\w+=,.@-]{2,64}), DurationSeconds (900-43200) and ExternalId are validated as documented.

    from fake_sts import FakeSTS
    with FakeSTS() as sts:
        sts.add_role("arn:aws:iam::123456789012:role/deploy", external_id="xyz",
                     trusted={"AKIDEXAMPLE"})
        env["AWS_ENDPOINT_URL_STS"] = sts.url
        sts.calls            # [{"params": {...}, "key_id": "AKIDEXAMPLE", "issued": "ASIA..."}]
        assert sts.problems == []

Errors are <ErrorResponse> documents: AccessDenied (403), ValidationError / MissingParameter
/ InvalidAction (400), SignatureDoesNotMatch / InvalidClientTokenId (403).
"""
import datetime
import hmac
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from fake_ssm import AMZ_DATE_RE, AUTH_RE, FAKE_KEY_ID, FAKE_SECRET, sigv4_signature

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/([\w+=,.@/-]{1,64})$")
SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
KNOWN_PARAMS = {"Action", "Version", "RoleArn", "RoleSessionName", "DurationSeconds",
                "ExternalId", "Policy", "SerialNumber", "TokenCode", "SourceIdentity"}


class STSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def iso(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class FakeSTS:
    def __init__(self, region="us-east-1", port=0):
        self.region = region
        self.keys = {FAKE_KEY_ID: (FAKE_SECRET, None)}   # key id -> (secret, token or None)
        self.roles = {}
        self.calls, self.problems = [], []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                fake._handle(self)

            def do_GET(self):
                fake.problems.append(f"GET {self.path}: the Query API is POSTed")
                fake._send(self, 400, fake._error_xml("Sender", "InvalidAction", "use POST"))

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_role(self, arn, external_id=None, trusted=None):
        """trusted: key ids allowed to assume it (None = any key this fake knows)."""
        self.roles[arn] = {"external_id": external_id, "trusted": trusted}

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _send(self, h, status, xml):
        data = xml.encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/xml")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        h.end_headers()
        h.wfile.write(data)

    def _error_xml(self, typ, code, message):
        return (f'<ErrorResponse xmlns="{NS}">\n  <Error>\n    <Type>{typ}</Type>\n'
                f'    <Code>{escape(code)}</Code>\n    <Message>{escape(message)}</Message>\n'
                f'  </Error>\n  <RequestId>{uuid.uuid4()}</RequestId>\n</ErrorResponse>\n')

    def _handle(self, h):
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        hdr = {k.lower(): v for k, v in h.headers.items()}
        try:
            key_id = self._check_signature(h, hdr, raw)
            params = self._check_params(hdr, raw)
            xml, issued = self._assume_role(key_id, params)
        except STSError as e:
            typ = "Receiver" if e.status >= 500 else "Sender"
            return self._send(h, e.status, self._error_xml(typ, e.code, e.message))
        with self._lock:
            self.calls.append({"params": params, "key_id": key_id, "issued": issued})
        self._send(h, 200, xml)

    def _check_signature(self, h, hdr, raw):
        if h.path != "/":
            self.problems.append(f"POST to {h.path!r}, not /")
        amz_date = hdr.get("x-amz-date", "")
        m = AUTH_RE.match(hdr.get("authorization", ""))
        if not m or not AMZ_DATE_RE.match(amz_date):
            self.problems.append(f"unsigned or malformed: {hdr.get('authorization')!r}")
            raise STSError(403, "MissingAuthenticationToken",
                           "Request is missing Authentication Token")
        signed = m["signed"].split(";")
        if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
            self.problems.append(f"SignedHeaders {m['signed']!r}")
            raise STSError(403, "SignatureDoesNotMatch", "SignedHeaders must include host")
        if m["service"] != "sts" or m["region"] != self.region or m["date"] != amz_date[:8]:
            self.problems.append(f"scope {m['date']}/{m['region']}/{m['service']}")
            raise STSError(403, "SignatureDoesNotMatch",
                           f"Credential should be scoped to a valid region and service sts")
        key = self.keys.get(m["akid"])
        if key is None:
            raise STSError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid.")
        secret, token = key
        if token is not None:
            if hdr.get("x-amz-security-token") != token or "x-amz-security-token" not in signed:
                self.problems.append("temporary key without its signed session token")
                raise STSError(403, "InvalidClientTokenId",
                               "The security token included in the request is invalid.")
        want = sigv4_signature(secret, "POST", "/", "", hdr, m["signed"], raw, amz_date,
                               m["region"], "sts")
        if not hmac.compare_digest(want, m["sig"]):
            self.problems.append("signature does not match")
            raise STSError(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided.")
        return m["akid"]

    def _check_params(self, hdr, raw):
        if not hdr.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            self.problems.append(f"Content-Type {hdr.get('content-type')!r}")
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
        params = dict(pairs)
        if len(params) != len(pairs):
            self.problems.append(f"repeated parameters in {raw!r}")
        for k in params:
            if k not in KNOWN_PARAMS:
                self.problems.append(f"unknown parameter {k}")
        if params.get("Action") != "AssumeRole":
            raise STSError(400, "InvalidAction", f"Could not find operation {params.get('Action')}")
        if params.get("Version") != "2011-06-15":
            raise STSError(400, "InvalidAction", "Version must be 2011-06-15")
        for req in ("RoleArn", "RoleSessionName"):
            if req not in params:
                raise STSError(400, "MissingParameter", f"The request must contain {req}")
        if not ROLE_ARN_RE.match(params["RoleArn"]):
            raise STSError(400, "ValidationError", f"{params['RoleArn']} is invalid")
        if not SESSION_RE.match(params["RoleSessionName"]):
            raise STSError(400, "ValidationError",
                           "1 validation error detected: Value at 'roleSessionName' failed to "
                           "satisfy constraint: Member must satisfy regular expression "
                           "pattern: [\\w+=,.@-]*")
        if "DurationSeconds" in params:
            d = params["DurationSeconds"]
            if not d.isdigit() or not 900 <= int(d) <= 43200:
                raise STSError(400, "ValidationError",
                               "Value at 'durationSeconds' failed to satisfy constraint")
        if "ExternalId" in params and not EXTERNAL_ID_RE.match(params["ExternalId"]):
            raise STSError(400, "ValidationError", "Value at 'externalId' failed")
        return params

    def _assume_role(self, key_id, params):
        arn = params["RoleArn"]
        role = self.roles.get(arn)
        denied = STSError(403, "AccessDenied",
                          f"User: arn:aws:iam::123456789012:user/{key_id} is not authorized to "
                          f"perform: sts:AssumeRole on resource: {arn}")
        if role is None or (role["trusted"] is not None and key_id not in role["trusted"]):
            raise denied
        if role["external_id"] is not None and params.get("ExternalId") != role["external_id"]:
            raise denied
        duration = int(params.get("DurationSeconds", "3600"))
        with self._lock:
            new_key = f"ASIAFAKESTS{len(self.calls) + 1:04d}"
            secret = "FAKE" + secrets.token_urlsafe(30)
            token = "FQoGZXIvYXdzEFAKE" + secrets.token_urlsafe(60)
            self.keys[new_key] = (secret, token)
        account, name = ROLE_ARN_RE.match(arn).groups()
        session = params["RoleSessionName"]
        xml = (f'<AssumeRoleResponse xmlns="{NS}">\n<AssumeRoleResult>\n'
               f'  <AssumedRoleUser>\n'
               f'    <Arn>arn:aws:sts::{account}:assumed-role/{escape(name)}/{escape(session)}</Arn>\n'
               f'    <AssumedRoleId>AROAFAKE{account}:{escape(session)}</AssumedRoleId>\n'
               f'  </AssumedRoleUser>\n  <Credentials>\n'
               f'    <AccessKeyId>{new_key}</AccessKeyId>\n'
               f'    <SecretAccessKey>{secret}</SecretAccessKey>\n'
               f'    <SessionToken>{token}</SessionToken>\n'
               f'    <Expiration>{iso(time.time() + duration)}</Expiration>\n'
               f'  </Credentials>\n  <PackedPolicySize>6</PackedPolicySize>\n'
               f'</AssumeRoleResult>\n<ResponseMetadata>\n'
               f'  <RequestId>{uuid.uuid4()}</RequestId>\n</ResponseMetadata>\n'
               f'</AssumeRoleResponse>\n')
        return xml, new_key

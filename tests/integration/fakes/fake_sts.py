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

AssumeRoleWithWebIdentity is answered too, as the reference describes it: unsigned (a
request carrying an Authorization header is recorded as a problem), WebIdentityToken of 4 to
20 000 characters, accepted when it is one of the role's web_tokens; another token is
InvalidIdentityToken (400), a role without web tokens AccessDenied.

Errors are <ErrorResponse> documents: AccessDenied (403), ValidationError / MissingParameter
/ InvalidAction / InvalidIdentityToken (400), SignatureDoesNotMatch / InvalidClientTokenId (403).
"""
import re
import secrets
import time
import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from awsfake import (FAKE_KEY_ID, FAKE_SECRET, FakeServer, SigV4Error, iso, query_error,
                     verify_sigv4)

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/([\w+=,.@/-]{1,64})$")
SESSION_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
SERIAL_RE = re.compile(r"^[\w+=/:,.@-]{9,256}$")
TOKEN_CODE_RE = re.compile(r"^\d{6}$")
KNOWN_PARAMS = {"Action", "Version", "RoleArn", "RoleSessionName", "DurationSeconds",
                "ExternalId", "Policy", "SerialNumber", "TokenCode", "SourceIdentity",
                "WebIdentityToken", "ProviderId", "PolicyArns"}
# How STS answers each way a signature can fail (awsfake.SigV4Error.kind).
SIGV4_ERRORS = {
    "missing": ("MissingAuthenticationToken", "Request is missing Authentication Token"),
    "headers": ("SignatureDoesNotMatch", "SignedHeaders must include host"),
    "scope": ("SignatureDoesNotMatch",
              "Credential should be scoped to a valid region and service sts"),
    "key": ("InvalidClientTokenId", "The security token included in the request is invalid."),
    "token": ("InvalidClientTokenId", "The security token included in the request is invalid."),
    "signature": ("SignatureDoesNotMatch", "The request signature we calculated does not "
                                           "match the signature you provided."),
}


class STSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeSTS(FakeServer):
    def __init__(self, region="us-east-1", port=0):
        super().__init__(port, methods=("POST", "GET"))
        self.region = region
        self.keys = {FAKE_KEY_ID: (FAKE_SECRET, None)}   # key id -> (secret, token or None)
        self.roles = {}
        self.calls = []

    def add_role(self, arn, external_id=None, trusted=None, mfa=None, web_tokens=None):
        """trusted: key ids allowed to assume it (None = any key this fake knows); mfa:
        (serial, current code) its trust policy requires (aws:MultiFactorAuthPresent);
        web_tokens: the OIDC tokens AssumeRoleWithWebIdentity accepts for it."""
        self.roles[arn] = {"external_id": external_id, "trusted": trusted, "mfa": mfa,
                           "web_tokens": set(web_tokens or ())}

    def _error_xml(self, typ, code, message):
        return query_error(NS, code, message, typ)

    def _handle(self, h):
        if h.command != "POST":
            self._problem(f"{h.command} {h.path}: the Query API is POSTed")
            return h.send_xml(400, self._error_xml("Sender", "InvalidAction", "use POST"))
        raw, hdr = h.raw, h.lower_headers()
        try:
            if b"Action=AssumeRoleWithWebIdentity" in raw:
                key_id = None
                if "authorization" in hdr:
                    self.problems.append("AssumeRoleWithWebIdentity request was signed")
                params = self._check_params(hdr, raw)
                xml, issued = self._assume_role_web(params)
            else:
                key_id = self._check_signature(h, hdr, raw)
                params = self._check_params(hdr, raw)
                xml, issued = self._assume_role(key_id, params)
        except STSError as e:
            typ = "Receiver" if e.status >= 500 else "Sender"
            return h.send_xml(e.status, self._error_xml(typ, e.code, e.message))
        with self._lock:
            self.calls.append({"params": params, "key_id": key_id, "issued": issued})
        h.send_xml(200, xml)

    def _check_signature(self, h, hdr, raw):
        if h.path != "/":
            self.problems.append(f"POST to {h.path!r}, not /")
        try:
            return verify_sigv4(hdr, raw, "sts", self.region, self.keys.get)
        except SigV4Error as e:
            if e.kind != "key":        # an unknown key is the caller's mistake, not the client's
                self.problems.append(e.message)
            raise STSError(403, *SIGV4_ERRORS[e.kind])

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
        if params.get("Action") not in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            raise STSError(400, "InvalidAction", f"Could not find operation {params.get('Action')}")
        if params.get("Version") != "2011-06-15":
            raise STSError(400, "InvalidAction", "Version must be 2011-06-15")
        if params["Action"] == "AssumeRoleWithWebIdentity":
            if "WebIdentityToken" not in params:
                raise STSError(400, "MissingParameter", "The request must contain WebIdentityToken")
            if not 4 <= len(params["WebIdentityToken"]) <= 20000:
                raise STSError(400, "ValidationError", "Value at 'webIdentityToken' failed to satisfy "
                                                       "constraint: Member must have length between 4 and 20000")
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
        if "SerialNumber" in params and not SERIAL_RE.match(params["SerialNumber"]):
            raise STSError(400, "ValidationError", "Value at 'serialNumber' failed to satisfy constraint")
        if "TokenCode" in params and not TOKEN_CODE_RE.match(params["TokenCode"]):
            raise STSError(400, "ValidationError", "Value at 'tokenCode' failed to satisfy constraint: "
                                                   "Member must have length 6")
        return params

    def _assume_role_web(self, params):
        arn = params["RoleArn"]
        role = self.roles.get(arn)
        if role is None or not role["web_tokens"]:
            raise STSError(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if params["WebIdentityToken"] not in role["web_tokens"]:
            raise STSError(400, "InvalidIdentityToken", "The ID Token provided is not a valid JWT. "
                                                        "(You may see this error if you sent an Access Token)")
        xml, issued = self._assume_role(None, params, trusted_by_token=True)
        xml = xml.replace("AssumeRoleResponse", "AssumeRoleWithWebIdentityResponse") \
                 .replace("AssumeRoleResult", "AssumeRoleWithWebIdentityResult") \
                 .replace("  <PackedPolicySize>6</PackedPolicySize>\n",
                          "  <SubjectFromWebIdentityToken>system:serviceaccount:ci:deploy"
                          "</SubjectFromWebIdentityToken>\n  <Audience>sts.amazonaws.com</Audience>\n"
                          "  <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.example</Provider>\n")
        return xml, issued

    def _assume_role(self, key_id, params, trusted_by_token=False):
        arn = params["RoleArn"]
        role = self.roles.get(arn)
        denied = STSError(403, "AccessDenied",
                          f"User: arn:aws:iam::123456789012:user/{key_id} is not authorized to "
                          f"perform: sts:AssumeRole on resource: {arn}")
        if not trusted_by_token and (role is None or (role["trusted"] is not None and
                                                      key_id not in role["trusted"])):
            raise denied
        if not trusted_by_token and role["external_id"] is not None and \
                params.get("ExternalId") != role["external_id"]:
            raise denied
        if not trusted_by_token and role["mfa"] is not None:
            serial, code = role["mfa"]
            if params.get("SerialNumber") != serial or "TokenCode" not in params:
                raise denied
            if params["TokenCode"] != code:
                raise STSError(403, "AccessDenied",
                               "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
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

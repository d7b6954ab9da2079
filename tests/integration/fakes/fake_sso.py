"""fake_sso.py — the IAM Identity Center portal's GetRoleCredentials, per the Portal API
reference, for tests of sso_session profiles.

GET /federation/credentials?account_id=ACCOUNT&role_name=ROLE with header
x-amz-sso_bearer_token: the access token `aws sso login` cached. Answers 200
{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"
(epoch milliseconds)}}; an unknown token is 401 UnauthorizedException, a role the token
may not use 403 ForbiddenException, missing parameters 400 InvalidRequestException
(error type in x-amzn-ErrorType, {"message": ...} body). Requests are not SigV4-signed.

    from fake_sso import FakeSSOPortal
    with FakeSSOPortal(tokens={"TOKEN": {("123456789012", "ReadOnly")}}) as sso:
        env["AWS_ENDPOINT_URL_SSO"] = sso.url
        sso.calls            # [(account_id, role_name, token)]
"""
import time
from urllib.parse import parse_qs, urlsplit

from awsfake import FAKE_SECRET, FakeServer


class FakeSSOPortal(FakeServer):
    def __init__(self, tokens=None, expiry_seconds=3600, port=0):
        super().__init__(port, methods=("GET",), request_ids=False)
        self.tokens = tokens or {}
        self.expiry_seconds = expiry_seconds
        self.calls = []

    def _send(self, h, status, doc, err_type=None):
        h.send_json(status, doc, "application/json",
                    [("x-amzn-ErrorType", err_type)] if err_type else ())

    def _handle(self, h):
        u = urlsplit(h.path)
        if u.path != "/federation/credentials":
            self.problems.append(f"GET {h.path}")
            return self._send(h, 404, {"message": "not found"}, "ResourceNotFoundException")
        q = parse_qs(u.query)
        account = q.get("account_id", [None])[0]
        role = q.get("role_name", [None])[0]
        token = h.headers.get("x-amz-sso_bearer_token")
        if h.headers.get("Authorization"):
            self.problems.append("GetRoleCredentials must not be SigV4-signed")
        self.calls.append((account, role, token))
        if not account or not role or not token:
            return self._send(h, 400, {"message": "account_id, role_name and the bearer "
                                                  "token are required"},
                              "InvalidRequestException")
        if token not in self.tokens:
            return self._send(h, 401, {"message": "Session token not found or invalid"},
                              "UnauthorizedException")
        if (account, role) not in self.tokens[token]:
            return self._send(h, 403, {"message": "No access"}, "ForbiddenException")
        n = len(self.calls)
        self._send(h, 200, {"roleCredentials": {
            "accessKeyId": f"ASIAFAKESSO{n:04d}", "secretAccessKey": FAKE_SECRET,
            "sessionToken": f"FAKESSOTOKEN{n}",
            "expiration": int((time.time() + self.expiry_seconds) * 1000)}})

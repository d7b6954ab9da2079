"""The Query protocol (STS, CloudFormation, ELBv2) end to end through build/tools/awscall.

A minimal STS endpoint, defined here, checks the form body (Action, Version, parameters),
the Content-Type and the SigV4 signature, and answers with the documented XML shapes:
GetCallerIdentityResponse, or <ErrorResponse><Error><Code/><Message/></Error><RequestId/>.
"""
import urllib.parse

import pytest

from awscall import awscall
from awsfake import FAKE_KEY_ID, FAKE_SECRET, FakeServer, SigV4Error, verify_sigv4

OK_XML = """<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/test</Arn>
    <UserId>AIDAEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>
"""


def error_xml(code, message, request_id="err-req-1"):
    return (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            f'<Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>'
            f'<RequestId>{request_id}</RequestId></ErrorResponse>')


class FakeSTS(FakeServer):
    """Answers each POST with the next of replies (status, body), else GetCallerIdentity;
    records (headers, form, raw body) and what is malformed in problems."""

    def __init__(self):
        super().__init__(methods=("POST",), request_ids=False)
        self.requests, self.replies = [], []

    def _handle(self, h):
        hdr = h.lower_headers()
        form = urllib.parse.parse_qs(h.raw.decode(), keep_blank_values=True)
        self.requests.append((hdr, form, h.raw))
        if hdr.get("content-type") != "application/x-www-form-urlencoded; charset=utf-8":
            self._problem(f"content-type {hdr.get('content-type')!r}")
        try:
            verify_sigv4(hdr, h.raw, "sts", "us-east-1",
                         lambda akid: (FAKE_SECRET, None) if akid == FAKE_KEY_ID else None)
        except SigV4Error as e:
            self._problem(e.message)
        status, body = self.replies.pop(0) if self.replies else (200, OK_XML)
        h.send_xml(status, body)


@pytest.fixture
def sts():
    fake = FakeSTS().start()
    yield fake
    fake.stop()
    assert fake.problems == []


@pytest.fixture
def env(aws_env, sts):
    aws_env["AWS_ENDPOINT_URL_STS"] = sts.url
    return aws_env


def test_query_call_sends_action_version_and_params_signed(build_dir, env, sts):
    out = awscall(build_dir, env, "query", "sts", "GetCallerIdentity", "Extra=a%20b")
    assert out["ok"], out
    assert "<Account>123456789012</Account>" in out["result"]
    hdr, form, raw = sts.requests[0]
    assert raw == b"Action=GetCallerIdentity&Version=2011-06-15&Extra=a%20b"
    assert form == {"Action": ["GetCallerIdentity"], "Version": ["2011-06-15"],
                    "Extra": ["a b"]}


def test_query_error_response_is_parsed_and_not_retried(build_dir, env, sts):
    sts.replies.append((403, error_xml("AccessDenied", "User is not authorized", "rid-403")))
    e = awscall(build_dir, env, "query", "sts", "GetCallerIdentity", "")["error"]
    assert (e["kind"], e["type"], e["status"], e["request_id"]) == \
        ("service", "AccessDenied", 403, "rid-403")
    assert "User is not authorized" in e["message"] and "STS GetCallerIdentity" in e["message"]
    assert len(sts.requests) == 1


def test_query_throttling_is_retried(build_dir, env, sts):
    sts.replies.append((400, error_xml("Throttling", "Rate exceeded")))
    out = awscall(build_dir, env, "query", "sts", "GetCallerIdentity", "")
    assert out["ok"], out
    assert len(sts.requests) == 2

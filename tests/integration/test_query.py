"""The Query protocol (STS, CloudFormation, ELBv2) end to end through build/tools/awscall.

A minimal STS endpoint, defined here, checks the form body (Action, Version, parameters),
the Content-Type and the SigV4 signature, and answers with the documented XML shapes:
GetCallerIdentityResponse, or <ErrorResponse><Error><Code/><Message/></Error><RequestId/>.
"""
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from awscall import awscall
from conftest import FAKE_SECRET
from fake_ssm import AUTH_RE, sigv4_signature

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


class FakeSTS:
    def __init__(self):
        self.requests, self.problems, self.replies = [], [], []
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hdr = {k.lower(): v for k, v in self.headers.items()}
                form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
                fake.requests.append((hdr, form, raw))
                if hdr.get("content-type") != "application/x-www-form-urlencoded; charset=utf-8":
                    fake.problems.append(f"content-type {hdr.get('content-type')!r}")
                m = AUTH_RE.match(hdr.get("authorization", ""))
                if not m or m["service"] != "sts":
                    fake.problems.append("bad authorization")
                elif sigv4_signature(FAKE_SECRET, "POST", "/", "", hdr, m["signed"], raw,
                                     hdr["x-amz-date"], m["region"], "sts") != m["sig"]:
                    fake.problems.append("signature does not match")
                status, body = fake.replies.pop(0) if fake.replies else (200, OK_XML)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sts():
    fake = FakeSTS()
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

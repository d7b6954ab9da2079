"""One-attempt JSON calls on an event loop (aws_json_call_start on aws_http_loop), the path the
server's item view takes: signed as the blocking calls are (the fake checks every signature),
the same errors, limits and timeouts, no retries, connections kept alive, and nothing started
while the credentials would have to be fetched.

Driven through build/tools/awscall json-loop against fakes/fake_ssm.py (GetParameter).
"""
import json
import socket

import pytest

from awscall import awscall
from conftest import SAN, free_port

SLACK_MS = 1500 if SAN else 700
BODY = json.dumps({"Name": "/app/x"})


@pytest.fixture
def ssm(ssm):
    ssm.hang_seconds = 20
    ssm.put("/app/x", "value")
    return ssm


def loop_get(build_dir, env, *extra):
    return awscall(build_dir, env, "json-loop", "ssm", "GetParameter", BODY, *extra)


def test_the_answer_is_the_blocking_calls_answer(build_dir, ssm_env, ssm):
    looped = loop_get(build_dir, ssm_env)
    blocking = awscall(build_dir, ssm_env, "json", "ssm", "GetParameter", BODY)
    assert looped["ok"], looped
    assert looped["result"]["Parameter"]["Value"] == "value"
    assert looped["result"]["Parameter"]["Name"] == blocking["result"]["Parameter"]["Name"]
    assert [r.op for r in ssm.requests] == ["GetParameter", "GetParameter"]
    # Signed like the blocking call: the fake checked the SigV4 signature of both.
    assert ssm.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_calls_one_after_another_share_one_connection(build_dir, ssm_env, ssm):
    out = loop_get(build_dir, ssm_env, "12")
    assert out["ok"], out
    assert ssm.count() == 12
    assert len({r.peer for r in ssm.requests}) == 1


@pytest.mark.parametrize("kind,want", [("500", "service"), ("503", "service"), ("throttle", "service"),
                                       ("deny", "service")])
def test_an_error_answer_is_reported_once_not_retried(build_dir, ssm_env, ssm, kind, want):
    ssm.fail_next(1, kind)
    e = loop_get(build_dir, ssm_env)["error"]
    assert e["kind"] == want, e
    assert "GetParameter" in e["message"]
    assert e["throttled"] == (kind == "throttle")
    assert ssm.count() == 1


def test_a_hanging_endpoint_fails_within_the_timeout(build_dir, ssm_env, ssm):
    ssm_env["SHOWTABLE_AWS_TIMEOUT_MS"] = "500"
    ssm.fail_next(1, "hang")
    out = loop_get(build_dir, ssm_env)
    e = out["error"]
    assert e["kind"] == "timeout", out
    assert "500 ms" in e["message"]
    assert 450 <= out["elapsed_ms"] < 500 + SLACK_MS


def test_a_refused_connection_names_the_host(build_dir, aws_env):
    port = free_port()
    aws_env["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{port}"
    out = loop_get(build_dir, aws_env)
    e = out["error"]
    assert e["kind"] == "transport", e
    assert f"127.0.0.1:{port}" in e["message"] and "GetParameter" in e["message"]
    assert "attempts" not in e["message"]   # one attempt: the caller decides what next


@pytest.mark.parametrize("kind,want,words", [("truncated_json", "protocol", "truncated"),
                                             ("nonjson", "protocol", "not a JSON object"),
                                             ("reset", "transport", "127.0.0.1"),
                                             ("truncated", "transport", "127.0.0.1")])
def test_a_broken_answer_is_the_same_error_as_the_blocking_calls(build_dir, ssm_env, ssm, kind, want, words):
    ssm.fail_next(1, kind)
    e = loop_get(build_dir, ssm_env)["error"]
    assert e["kind"] == want, e
    assert words in e["message"]
    assert ssm.count() == 1


@pytest.mark.parametrize("kind", ["huge", "huge_chunked"])
def test_a_body_over_the_limit_is_refused(build_dir, ssm_env, ssm, kind):
    ssm_env["SHOWTABLE_AWS_MAX_RESPONSE_BYTES"] = str(1024 * 1024)
    ssm.huge_bytes = 8 * 1024 * 1024
    ssm.fail_next(1, kind)
    e = loop_get(build_dir, ssm_env)["error"]
    assert e["kind"] == "protocol"
    assert "larger than 1048576 bytes" in e["message"]


def test_nothing_starts_while_credentials_would_have_to_be_fetched(build_dir, ssm_env, ssm):
    out = loop_get(build_dir, ssm_env, "--cold")
    e = out["error"]
    assert e["kind"] == "credentials", e
    assert "not at hand" in e["message"]
    assert ssm.count() == 0


def test_an_endpoint_named_localhost_keeps_its_connection(build_dir, ssm_env, ssm):
    ssm_env["AWS_ENDPOINT_URL_SSM"] = f"http://localhost:{ssm.port}"
    out = loop_get(build_dir, ssm_env, "6")
    assert out["ok"], out
    assert ssm.count() == 6
    assert len({r.peer for r in ssm.requests}) == 1


def test_a_name_the_resolver_answers_is_looked_up_without_blocking(build_dir, aws_env):
    # libcurl answers "localhost" itself; any other name goes to its resolver thread, whose
    # descriptor the loop watches and must let go of before the connection's socket (often
    # the same number) is watched. This machine's own name, when the system resolves it to a
    # loopback address (Debian's /etc/hosts does), is such a name.
    name = socket.gethostname()
    try:
        addr = socket.gethostbyname(name)
    except OSError:
        addr = ""
    if not addr.startswith("127."):
        pytest.skip(f"this machine's name {name!r} does not resolve to a loopback address")
    from fake_ssm import FakeSSM
    with FakeSSM(host=addr) as fake:
        fake.put("/app/x", "value")
        aws_env["AWS_ENDPOINT_URL_SSM"] = f"http://{name}:{fake.port}"
        out = loop_get(build_dir, aws_env, "3")
        assert out["ok"], out
        assert fake.count() == 3 and len({r.peer for r in fake.requests}) == 1
        assert fake.problems == []

"""Fault handling of the C AWS client: retries, timeouts, size limits, malformed answers.

Each test injects one fault into fakes/fake_ssm.py (or points at a closed port) and checks
what build/tools/awscall reports and how many requests reached the endpoint. Timeouts and
the response limit are set through awscall's SHOWTABLE_AWS_TIMEOUT_MS and
SHOWTABLE_AWS_MAX_RESPONSE_BYTES; attempts through AWS_MAX_ATTEMPTS as the SDKs do.
"""
import pytest

from awscall import awscall
from conftest import free_port

# Under ASan+UBSan everything is slower: allow more slack on wall-clock bounds.
from conftest import SAN
SLACK_MS = 1500 if SAN else 700


@pytest.fixture
def ssm(ssm):
    """conftest's fake SSM, hanging at most 20 s, holding /app/x."""
    ssm.hang_seconds = 20
    ssm.put("/app/x", "value")
    return ssm


@pytest.fixture
def env(ssm_env):
    return ssm_env


def get(build_dir, env):
    return awscall(build_dir, env, "ssm-get", "/app/x")


def test_refused_connection_is_a_transport_error_naming_the_host(build_dir, aws_env):
    port = free_port()
    aws_env["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{port}"
    out = get(build_dir, aws_env)
    e = out["error"]
    assert e["kind"] == "transport"
    assert f"127.0.0.1:{port}" in e["message"]
    assert "GetParameter" in e["message"]
    assert "3 attempts" in e["message"]   # connection failures are retried


def test_hanging_endpoint_fails_within_the_timeout(build_dir, env, ssm):
    env["SHOWTABLE_AWS_TIMEOUT_MS"] = "500"
    env["AWS_MAX_ATTEMPTS"] = "1"
    ssm.fail_next(1, "hang")
    out = get(build_dir, env)
    e = out["error"]
    assert e["kind"] == "timeout", out
    assert "500 ms" in e["message"]
    assert 450 <= out["elapsed_ms"] < 500 + SLACK_MS


def test_hanging_endpoint_is_retried_and_each_attempt_is_bounded(build_dir, env, ssm):
    env["SHOWTABLE_AWS_TIMEOUT_MS"] = "400"
    ssm.fail_next(2, "hang")
    out = get(build_dir, env)
    assert out["ok"], out
    assert ssm.count() == 3
    # two timed-out attempts + backoff (at most 100 + 200 ms) + one answer
    assert out["elapsed_ms"] < 2 * 400 + 300 + SLACK_MS


def test_500_then_200_the_retry_succeeds(build_dir, env, ssm):
    ssm.fail_next(1, "500")
    out = get(build_dir, env)
    assert out["ok"] and out["result"]["value"] == "value"
    assert [r.fault for r in ssm.requests] == ["500", None]


def test_503_twice_then_200_succeeds(build_dir, env, ssm):
    ssm.fail_next(2, "503")
    assert get(build_dir, env)["ok"]
    assert ssm.count() == 3


def test_500_three_times_fails_with_the_service_error(build_dir, env, ssm):
    ssm.fail_next(3, "500")
    e = get(build_dir, env)["error"]
    assert (e["kind"], e["type"], e["status"]) == ("service", "InternalServerError", 500)
    assert ssm.count() == 3


@pytest.mark.parametrize("n", [1, 2])
def test_throttled_fewer_than_three_times_then_succeeds(build_dir, env, ssm, n):
    ssm.fail_next(n, "throttle")
    out = get(build_dir, env)
    assert out["ok"], out
    assert ssm.count() == n + 1


def test_throttled_three_times_fails_as_throttled(build_dir, env, ssm):
    ssm.fail_next(3, "throttle")
    e = get(build_dir, env)["error"]
    assert (e["kind"], e["type"], e["status"], e["throttled"]) == \
        ("service", "ThrottlingException", 400, True)
    assert "Rate exceeded" in e["message"] and "3 attempts" in e["message"]
    assert ssm.count() == 3


def test_max_attempts_env_raises_the_retry_limit(build_dir, env, ssm):
    env["AWS_MAX_ATTEMPTS"] = "5"
    ssm.fail_next(4, "throttle")
    assert get(build_dir, env)["ok"]
    assert ssm.count() == 5


def test_invalid_max_attempts_env_is_a_config_error(build_dir, env, ssm):
    env["AWS_MAX_ATTEMPTS"] = "many"
    e = get(build_dir, env)["error"]
    assert e["kind"] == "config" and "AWS_MAX_ATTEMPTS" in e["message"]
    assert ssm.count() == 0


def test_access_denied_fault_is_not_retried(build_dir, env, ssm):
    ssm.fail_next(1, "deny")
    e = get(build_dir, env)["error"]
    assert e["type"] == "AccessDeniedException"
    assert ssm.count() == 1


def test_connection_reset_without_answer_is_retried(build_dir, env, ssm):
    ssm.fail_next(1, "reset")
    assert get(build_dir, env)["ok"]
    assert ssm.count() == 2


def test_body_cut_short_of_content_length_is_retried(build_dir, env, ssm):
    ssm.fail_next(1, "truncated")
    assert get(build_dir, env)["ok"]
    assert ssm.count() == 2


def test_body_always_cut_short_fails_as_transport_error(build_dir, env, ssm):
    ssm.fail_next(3, "truncated")
    e = get(build_dir, env)["error"]
    assert e["kind"] == "transport", e
    assert ssm.url.split("//")[1] in e["message"]


def test_truncated_json_200_is_a_protocol_error(build_dir, env, ssm):
    ssm.fail_next(1, "truncated_json")
    e = get(build_dir, env)["error"]
    assert e["kind"] == "protocol"
    assert e["status"] == 200
    assert "truncated" in e["message"] and "GetParameter" in e["message"]
    assert ssm.count() == 1


def test_non_json_200_is_a_protocol_error(build_dir, env, ssm):
    ssm.fail_next(1, "nonjson")
    e = get(build_dir, env)["error"]
    assert e["kind"] == "protocol"
    assert "not a JSON object" in e["message"]
    assert ssm.count() == 1


@pytest.mark.parametrize("kind", ["huge", "huge_chunked"])
def test_body_over_the_limit_is_refused(build_dir, env, ssm, kind):
    env["SHOWTABLE_AWS_MAX_RESPONSE_BYTES"] = str(1024 * 1024)
    ssm.huge_bytes = 8 * 1024 * 1024
    ssm.fail_next(1, kind)
    e = get(build_dir, env)["error"]
    assert e["kind"] == "protocol"
    assert "larger than 1048576 bytes" in e["message"]
    assert ssm.count() == 1


def test_large_body_under_the_limit_is_accepted(build_dir, env, ssm):
    ssm.huge_bytes = 4 * 1024 * 1024
    ssm.fail_next(1, "huge_chunked")
    out = get(build_dir, env)
    assert out["ok"], out.get("error")
    assert len(out["result"]["value"]) > 4 * 1024 * 1024 - 100


def test_retry_quota_stops_retrying_a_dead_endpoint(build_dir, aws_env):
    # Standard mode: 500 tokens, 10 per retry after a connection failure. With 2 attempts
    # per call, 50 failing calls spend the quota; later calls fail without retrying.
    aws_env["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{free_port()}"
    aws_env["AWS_MAX_ATTEMPTS"] = "2"
    out = awscall(build_dir, aws_env, "ssm-get-parallel", "/app/x", "1", "55")
    e = out["error"]
    assert e["kind"] == "transport"
    assert "retry quota exhausted" in e["message"]

"""SSM Parameter Store through the C client (build/tools/awscall) against fakes/fake_ssm.py.

The fake verifies every request (target, content type, documented members, SigV4 signature
with the test secret) and answers as the SSM API reference documents.
"""
import pytest

from awscall import awscall


@pytest.fixture
def env(ssm_env):
    return ssm_env


def test_put_then_get_returns_value_version_and_arn(build_dir, env, ssm):
    out = awscall(build_dir, env, "ssm-put", "/showtable/prod/table", "items")
    assert out["ok"] and out["result"] == {"version": 1}
    out = awscall(build_dir, env, "ssm-get", "/showtable/prod/table")
    assert out["ok"], out
    assert out["result"] == {
        "name": "/showtable/prod/table", "type": "String", "value": "items", "version": 1,
        "arn": "arn:aws:ssm:us-east-1:123456789012:parameter/showtable/prod/table"}
    get = [r for r in ssm.requests if r.op == "GetParameter"][0]
    assert get.body == {"Name": "/showtable/prod/table", "WithDecryption": False}


def test_secure_string_is_ciphertext_without_decryption(build_dir, env, ssm):
    ssm.put("/app/password", "hunter2", type="SecureString")
    out = awscall(build_dir, env, "ssm-get", "/app/password")
    assert out["ok"] and out["result"]["type"] == "SecureString"
    assert out["result"]["value"] != "hunter2"


def test_secure_string_is_plaintext_with_decryption(build_dir, env, ssm):
    ssm.put("/app/password", "hunter2", type="SecureString")
    out = awscall(build_dir, env, "ssm-get", "/app/password", "--decrypt")
    assert out["ok"] and out["result"]["value"] == "hunter2"
    assert ssm.requests[-1].body["WithDecryption"] is True


def test_put_secure_string_sends_type_description_key_and_overwrite(build_dir, env, ssm):
    out = awscall(build_dir, env, "ssm-put", "/app/key", "s3cr3t", "--type", "SecureString",
                  "--description", "API key for the demo", "--key-id", "alias/showtable",
                  "--overwrite")
    assert out["ok"], out
    assert ssm.requests[-1].body == {
        "Name": "/app/key", "Value": "s3cr3t", "Type": "SecureString", "Overwrite": True,
        "Description": "API key for the demo", "KeyId": "alias/showtable"}
    assert ssm.params["/app/key"]["Type"] == "SecureString"


def test_put_existing_without_overwrite_is_parameter_already_exists(build_dir, env, ssm):
    ssm.put("/app/x", "one")
    out = awscall(build_dir, env, "ssm-put", "/app/x", "two")
    assert not out["ok"]
    e = out["error"]
    assert (e["kind"], e["type"], e["status"]) == ("service", "ParameterAlreadyExists", 400)
    assert "overwrite" in e["message"]
    assert ssm.params["/app/x"]["Value"] == "one"
    assert ssm.count() == 1   # a validation error is never retried


def test_put_with_overwrite_increments_version(build_dir, env, ssm):
    ssm.put("/app/x", "one")
    out = awscall(build_dir, env, "ssm-put", "/app/x", "two", "--overwrite")
    assert out["ok"] and out["result"]["version"] == 2
    assert ssm.params["/app/x"]["Value"] == "two"


def test_delete_removes_the_parameter(build_dir, env, ssm):
    ssm.put("/app/x", "one")
    assert awscall(build_dir, env, "ssm-delete", "/app/x")["ok"]
    assert "/app/x" not in ssm.params
    out = awscall(build_dir, env, "ssm-delete", "/app/x")
    assert out["error"]["type"] == "ParameterNotFound"


def test_missing_parameter_is_parameter_not_found_without_retry(build_dir, env, ssm):
    out = awscall(build_dir, env, "ssm-get", "/nope")
    assert not out["ok"]
    e = out["error"]
    assert (e["kind"], e["type"], e["status"], e["throttled"]) == \
        ("service", "ParameterNotFound", 400, False)
    assert "/nope" in e["message"] and ssm.url in e["message"]
    assert e["request_id"]
    assert ssm.count() == 1


def test_access_denied_is_reported_and_not_retried(build_dir, env, ssm):
    ssm.put("/app/secret", "x")
    ssm.denied.add("/app/secret")
    out = awscall(build_dir, env, "ssm-get", "/app/secret")
    e = out["error"]
    assert (e["kind"], e["type"], e["status"]) == ("service", "AccessDeniedException", 400)
    assert "not authorized to perform: ssm:GetParameter" in e["message"]
    assert ssm.count() == 1


def test_unicode_and_quotes_in_value_round_trip(build_dir, env, ssm):
    value = 'Grüße "quoted" \\ back\tslash ✓'
    assert awscall(build_dir, env, "ssm-put", "/app/u", value)["ok"]
    assert ssm.params["/app/u"]["Value"] == value
    assert awscall(build_dir, env, "ssm-get", "/app/u")["result"]["value"] == value


def test_requests_carry_sigv4_authorization_for_ssm(build_dir, env, ssm):
    ssm.put("/app/x", "v")
    awscall(build_dir, env, "ssm-get", "/app/x")
    r = ssm.requests[-1]
    assert r.headers["x-amz-target"] == "AmazonSSM.GetParameter"
    assert r.headers["content-type"] == "application/x-amz-json-1.1"
    auth = r.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/ssm/aws4_request" in auth
    # The fake recomputed the signature with the test secret: no problems recorded.


def test_session_token_is_sent_and_signed(build_dir, env, ssm):
    env["AWS_SESSION_TOKEN"] = "FQoGZXIvYXdzEXAMPLETOKEN"
    ssm.put("/app/x", "v")
    assert awscall(build_dir, env, "ssm-get", "/app/x")["ok"]
    r = ssm.requests[-1]
    assert r.headers["x-amz-security-token"] == "FQoGZXIvYXdzEXAMPLETOKEN"
    assert "x-amz-security-token" in r.headers["authorization"]


def test_wrong_secret_fails_signature_check(build_dir, env, ssm):
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-the-fake-expects"
    out = awscall(build_dir, env, "ssm-get", "/app/x")
    assert out["error"]["type"] == "InvalidSignatureException"
    assert ssm.problems == ["signature does not match"]
    ssm.problems.clear()


def test_eight_threads_share_one_client(build_dir, env, ssm):
    ssm.put("/app/x", "v")
    out = awscall(build_dir, env, "ssm-get-parallel", "/app/x", "8", "10")
    assert out["ok"], out
    assert out["result"]["ok_calls"] == 80
    assert ssm.count("GetParameter") == 80


def test_endpoint_url_with_bad_scheme_is_a_config_error(build_dir, env, ssm):
    env["AWS_ENDPOINT_URL_SSM"] = "ftp://127.0.0.1:1"
    out = awscall(build_dir, env, "ssm-get", "/app/x")
    e = out["error"]
    assert e["kind"] == "config"
    assert "AWS_ENDPOINT_URL_SSM" in e["message"] and "http://" in e["message"]
    assert ssm.count() == 0


def test_general_endpoint_url_is_used_when_no_service_specific_one(build_dir, env, ssm):
    del env["AWS_ENDPOINT_URL_SSM"]
    env["AWS_ENDPOINT_URL"] = ssm.url + "/"
    ssm.put("/app/x", "v")
    assert awscall(build_dir, env, "ssm-get", "/app/x")["ok"]


def test_connections_are_reused_across_calls_and_threads(build_dir, env, ssm):
    ssm.put("/app/x", "v")
    out = awscall(build_dir, env, "ssm-get-parallel", "/app/x", "4", "25")
    assert out["ok"], out
    peers = {r.peer for r in ssm.requests}
    # 100 calls from 4 threads: one connection per concurrent thread at most, not per call
    assert len(peers) <= 4, f"{len(peers)} connections for 100 calls"


def test_large_request_is_sent_without_expect_100_continue(build_dir, env, ssm):
    value = "v" * 100_000
    body = '{"Name":"/app/big","Value":"%s","Type":"String"}' % value
    out = awscall(build_dir, env, "json", "ssm", "PutParameter", body)
    assert out["ok"], out
    assert out["result"] == {"Version": 1, "Tier": "Standard"}
    assert "expect" not in ssm.requests[-1].headers
    assert ssm.params["/app/big"]["Value"] == value


def test_no_credentials_fails_before_any_request(build_dir, env, ssm):
    del env["AWS_ACCESS_KEY_ID"]
    del env["AWS_SECRET_ACCESS_KEY"]
    env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = ""
    out = awscall(build_dir, env, "ssm-get", "/app/x")
    e = out["error"]
    assert e["kind"] == "credentials", e
    assert "GetParameter" in e["message"]
    assert ssm.count() == 0

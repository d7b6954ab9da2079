"""test_ctl_param.py — `showtablectl param get|put|delete` against fakes/fake_ssm.py: the JSON
printed, what is sent (types, overwrite, description, value from standard input), and the
errors a person sees (missing parameter with a hint, access denied naming the action).
"""
import json
import subprocess

import pytest

from conftest import binary


@pytest.fixture
def env(ssm_env):
    ssm_env["AWS_MAX_ATTEMPTS"] = "1"
    return ssm_env


def ctl(env, *args, input=None, rc=0):
    p = subprocess.run([binary("showtablectl"), *args], env=env, input=input,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == rc, f"exit {p.returncode}, wanted {rc}\n{p.stdout}\n{p.stderr}"
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in p.stderr, p.stderr
    return p


def test_put_then_get_prints_json(env, ssm):
    out = json.loads(ctl(env, "param", "put", "/go-on-aws/table", "items").stdout)
    assert out == {"name": "/go-on-aws/table", "version": 1}
    got = json.loads(ctl(env, "param", "get", "/go-on-aws/table").stdout)
    assert got == {"name": "/go-on-aws/table", "type": "String", "value": "items", "version": 1,
                   "arn": "arn:aws:ssm:us-east-1:123456789012:parameter/go-on-aws/table"}


def test_get_decrypts_secure_strings_and_raw_prints_only_the_value(env, ssm):
    ssm.put("/app/credentials", "admin:$2y$05$abc", type="SecureString")
    assert ctl(env, "param", "get", "/app/credentials", "--raw").stdout == "admin:$2y$05$abc\n"
    assert ssm.requests[-1].body["WithDecryption"] is True
    out = json.loads(ctl(env, "param", "get", "/app/credentials", "--no-decrypt").stdout)
    assert out["value"] != "admin:$2y$05$abc" and ssm.requests[-1].body["WithDecryption"] is False


def test_put_secure_sends_type_overwrite_and_description(env, ssm):
    ssm.put("/app/key", "old")
    ctl(env, "param", "put", "/app/key", "new", "--secure", "--overwrite",
        "--description", "demo key")
    assert ssm.requests[-1].body == {"Name": "/app/key", "Value": "new", "Type": "SecureString",
                                     "Overwrite": True, "Description": "demo key"}


def test_put_reads_the_value_from_stdin_with_dash(env, ssm):
    ctl(env, "param", "put", "/app/secret", "-", "--type", "SecureString",
        input="pässwörd with spaces\n")
    assert ssm.params["/app/secret"]["Value"] == "pässwörd with spaces"


def test_put_existing_without_overwrite_is_a_clear_error(env, ssm):
    ssm.put("/app/x", "one")
    err = ctl(env, "param", "put", "/app/x", "two", rc=1).stderr
    assert "ParameterAlreadyExists" in err and "/app/x" in err


def test_get_missing_parameter_names_it_with_a_hint(env):
    err = ctl(env, "param", "get", "/go-on-aws/table", rc=1).stderr
    assert err.startswith("showtablectl: param get /go-on-aws/table: ParameterNotFound")
    assert "showtablectl param put NAME VALUE" in err


def test_access_denied_says_which_permission(env, ssm):
    ssm.denied.add("/app/locked")
    err = ctl(env, "param", "get", "/app/locked", rc=1).stderr
    assert "AccessDeniedException" in err and "check the IAM permissions for" in err


def test_delete_removes_the_parameter(env, ssm):
    ssm.put("/app/gone", "x")
    out = json.loads(ctl(env, "param", "delete", "/app/gone").stdout)
    assert out == {"name": "/app/gone", "deleted": True}
    assert "/app/gone" not in ssm.params


@pytest.mark.parametrize("args", [
    ["param"], ["param", "get"], ["param", "put", "/a"], ["param", "fetch", "/a"],
    ["param", "put", "/a", "v", "--type", "Binary"],
    ["param", "put", "/a", "v", "--secure", "--type", "String"],
])
def test_usage_errors_exit_2(env, args):
    assert "showtablectl" in ctl(env, *args, rc=2).stderr

"""test_creds.py — the credentials chain end to end through build/tools/credsget, against
fake ECS/IMDS, STS and SSO endpoints on loopback (fakes/fake_metadata.py, fake_sts.py,
fake_sso.py), including credentials that expire during a run.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import FAKE_KEY_ID, FAKE_SECRET, binary, free_port
from awscall import awscall
from awsfake import AUTH_RE
from fake_metadata import FakeMetadata
from fake_ssm import FakeSSM
from fake_sso import FakeSSOPortal
from fake_sts import FakeSTS

ROLE = "arn:aws:iam::123456789012:role/deploy"


@pytest.fixture
def env(aws_env):
    """aws_env without the static environment keys: the chain has to look further."""
    e = dict(aws_env)
    del e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"]
    return e


def parse_line(line):
    """"source=profile dev key_id=K ..." -> dict (values may hold spaces)."""
    return dict(re.findall(r"(\w+)=(.*?)(?= \w+=|$)", line.strip()))


def credsget(env, *args, timeout=60):
    """Runs credsget; returns (exit status, [dict per get], [error lines])."""
    p = subprocess.run([binary("tools/credsget"), *args], env=env, capture_output=True,
                       text=True, timeout=timeout)
    errors = [l for l in p.stderr.splitlines() if l.strip()]
    unexpected = [l for l in errors if not l.startswith("error: ")]
    assert not unexpected, f"credsget wrote unexpected stderr:\n{p.stderr}"
    return p.returncode, [parse_line(l) for l in p.stdout.splitlines() if l.strip()], errors


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def no_secret_in(text):
    assert FAKE_SECRET not in text and "wJalr" not in text


# ------------------------------------------------------------------ env and files

def test_environment_keys_are_used(env):
    env.update(AWS_ACCESS_KEY_ID=FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY=FAKE_SECRET,
               AWS_SESSION_TOKEN="FAKETOKEN")
    rc, gets, errors = credsget(env)
    assert rc == 0, errors
    assert gets == [{"source": "environment", "key_id": FAKE_KEY_ID, "expiration": "never",
                     "token": "yes"}]


def test_profile_static_keys_from_the_credentials_file(env):
    write(env["AWS_SHARED_CREDENTIALS_FILE"],
          f"[default]\naws_access_key_id = AKIDEXAMPLEFILE\naws_secret_access_key = {FAKE_SECRET}\n")
    rc, gets, errors = credsget(env)
    assert rc == 0, errors
    assert gets[0]["source"] == "profile default"
    assert gets[0]["key_id"] == "AKIDEXAMPLEFILE"


def test_no_credentials_error_names_every_source_tried(env):
    rc, gets, errors = credsget(env)
    assert rc == 1 and gets == []
    msg = errors[0]
    assert msg.startswith("error: credentials: no AWS credentials found: ")
    assert "environment (AWS_ACCESS_KEY_ID not set)" in msg
    assert (f'profile "default" (not in {env["AWS_SHARED_CREDENTIALS_FILE"]} or '
            f'{env["AWS_CONFIG_FILE"]})') in msg
    assert "ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI not set)" in msg
    assert "EC2 IMDS (disabled by AWS_EC2_METADATA_DISABLED)" in msg


def test_credential_process_profile(env, tmp_path):
    script = tmp_path / "creds helper.py"        # a space: the command goes through sh -c
    script.write_text(
        "import json, datetime\n"
        "exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'ASIAPROCESS', 'SecretAccessKey': "
        f"'{FAKE_SECRET}', 'SessionToken': 'T', 'Expiration': exp.strftime('%Y-%m-%dT%H:%M:%SZ')}}))\n")
    write(env["AWS_CONFIG_FILE"],
          f"[profile tool]\ncredential_process = {sys.executable} \"{script}\"\n")
    rc, gets, errors = credsget(env, "--profile", "tool")
    assert rc == 0, errors
    assert gets[0]["source"] == "credential_process"
    assert gets[0]["key_id"] == "ASIAPROCESS"


def test_credential_process_bad_output_is_an_error_without_the_output(env, tmp_path):
    write(env["AWS_CONFIG_FILE"],
          f"[default]\ncredential_process = echo '{{\"Version\": 2, \"AccessKeyId\": \"A\", "
          f"\"SecretAccessKey\": \"{FAKE_SECRET}\"}}'\n")
    rc, gets, errors = credsget(env)
    assert rc == 1
    assert 'profile "default": credential_process' in errors[0]
    assert '"Version" must be the number 1' in errors[0]
    no_secret_in(errors[0])


# ------------------------------------------------------------------ ECS

def test_ecs_full_uri_sends_the_authorization_token(env):
    with FakeMetadata(auth_token="Bearer fake-ecs-token") as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer fake-ecs-token"
        rc, gets, errors = credsget(env)
        assert rc == 0, errors
        assert gets[0]["source"] == "ecs"
        assert gets[0]["key_id"] == md.issued[0]
        assert gets[0]["token"] == "yes"
        assert md.problems == []


def test_ecs_wrong_token_fails_naming_the_token_variables(env):
    with FakeMetadata(auth_token="right") as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong"
        rc, gets, errors = credsget(env)
        assert rc == 1
        assert "HTTP 401" in errors[0]
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" in errors[0]
        assert md.issued == []


def test_ecs_full_uri_over_http_to_another_host_is_refused(env):
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://10.1.2.3/creds"
    t0 = time.monotonic()
    rc, gets, errors = credsget(env)
    assert rc == 1
    assert "plain http is only allowed to loopback" in errors[0]
    assert time.monotonic() - t0 < 2        # refused before any connection attempt


def test_ecs_relative_uri_must_be_a_path(env):
    env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "v2/credentials/x"
    rc, gets, errors = credsget(env)
    assert rc == 1
    assert "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /" in errors[0]


def test_ecs_token_file_is_reread_at_each_refresh(env, tmp_path):
    tok = tmp_path / "eks-token"
    tok.write_text("token-one\n")
    with FakeMetadata(auth_token="token-one", expiry_seconds=302) as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(tok)
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ignored: the file wins"
        p = subprocess.Popen([binary("tools/credsget"), "--count", "14", "--interval-ms", "200"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        # The agent rotates the token; the next refresh (about 2 s in) must use the new one.
        tok.write_text("token-two\n")
        md.auth_token = "token-two"
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        keys = [parse_line(l)["key_id"] for l in [first] + out.splitlines()]
        assert len(keys) == 14
        assert len(md.issued) >= 2 and keys[-1] == md.issued[-1]
        auths = [r[2].get("Authorization") for r in md.requests]
        assert auths[0] == "token-one" and auths[-1] == "token-two"


def test_credentials_expiring_during_a_run_are_refreshed_without_a_failed_call(env):
    # Expiration = now + 302 s: inside the 300 s refresh-ahead window after about 2 s, so
    # a 3-second run of 3 threads sees at least one refresh, and no get may fail or hand
    # out credentials that are no longer valid.
    with FakeMetadata(expiry_seconds=302) as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        rc, gets, errors = credsget(env, "--count", "20", "--interval-ms", "150",
                                    "--threads", "3")
        assert rc == 0, errors
        assert len(gets) == 60
        keys = [g["key_id"] for g in gets]
        assert len(set(keys)) >= 2, "the key id never changed: no refresh happened"
        assert set(keys) <= set(md.issued)
        # one fetch per refresh, not one per get or per thread
        assert 2 <= len(md.issued) <= 6, md.issued
        assert md.problems == []


class IssuedKeys(str):
    """A key id that equals every key in `keys` (FakeSSM compares `akid != key_id`)."""
    def __new__(cls, keys):
        o = super().__new__(cls, "ASIAFAKE*")
        o.keys = keys
        return o

    def __eq__(self, other):
        return other in self.keys

    def __ne__(self, other):
        return other not in self.keys

    __hash__ = str.__hash__


class SlowSSM(FakeSSM):
    """FakeSSM that accepts every key the fake metadata endpoint issued (they share the test
    secret, so signatures still verify), records which key signed each call, and answers
    each after `delay` seconds so a run of calls spans the refresh."""
    def __init__(self, md, delay):
        super().__init__(key_id=IssuedKeys(md.issued))
        self.delay, self.signed_by = delay, []

    def _check(self, h):
        m = AUTH_RE.match(h.headers.get("Authorization", ""))
        self.signed_by.append(m["akid"] if m else None)
        time.sleep(self.delay)
        return super()._check(h)


def test_signed_calls_keep_succeeding_while_credentials_are_refreshed(env, build_dir):
    # The same as above through the AWS client: 3 threads x 60 SSM GetParameter calls of
    # 50 ms each (a 3-second run) against credentials that need refreshing after ~2 s.
    with FakeMetadata(expiry_seconds=302) as md, SlowSSM(md, 0.05) as ssm:
        ssm.put("/showtable/x", "v")
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        env["AWS_ENDPOINT_URL_SSM"] = ssm.url
        out = awscall(build_dir, env, "ssm-get-parallel", "/showtable/x", "3", "60")
        assert out["ok"], out
        assert out["result"]["ok_calls"] == 180
        assert ssm.problems == []
        assert len(ssm.requests) == 180             # no call needed a retry
        assert len(set(ssm.signed_by)) >= 2, "every call was signed with the same key"
        assert set(ssm.signed_by) <= set(md.issued)


def test_ecs_refresh_failure_keeps_the_old_credentials(env):
    with FakeMetadata(expiry_seconds=302) as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        md.fail_next(10, "500")
        # The first fetch retries once on a 5xx and then fails: nothing cached yet.
        rc, gets, errors = credsget(env)
        assert rc == 1 and "HTTP 500" in errors[0]
    with FakeMetadata(expiry_seconds=302) as md:
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = md.url + md.ecs_path
        p = subprocess.Popen([binary("tools/credsget"), "--count", "12", "--interval-ms", "250"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = p.stdout.readline()
        md.fail_next(100, "500")      # every refresh attempt from now on fails
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        keys = {parse_line(l)["key_id"] for l in [first] + out.splitlines()}
        assert keys == {md.issued[0]}


# ------------------------------------------------------------------ IMDSv2

def test_imds_v2_token_then_role_credentials(env):
    with FakeMetadata() as md:
        env["AWS_EC2_METADATA_DISABLED"] = "false"
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = md.url + "/"
        rc, gets, errors = credsget(env)
        assert rc == 0, errors
        assert gets[0]["source"] == "imds" and gets[0]["key_id"] == md.issued[0]
        methods = [(m, p) for m, p, _ in md.requests]
        assert methods == [("PUT", "/latest/api/token"),
                           ("GET", "/latest/meta-data/iam/security-credentials/"),
                           ("GET", "/latest/meta-data/iam/security-credentials/showtable-task")]
        assert md.requests[0][2]["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
        assert md.problems == []


def test_imds_without_a_role_reports_it(env):
    with FakeMetadata(role=None) as md:
        env["AWS_EC2_METADATA_DISABLED"] = "false"
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = md.url
        rc, gets, errors = credsget(env)
        assert rc == 1
        assert "EC2 IMDS (no IAM role attached to this instance)" in errors[0]


def test_absent_imds_fails_fast(env):
    env["AWS_EC2_METADATA_DISABLED"] = "false"
    env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    rc, gets, errors = credsget(env)
    assert rc == 1
    assert "EC2 IMDS (no answer from http://127.0.0.1:" in errors[0]
    assert time.monotonic() - t0 < 2


def test_hanging_imds_gives_up_after_about_a_second(env):
    with FakeMetadata(hang_seconds=10) as md:
        md.fail_next(5, "hang")
        env["AWS_EC2_METADATA_DISABLED"] = "false"
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = md.url
        t0 = time.monotonic()
        rc, gets, errors = credsget(env)
        elapsed = time.monotonic() - t0
        assert rc == 1 and "EC2 IMDS (no answer" in errors[0]
        assert elapsed < 3, elapsed


# ------------------------------------------------------------------ AssumeRole

def test_role_arn_with_source_profile_calls_assume_role_signed_by_the_source(env):
    write(env["AWS_SHARED_CREDENTIALS_FILE"],
          f"[base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    write(env["AWS_CONFIG_FILE"],
          f"[profile deploy]\nrole_arn = {ROLE}\nsource_profile = base\nexternal_id = ext-123\n"
          "role_session_name = ci-run\nduration_seconds = 1800\n")
    with FakeSTS(region="eu-central-1") as sts:
        sts.add_role(ROLE, external_id="ext-123", trusted={FAKE_KEY_ID})
        env["AWS_ENDPOINT_URL_STS"] = sts.url
        env["AWS_REGION"] = "eu-central-1"
        rc, gets, errors = credsget(env, "--profile", "deploy", "--region", "eu-central-1")
        assert rc == 0, errors
        assert sts.problems == []
        assert gets[0]["source"] == "assume-role"
        assert gets[0]["key_id"] == sts.calls[0]["issued"]
        call = sts.calls[0]
        assert call["key_id"] == FAKE_KEY_ID
        assert call["params"] == {"Action": "AssumeRole", "Version": "2011-06-15",
                                  "RoleArn": ROLE, "RoleSessionName": "ci-run",
                                  "DurationSeconds": "1800", "ExternalId": "ext-123"}



def test_assume_role_uses_the_sts_endpoint_of_the_profiles_services_section(env):
    """No AWS_ENDPOINT_URL_STS: the role profile's [services] section names the STS
    endpoint, as the SDKs read it."""
    write(env["AWS_SHARED_CREDENTIALS_FILE"],
          f"[base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    with FakeSTS(region="eu-central-1") as sts:
        sts.add_role(ROLE, trusted={FAKE_KEY_ID})
        write(env["AWS_CONFIG_FILE"],
              f"[profile deploy]\nrole_arn = {ROLE}\nsource_profile = base\nservices = local\n"
              f"[services local]\nsts =\n  endpoint_url = {sts.url}\n")
        env["AWS_REGION"] = "eu-central-1"
        rc, gets, errors = credsget(env, "--profile", "deploy", "--region", "eu-central-1")
        assert rc == 0, errors
        assert gets[0]["source"] == "assume-role" and len(sts.calls) == 1
        assert sts.problems == []

def test_role_chain_signs_each_hop_with_the_previous_credentials(env):
    inner = "arn:aws:iam::123456789012:role/inner"
    write(env["AWS_SHARED_CREDENTIALS_FILE"],
          f"[base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    write(env["AWS_CONFIG_FILE"],
          f"[profile hop1]\nrole_arn = {inner}\nsource_profile = base\n"
          f"[profile hop2]\nrole_arn = {ROLE}\nsource_profile = hop1\n")
    with FakeSTS() as sts:
        sts.add_role(inner, trusted={FAKE_KEY_ID})
        sts.add_role(ROLE, trusted={"ASIAFAKESTS0001"})    # only the first hop's key
        env["AWS_ENDPOINT_URL_STS"] = sts.url
        rc, gets, errors = credsget(env, "--profile", "hop2")
        assert rc == 0, errors
        assert sts.problems == []
        assert [c["key_id"] for c in sts.calls] == [FAKE_KEY_ID, "ASIAFAKESTS0001"]
        assert gets[0]["key_id"] == "ASIAFAKESTS0002"


def test_role_with_credential_source_environment_uses_the_environment_keys(env):
    env.update(AWS_ACCESS_KEY_ID=FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY=FAKE_SECRET)
    write(env["AWS_CONFIG_FILE"],
          f"[profile ci]\nrole_arn = {ROLE}\ncredential_source = Environment\n")
    with FakeSTS() as sts:
        sts.add_role(ROLE, trusted={FAKE_KEY_ID})
        env["AWS_ENDPOINT_URL_STS"] = sts.url
        # --profile: the named profile is used even though environment keys are set
        rc, gets, errors = credsget(env, "--profile", "ci")
        assert rc == 0, errors
        assert gets[0]["source"] == "assume-role"
        assert [c["key_id"] for c in sts.calls] == [FAKE_KEY_ID]
        assert sts.problems == []


def test_assume_role_denied_names_the_profile_and_role(env):
    write(env["AWS_CONFIG_FILE"],
          f"[profile base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n"
          f"[profile deploy]\nrole_arn = {ROLE}\nsource_profile = base\nexternal_id = wrong\n")
    with FakeSTS() as sts:
        sts.add_role(ROLE, external_id="right")
        env["AWS_ENDPOINT_URL_STS"] = sts.url
        rc, gets, errors = credsget(env, "--profile", "deploy")
        assert rc == 1
        assert f'profile "deploy": AssumeRole {ROLE}' in errors[0]
        assert "AccessDenied" in errors[0]
        no_secret_in(errors[0])


# ------------------------------------------------------------------ SSO

def sso_config(env, cache_token=None, expires_in=3600):
    write(env["AWS_CONFIG_FILE"],
          "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
          "sso_role_name = ReadOnly\nregion = us-east-1\n"
          "[sso-session corp]\nsso_region = us-east-1\n"
          "sso_start_url = https://example.awsapps.com/start\n"
          "sso_registration_scopes = sso:account:access\n")
    if cache_token is not None:
        name = hashlib.sha1(b"corp").hexdigest() + ".json"
        exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
        write(os.path.join(env["HOME"], ".aws", "sso", "cache", name), json.dumps({
            "startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
            "accessToken": cache_token, "expiresAt": exp}))


def test_sso_session_profile_uses_the_cached_token(env):
    sso_config(env, cache_token="FAKESSOACCESSTOKEN")
    with FakeSSOPortal(tokens={"FAKESSOACCESSTOKEN": {("123456789012", "ReadOnly")}}) as sso:
        env["AWS_ENDPOINT_URL_SSO"] = sso.url
        rc, gets, errors = credsget(env, "--profile", "dev")
        assert rc == 0, errors
        assert gets[0]["source"] == "sso" and gets[0]["key_id"] == "ASIAFAKESSO0001"
        assert sso.calls == [("123456789012", "ReadOnly", "FAKESSOACCESSTOKEN")]
        assert sso.problems == []



def test_sso_portal_endpoint_from_the_profiles_endpoint_url(env):
    sso_config(env, cache_token="FAKESSOACCESSTOKEN")
    with FakeSSOPortal(tokens={"FAKESSOACCESSTOKEN": {("123456789012", "ReadOnly")}}) as sso:
        with open(env["AWS_CONFIG_FILE"]) as f:
            text = f.read()
        write(env["AWS_CONFIG_FILE"], text.replace("[profile dev]\n", f"[profile dev]\nendpoint_url = {sso.url}\n"))
        rc, gets, errors = credsget(env, "--profile", "dev")
        assert rc == 0, errors
        assert sso.calls == [("123456789012", "ReadOnly", "FAKESSOACCESSTOKEN")]

def test_legacy_sso_profile_uses_the_cache_keyed_by_start_url(env):
    url = "https://legacy.awsapps.com/start"
    write(env["AWS_CONFIG_FILE"],
          f"[profile old]\nsso_start_url = {url}\nsso_region = eu-west-1\n"
          "sso_account_id = 123456789012\nsso_role_name = Admin\n")
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    write(os.path.join(env["HOME"], ".aws", "sso", "cache",
                       hashlib.sha1(url.encode()).hexdigest() + ".json"),
          json.dumps({"startUrl": url, "region": "eu-west-1", "accessToken": "LEGACYTOKEN",
                      "expiresAt": exp}))
    with FakeSSOPortal(tokens={"LEGACYTOKEN": {("123456789012", "Admin")}}) as sso:
        env["AWS_ENDPOINT_URL_SSO"] = sso.url
        rc, gets, errors = credsget(env, "--profile", "old")
        assert rc == 0, errors
        assert gets[0]["source"] == "sso"


def test_sso_without_login_says_which_login_to_run(env):
    sso_config(env)
    rc, gets, errors = credsget(env, "--profile", "dev")
    assert rc == 1
    assert "run `aws sso login --sso-session corp`" in errors[0]


def test_sso_expired_token_says_which_login_to_run(env):
    sso_config(env, cache_token="OLD", expires_in=-60)
    rc, gets, errors = credsget(env, "--profile", "dev")
    assert rc == 1
    assert "expired" in errors[0] and "aws sso login --sso-session corp" in errors[0]


def test_sso_token_refused_by_the_portal_says_login_again(env):
    sso_config(env, cache_token="REVOKED")
    with FakeSSOPortal(tokens={}) as sso:
        env["AWS_ENDPOINT_URL_SSO"] = sso.url
        rc, gets, errors = credsget(env, "--profile", "dev")
        assert rc == 1
        assert "HTTP 401" in errors[0] and "aws sso login --sso-session corp" in errors[0]


# ------------------------------------------------------------------ MFA for roles

MFA = "arn:aws:iam::123456789012:mfa/alice"


def mfa_profile(env, sts, ssm):
    write(env["AWS_SHARED_CREDENTIALS_FILE"],
          f"[base]\naws_access_key_id = {FAKE_KEY_ID}\naws_secret_access_key = {FAKE_SECRET}\n")
    write(env["AWS_CONFIG_FILE"],
          f"[profile guarded]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = {MFA}\n")
    sts.add_role(ROLE, trusted={FAKE_KEY_ID}, mfa=(MFA, "908172"))
    env.update({"AWS_ENDPOINT_URL_STS": sts.url, "AWS_ENDPOINT_URL_SSM": ssm.url,
                "AWS_MAX_ATTEMPTS": "1"})
    ssm.put("/go-on-aws/table", "items")
    ssm._key_for = sts.keys.get   # SSM knows the keys STS issued, as AWS does


def ctl_with_terminal(env, typed, *args):
    """showtablectl with a pseudo-terminal as standard input, `typed` already typed ahead;
    returns (exit status, stdout, stderr)."""
    import pty
    master, slave = pty.openpty()
    os.write(master, typed)
    p = subprocess.run([binary("showtablectl"), *args], env=env, stdin=slave,
                       capture_output=True, text=True, timeout=60)
    os.close(slave)
    os.close(master)
    return p.returncode, p.stdout, p.stderr


def test_role_with_mfa_serial_asks_for_the_code_on_the_terminal(env):
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        rc, out, err = ctl_with_terminal(env, b"908172\n", "--profile", "guarded",
                                         "param", "get", "/go-on-aws/table", "--raw")
        assert rc == 0, err
        assert out == "items\n"
        assert f"Enter MFA code for {MFA}: " in err and "908172" not in err
        assert sts.calls[0]["params"]["SerialNumber"] == MFA
        assert sts.calls[0]["params"]["TokenCode"] == "908172"
        assert sts.problems == [] and ssm.problems == []


def test_wrong_mfa_code_is_sts_access_denied_and_malformed_ones_never_leave(env):
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        rc, out, err = ctl_with_terminal(env, b"654321\n", "--profile", "guarded",
                                         "param", "get", "/go-on-aws/table")
        assert rc == 1 and "MultiFactorAuthentication failed" in err, err
        for typed in (b"12345\n", b"12a456\n", b"1234567\n", b"\n"):
            rc, out, err = ctl_with_terminal(env, typed, "--profile", "guarded",
                                             "param", "get", "/go-on-aws/table")
            assert rc == 1 and "must be the 6 digits the device shows" in err, (typed, err)
        assert len(sts.calls) == 0 and sts.problems == []


def test_mfa_role_without_a_terminal_or_a_prompt_says_what_to_use(env):
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        p = subprocess.run([binary("showtablectl"), "--profile", "guarded", "param", "get",
                            "/go-on-aws/table"], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 1 and "no terminal to ask on" in p.stderr, p.stderr
        # a program that sets no prompt (the server, this test tool) cannot assume it either
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 1 and "needs an MFA code (mfa_serial)" in errors[0], errors
        assert sts.calls == []


# ------------------------------------------------------------------ MFA role credentials kept between runs

def cli_cache_key(role_arn, **extra):
    """The AWS CLI's cache file name for these AssumeRole arguments, as botocore makes it."""
    from botocore.credentials import AssumeRoleCredentialFetcher
    args = dict(extra, SerialNumber=MFA)
    return AssumeRoleCredentialFetcher(client_creator=None, source_credentials=None, role_arn=role_arn,
                                       extra_args=args, cache={})._cache_key


def cache_dir(env):
    return os.path.join(env["HOME"], ".aws", "cli", "cache")


def test_an_mfa_code_is_asked_once_and_the_role_credentials_kept_as_the_aws_cli_keeps_them(env):
    from botocore.credentials import AssumeRoleCredentialFetcher
    from botocore.utils import JSONFileCache
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        rc, out, err = ctl_with_terminal(env, b"908172\n", "--profile", "guarded",
                                         "param", "get", "/go-on-aws/table", "--raw")
        assert rc == 0 and "Enter MFA code" in err, err
        path = os.path.join(cache_dir(env), cli_cache_key(ROLE) + ".json")
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert os.stat(cache_dir(env)).st_mode & 0o777 == 0o700
        assert [f for f in os.listdir(cache_dir(env))] == [os.path.basename(path)]   # no temporary left
        issued = sts.calls[0]["issued"]
        # Later runs, with no terminal to ask on, use them: no code, no STS call.
        p = subprocess.run([binary("showtablectl"), "--profile", "guarded", "param", "get",
                            "/go-on-aws/table", "--raw"], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stdout == "items\n", p.stderr
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 0, errors
        assert gets[0]["source"] == "assume-role (cached)" and gets[0]["key_id"] == issued
        assert len(sts.calls) == 1
        # The AWS CLI (botocore) reads the file as its own.
        f = AssumeRoleCredentialFetcher(client_creator=None, source_credentials=None, role_arn=ROLE,
                                        extra_args={"SerialNumber": MFA}, cache=JSONFileCache(cache_dir(env)))
        assert f._load_from_cache()["Credentials"]["AccessKeyId"] == issued
        with open(path) as fh:
            no_secret_in(fh.read())   # the source keys stay out; only the role's session is kept


def test_role_credentials_the_aws_cli_cached_are_used_for_the_same_arguments_only(env):
    import datetime
    from botocore.utils import JSONFileCache
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        with open(env["AWS_CONFIG_FILE"], "a") as fh:
            fh.write("role_session_name = alice-laptop\nexternal_id = corp-7\nduration_seconds = 7200\n")
        key = cli_cache_key(ROLE, RoleSessionName="alice-laptop", ExternalId="corp-7", DurationSeconds=7200)
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=50)
        # Written as the CLI writes it: the whole AssumeRole answer, Expiration with +00:00.
        JSONFileCache(cache_dir(env))[key] = {
            "Credentials": {"AccessKeyId": "ASIACLICACHED", "SecretAccessKey": "cli-secret",
                            "SessionToken": "cli-token", "Expiration": until},
            "AssumedRoleUser": {"AssumedRoleId": "AROA:alice-laptop", "Arn": ROLE},
            "ResponseMetadata": {"HTTPStatusCode": 200}}
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 0, errors
        assert gets[0]["key_id"] == "ASIACLICACHED" and sts.calls == []
        assert gets[0]["expiration"] == until.strftime("%Y-%m-%dT%H:%M:%SZ")
        # Another duration is another role session: not this file.
        with open(env["AWS_CONFIG_FILE"]) as fh:
            config = fh.read()
        write(env["AWS_CONFIG_FILE"], config.replace("duration_seconds = 7200", "duration_seconds = 3600"))
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 1 and "needs an MFA code" in errors[0] and ".aws/cli/cache" in errors[0], errors


@pytest.mark.parametrize("case", ["15 minutes left", "expired", "not JSON", "no token", "group-writable",
                                  "symlink"])
def test_role_credentials_not_worth_trusting_are_not_used(env, tmp_path, case):
    import datetime
    with FakeSTS() as sts, FakeSSM() as ssm:
        mfa_profile(env, sts, ssm)
        os.makedirs(cache_dir(env), mode=0o700)
        path = os.path.join(cache_dir(env), cli_cache_key(ROLE) + ".json")
        left = {"15 minutes left": 14, "expired": -5}.get(case, 60)
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=left)
        creds = {"AccessKeyId": "ASIAPLANTED", "SecretAccessKey": "s", "SessionToken": "t",
                 "Expiration": until.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if case == "no token":
            del creds["SessionToken"]
        text = "{not json" if case == "not JSON" else json.dumps({"Credentials": creds})
        target = str(tmp_path / "elsewhere.json") if case == "symlink" else path
        with open(target, "w") as fh:
            fh.write(text)
        os.chmod(target, 0o660 if case == "group-writable" else 0o600)
        if case == "symlink":
            os.symlink(target, path)
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 1 and "needs an MFA code" in errors[0], (case, gets, errors)
        # A run that can ask assumes the role and replaces the file with a good one.
        rc, out, err = ctl_with_terminal(env, b"908172\n", "--profile", "guarded",
                                         "param", "get", "/go-on-aws/table", "--raw")
        assert rc == 0 and "Enter MFA code" in err, (case, err)
        assert len(sts.calls) == 1
        assert not os.path.islink(path) and os.stat(path).st_mode & 0o777 == 0o600
        rc, gets, errors = credsget(env, "--profile", "guarded")
        assert rc == 0 and gets[0]["key_id"] == sts.calls[0]["issued"], (case, errors)


# ------------------------------------------------------------------ web identity

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"


def web_env(env, sts, tmp_path, token=JWT):
    path = tmp_path / "token"
    path.write_text(token + "\n")
    env.update({"AWS_ENDPOINT_URL_STS": sts.url, "AWS_ROLE_ARN": ROLE,
                "AWS_WEB_IDENTITY_TOKEN_FILE": str(path), "AWS_MAX_ATTEMPTS": "1"})
    return path


def test_web_identity_token_file_is_exchanged_unsigned_for_role_credentials(env, tmp_path):
    with FakeSTS() as sts:
        sts.add_role(ROLE, web_tokens={JWT})
        web_env(env, sts, tmp_path)
        env["AWS_ROLE_SESSION_NAME"] = "ci-job-7"
        rc, gets, errors = credsget(env)
        assert rc == 0, errors
        assert gets[0]["source"] == "web-identity" and gets[0]["token"] == "yes"
        assert gets[0]["key_id"] == sts.calls[0]["issued"]
        assert sts.calls[0]["params"] == {"Action": "AssumeRoleWithWebIdentity",
                                          "Version": "2011-06-15", "RoleArn": ROLE,
                                          "RoleSessionName": "ci-job-7", "WebIdentityToken": JWT}
        assert sts.problems == []     # among them: a signed request


def test_web_identity_from_a_profile(env, tmp_path):
    with FakeSTS() as sts:
        sts.add_role(ROLE, web_tokens={JWT})
        (tmp_path / "tok").write_text(JWT)
        write(env["AWS_CONFIG_FILE"], f"[profile ci]\nrole_arn = {ROLE}\n"
                                      f"web_identity_token_file = {tmp_path / 'tok'}\n"
                                      f"services = s\n[services s]\nsts =\n  endpoint_url = {sts.url}\n")
        rc, gets, errors = credsget(env, "--profile", "ci")
        assert rc == 0, errors
        assert gets[0]["source"] == "web-identity"
        assert sts.calls[0]["params"]["RoleSessionName"].startswith("showtable-")


def test_web_identity_errors_name_the_file_and_never_the_token(env, tmp_path):
    with FakeSTS() as sts:
        sts.add_role(ROLE, web_tokens={JWT})
        path = web_env(env, sts, tmp_path, token="eyJ.not-the-right.token")
        rc, gets, errors = credsget(env)
        assert rc == 1 and "InvalidIdentityToken" in errors[0] and str(path) in errors[0], errors
        assert "not-the-right" not in errors[0]
        path.write_text("")
        rc, gets, errors = credsget(env)
        assert rc == 1 and "does not hold a token" in errors[0], errors
        env["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(tmp_path / "missing")
        rc, gets, errors = credsget(env)
        assert rc == 1 and str(tmp_path / "missing") in errors[0] and "No such file" in errors[0]
        del env["AWS_ROLE_ARN"]
        rc, gets, errors = credsget(env)
        assert rc == 1 and "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not" in errors[0]
        # AWS_ROLE_ARN alone is not web identity: the chain goes on (and here finds nothing)
        env["AWS_ROLE_ARN"] = ROLE
        del env["AWS_WEB_IDENTITY_TOKEN_FILE"]
        rc, gets, errors = credsget(env)
        assert rc == 1 and "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)" in errors[0], errors
        assert len(sts.calls) == 0 and sts.problems == []

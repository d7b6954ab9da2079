"""Shared pytest fixtures: where the build is, free loopback ports, dynalite, fake AWS env.

Every service a test needs is started here on a free 127.0.0.1 port and stopped when the
test (or session) ends; nothing is left running. Fakes of AWS endpoints live in fakes/.
"""
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SHOWTABLE_BUILD", os.path.join(ROOT, "build"))
SAN = os.environ.get("SHOWTABLE_SAN", "0") == "1"
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fakes"))

# Obviously fake keys: nothing here ever talks to AWS.
FAKE_KEY_ID = "AKIDEXAMPLE"
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0, proc=None):
    """Waits until something accepts on 127.0.0.1:port; fails early if proc died."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def stop(proc, timeout=5.0):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def binary(name):
    path = os.path.join(BUILD, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is not built: run make first")
    return path


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


@pytest.fixture(scope="session")
def dynalite():
    """A dynalite on a free port for the whole session. Yields its endpoint URL.
    Tests use their own table names (see unique_table) so they do not see each other."""
    exe = os.path.join(ROOT, "node_modules", ".bin", "dynalite")
    if not os.path.exists(exe):
        pytest.fail("dynalite is not installed: run scripts/install-deps.sh (npm ci)")
    port = free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def unique_table():
    return "t-" + uuid.uuid4().hex[:12]


def fake_aws_env(home):
    """An environment for our binaries with fake static credentials, a region, no
    profile files (home: a directory without them) and no metadata endpoints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "HOME": str(home),
    })
    if SAN:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


@pytest.fixture
def aws_env(tmp_path):
    """fake_aws_env for one test. Tests add AWS_ENDPOINT_URL_* as needed."""
    return fake_aws_env(tmp_path)


@pytest.fixture
def ssm():
    """A fakes/fake_ssm.py endpoint for one test; the test fails if a malformed request
    reached it."""
    from fake_ssm import FakeSSM
    with FakeSSM() as fake:
        yield fake
        assert fake.problems == [], f"malformed requests reached the fake: {fake.problems}"


@pytest.fixture
def ssm_env(aws_env, ssm):
    """aws_env with SSM pointed at the ssm fixture."""
    aws_env["AWS_ENDPOINT_URL_SSM"] = ssm.url
    return aws_env

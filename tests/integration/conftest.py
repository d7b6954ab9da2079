"""Shared pytest fixtures: where the build is, free loopback ports, dynalite, moto, fake AWS env.

Every service a test needs is started here on a free 127.0.0.1 port and stopped when the
test (or session) ends; nothing is left running. Fakes of AWS endpoints live in fakes/; moto
(an AWS emulator written by others, pinned in scripts/aws-tools.txt) checks our reading of the
APIs against an independent one.
"""
import functools
import json
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


def crypt_verify(password, hashed):
    """Whether password matches hashed, checked by the system's libcrypt (as the server does)."""
    import ctypes
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib.crypt(password.encode(), hashed.encode()) == hashed.encode()


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


@pytest.fixture(scope="session")
def aws_tools_python():
    """The Python that has the pinned moto and cfn-lint (scripts/find-aws-tools.sh). Without one
    the test fails with the script's account of what it tried and how to get them."""
    p = subprocess.run([os.path.join(ROOT, "scripts", "find-aws-tools.sh")],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        pytest.fail(p.stderr, pytrace=False)
    return p.stdout.strip()


class Moto:
    """A running moto server: its URL, its log, a reset, and botocore clients to look at what it
    holds independently of the code under test."""

    def __init__(self, url, log, python):
        self.url, self.log, self.python = url, log, python

    def reset(self):
        """Forgets every resource in every service (moto's own /moto-api/reset)."""
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", data=b"",
                                                      method="POST"), timeout=30).read()

    def client(self, service):
        import botocore.session
        return botocore.session.get_session().create_client(
            service, region_name="us-east-1", endpoint_url=self.url,
            aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET)

    def log_text(self):
        return self.log.read_text(errors="replace")

    @functools.cached_property
    def cfn_types(self):
        """The resource types moto's CloudFormation has a model for (read from moto itself)."""
        out = subprocess.run([self.python, "-c", "import json; from moto.cloudformation.parsing "
                              "import get_model_map; print(json.dumps(sorted(get_model_map())))"],
                             capture_output=True, text=True, check=True, timeout=120).stdout
        return set(json.loads(out))


@pytest.fixture(scope="session")
def moto_server(aws_tools_python, tmp_path_factory):
    """`python -m moto.server` on a free port for the whole session; its log (a line a request,
    and the traceback of any request moto fails) is kept in the session's temporary folder."""
    folder = tmp_path_factory.mktemp("moto")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with open(folder / "moto.log", "wb") as log:
        proc = subprocess.Popen([aws_tools_python, "-m", "moto.server", "-H", "127.0.0.1",
                                 "-p", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=folder, env=env)
    try:
        wait_port(port, timeout=90, proc=proc)
        yield Moto(f"http://127.0.0.1:{port}", folder / "moto.log", aws_tools_python)
    finally:
        stop(proc)


@pytest.fixture
def moto(moto_server):
    """The session's moto, emptied for this test."""
    moto_server.reset()
    return moto_server


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

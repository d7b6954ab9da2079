"""test_run_local.py — `make run` (scripts/run-local.sh): dynalite + demo table + server,
a generated password printed once and accepted, data and password kept across runs (a new
password with RESET=1), Ctrl-C stops everything it started, and a busy port is reported
instead of half-starting.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import binary, free_port
from localrun import LocalRun, SCRIPT


@pytest.fixture
def built():
    binary("showtable")
    binary("showtablectl")


def test_run_local_serves_the_demo_table_with_the_printed_password_and_ctrl_c_stops_all(
        tmp_path, built):
    run = LocalRun(tmp_path)
    try:
        run.start()
        assert run.url == f"http://127.0.0.1:{run.port}/"
        assert len(run.password) >= 16
        assert run.stderr().count(run.password) == 1          # printed once
        assert "writing the demo items" in run.stderr()

        status, body = run.get("/")
        assert status == 200
        assert b"showtable-demo" in body
        assert run.get("/", auth=False)[0] == 401
        assert run.get("/", password="wrong-password")[0] == 401

        status, body = run.get("/api/items?limit=1000")
        assert status == 200, body[:500]
        doc = json.loads(body)
        assert doc["table"] == "showtable-demo"
        assert doc["count"] == 300 and doc["cursor"] is None
        types = set()
        for item in doc["items"]:
            types.update(type(v).__name__ for v in item.values())
        assert types >= {"str", "int", "float", "bool", "NoneType", "list", "dict"}

        # The server reads only the hash; the password is kept for the next run. Both
        # files, and the folder, are the owner's alone.
        htpasswd = os.path.join(run.local, "htpasswd")
        line = open(htpasswd).read().strip()
        assert line.startswith("demo:$2y$") and run.password not in line
        assert os.stat(htpasswd).st_mode & 0o077 == 0
        kept = os.path.join(run.local, "password")
        assert open(kept).read().strip() == run.password
        assert os.stat(kept).st_mode & 0o777 == 0o600
        assert os.stat(run.local).st_mode & 0o077 == 0
        assert os.path.isdir(os.path.join(run.local, "dynalite"))

        assert len(run.group_pids()) >= 3                      # script, dynalite, server
        rc = run.interrupt()
        assert rc in (0, 130), run.stderr()
        time.sleep(0.2)
        assert run.group_pids() == [], "processes left running after Ctrl-C"
        assert run.sanitizer_reports() == []
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", run.port), timeout=1).close()
    finally:
        run.kill()


def run_once(tmp_path, local_dir=None, env=None, check=None):
    """Starts run-local.sh, runs check(run) if given, stops it; returns the run."""
    run = LocalRun(tmp_path, local_dir=local_dir, env=env)
    try:
        run.start()
        if check:
            check(run)
        run.interrupt()
        assert run.group_pids() == []
        assert run.sanitizer_reports() == []
    finally:
        run.kill()
    return run


def test_second_run_keeps_the_data_and_the_password(tmp_path, built):
    first = run_once(tmp_path)

    def same_login_and_data(run):
        assert "writing the demo items" not in run.stderr()
        assert "creating table" not in run.stderr()
        assert run.password == first.password          # a browser's saved login still works
        status, body = run.get("/api/items?limit=1000")
        assert status == 200 and json.loads(body)["count"] == 300

    second = run_once(tmp_path, local_dir=first.local, check=same_login_and_data)
    assert "make run RESET=1" in second.stderr()       # says how to get a new one


def test_reset_makes_a_new_password_and_the_old_one_stops_working(tmp_path, built):
    first = run_once(tmp_path)

    def new_login(run):
        assert run.password != first.password
        assert run.get("/", password=first.password)[0] == 401
        assert run.get("/")[0] == 200

    second = run_once(tmp_path, local_dir=first.local, env={"RESET": "1"}, check=new_login)
    third = run_once(tmp_path, local_dir=first.local)   # and that one is kept in turn
    assert third.password == second.password


def test_make_run_passes_reset_to_the_script():
    from conftest import ROOT
    out = subprocess.run(["make", "-n", "run", "RESET=1"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60).stdout
    assert "RESET=1 scripts/run-local.sh" in out


def test_busy_port_is_reported_and_nothing_is_started(tmp_path, built):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        run = LocalRun(tmp_path, port=port)
        env = run.env()
        p = subprocess.run([SCRIPT], env=env, capture_output=True, text=True, timeout=60,
                           start_new_session=True)
    assert p.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in p.stderr
    assert "SHOWTABLE_LISTEN=" in p.stderr                     # says what to do
    assert not os.path.exists(os.path.join(run.local, "dynalite"))

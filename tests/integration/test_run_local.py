"""test_run_local.py — `make run` (scripts/run-local.sh): dynalite + demo table + server,
a fresh password printed once and accepted, data kept across runs, Ctrl-C stops everything
it started, and a busy port is reported instead of half-starting.
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

        # Only the hash is stored, readable by the owner only.
        htpasswd = os.path.join(run.local, "htpasswd")
        line = open(htpasswd).read().strip()
        assert line.startswith("demo:$2y$") and run.password not in line
        assert os.stat(htpasswd).st_mode & 0o077 == 0
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


def test_second_run_keeps_the_data_and_changes_the_password(tmp_path, built):
    first = LocalRun(tmp_path)
    try:
        first.start()
        old_password = first.password
        first.interrupt()
    finally:
        first.kill()
    second = LocalRun(tmp_path, local_dir=first.local)
    try:
        second.start()
        assert "writing the demo items" not in second.stderr()
        assert "creating table" not in second.stderr()
        assert second.password != old_password
        assert second.get("/", password=old_password)[0] == 401
        status, body = second.get("/api/items?limit=1000")
        assert status == 200 and json.loads(body)["count"] == 300
        second.interrupt()
        assert second.group_pids() == []
        assert first.sanitizer_reports() == [] and second.sanitizer_reports() == []
    finally:
        second.kill()


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

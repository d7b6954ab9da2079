"""test_progress.py — the live progress of `showtablectl scan` and `items load`: on a terminal
(stderr on a pty) a status line redrawn in place with "\\r" and clear-to-end-of-line, that
never wraps, then one summary line with the right count; with stderr a pipe, or with -q,
nothing on stderr at all; standard output the same in every mode. Against dynalite (whose
DescribeTable says ItemCount 0: no percent) and a scripted DynamoDB endpoint for an
ItemCount, failures mid-scan and Ctrl-C.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
import uuid

import pytest

from awsfake import FakeServer
from conftest import binary, fake_aws_env

N_ITEMS = 4000
STATUS_RE = re.compile(r"\r([^\r\n\x1b]*)\x1b\[K")      # one drawn status line
SUMMARY_RE = re.compile(r"(?:\r\x1b\[K)?((?:scanned|wrote) [\d ]+ items[^\r\n]*)\n\Z")


def run_on_tty(args, env, cols=100, interrupt_after_lines=None, timeout=120, stdout_too=False):
    """Runs showtablectl with stderr on a pty of cols columns (stdout a pipe unless stdout_too,
    stdin empty). Returns (exit status, stdout bytes, what the terminal got, "\\r\\n" made
    "\\n")."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen([binary("showtablectl"), *args], env=env, stdin=subprocess.DEVNULL,
                         stdout=slave if stdout_too else subprocess.PIPE, stderr=slave)
    os.close(slave)
    out = {}
    reader = threading.Thread(target=lambda: out.update(data=p.stdout.read() if p.stdout else b""))
    reader.start()
    tty, sent, end = b"", False, time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:         # EIO: the program ended and its side is closed
                    break
                if not chunk:
                    break
                tty += chunk
            drawn = len(STATUS_RE.findall(tty.decode(errors="replace")))
            if interrupt_after_lines and not sent and drawn >= interrupt_after_lines:
                p.send_signal(signal.SIGINT)
                sent = True
        else:
            pytest.fail(f"showtablectl {' '.join(args)} still running after {timeout} s")
        rc = p.wait(timeout=30)
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()
        reader.join(30)
    text = tty.decode(errors="replace").replace("\r\n", "\n")
    assert "Sanitizer" not in text and "runtime error" not in text, text
    return rc, out.get("data", b""), text


def run_piped(args, env, rc=0):
    p = subprocess.run([binary("showtablectl"), *args], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    assert p.returncode == rc, p.stderr.decode(errors="replace")
    return p.stdout, p.stderr


def statuses(text):
    """The status lines drawn (not the clear before the summary)."""
    return [s for s in STATUS_RE.findall(text) if s]


def number(s):
    return int(s.replace(" ", ""))


@pytest.fixture(scope="module")
def env(dynalite, tmp_path_factory):
    e = fake_aws_env(tmp_path_factory.mktemp("progress-home"))
    e["AWS_ENDPOINT_URL"] = dynalite
    e["SHOWTABLE_PROGRESS_MS"] = "10"     # many redraws in a run of a second or two
    return e


def make_table(env):
    name = "p-" + uuid.uuid4().hex[:12]
    run_piped(["table", "create", "--table", name, "--wait"], env)
    return name


def items_file(tmp_path_factory, n=N_ITEMS):
    path = tmp_path_factory.mktemp("progress-data") / "items.jsonl"
    path.write_text("".join(json.dumps({"itemID": {"S": f"id-{i:05d}"}, "n": {"N": str(i)},
                                        "pad": {"S": "x" * 100}}) + "\n" for i in range(n)))
    return path


@pytest.fixture(scope="module")
def loaded(env, tmp_path_factory):
    """A table of N_ITEMS items, loaded with stderr a pipe; yields (table, their keys)."""
    table = make_table(env)
    path = items_file(tmp_path_factory)
    out, err = run_piped(["items", "load", "--table", table, str(path)], env)
    assert json.loads(out)["written"] == N_ITEMS and err == b""
    yield table, {f"id-{i:05d}" for i in range(N_ITEMS)}


def keys_of(out):
    return {json.loads(line)["itemID"]["S"] for line in out.decode().splitlines()}


# ---- scan ----

def test_scan_on_a_terminal_redraws_one_status_line_and_ends_with_a_summary(env, loaded):
    table, keys = loaded
    rc, out, tty = run_on_tty(["scan", "--table", table, "--limit", "100"], env)
    assert rc == 0, tty
    assert keys_of(out) == keys and len(out.splitlines()) == N_ITEMS
    lines = statuses(tty)
    assert len(lines) >= 2, tty
    counts = []
    for s in lines:
        # dynalite's DescribeTable says ItemCount 0: no percent and no ETA, never nonsense
        m = re.fullmatch(r"scanned ([\d ]+) items(?:, [\d .]+ items/s, [\d .]+ RCU)?", s)
        assert m, s
        counts.append(number(m.group(1)))
    assert counts == sorted(counts) and 0 < counts[-1] <= N_ITEMS and counts[0] < N_ITEMS
    m = SUMMARY_RE.search(tty)
    assert m, tty
    assert re.fullmatch(r"scanned 4 000 items in \d+\.\d s \([\d .]+ items/s, [\d .]+ read "
                        r"capacity units\)", m.group(1)), m.group(1)
    # the summary replaces the status line: one newline in all, at the very end
    assert tty.count("\n") == 1 and tty.endswith("\n")


def test_scan_prints_the_same_items_with_stderr_a_pipe_and_nothing_on_stderr(env, loaded):
    table, keys = loaded
    out_pipe, err = run_piped(["scan", "--table", table, "--limit", "100"], env)
    assert err == b""
    _, out_tty, _ = run_on_tty(["scan", "--table", table, "--limit", "100"], env)
    assert out_pipe == out_tty and keys_of(out_pipe) == keys


def test_items_on_the_same_terminal_get_only_the_summary_line(env, loaded):
    table, keys = loaded
    rc, _, tty = run_on_tty(["scan", "--table", table, "--limit", "100"], env, stdout_too=True)
    assert rc == 0 and "\x1b[K" not in tty      # no status line drawn over the items
    *items, summary = tty.splitlines()
    assert {json.loads(line)["itemID"]["S"] for line in items} == keys
    assert summary.startswith("scanned 4 000 items in "), summary


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_scan_quiet_on_a_terminal_shows_nothing(env, loaded, flag):
    table, keys = loaded
    rc, out, tty = run_on_tty(["scan", "--table", table, "--limit", "100", flag], env)
    assert rc == 0 and tty == "" and keys_of(out) == keys


def test_parallel_scan_with_a_filter_counts_every_segment_and_the_items_kept(env, loaded):
    table, keys = loaded
    rc, out, tty = run_on_tty(["scan", "--table", table, "--segments", "4", "--limit", "100",
                               "--filter", "id-001"], env)
    want = {k for k in keys if "id-001" in k}
    assert rc == 0 and keys_of(out) == want
    for s in statuses(tty):
        assert re.fullmatch(r"scanned [\d ]+ items \([\d ]+ kept\)(?:, .*)?", s), s
    m = SUMMARY_RE.search(tty)
    assert m and m.group(1).startswith(f"scanned 4 000 items ({len(want)} kept) in "), tty


def test_scan_count_shows_progress_and_prints_the_same_count(env, loaded):
    table, _ = loaded
    rc, out, tty = run_on_tty(["scan", "--table", table, "--limit", "100", "--count"], env)
    assert rc == 0 and json.loads(out) == {"table": table, "count": N_ITEMS, "scanned": N_ITEMS}
    assert statuses(tty) and SUMMARY_RE.search(tty)


def test_a_narrow_terminal_gets_status_lines_that_do_not_wrap(env, loaded):
    table, _ = loaded
    for cols in (40, 24):
        rc, _, tty = run_on_tty(["scan", "--table", table, "--limit", "100"], env, cols=cols)
        lines = statuses(tty)
        assert rc == 0 and lines, tty
        assert all(len(s) <= cols - 1 for s in lines), (cols, lines)
        assert all(s.startswith("scanned ") for s in lines)


# ---- items load ----

# Reading the file: the items read, with the percent of a regular file read once its total is
# estimated from its size, the rate and the time left.
READ_RE = r"read ([\d ]+) items(?:, (\d+)% of ~([\d ]+))?(?:, [\d .]+ items/s)?(?:, ETA \d+:\d\d)?"

def test_items_load_on_a_terminal_shows_percent_of_the_file_and_a_summary(env, tmp_path_factory):
    table = make_table(env)
    path = items_file(tmp_path_factory)
    rc, out, tty = run_on_tty(["items", "load", "--table", table, "--parallel", "1", str(path)],
                              env)
    assert rc == 0, tty
    summary = json.loads(out)
    assert set(summary) == {"table", "items", "written", "seconds", "capacity_units"}
    assert summary["items"] == summary["written"] == N_ITEMS
    assert summary["capacity_units"] >= N_ITEMS   # at least one write unit an item
    lines = statuses(tty)
    # the steps in turn: reading the file, checking the keys, writing
    steps = [s.split(" ")[0] for s in lines]
    assert steps == sorted(steps, key=["read", "checked", "wrote"].index), steps
    wrote = [s for s in lines if s.startswith("wrote ")]
    assert len(wrote) >= 2, tty
    for s in wrote:
        m = re.fullmatch(r"wrote ([\d ]+) items, (\d+)% of 4 000(?:, [\d .]+ items/s, "
                         r"[\d .]+ WCU(?:, ETA \d+:\d\d)?)?", s)
        assert m, s
        assert int(m.group(2)) == number(m.group(1)) * 100 // N_ITEMS
    for s in lines[:-len(wrote)]:
        assert re.fullmatch(READ_RE + r"|checked the keys of [\d ]+ items, \d+% of 4 000(?:, .*)?", s), s
    m = SUMMARY_RE.search(tty)
    assert m and re.fullmatch(r"wrote 4 000 items in \d+\.\d s \([\d .]+ items/s, [\d .]+ write "
                              r"capacity units\)", m.group(1)), tty
    assert tty.count("\n") == 1


def test_a_long_file_shows_reading_and_its_bad_line_starts_on_its_own_line(env, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps({"itemID": {"S": f"id-{i:06d}"}, "pad": {"S": "x" * 200}})
                            + "\n" for i in range(40000)) + "{not json\n")
    rc, out, tty = run_on_tty(["items", "load", "--table", "whatever", str(path)], env)
    assert rc == 1 and out == b""
    lines = statuses(tty)
    assert lines and all(re.fullmatch(READ_RE, s) for s in lines), tty
    # the percent of the file read, its items estimated from the bytes per item so far
    estimates = [re.fullmatch(READ_RE, s) for s in lines if "% of ~" in s]
    assert estimates, tty
    for m in estimates:
        assert 39000 <= number(m.group(3)) <= 41000, m.group(0)
        assert int(m.group(2)) == min(99, number(m.group(1)) * 100 // number(m.group(3)))
    _, sep, error = tty.rpartition("\x1b[K\n")
    assert sep and error.startswith(f"showtablectl: {path}:40001: not valid JSON"), tty
    assert "\r" not in error


@pytest.mark.parametrize("how", ["pipe", "-q", "--quiet"])
def test_items_load_with_stderr_a_pipe_or_quiet_shows_nothing(env, tmp_path_factory, how):
    table = make_table(env)
    path = items_file(tmp_path_factory, 600)
    if how == "pipe":
        out, err = run_piped(["items", "load", "--table", table, str(path)], env)
        assert err == b""
    else:
        rc, out, tty = run_on_tty(["items", "load", "--table", table, how, str(path)], env)
        assert rc == 0 and tty == ""
    assert json.loads(out)["written"] == 600


def test_a_bad_progress_interval_is_a_usage_error(env):
    e = dict(env, SHOWTABLE_PROGRESS_MS="soon")
    _, err = run_piped(["scan", "--table", "whatever"], e, rc=2)
    assert b"SHOWTABLE_PROGRESS_MS" in err and b"milliseconds" in err


# ---- a scripted DynamoDB: an ItemCount, failures, a slow table ----

class PagedTable(FakeServer):
    """DynamoDB answering DescribeTable with item_count and Scan with pages of page_size of
    `items` items, each after `delay` seconds, 0.5 capacity units a page when asked; page
    fail_at (if any) is a ValidationException. Records the Scan requests."""

    def __init__(self, items, page_size, item_count, delay=0.0, fail_at=None):
        super().__init__(methods=("POST",))
        self.items, self.page_size, self.item_count = items, page_size, item_count
        self.delay, self.fail_at, self.scans = delay, fail_at, []

    def _handle(self, h):
        body = json.loads(h.raw or b"{}")
        op = h.headers.get("X-Amz-Target", "").split(".")[-1]
        if op == "DescribeTable":
            return h.send_json(200, {"Table": {"TableName": body["TableName"],
                                               "TableStatus": "ACTIVE",
                                               "ItemCount": self.item_count}},
                               ctype="application/x-amz-json-1.0")
        self.scans.append(body)
        start = int(body.get("ExclusiveStartKey", {}).get("itemID", {}).get("S", "-1")) + 1
        page = start // self.page_size
        time.sleep(self.delay)
        if page == self.fail_at:
            return h.send_json(400, {"__type": "com.amazon.coral.validate#ValidationException",
                                     "message": "the scripted failure"},
                               ctype="application/x-amz-json-1.0")
        rows = [{"itemID": {"S": str(i)}} for i in range(start, min(start + self.page_size,
                                                                     self.items))]
        reply = {"Items": rows, "Count": len(rows), "ScannedCount": len(rows)}
        if body.get("ReturnConsumedCapacity") == "TOTAL":
            reply["ConsumedCapacity"] = {"TableName": body["TableName"], "CapacityUnits": 0.5}
        if start + self.page_size < self.items:
            reply["LastEvaluatedKey"] = {"itemID": {"S": str(start + self.page_size - 1)}}
        h.send_json(200, reply, ctype="application/x-amz-json-1.0")


@pytest.fixture
def scripted(tmp_path):
    e = fake_aws_env(tmp_path)
    e["SHOWTABLE_PROGRESS_MS"] = "10"
    return e


def test_percent_and_eta_come_from_the_item_count_and_stop_at_99_before_the_end(scripted):
    # ItemCount is an estimate: here 1 000 for a table that holds 1 200
    with PagedTable(items=1200, page_size=50, item_count=1000, delay=0.03) as ddb:
        scripted["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.url
        rc, out, tty = run_on_tty(["scan", "--table", "tbl"], scripted)
    assert rc == 0 and len(out.splitlines()) == 1200
    percents = []
    for s in statuses(tty):
        m = re.fullmatch(r"scanned ([\d ]+) items, (\d+)% of ~1 000(?:, [\d .]+ items/s, "
                         r"([\d .]+) RCU(, ETA \d+:\d\d)?)?", s)
        assert m, s
        done, pct = number(m.group(1)), int(m.group(2))
        assert pct == min(99, done * 100 // 1000)
        if done:
            assert (m.group(4) is not None) == (done < 1000)      # no ETA past the estimate
            # 0.5 a page; a page's units may be counted a moment after its items
            units = float(m.group(3).replace(" ", ""))
            assert done / 50 * 0.5 - 0.5 <= units <= done / 50 * 0.5, s
        percents.append(pct)
    assert percents and 99 in percents and any(p < 99 for p in percents), tty
    assert any("ETA" in s for s in statuses(tty))
    m = SUMMARY_RE.search(tty)
    assert m and m.group(1).startswith("scanned 1 200 items in ") and \
        m.group(1).endswith(", 12 read capacity units)"), tty
    # capacity is asked for only when it is shown
    assert all(b.get("ReturnConsumedCapacity") == "TOTAL" for b in ddb.scans)


def test_with_stderr_a_pipe_the_requests_are_as_before(scripted):
    with PagedTable(items=120, page_size=50, item_count=1000) as ddb:
        scripted["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.url
        out, err = run_piped(["scan", "--table", "tbl"], scripted)
    assert err == b"" and len(out.splitlines()) == 120
    assert len(ddb.scans) == 3 and all("ReturnConsumedCapacity" not in b for b in ddb.scans)


def test_an_error_mid_scan_starts_on_its_own_line(scripted):
    with PagedTable(items=5000, page_size=50, item_count=5000, delay=0.03, fail_at=8) as ddb:
        scripted["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.url
        rc, out, tty = run_on_tty(["scan", "--table", "tbl"], scripted)
    assert rc == 1 and statuses(tty), tty
    head, sep, error = tty.rpartition("\x1b[K\n")
    assert sep and error.startswith("showtablectl: scan") and "the scripted failure" in error
    assert "\r" not in error and "scanned" not in error     # no summary after a failure


def test_ctrl_c_ends_the_status_line_before_the_program_dies(scripted):
    with PagedTable(items=100000, page_size=50, item_count=100000, delay=0.02) as ddb:
        scripted["AWS_ENDPOINT_URL_DYNAMODB"] = ddb.url
        rc, _, tty = run_on_tty(["scan", "--table", "tbl"], scripted, interrupt_after_lines=3)
    assert rc == -signal.SIGINT, tty
    assert len(statuses(tty)) >= 3
    assert tty.endswith("\x1b[K\n"), repr(tty[-200:])

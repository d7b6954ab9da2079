"""localrun.py — starts scripts/run-local.sh (what `make run` runs) for a test and stops it.

The script runs in its own process group with its data folder under the test's tmp_path and
the server on a free port; start() waits for the banner and returns the URL and the password
it printed. stop() sends SIGINT to the whole group, as Ctrl-C in a terminal does.
"""
import base64
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

from conftest import BUILD, ROOT, SAN, free_port

SCRIPT = os.path.join(ROOT, "scripts", "run-local.sh")
BANNER = re.compile(r"running at\s+(http://\S+/)\s.*?user:\s+(\S+)\s.*?password:\s+(\S+)", re.S)


class LocalRun:
    def __init__(self, tmp_path, port=None, local_dir=None, env=None):
        self.extra_env = dict(env or {})
        self.port = port or free_port()
        self.local = str(local_dir or (tmp_path / "local"))
        self.out_path = tmp_path / f"run-local-{self.port}.out"
        self.err_path = tmp_path / f"run-local-{self.port}.err"
        self.proc = None
        self.url = self.user = self.password = None

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({
            "BUILD": BUILD,
            "SHOWTABLE_LISTEN": f"127.0.0.1:{self.port}",
            "SHOWTABLE_LOCAL_DIR": self.local,
        })
        env.pop("RESET", None)
        env.update(self.extra_env)
        if SAN:
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
            env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        return env

    def start(self, timeout=90.0):
        """Starts the script; returns once the banner is printed (or raises with its output)."""
        self.proc = subprocess.Popen(
            [SCRIPT], cwd=ROOT, env=self.env(), start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=open(self.out_path, "wb"),
            stderr=open(self.err_path, "wb"))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = BANNER.search(self.stderr())
            if m:
                self.url, self.user, self.password = m.group(1), m.group(2), m.group(3)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"run-local.sh printed no banner (exit {self.proc.poll()}):\n"
                             f"{self.stderr()}\n--- stdout ---\n{self.stdout()[-3000:]}")

    def stderr(self):
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""

    def stdout(self):
        return self.out_path.read_text(errors="replace") if self.out_path.exists() else ""

    def get(self, path, auth=True, password=None):
        """GET path; returns (status, body bytes)."""
        req = urllib.request.Request(self.url.rstrip("/") + path)
        if auth:
            token = f"{self.user}:{password or self.password}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def sanitizer_reports(self):
        """ASan/UBSan/LSan reports the server (or showtablectl) wrote, if any."""
        text = self.stderr() + self.stdout()
        marks = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
        return [line for line in text.splitlines() if any(m in line for m in marks)]

    def group_pids(self):
        """Processes still in the script's process group."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid and fields[0] != "Z":
                pids.append(int(d))
        return pids

    def interrupt(self, timeout=30.0):
        """Ctrl-C: SIGINT to the whole process group; waits for the script to exit."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("run-local.sh did not stop within "
                                 f"{timeout}s of SIGINT:\n{self.stderr()}")

    def kill(self):
        """Last resort for a failed test: nothing may be left running."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

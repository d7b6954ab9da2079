"""The benchmark scripts in bench/ as `make bench` runs them: they end with status 0 after a
successful run and leave nothing behind (no process, no temporary folder). The numbers
themselves are not checked here: they depend on the machine.
"""
import os
import subprocess

from conftest import BUILD, ROOT, SAN


def test_scan_bench_exits_0_and_removes_its_temporary_folder(tmp_path):
    # A small table and one run: the measuring is the same, only shorter.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"BUILD": BUILD, "ITEMS": "300", "TMPDIR": str(tmp_path)})
    if SAN:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    p = subprocess.run([os.path.join(ROOT, "bench", "scan_bench.sh"), "1"], env=env,
                       capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    assert "Full scan of 300 items" in p.stdout
    assert "| 4 | showtablectl |" in p.stdout
    assert os.listdir(tmp_path) == []   # the EXIT trap got as far as removing its folder

"""awscall.py — runs build/tools/awscall (the AWS client library's test driver) from pytest.

    out = awscall(build_dir, env, "ssm-get", "/app/x", "--decrypt")
    out["ok"], out["result"], out["error"]["kind"], out["elapsed_ms"]
"""
import json
import os
import subprocess


def awscall(build_dir, env, *args, timeout=60):
    exe = os.path.join(build_dir, "tools", "awscall")
    if not os.path.exists(exe):
        raise AssertionError(f"{exe} is not built: run make first")
    p = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode not in (0, 1):
        raise AssertionError(f"awscall {args} exited {p.returncode}\nstdout: {p.stdout}\n"
                             f"stderr: {p.stderr}")
    lines = p.stdout.strip().splitlines()
    if len(lines) != 1:
        raise AssertionError(f"awscall {args}: expected one JSON line, got {p.stdout!r}\n"
                             f"stderr: {p.stderr}")
    out = json.loads(lines[0])
    assert out["ok"] == (p.returncode == 0)
    if p.stderr.strip():
        # Sanitizer reports and stray prints are failures, not noise.
        raise AssertionError(f"awscall {args} wrote to stderr:\n{p.stderr}")
    return out

"""test_browser.py — the browser test: headless Chromium (Debian's, driven by playwright-core)
against the demo as `make run` starts it (dynalite + demo items + server). The steps and
checks are in tests/browser/browse.js; screenshots land in the build folder
(screenshot-results.png, -item, -page2, -phone, -dark).
"""
import json
import os
import subprocess

import pytest

from conftest import BUILD, ROOT, binary
from localrun import LocalRun

CHROMIUM = "/usr/bin/chromium"
SCRIPT = os.path.join(ROOT, "tests", "browser", "browse.js")


def test_browser_logs_in_scans_pages_filters_and_saves_screenshots(tmp_path):
    binary("showtable")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run scripts/install-deps.sh")
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "playwright-core")):
        pytest.fail("playwright-core is not installed: run scripts/install-deps.sh (npm ci)")
    shot = os.path.join(BUILD, "screenshot-results.png")
    if os.path.exists(shot):
        os.unlink(shot)
    run = LocalRun(tmp_path)
    try:
        run.start()
        env = dict(os.environ, SHOWTABLE_URL=run.url, SHOWTABLE_USER=run.user,
                   SHOWTABLE_PASSWORD=run.password, SCREENSHOT_DIR=BUILD,
                   CHROMIUM=CHROMIUM, HOME=str(tmp_path))
        p = subprocess.run(["node", SCRIPT], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=240)
        assert p.returncode == 0, f"{p.stderr}\n--- server log tail ---\n{run.stdout()[-2000:]}"
        facts = json.loads(p.stdout.strip().splitlines()[-1])
        attr_filtered = facts.pop("attrFiltered")
        assert facts == {"ok": True, "page1": 100, "page2": 100, "total": 300, "filtered": 100}
        assert 0 < attr_filtered <= 100
        assert os.path.getsize(shot) > 10000
        run.interrupt()
        assert run.group_pids() == []
        assert run.sanitizer_reports() == []
    finally:
        run.kill()

"""scripts/install-deps.sh and scripts/find-aws-tools.sh, run on a copy of the scripts with
stand-ins on PATH for the system commands (apt-get, dpkg, dpkg-query, npm, python3): what they
are asked to do is recorded, nothing is installed or configured.

The Python that find-aws-tools.sh asks is a shell stand-in for the order of the search; the
check it runs (package metadata against scripts/aws-tools.txt) is tested with Debian's real
python3 and made-up installed distributions.
"""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPTS = ("install-deps.sh", "find-aws-tools.sh", "aws-tools.txt")

# A Python stand-in: `-c CODE PINS` (the check) succeeds, printing its own path, only when the
# file "fits" is beside it; `-m venv DIR` makes DIR/bin/python3 (another stand-in, without
# "fits"); `-m pip install ...` creates "fits". Each call is logged, `-m` ones with arguments.
FAKE_PYTHON = r"""#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
case "$1" in
-c)
	echo "$0 -c" >> "$CALLS"
	[ -f "$here/fits" ] && { echo "$here/$(basename "$0")"; exit 0; }
	echo "moto is not installed" >&2; exit 1 ;;
-m)
	echo "$0 $*" >> "$CALLS"
	case "$2" in
	venv) mkdir -p "$3/bin" && cp "$0" "$3/bin/python3" && rm -f "$3/bin/fits"; exit 0 ;;
	pip) [ -n "$PIP_FAILS" ] && exit 1; touch "$here/fits"; exit 0 ;;
	esac ;;
esac
exit 2
"""


def write_exe(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


class Sandbox:
    """A copy of the repository's scripts with every command they run replaced."""

    def __init__(self, tmp):
        self.repo, self.bin, self.home = tmp / "repo", tmp / "bin", tmp / "home"
        self.calls = tmp / "calls"
        (self.repo / "scripts").mkdir(parents=True)
        for name in SCRIPTS:
            shutil.copy2(os.path.join(ROOT, "scripts", name), self.repo / "scripts" / name)
        # npm ci is up to date: its lock file is not newer than the installed one
        (self.repo / "package-lock.json").write_text("{}")
        (self.repo / "node_modules").mkdir()
        (self.repo / "node_modules" / ".package-lock.json").write_text("{}")
        self.home.mkdir()
        # every Debian package is missing, so the apt-get step runs; dpkg knows arm64 already
        write_exe(self.bin / "dpkg-query", "#!/bin/sh\nexit 1\n")
        write_exe(self.bin / "dpkg", '#!/bin/sh\necho "dpkg $*" >> "$CALLS"\n'
                                     '[ "$1" = --print-foreign-architectures ] && echo arm64\n'
                                     'exit 0\n')
        write_exe(self.bin / "id", "#!/bin/sh\necho 0\n")
        for name in ("apt-get", "npm", "node", "sudo"):
            write_exe(self.bin / name, f'#!/bin/sh\necho "{name} $*" >> "$CALLS"\n')
        self.env = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": str(self.home),
                    "CALLS": str(self.calls), "LANG": "C.UTF-8"}

    def python(self, path, fits):
        write_exe(path, FAKE_PYTHON)
        if fits:
            (path.parent / "fits").touch()
        return path

    def run(self, script, **env):
        e = dict(self.env, **env)
        return subprocess.run([str(self.repo / "scripts" / script)], env=e, cwd=self.repo,
                              capture_output=True, text=True, timeout=60)

    def logged(self, prefix):
        if not self.calls.exists():
            return []
        return [ln for ln in self.calls.read_text().splitlines() if ln.startswith(prefix)]


@pytest.fixture
def box(tmp_path):
    return Sandbox(tmp_path)


# --- apt-get and the dpkg lock


def test_apt_get_waits_for_the_dpkg_lock_instead_of_failing_at_once(box):
    # apt-get fails at once (exit 100) while another process holds the dpkg lock, and waits up
    # to the timeout with this option. The lock is an fcntl lock on /var/lib/dpkg/lock-frontend
    # (flock(1) on that file does not stop apt), and holding it here would stall any apt-get the
    # machine runs meanwhile, so the stand-in records the option instead.
    box.python(box.bin / "python3", fits=True)
    p = box.run("install-deps.sh")
    assert p.returncode == 0, p.stderr
    apt = box.logged("apt-get ")
    assert [a.split()[3] for a in apt] == ["update", "install"], apt
    for call in apt:
        assert call.startswith("apt-get -o DPkg::Lock::Timeout=600 "), call


def test_apt_get_is_not_run_when_every_package_is_installed(box):
    write_exe(box.bin / "dpkg-query", "#!/bin/sh\necho 'install ok installed'\n")
    box.python(box.bin / "python3", fits=True)
    assert box.run("install-deps.sh").returncode == 0
    assert box.logged("apt-get") == []
    assert box.logged("dpkg --add-architecture") == []


# --- the Python that has the AWS test tools


def test_showtable_python_comes_first(box):
    mine = box.python(box.home / "mine" / "python3", fits=True)
    box.python(box.bin / "python3", fits=True)
    p = box.run("find-aws-tools.sh", SHOWTABLE_PYTHON=str(mine))
    assert p.returncode == 0 and p.stdout.strip() == str(mine)


def test_python3_on_path_comes_before_pyenv(box):
    box.python(box.bin / "python3", fits=True)
    box.python(box.home / ".pyenv" / "shims" / "python3", fits=True)
    p = box.run("find-aws-tools.sh")
    assert p.stdout.strip() == str(box.bin / "python3")


def test_pyenv_shim_is_found_without_pyenv_on_path(box):
    box.python(box.bin / "python3", fits=False)
    shim = box.python(box.home / ".pyenv" / "shims" / "python3", fits=True)
    p = box.run("find-aws-tools.sh")
    assert p.returncode == 0 and p.stdout.strip() == str(shim)


def test_a_pyenv_version_is_found_when_the_shim_selects_another(box):
    box.python(box.bin / "python3", fits=False)
    box.python(box.home / ".pyenv" / "shims" / "python3", fits=False)
    box.python(box.home / ".pyenv" / "versions" / "3.10.13" / "bin" / "python3", fits=False)
    good = box.python(box.home / ".pyenv" / "versions" / "3.11.7" / "bin" / "python3", fits=True)
    p = box.run("find-aws-tools.sh")
    assert p.returncode == 0 and p.stdout.strip() == str(good)


def test_without_any_the_failure_lists_each_candidate_and_how_to_get_the_tools(box):
    box.python(box.bin / "python3", fits=False)
    p = box.run("find-aws-tools.sh", SHOWTABLE_PYTHON="/nonexistent/python3")
    assert p.returncode == 1 and p.stdout == ""
    assert "moto[server]==5.2.1 cfn-lint==1.51.0" in p.stderr
    assert "/nonexistent/python3: not found" in p.stderr
    assert f"{box.bin / 'python3'}: moto is not installed" in p.stderr
    assert f"{box.home}/.pyenv/shims/python3: not found" in p.stderr
    assert "scripts/install-deps.sh" in p.stderr and "SHOWTABLE_PYTHON" in p.stderr


def test_install_deps_keeps_a_python_that_has_the_tools(box):
    box.python(box.home / ".pyenv" / "shims" / "python3", fits=True)
    box.python(box.bin / "python3", fits=False)
    assert box.run("install-deps.sh").returncode == 0
    assert not (box.repo / ".local" / "venv").exists()
    assert not [c for c in box.logged(str(box.bin)) if " -m " in c]


def test_install_deps_fills_a_venv_by_pinned_name_never_the_system_python(box):
    system = box.python(box.bin / "python3", fits=False)
    p = box.run("install-deps.sh")
    assert p.returncode == 0, p.stderr
    venv_python = box.repo / ".local" / "venv" / "bin" / "python3"
    assert f"{system} -m venv .local/venv" in box.logged(str(system))
    assert not [c for c in box.logged(str(system)) if "pip" in c]
    pip = [c for c in box.logged(".local/venv/bin/python3 -m pip")]
    assert pip and pip[0].endswith("install -q --disable-pip-version-check "
                                   "-r scripts/aws-tools.txt"), pip
    # the next search finds the venv, and a second run installs nothing
    p = box.run("find-aws-tools.sh")
    assert p.returncode == 0 and p.stdout.strip() == str(venv_python)
    box.calls.unlink()
    assert box.run("install-deps.sh").returncode == 0
    assert [c for c in box.logged("") if " -m " in c] == []


def test_install_deps_goes_on_when_pip_fails_and_the_search_says_how(box):
    box.python(box.bin / "python3", fits=False)
    p = box.run("install-deps.sh", PIP_FAILS="1")
    assert p.returncode == 0       # `make run` does not need them
    assert "could not install them" in p.stderr
    p = box.run("find-aws-tools.sh")
    assert p.returncode == 1 and "scripts/install-deps.sh" in p.stderr


# --- the check itself, with a real Python and made-up installed distributions


def dist(site, name, version, requires=()):
    d = site / f"{name.replace('-', '_')}-{version}.dist-info"
    d.mkdir(parents=True)
    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    (d / "METADATA").write_text("\n".join(meta) + "\n")


def check_with(tmp_path, dists):
    site = tmp_path / "site"
    site.mkdir()
    for d in dists:
        dist(site, *d)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(site),
           "SHOWTABLE_PYTHON": sys.executable}
    return subprocess.run([os.path.join(ROOT, "scripts", "find-aws-tools.sh")], env=env,
                          capture_output=True, text=True, timeout=60)


MOTO = ("moto", "5.2.1", ['boto3>=1.9.201', 'flask!=2.2.0,!=2.2.1; extra == "server"',
                          'flask-cors; extra == "server"', 'docker>=3.0.0; extra == "ecs"'])


def test_check_accepts_the_pinned_versions_with_the_server_extra(tmp_path):
    p = check_with(tmp_path, [MOTO, ("cfn-lint", "1.51.0"), ("flask", "3.0.0"),
                              ("flask-cors", "4.0.0")])
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == sys.executable


def test_check_refuses_another_version(tmp_path):
    p = check_with(tmp_path, [("moto", "5.1.0"), ("cfn-lint", "1.51.0")])
    assert p.returncode == 1
    assert f"{sys.executable}: moto is 5.1.0, not 5.2.1" in p.stderr


def test_check_refuses_moto_without_its_server(tmp_path):
    p = check_with(tmp_path, [MOTO, ("cfn-lint", "1.51.0"), ("flask", "3.0.0")])
    assert p.returncode == 1
    assert "moto[server] needs flask-cors, which is not installed" in p.stderr

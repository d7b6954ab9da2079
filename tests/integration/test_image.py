"""`showtablectl image build|push`: a reproducible OCI image without Docker, read back by
skopeo, pushed to Debian's docker-registry (no auth and htpasswd basic auth), to a fake
registry with injected faults and token auth, and to a fake ECR control plane whose
authorization token opens a local registry; the pulled image runs in a chroot.
"""
import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import uuid

import pytest

from conftest import (BUILD, FAKE_KEY_ID, FAKE_SECRET, ROOT, SAN, binary, free_port, stop,
                      wait_port)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "fakes"))
from fake_ecr import FakeECR  # noqa: E402

EPOCH = 1700000000
FAKES = os.path.join(os.path.dirname(__file__), "fakes")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
SBOM_TYPE = "application/vnd.cyclonedx+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
SERVER_COPY = [None]  # the server binary, copied once so a rebuild meanwhile changes nothing


def base_env(tmp):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "SOURCE_DATE_EPOCH": str(EPOCH),
        "SHOWTABLE_SOURCE": "https://example.invalid/showtable.git",
        "SHOWTABLE_REVISION": "0123456789abcdef0123456789abcdef01234567",
        "SHOWTABLE_REGISTRY_RETRY_MS": "20",
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.path.join(tmp, "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    if SAN:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


def ctl(args, env, stdin=None, timeout=180):
    return subprocess.run([binary("showtablectl")] + args, env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def build(out, env, extra=(), exe=None):
    t0 = time.monotonic()
    r = ctl(["image", "build", "--binary", exe or SERVER_COPY[0], "--out", out] + list(extra), env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip(), time.monotonic() - t0, r.stderr


def blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest[7:]), "rb") as f:
        return f.read()


def read_layout(layout, arch="amd64"):
    """(the image index or manifest index.json names, arch's manifest, its config); a
    layout skopeo pulled for one platform has the manifest itself in index.json."""
    idx = json.load(open(os.path.join(layout, "index.json")))
    top = json.loads(blob(layout, idx["manifests"][0]["digest"]))
    man = top
    if top.get("mediaType") == OCI_INDEX:
        d = [m for m in top["manifests"] if m["platform"]["architecture"] == arch][0]
        man = json.loads(blob(layout, d["digest"]))
    cfg = json.loads(blob(layout, man["config"]["digest"]))
    return top, man, cfg


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("image")
    env = base_env(str(d))
    SERVER_COPY[0] = str(d / "showtable")
    shutil.copy2(binary("showtable"), SERVER_COPY[0])
    out = str(d / "layout")
    digest, seconds, log = build(out, env)
    return {"out": out, "tar": out + ".tar", "digest": digest, "seconds": seconds, "log": log,
            "env": env, "dir": d}


# ---- build ------------------------------------------------------------------------------------

def test_build_twice_gives_the_same_digest_and_the_same_tar(built, tmp_path):
    digest2, _, _ = build(str(tmp_path / "again"), built["env"])
    assert DIGEST_RE.match(built["digest"])
    assert digest2 == built["digest"]
    with open(built["tar"], "rb") as a, open(str(tmp_path / "again") + ".tar", "rb") as b:
        assert hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest()


def test_another_timestamp_gives_another_digest(built, tmp_path):
    env = dict(built["env"], SOURCE_DATE_EPOCH=str(EPOCH + 1))
    digest, _, _ = build(str(tmp_path / "t1"), env, ["--no-tar"])
    assert digest != built["digest"]


def test_build_reports_digest_sizes_and_time(built):
    log = built["log"]
    assert built["digest"] in log
    assert re.search(r"total [0-9.]+ MB compressed, [0-9.]+ MB uncompressed\n", log)
    assert re.search(r"SBOM sha256:[0-9a-f]{64} \(CycloneDX 1.5\): [0-9]+ files", log)
    assert re.search(r"built in [0-9.]+ s", log)
    print(f"\nimage build: {built['seconds']:.2f} s\n{log}")


def test_layout_is_read_by_skopeo_inspect_and_copy(built, tmp_path):
    r = subprocess.run(["skopeo", "inspect", "oci:" + built["out"]], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["Digest"] == built["digest"]
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert info["Labels"]["org.opencontainers.image.revision"] == "0123456789abcdef0123456789abcdef01234567"
    for dest in ("docker-archive:" + str(tmp_path / "d.tar") + ":showtable:test",
                 "dir:" + str(tmp_path / "dir"),
                 "oci-archive:" + str(tmp_path / "o.tar")):
        r = subprocess.run(["skopeo", "copy", "-q", "oci:" + built["out"], dest],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (dest, r.stderr)
    # The .tar we wrote is itself an OCI archive skopeo reads.
    r = subprocess.run(["skopeo", "inspect", "oci-archive:" + built["tar"]], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Digest"] == built["digest"]
    # ... and, through its manifest.json, a Docker archive (what `docker load` reads)
    r = subprocess.run(["skopeo", "inspect", "--config", "docker-archive:" + built["tar"]],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["config"]["Entrypoint"] == ["/showtable"]


def test_manifest_config_and_index_follow_the_oci_image_spec(built):
    out = built["out"]
    assert json.load(open(os.path.join(out, "oci-layout"))) == {"imageLayoutVersion": "1.0.0"}
    layout_idx = json.load(open(os.path.join(out, "index.json")))
    assert layout_idx["manifests"][0]["mediaType"] == OCI_INDEX
    assert layout_idx["manifests"][0]["digest"] == built["digest"]
    assert layout_idx["manifests"][0]["size"] == len(blob(out, built["digest"]))
    idx, man, cfg = read_layout(out)
    assert idx["schemaVersion"] == 2 and idx["mediaType"] == OCI_INDEX
    image, sbom = idx["manifests"]
    assert image["mediaType"] == OCI_MANIFEST
    assert image["platform"] == {"architecture": "amd64", "os": "linux"}
    assert image["size"] == len(blob(out, image["digest"]))
    # the SBOM: an artifact whose subject is the image, never picked by a pull
    assert sbom["artifactType"] == SBOM_TYPE
    assert sbom["platform"] == {"architecture": "unknown", "os": "unknown"}
    art = json.loads(blob(out, sbom["digest"]))
    assert art["subject"]["digest"] == image["digest"] and art["artifactType"] == SBOM_TYPE
    assert art["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert blob(out, art["config"]["digest"]) == b"{}"
    assert man["schemaVersion"] == 2 and man["mediaType"] == OCI_MANIFEST
    assert man["config"]["mediaType"] == OCI_CONFIG
    assert len(man["layers"]) == 2
    for d in [man["config"]] + man["layers"]:
        data = blob(out, d["digest"])
        assert DIGEST_RE.match(d["digest"])
        assert "sha256:" + hashlib.sha256(data).hexdigest() == d["digest"]
        assert len(data) == d["size"]
    for layer, diff_id in zip(man["layers"], cfg["rootfs"]["diff_ids"]):
        assert layer["mediaType"] == OCI_LAYER
        raw = gzip.decompress(blob(out, layer["digest"]))
        assert "sha256:" + hashlib.sha256(raw).hexdigest() == diff_id
    assert cfg["architecture"] == "amd64" and cfg["os"] == "linux"
    assert cfg["rootfs"]["type"] == "layers" and len(cfg["rootfs"]["diff_ids"]) == 2
    assert cfg["created"] == "2023-11-14T22:13:20Z"
    c = cfg["config"]
    assert c["Entrypoint"] == ["/showtable"]
    assert c["User"] == "10001:10001"
    assert c["ExposedPorts"] == {"8080/tcp": {}}
    env = dict(e.split("=", 1) for e in c["Env"])
    assert env["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert env["SHOWTABLE_ASSETS"] == "/usr/share/showtable/web"
    lab = c["Labels"]
    assert lab["org.opencontainers.image.source"] == "https://example.invalid/showtable.git"
    assert lab["org.opencontainers.image.revision"] == "0123456789abcdef0123456789abcdef01234567"
    assert lab["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z"
    assert len(cfg["history"]) == 2
    # docker load's manifest.json names the same blobs
    dm = json.load(open(os.path.join(out, "manifest.json")))
    assert dm[0]["Config"] == "blobs/sha256/" + man["config"]["digest"][7:]
    assert dm[0]["Layers"] == ["blobs/sha256/" + l["digest"][7:] for l in man["layers"]]


def layer_members(layout, i):
    _, man, _ = read_layout(layout)
    raw = gzip.decompress(blob(layout, man["layers"][i]["digest"]))
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def test_layers_are_sorted_with_fixed_times_owners_and_modes(built):
    for i in (0, 1):
        members = layer_members(built["out"], i)
        names = [m.name.rstrip("/") for m, _ in members]
        assert names == sorted(names)
        for m, _ in members:
            assert m.mtime == EPOCH, m.name
            assert m.uname == "" and m.gname == ""
            if m.name.rstrip("/") == "home/showtable":
                assert (m.uid, m.gid) == (10001, 10001)
            else:
                assert (m.uid, m.gid) == (0, 0), m.name
            assert m.isdir() or m.isfile(), m.name
            if m.isdir():
                want = 0o1777 if m.name.rstrip("/") == "tmp" else 0o755
                assert m.mode == want, m.name
            else:
                assert m.mode in (0o644, 0o755), m.name
            # every parent directory is listed before its children
            parent = os.path.dirname(m.name.rstrip("/"))
            if parent:
                assert parent in names[:names.index(m.name.rstrip("/"))]


def test_layer1_has_user_files_and_no_shell(built):
    files = {m.name.rstrip("/"): (m, data) for m, data in layer_members(built["out"], 0)}
    assert files["showtable"][0].mode == 0o755
    assert b"showtable:x:10001:10001:" in files["etc/passwd"][1]
    assert b"showtable:x:10001:" in files["etc/group"][1]
    assert files["tmp"][0].isdir()
    with open("/etc/ssl/certs/ca-certificates.crt", "rb") as f:
        assert files["etc/ssl/certs/ca-certificates.crt"][1] == f.read()
    with open(SERVER_COPY[0], "rb") as f:
        assert files["showtable"][1] == f.read()
    for sh in ("bin/sh", "bin/bash", "usr/bin/sh", "usr/bin/apt", "usr/bin/dpkg"):
        assert sh not in files
    l2 = {m.name.rstrip("/") for m, _ in layer_members(built["out"], 1)}
    assert "usr/share/showtable/web/css/showtable.css" in l2
    assert any(n.startswith("usr/share/showtable/infra/") and n.endswith(".yaml") for n in l2)


def test_layer1_holds_exactly_the_libraries_ldd_finds(built):
    """The closure read from the ELF dynamic sections equals what the real loader loads."""
    r = subprocess.run(["ldd", SERVER_COPY[0]], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    want = set()
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m:
            want.add(m.group(1))
    files = {m.name for m, _ in layer_members(built["out"], 0) if m.isfile()}
    libs = {os.path.basename(n) for n in files if n.startswith("lib/x86_64-linux-gnu/")}
    assert libs == want - {"ld-linux-x86-64.so.2"}
    assert "lib64/ld-linux-x86-64.so.2" in files


def test_binary_missing_is_a_clear_error(built, tmp_path):
    r = ctl(["image", "build", "--binary", str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
            built["env"])
    assert r.returncode == 1
    assert "nope" in r.stderr and "--binary" in r.stderr


def test_non_elf_binary_is_a_clear_error(built, tmp_path):
    p = tmp_path / "script"
    p.write_text("#!/bin/sh\necho hi\n")
    r = ctl(["image", "build", "--binary", str(p), "--out", str(tmp_path / "o")], built["env"])
    assert r.returncode == 1
    assert "not a usable ELF64 file" in r.stderr
    assert not (tmp_path / "o").exists()


def test_out_dir_that_is_not_a_layout_is_left_alone(built, tmp_path):
    d = tmp_path / "precious"
    d.mkdir()
    (d / "keep.txt").write_text("mine")
    r = ctl(["image", "build", "--binary", SERVER_COPY[0], "--out", str(d), "--no-tar"],
            built["env"])
    assert r.returncode == 1
    assert "not an OCI layout" in r.stderr
    assert (d / "keep.txt").read_text() == "mine"


def test_installed_build_writes_under_the_current_directory(built, tmp_path):
    """After `make install`, showtablectl sits in bin/ beside showtable, with the assets in
    share/showtable: the image goes to ./build/image(.tar) where it is run, as --help says."""
    prefix, work = tmp_path / "prefix", tmp_path / "work"
    (prefix / "bin").mkdir(parents=True)
    work.mkdir()
    shutil.copy2(binary("showtablectl"), prefix / "bin" / "showtablectl")
    shutil.copy2(SERVER_COPY[0], prefix / "bin" / "showtable")
    for d in ("web", "infra"):
        shutil.copytree(os.path.join(ROOT, d), prefix / "share" / "showtable" / d)
    r = subprocess.run([str(prefix / "bin" / "showtablectl"), "image", "build"], env=built["env"],
                       cwd=work, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == built["digest"]
    assert (work / "build" / "image" / "oci-layout").is_file()
    assert (work / "build" / "image.tar").is_file()
    assert sorted(os.listdir(prefix / "bin")) == ["showtable", "showtablectl"]
    assert "under\nthe current directory" in ctl(["image", "--help"], built["env"]).stdout


# ---- local docker-registry ---------------------------------------------------------------------

@contextlib.contextmanager
def docker_registry(tmp, htpasswd=None):
    exe = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not os.path.exists(exe):
        pytest.fail("docker-registry is not installed: run scripts/install-deps.sh")
    port = free_port()
    os.makedirs(os.path.join(tmp, "data"), exist_ok=True)
    auth = ""
    if htpasswd:
        user, password = htpasswd
        line = subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True,
                              text=True, check=True).stdout.strip()
        with open(os.path.join(tmp, "htpasswd"), "w") as f:
            f.write(line + "\n")
        auth = (f"auth:\n  htpasswd:\n    realm: test-registry\n"
                f"    path: {os.path.join(tmp, 'htpasswd')}\n")
    cfg = os.path.join(tmp, "config.yml")
    with open(cfg, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\n"
                f"storage:\n  filesystem:\n    rootdirectory: {os.path.join(tmp, 'data')}\n"
                f"http:\n  addr: 127.0.0.1:{port}\n" + auth)
    log = open(os.path.join(tmp, "registry.log"), "w+")
    proc = subprocess.Popen([exe, "serve", cfg], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc=proc)
        yield port, log.name
    finally:
        stop(proc)
        log.close()


def uploads_in(logfile):
    """Blob uploads started (POST .../blobs/uploads/) according to the access log."""
    with open(logfile) as f:
        return len(re.findall(r'"POST /v2/[^ ]+/blobs/uploads/ HTTP', f.read()))


def skopeo_inspect(ref, creds=None, arch=None):
    cmd = ["skopeo", "inspect", "--tls-verify=false"]
    if creds:
        cmd += ["--creds", creds]
    if arch:
        cmd += ["--override-arch", arch]
    r = subprocess.run(cmd + [ref], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_push_to_local_registry_then_again_uploads_no_blob_twice(built, tmp_path):
    with docker_registry(str(tmp_path)) as (port, log):
        reg = f"127.0.0.1:{port}"
        t0 = time.monotonic()
        r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry", reg,
                 "--insecure-http", "--repository", "showtable"], built["env"])
        seconds = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"{reg}/showtable@{built['digest']}"
        # layer 1, layer 2, config, SBOM, the empty config of the SBOM artifact
        assert uploads_in(log) == 5
        print(f"\nimage push to docker-registry: {seconds:.2f} s\n{r.stderr}")
        info = skopeo_inspect(f"docker://{reg}/showtable@{built['digest']}")
        assert info["Digest"] == built["digest"]
        assert f"sha256-{built['digest'][7:]}" in info["RepoTags"]

        # same tag again: the manifest is there, nothing is uploaded
        r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry", reg,
                 "--insecure-http", "--repository", "showtable"], built["env"])
        assert r.returncode == 0, r.stderr
        assert uploads_in(log) == 5
        assert "nothing to push" in r.stderr
        # another tag: every blob is found by HEAD and skipped
        r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry", reg,
                 "--insecure-http", "--repository", "showtable", "--tag", "v1"], built["env"])
        assert r.returncode == 0, r.stderr
        assert uploads_in(log) == 5
        assert r.stderr.count("exists, skipped") == 5
        assert skopeo_inspect(f"docker://{reg}/showtable:v1")["Digest"] == built["digest"]


def test_push_with_htpasswd_basic_auth_needs_the_login(built, tmp_path):
    with docker_registry(str(tmp_path), htpasswd=("pusher", "s3cret-pw")) as (port, log):
        reg = f"127.0.0.1:{port}"
        args = ["image", "push", "--no-build", "--out", built["out"], "--registry", reg,
                "--insecure-http"]
        r = ctl(args, built["env"])
        assert r.returncode == 1
        assert "asks for a login" in r.stderr and "--username" in r.stderr
        r = ctl(args + ["--username", "pusher", "--password-stdin"], built["env"], "wrong\n")
        assert r.returncode == 1
        assert 'refused the login of user "pusher"' in r.stderr
        assert "wrong" not in r.stderr
        r = ctl(args + ["--username", "pusher", "--password-stdin"], built["env"], "s3cret-pw\n")
        assert r.returncode == 0, r.stderr
        assert "s3cret" not in r.stderr + r.stdout
        info = skopeo_inspect(f"docker://{reg}/showtable@{built['digest']}", "pusher:s3cret-pw")
        assert info["Digest"] == built["digest"]


def test_plain_http_registry_needs_the_insecure_flag(built):
    r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry",
             "http://127.0.0.1:9"], built["env"])
    assert r.returncode == 2
    assert "--insecure-http" in r.stderr


def test_unreachable_registry_is_a_clear_error(built):
    port = free_port()
    r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry",
             f"127.0.0.1:{port}", "--insecure-http"], built["env"])
    assert r.returncode == 1
    assert f"127.0.0.1:{port}" in r.stderr and "is it running" in r.stderr


# ---- the pulled image runs ----------------------------------------------------------------------

def test_pulled_image_runs_in_a_chroot_and_answers_ping(built, tmp_path, dynalite):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (CI runs as root); run the suite as root to check that "
                    "the image's library closure is complete")
    with docker_registry(str(tmp_path / "reg")) as (port, _):
        reg = f"127.0.0.1:{port}"
        r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry", reg,
                 "--insecure-http"], built["env"])
        assert r.returncode == 0, r.stderr
        pulled = str(tmp_path / "pulled")
        r = subprocess.run(["skopeo", "copy", "-q", "--src-tls-verify=false",
                            f"docker://{reg}/showtable@{built['digest']}", "oci:" + pulled],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
    _, man, cfg = read_layout(pulled)
    root = str(tmp_path / "root")
    os.mkdir(root)
    for layer in man["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(pulled, layer["digest"])), mode="r:gz") as t:
            t.extractall(root, numeric_owner=True)
    mounted = False
    if SAN:  # the sanitizer runtime reads /proc/self/maps; a container runtime mounts /proc
        os.makedirs(os.path.join(root, "proc"), exist_ok=True)
        if subprocess.run(["mount", "-t", "proc", "proc", os.path.join(root, "proc")]).returncode:
            pytest.skip("the sanitizer build needs /proc in the chroot and mount failed here")
        mounted = True
    user = cfg["config"]["User"]
    env = dict(e.split("=", 1) for e in cfg["config"]["Env"])
    env.update({k: v for k, v in built["env"].items()
                if k.startswith(("AWS_", "ASAN_", "UBSAN_"))})
    env["AWS_ENDPOINT_URL_DYNAMODB"] = dynalite
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    proc = None
    try:
        r = subprocess.run([chroot, f"--userspec={user}", root] + cfg["config"]["Entrypoint"]
                           + ["--version"], env=env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("showtable ")
        line = subprocess.run(["htpasswd", "-Bbn", "u", "p"], capture_output=True, text=True,
                              check=True).stdout
        with open(os.path.join(root, "tmp", "htpasswd"), "w") as f:
            f.write(line)
        port = free_port()
        proc = subprocess.Popen([chroot, f"--userspec={user}", root]
                                + cfg["config"]["Entrypoint"]
                                + ["--listen", f"127.0.0.1:{port}", "--table", "image-test",
                                   "--htpasswd", "/tmp/htpasswd"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(port, proc=proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=10) as resp:
            assert resp.status == 200
            assert json.loads(resp.read()) == {"message": "pong"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/css/showtable.css",
                                    timeout=10) as resp:
            assert resp.status == 200
    finally:
        stop(proc)
        if mounted:
            subprocess.run(["umount", os.path.join(root, "proc")])


# ---- faults: a fake registry ------------------------------------------------------------------

@contextlib.contextmanager
def fake_registry(*args):
    port = free_port()
    proc = subprocess.Popen([sys.executable, os.path.join(FAKES, "fake_registry.py"), "--port",
                             str(port)] + list(args),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        yield port
    finally:
        stop(proc)


def fake_call(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def push_to_fake(built, port, *extra, stdin=None):
    return ctl(["image", "push", "--no-build", "--out", built["out"], "--registry",
                f"127.0.0.1:{port}", "--insecure-http", "--chunk-size", "1048576"] + list(extra),
               built["env"], stdin)


def assert_complete(built, port):
    """Every blob of the image is stored with its exact bytes, and the manifest is there."""
    st = fake_call(port, "/_state")
    _, man, _ = read_layout(built["out"])
    for d in [man["config"]] + man["layers"]:
        assert st["blobs"].get(d["digest"]) == d["size"]
    assert f"showtable:{built['digest']}" in st["manifests"]


def test_retry_waits_are_drawn_at_random_below_their_ceiling(built):
    """Three pushes meeting the same fault: each reports its retries and the time it waited
    before them, within the ceilings (400 ms doubling per retry of a request, 4 s at most),
    and the waits differ from push to push (full jitter: equal waits would make pushes that
    failed together retry together)."""
    env = dict(built["env"], SHOWTABLE_REGISTRY_RETRY_MS="400")
    waits = []
    for _ in range(3):
        with fake_registry() as port:
            fake_call(port, "/_faults", [{"method": "PATCH", "action": "partial", "count": 1}])
            r = ctl(["image", "push", "--no-build", "--out", built["out"], "--registry",
                     f"127.0.0.1:{port}", "--insecure-http", "--chunk-size", "1048576"], env)
            assert r.returncode == 0, r.stderr
            m = re.search(r"(\d+) retries \(([\d.]+) s waiting\)", r.stderr)
            assert m, r.stderr
            retries, waited = int(m[1]), float(m[2])
            assert retries >= 1
            assert 0 <= waited <= retries * 4.0
            waits.append(waited)
            assert_complete(built, port)
    assert len(set(waits)) > 1, waits


def test_500_mid_upload_is_resumed_and_the_image_is_complete(built):
    with fake_registry() as port:
        # the 3rd chunk of the big layer: half of it is stored, then 500
        fake_call(port, "/_faults", [{"method": "PATCH", "action": "partial", "count": 1}])
        r = push_to_fake(built, port)
        assert r.returncode == 0, r.stderr
        assert re.search(r"[1-9]\d* retries", r.stderr)
        log = fake_call(port, "/_state")["log"]
        # the session was asked how far it got (GET → Range) and continued, not restarted
        assert any(m == "GET" and "/blobs/uploads/" in p for m, p in log)
        assert sum(1 for m, p in log if m == "POST") == 5
        assert_complete(built, port)


def test_500_on_completing_an_upload_is_retried(built):
    with fake_registry() as port:
        fake_call(port, "/_faults", [{"method": "PUT", "path": "/blobs/uploads/", "status": 500,
                                      "count": 2}])
        r = push_to_fake(built, port)
        assert r.returncode == 0, r.stderr
        assert_complete(built, port)


def test_connection_closed_mid_upload_is_retried(built):
    with fake_registry() as port:
        fake_call(port, "/_faults", [{"method": "PATCH", "action": "close", "count": 1},
                                     {"method": "PUT", "path": "/blobs/uploads/",
                                      "action": "close", "count": 1}])
        r = push_to_fake(built, port)
        assert r.returncode == 0, r.stderr
        assert_complete(built, port)


def test_registry_failing_every_upload_fails_cleanly_and_puts_no_manifest(built):
    with fake_registry() as port:
        fake_call(port, "/_faults", [{"method": "PUT", "path": "/blobs/uploads/", "status": 500,
                                      "count": 1000}])
        r = push_to_fake(built, port)
        assert r.returncode == 1
        assert "not uploaded after 4 attempts" in r.stderr
        assert "HTTP 500" in r.stderr
        st = fake_call(port, "/_state")
        assert st["manifests"] == []
        assert not any(m == "PUT" and "/manifests/" in p for m, p in st["log"])


def test_registry_401_says_which_login_is_missing(built):
    with fake_registry("--basic", "ci:pw") as port:
        r = push_to_fake(built, port)
        assert r.returncode == 1
        assert "asks for a login to push to repository showtable" in r.stderr
        r = push_to_fake(built, port, "--username", "ci", "--password-stdin", stdin="bad\n")
        assert r.returncode == 1
        assert 'refused the login of user "ci"' in r.stderr
        assert fake_call(port, "/_state")["manifests"] == []
        r = push_to_fake(built, port, "--username", "ci", "--password-stdin", stdin="pw\n")
        assert r.returncode == 0, r.stderr
        assert_complete(built, port)


def test_registry_403_says_which_permission_is_missing(built):
    with fake_registry() as port:
        fake_call(port, "/_faults", [{"method": "POST", "status": 403, "count": 100}])
        r = push_to_fake(built, port)
        assert r.returncode == 1
        assert "denies" in r.stderr and "push permission" in r.stderr
        assert "ecr:InitiateLayerUpload" in r.stderr
        assert "the registry said: UNKNOWN: injected failure" in r.stderr


def test_bearer_token_auth_is_followed(built):
    with fake_registry("--bearer", "robot:tok-pw") as port:
        r = push_to_fake(built, port, "--username", "robot", "--password-stdin",
                         stdin="tok-pw\n")
        assert r.returncode == 0, r.stderr
        assert_complete(built, port)
        log = fake_call(port, "/_state")["log"]
        assert ["GET", "/token"] in log


# ---- ECR ------------------------------------------------------------------------------------------

@pytest.fixture
def ecr_setup(built, tmp_path):
    password = "ecr-" + uuid.uuid4().hex
    with docker_registry(str(tmp_path / "reg"), htpasswd=("AWS", password)) as (port, log):
        with FakeECR(f"http://127.0.0.1:{port}", password) as ecr:
            env = dict(built["env"], AWS_ENDPOINT_URL_ECR=ecr.url)
            yield ecr, env, port, log, password


def test_push_to_ecr_creates_the_repository_and_pushes_with_the_token(built, ecr_setup):
    ecr, env, port, log, password = ecr_setup
    r = ctl(["--name", "showtable", "image", "push", "--no-build", "--out", built["out"]], env)
    assert r.returncode == 0, r.stderr
    assert ecr.problems == []
    assert ecr.ops() == ["DescribeRepositories", "CreateRepository", "PutLifecyclePolicy",
                         "GetAuthorizationToken"]
    create = ecr.calls[1][1]
    assert create["imageTagMutability"] == "IMMUTABLE"
    assert create["imageScanningConfiguration"] == {"scanOnPush": True}
    pol = json.loads(ecr.repos["showtable"]["lifecyclePolicyText"])
    assert pol["rules"][0]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan",
                                            "countNumber": 10}
    assert r.stdout.strip() == f"127.0.0.1:{port}/showtable@{built['digest']}"
    assert password not in r.stdout + r.stderr
    assert uploads_in(log) == 5
    info = skopeo_inspect(f"docker://127.0.0.1:{port}/showtable@{built['digest']}",
                          f"AWS:{password}")
    assert info["Digest"] == built["digest"]

    # again: the repository exists, the digest too — nothing created, nothing uploaded
    r = ctl(["image", "push", "--no-build", "--out", built["out"], "--keep", "5"], env)
    assert r.returncode == 0, r.stderr
    assert ecr.ops()[4:] == ["DescribeRepositories", "GetAuthorizationToken"]
    assert uploads_in(log) == 5


def test_ecr_create_race_uses_the_existing_repository(built, ecr_setup):
    ecr, env, _, _, _ = ecr_setup
    ecr.race_create = True
    r = ctl(["image", "push", "--no-build", "--out", built["out"], "--repository", "team/app"],
            env)
    assert r.returncode == 0, r.stderr
    assert ecr.ops()[:3] == ["DescribeRepositories", "CreateRepository", "DescribeRepositories"]
    assert "team/app" in ecr.repos
    assert ecr.problems == []


def test_ecr_access_denied_names_the_permission(built, ecr_setup):
    ecr, env, _, _, _ = ecr_setup
    ecr.deny.add("GetAuthorizationToken")
    r = ctl(["image", "push", "--no-build", "--out", built["out"]], env)
    assert r.returncode == 1
    assert "ECR login" in r.stderr and "ecr:GetAuthorizationToken" in r.stderr

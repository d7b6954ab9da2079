"""`showtablectl image build --platform linux/amd64,linux/arm64`: one OCI image index with an
image per platform and an SBOM (CycloneDX 1.5) per image. The arm64 server, cross-built with
`make ARCH=arm64`, runs from its unpacked image under qemu-aarch64-static in a chroot; the
pushed index reads back from docker-registry with skopeo; every SBOM validates against the
published schema (tests/data/sbom) and lists exactly the files of its image's layers.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
import uuid

import pytest

from conftest import ROOT, binary, free_port, stop, wait_port
from server_fixture import load_items
from test_image import (base_env, blob, ctl, docker_registry, fake_call, fake_registry,
                        read_layout, skopeo_inspect, uploads_in)

ARM64_BUILD = os.environ.get("SHOWTABLE_BUILD_ARM64") or os.path.join(ROOT, "build-arm64")
SCHEMAS = os.path.join(ROOT, "tests", "data", "sbom")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SBOM_TYPE = "application/vnd.cyclonedx+json"
REVISION = "0123456789abcdef0123456789abcdef01234567"
EM_AARCH64, EM_X86_64 = 183, 62


def arm64_server():
    exe = os.path.join(ARM64_BUILD, "showtable")
    if not os.path.exists(exe):
        pytest.fail(f"{exe} is missing: build it with `make ARCH=arm64` (after "
                    "scripts/install-deps.sh)")
    return exe


def build_both(env, out, bins, extra=()):
    r = ctl(["image", "build", "--platform", "linux/amd64,linux/arm64",
             "--binary", "amd64=" + bins["amd64"], "--binary", "arm64=" + bins["arm64"],
             "--out", out] + list(extra), env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip(), r.stderr


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    d = tmp_path_factory.mktemp("multi")
    env = base_env(str(d))
    bins = {"amd64": str(d / "showtable-amd64"), "arm64": str(d / "showtable-arm64")}
    shutil.copy2(binary("showtable"), bins["amd64"])
    shutil.copy2(arm64_server(), bins["arm64"])
    out = str(d / "layout")
    digest, log = build_both(env, out, bins)
    return {"out": out, "digest": digest, "env": env, "bins": bins, "dir": d, "log": log}


def index_of(layout):
    idx = json.load(open(os.path.join(layout, "index.json")))
    return json.loads(blob(layout, idx["manifests"][0]["digest"]))


def layer_files(layout, man):
    """{absolute path: sha256} of the regular files of a manifest's layers, and the tar
    members of layer 1."""
    files, first = {}, []
    for i, layer in enumerate(man["layers"]):
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layout, layer["digest"])))) as t:
            for m in t.getmembers():
                if i == 0:
                    first.append(m)
                if m.isfile():
                    files["/" + m.name] = hashlib.sha256(t.extractfile(m).read()).hexdigest()
    return files, first


def sbom_of(layout, arch):
    top = index_of(layout)
    image = [m for m in top["manifests"] if m["platform"]["architecture"] == arch][0]
    for m in top["manifests"]:
        art = json.loads(blob(layout, m["digest"]))
        if art.get("artifactType") == SBOM_TYPE and art["subject"]["digest"] == image["digest"]:
            return json.loads(blob(layout, art["layers"][0]["digest"]))
    raise AssertionError(f"no SBOM for linux/{arch}")


def file_components(comps, owner=None):
    """(path, sha256, owning component) of every file component, however nested."""
    for c in comps:
        if c["type"] == "file":
            yield c["name"], c["hashes"][0]["content"], owner
        yield from file_components(c.get("components", []), c if c["type"] != "file" else owner)


# ---- build ------------------------------------------------------------------------------

def test_two_platforms_build_into_one_index_the_same_every_time(multi, tmp_path):
    digest, _ = build_both(multi["env"], str(tmp_path / "again"), multi["bins"])
    assert digest == multi["digest"]
    with open(multi["out"] + ".tar", "rb") as a, open(str(tmp_path / "again.tar"), "rb") as b:
        assert hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest()


def test_index_lists_an_image_per_platform_then_an_sbom_for_each(multi):
    out = multi["out"]
    top = index_of(out)
    images = [m for m in top["manifests"] if "artifactType" not in m]
    sboms = [m for m in top["manifests"] if m.get("artifactType") == SBOM_TYPE]
    assert [m["platform"] for m in images] == [{"architecture": "amd64", "os": "linux"},
                                               {"architecture": "arm64", "os": "linux"}]
    assert len(sboms) == 2 and len(top["manifests"]) == 4
    subjects = {json.loads(blob(out, s["digest"]))["subject"]["digest"] for s in sboms}
    assert subjects == {m["digest"] for m in images}
    for arch in ("amd64", "arm64"):
        _, man, cfg = read_layout(out, arch)
        assert cfg["architecture"] == arch and cfg["os"] == "linux"
        assert cfg["config"]["Entrypoint"] == ["/showtable"]
    # the assets layer is the same blob in both images
    assert read_layout(out, "amd64")[1]["layers"][1] == read_layout(out, "arm64")[1]["layers"][1]


def test_arm64_image_holds_the_aarch64_loader_and_aarch64_objects_only(multi):
    _, man, _ = read_layout(multi["out"], "arm64")
    raw = gzip.decompress(blob(multi["out"], man["layers"][0]["digest"]))
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        names = {m.name.rstrip("/") for m in t.getmembers()}
        assert "lib/ld-linux-aarch64.so.1" in names
        assert "lib/aarch64-linux-gnu/libc.so.6" in names
        assert not any("x86_64" in n or n.startswith("lib64") for n in names), names
        for m in t.getmembers():
            data = t.extractfile(m).read(20) if m.isfile() else b""
            if data.startswith(b"\x7fELF"):
                assert int.from_bytes(data[18:20], "little") == EM_AARCH64, m.name


def test_default_platforms_are_the_host_and_the_cross_build_beside_it(multi, tmp_path):
    bindir, crossdir = tmp_path / "bin", tmp_path / "bin-arm64"
    bindir.mkdir()
    shutil.copy2(binary("showtablectl"), bindir / "showtablectl")
    shutil.copy2(multi["bins"]["amd64"], bindir / "showtable")
    run = lambda out: subprocess.run([str(bindir / "showtablectl"), "image", "build", "--out",
                                      str(tmp_path / out), "--no-tar"], env=multi["env"],
                                     cwd=ROOT, capture_output=True, text=True, timeout=180)
    r = run("host")
    assert r.returncode == 0, r.stderr
    assert [m["platform"]["architecture"] for m in index_of(str(tmp_path / "host"))["manifests"]
            if "artifactType" not in m] == ["amd64"]
    crossdir.mkdir()
    shutil.copy2(multi["bins"]["arm64"], crossdir / "showtable")
    r = run("both")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == multi["digest"]


def test_a_binary_of_the_wrong_machine_is_a_clear_error(multi, tmp_path):
    r = ctl(["image", "build", "--platform", "linux/arm64", "--binary",
             "arm64=" + multi["bins"]["amd64"], "--out", str(tmp_path / "x")], multi["env"])
    assert r.returncode == 1
    assert "built for amd64, not for linux/arm64" in r.stderr and "ARCH=arm64" in r.stderr


def test_an_unknown_platform_is_refused(multi, tmp_path):
    r = ctl(["image", "build", "--platform", "linux/s390x", "--out", str(tmp_path / "x")],
            multi["env"])
    assert r.returncode == 2
    assert "linux/amd64 and linux/arm64" in r.stderr


# ---- the arm64 image runs ---------------------------------------------------------------

def test_arm64_image_serves_ping_and_an_authenticated_page_under_qemu(multi, tmp_path,
                                                                      dynalite):
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (CI runs as root)")
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        pytest.fail("qemu-aarch64-static is not installed: run scripts/install-deps.sh")
    out = multi["out"]
    _, man, cfg = read_layout(out, "arm64")
    root = tmp_path / "root"
    root.mkdir()
    for layer in man["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(out, layer["digest"])), mode="r:gz") as t:
            t.extractall(str(root), numeric_owner=True)
    # the emulator is static: it needs nothing from the image but runs everything from it
    shutil.copy2(qemu, root / "qemu-aarch64-static")
    table = "arm-" + uuid.uuid4().hex[:8]
    load_items(dynalite, table, [{"itemID": {"S": f"graviton-{i}"}, "n": {"N": str(i)}}
                                 for i in range(3)])
    line = subprocess.run(["htpasswd", "-Bbn", "u", "p"], capture_output=True, text=True,
                          check=True).stdout
    (root / "tmp" / "htpasswd").write_text(line)
    env = dict(e.split("=", 1) for e in cfg["config"]["Env"])
    env.update({k: v for k, v in multi["env"].items() if k.startswith("AWS_")})
    env["AWS_ENDPOINT_URL_DYNAMODB"] = dynalite
    env["AWS_ENDPOINT_URL_SSM"] = f"http://127.0.0.1:{free_port()}"
    chroot = [shutil.which("chroot") or "/usr/sbin/chroot", f"--userspec={cfg['config']['User']}",
              str(root), "/qemu-aarch64-static"] + cfg["config"]["Entrypoint"]
    r = subprocess.run(chroot + ["--version"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("showtable ")
    port = free_port()
    proc = subprocess.Popen(chroot + ["--listen", f"127.0.0.1:{port}", "--table", table,
                                      "--htpasswd", "/tmp/htpasswd"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, timeout=60, proc=proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=30) as resp:
            assert resp.status == 200
            assert json.loads(resp.read()) == {"message": "pong"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/query?q=graviton-",
                                     headers={"Authorization": "Basic " +
                                              base64.b64encode(b"u:p").decode()})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read().decode()
            assert resp.status == 200
        assert all(f"graviton-{i}" in body for i in range(3)), body[:2000]
    finally:
        stop(proc)


# ---- SBOM ---------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_sbom_is_valid_cyclonedx_1_5(multi, arch, monkeypatch):
    import jsonschema
    import jsonschema._validators
    # Debian 12's jsonschema 4.10 sorts extra array items to word an error message, which
    # raises TypeError for objects while it tries oneOf's other branch of "licenses"
    # (fixed in later releases); word it unsorted.
    monkeypatch.setattr(jsonschema._validators, "extras_msg", lambda extras: (
        ", ".join(repr(e) for e in extras), "was" if len(extras) == 1 else "were"))
    schemas = {}
    for name in os.listdir(SCHEMAS):
        if name.endswith(".schema.json"):
            with open(os.path.join(SCHEMAS, name)) as f:
                s = json.load(f)
            schemas["http://cyclonedx.org/schema/" + name] = s
            schemas[s.get("$id", name)] = s
    bom_schema = schemas["http://cyclonedx.org/schema/bom-1.5.SNAPSHOT.schema.json"]
    resolver = jsonschema.RefResolver.from_schema(bom_schema, store=schemas)
    validator = jsonschema.Draft7Validator(bom_schema, resolver=resolver,
                                           format_checker=jsonschema.FormatChecker())
    sbom = sbom_of(multi["out"], arch)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(sbom)]
    assert errors == []
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_sbom_lists_every_file_of_the_layers_with_its_sha256_and_nothing_else(multi, arch):
    _, man, _ = read_layout(multi["out"], arch)
    files, _ = layer_files(multi["out"], man)
    sbom = sbom_of(multi["out"], arch)
    listed = {}
    for path, sha, _ in file_components(sbom["components"]):
        assert path not in listed, f"{path} listed twice"
        listed[path] = sha
    assert listed == files
    assert sbom["metadata"]["component"]["version"] == [
        m for m in index_of(multi["out"])["manifests"]
        if m.get("platform", {}).get("architecture") == arch][0]["digest"]


def dpkg(*args):
    return subprocess.run(["dpkg-query"] + list(args), capture_output=True, text=True).stdout


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_sbom_maps_each_shared_object_to_its_debian_package_and_version(multi, arch):
    sbom = sbom_of(multi["out"], arch)
    owners = {path: owner for path, _, owner in file_components(sbom["components"])}
    libs = [p for p in owners if p.startswith("/lib")]
    assert len(libs) > 20
    for path in libs:
        owner = owners[path]
        assert owner and owner["type"] == "library", f"{path} has no package"
        assert owner["purl"].startswith(f"pkg:deb/debian/{owner['name']}@")
        assert owner["purl"].endswith(f"?arch={arch}") or owner["purl"].endswith("?arch=all")
        spec = f"{owner['name']}:{arch}"
        assert dpkg("-W", "-f=${Version}", spec) == owner["version"], spec
    libc = owners[f"/lib/{'aarch64' if arch == 'arm64' else 'x86_64'}-linux-gnu/libc.so.6"]
    assert libc["name"] == "libc6"
    jansson = [o for o in owners.values() if o and o["name"] == "libjansson4"][0]
    assert {"license": {"name": "Expat"}} in jansson["licenses"]
    ca = owners["/etc/ssl/certs/ca-certificates.crt"]
    assert ca["name"] == "ca-certificates"
    assert ca["version"] == dpkg("-W", "-f=${Version}", "ca-certificates")
    app = owners["/showtable"]
    assert app["name"] == "showtable" and app["version"] == REVISION
    assert app["externalReferences"] == [{"type": "vcs",
                                          "url": "https://example.invalid/showtable.git"}]
    assert owners["/usr/share/showtable/web/css/showtable.css"] is app


def test_image_sbom_prints_the_sbom_of_the_asked_platform(multi):
    r = ctl(["image", "sbom", "--platform", "linux/arm64", multi["out"]], multi["env"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == sbom_of(multi["out"], "arm64")
    r = ctl(["image", "sbom", str(multi["dir"] / "nothing-here")], multi["env"])
    assert r.returncode == 1 and "image build" in r.stderr


# ---- push -----------------------------------------------------------------------------------

def test_pushed_index_reads_back_with_both_platforms_and_their_sboms(multi, tmp_path):
    with docker_registry(str(tmp_path)) as (port, log):
        reg = f"127.0.0.1:{port}"
        r = ctl(["image", "push", "--no-build", "--out", multi["out"], "--registry", reg,
                 "--insecure-http", "--repository", "showtable"], multi["env"])
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"{reg}/showtable@{multi['digest']}"
        # 2 × (layer 1, config, SBOM) + the shared layer 2 + the empty config
        assert uploads_in(log) == 8
        raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                              f"docker://{reg}/showtable@{multi['digest']}"],
                             capture_output=True, text=True, timeout=60)
        assert raw.returncode == 0, raw.stderr
        index = json.loads(raw.stdout)
        assert index == index_of(multi["out"])
        platforms = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]
                     if "artifactType" not in m}
        assert set(platforms) == {"amd64", "arm64"}
        for arch, digest in platforms.items():
            info = skopeo_inspect(f"docker://{reg}/showtable@{digest}")
            assert info["Architecture"] == arch and info["Os"] == "linux"
            # no referrers API in docker-registry: the referrers tag lists the SBOM
            ref = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                  f"docker://{reg}/showtable:sha256-{digest[7:]}"],
                                 capture_output=True, text=True, timeout=60)
            assert ref.returncode == 0, ref.stderr
            (sbom,) = json.loads(ref.stdout)["manifests"]
            assert sbom["artifactType"] == SBOM_TYPE
        info = skopeo_inspect(f"docker://{reg}/showtable@{multi['digest']}")
        assert info["Architecture"] == "amd64"
        # the whole index pulled back into a layout carries the same SBOMs
        pulled = str(tmp_path / "pulled")
        r = subprocess.run(["skopeo", "copy", "-q", "--all", "--src-tls-verify=false",
                            f"docker://{reg}/showtable@{multi['digest']}", "oci:" + pulled],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        for arch in ("amd64", "arm64"):
            r = ctl(["image", "sbom", "--platform", f"linux/{arch}", pulled], multi["env"])
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout) == sbom_of(multi["out"], arch)


def test_registry_with_the_referrers_api_keeps_the_sboms_without_a_tag(multi):
    with fake_registry("--referrers") as port:
        r = ctl(["image", "push", "--no-build", "--out", multi["out"], "--registry",
                 f"127.0.0.1:{port}", "--insecure-http"], multi["env"])
        assert r.returncode == 0, r.stderr
        manifests = fake_call(port, "/_state")["manifests"]
        top = index_of(multi["out"])
        for m in top["manifests"]:
            if "artifactType" in m:
                continue
            assert f"showtable:sha256-{m['digest'][7:]}" not in manifests
            found = fake_call(port, f"/v2/showtable/referrers/{m['digest']}")["manifests"]
            assert [f["artifactType"] for f in found] == [SBOM_TYPE]
        assert f"showtable:sha256-{multi['digest'][7:]}" in manifests

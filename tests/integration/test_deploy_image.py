"""`showtablectl deploy container` without --image builds the image and pushes it to ECR only
when its digest is new (like a CDK asset), then deploys it by digest; `destroy container
--purge-images` deletes the ECR repository after the stack. Against the CloudFormation, SSM
and ECR fakes, with ECR's proxyEndpoint pointing at a local Debian docker-registry
(htpasswd login "AWS:<token password>", as ECR's token is).
"""
import base64
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import ROOT, binary
from fake_cfn import FakeCFN
from fake_ecr import FakeECR
from fake_ssm import FakeSSM
from test_deploy import TEMPLATES
from test_image import EPOCH, docker_registry, skopeo_inspect, uploads_in
from test_image_platforms import ARM64_BUILD

DIGEST = r"sha256:[0-9a-f]{64}"


class World:
    """The fakes, a registry behind ECR, and a copy of showtablectl + showtable with a work
    directory holding copies of web/ and infra/ (what the image is built from)."""

    def __init__(self, env, cfn, ssm, ecr, port, log, password, bindir, work):
        self.env, self.cfn, self.ssm, self.ecr = env, cfn, ssm, ecr
        self.port, self.log, self.password = port, log, password
        self.bindir, self.work = bindir, work
        self.host = f"127.0.0.1:{port}"

    def run(self, *args):
        p = subprocess.run([str(self.bindir / "showtablectl"), "--template-dir", TEMPLATES]
                           + list(args), env=self.env, cwd=self.work, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert "runtime error" not in p.stderr and "Sanitizer" not in p.stderr, p.stderr
        return p

    def ok(self, *args):
        p = self.run(*args)
        assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        return p

    def image_param(self, form):
        keys = {form[k]: k for k in form if k.endswith(".ParameterKey")}
        return form[keys["Image"].replace("ParameterKey", "ParameterValue")]

    def registry_tags(self, name):
        """The tags the registry holds for a repository ([] when it has none)."""
        req = urllib.request.Request(f"http://{self.host}/v2/{name}/tags/list")
        tok = base64.b64encode(f"AWS:{self.password}".encode()).decode()
        req.add_header("Authorization", "Basic " + tok)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r).get("tags") or []
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return []
            raise


@pytest.fixture
def world(aws_env, tmp_path):
    password = "ecr-" + uuid.uuid4().hex
    # Copies: a rebuild of build/ by someone else meanwhile must not change the digest.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("showtablectl", "showtable"):
        shutil.copy2(binary(name), bindir / name)
    work = tmp_path / "work"
    for d in ("web", "infra"):
        shutil.copytree(os.path.join(ROOT, d), work / d)
    holder = {}
    with docker_registry(str(tmp_path / "reg"), htpasswd=("AWS", password)) as (port, log), \
            FakeECR(f"http://127.0.0.1:{port}", password,
                    has_images=lambda n: bool(holder["w"].registry_tags(n))) as ecr, \
            FakeSSM() as ssm, FakeCFN(ssm=ssm, page_size=3) as cfn:
        env = dict(aws_env)
        env.update(cfn.env())
        env.update({
            "AWS_ENDPOINT_URL_SSM": ssm.url,
            "AWS_ENDPOINT_URL_ECR": ecr.url,
            "SHOWTABLE_POLL_MS": "2",
            "SHOWTABLE_WAIT_S": "60",
            "SOURCE_DATE_EPOCH": str(EPOCH),
            "SHOWTABLE_SOURCE": "https://example.invalid/showtable.git",
            "SHOWTABLE_REVISION": "0123456789abcdef0123456789abcdef01234567",
            "SHOWTABLE_REGISTRY_RETRY_MS": "20",
        })
        env.pop("XDG_CACHE_HOME", None)   # the layout goes under HOME (tmp_path)
        ssm.put("/go-on-aws/vpc", "vpc-1")
        ssm.put("/go-on-aws/table", "t")
        w = holder["w"] = World(env, cfn, ssm, ecr, port, log, password, bindir, work)
        yield w
        assert cfn.problems == [], "malformed requests reached the CloudFormation fake"
        assert ssm.problems == [], "malformed requests reached the SSM fake"
        assert ecr.problems == [], "malformed requests reached the ECR fake"


def line_index(stdout, pattern):
    for i, line in enumerate(stdout.splitlines()):
        if re.search(pattern, line):
            return i
    raise AssertionError(f"no line matches {pattern!r} in:\n{stdout}")


# --- deploy


def test_first_deploy_builds_pushes_and_deploys_the_digest_then_an_unchanged_one_pushes_nothing(
        world):
    p = world.ok("--yes", "deploy", "container")
    out = p.stdout
    m = re.search(rf"pushed ({DIGEST}) to {re.escape(world.host)}/showtable: 5 blobs, "
                  r"[0-9.]+ MB uploaded \(0 already there\)", out)
    assert m, out
    digest = m.group(1)
    uri = f"{world.host}/showtable@{digest}"
    # account and region, then the image, then the change set, then the execution
    order = [line_index(out, r"^account 123456789012 .*region us-east-1"),
             line_index(out, rf"^image {digest}: [0-9.]+ MB compressed"),
             line_index(out, r"^created ECR repository .*/showtable"),
             line_index(out, r"^pushed sha256:"),
             line_index(out, r"^showtable-container: preparing a change set \(CREATE\)"),
             line_index(out, r"^change set for showtable-container"),
             line_index(out, r"^showtable-container: CREATE_COMPLETE")]
    assert order == sorted(order), out
    assert world.ecr.ops() == ["DescribeRepositories", "CreateRepository", "PutLifecyclePolicy",
                               "GetAuthorizationToken"]
    assert world.ecr.repos["showtable"]["imageTagMutability"] == "IMMUTABLE"
    assert uploads_in(world.log) == 5
    assert world.password not in out + p.stderr
    # the change set deploys exactly the pushed image, by digest
    creates = world.cfn.calls("CreateChangeSet")
    assert len(creates) == 1 and world.image_param(creates[0]) == uri
    assert world.cfn.stack("showtable-container").raw_params["Image"] == uri
    info = skopeo_inspect(f"docker://{uri}", f"AWS:{world.password}")
    assert info["Digest"] == digest

    # again, nothing changed: same digest, no blob uploaded, no change to deploy
    execs = len(world.cfn.calls("ExecuteChangeSet"))
    p = world.ok("--yes", "deploy", "container")
    assert re.search(rf"^image {digest} already in ECR \({re.escape(world.host)}/showtable\), "
                     r"not pushed$", p.stdout, re.M), p.stdout
    assert "pushed" not in p.stdout.replace("not pushed", "")
    assert "showtable-container: no changes" in p.stdout
    assert uploads_in(world.log) == 5
    assert world.ecr.ops()[4:] == ["DescribeRepositories", "GetAuthorizationToken"]
    assert world.image_param(world.cfn.calls("CreateChangeSet")[-1]) == uri
    assert len(world.cfn.calls("ExecuteChangeSet")) == execs
    assert world.cfn.change_sets == {}


def test_a_changed_asset_pushes_and_deploys_a_new_digest(world):
    p = world.ok("--yes", "deploy", "container")
    first = re.search(rf"pushed ({DIGEST})", p.stdout).group(1)
    assert uploads_in(world.log) == 5
    css = next(world.work.glob("web/css/*.css"))
    css.write_text(css.read_text() + "\n/* changed */\n")
    p = world.ok("--yes", "deploy", "container")
    m = re.search(rf"pushed ({DIGEST}) to .*: 3 blobs, [0-9.]+ MB uploaded \(2 already there\)",
                  p.stdout)
    assert m, p.stdout
    second = m.group(1)
    assert second != first
    # the assets layer, the config and the SBOM are new; the binary's layer and the SBOM's
    # empty config were found and skipped
    assert uploads_in(world.log) == 5 + 3
    assert len(re.findall(r"^  sha256:\S+ +\S+ \S+ +exists, skipped$", p.stdout, re.M)) == 2
    uri = f"{world.host}/showtable@{second}"
    form = world.cfn.calls("CreateChangeSet")[-1]
    assert form["ChangeSetType"] == "UPDATE" and world.image_param(form) == uri
    assert re.search(r"~ Modify +TaskDefinition +AWS::ECS::TaskDefinition", p.stdout)
    assert "showtable-container: UPDATE_COMPLETE" in p.stdout
    assert world.cfn.stack("showtable-container").raw_params["Image"] == uri
    # a tag per image index, and per image the referrers tag listing its SBOM (this
    # registry has no referrers API)
    tags = world.registry_tags("showtable")
    assert {f"sha256-{d[7:]}" for d in (first, second)} <= set(tags)
    assert len(tags) == 4


def test_an_arm64_task_is_deployed_from_an_index_with_an_arm64_image(world):
    p = world.run("--yes", "deploy", "--param", "CpuArchitecture=ARM64", "container")
    assert p.returncode == 1
    assert "make ARCH=arm64" in p.stderr and "arm64=PATH" in p.stderr, p.stderr
    assert world.cfn.calls("CreateChangeSet") == []
    cross = world.bindir.parent / (world.bindir.name + "-arm64")
    cross.mkdir()
    shutil.copy2(os.path.join(ARM64_BUILD, "showtable"), cross / "showtable")
    p = world.ok("--yes", "deploy", "--param", "CpuArchitecture=ARM64", "container")
    assert re.search(rf"^image {DIGEST}: [0-9.]+ MB compressed \(linux/amd64; [0-9.]+ MB "
                     r"linux/arm64;", p.stdout, re.M), p.stdout
    digest = re.search(rf"pushed ({DIGEST})", p.stdout).group(1)
    stack = world.cfn.stack("showtable-container")
    assert stack.raw_params["CpuArchitecture"] == "ARM64"
    assert stack.raw_params["Image"] == f"{world.host}/showtable@{digest}"
    assert skopeo_inspect(f"docker://{world.host}/showtable@{digest}", f"AWS:{world.password}",
                          "arm64")["Architecture"] == "arm64"


def test_image_flag_overrides_the_build(world):
    p = world.ok("--yes", "deploy", "container", "--image", "r/w:1")
    assert world.ecr.calls == [] and uploads_in(world.log) == 0
    assert "image sha256" not in p.stdout
    assert world.image_param(world.cfn.calls("CreateChangeSet")[0]) == "r/w:1"


def test_missing_assets_stop_the_deploy_before_anything_is_pushed(world):
    shutil.rmtree(world.work / "web")
    p = world.run("--yes", "deploy", "container")
    assert p.returncode == 1
    assert "the image needs web/ and infra/: web/ found neither" in p.stderr
    assert "--image URI" in p.stderr
    assert world.ecr.calls == [] and "CreateChangeSet" not in world.cfn.actions()


# --- destroy


def test_destroy_with_purge_images_deletes_the_stack_then_the_repository(world):
    world.ok("--yes", "deploy", "container")
    assert world.registry_tags("showtable")
    # why force is needed: ECR refuses to delete a repository that holds images
    status, out = world.ecr._do("DeleteRepository", {"repositoryName": "showtable"})
    assert status == 400 and out["__type"] == "RepositoryNotEmptyException"
    seen = {}
    real = world.ecr._do

    def spy(op, body):
        if op == "DeleteRepository":
            seen["stack_at_delete"] = world.cfn.stack("showtable-container")
        return real(op, body)
    world.ecr._do = spy
    p = world.ok("--yes", "destroy", "container", "--purge-images")
    assert "deleted after the stack (--purge-images): ECR repository" in p.stdout
    assert line_index(p.stdout, r"^showtable-container: DELETE_COMPLETE$") < \
        line_index(p.stdout, r"^deleted ECR repository .*/showtable and its images$")
    deletes = [b for op, b in world.ecr.calls if op == "DeleteRepository"]
    assert deletes == [{"repositoryName": "showtable", "force": True}]
    assert "stack_at_delete" in seen and seen["stack_at_delete"] is None
    assert world.cfn.stack("showtable-container") is None
    assert "showtable" not in world.ecr.repos


def test_destroy_without_purge_images_keeps_the_repository_and_says_what_stays_billable(world):
    world.ok("--yes", "deploy", "container", "--image", "r/w:1")
    world.ecr._create("showtable", {"imageTagMutability": "IMMUTABLE"})
    p = world.ok("--yes", "destroy", "container")
    assert world.cfn.stack("showtable-container") is None
    assert "showtable" in world.ecr.repos and "DeleteRepository" not in world.ecr.ops()
    repo_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/showtable"
    assert f"kept after delete (still billable): ECR repository {repo_uri} and its images" \
        in p.stdout
    note = line_index(p.stdout, rf"^ECR repository {re.escape(repo_uri)} stays, with its "
                                r"images \(billed")
    assert line_index(p.stdout, r"^showtable-container: DELETE_COMPLETE$") < note
    assert "`showtablectl destroy container --purge-images`" in p.stdout
    assert "`aws ecr delete-repository --repository-name showtable --force`" in p.stdout


def test_purge_images_after_the_stack_is_gone_still_deletes_the_repository(world):
    world.ecr._create("showtable", {})
    p = world.ok("--yes", "destroy", "container", "--purge-images")
    assert "showtable-container does not exist — nothing to destroy" in p.stdout
    assert "account 123456789012" in p.stdout   # who is changed, before the change
    assert [b for op, b in world.ecr.calls if op == "DeleteRepository"] == \
        [{"repositoryName": "showtable", "force": True}]
    assert "showtable" not in world.ecr.repos
    # nothing left: a second purge only says so
    p = world.ok("--yes", "destroy", "container", "--purge-images")
    assert "DeleteRepository" not in world.ecr.ops()[-1:]
    assert "ECR repository" not in p.stdout


def test_purge_images_needs_the_container_stack(world):
    p = world.run("--yes", "destroy", "vpc", "--purge-images")
    assert p.returncode == 2 and "goes with `destroy container`" in p.stderr
    assert world.ecr.calls == [] and world.cfn.requests == []


"""showtablectl deploy / diff / destroy / status / outputs / logs / credentials, against the
fake CloudFormation (fakes/fake_cfn.py) and SSM (fakes/fake_ssm.py) endpoints.

Most tests use the small templates in tests/data/deploy/templates (via --template-dir) so the
expected change sets are known; the decoupling tests use the built-in templates, since the
contract between stacks is read from them.
"""
import os
import signal
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, binary, crypt_verify
from fake_cfn import CfnError, FakeCFN
from fake_ssm import FakeSSM

TEMPLATES = os.path.join(ROOT, "tests", "data", "deploy", "templates")
EVENT_LINE = re.compile(r"^\d\d:\d\d:\d\d  (\S+)\s+(AWS::\S+)\s+([A-Z_]+)(?:  (.*))?$")


class Env:
    """The fakes plus a way to run showtablectl against them."""

    def __init__(self, aws_env, ssm, cfn, tmp_path):
        self.ssm, self.cfn, self.tmp = ssm, cfn, tmp_path
        self.env = dict(aws_env)
        self.env.update(cfn.env())
        self.env["AWS_ENDPOINT_URL_SSM"] = ssm.url
        self.env["SHOWTABLE_POLL_MS"] = "2"
        self.env["SHOWTABLE_WAIT_S"] = "60"
        # No ECR here: a container deploy without --image builds and pushes (tested in
        # test_deploy_image.py); this keeps any such attempt on loopback.
        self.env["AWS_ENDPOINT_URL_ECR"] = "http://127.0.0.1:9"
        self.templates = TEMPLATES

    def run(self, *args, builtin=False, env=None, timeout=60):
        cmd = [binary("showtablectl")]
        if not builtin:
            cmd += ["--template-dir", self.templates]
        cmd += list(args)
        # cwd without web/ and infra/: no image can be built from where pytest runs
        p = subprocess.run(cmd, env=env or self.env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=timeout, cwd=self.tmp)
        assert "runtime error" not in p.stderr and "Sanitizer" not in p.stderr, p.stderr
        return p

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        return p

    def templates_copy(self):
        """A writable copy of the test templates (for tests that change one)."""
        d = self.tmp / "templates"
        if not d.exists():
            shutil.copytree(TEMPLATES, d)
        self.templates = str(d)
        return d


@pytest.fixture
def ctl(aws_env, tmp_path):
    with FakeSSM() as ssm, FakeCFN(ssm=ssm, page_size=3) as cfn:
        e = Env(aws_env, ssm, cfn, tmp_path)
        yield e
        assert cfn.problems == [], "malformed requests reached the CloudFormation fake"
        assert ssm.problems == [], "malformed requests reached the SSM fake"


def events(stdout):
    return [m.groups() for m in map(EVENT_LINE.match, stdout.splitlines()) if m]


# --- deploy: the change set, its execution and the progress shown


def test_deploy_creates_the_stack_through_a_change_set(ctl):
    p = ctl.ok("--yes", "deploy", "vpc")
    acts = ctl.cfn.actions()
    # account and region first, before anything changes
    assert acts.index("GetCallerIdentity") < acts.index("CreateChangeSet")
    assert "account 123456789012" in p.stdout and "region us-east-1" in p.stdout
    form = ctl.cfn.calls("CreateChangeSet")[0]
    assert form["Version"] == "2010-05-15"
    assert form["StackName"] == "showtable-vpc"
    assert form["ChangeSetType"] == "CREATE"
    with open(os.path.join(TEMPLATES, "vpc.yaml")) as f:
        assert form["TemplateBody"] == f.read()
    assert {form["Capabilities.member.1"], form["Capabilities.member.2"]} == \
        {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}
    # default prefix: no parameters passed, the template defaults apply
    assert not any(k.startswith("Parameters.member") for k in form)
    assert "ExecuteChangeSet" in acts
    assert "+ Add     Vpc" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").status == "CREATE_COMPLETE"
    assert "/go-on-aws/vpc" in ctl.ssm.params
    assert "showtable-vpc: CREATE_COMPLETE" in p.stdout


def test_progress_prints_each_event_once_in_order_across_pages(ctl):
    p = ctl.ok("--yes", "deploy", "vpc")
    evs = events(p.stdout)
    # page size 3 forces NextToken paging of DescribeStackEvents
    assert any("NextToken" in f for f in ctl.cfn.calls("DescribeStackEvents"))
    completes = [e[0] for e in evs if e[2] == "CREATE_COMPLETE"]
    assert completes == ["Vpc", "Subnet", "VpcParameter", "showtable-vpc"]
    assert evs[0][2] == "CREATE_IN_PROGRESS" and evs[0][0] == "showtable-vpc"
    stored = ctl.cfn.stack("showtable-vpc").events
    # every event after the REVIEW_IN_PROGRESS one is shown exactly once
    assert len(evs) == len(stored) - 1


def test_change_set_pages_are_all_shown(ctl):
    p = ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ssm.put("/go-on-aws/vpc", "vpc-1")
    p = ctl.ok("--yes", "deploy", "container", "--image", "repo/web:1")
    # 6 resources, page size 3: DescribeChangeSet is paged
    assert any("NextToken" in f for f in ctl.cfn.calls("DescribeChangeSet"))
    for lid in ("Cluster", "LogGroup", "TaskRole", "TaskDefinition", "TargetGroup", "Service"):
        assert re.search(rf"\+ Add +{lid} ", p.stdout), lid
    assert "6 to add, 0 to modify" in p.stdout


def test_several_stacks_deploy_in_dependency_order(ctl):
    ctl.ok("--yes", "deploy", "container", "table", "vpc", "--image", "r/w:1")
    assert [f["StackName"] for f in ctl.cfn.calls("CreateChangeSet")] == \
        ["showtable-vpc", "showtable-table", "showtable-container"]
    assert ctl.cfn.actions().count("GetCallerIdentity") == 1
    assert ctl.cfn.stack("showtable-container").raw_params["Image"] == "r/w:1"
    p = ctl.run("--yes", "deploy", "vpc", "table", "--image", "r/w:1")
    assert p.returncode == 2 and "none of the chosen stacks takes a parameter Image" in p.stderr
    p = ctl.run("--yes", "deploy", "vpc", "table", "--param", "Nope=1")
    assert p.returncode == 2 and "Nope" in p.stderr


def test_no_changes_exits_0_and_deletes_the_change_set(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    before = len(ctl.cfn.calls("ExecuteChangeSet"))
    p = ctl.ok("--yes", "deploy", "vpc")
    assert "showtable-vpc: no changes" in p.stdout
    assert ctl.cfn.calls("CreateChangeSet")[-1]["ChangeSetType"] == "UPDATE"
    assert len(ctl.cfn.calls("ExecuteChangeSet")) == before
    assert ctl.cfn.calls("DeleteChangeSet"), "the empty change set must be deleted"
    assert ctl.cfn.change_sets == {}


def test_update_shows_add_modify_replace_and_remove(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    text = (d / "vpc.yaml").read_text()
    text = text.replace("CidrBlock: 10.0.0.0/18", "CidrBlock: 10.0.64.0/18")        # modify
    text = text.replace('Name: !Sub "${ParamPrefix}/vpc"', 'Name: !Sub "${ParamPrefix}/vpc"\n'
                        '      Description: the vpc')                                # modify
    text = text.replace("  Subnet:\n", "  Gateway:\n    Type: AWS::EC2::InternetGateway\n"
                        "  Subnet:\n")                                               # add
    (d / "vpc.yaml").write_text(text)
    p = ctl.ok("--yes", "deploy", "vpc")
    assert re.search(r"\+ Add +Gateway +AWS::EC2::InternetGateway", p.stdout)
    assert re.search(r"~ Modify +Subnet +AWS::EC2::Subnet", p.stdout)
    assert "1 to add, 2 to modify" in p.stdout
    # a renamed table is a replacement, a removed resource is a Remove
    ctl.ok("--yes", "deploy", "table")
    t = (d / "table.yaml").read_text()
    t = t.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: PAY_PER_REQUEST\n"
                  "      TableName: renamed")
    t = t[:t.index("  TableParameter:")]
    (d / "table.yaml").write_text(t)
    p = ctl.ok("--yes", "deploy", "table")
    assert re.search(r"~ Modify +Table +AWS::DynamoDB::Table +REPLACED", p.stdout)
    assert re.search(r"- Remove +TableParameter +AWS::SSM::Parameter", p.stdout)
    assert "/go-on-aws/table" not in ctl.ssm.params


def test_a_replacement_that_others_reference_makes_them_conditional(ctl):
    # A new VPC CIDR replaces the Vpc; the Subnet's VpcId refers to it and only gets its new
    # value during the apply (Evaluation Dynamic), so the Subnet may be replaced too.
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    (d / "vpc.yaml").write_text((d / "vpc.yaml").read_text().replace("10.0.0.0/16", "10.1.0.0/16"))
    p = ctl.run("diff", "vpc")
    assert p.returncode == 2, p.stderr
    vpc_id = ctl.cfn.stack("showtable-vpc").resources["Vpc"]["PhysicalId"]
    assert re.search(r"~ Modify +Vpc +AWS::EC2::VPC +REPLACED +\(" + re.escape(vpc_id) + r"\)",
                     p.stdout), p.stdout
    assert re.search(r"~ Modify +Subnet +AWS::EC2::Subnet +may be replaced +\(showtable-vpc-"
                     r"Subnet-", p.stdout), p.stdout
    # the parameter that holds the VPC id is updated in place with the new id
    assert re.search(r"~ Modify +VpcParameter +AWS::SSM::Parameter +\(/go-on-aws/vpc\)", p.stdout)
    assert "3 to modify (2 replaced or maybe replaced)" in p.stdout


def test_an_update_is_followed_through_its_cleanup_phase(ctl):
    # CloudFormation deletes removed resources (and the old copies of replaced ones) in
    # UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, after the new ones work: the deploy is not done
    # before UPDATE_COMPLETE.
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    subnet = ctl.cfn.stack("showtable-vpc").resources["Subnet"]["PhysicalId"]
    t = (d / "vpc.yaml").read_text()
    t = t[:t.index("  Subnet:")] + t[t.index("  VpcParameter:"):]
    (d / "vpc.yaml").write_text(t)
    p = ctl.ok("--yes", "deploy", "vpc")
    assert re.search(r"- Remove +Subnet +AWS::EC2::Subnet +\(" + re.escape(subnet) + r"\)",
                     p.stdout), p.stdout
    evs = events(p.stdout)
    stack = [e[2] for e in evs if e[0] == "showtable-vpc"]
    assert stack == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                     "UPDATE_COMPLETE"]
    cleanup = [e[:3] for e in evs]
    at = cleanup.index(("showtable-vpc", "AWS::CloudFormation::Stack",
                        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
    assert ("Subnet", "AWS::EC2::Subnet", "DELETE_COMPLETE") in cleanup[at:]
    assert p.stdout.rstrip().splitlines()[-2:][0].startswith("showtable-vpc: UPDATE_COMPLETE")
    assert "Subnet" not in ctl.cfn.stack("showtable-vpc").resources


def test_a_failed_update_is_followed_through_its_rollback_cleanup(ctl):
    # What the failed update added is deleted in UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS;
    # the deploy reports the rollback only once it is UPDATE_ROLLBACK_COMPLETE.
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    t = (d / "vpc.yaml").read_text().replace("10.0.0.0/16", "10.1.0.0/16")
    t = t.replace("  Subnet:\n", "  Gateway:\n    Type: AWS::EC2::InternetGateway\n  Subnet:\n")
    (d / "vpc.yaml").write_text(t)
    ctl.cfn.fail_resource = ("Subnet", "CIDR conflict")
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1
    stack = [e[2] for e in events(p.stdout) if e[0] == "showtable-vpc"]
    assert stack[-2:] == ["UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                          "UPDATE_ROLLBACK_COMPLETE"]
    assert ("Gateway", "AWS::EC2::InternetGateway", "DELETE_COMPLETE", None) in events(p.stdout)
    assert "rollback: complete — the stack is back to its previous version" in p.stdout
    assert "root cause: Subnet (AWS::EC2::Subnet): CIDR conflict" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Gateway" not in ctl.cfn.stack("showtable-vpc").resources


@pytest.mark.parametrize("state,final", [
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"),
    ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"),
])
def test_a_stack_in_its_cleanup_phase_is_waited_for(ctl, state, final):
    with open(os.path.join(TEMPLATES, "vpc.yaml")) as f:
        ctl.cfn.seed_stack("showtable-vpc", state, template=f.read(), settle_after=4,
                           settles_to=final)
    p = ctl.ok("--yes", "deploy", "vpc")
    assert f"is {state}: another operation is running on it; waiting" in p.stdout
    acts = ctl.cfn.actions()
    assert acts.count("DescribeStacks") >= 4
    assert ctl.cfn.calls("CreateChangeSet")[0]["ChangeSetType"] == "UPDATE"


def test_a_stack_that_has_not_moved_yet_is_not_taken_as_done(ctl):
    # Execute and DeleteStack are asynchronous: the stack keeps its old state for a while.
    ctl.ok("--yes", "deploy", "vpc")
    d = ctl.templates_copy()
    (d / "vpc.yaml").write_text((d / "vpc.yaml").read_text().replace("10.0.0.0/18", "10.0.64.0/18"))
    ctl.cfn.start_lag = 6
    p = ctl.ok("--yes", "deploy", "vpc")
    assert ("Subnet", "AWS::EC2::Subnet", "UPDATE_COMPLETE", None) in events(p.stdout)
    assert "showtable-vpc: UPDATE_COMPLETE" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").script == []
    p = ctl.ok("--yes", "destroy", "vpc")
    assert "showtable-vpc: DELETE_COMPLETE" in p.stdout
    assert ctl.cfn.stack("showtable-vpc") is None


TIMELINE_LINE = re.compile(r"^ +(\d+m\d\ds|\d+s|\d+\.\ds)  (\S+) +(AWS::\S+) +([A-Z_]+)$")


def seconds(d):
    m = re.fullmatch(r"(?:(\d+)m)?(\d+(?:\.\d)?)s", d)
    return int(m.group(1) or 0) * 60 + float(m.group(2))


def timeline(stdout):
    """(total seconds, [(seconds, resource, type, last status)]) of the printed timeline."""
    lines = stdout.splitlines()
    at = next(i for i, l in enumerate(lines) if l.startswith("timeline: "))
    total = seconds(re.match(r"timeline: (\S+) in total", lines[at]).group(1))
    rows = []
    for l in lines[at + 1:]:
        m = TIMELINE_LINE.match(l)
        if not m:
            break
        rows.append((seconds(m.group(1)), m.group(2), m.group(3), m.group(4)))
    return total, rows


def test_a_deploy_ends_with_its_timeline_slowest_first(ctl):
    ctl.cfn.slow = {"Subnet": 240, "VpcParameter": 30}
    p = ctl.ok("--yes", "deploy", "vpc")
    total, rows = timeline(p.stdout)
    assert [r[1] for r in rows] == ["Subnet", "VpcParameter", "Vpc"]   # not the stack itself
    assert 240 <= rows[0][0] < 250 and 30 <= rows[1][0] < 40 and rows[2][0] < 10
    assert rows[0][2:] == ("AWS::EC2::Subnet", "CREATE_COMPLETE")
    assert total >= 270
    assert p.stdout.index("timeline: ") < p.stdout.index("showtable-vpc: CREATE_COMPLETE")


def test_a_destroy_and_a_failed_deploy_end_with_their_timeline(ctl):
    ctl.cfn.fail_resource = ("Subnet", "CIDR conflict")
    ctl.cfn.slow = {"Vpc": 65}
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1
    _, rows = timeline(p.stdout)
    assert rows[0][1] == "Vpc" and rows[0][0] >= 130   # created, then deleted by the rollback
    ctl.cfn.slow = {}
    ctl.ok("--yes", "deploy", "table")
    p = ctl.ok("--yes", "destroy", "--lift-protection", "table")
    _, rows = timeline(p.stdout)
    assert {r[1]: r[3] for r in rows} == {"Table": "DELETE_SKIPPED",
                                           "TableParameter": "DELETE_COMPLETE"}


def test_failed_create_shows_root_cause_and_rollback(ctl):
    ctl.cfn.fail_resource = ("Subnet", "The CIDR '10.0.0.0/18' conflicts with another subnet")
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1
    assert ("root cause: Subnet (AWS::EC2::Subnet): The CIDR '10.0.0.0/18' conflicts with "
            "another subnet") in p.stdout
    # the cancelled resource is shown as it happened, but not as the cause
    assert ("VpcParameter", "AWS::SSM::Parameter", "CREATE_FAILED",
            "Resource creation cancelled") in events(p.stdout)
    assert "root cause: VpcParameter" not in p.stdout
    assert "rollback: complete" in p.stdout
    assert "ROLLBACK_COMPLETE" in p.stderr
    assert ctl.cfn.stack("showtable-vpc").status == "ROLLBACK_COMPLETE"


def deploy_a_failing_cidr_change(ctl):
    """Deploys vpc, then a new CIDR that the Vpc resource fails to take; returns the run."""
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    (d / "vpc.yaml").write_text((d / "vpc.yaml").read_text().replace("10.0.0.0/16", "10.1.0.0/16"))
    ctl.cfn.fail_resource = ("Vpc", "CIDR change not allowed")
    return ctl.run("--yes", "deploy", "vpc")


def test_failed_update_rolls_back_to_the_previous_version(ctl):
    p = deploy_a_failing_cidr_change(ctl)
    assert p.returncode == 1
    assert "root cause: Vpc (AWS::EC2::VPC): CIDR change not allowed" in p.stdout
    assert "rollback: complete — the stack is back to its previous version" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").status == "UPDATE_ROLLBACK_COMPLETE"


def test_failed_rollback_says_how_to_continue(ctl):
    ctl.cfn.rollback_fails = True
    p = deploy_a_failing_cidr_change(ctl)
    assert p.returncode == 1
    assert "rollback: FAILED (UPDATE_ROLLBACK_FAILED)" in p.stdout
    assert "showtablectl rollback STACK" in p.stdout


def a_failed_rollback(ctl):
    """vpc left in UPDATE_ROLLBACK_FAILED: Subnet was updated, VpcParameter's update failed,
    and Subnet cannot be rolled back."""
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    t = (d / "vpc.yaml").read_text().replace("CidrBlock: 10.0.0.0/18", "CidrBlock: 10.0.64.0/18")
    t = t.replace('Name: !Sub "${ParamPrefix}/vpc"', 'Name: !Sub "${ParamPrefix}/vpc"\n'
                  '      Description: the vpc')
    (d / "vpc.yaml").write_text(t)
    ctl.cfn.fail_resource = ("VpcParameter", "throttled")
    ctl.cfn.rollback_fails = True
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1 and "showtablectl rollback STACK" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").status == "UPDATE_ROLLBACK_FAILED"


def test_rollback_skips_what_cannot_be_rolled_back_and_follows_to_the_end(ctl):
    a_failed_rollback(ctl)
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1 and "`showtablectl rollback vpc`" in p.stderr
    p = ctl.ok("--yes", "rollback", "vpc", "--skip", "Subnet")
    assert "rollback failed: Subnet (AWS::EC2::Subnet)" in p.stdout
    assert "fix it, or pass --skip Subnet" in p.stdout
    form = ctl.cfn.calls("ContinueUpdateRollback")[-1]
    assert form["ResourcesToSkip.member.1"] == "Subnet"
    assert ("Subnet", "AWS::EC2::Subnet", "UPDATE_COMPLETE",
            "Resource skipped during rollback") in events(p.stdout)
    assert "UPDATE_ROLLBACK_COMPLETE — back to its previous version" in p.stdout
    assert "timeline: " in p.stdout
    assert ctl.cfn.stack("showtable-vpc").status == "UPDATE_ROLLBACK_COMPLETE"
    ctl.ok("--yes", "deploy", "vpc")   # deployable again


def test_rollback_that_fails_again_says_so(ctl):
    a_failed_rollback(ctl)
    p = ctl.run("--yes", "rollback", "vpc")
    assert p.returncode == 1
    assert "the rollback did not complete (UPDATE_ROLLBACK_FAILED)" in p.stderr
    ctl.cfn.rollback_fails = False   # the resource was fixed by hand
    ctl.ok("--yes", "rollback", "vpc")
    assert ctl.cfn.stack("showtable-vpc").status == "UPDATE_ROLLBACK_COMPLETE"


def test_rollback_of_a_stack_that_needs_none_is_refused(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    p = ctl.run("--yes", "rollback", "vpc")
    assert p.returncode == 1 and "is CREATE_COMPLETE, not UPDATE_ROLLBACK_FAILED" in p.stderr
    assert "ContinueUpdateRollback" not in ctl.cfn.actions()
    p = ctl.run("rollback", "vpc", "table")
    assert p.returncode == 2


def test_rollback_without_yes_or_terminal_changes_nothing(ctl):
    a_failed_rollback(ctl)
    p = ctl.run("rollback", "vpc")
    assert p.returncode == 2 and "pass --yes" in p.stderr
    assert "ContinueUpdateRollback" not in ctl.cfn.actions()


def test_drift_prints_each_changed_property_and_exits_2(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    ctl.cfn.drift = {"showtable-vpc": {
        "Subnet": [("/MapPublicIpOnLaunch", "false", "true", "NOT_EQUAL")],
        "VpcParameter": "DELETED"}}
    p = ctl.run("drift")
    assert p.returncode == 2, p.stderr
    assert "showtable-vpc: DRIFTED (2 resources changed outside CloudFormation)" in p.stdout
    assert re.search(r"~ Subnet \(AWS::EC2::Subnet\) showtable-vpc-Subnet-\w+: MODIFIED", p.stdout)
    assert "      /MapPublicIpOnLaunch: expected false, actual true (NOT_EQUAL)" in p.stdout
    assert "  - VpcParameter (AWS::SSM::Parameter) /go-on-aws/vpc: DELETED" in p.stdout
    assert "showtable-table: does not exist — not checked" in p.stdout
    form = ctl.cfn.calls("DescribeStackResourceDrifts")[-1]
    assert {form["StackResourceDriftStatusFilters.member.1"],
            form["StackResourceDriftStatusFilters.member.2"]} == {"MODIFIED", "DELETED"}
    assert len(ctl.cfn.calls("DescribeStackDriftDetectionStatus")) >= 2   # waited for it
    ctl.cfn.drift = {}
    p = ctl.ok("drift", "vpc")
    assert p.stdout.strip().endswith("showtable-vpc: IN_SYNC")


# --- stack states met before deploying


def test_rollback_complete_stack_is_deleted_and_created_again_with_yes(ctl):
    ctl.cfn.seed_stack("showtable-vpc", "ROLLBACK_COMPLETE", reason="earlier failure")
    p = ctl.ok("--yes", "deploy", "vpc")
    assert "ROLLBACK_COMPLETE" in p.stdout and "deleted and created again" in p.stdout
    acts = ctl.cfn.actions()
    assert acts.index("DeleteStack") < acts.index("CreateChangeSet")
    assert ctl.cfn.calls("CreateChangeSet")[0]["ChangeSetType"] == "CREATE"
    assert ctl.cfn.stack("showtable-vpc").status == "CREATE_COMPLETE"


def test_rollback_complete_stack_is_kept_when_the_new_one_could_not_be_created(ctl):
    ctl.ssm.put("/go-on-aws/vpc", "vpc-1")
    ctl.ssm.put("/go-on-aws/table", "t")
    ctl.cfn.seed_stack("showtable-container", "ROLLBACK_COMPLETE")
    p = ctl.run("--yes", "deploy", "container")   # no image: none can be built here
    assert p.returncode == 1 and "web/" in p.stderr and "--image URI" in p.stderr
    assert "DeleteStack" not in ctl.cfn.actions()


def test_rollback_complete_without_yes_or_terminal_is_left_alone(ctl):
    ctl.cfn.seed_stack("showtable-vpc", "ROLLBACK_COMPLETE")
    p = ctl.run("deploy", "vpc")
    assert p.returncode == 2
    assert "pass --yes" in p.stderr
    assert "DeleteStack" not in ctl.cfn.actions()
    assert ctl.cfn.stack("showtable-vpc").status == "ROLLBACK_COMPLETE"


def test_update_rollback_failed_explains_what_to_do(ctl):
    ctl.cfn.seed_stack("showtable-vpc", "UPDATE_ROLLBACK_FAILED")
    p = ctl.run("--yes", "deploy", "vpc")
    assert p.returncode == 1
    assert "UPDATE_ROLLBACK_FAILED" in p.stderr
    assert "`showtablectl rollback vpc`" in p.stderr
    assert "CreateChangeSet" not in ctl.cfn.actions()


def test_stack_in_progress_is_waited_for(ctl):
    with open(os.path.join(TEMPLATES, "vpc.yaml")) as f:
        body = f.read()
    ctl.cfn.seed_stack("showtable-vpc", "UPDATE_IN_PROGRESS", template=body,
                       params={"ParamPrefix": "/go-on-aws", "NatGateways": "1"},
                       settle_after=4, settles_to="UPDATE_COMPLETE")
    p = ctl.ok("--yes", "deploy", "vpc")
    assert "showtable-vpc is UPDATE_IN_PROGRESS" in p.stdout and "waiting" in p.stdout
    assert len(ctl.cfn.calls("DescribeStacks")) >= 4
    form = ctl.cfn.calls("CreateChangeSet")[0]
    assert form["ChangeSetType"] == "UPDATE"


def test_without_terminal_yes_is_required_and_nothing_is_left_behind(ctl):
    p = ctl.run("deploy", "vpc")
    assert p.returncode == 2
    assert "no terminal" in p.stderr and "--yes" in p.stderr
    assert "+ Add     Vpc" in p.stdout          # the change set was still shown
    assert "ExecuteChangeSet" not in ctl.cfn.actions()
    assert ctl.cfn.change_sets == {}
    assert ctl.cfn.stack("showtable-vpc") is None   # the empty REVIEW stack was removed


def test_cloudformation_errors_are_shown_with_their_message(ctl):
    d = ctl.templates_copy()
    (d / "table.yaml").write_text("Parameters:\n  ParamPrefix: {Type: String}\nResources: {}\n")
    p = ctl.run("--yes", "deploy", "table")
    assert p.returncode == 1
    assert p.stderr.count("CloudFormation CreateChangeSet") == 1   # named once, not prefixed twice
    assert "ValidationError" in p.stderr
    assert "At least one Resources member must be defined" in p.stderr
    assert ctl.cfn.stack("showtable-table") is None


def test_diff_shows_the_change_set_and_changes_nothing(ctl):
    p = ctl.run("diff", "vpc")
    assert p.returncode == 2, p.stderr   # changes: 2, so a script can tell them from 0 and 1
    assert "+ Add     Vpc" in p.stdout
    assert "ExecuteChangeSet" not in ctl.cfn.actions()
    assert ctl.cfn.change_sets == {} and ctl.cfn.stack("showtable-vpc") is None
    ctl.ok("--yes", "deploy", "vpc")
    p = ctl.ok("diff", "vpc")
    assert "no changes" in p.stdout


def test_diff_exits_1_on_an_error(ctl):
    ctl.cfn.seed_stack("showtable-vpc", "UPDATE_ROLLBACK_FAILED")
    p = ctl.run("diff", "vpc")
    assert p.returncode == 1 and "UPDATE_ROLLBACK_FAILED" in p.stderr


def test_diff_shows_each_property_change_and_whether_it_replaces(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    t = (d / "vpc.yaml").read_text().replace("CidrBlock: 10.0.0.0/18", "CidrBlock: 10.0.64.0/18")
    t = t.replace('Name: !Sub "${ParamPrefix}/vpc"', 'Name: !Sub "${ParamPrefix}/vpc"\n'
                  '      Description: the vpc')
    (d / "vpc.yaml").write_text(t)
    p = ctl.run("diff", "vpc")
    assert p.returncode == 2, p.stderr
    assert ctl.cfn.calls("DescribeChangeSet")[-1]["IncludePropertyValues"] == "true"
    lines = p.stdout.splitlines()
    at = next(i for i, l in enumerate(lines) if re.search(r"~ Modify +Subnet ", l))
    assert lines[at + 1].strip() == \
        "CidrBlock: 10.0.0.0/18 → 10.0.64.0/18 — replaces the resource"
    at = next(i for i, l in enumerate(lines) if re.search(r"~ Modify +VpcParameter ", l))
    assert lines[at + 1].strip() == "Description: (none) → the vpc"


def test_diff_shows_the_ssm_inputs_old_and_new(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    ctl.ssm.put("/go-on-aws/vpc", "vpc-new")
    p = ctl.run("diff", "container")
    assert p.returncode == 2, p.stderr
    assert "SSM inputs (the values CloudFormation reads at this deploy):" in p.stdout
    assert "  /go-on-aws/vpc: fake-VpcParameter-value → vpc-new" in p.stdout
    assert "  /go-on-aws/table: fake-TableParameter-value (unchanged)" in p.stdout
    # the change comes through the parameter: the target group's VpcId changes
    assert re.search(r"~ Modify +TargetGroup .*REPLACED", p.stdout)
    assert "VpcId: fake-VpcParameter-value → vpc-new  (parameter VpcId) — replaces the " \
           "resource" in p.stdout


# --- parameters


def test_other_prefix_passes_prefix_and_ssm_names(ctl):
    ctl.ok("--param-prefix", "/env2", "--yes", "deploy", "vpc", "table")
    form = ctl.cfn.calls("CreateChangeSet")[0]
    assert form["Parameters.member.1.ParameterKey"] == "ParamPrefix"
    assert form["Parameters.member.1.ParameterValue"] == "/env2"
    assert "/env2/vpc" in ctl.ssm.params and "/env2/table" in ctl.ssm.params
    ctl.ok("--param-prefix", "/env2", "--yes", "deploy", "container", "--image", "r/w:1")
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    sent = {form[k]: form[k.replace("Key", "Value")] for k in form
            if k.endswith(".ParameterKey")}
    assert sent["VpcId"] == "/env2/vpc" and sent["TableName"] == "/env2/table"
    assert sent["ParamPrefix"] == "/env2" and sent["Image"] == "r/w:1"
    assert "/env2/credentials" in ctl.ssm.params


def test_update_keeps_earlier_parameter_values(ctl):
    ctl.ok("--yes", "deploy", "vpc", "--param", "NatGateways=0")
    d = ctl.templates_copy()
    (d / "vpc.yaml").write_text((d / "vpc.yaml").read_text().replace("10.0.0.0/18", "10.0.64.0/18"))
    ctl.ok("--yes", "deploy", "vpc")
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    keys = {form[k]: k for k in form if k.endswith(".ParameterKey")}
    assert form[keys["NatGateways"].replace("ParameterKey", "UsePreviousValue")] == "true"
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "0"


def test_a_changed_parameter_is_shown_with_its_deployed_value(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", "--param", "DesiredCount=2")
    assert "  DesiredCount = 2   (was 1)" in p.stdout
    assert "  Image = r/w:1\n" in p.stdout   # the same as deployed: no "(was"
    assert "DesiredCount: 1 → 2  (parameter DesiredCount)" in p.stdout
    p = ctl.ok("diff", "container")
    assert "no changes" in p.stdout


def test_a_recreate_after_a_failed_create_keeps_its_parameters(ctl):
    # A failed first create with NatGateways=0 must not come back with a NAT gateway.
    ctl.cfn.fail_resource = ("Subnet", "CIDR conflict")
    p = ctl.run("--yes", "deploy", "vpc", "--param", "NatGateways=0")
    assert p.returncode == 1
    assert ctl.cfn.stack("showtable-vpc").status == "ROLLBACK_COMPLETE"
    p = ctl.ok("--yes", "deploy", "vpc")
    assert "keeps the failed stack's parameters" in p.stdout
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    assert form["ChangeSetType"] == "CREATE"
    keys = {form[k]: k for k in form if k.endswith(".ParameterKey")}
    assert form[keys["NatGateways"].replace("ParameterKey", "ParameterValue")] == "0"
    assert not any(k.endswith("UsePreviousValue") for k in form)
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "0"
    assert "  NatGateways = 0\n" in p.stdout   # as the failed stack had it: no "(was"


def test_a_recreate_takes_a_parameter_given_again(ctl):
    ctl.cfn.fail_resource = ("Subnet", "CIDR conflict")
    ctl.run("--yes", "deploy", "vpc", "--param", "NatGateways=0")
    p = ctl.ok("--yes", "deploy", "vpc", "--param", "NatGateways=2")
    assert "  NatGateways = 2   (was 0)" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "2"


def tags_sent(ctl):
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    return {form[k]: form[k[:-3] + "Value"] for k in form
            if k.startswith("Tags.member.") and k.endswith(".Key")}


def test_stacks_are_tagged_app_name_by_default_and_keep_their_tags(ctl):
    p = ctl.ok("--name", "shop", "--yes", "deploy", "vpc")
    assert tags_sent(ctl) == {"app": "shop"}
    assert "shop-vpc: tags app=shop" in p.stdout
    assert ctl.cfn.stack("shop-vpc").tags == {"app": "shop"}
    p = ctl.ok("--name", "shop", "--yes", "deploy", "vpc", "--tag", "team=web",
               "--tag", "app=store")
    assert tags_sent(ctl) == {"app": "store", "team": "web"}
    # a tag change reaches every resource: CloudFormation updates each with the stack's tags
    assert re.search(r"~ Modify +Vpc +AWS::EC2::VPC", p.stdout)
    assert "      Tags changes" in p.stdout
    ctl.ok("--name", "shop", "--yes", "deploy", "vpc")   # the deployed tags are kept
    assert tags_sent(ctl) == {"app": "store", "team": "web"}


def test_a_bad_tag_is_a_usage_error(ctl):
    for bad in ("novalue", "=x", "aws:cost=1"):
        p = ctl.run("--yes", "deploy", "vpc", "--tag", bad)
        assert p.returncode == 2 and "is not KEY=VALUE" in p.stderr, bad
    assert "CreateChangeSet" not in ctl.cfn.actions()


def test_unknown_param_and_stack_are_usage_errors(ctl):
    p = ctl.run("--yes", "deploy", "vpc", "--param", "Nope=1")
    assert p.returncode == 2 and "no parameter Nope" in p.stderr
    p = ctl.run("--yes", "deploy", "database")
    assert p.returncode == 2 and "vpc, table and container" in p.stderr
    assert "CreateChangeSet" not in ctl.cfn.actions()


@pytest.mark.parametrize("cmd,flags", [
    ("deploy", ["[--yes]", "[--image URI]", "[--param KEY=VALUE]...", "--yes, -y", "--image URI",
                "--param KEY=VALUE"]),
    ("diff", ["[--image URI]", "[--param KEY=VALUE]...", "--image URI", "--param KEY=VALUE"]),
    ("destroy", ["[--yes]", "[--force]", "[--purge-images]", "--yes, -y", "--force",
                 "--purge-images"]),
])
def test_help_shows_the_full_usage_and_every_flag(ctl, cmd, flags):
    p = ctl.ok(cmd, "--help")
    assert p.stdout.startswith(f"usage: showtablectl {cmd} ")
    assert p.stdout.count("\n") > 3  # the flags, one per line, not only the usage line
    for f in flags:
        assert f in p.stdout, f"{cmd} --help lacks {f}:\n{p.stdout}"
    assert ctl.cfn.requests == [] and ctl.ssm.requests == []


def test_bad_name_or_prefix_is_refused_before_any_call(ctl):
    p = ctl.run("--name", "1bad_name", "--yes", "deploy", "vpc")
    assert p.returncode == 2 and "cannot name a stack" in p.stderr
    p = ctl.run("--param-prefix", "go-on-aws/", "status")
    assert p.returncode == 2 and "is not an SSM path" in p.stderr
    assert ctl.cfn.requests == [] and ctl.ssm.requests == []


def test_container_deploy_without_image_or_assets_to_build_one_is_refused(ctl):
    ctl.ssm.put("/go-on-aws/vpc", "vpc-1")
    ctl.ssm.put("/go-on-aws/table", "t")
    p = ctl.run("--yes", "deploy", "container")
    assert p.returncode == 1 and "web/ and infra/" in p.stderr and "--image URI" in p.stderr
    assert "CreateChangeSet" not in ctl.cfn.actions()
    p = ctl.run("diff", "container")   # diff of a new stack cannot use a deployed image
    assert p.returncode == 2 and "--image URI" in p.stderr


# --- decoupling, from the built-in templates


def test_consumer_is_refused_while_its_producers_parameters_are_missing(ctl):
    ctl.cfn.events_per_poll = 12   # the real vpc stack has ~30 resources
    p = ctl.run("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)
    assert p.returncode == 1
    assert ("reads SSM parameter /go-on-aws/vpc, which does not exist — run `showtablectl "
            "deploy vpc` first") in p.stderr
    assert "run `showtablectl deploy table` first" in p.stderr
    assert "CreateChangeSet" not in ctl.cfn.actions()
    ctl.ok("--yes", "deploy", "vpc", builtin=True)
    p = ctl.run("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)
    assert p.returncode == 1
    assert "deploy vpc` first" not in p.stderr and "deploy table` first" in p.stderr


def test_destroy_is_refused_while_a_deployed_stack_reads_its_parameters(ctl):
    ctl.cfn.events_per_poll = 12
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)
    p = ctl.run("--yes", "destroy", "vpc", builtin=True)
    assert p.returncode == 1
    assert "showtable-container (CREATE_COMPLETE) reads /go-on-aws/vpc" in p.stderr
    assert "--force" in p.stderr
    assert "DeleteStack" not in ctl.cfn.actions()
    p = ctl.ok("--yes", "destroy", "--force", "vpc", builtin=True)
    assert "DELETE_COMPLETE" in p.stdout
    assert ctl.cfn.stack("showtable-vpc") is None
    assert "/go-on-aws/vpc" not in ctl.ssm.params
    assert ctl.cfn.stack("showtable-container") is not None


def test_destroy_says_so_when_the_resources_cannot_be_counted(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    ctl.cfn.failing["DescribeStackResources"] = CfnError(
        "InternalFailure", "We encountered an internal error", 500)
    env = dict(ctl.env, AWS_MAX_ATTEMPTS="1")
    p = ctl.ok("--yes", "destroy", "vpc", env=env)
    assert ("showtable-vpc (CREATE_COMPLETE): every resource will be deleted (they could not "
            "be listed: InternalFailure: ") in p.stdout
    assert "0 resources will be deleted" not in p.stdout
    assert "showtable-vpc: DELETE_COMPLETE" in p.stdout


def test_destroy_removes_a_stack_left_in_review(ctl):
    ctl.cfn.seed_stack("showtable-table", "REVIEW_IN_PROGRESS")
    p = ctl.ok("--yes", "destroy", "table")
    assert "showtable-table: DELETE_COMPLETE" in p.stdout
    assert ctl.cfn.stack("showtable-table") is None


def test_destroy_goes_in_reverse_order_and_lists_what_is_kept(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    p = ctl.ok("--yes", "destroy", "--lift-protection", "vpc", "table", "container")
    deleted = [f["StackName"] for f in ctl.cfn.calls("DeleteStack")]
    assert [ctl.cfn.stacks[[s.id for s in ctl.cfn.stacks].index(i)].name for i in deleted] == \
        ["showtable-container", "showtable-table", "showtable-vpc"]
    assert "kept after delete (still billable): Table (AWS::DynamoDB::Table, Retain)" in p.stdout
    p = ctl.ok("--yes", "destroy", "vpc")
    assert "does not exist — nothing to destroy" in p.stdout


@pytest.mark.parametrize("policy", ["Retain", "Delete"])
def test_destroy_evaluates_the_deletion_policy_with_the_stack_parameters(ctl, policy):
    # The built-in table template chooses its DeletionPolicy with Fn::If on a parameter.
    ctl.ok("--yes", "deploy", "table", "--param", f"TableDeletionPolicy={policy}", builtin=True)
    table = ctl.cfn.stack("showtable-table").resources["Table"]["PhysicalId"]
    p = ctl.ok("--yes", "destroy", "--lift-protection", "table", builtin=True)
    assert ctl.cfn.calls("GetTemplate")[-1]["TemplateStage"] == "Original"
    listed = "kept after delete (still billable): Table (AWS::DynamoDB::Table, Retain) — " + table
    skipped = f"stays, still billable (DELETE_SKIPPED): Table (AWS::DynamoDB::Table) {table}"
    if policy == "Retain":
        assert listed in p.stdout and skipped in p.stdout
        assert ("Table", "AWS::DynamoDB::Table", table) in ctl.cfn.retained
        assert "nothing stays" not in p.stdout
    else:
        assert "kept after delete" not in p.stdout and "DELETE_SKIPPED" not in p.stdout
        assert "nothing stays: the template keeps no resource after delete" in p.stdout
        assert ctl.cfn.retained == []


def test_destroy_falls_back_to_the_local_template_when_the_deployed_one_is_unreadable(ctl):
    ctl.cfn.seed_stack("showtable-table", "CREATE_COMPLETE")   # the fake keeps no template
    p = ctl.ok("--yes", "destroy", "table")
    assert "reading the deployed template (the local one is used instead)" in p.stderr
    assert "kept after delete (still billable): Table (AWS::DynamoDB::Table, Retain)" in p.stdout


def test_destroy_names_a_condition_it_cannot_evaluate_and_deletes_nothing(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    ctl.cfn.stack("showtable-vpc").body = (d / "vpc.yaml").read_text().replace(
        "  Vpc:\n    Type: AWS::EC2::VPC\n",
        "  Vpc:\n    Type: AWS::EC2::VPC\n    DeletionPolicy: !If [Nope, Retain, Delete]\n")
    p = ctl.run("--yes", "destroy", "vpc")
    assert p.returncode == 1
    assert "cannot tell what its deletion keeps: Vpc's DeletionPolicy: condition Nope is not " \
           "in Conditions" in p.stderr
    assert "DeleteStack" not in ctl.cfn.actions()


def test_the_table_stack_is_protected_and_destroy_lifts_it_only_when_named(ctl):
    p = ctl.ok("--yes", "deploy", "table")
    assert ctl.cfn.calls("UpdateTerminationProtection")[-1]["EnableTerminationProtection"] == \
        "true"
    assert "termination protection on — `showtablectl destroy table` needs " \
           "--lift-protection" in p.stdout
    assert ctl.cfn.stack("showtable-table").protected
    ctl.ok("--yes", "deploy", "vpc")
    assert len(ctl.cfn.calls("UpdateTerminationProtection")) == 1   # the vpc holds no data
    p = ctl.run("--yes", "destroy", "table")   # --yes alone is not enough
    assert p.returncode == 1
    assert "has termination protection (it holds the table and its data) — to delete it " \
           "anyway, run `showtablectl destroy --lift-protection table`" in p.stderr
    assert "DeleteStack" not in ctl.cfn.actions()
    p = ctl.ok("--yes", "destroy", "--lift-protection", "table")
    assert "lifted before the delete" in p.stdout
    acts = ctl.cfn.actions()
    assert acts.index("UpdateTerminationProtection", 1) < acts.index("DeleteStack")
    assert ctl.cfn.stack("showtable-table") is None


def test_a_redeploy_keeps_the_protection_without_setting_it_again(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "table")
    (d / "table.yaml").write_text((d / "table.yaml").read_text().replace(
        "BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED"))
    ctl.ok("--yes", "deploy", "table")
    assert len(ctl.cfn.calls("UpdateTerminationProtection")) == 1


def test_a_container_without_certificate_warns_that_the_password_travels_in_clear(ctl):
    d = ctl.templates_copy()
    (d / "container.yaml").write_text((d / "container.yaml").read_text().replace(
        "  DesiredCount:\n", "  CertificateArn:\n    Type: String\n    Default: \"\"\n"
        "  DesiredCount:\n"))
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    assert "warning: showtable-container has no CertificateArn, so it answers on plain HTTP " \
           "and the basic-auth password crosses the Internet in clear text" in p.stderr
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", "--param",
               f"CertificateArn={arn}", "--param", "DesiredCount=2")
    assert "warning" not in p.stderr
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")   # carried over
    assert "warning" not in p.stderr


def json_lines(stdout):
    import json
    return [json.loads(l) for l in stdout.splitlines()]


def test_json_puts_only_json_lines_on_stdout_and_the_human_output_on_stderr(ctl):
    p = ctl.ok("--json", "--yes", "deploy", "vpc")
    lines = json_lines(p.stdout)   # every line parses
    assert "account 123456789012" in p.stderr and "timeline: " in p.stderr
    types = [l["type"] for l in lines]
    assert types[-1] == "result" and lines[-1] == {
        "type": "result", "stack": "showtable-vpc", "command": "deploy", "outcome": "ok",
        "status": "CREATE_COMPLETE"}
    changes = [l for l in lines if l["type"] == "change"]
    assert {c["resource"] for c in changes} == {"Vpc", "Subnet", "VpcParameter"}
    assert all(c["action"] == "Add" for c in changes)
    evs = [l for l in lines if l["type"] == "event"]
    assert evs[-1]["resource"] == "showtable-vpc" and evs[-1]["status"] == "CREATE_COMPLETE"
    assert set(evs[0]) >= {"time", "resource", "resource_type", "status", "physical_id"}
    tl = next(l for l in lines if l["type"] == "timeline")
    assert tl["total_seconds"] > 0 and {r["resource"] for r in tl["resources"]} == \
        {"Vpc", "Subnet", "VpcParameter"}


def test_json_diff_destroy_drift_status_and_outputs(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    (d / "vpc.yaml").write_text((d / "vpc.yaml").read_text().replace("10.0.0.0/18", "10.0.64.0/18"))
    p = ctl.run("--json", "diff", "vpc")
    assert p.returncode == 2
    lines = json_lines(p.stdout)
    ch = next(l for l in lines if l["type"] == "change")
    assert ch["resource"] == "Subnet" and ch["replacement"] == "True"
    assert ch["details"][0]["property"] == "CidrBlock"
    assert ch["details"][0]["before"] == "10.0.0.0/18" and ch["details"][0]["after"] == \
        "10.0.64.0/18"
    assert lines[-1]["outcome"] == "changes" and lines[-1]["command"] == "diff"
    assert {"type": "parameter", "stack": "showtable-vpc", "key": "NatGateways",
            "value": "1"} in lines
    p = ctl.ok("--json", "outputs", "vpc")
    assert json_lines(p.stdout) == [{"type": "output", "stack": "showtable-vpc",
                                     "key": "VpcId", "value": "fake-VpcId"}]
    ctl.cfn.drift = {"showtable-vpc": {"Subnet": [("/CidrBlock", "a", "b", "NOT_EQUAL")]}}
    p = ctl.run("--json", "drift", "vpc")
    dr = json_lines(p.stdout)[0]
    assert dr["type"] == "drift" and dr["drift"] == "DRIFTED"
    assert dr["resources"][0]["differences"] == [
        {"path": "/CidrBlock", "expected": "a", "actual": "b", "kind": "NOT_EQUAL"}]
    p = ctl.run("--json", "status")
    st = [l for l in json_lines(p.stdout) if l["type"] == "stack"]
    assert {l["stack"]: l["status"] for l in st} == {
        "showtable-vpc": "CREATE_COMPLETE", "showtable-table": "NOT_DEPLOYED",
        "showtable-container": "NOT_DEPLOYED"}
    p = ctl.ok("--json", "--yes", "destroy", "vpc")
    lines = json_lines(p.stdout)
    assert {"type": "kept", "stack": "showtable-vpc", "resources": []} in lines
    assert lines[-1]["command"] == "destroy" and lines[-1]["outcome"] == "ok"


# --- credentials


def test_credentials_are_created_once_on_the_first_container_deploy(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    m = re.search(r"password: (\S+)", p.stdout)
    assert m, p.stdout
    cred = ctl.ssm.params["/go-on-aws/credentials"]
    assert cred["Type"] == "SecureString" and cred["Version"] == 1
    user, hashed = cred["Value"].split(":", 1)
    assert user == "showtable" and hashed.startswith("$2b$")
    assert crypt_verify(m.group(1), hashed)
    assert m.group(1) not in cred["Value"]
    p = ctl.ok("--yes", "deploy", "container", "--image", "r/w:2")
    assert "password:" not in p.stdout
    assert ctl.ssm.params["/go-on-aws/credentials"]["Version"] == 1


def test_credentials_set_rotates_the_password(ctl):
    ctl.ssm.put("/go-on-aws/credentials", "old:$2b$10$abcdefghijklmnopqrstuuJ", type="SecureString")
    p = ctl.ok("credentials", "set", "alice")
    cred = ctl.ssm.params["/go-on-aws/credentials"]
    assert cred["Version"] == 2 and cred["Type"] == "SecureString"
    pw = re.search(r"password: (\S+)", p.stdout).group(1)
    user, hashed = cred["Value"].split(":", 1)
    assert user == "alice" and crypt_verify(pw, hashed)
    put = [r for r in ctl.ssm.requests if r.op == "PutParameter"][-1]
    assert put.body["Overwrite"] is True
    p = ctl.run("credentials", "set", "bad:user")
    assert p.returncode == 2


# --- status, outputs, logs


def test_status_shows_stacks_parameters_service_and_url(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.ok("status")
    assert re.search(r"showtable-vpc +CREATE_COMPLETE +last change \d{4}-", p.stdout)
    assert re.search(r"showtable-container +not deployed", p.stdout)
    assert re.search(r"writes +/go-on-aws/vpc +exists", p.stdout)
    assert re.search(r"reads +/go-on-aws/vpc +exists", p.stdout)
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    ctl.cfn.service = {"runningCount": 1, "desiredCount": 2, "pendingCount": 1}
    ctl.cfn.targets = [("10.0.1.5", "8080", "healthy", "", ""),
                       ("10.0.2.9", "8080", "unhealthy", "Target.ResponseCodeMismatch",
                        "Health checks failed with these codes: [500]")]
    p = ctl.ok("status")
    assert "service: 1/2 tasks running, 1 pending" in p.stdout
    assert "target:  10.0.1.5:8080 healthy" in p.stdout
    assert ("target:  10.0.2.9:8080 unhealthy (Target.ResponseCodeMismatch: Health checks "
            "failed with these codes: [500])") in p.stdout
    assert "url:     http://showtable-container-alb-123.us-east-1.elb.amazonaws.com" in p.stdout
    svc = [b for (s, a, b) in ctl.cfn.requests if a == "DescribeServices"][-1]
    assert svc["cluster"] == "showtable-container-cluster"
    tg = ctl.cfn.calls("DescribeTargetHealth")[-1]
    assert tg["Version"] == "2015-12-01" and ":targetgroup/" in tg["TargetGroupArn"]
    del ctl.ssm.params["/go-on-aws/table"]
    p = ctl.ok("status")
    assert re.search(r"reads +/go-on-aws/table +MISSING", p.stdout)


def test_status_without_credentials_says_so_once_and_stops(ctl):
    env = dict(ctl.env)
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    p = ctl.run("status", env=env)
    assert p.returncode == 1
    assert p.stderr.count("no AWS credentials found") == 1, p.stderr
    assert p.stderr.count("CloudFormation DescribeStacks") == 1, p.stderr
    assert "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in p.stderr
    assert "unknown" not in p.stdout   # no parameter lines that only repeat the error
    assert ctl.cfn.requests == []


def test_outputs_prints_key_tab_value(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    p = ctl.ok("outputs", "vpc")
    assert p.stdout == "VpcId\tfake-VpcId\n"
    p = ctl.run("outputs", "table")
    assert p.returncode == 1 and "not deployed" in p.stderr


def test_logs_reads_the_stack_log_group_across_pages(ctl):
    import time
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    now = int(time.time() * 1000)
    ctl.cfn.log_events = [
        {"logStreamName": "web/web/abc", "timestamp": now - 7200_000, "message": "too old",
         "eventId": "e0", "ingestionTime": now},
    ] + [{"logStreamName": "web/web/abc", "timestamp": now - 60_000 + i, "message": f"line {i}\n",
          "eventId": f"e{i + 1}", "ingestionTime": now} for i in range(5)]
    p = ctl.ok("logs", "--since", "1h")
    lines = p.stdout.splitlines()
    assert [ln.split(" ", 2)[2] for ln in lines] == [f"line {i}" for i in range(5)]
    reqs = [b for (s, a, b) in ctl.cfn.requests if a == "FilterLogEvents"]
    assert reqs[0]["logGroupName"] == "/showtable-container/web"
    assert any("nextToken" in r for r in reqs)
    assert abs(reqs[0]["startTime"] - (now - 3600_000)) < 60_000
    p = ctl.run("logs", "--since", "soon")
    assert p.returncode == 2


# --- configuration errors


def test_no_region_is_a_clear_error(ctl):
    env = dict(ctl.env)
    del env["AWS_REGION"]
    p = ctl.run("--yes", "deploy", "vpc", env=env)
    assert p.returncode == 1
    assert "region" in p.stderr.lower()
    assert ctl.cfn.requests == []


# --- on a terminal


def run_on_tty(ctl, args, answer):
    """Runs showtablectl with a pseudo-terminal as stdin and stdout; answers the prompt."""
    import pty
    import select
    master, slave = pty.openpty()
    cmd = [binary("showtablectl"), "--template-dir", ctl.templates, *args]
    proc = subprocess.Popen(cmd, env=ctl.env, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out, answered = b"", False
    try:
        while True:
            r, _, _ = select.select([master], [], [], 30)
            if not r:
                raise AssertionError(f"no output for 30 s; so far: {out!r}")
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break      # the terminal closed: the process exited
            if not chunk:
                break
            out += chunk
            if not answered and b"[y/N]" in out:
                if answer is None:
                    proc.send_signal(signal.SIGINT)   # what Ctrl-C on the terminal sends
                else:
                    os.write(master, answer)
                answered = True
    finally:
        os.close(master)
        proc.wait(30)
    return proc.returncode, out.decode(errors="replace"), proc.stderr.read().decode()


def test_terminal_prompt_yes_deploys_with_an_in_place_counter(ctl):
    rc, out, err = run_on_tty(ctl, ["deploy", "vpc"], b"y\n")
    assert rc == 0, err
    assert "Deploy these changes to showtable-vpc? [y/N]" in out
    assert "\r\x1b[K" in out                      # the counter is redrawn in place
    assert re.search(r"CREATE_IN_PROGRESS: \d+/3 resources done", out)
    assert ctl.cfn.stack("showtable-vpc").status == "CREATE_COMPLETE"


def test_terminal_prompt_no_leaves_nothing(ctl):
    rc, out, err = run_on_tty(ctl, ["deploy", "vpc"], b"n\n")
    assert rc == 1
    assert "showtable-vpc: not deployed" in out
    assert "ExecuteChangeSet" not in ctl.cfn.actions()
    assert ctl.cfn.stack("showtable-vpc") is None


def test_ctrl_c_at_the_prompt_deletes_the_change_set_and_the_review_stack(ctl):
    rc, out, err = run_on_tty(ctl, ["deploy", "vpc"], None)
    assert rc == 1, (out, err)
    assert "interrupted: taken as no" in out and "showtable-vpc: not deployed" in out
    assert "DeleteChangeSet" in ctl.cfn.actions() or "DeleteStack" in ctl.cfn.actions()
    assert "ExecuteChangeSet" not in ctl.cfn.actions()
    assert ctl.cfn.stack("showtable-vpc") is None


def test_ctrl_c_at_the_update_prompt_keeps_the_stack_and_drops_the_change_set(ctl):
    d = ctl.templates_copy()
    ctl.ok("--yes", "deploy", "vpc")
    text = (d / "vpc.yaml").read_text()
    (d / "vpc.yaml").write_text(text.replace("CidrBlock: 10.0.0.0/18", "CidrBlock: 10.0.64.0/18"))
    rc, out, err = run_on_tty(ctl, ["deploy", "vpc"], None)
    assert rc == 1, (out, err)
    assert "Modify" in out and "interrupted: taken as no" in out
    assert ctl.cfn.stack("showtable-vpc").status == "CREATE_COMPLETE"
    assert ctl.cfn.calls("DeleteChangeSet"), "the change set must not be left behind"
    assert len(ctl.cfn.calls("ExecuteChangeSet")) == 1


def test_counter_is_not_drawn_without_a_terminal(ctl):
    p = ctl.ok("--yes", "deploy", "vpc")
    assert "\r" not in p.stdout and "\x1b[" not in p.stdout


def test_container_diff_without_image_keeps_the_running_image(ctl):
    # deploy without --image builds and pushes one (test_deploy_image.py); diff pushes nothing
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    p = ctl.run("diff", "container", "--param", "DesiredCount=2")
    assert p.returncode == 2, p.stderr
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    keys = {form[k]: k for k in form if k.endswith(".ParameterKey")}
    assert form[keys["Image"].replace("ParameterKey", "UsePreviousValue")] == "true"
    assert re.search(r"~ Modify +Service +AWS::ECS::Service", p.stdout)
    assert "diff keeps the deployed image" in p.stdout
    assert ctl.cfn.stack("showtable-container").raw_params["Image"] == "r/w:1"


def test_logs_follow_prints_new_events_once_and_stops_on_interrupt(ctl):
    import threading
    import time
    ctl.ok("--yes", "deploy", "vpc", "table")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1")
    now = int(time.time() * 1000)
    ev = lambda i, ts: {"logStreamName": "web/web/abc", "timestamp": ts, "message": f"m{i}",
                        "eventId": f"e{i}", "ingestionTime": ts}
    ctl.cfn.log_events = [ev(1, now - 5000), ev(2, now - 4000)]
    env = dict(ctl.env, SHOWTABLE_POLL_MS="50")
    proc = subprocess.Popen([binary("showtablectl"), "--template-dir", ctl.templates, "logs",
                             "--follow"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()

    def wait_for(n):
        end = time.monotonic() + 20
        while len(lines) < n and time.monotonic() < end:
            time.sleep(0.05)
        assert len(lines) >= n, lines

    try:
        wait_for(2)
        # same millisecond as the newest seen, and later: both new
        ctl.cfn.log_events += [ev(3, now - 4000), ev(4, now - 1000)]
        wait_for(4)
        time.sleep(0.3)        # several more polls: nothing is printed twice
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert [ln.split(" ", 2)[2].strip() for ln in lines] == ["m1", "m2", "m3", "m4"]
    assert "Sanitizer" not in proc.stderr.read()


# --- the container's two front doors (built-in template)

API_URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
ALB_URL = "http://showtable-container-alb-123.us-east-1.elb.amazonaws.com"
HTTPAPI_ONLY = ("HttpApi", "VpcLink", "ApiIntegration", "ApiDefaultRoute", "ApiDefaultStage",
                "DiscoveryNamespace", "DiscoveryService", "VpcLinkSecurityGroup", "VpcLinkToService",
                "ServiceFromVpcLink")
ALB_ONLY = ("LoadBalancer", "TargetGroup", "HttpListener", "LoadBalancerSecurityGroup",
            "LoadBalancerToService", "ServiceFromLoadBalancer", "RequestScaling")


def change_lines(stdout):
    """{(mark, logical id)} of the change set shown."""
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^  ([+~-]) \w+ +(\S+) ", stdout, re.M)}


def sent_params(form):
    out, i = {}, 1
    while f"Parameters.member.{i}.ParameterKey" in form:
        out[form[f"Parameters.member.{i}.ParameterKey"]] = (
            form.get(f"Parameters.member.{i}.ParameterValue"),
            form.get(f"Parameters.member.{i}.UsePreviousValue"))
        i += 1
    return out


def deploy_container(ctl, *args):
    return ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", *args, builtin=True)


def test_container_deploys_behind_the_http_api(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    p = deploy_container(ctl, "--param", "Frontend=httpapi")
    form = ctl.cfn.calls("CreateChangeSet")[-1]
    assert sent_params(form)["Frontend"] == ("httpapi", None)
    assert form["Capabilities.member.1"] in ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")
    shown = change_lines(p.stdout)
    assert {("+", lid) for lid in HTTPAPI_ONLY} <= shown
    assert not {lid for _, lid in shown} & set(ALB_ONLY)
    types = {r["Type"] for r in ctl.cfn.stack("showtable-container").resources.values()}
    assert not any(t.startswith("AWS::ElasticLoadBalancingV2::") for t in types)
    assert f"ServiceURL = {API_URL}" in p.stdout
    assert "Frontend alb" not in p.stdout   # a first deploy switches nothing


def test_status_and_outputs_show_the_api_url_and_the_tasks_health_checks(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    deploy_container(ctl, "--param", "Frontend=httpapi")
    ctl.cfn.tasks = [{"id": "aaaa1111", "lastStatus": "RUNNING", "healthStatus": "HEALTHY"},
                     {"id": "bbbb2222", "lastStatus": "RUNNING", "healthStatus": "UNHEALTHY"}]
    p = ctl.ok("status", builtin=True)
    assert f"url:     {API_URL}" in p.stdout
    assert "task:    aaaa1111 RUNNING, health HEALTHY" in p.stdout
    assert "task:    bbbb2222 RUNNING, health UNHEALTHY" in p.stdout
    assert "target:" not in p.stdout and ctl.cfn.calls("DescribeTargetHealth") == []
    # status's (the deploy's watch of the new deployment lists the STOPPED ones)
    (lt,) = [b for (_, a, b) in ctl.cfn.requests if a == "ListTasks" and "desiredStatus" not in b]
    assert lt["cluster"] == "showtable-container-cluster" and ":service/" in lt["serviceName"]
    (dt,) = [b for (_, a, b) in ctl.cfn.requests if a == "DescribeTasks"]
    assert dt["tasks"] == [f"arn:aws:ecs:us-east-1:123456789012:task/showtable-container-cluster/{i}"
                           for i in ("aaaa1111", "bbbb2222")]
    out = ctl.ok("outputs", "container", builtin=True).stdout
    assert f"ServiceURL\t{API_URL}\n" in out and "Frontend\thttpapi\n" in out
    assert "LoadBalancerDNS" not in out


def test_status_behind_the_alb_shows_task_health_and_targets(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    deploy_container(ctl)
    ctl.cfn.tasks = []
    p = ctl.ok("status", builtin=True)
    assert f"url:     {ALB_URL}" in p.stdout
    assert "task:    none running" in p.stdout and "target:  10.0.1.5:8080 healthy" in p.stdout
    assert ctl.cfn.calls("DescribeTasks") == []   # no tasks: nothing to describe


def test_switching_front_doors_is_one_update_that_says_what_happens(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    deploy_container(ctl)
    p = deploy_container(ctl, "--param", "Frontend=httpapi")
    assert "Frontend alb → httpapi, in this one update" in p.stdout
    assert "a DNS name pointing at the load balancer must be moved by hand" in p.stdout
    shown = change_lines(p.stdout)
    assert {("+", lid) for lid in HTTPAPI_ONLY} <= shown
    assert {("-", lid) for lid in ALB_ONLY} <= shown
    assert ("~", "Service") in shown and ("~", "FrontendReady") in shown
    assert f"ServiceURL = {API_URL}" in p.stdout
    # back again; then a plain deploy keeps the mode it has
    p = deploy_container(ctl, "--param", "Frontend=alb")
    assert "Frontend httpapi → alb, in this one update" in p.stdout
    shown = change_lines(p.stdout)
    assert {("-", lid) for lid in HTTPAPI_ONLY} <= shown and {("+", lid) for lid in ALB_ONLY} <= shown
    assert f"ServiceURL = {ALB_URL}" in p.stdout
    p = deploy_container(ctl, "--param", "Frontend=httpapi")
    p = deploy_container(ctl)
    assert "no changes" in p.stdout and "Frontend alb" not in p.stdout and "Frontend httpapi" not in p.stdout
    assert sent_params(ctl.cfn.calls("CreateChangeSet")[-1])["Frontend"] == (None, "true")


def test_diff_of_a_front_door_switch_explains_it_and_changes_nothing(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    deploy_container(ctl)
    p = ctl.run("diff", "container", "--param", "Frontend=httpapi", builtin=True)
    assert p.returncode == 2, p.stderr   # changes found
    assert "Frontend alb → httpapi, in this one update" in p.stdout
    assert ctl.cfn.stack("showtable-container").raw_params["Frontend"] == "alb"


def test_http_api_under_your_own_name_gives_that_url_and_the_cname_target(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    p = deploy_container(ctl, "--param", "Frontend=httpapi", "--param", "ApiDomainName=tables.example.com",
                         "--param", "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc")
    assert {("+", "ApiDomain"), ("+", "ApiDomainMapping")} <= change_lines(p.stdout)
    assert "ServiceURL = https://tables.example.com" in p.stdout
    out = ctl.ok("outputs", "container", builtin=True).stdout
    assert "ApiDomainTarget\t" in out and "ServiceURL\thttps://tables.example.com\n" in out


def test_the_cheapest_deployment_is_one_command(ctl):
    """docs: `deploy --param NatGateways=0 --param Frontend=httpapi vpc table container`."""
    ctl.ok("--yes", "deploy", "--param", "NatGateways=0", "--param", "Frontend=httpapi", "vpc", "table",
           "container", "--image", "r/w:1", builtin=True)
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "0"
    assert ctl.cfn.stack("showtable-container").raw_params["Frontend"] == "httpapi"
    assert "Frontend" not in ctl.cfn.stack("showtable-vpc").raw_params

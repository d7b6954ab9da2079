"""showtablectl deploy vpc switching NatGateways under a running container stack, against the
fake CloudFormation and SSM with the built-in templates: 1 → 0 is refused with the commands
of the safe order until the service runs in the public subnets; 0 → 1 goes ahead with a note.
"""
from test_deploy import ctl  # noqa: F401  (the fixture)


def running(ctl, *vpc_params):  # noqa: F811
    ctl.ok("--yes", "deploy", "vpc", "table", *vpc_params, builtin=True)
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)


def test_nat_removal_under_the_running_service_is_refused_with_the_safe_order(ctl):  # noqa: F811
    running(ctl)
    p = ctl.run("--yes", "deploy", "--param", "NatGateways=0", "vpc", builtin=True)
    assert p.returncode == 1
    assert "NatGateways 1 → 0 removes the private subnets' routes out while showtable-container " \
           "runs in them" in p.stderr
    public = ctl.ssm.params["/go-on-aws/subnets/public"]["Value"]
    assert (f"  showtablectl param put /go-on-aws/subnets/service '{public}' --type StringList "
            f"--overwrite\n  showtablectl param put /go-on-aws/service-public-ip ENABLED "
            f"--overwrite\n  showtablectl --yes deploy container\n  showtablectl --yes deploy "
            f"--param NatGateways=0 vpc") in p.stderr
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "1"
    assert not ctl.cfn.change_sets   # the prepared change set is deleted


def test_after_the_service_moved_the_nat_is_removed(ctl):  # noqa: F811
    running(ctl)
    public = ctl.ssm.params["/go-on-aws/subnets/public"]["Value"]
    ctl.ok("param", "put", "/go-on-aws/subnets/service", public, "--type", "StringList",
           "--overwrite")
    ctl.ok("param", "put", "/go-on-aws/service-public-ip", "ENABLED", "--overwrite")
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)
    p = ctl.ok("--yes", "deploy", "--param", "NatGateways=0", "vpc", builtin=True)
    assert "already runs in the public subnets with a public IP" in p.stdout
    assert ctl.cfn.stack("showtable-vpc").raw_params["NatGateways"] == "0"


def test_adding_the_nat_goes_ahead_and_says_to_deploy_the_container(ctl):  # noqa: F811
    running(ctl, "--param", "NatGateways=0")
    p = ctl.ok("--yes", "deploy", "--param", "NatGateways=1", "vpc", builtin=True)
    assert "NatGateways 0 → 1: the NAT gateway and the private subnets' routes out come first" \
        in p.stdout
    assert "`showtablectl deploy container` moves it into the private ones" in p.stdout


def test_without_a_container_stack_the_switch_is_not_questioned(ctl):  # noqa: F811
    ctl.ok("--yes", "deploy", "vpc", builtin=True)
    p = ctl.ok("--yes", "deploy", "--param", "NatGateways=0", "vpc", builtin=True)
    assert "NatGateways" not in p.stderr

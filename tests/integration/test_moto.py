"""showtablectl and showtable against moto, an AWS emulator written independently of this
project (pinned in scripts/aws-tools.txt, started by the moto_server fixture in conftest.py).

Our fakes (fakes/) share our reading of the API reference; moto is someone else's reading, with
real models behind it: the stacks deployed here make VPCs, subnets, routes, NAT gateways and a
DynamoDB table that the tests then look at through botocore.
The built-in templates are deployed as they ship, with requests as showtablectl sends them.
Where moto 5.2.1 falls short of CloudFormation the test says so in a comment and checks what
moto can show; test_deploy.py (fakes/fake_cfn.py) and test_templates.py keep covering the rest.
What moto lacks, found here:
  - the container stack cannot be built. `Fn::And` with a `!Condition` operand is always false
    in moto, so HasCertificate is false even with a certificate; the load balancer's ingress
    list then holds a `!Ref AWS::NoValue` element, on which ExecuteChangeSet fails with HTTP 500.
    A retried ExecuteChangeSet (showtablectl retries a 500, as the SDKs do) is answered with
    success over the half-built stack, whose resources can no longer be listed (HTTP 500).
    With Frontend=httpapi, moto does not support AWS::ServiceDiscovery::Service and refuses
    the GetAtt on it. The container tests therefore stop at the change set, the reported
    failures, and the guards and destroy of the half-built stack.
  - change sets list resources whose Condition is false, and never list a change that comes
    from a parameter alone; "no changes" is decided by comparing the parameters sent with those
    sent at creation, not their values.
  - stacks made from change sets have no Outputs, events only for the stack itself, no
    LastUpdatedTime; executed change sets are kept.
  - many resource properties are not modelled (subnet MapPublicIpOnLaunch, route table tags
    and subnet associations, the table's PITR and encryption).
  - deleting the vpc stack leaves its route tables, internet gateway and DynamoDB endpoint,
    so that deleting the VPC itself fails (DependencyViolation).
  - UpdateTerminationProtection answers HTTP 500, so the table stack deployed here is not
    protected (showtablectl says so as a warning; test_deploy.py covers the protection).
"""
import json
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, binary, crypt_verify, fake_aws_env
from server_fixture import Showtable, load_items

IMAGE = ("123456789012.dkr.ecr.us-east-1.amazonaws.com/showtable@sha256:"
         + "0123456789abcdef" * 4)


class Ctl:
    """Runs showtablectl with every AWS service pointed at moto."""

    def __init__(self, moto, aws_env, tmp):
        self.moto, self.tmp = moto, tmp
        self.env = dict(aws_env, AWS_ENDPOINT_URL=moto.url, SHOWTABLE_POLL_MS="20",
                        SHOWTABLE_WAIT_S="60")

    def run(self, *args, env=None):
        # cwd without web/ and infra/: no image can be built from there
        p = subprocess.run([binary("showtablectl"), *args], env=env or self.env, cwd=self.tmp,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            assert marker not in p.stderr, p.stderr
        return p

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == 0, (f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
                                   f"\nmoto's log ends:\n{self.moto.log_text()[-3000:]}")
        return p

    def changes(self, *args, **kw):
        """A diff that finds changes: it shows them and exits 2."""
        p = self.run(*args, **kw)
        assert p.returncode == 2, (f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
                                   f"\nmoto's log ends:\n{self.moto.log_text()[-3000:]}")
        return p

    def param(self, name):
        return self.moto.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]

    def stack(self, name):
        """The stack as moto describes it, or None."""
        cfn = self.moto.client("cloudformation")
        try:
            return cfn.describe_stacks(StackName=name)["Stacks"][0]
        except cfn.exceptions.ClientError as e:
            if "does not exist" in str(e):
                return None
            raise

    def half_built_container(self):
        """vpc and table, then the container stack as moto leaves it: CREATE_COMPLETE after
        a failed first ExecuteChangeSet and a retried one (module notes)."""
        self.ok("--yes", "deploy", "vpc", "table")
        p = self.ok("--yes", "deploy", "container", "--image", IMAGE)
        assert self.stack("showtable-container")["StackStatus"] == "CREATE_COMPLETE"
        return p


@pytest.fixture
def ctl(moto, aws_env, tmp_path):
    return Ctl(moto, aws_env, tmp_path)


@pytest.fixture(scope="class")
def deployed(moto_server, tmp_path_factory):
    """vpc and table deployed once for the tests of a class that only look."""
    moto_server.reset()
    tmp = tmp_path_factory.mktemp("deployed")
    c = Ctl(moto_server, fake_aws_env(tmp), tmp)
    c.deploy_output = c.ok("--yes", "deploy", "vpc", "table").stdout
    return c


def subnets_of(ctl, name):
    return ctl.param(f"/go-on-aws/subnets/{name}")["Value"].split(",")


def default_routes(ec2, vpc):
    """The 0.0.0.0/0 target of each of the stack's route tables (not the VPC's main one), as
    ("igw", id), ("nat", id) or None, sorted. moto keeps neither the route tables' tags nor
    their subnet associations, so tables are told apart by their routes alone."""
    out = []
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    for rt in tables["RouteTables"]:
        if any(a.get("Main") for a in rt["Associations"]):
            continue
        route = [r for r in rt["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
        out.append(None if not route else ("nat", route[0]["NatGatewayId"])
                   if route[0].get("NatGatewayId") else ("igw", route[0]["GatewayId"]))
    return sorted(out, key=repr)


# --- deploy: decoupling through SSM


def test_status_with_nothing_deployed_shows_every_parameter_missing(ctl):
    p = ctl.ok("status")
    for stack in ("vpc", "table", "container"):
        assert re.search(rf"showtable-{stack} +not deployed", p.stdout)
    assert re.search(r"writes +/go-on-aws/vpc +MISSING", p.stdout)
    assert re.search(r"reads +/go-on-aws/table +MISSING", p.stdout)


def test_container_is_refused_until_vpc_and_table_have_written_their_parameters(ctl):
    p = ctl.run("--yes", "deploy", "container", "--image", IMAGE)
    assert p.returncode == 1
    assert ("the container stack reads SSM parameter /go-on-aws/vpc, which does not exist — run "
            "`showtablectl deploy vpc` first") in p.stderr
    assert "/go-on-aws/table, which does not exist — run `showtablectl deploy table` first" \
        in p.stderr
    assert ctl.stack("showtable-container") is None
    ctl.ok("--yes", "deploy", "vpc")
    p = ctl.run("--yes", "deploy", "container", "--image", IMAGE)
    assert p.returncode == 1
    assert "deploy vpc` first" not in p.stderr and "deploy table` first" in p.stderr
    assert ctl.stack("showtable-container") is None


# --- deploy: what the stacks build


def check_nat_mode(ctl, nat):
    """The routes, NAT gateways and service parameters of the deployed vpc stack in NAT mode
    nat ("0", "1" or "2")."""
    ec2 = ctl.moto.client("ec2")
    vpc = ctl.param("/go-on-aws/vpc")["Value"]
    public, private = subnets_of(ctl, "public"), subnets_of(ctl, "private")
    nats = {n["SubnetId"]: n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]
            if n["VpcId"] == vpc}
    # moto evaluates Conditions when it creates resources (not in change sets: module notes):
    # NAT gateway n sits in public subnet n
    assert sorted(nats) == sorted(public[:int(nat)])
    (igw,) = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
    to_igw = [("igw", igw["InternetGatewayId"])] * 2
    to_nat = {"0": [None, None], "1": [("nat", nats.get(public[0]))] * 2,
              "2": [("nat", nats.get(public[0])), ("nat", nats.get(public[1]))]}[nat]
    assert default_routes(ec2, vpc) == sorted(to_igw + to_nat, key=repr)
    assert subnets_of(ctl, "service") == (public if nat == "0" else private)
    assert ctl.param("/go-on-aws/service-public-ip")["Value"] == \
        ("ENABLED" if nat == "0" else "DISABLED")


@pytest.mark.parametrize("nat", ["0", "2"])
def test_other_nat_modes_route_the_private_subnets_and_place_the_service(ctl, nat):
    ctl.ok("--yes", "deploy", "vpc", "--param", f"NatGateways={nat}")
    check_nat_mode(ctl, nat)


class TestVpcAndTable:
    """What `deploy vpc table` builds, and what inspecting it shows."""

    def test_deploy_completes_each_stack_in_dependency_order(self, deployed):
        done = re.findall(r"^(showtable-\w+): CREATE_COMPLETE$", deployed.deploy_output, re.M)
        assert done == ["showtable-vpc", "showtable-table"]
        for stack in ("vpc", "table"):
            assert deployed.stack(f"showtable-{stack}")["StackStatus"] == "CREATE_COMPLETE"

    def test_vpc_has_two_public_and_two_private_subnets_and_publishes_them(self, deployed):
        ec2 = deployed.moto.client("ec2")
        vpc = deployed.param("/go-on-aws/vpc")["Value"]
        assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"] == "10.0.0.0/16"
        subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
        public, private = subnets_of(deployed, "public"), subnets_of(deployed, "private")
        assert [subnets[s]["CidrBlock"] for s in public] == ["10.0.0.0/18", "10.0.64.0/18"]
        assert [subnets[s]["CidrBlock"] for s in private] == ["10.0.128.0/18", "10.0.192.0/18"]
        for pair in (public, private):   # one of each kind per AZ
            assert len({subnets[s]["AvailabilityZone"] for s in pair}) == 2
        assert deployed.param("/go-on-aws/subnets/public")["Type"] == "StringList"

    def test_default_nat_mode_shares_one_nat_gateway(self, deployed):
        check_nat_mode(deployed, "1")

    def test_vpc_puts_the_free_dynamodb_endpoint_on_every_route_table(self, deployed):
        ec2 = deployed.moto.client("ec2")
        vpc = deployed.param("/go-on-aws/vpc")["Value"]
        eps = ec2.describe_vpc_endpoints()["VpcEndpoints"]
        assert [(e["ServiceName"], e["VpcEndpointType"]) for e in eps] == \
            [("com.amazonaws.us-east-1.dynamodb", "Gateway")]
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
        own = {rt["RouteTableId"] for rt in tables
               if not any(a.get("Main") for a in rt["Associations"])}
        assert len(own) == 4 and set(eps[0]["RouteTableIds"]) == own

    def test_table_has_its_key_and_its_name_published(self, deployed):
        name = deployed.param("/go-on-aws/table")["Value"]
        table = deployed.moto.client("dynamodb").describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == [{"AttributeName": "itemID", "KeyType": "HASH"}]
        assert table["AttributeDefinitions"] == [{"AttributeName": "itemID", "AttributeType": "S"}]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        # point-in-time recovery and KMS encryption are not modelled by moto (module notes)

    def test_status_shows_stacks_and_the_parameters_they_write_and_read(self, deployed):
        p = deployed.ok("status")
        for stack in ("vpc", "table"):
            assert re.search(rf"showtable-{stack} +CREATE_COMPLETE +last change \d{{4}}-",
                             p.stdout)
        assert re.search(r"showtable-container +not deployed", p.stdout)
        assert re.search(r"writes +/go-on-aws/subnets/service +exists", p.stdout)
        assert re.search(r"reads +/go-on-aws/table +exists", p.stdout)

    def test_outputs_print_nothing_for_a_stack_without_outputs(self, deployed):
        # moto keeps no Outputs for stacks made from change sets (module notes)
        assert deployed.ok("outputs", "table").stdout == ""


def test_outputs_of_a_stack_that_is_not_deployed_is_an_error(ctl):
    p = ctl.run("outputs", "table")
    assert p.returncode == 1 and "not deployed" in p.stderr


# --- the container stack, as far as moto goes (module notes)


def test_container_change_set_lists_the_service_and_its_load_balancer(ctl):
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.changes("diff", "container", "--image", IMAGE)
    for lid, typ in (("Cluster", "AWS::ECS::Cluster"),
                     ("TaskDefinition", "AWS::ECS::TaskDefinition"),
                     ("LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer"),
                     ("HttpListener", "AWS::ElasticLoadBalancingV2::Listener"),
                     ("Service", "AWS::ECS::Service")):
        assert re.search(rf"\+ Add +{lid} +{typ}", p.stdout), lid
    # CloudFormation would leave out the resources of the other front door and of HTTPS
    # (their Conditions are false); moto lists them too (module notes)
    assert f"Image = {IMAGE}" in p.stdout
    assert ctl.stack("showtable-container") is None      # nor its empty REVIEW_IN_PROGRESS shell
    assert ctl.moto.client("ecs").list_clusters()["clusterArns"] == []


def test_a_failed_execution_is_reported_with_the_call_and_the_status(ctl):
    # moto fails this correct template with HTTP 500 (module notes); with one attempt the
    # failure shows as it arrives
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.run("--yes", "deploy", "container", "--image", IMAGE,
                env=dict(ctl.env, AWS_MAX_ATTEMPTS="1"))
    assert p.returncode == 1
    assert "ExecuteChangeSet" in p.stderr and "HTTP 500" in p.stderr


def test_a_template_error_at_execution_is_reported_with_its_message(ctl):
    # moto's own error for the httpapi front door (module notes)
    ctl.ok("--yes", "deploy", "vpc", "table")
    p = ctl.run("--yes", "deploy", "container", "--image", IMAGE, "--param", "Frontend=httpapi")
    assert p.returncode == 1
    assert ("showtable-container: ValidationError: Template error: instance of Fn::GetAtt "
            "references undefined resource DiscoveryService") in p.stderr
    assert "ExecuteChangeSet" in p.stderr


def test_first_container_deploy_creates_the_credentials(ctl):
    p = ctl.half_built_container()
    password = re.search(r"password: (\S+)", p.stdout).group(1)
    cred = ctl.param("/go-on-aws/credentials")
    assert cred["Type"] == "SecureString" and cred["Version"] == 1
    user, hashed = cred["Value"].split(":", 1)
    assert user == "showtable" and hashed.startswith("$2b$")
    assert crypt_verify(password, hashed) and password not in cred["Value"]


def test_container_deploy_keeps_credentials_that_exist(ctl):
    ctl.ok("credentials", "set", "alice")
    p = ctl.half_built_container()
    assert "password:" not in p.stdout
    cred = ctl.param("/go-on-aws/credentials")
    assert cred["Version"] == 1 and cred["Value"].startswith("alice:")


def test_destroy_is_refused_while_the_container_reads_the_vpc_and_table_parameters(ctl):
    ctl.half_built_container()
    for stack, name in (("vpc", "/go-on-aws/vpc"), ("table", "/go-on-aws/table")):
        p = ctl.run("--yes", "destroy", stack)
        assert p.returncode == 1
        assert f"showtable-container (CREATE_COMPLETE) reads {name}" in p.stderr
        assert "--force" in p.stderr
        assert ctl.stack(f"showtable-{stack}")["StackStatus"] == "CREATE_COMPLETE"


# --- param and credentials in moto's SSM

def test_param_put_get_and_delete_in_moto_ssm(ctl):
    out = json.loads(ctl.ok("param", "put", "/go-on-aws/note", "hello").stdout)
    assert out == {"name": "/go-on-aws/note", "version": 1}
    got = json.loads(ctl.ok("param", "get", "/go-on-aws/note").stdout)
    assert got == {"name": "/go-on-aws/note", "type": "String", "value": "hello", "version": 1,
                   "arn": "arn:aws:ssm:us-east-1:123456789012:parameter/go-on-aws/note"}
    p = ctl.run("param", "put", "/go-on-aws/note", "again")
    assert p.returncode == 1 and "ParameterAlreadyExists" in p.stderr
    ctl.ok("param", "put", "/go-on-aws/secret", "s3cr3t", "--secure")
    assert ctl.ok("param", "get", "/go-on-aws/secret", "--raw").stdout == "s3cr3t\n"
    sealed = json.loads(ctl.ok("param", "get", "/go-on-aws/secret", "--no-decrypt").stdout)
    assert sealed["type"] == "SecureString" and sealed["value"] != "s3cr3t"
    ctl.ok("param", "delete", "/go-on-aws/note")
    p = ctl.run("param", "get", "/go-on-aws/note")
    assert p.returncode == 1 and "ParameterNotFound" in p.stderr


def test_credentials_set_rotates_the_hash_as_a_secure_string(ctl):
    p = ctl.ok("credentials", "set", "alice")
    first = re.search(r"password: (\S+)", p.stdout).group(1)
    cred = ctl.param("/go-on-aws/credentials")
    assert cred["Type"] == "SecureString" and cred["Version"] == 1
    p = ctl.ok("credentials", "set", "alice")
    second = re.search(r"password: (\S+)", p.stdout).group(1)
    cred = ctl.param("/go-on-aws/credentials")
    assert cred["Version"] == 2
    user, hashed = cred["Value"].split(":", 1)
    assert user == "alice" and crypt_verify(second, hashed) and not crypt_verify(first, hashed)


# --- diff


def executable_change_sets(ctl, stack):
    """Change sets left to execute (moto also keeps executed ones: module notes)."""
    sets = ctl.moto.client("cloudformation").list_change_sets(StackName=stack)["Summaries"]
    return [s for s in sets if s["ExecutionStatus"] != "EXECUTE_COMPLETE"]


def test_diff_without_changes_says_so_and_leaves_nothing(ctl):
    # moto decides "no changes" by comparing the parameters sent now with those sent at
    # creation (module notes); naming NatGateways at creation makes the two sets equal, as
    # showtablectl sends it again (UsePreviousValue) on every update.
    ctl.ok("--yes", "deploy", "vpc", "--param", "NatGateways=1")
    p = ctl.ok("diff", "vpc")
    assert "showtable-vpc: no changes" in p.stdout
    assert executable_change_sets(ctl, "showtable-vpc") == []
    assert ctl.stack("showtable-vpc")["StackStatus"] == "CREATE_COMPLETE"


def test_diff_of_a_changed_template_shows_the_change_and_executes_nothing(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    vpc = ctl.param("/go-on-aws/vpc")["Value"]
    tdir = ctl.tmp / "templates"
    shutil.copytree(f"{ROOT}/infra", tdir)
    text = (tdir / "vpc.yaml").read_text()
    (tdir / "vpc.yaml").write_text(text.replace('"${AWS::StackName}-public-1"',
                                                '"${AWS::StackName}-public-one"'))
    p = ctl.changes("--template-dir", str(tdir), "diff", "vpc")
    assert re.search(r"~ Modify +PublicSubnet1 +AWS::EC2::Subnet", p.stdout)
    assert re.search(r"~ Modify +PublicRouteTable1 +AWS::EC2::RouteTable", p.stdout)
    assert "0 to add, 2 to modify" in p.stdout
    assert executable_change_sets(ctl, "showtable-vpc") == []
    assert ctl.stack("showtable-vpc")["StackStatus"] == "CREATE_COMPLETE"
    tags = ctl.moto.client("ec2").describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "tag:Name",
                                                         "Values": ["showtable-vpc-public-1"]}])
    assert len(tags["Subnets"]) == 1


def test_diff_of_a_parameter_shows_its_new_value(ctl):
    ctl.ok("--yes", "deploy", "vpc")
    p = ctl.changes("diff", "vpc", "--param", "NatGateways=2")
    # CloudFormation would add NatEip2 and NatGateway2 and modify PrivateDefaultRoute2; moto
    # lists no change that comes from a parameter alone (module notes)
    assert "NatGateways = 2" in p.stdout
    assert executable_change_sets(ctl, "showtable-vpc") == []
    assert len(ctl.moto.client("ec2").describe_nat_gateways()["NatGateways"]) == 1


# --- destroy


def test_destroy_goes_in_reverse_order(ctl):
    ctl.half_built_container()
    table = ctl.param("/go-on-aws/table")["Value"]
    p = ctl.run("--yes", "destroy", "vpc", "table", "container")
    done = re.findall(r"^(showtable-\w+): DELETE_COMPLETE$", p.stdout, re.M)
    assert done == ["showtable-container", "showtable-table"]
    # moto cannot list the half-built stack's resources: said so, not counted as 0
    assert re.search(r"^showtable-container \(CREATE_COMPLETE\): every resource will be "
                     r"deleted \(they could not be listed: .*HTTP 500", p.stdout, re.M)
    assert table not in ctl.moto.client("dynamodb").list_tables()["TableNames"]
    assert "/go-on-aws/table" not in [
        x["Name"] for x in ctl.moto.client("ssm").describe_parameters()["Parameters"]]
    # moto cannot delete the vpc stack (module notes); showtablectl says why, and fails
    assert p.stdout.index("showtable-table: DELETE_COMPLETE") < \
        p.stdout.index("showtable-vpc (CREATE_COMPLETE)")
    assert p.returncode == 1
    assert "showtable-vpc: DependencyViolation: " in p.stderr and "DeleteStack" in p.stderr
    p = ctl.ok("--yes", "destroy", "container")
    assert "showtable-container does not exist — nothing to destroy" in p.stdout


# --- the server against moto's SSM and dynalite


def test_server_reads_the_table_name_and_credentials_that_the_stacks_wrote(
        ctl, dynalite, tmp_path, aws_env):
    ctl.ok("--yes", "deploy", "table")
    table = ctl.param("/go-on-aws/table")["Value"]       # written by the stack, not by us
    assert table.startswith("showtable-table-Table-")
    # the items live in dynalite, under the name the stack published
    load_items(dynalite, table, [{"itemID": {"S": f"item-{i}"}, "n": {"N": str(i)}}
                                 for i in range(30)])
    first = re.search(r"password: (\S+)", ctl.ok("credentials", "set", "bob").stdout).group(1)
    env = dict(aws_env, AWS_ENDPOINT_URL_SSM=ctl.moto.url, AWS_ENDPOINT_URL_DYNAMODB=dynalite,
               AWS_MAX_ATTEMPTS="2")
    srv = Showtable(tmp_path, env, htpasswd=False, args=["--credentials-refresh", "1"]).start()
    try:
        status, _, body = srv.get("/api/items?limit=100", auth=("bob", first))
        assert status == 200, body
        page = json.loads(body)
        assert page["table"] == table and len(page["items"]) == 30
        assert srv.get("/", auth=("bob", "wrong"))[0] == 401
        # a new password, set while the server runs, is picked up without a restart
        second = re.search(r"password: (\S+)",
                           ctl.ok("credentials", "set", "bob").stdout).group(1)
        for _ in range(100):
            if srv.get("/", auth=("bob", second))[0] == 200:
                break
            time.sleep(0.1)
        assert srv.get("/", auth=("bob", second))[0] == 200
        assert srv.get("/", auth=("bob", first))[0] == 401
    finally:
        assert srv.stop() == 0

"""The CloudFormation templates in infra/: valid against the resource specification (npm
@aws-cdk/cfnspec), each validator check proven on a broken fragment (tests/data/templates/), and
the invariants the design rests on (SSM decoupling, no imports/exports, least privilege, NAT modes,
both front doors of the container stack).
"""
import os
import re
import shutil
import subprocess

import pytest
import yaml

import cfn_lint
from cfn_lint import active_resources, evaluate_conditions, sub_with_defaults

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INFRA = os.path.join(ROOT, "infra")
BROKEN = os.path.join(ROOT, "tests", "data", "templates")
TEMPLATES = ["vpc", "table", "container"]
PREFIX = "/go-on-aws"
FRONTENDS = ["alb", "httpapi"]


@pytest.fixture(scope="module")
def spec():
    return cfn_lint.load_spec()


def template(name):
    return cfn_lint.load_template(os.path.join(INFRA, f"{name}.yaml"))


def broken(name):
    return cfn_lint.load_template(os.path.join(BROKEN, name))


def props(tpl, resource):
    return tpl["Resources"][resource]["Properties"]


def sub(text):
    return {"Fn::Sub": text}


def ref(name):
    return {"Ref": name}


# --- every template passes every check ------------------------------------------------------

@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("check", sorted(cfn_lint.CHECKS))
def test_template_passes_check(name, check, spec):
    problems = cfn_lint.CHECKS[check](template(name), spec)
    assert problems == [], "\n".join(f"{p.path}: {p.message}" for p in problems)


def with_default(tpl, **defaults):
    """tpl with other parameter defaults: what a deploy with those --param values validates."""
    for key, value in defaults.items():
        tpl["Parameters"][key]["Default"] = value
    return tpl


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_container_passes_every_check_in_each_frontend_mode(frontend, spec):
    problems = cfn_lint.validate(with_default(template("container"), Frontend=frontend), spec)
    assert problems == [], "\n".join(f"{p.path}: {p.message}" for p in problems)


CERT = "arn:aws:acm:us-east-1:111122223333:certificate/x"
LINT_CASES = {
    "alb": {"Frontend": "alb"},
    "alb-https": {"Frontend": "alb", "CertificateArn": CERT},
    "httpapi": {"Frontend": "httpapi"},
    "httpapi-domain": {"Frontend": "httpapi", "ApiDomainName": "tables.example.com", "CertificateArn": CERT},
}


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint (pip cfn-lint) is not installed")
@pytest.mark.parametrize("case", sorted(LINT_CASES))
def test_container_has_no_cfn_lint_findings_in_each_frontend_mode(case, tmp_path):
    """The real cfn-lint (AWS's, with its own schemas and rules), informational findings
    included, on the template with these parameter values as its defaults."""
    with open(os.path.join(INFRA, "container.yaml")) as f:
        text = f.read()
    for key, value in LINT_CASES[case].items():
        text, n = re.subn(rf"(\n  {key}:\n(?:    .*\n)*?    Default: ).*\n", rf"\g<1>{value}\n", text, count=1)
        assert n == 1, key
    assert cfn_lint.load_text(text)["Parameters"]["Frontend"]["Default"] == LINT_CASES[case]["Frontend"]
    path = tmp_path / "container.yaml"
    path.write_text(text)
    p = subprocess.run(["cfn-lint", "--include-checks", "I", "--", str(path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and p.stdout == "", p.stdout + p.stderr


def test_specification_is_the_npm_cfnspec(spec):
    assert cfn_lint.SPEC_PATH.endswith("node_modules/@aws-cdk/cfnspec/spec/specification.json")
    assert len(spec["ResourceTypes"]) > 500 and "AWS::ECS::Service" in spec["ResourceTypes"]


# --- every check catches what it claims (and only that) --------------------------------------

BROKEN_CASES = [
    ("structure-policy-not-literal.yaml", "structure", {"/Resources/Table/DeletionPolicy"}),
    ("structure-version-date.yaml", "structure", {"/AWSTemplateFormatVersion"}),
    ("resource-type-unknown.yaml", "resource-type", {"/Resources/Vpc/Type"}),
    ("property-name-typo.yaml", "property-name", {
        "/Resources/Vpc/Properties/EnableDnsHostname",
        "/Resources/Breaker/Properties/DeploymentConfiguration/DeploymentCircuitBreaker/Rolback"}),
    ("required-missing.yaml", "required", {
        "/Resources/Param/Properties", "/Resources/Task/Properties/ContainerDefinitions/0"}),
    ("property-type-wrong.yaml", "property-type", {
        "/Resources/Vpc/Properties/EnableDnsSupport", "/Resources/Lb/Properties/Subnets",
        "/Resources/Lb/Properties/SecurityGroups", "/Resources/Listener/Properties/Port",
        "/Resources/Listener/Properties/DefaultActions/0/FixedResponseConfig"}),
    ("reference-unknown.yaml", "reference", {
        "/Resources/Subnet/Properties/VpcId", "/Resources/Subnet/Properties/CidrBlock",
        "/Resources/Subnet/Properties/AvailabilityZone", "/Resources/Subnet/DependsOn"}),
    ("condition-unknown.yaml", "condition", {
        "/Resources/Vpc/Condition", "/Resources/Vpc/Properties/CidrBlock"}),
    ("parameter-unused.yaml", "parameter-unused", {"/Parameters/NatGateways"}),
    ("conditional-reference-unguarded.yaml", "conditional-reference", {
        "/Resources/Route/Properties/NatGatewayId", "/Outputs/Nat/Value/Fn::If/2"}),
    ("parameter-definition-bad.yaml", "parameter-definition", {
        "/Parameters/Vpc/Type", "/Parameters/NatGateways/Default", "/Parameters/ParamPrefix/Default",
        "/Parameters/DesiredCount/Default"}),
]


@pytest.mark.parametrize("fragment,check,paths", BROKEN_CASES, ids=[c[0] for c in BROKEN_CASES])
def test_validator_catches_broken_fragment(fragment, check, paths, spec):
    problems = cfn_lint.validate(broken(fragment), spec)
    assert {p.check for p in problems} == {check}, problems
    assert {p.path for p in problems} == paths


def test_every_check_has_a_broken_fragment():
    assert {c[1] for c in BROKEN_CASES} == set(cfn_lint.CHECKS)


def test_language_extensions_allows_policy_from_condition(spec):
    tpl = broken("structure-policy-not-literal.yaml")
    tpl["Transform"] = "AWS::LanguageExtensions"
    assert cfn_lint.check_structure(tpl, spec) == []
    tpl["Resources"]["Table"]["DeletionPolicy"] = {"Fn::If": ["KeepIt", "Retain", "Destroy"]}
    assert [p.message for p in cfn_lint.check_structure(tpl, spec)] == \
        ["'Destroy' is not one of ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']"]


def test_loader_rejects_unknown_tags():
    with pytest.raises(yaml.YAMLError):
        cfn_lint.load_text("Resources:\n  X: !Reff Vpc\n")


def test_loader_turns_short_tags_into_long_form():
    tpl = cfn_lint.load_text("A: !GetAtt Lb.DNSName\nB: !Select [0, !GetAZs '']\nC: !Condition X\n")
    assert tpl == {"A": {"Fn::GetAtt": ["Lb", "DNSName"]},
                   "B": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "C": {"Condition": "X"}}


# --- decoupling: SSM parameters only --------------------------------------------------------

@pytest.mark.parametrize("name", TEMPLATES)
def test_no_import_value_or_export(name):
    assert cfn_lint.imports_and_exports(template(name)) == []


def test_import_export_detector_finds_both():
    assert cfn_lint.imports_and_exports(broken("import-export.yaml")) == [
        "/Resources/Subnet/Properties/VpcId", "/Outputs/SubnetId/Export"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_param_prefix_is_a_parameter_defaulting_to_go_on_aws(name):
    p = template(name)["Parameters"]["ParamPrefix"]
    assert p["Type"] == "String" and p["Default"] == PREFIX
    pattern = re.compile(p["AllowedPattern"])
    for ok in ("/go-on-aws", "/team/dev", "/a.b_c-d"):
        assert pattern.fullmatch(ok), ok
    for bad in ("go-on-aws", "/go-on-aws/", "/", "//x", "/a b"):
        assert not pattern.fullmatch(bad), bad


def ssm_writes(tpl):
    """SSM parameter name (with default prefix) → type, for every AWS::SSM::Parameter."""
    out = {}
    for name, res in tpl["Resources"].items():
        if res["Type"] == "AWS::SSM::Parameter":
            raw = res["Properties"]["Name"]
            assert cfn_lint.intrinsic_name(raw) == "Fn::Sub" and \
                raw["Fn::Sub"].startswith("${ParamPrefix}/"), f"{name}: Name must be !Sub ${{ParamPrefix}}/…"
            out[sub_with_defaults(raw, tpl)] = res["Properties"]["Type"]
    return out


def ssm_reads(tpl):
    """SSM parameter name → CloudFormation parameter type, for every SSM-typed parameter."""
    return {p["Default"]: p["Type"] for p in tpl["Parameters"].values()
            if p["Type"].startswith("AWS::SSM::Parameter::Value<")}


def test_vpc_writes_its_ssm_parameters():
    assert ssm_writes(template("vpc")) == {
        f"{PREFIX}/vpc": "String",
        f"{PREFIX}/subnets/public": "StringList",
        f"{PREFIX}/subnets/private": "StringList",
        f"{PREFIX}/subnets/service": "StringList",
        f"{PREFIX}/service-public-ip": "String",
    }


def test_table_writes_its_ssm_parameter():
    assert ssm_writes(template("table")) == {f"{PREFIX}/table": "String"}


def test_container_reads_exactly_what_vpc_and_table_write():
    writes = {**ssm_writes(template("vpc")), **ssm_writes(template("table"))}
    reads = ssm_reads(template("container"))
    # The private subnet list is published for other consumers; the service gets its subnets
    # from subnets/service, which already reflects the NAT mode.
    assert set(reads) == set(writes) - {f"{PREFIX}/subnets/private"}
    for name, cfn_type in reads.items():
        expected = "StringList" if "<List<" in cfn_type else "String"
        assert writes[name] == expected, f"{name}: read as {cfn_type}, written as {writes[name]}"


def test_container_reads_nothing_except_through_ssm_typed_parameters():
    tpl = template("container")
    settings = {"ParamPrefix", "Image", "ContainerUser", "CertificateArn", "HealthCheckPath",
                "HealthyCodes", "DesiredCount", "MinCapacity", "MaxCapacity", "CpuTargetPercent",
                "RequestsPerTarget", "HealthCheckGracePeriod", "StopTimeout", "LogRetentionDays",
                "CapacityProvider", "Frontend", "ApiRateLimit", "ApiBurstLimit", "ApiDomainName",
                "CpuArchitecture"}
    for name, p in tpl["Parameters"].items():
        if p["Type"].startswith("AWS::SSM::Parameter::Value<"):
            assert p["Default"].startswith(PREFIX + "/"), name
        else:
            assert name in settings, f"{name} is neither an SSM-typed input nor a known setting"
            assert p["Type"] in ("String", "Number"), name
    # No value from another stack can sneak in as a literal either.
    for path, node in cfn_lint.walk(tpl):
        if isinstance(node, str):
            assert not re.search(r"\b(vpc|subnet|sg)-[0-9a-f]{8,}\b", node), path
    for key in ("VpcId", "PublicSubnets", "ServiceSubnets", "TableName", "ServicePublicIp"):
        assert tpl["Parameters"][key]["Type"].startswith("AWS::SSM::Parameter::Value<"), key


# --- vpc ------------------------------------------------------------------------------------

@pytest.mark.parametrize("nat", ["0", "1", "2"])
def test_nat_gateway_count_follows_parameter(nat):
    tpl = template("vpc")
    res = active_resources(tpl, {"NatGateways": nat})
    n = int(nat)
    types = [r["Type"] for r in res.values()]
    assert types.count("AWS::EC2::NatGateway") == n
    assert types.count("AWS::EC2::EIP") == n
    private_routes = {k: r for k, r in res.items() if k.startswith("PrivateDefaultRoute")}
    assert len(private_routes) == (2 if n else 0)
    if n:
        assert private_routes["PrivateDefaultRoute1"]["Properties"]["NatGatewayId"] == ref("NatGateway1")
        assert private_routes["PrivateDefaultRoute2"]["Properties"]["NatGatewayId"] == \
            ref("NatGateway2" if n == 2 else "NatGateway1")
        assert res["NatGateway1"]["Properties"]["SubnetId"] == ref("PublicSubnet1")
    if n == 2:
        assert res["NatGateway2"]["Properties"]["SubnetId"] == ref("PublicSubnet2")


@pytest.mark.parametrize("nat,tier,public_ip", [("0", "Public", "ENABLED"), ("1", "Private", "DISABLED"),
                                                ("2", "Private", "DISABLED")])
def test_service_subnets_and_public_ip_follow_nat_mode(nat, tier, public_ip):
    res = active_resources(template("vpc"), {"NatGateways": nat})
    assert res["ServiceSubnetsParameter"]["Properties"]["Value"] == \
        {"Fn::Join": [",", [ref(f"{tier}Subnet1"), ref(f"{tier}Subnet2")]]}
    assert res["ServicePublicIpParameter"]["Properties"]["Value"] == public_ip


def test_nat_parameter_allows_only_0_1_2_default_1():
    p = template("vpc")["Parameters"]["NatGateways"]
    assert p["AllowedValues"] == ["0", "1", "2"] and p["Default"] == "1"
    conds = {n: evaluate_conditions(template("vpc"), {"NatGateways": n}) for n in "012"}
    assert conds == {"0": {"HasNat": False, "TwoNats": False}, "1": {"HasNat": True, "TwoNats": False},
                     "2": {"HasNat": True, "TwoNats": True}}


def test_vpc_matches_seed_layout():
    tpl = template("vpc")
    vpc = props(tpl, "Vpc")
    assert vpc["CidrBlock"] == "10.0.0.0/16" and vpc["EnableDnsSupport"] and vpc["EnableDnsHostnames"]
    subnets = {"PublicSubnet1": ("10.0.0.0/18", 0, True), "PublicSubnet2": ("10.0.64.0/18", 1, True),
               "PrivateSubnet1": ("10.0.128.0/18", 0, False), "PrivateSubnet2": ("10.0.192.0/18", 1, False)}
    for name, (cidr, az, public) in subnets.items():
        p = props(tpl, name)
        assert p["CidrBlock"] == cidr
        assert p["AvailabilityZone"] == {"Fn::Select": [az, {"Fn::GetAZs": ""}]}
        assert p["MapPublicIpOnLaunch"] is public
    for i in (1, 2):
        route = props(tpl, f"PublicDefaultRoute{i}")
        assert route["GatewayId"] == ref("InternetGateway") and route["DestinationCidrBlock"] == "0.0.0.0/0"
    assert not tpl.get("Outputs", {}).get("VpcId", {}).get("Export")


def test_dynamodb_gateway_endpoint_serves_every_route_table():
    tpl = template("vpc")
    ep = props(tpl, "DynamoDbEndpoint")
    assert ep["VpcEndpointType"] == "Gateway"
    assert ep["ServiceName"] == sub("com.amazonaws.${AWS::Region}.dynamodb")
    tables = {k for k, r in tpl["Resources"].items() if r["Type"] == "AWS::EC2::RouteTable"}
    assert len(tables) == 4 and {t["Ref"] for t in ep["RouteTableIds"]} == tables


# --- table ----------------------------------------------------------------------------------

def test_table_key_billing_recovery_encryption():
    tpl = template("table")
    t = props(tpl, "Table")
    assert t["KeySchema"] == [{"AttributeName": "itemID", "KeyType": "HASH"}]
    assert t["AttributeDefinitions"] == [{"AttributeName": "itemID", "AttributeType": "S"}]
    assert t["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in t
    assert t["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert t["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("choice", ["Delete", "Retain"])
def test_table_deletion_policy_follows_parameter(choice):
    tpl = template("table")
    assert tpl["Transform"] == "AWS::LanguageExtensions"
    p = tpl["Parameters"]["TableDeletionPolicy"]
    assert p["Default"] == "Delete" and p["AllowedValues"] == ["Delete", "Retain"]
    conds = evaluate_conditions(tpl, {"TableDeletionPolicy": choice})
    table = cfn_lint.resolve_if(tpl["Resources"]["Table"], conds)
    assert table["DeletionPolicy"] == choice and table["UpdateReplacePolicy"] == choice


# --- container ------------------------------------------------------------------------------

def policy_statements(role):
    (policy,) = role["Properties"]["Policies"]
    return policy["PolicyDocument"]["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


def test_task_role_is_least_privilege():
    tpl = template("container")
    role = tpl["Resources"]["TaskRole"]
    assert "ManagedPolicyArns" not in role["Properties"]
    arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ParamPrefix}"
    got = {(tuple(as_list(s["Action"])), tuple(str(r) for r in as_list(s["Resource"])),
            str(s.get("Condition"))) for s in policy_statements(role)}
    assert all(s["Effect"] == "Allow" for s in policy_statements(role))
    assert got == {
        (("dynamodb:Scan", "dynamodb:GetItem", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups"),
         (str(sub("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}")),),
         "None"),
        (("ssm:GetParameter",), (str(sub(arn + "/table")), str(sub(arn + "/credentials"))), "None"),
        (("kms:Decrypt",), (str(sub("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*")),),
         str({"StringEquals": {"kms:ViaService": sub("ssm.${AWS::Region}.amazonaws.com"),
                               "kms:EncryptionContext:PARAMETER_ARN": sub(arn + "/credentials")}})),
    }


def test_roles_trust_only_ecs_tasks():
    tpl = template("container")
    for name in ("TaskRole", "ExecutionRole"):
        (stmt,) = props(tpl, name)["AssumeRolePolicyDocument"]["Statement"]
        assert stmt["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert stmt["Action"] == "sts:AssumeRole" and stmt["Effect"] == "Allow"
    (stmt,) = props(tpl, "TaskRole")["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}}


def test_execution_role_only_pulls_from_ecr_and_writes_logs():
    tpl = template("container")
    role = tpl["Resources"]["ExecutionRole"]
    assert "ManagedPolicyArns" not in role["Properties"]
    by_action = {}
    for s in policy_statements(role):
        for action in as_list(s["Action"]):
            by_action[action] = as_list(s["Resource"])
    repo = sub("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*")
    assert by_action == {
        "ecr:GetAuthorizationToken": ["*"],  # account-level call: has no resource to scope to
        "ecr:BatchCheckLayerAvailability": [repo], "ecr:GetDownloadUrlForLayer": [repo],
        "ecr:BatchGetImage": [repo],
        "logs:CreateLogStream": [{"Fn::GetAtt": ["LogGroup", "Arn"]}],
        "logs:PutLogEvents": [{"Fn::GetAtt": ["LogGroup", "Arn"]}],
    }


def test_no_wildcard_actions_or_managed_policies_anywhere():
    tpl = template("container")
    for path, node in cfn_lint.walk(tpl):
        if isinstance(node, dict) and "Action" in node:
            for action in as_list(node["Action"]):
                assert "*" not in action, f"{path}: {action}"
        assert not (isinstance(node, dict) and "ManagedPolicyArns" in node), path


def test_trusted_proxies_are_exactly_the_vpc_the_load_balancer_lives_in():
    """The server believes X-Forwarded-For only from this range: it must be the VPC's CIDR,
    so failed-login limits apply per visitor, not per load balancer node."""
    env = {e["Name"]: e["Value"] for e in
           props(template("container"), "TaskDefinition")["ContainerDefinitions"][0]["Environment"]}
    assert env["SHOWTABLE_TRUSTED_PROXIES"] == props(template("vpc"), "Vpc")["CidrBlock"]


def test_task_definition_is_fargate_256_512_hardened():
    tpl = template("container")
    td = props(tpl, "TaskDefinition")
    assert td["RequiresCompatibilities"] == ["FARGATE"] and td["NetworkMode"] == "awsvpc"
    assert (td["Cpu"], td["Memory"]) == ("256", "512")
    assert td["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    assert td["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    (c,) = td["ContainerDefinitions"]
    assert c["Image"] == ref("Image")
    assert c["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    assert c["ReadonlyRootFilesystem"] is True
    assert c["User"] == ref("ContainerUser") and c["StopTimeout"] == ref("StopTimeout")
    assert c["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
    assert {e["Name"]: e["Value"] for e in c["Environment"]} == {
        "AWS_REGION": ref("AWS::Region"), "SHOWTABLE_PARAM_PREFIX": ref("ParamPrefix"),
        "SHOWTABLE_LISTEN": ":8080", "SHOWTABLE_TRUSTED_PROXIES": "10.0.0.0/16"}
    log = c["LogConfiguration"]
    assert log["LogDriver"] == "awslogs" and log["Options"]["awslogs-group"] == ref("LogGroup")
    assert props(tpl, "LogGroup")["RetentionInDays"] == ref("LogRetentionDays")
    assert tpl["Resources"]["LogGroup"]["DeletionPolicy"] == "Delete"


def test_container_user_cannot_be_root():
    p = template("container")["Parameters"]["ContainerUser"]
    pattern = re.compile(p["AllowedPattern"])
    assert pattern.fullmatch(p["Default"])
    for bad in ("0", "0:0", "root", "10001:0", "", "01:1"):
        assert not pattern.fullmatch(bad), bad


def test_health_check_defaults_are_ping_and_200_401():
    tpl = template("container")
    params = tpl["Parameters"]
    assert params["HealthCheckPath"]["Default"] == "/ping"
    assert params["HealthyCodes"]["Default"] == "200,401"
    assert tpl["Resources"]["TargetGroup"]["Condition"] == "UseAlb"
    tg = props(tpl, "TargetGroup")
    assert tg["HealthCheckPath"] == ref("HealthCheckPath")
    assert tg["Matcher"] == {"HttpCode": ref("HealthyCodes")}
    assert (tg["TargetType"], tg["Protocol"], tg["Port"]) == ("ip", "HTTP", 8080)
    codes = re.compile(params["HealthyCodes"]["AllowedPattern"])
    assert codes.fullmatch("200,401") and codes.fullmatch("200-299") and not codes.fullmatch("ok")


def test_container_health_check_runs_the_server_without_a_shell():
    """The only task health check without a target group: the image has no shell, so the
    exec form runs the server's own --health-check against the same path and codes."""
    (c,) = props(template("container"), "TaskDefinition")["ContainerDefinitions"]
    hc = c["HealthCheck"]
    assert hc["Command"] == ["CMD", "/showtable", "--health-check", sub("http://127.0.0.1:8080${HealthCheckPath}"),
                             "--healthy-codes", ref("HealthyCodes")]
    # ECS limits: interval 5-300, timeout 2-60 (below the interval), retries 1-10, start 0-300.
    assert 5 <= hc["Interval"] <= 300 and 2 <= hc["Timeout"] < hc["Interval"]
    assert 1 <= hc["Retries"] <= 10 and 0 <= hc["StartPeriod"] <= 300


@pytest.mark.parametrize("cert", ["", "arn:aws:acm:us-east-1:111122223333:certificate/x"])
def test_load_balancer_ports_follow_certificate(cert):
    tpl = template("container")
    res = active_resources(tpl, {"CertificateArn": cert})
    ingress = res["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert sorted(r["FromPort"] for r in ingress) == ([80, 443] if cert else [80])
    assert all(r["CidrIp"] == "0.0.0.0/0" for r in ingress)
    assert ("HttpsListener" in res) is bool(cert)
    assert ("HttpToHttpsRedirect" in res) is bool(cert)
    if cert:
        rule = res["HttpToHttpsRedirect"]["Properties"]
        assert rule["ListenerArn"] == ref("HttpListener")
        assert rule["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
        assert rule["Actions"][0]["RedirectConfig"] == {"Protocol": "HTTPS", "Port": "443",
                                                        "StatusCode": "HTTP_301"}
        https = res["HttpsListener"]["Properties"]
        assert https["Certificates"] == [{"CertificateArn": ref("CertificateArn")}]
        assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": ref("TargetGroup")}]
    scheme = "https" if cert else "http"
    assert res and cfn_lint.resolve_if(tpl["Outputs"]["ServiceURL"]["Value"],
                                       evaluate_conditions(tpl, {"CertificateArn": cert})) == \
        sub(scheme + "://${LoadBalancer.DNSName}")


def test_load_balancer_is_internet_facing_in_public_subnets():
    tpl = template("container")
    lb = props(tpl, "LoadBalancer")
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    assert lb["Subnets"] == ref("PublicSubnets")
    assert lb["SecurityGroups"] == [ref("LoadBalancerSecurityGroup")]


FRONT_DOOR_GROUP = {"alb": "LoadBalancerSecurityGroup", "httpapi": "VpcLinkSecurityGroup"}


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_service_accepts_8080_from_the_front_door_only(frontend):
    res = active_resources(template("container"), {"Frontend": frontend})
    door = FRONT_DOOR_GROUP[frontend]
    sg = res["ServiceSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in sg   # rules are resources of their own, one per mode
    assert [(r["FromPort"], r["ToPort"]) for r in sg["SecurityGroupEgress"]] == [(443, 443)]
    ingress = [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert [(i["GroupId"], i["SourceSecurityGroupId"], i["IpProtocol"], i["FromPort"], i["ToPort"])
            for i in ingress] == [(ref("ServiceSecurityGroup"), ref(door), "tcp", 8080, 8080)]
    # The front door may only talk to the service, on 8080; it accepts from the Internet only as an ALB.
    egress = [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"]
    assert [(e["GroupId"], e["DestinationSecurityGroupId"], e["FromPort"], e["ToPort"]) for e in egress] == \
        [(ref(door), ref("ServiceSecurityGroup"), 8080, 8080)]
    (placeholder,) = res[door]["Properties"]["SecurityGroupEgress"]
    assert placeholder["CidrIp"] == "255.255.255.255/32"
    groups = {k for k, r in res.items() if r["Type"] == "AWS::EC2::SecurityGroup"}
    assert groups == {"ServiceSecurityGroup", door}
    if frontend == "httpapi":
        assert "SecurityGroupIngress" not in res[door]["Properties"]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_service_deploys_safely_where_the_vpc_says(frontend):
    tpl = template("container")
    res = active_resources(tpl, {"Frontend": frontend})
    svc = res["Service"]["Properties"]
    dc = svc["DeploymentConfiguration"]
    assert dc["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert dc["MinimumHealthyPercent"] == 100 and dc["MaximumPercent"] == 200
    assert svc["DesiredCount"] == ref("DesiredCount")
    assert svc["HealthCheckGracePeriodSeconds"] == ref("HealthCheckGracePeriod")
    net = svc["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert net == {"AssignPublicIp": ref("ServicePublicIp"), "Subnets": ref("ServiceSubnets"),
                   "SecurityGroups": [ref("ServiceSecurityGroup")]}
    # Both lists are always given (empty in the other mode): an update that switches modes
    # must detach the old front door, not leave it out and keep it.
    assert svc["LoadBalancers"] == ([{"ContainerName": "web", "ContainerPort": 8080,
                                      "TargetGroupArn": ref("TargetGroup")}] if frontend == "alb" else [])
    assert svc["ServiceRegistries"] == ([{"RegistryArn": {"Fn::GetAtt": ["DiscoveryService", "Arn"]},
                                          "ContainerName": "web", "ContainerPort": 8080}]
                                        if frontend == "httpapi" else [])
    # The target group must be attached to the load balancer before the service uses it; a
    # DependsOn on a resource that is not created is an error, so it goes through a handle.
    assert tpl["Resources"]["Service"]["DependsOn"] == "FrontendReady"
    ready = res["FrontendReady"]
    assert ready["Type"] == "AWS::CloudFormation::WaitConditionHandle" and "Condition" not in ready
    assert ready["Metadata"] == {"HttpListener": ref("HttpListener") if frontend == "alb" else "none"}
    if frontend == "alb":
        assert res["HttpListener"]["Properties"]["DefaultActions"] == [
            {"Type": "forward", "TargetGroupArn": ref("TargetGroup")}]


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_autoscaling_tracks_cpu_and_requests_per_target(frontend):
    tpl = template("container")
    tpl = {"Resources": active_resources(tpl, {"Frontend": frontend})}
    target = props(tpl, "ScalableTarget")
    assert target["ResourceId"] == sub("service/${Cluster}/${Service.Name}")
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (ref("MinCapacity"), ref("MaxCapacity"))
    metrics = {}
    for res in tpl["Resources"].values():
        if res["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy":
            cfg = res["Properties"]["TargetTrackingScalingPolicyConfiguration"]
            assert res["Properties"]["ScalingTargetId"] == ref("ScalableTarget")
            metrics[cfg["PredefinedMetricSpecification"]["PredefinedMetricType"]] = cfg
    if frontend == "httpapi":   # no target group to count requests per target: CPU only
        assert set(metrics) == {"ECSServiceAverageCPUUtilization"}
        return
    assert set(metrics) == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    assert metrics["ALBRequestCountPerTarget"]["PredefinedMetricSpecification"]["ResourceLabel"] == \
        sub("${LoadBalancer.LoadBalancerFullName}/${TargetGroup.TargetGroupFullName}")


def test_outputs_give_load_balancer_dns_and_service_url():
    outputs = template("container")["Outputs"]
    assert outputs["LoadBalancerDNS"]["Value"] == {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}
    assert outputs["LoadBalancerDNS"]["Condition"] == "UseAlb"
    assert outputs["ApiId"]["Condition"] == "UseHttpApi"
    assert outputs["Frontend"]["Value"] == ref("Frontend")
    assert "ServiceURL" in outputs and "LogGroupName" in outputs
    # showtablectl prints the first output whose key contains "url": there must be one only.
    assert [k for k in outputs if "url" in k.lower()] == ["ServiceURL"]


@pytest.mark.parametrize("frontend,cert,domain,url", [
    ("alb", "", "", sub("http://${LoadBalancer.DNSName}")),
    ("alb", CERT, "", sub("https://${LoadBalancer.DNSName}")),
    ("httpapi", "", "", {"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]}),
    # A certificate alone belongs to the ALB: the HTTP API is HTTPS on its own endpoint anyway.
    ("httpapi", CERT, "", {"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]}),
    ("httpapi", CERT, "tables.example.com", sub("https://${ApiDomainName}")),
])
def test_service_url_follows_frontend(frontend, cert, domain, url):
    tpl = template("container")
    values = {"Frontend": frontend, "CertificateArn": cert, "ApiDomainName": domain}
    assert cfn_lint.resolve_if(tpl["Outputs"]["ServiceURL"]["Value"], evaluate_conditions(tpl, values)) == url
    res = active_resources(tpl, values)
    assert ("HttpsListener" in res) is (frontend == "alb" and bool(cert))
    assert ("ApiDomain" in res) is bool(domain) and ("ApiDomainMapping" in res) is bool(domain)


def test_api_domain_is_the_certificates_name_on_the_default_stage():
    tpl = template("container")
    res = active_resources(tpl, {"Frontend": "httpapi", "CertificateArn": CERT, "ApiDomainName": "t.example.com"})
    assert res["ApiDomain"]["Properties"] == {
        "DomainName": ref("ApiDomainName"),
        "DomainNameConfigurations": [{"CertificateArn": ref("CertificateArn"), "EndpointType": "REGIONAL",
                                      "SecurityPolicy": "TLS_1_2"}]}
    assert res["ApiDomainMapping"]["Properties"] == {"ApiId": ref("HttpApi"), "DomainName": ref("ApiDomain"),
                                                     "Stage": ref("ApiDefaultStage")}
    assert tpl["Outputs"]["ApiDomainTarget"] == {
        "Condition": "HasApiDomain", "Description": "where a CNAME for ApiDomainName must point",
        "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]}}
    pattern = re.compile(tpl["Parameters"]["ApiDomainName"]["AllowedPattern"])
    for ok in ("", "tables.example.com", "a.b-c.io"):
        assert pattern.fullmatch(ok), ok
    for bad in ("Tables.example.com", "example", "-a.example.com", "a..example.com", "https://a.example.com"):
        assert not pattern.fullmatch(bad), bad


def test_api_domain_without_its_certificate_or_with_the_alb_is_refused_before_anything_changes():
    """CloudFormation evaluates Rules before it creates a change set."""
    (rule,) = template("container")["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [ref("ApiDomainName"), ""]}]}
    assert [a["Assert"] for a in rule["Assertions"]] == [
        {"Fn::Not": [{"Fn::Equals": [ref("CertificateArn"), ""]}]}, {"Fn::Equals": [ref("Frontend"), "httpapi"]}]


# --- container: the two front doors -----------------------------------------------------------

ALB_TYPES = {"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup",
             "AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::ListenerRule"}
HTTPAPI_TYPES = {"AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::VpcLink", "AWS::ApiGatewayV2::Integration",
                 "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Stage",
                 "AWS::ServiceDiscovery::PrivateDnsNamespace", "AWS::ServiceDiscovery::Service"}


def test_frontend_parameter_is_alb_or_httpapi_default_alb():
    p = template("container")["Parameters"]["Frontend"]
    assert p["Type"] == "String" and p["AllowedValues"] == FRONTENDS and p["Default"] == "alb"
    conds = {f: evaluate_conditions(template("container"), {"Frontend": f}) for f in FRONTENDS}
    assert (conds["alb"]["UseAlb"], conds["alb"]["UseHttpApi"]) == (True, False)
    assert (conds["httpapi"]["UseAlb"], conds["httpapi"]["UseHttpApi"]) == (False, True)


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_each_mode_creates_its_front_door_only(frontend):
    types = {r["Type"] for r in active_resources(template("container"), {"Frontend": frontend}).values()}
    mine, other = (ALB_TYPES, HTTPAPI_TYPES) if frontend == "alb" else (HTTPAPI_TYPES, ALB_TYPES)
    assert mine - {"AWS::ElasticLoadBalancingV2::ListenerRule"} <= types   # the rule needs a certificate
    assert not types & other


def test_httpapi_mode_has_no_load_balancer_and_no_public_address_of_its_own():
    res = active_resources(template("container"), {"Frontend": "httpapi"})
    for name, r in res.items():
        assert not r["Type"].startswith("AWS::ElasticLoadBalancing"), name
        assert r["Type"] not in ("AWS::EC2::EIP", "AWS::EC2::NetworkInterface"), name
    # The VPC link's interfaces live in the service subnets and are private; the only public
    # address left is the task's own in NAT 0 mode (the vpc stack's choice, for AWS APIs and ECR).
    link = res["VpcLink"]["Properties"]
    assert link == {"Name": ref("AWS::StackName"), "SubnetIds": ref("ServiceSubnets"),
                    "SecurityGroupIds": [ref("VpcLinkSecurityGroup")]}


def test_httpapi_proxies_everything_through_the_vpc_link_to_cloud_map():
    res = active_resources(template("container"), {"Frontend": "httpapi"})
    api = res["HttpApi"]["Properties"]
    assert api["ProtocolType"] == "HTTP" and not api.get("DisableExecuteApiEndpoint", False)
    integ = res["ApiIntegration"]["Properties"]
    assert integ == {
        "ApiId": ref("HttpApi"), "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY",
        "IntegrationUri": {"Fn::GetAtt": ["DiscoveryService", "Arn"]},
        "ConnectionType": "VPC_LINK", "ConnectionId": ref("VpcLink"),
        "PayloadFormatVersion": "1.0", "TimeoutInMillis": 30000}
    route = res["ApiDefaultRoute"]["Properties"]
    assert route == {"ApiId": ref("HttpApi"), "RouteKey": "$default",
                     "Target": sub("integrations/${ApiIntegration}")}
    assert "AuthorizationType" not in route   # the server does Basic auth itself
    stage = res["ApiDefaultStage"]["Properties"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"ThrottlingRateLimit": ref("ApiRateLimit"),
                                             "ThrottlingBurstLimit": ref("ApiBurstLimit")}


def test_cloud_map_publishes_srv_records_of_healthy_tasks():
    """API Gateway needs the port of each instance: with ECS that means SRV records (A records
    are not supported for the integration); ECS reports the container health check."""
    res = active_resources(template("container"), {"Frontend": "httpapi"})
    ns = res["DiscoveryNamespace"]["Properties"]
    assert ns["Vpc"] == ref("VpcId") and ns["Name"] == sub("${AWS::StackName}.internal")
    svc = res["DiscoveryService"]["Properties"]
    assert svc["NamespaceId"] == {"Fn::GetAtt": ["DiscoveryNamespace", "Id"]}
    assert [r["Type"] for r in svc["DnsConfig"]["DnsRecords"]] == ["SRV"]
    assert svc["HealthCheckCustomConfig"] == {"FailureThreshold": 1}
    assert "HealthCheckConfig" not in svc   # Route 53 health checks cannot reach private addresses


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_invariants_hold_in_each_frontend_mode(frontend):
    """The mode changes the front door only: same SSM inputs, same roles, same task."""
    tpl = template("container")
    res = active_resources(tpl, {"Frontend": frontend})
    base = active_resources(tpl, {"Frontend": "alb"})
    assert cfn_lint.imports_and_exports({"Resources": res, "Outputs": tpl["Outputs"]}) == []
    for name in ("TaskRole", "ExecutionRole", "TaskDefinition", "LogGroup", "Cluster"):
        assert res[name] == base[name], name
    assert [k for k, r in res.items() if r["Type"].startswith("AWS::IAM::")] == ["TaskRole", "ExecutionRole"]
    refs = {n["Ref"] for _, n in cfn_lint.walk(res) if isinstance(n, dict) and "Ref" in n}
    assert {"VpcId", "ServiceSubnets", "ServicePublicIp"} <= refs   # the vpc stack's, through SSM


def test_param_prefix_is_declared_identically_everywhere():
    keys = ("Type", "Default", "AllowedPattern", "ConstraintDescription")
    defs = [{k: template(name)["Parameters"]["ParamPrefix"][k] for k in keys} for name in TEMPLATES]
    assert all(d == defs[0] for d in defs)


def test_capabilities_needed_are_iam_and_auto_expand_only():
    # showtablectl passes CAPABILITY_IAM for container and CAPABILITY_AUTO_EXPAND for table:
    # no resource may have a fixed IAM name (that would need CAPABILITY_NAMED_IAM).
    for name in TEMPLATES:
        tpl = template(name)
        for rname, res in tpl["Resources"].items():
            if res["Type"].startswith("AWS::IAM::"):
                assert not {"RoleName", "PolicyName", "ManagedPolicyName", "UserName",
                            "GroupName"} & set(res["Properties"]), f"{name}/{rname}"
        assert tpl.get("Transform") in (None, "AWS::LanguageExtensions"), name
    assert [n for n in TEMPLATES if template(n).get("Transform")] == ["table"]
    assert [n for n in TEMPLATES if any(r["Type"].startswith("AWS::IAM::")
                                        for r in template(n)["Resources"].values())] == ["container"]


def test_container_cpu_architecture_chooses_the_task_runtime_platform():
    tpl = template("container")
    p = tpl["Parameters"]["CpuArchitecture"]
    assert p["Default"] == "X86_64" and p["AllowedValues"] == ["X86_64", "ARM64"]
    (task,) = [r for r in tpl["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    assert task["Properties"]["RuntimePlatform"] == {"OperatingSystemFamily": "LINUX",
                                                      "CpuArchitecture": {"Ref": "CpuArchitecture"}}

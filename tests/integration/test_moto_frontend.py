"""test_moto_frontend.py — the vpc and container stacks created in moto, in both front door
modes, as far as moto models them.

moto (`python3 -m moto.server`, 5.2.1 here) is a second implementation of the AWS APIs: a
stack it creates has passed another reading of the templates' types, properties and
references, and what it created can be inspected through the ordinary APIs. It is not
CloudFormation, and this file says where it falls short instead of bending the templates:

- moto's CloudFormation has no models for some types and silently drops them (the list is
  read from moto itself; the test pins it, so a moto that learns one shows up here). A
  Fn::GetAtt of a dropped resource fails the whole stack in moto, so the copy sent to moto
  has such values replaced by a visible stand-in ("moto-drops:Resource.Attribute").
- moto 5.2.1 crashes on AWS::NoValue inside a list (the load balancer's port 443 rule), so
  the copy has Conditions and Fn::If resolved the way CloudFormation resolves them.
The HTTP API and Cloud Map resources moto drops are then created through moto's own API
Gateway v2 and Cloud Map APIs, from the same template properties.

The stacks are created once for the module in the session's moto (conftest.py's
moto_server, emptied first) and every test reads them.
"""
import json
import os

import pytest

import cfn_lint
from conftest import ROOT

INFRA = os.path.join(ROOT, "infra")
FRONTENDS = ["alb", "httpapi"]
# What moto 5.2.1 has no CloudFormation model for, among the types these stacks use.
MOTO_DROPS_ALWAYS = {"AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
                     "AWS::CloudFormation::WaitConditionHandle", "AWS::EC2::SecurityGroupEgress"}
MOTO_DROPS = {
    "alb": MOTO_DROPS_ALWAYS,
    "httpapi": MOTO_DROPS_ALWAYS | {
        "AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::VpcLink", "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Stage", "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "AWS::ServiceDiscovery::Service"},
}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/showtable@sha256:" + "0" * 64


@pytest.fixture(scope="module")
def moto(moto_server):
    """The session's moto, emptied once for this module: the stacks below are made once and
    every test reads them."""
    moto_server.reset()
    return moto_server


def for_moto(tpl, params, supported):
    """The template as CloudFormation would see it for these parameters (Conditions applied,
    Fn::If resolved), minus the resources moto cannot create, with every value taken from
    them replaced by a stand-in. Returns (template, {dropped logical id: type})."""
    conds = cfn_lint.evaluate_conditions(tpl, params)
    res = cfn_lint.active_resources(tpl, params)
    dropped = {k: r["Type"] for k, r in res.items() if r["Type"] not in supported}

    def stand_in(node):
        fn = cfn_lint.intrinsic_name(node)
        if fn == "Fn::GetAtt" and node[fn][0] in dropped:
            return "moto-drops:" + ".".join(node[fn])
        if fn == "Ref" and node[fn] in dropped:
            return "moto-drops:" + node[fn]
        if fn == "Fn::Sub" and isinstance(node[fn], str):
            text = node[fn]
            for name in dropped:
                text = text.replace("${" + name + "}", "moto-drops:" + name)
            return {fn: text}
        if isinstance(node, dict):
            return {k: stand_in(v) for k, v in node.items()}
        if isinstance(node, list):
            return [stand_in(v) for v in node]
        return node

    kept = {}
    for k, r in res.items():
        if k in dropped:
            continue
        r = stand_in(r)
        deps = [d for d in ([r["DependsOn"]] if isinstance(r.get("DependsOn"), str) else r.get("DependsOn", []))
                if d not in dropped]
        r.pop("DependsOn", None)
        r.pop("Condition", None)
        if deps:
            r["DependsOn"] = deps
        kept[k] = r
    outputs = {k: stand_in(cfn_lint.resolve_if(o, conds)) for k, o in (tpl.get("Outputs") or {}).items()
               if "Condition" not in o or conds[o["Condition"]]}
    for o in outputs.values():
        o.pop("Condition", None)
    out = {k: v for k, v in tpl.items() if k not in ("Conditions", "Resources", "Outputs")}
    out.update(Resources=kept, Outputs=outputs)
    return out, dropped


def create(moto, name, path, params):
    cfn = moto.client("cloudformation")
    tpl, dropped = for_moto(cfn_lint.load_template(path), params, moto.cfn_types)
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(tpl), Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    made = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName=name)["StackResources"]}
    return stack, made, dropped, tpl


@pytest.fixture(scope="module")
def network(moto):
    """The vpc stack in NAT 0 mode (the cheap one the HTTP API is for) and the table parameter."""
    _, made, dropped, _ = create(moto, "showtable-vpc", os.path.join(INFRA, "vpc.yaml"), {"NatGateways": "0"})
    assert dropped == {}, "moto creates every resource of the vpc stack"
    moto.client("ssm").put_parameter(Name="/go-on-aws/table", Value="showtable-demo", Type="String")
    ssm = moto.client("ssm")
    return {n: ssm.get_parameter(Name=f"/go-on-aws/{n}")["Parameter"]["Value"]
            for n in ("vpc", "subnets/service", "service-public-ip")}


@pytest.fixture(scope="module")
def stacks(moto, network):
    """The container stack in each mode, side by side: frontend -> (stack, physical ids,
    dropped resources, the copy moto got)."""
    out = {}
    for frontend in FRONTENDS:
        stack, made, dropped, tpl = create(moto, f"showtable-{frontend}", os.path.join(INFRA, "container.yaml"),
                                           {"Frontend": frontend, "Image": IMAGE})
        out[frontend] = (stack, {k: r.get("PhysicalResourceId") for k, r in made.items()}, dropped, tpl)
    return out


def ingress_sources(moto, group_id):
    (sg,) = moto.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return [(p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), [g["GroupId"] for g in p["UserIdGroupPairs"]])
            for p in sg["IpPermissions"]]



def test_moto_creates_the_vpc_stack_in_nat_0_mode_whole(network):
    assert network["vpc"].startswith("vpc-") and network["service-public-ip"] == "ENABLED"
    assert all(s.startswith("subnet-") for s in network["subnets/service"].split(","))


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_moto_creates_the_container_stack_and_drops_only_what_it_cannot_model(moto, stacks, frontend):
    _, made, dropped, _ = stacks[frontend]
    assert set(dropped.values()) == MOTO_DROPS[frontend]
    assert not set(made) & set(dropped)
    assert {"Cluster", "TaskDefinition", "Service", "ServiceSecurityGroup", "TaskRole", "ExecutionRole",
            "LogGroup"} <= set(made)
    lbs = {lb["LoadBalancerArn"] for lb in moto.client("elbv2").describe_load_balancers()["LoadBalancers"]}
    assert (made.get("LoadBalancer") in lbs) is (frontend == "alb")
    assert ("LoadBalancer" in made) is (frontend == "alb")


@pytest.mark.parametrize("frontend,door", [("alb", "LoadBalancerSecurityGroup"), ("httpapi", "VpcLinkSecurityGroup")])
def test_moto_service_admits_8080_from_the_front_door_only(moto, stacks, frontend, door):
    _, made, _, _ = stacks[frontend]
    assert ingress_sources(moto, made["ServiceSecurityGroup"]) == [("tcp", 8080, 8080, [made[door]])]
    if frontend == "httpapi":   # nothing may connect to the VPC link's interfaces
        assert ingress_sources(moto, made[door]) == []


@pytest.mark.parametrize("frontend", FRONTENDS)
def test_moto_task_definition_carries_the_container_health_check(moto, stacks, frontend):
    _, made, _, _ = stacks[frontend]
    td = moto.client("ecs").describe_task_definition(taskDefinition=made["TaskDefinition"])["taskDefinition"]
    (c,) = td["containerDefinitions"]
    assert c["healthCheck"] == {"command": ["CMD", "/showtable", "--health-check", "http://127.0.0.1:8080/ping",
                                            "--healthy-codes", "200,401"],
                                "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 10}
    assert c["image"] == IMAGE and c["readonlyRootFilesystem"] is True


def test_moto_outputs_give_the_load_balancer_url_or_the_dropped_apis(stacks):
    outs = {f: {o["OutputKey"]: o["OutputValue"] for o in stacks[f][0]["Outputs"]} for f in FRONTENDS}
    assert outs["alb"]["ServiceURL"] == "http://" + outs["alb"]["LoadBalancerDNS"]
    assert outs["httpapi"]["ServiceURL"] == "moto-drops:HttpApi.ApiEndpoint"
    assert outs["alb"]["Frontend"] == "alb" and outs["httpapi"]["Frontend"] == "httpapi"
    assert "LoadBalancerDNS" not in outs["httpapi"] and "ApiId" not in outs["alb"]


def test_moto_takes_the_http_api_and_cloud_map_resources_through_their_own_apis(moto, network, stacks):
    """What moto's CloudFormation drops, created with moto's API Gateway v2 and Cloud Map APIs
    from the template's own properties: botocore checks every value against the API model
    (types, enums, shapes) before moto sees it."""
    made = stacks["httpapi"][1]
    tpl = cfn_lint.load_template(os.path.join(INFRA, "container.yaml"))
    res = cfn_lint.active_resources(tpl, {"Frontend": "httpapi"})
    params = {k: p.get("Default") for k, p in tpl["Parameters"].items()}
    numbers = {k for k, p in tpl["Parameters"].items() if p["Type"] == "Number"}
    ids = dict(made, VpcId=network["vpc"], ServiceSubnets=network["subnets/service"].split(","))
    ids["AWS::StackName"] = "showtable-httpapi"

    def value(node):
        fn = cfn_lint.intrinsic_name(node)
        if fn == "Ref":
            name = node[fn]
            if name in ids:
                return ids[name]
            return float(params[name]) if name in numbers else params[name]
        if fn == "Fn::GetAtt":
            return ids[".".join(node[fn])]
        if fn == "Fn::Sub":
            return cfn_lint.SUB_VAR.sub(lambda m: str(ids[m.group(1)]), node[fn])
        if isinstance(node, dict):
            return {k: value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [value(v) for v in node]
        return node

    def props(name):
        return value(res[name]["Properties"])

    sd, api = moto.client("servicediscovery"), moto.client("apigatewayv2")
    op = sd.create_private_dns_namespace(**props("DiscoveryNamespace"))["OperationId"]
    ids["DiscoveryNamespace.Id"] = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    svc = sd.create_service(**props("DiscoveryService"))["Service"]
    ids["DiscoveryService.Arn"] = svc["Arn"]
    assert svc["DnsConfig"]["DnsRecords"] == [{"Type": "SRV", "TTL": 10}]
    ids["HttpApi"] = api.create_api(**props("HttpApi"))["ApiId"]
    ids["VpcLink"] = api.create_vpc_link(**props("VpcLink"))["VpcLinkId"]
    integ = api.create_integration(**props("ApiIntegration"))
    ids["ApiIntegration"] = integ["IntegrationId"]
    assert (integ["ConnectionType"], integ["ConnectionId"], integ["IntegrationUri"]) == \
        ("VPC_LINK", ids["VpcLink"], svc["Arn"])
    stage_props = props("ApiDefaultStage")
    stage_props["DefaultRouteSettings"]["ThrottlingBurstLimit"] = int(stage_props["DefaultRouteSettings"]
                                                                      ["ThrottlingBurstLimit"])
    route = api.create_route(**props("ApiDefaultRoute"))
    assert route["Target"] == f"integrations/{ids['ApiIntegration']}"
    stage = api.create_stage(**stage_props)
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    link = api.get_vpc_link(VpcLinkId=ids["VpcLink"])
    assert link["SecurityGroupIds"] == [made["VpcLinkSecurityGroup"]]
    assert link["SubnetIds"] == network["subnets/service"].split(",")

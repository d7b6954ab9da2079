"""fake_cfn.py — a CloudFormation endpoint (Query protocol, Version 2010-05-15) for tests,
plus the few read calls showtablectl makes elsewhere: STS GetCallerIdentity, ECS
DescribeServices, ListTasks and DescribeTasks, ELBv2 DescribeTargetHealth and CloudWatch
Logs FilterLogEvents.

Requests are checked as AWS would reject them: POST / with a form body
(application/x-www-form-urlencoded), Action and the service's Version, a well-formed SigV4
Authorization whose signature verifies with the test secret and whose scope names the
service. Answers follow the API reference: <ActionResponse xmlns=".../doc/2010-05-15/">
<ActionResult>…</ActionResult><ResponseMetadata><RequestId/></ResponseMetadata>, errors as
<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>
with HTTP 400.

It simulates what showtablectl relies on: change sets (Add/Modify/Remove computed by
comparing the new template's resources and parameters with the stack's, after Conditions
are evaluated and Fn::If resolved as CloudFormation does, so a resource whose condition is
false is not created and one that leaves its condition is removed; an empty one FAILS
with CloudFormation's "didn't contain changes" reason), the stack lifecycle advancing a step
per DescribeStackEvents/DescribeStacks poll (events newest first, NextToken paging with a
small page size), a resource failure with cascade cancellations and rollback, stuck
*_IN_PROGRESS states, and AWS::SSM::Parameter resources written into a FakeSSM.

    with FakeSSM() as ssm, FakeCFN(ssm=ssm) as cfn:
        env["AWS_ENDPOINT_URL_CLOUDFORMATION"] = cfn.url    # and _STS, _ECS, ...
        cfn.fail_resource = ("Table", "Table already exists")   # next execution fails there
        cfn.seed_stack("showtable-vpc", "UPDATE_ROLLBACK_FAILED")
        cfn.failing["DescribeStackResources"] = CfnError("InternalFailure", "…", 500)
        cfn.calls("CreateChangeSet")           # the parsed forms of those requests
        assert cfn.problems == []
"""
import base64
import json
import re
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import yaml

from awsfake import (ACCOUNT, FAKE_KEY_ID, FAKE_SECRET, FakeServer, SigV4Error, json_error,
                     query_error, verify_sigv4)
from fake_ecs import CIRCUIT_BREAKER_REASON, EcsSim

CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ELB_NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
EMPTY_REASON = ("The submitted information didn't contain changes. Submit different "
                "information to create a change set.")
CHANGE_SET_NAME_RE = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")
STACK_NAME_RE = re.compile(r"^([a-zA-Z][-a-zA-Z0-9]{0,127}|arn:aws:cloudformation:.*)$")
KNOWN_AFTER_APPLY = "{{changeSet:KNOWN_AFTER_APPLY}}"
# Properties whose change replaces the resource ("Update requires: Replacement" in the
# resource reference), for the resource types the templates use.
RECREATION = {
    ("AWS::EC2::VPC", "CidrBlock"), ("AWS::EC2::Subnet", "CidrBlock"),
    ("AWS::EC2::Subnet", "VpcId"), ("AWS::EC2::Subnet", "AvailabilityZone"),
    ("AWS::EC2::NatGateway", "SubnetId"), ("AWS::EC2::NatGateway", "AllocationId"),
    ("AWS::EC2::Route", "RouteTableId"), ("AWS::EC2::Route", "DestinationCidrBlock"),
    ("AWS::EC2::RouteTable", "VpcId"), ("AWS::EC2::SecurityGroup", "VpcId"),
    ("AWS::EC2::SecurityGroup", "GroupDescription"), ("AWS::DynamoDB::Table", "KeySchema"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "VpcId"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Port"),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Protocol"),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Scheme"),
    ("AWS::ECS::Service", "LaunchType"),
}


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, ...) kept as {"!Tag": value}."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        v = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        v = loader.construct_sequence(node, deep=True)
    else:
        v = loader.construct_mapping(node, deep=True)
    return {"!" + suffix: v}


_Loader.add_multi_constructor("!", _tagged)


def _intrinsic(node):
    """(name without "Fn::" or "!", argument) of an intrinsic in either form, else (None, None)."""
    if isinstance(node, dict) and len(node) == 1:
        (k, v), = node.items()
        k = k[1:] if k.startswith("!") else k[4:] if k.startswith("Fn::") else k
        if k in ("Ref", "Condition", "If", "Equals", "Not", "And", "Or", "GetAtt", "Sub"):
            return k, v
    return None, None


def conditions(tmpl, params):
    """Condition name -> bool for the given (resolved) parameter values."""
    defs = tmpl.get("Conditions") or {}
    done = {}

    def value(node):
        fn, arg = _intrinsic(node)
        if fn == "Ref":
            return str(params.get(arg, ""))
        if fn == "Equals":
            return str(value(arg[0])) == str(value(arg[1]))
        if fn == "Not":
            return not value(arg[0])
        if fn == "And":
            return all(value(x) for x in arg)
        if fn == "Or":
            return any(value(x) for x in arg)
        if fn == "Condition":
            return cond(arg)
        return node

    def cond(name):
        if name not in done:
            done[name] = bool(value(defs[name]))
        return done[name]
    return {name: cond(name) for name in defs}


def resolve_if(node, conds):
    """node with every Fn::If replaced by its chosen branch, AWS::NoValue entries dropped."""
    fn, arg = _intrinsic(node)
    if fn == "If":
        return resolve_if(arg[1] if conds[arg[0]] else arg[2], conds)
    no_value = lambda v: _intrinsic(v) == ("Ref", "AWS::NoValue")  # noqa: E731
    if isinstance(node, dict):
        out = {k: resolve_if(v, conds) for k, v in node.items()}
        return {k: v for k, v in out.items() if not no_value(v)}
    if isinstance(node, list):
        return [v for v in (resolve_if(x, conds) for x in node) if not no_value(v)]
    return node


def active(tmpl, params):
    """The template with only the resources and outputs its conditions create, If resolved."""
    conds = conditions(tmpl, params)
    keep = lambda r: r.get("Condition") is None or conds[r["Condition"]]  # noqa: E731
    out = dict(tmpl)
    out["Resources"] = {k: resolve_if(r, conds) for k, r in tmpl["Resources"].items() if keep(r)}
    out["Outputs"] = {k: resolve_if(o, conds) for k, o in (tmpl.get("Outputs") or {}).items() if keep(o)}
    return out


class CfnError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Stack:
    def __init__(self, name, region):
        self.name = name
        self.id = (f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/"
                   f"{uuid.uuid4()}")
        self.status = "REVIEW_IN_PROGRESS"
        self.reason = None
        self.created = None
        self.updated = None
        self.template = None        # parsed template of the last successful deploy
        self.params = {}            # resolved parameter values (what SSM names resolved to too)
        self.raw_params = {}        # values as given (SSM names for SSM-typed parameters)
        self.resources = {}         # logical id -> {"Type", "PhysicalId"}
        self.events = []            # newest first
        self.script = []            # pending steps: (events, status, reason, action)
        self.stuck_polls = 0        # polls left before a seeded *_IN_PROGRESS settles
        self.stuck_final = None
        self.deleted = False
        self.param_types = None     # the template declaring raw_params, when not template
        self.body = None            # the template text of the last successful deploy
        self.rollback_failed = []   # resources in UPDATE_FAILED after a failed rollback
        self.protected = False      # EnableTerminationProtection
        self.tags = {}              # stack tags (Key -> Value)
        self.executing = None       # (change set, its Add/Modify changes) being executed
        self.started = set()        # logical ids whose operation began in this execution
        self.applied = []           # logical ids whose operation completed in it


class FakeCFN(FakeServer):
    def __init__(self, ssm=None, region="us-east-1", key_id=FAKE_KEY_ID, secret=FAKE_SECRET,
                 page_size=3, port=0):
        super().__init__(port, methods=("POST", "GET"))
        self.ssm, self.region, self.key_id, self.secret = ssm, region, key_id, secret
        self.page_size = page_size
        self.stacks = []            # every stack ever made (deleted ones stay, by id)
        self.change_sets = {}       # id -> dict
        self.requests = []          # (service, action, form dict)
        self.fail_resource = None   # (logical id, reason): the next execution fails there
        self.failing = {}           # action -> CfnError that every call of it answers
        self.retained = []          # (logical id, type, physical id) kept by stack deletions
        self.slow = {}              # logical id -> seconds its operations take (timestamps)
        self.drift = {}             # stack name -> {logical id: differences or "DELETED"}
        self.drift_detections = {}
        self.rollback_fails = False
        self.events_per_poll = 2
        self.start_lag = 0          # polls after Execute/DeleteStack before the stack moves
        self.log_events = []        # for FilterLogEvents: {"timestamp", "message", ...}
        self.service = {"runningCount": 1, "desiredCount": 1, "pendingCount": 0}
        self.targets = [("10.0.1.5", "8080", "healthy", "", "")]
        self.tasks = [{"id": "0123456789abcdef0123456789abcdef", "lastStatus": "RUNNING",
                       "healthStatus": "HEALTHY"}]
        self._clock = time.time() - 3600
        # the ECS side of service deployments (fake_ecs.py): crash("image") makes its tasks fail
        self.ecs = EcsSim(region)

    def env(self):
        """The endpoint overrides that point every service showtablectl uses here but SSM."""
        return {f"AWS_ENDPOINT_URL_{s}": self.url for s in
                ("CLOUDFORMATION", "STS", "ECS", "ELASTIC_LOAD_BALANCING_V2", "CLOUDWATCH_LOGS")}

    # -- test controls and views
    def calls(self, action):
        return [form for (_, a, form) in self.requests if a == action]

    def actions(self):
        return [a for (_, a, _) in self.requests]

    def stack(self, name):
        """The live stack called name (not deleted), or None."""
        with self._lock:
            for s in self.stacks:
                if s.name == name and not s.deleted:
                    return s
        return None

    def seed_stack(self, name, status, template=None, params=None, settle_after=0,
                   settles_to=None, reason=None):
        """A stack in any state, e.g. ROLLBACK_COMPLETE or UPDATE_IN_PROGRESS that turns
        into settles_to after settle_after polls."""
        with self._lock:
            s = Stack(name, self.region)
            s.status, s.reason = status, reason
            s.created = self._now()
            s.template = self._parse(template) if template else {"Resources": {}}
            s.body = template
            s.params = dict(params or {})
            s.raw_params = dict(params or {})
            for lid, r in s.template.get("Resources", {}).items():
                s.resources[lid] = {"Type": r["Type"], "PhysicalId": self._physical(s, lid, r)}
            s.stuck_polls, s.stuck_final = settle_after, settles_to
            s.events.insert(0, self._event(s, s.name, "AWS::CloudFormation::Stack", status,
                                           reason))
            self.stacks.append(s)
            return s

    # -- helpers
    def _now(self):
        self._clock += 1.0
        t = time.gmtime(self._clock)
        return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{int(self._clock * 1000) % 1000:03d}Z"

    def _event(self, s, lid, rtype, status, reason=None, physical=None):
        if rtype == "AWS::CloudFormation::Stack" and lid == s.name:
            physical = s.id   # the stack's own events name it by its id
        return {"EventId": str(uuid.uuid4()), "StackId": s.id, "StackName": s.name,
                "LogicalResourceId": lid, "PhysicalResourceId": physical or "",
                "ResourceType": rtype, "Timestamp": self._now(), "ResourceStatus": status,
                "ResourceStatusReason": reason}

    @staticmethod
    def _parse(body):
        doc = yaml.load(body, Loader=_Loader)
        if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict) or \
                not doc["Resources"]:
            raise CfnError("ValidationError", "Template format error: At least one Resources "
                                              "member must be defined.")
        return doc

    def _physical(self, s, lid, r):
        t = r.get("Type", "")
        if t == "AWS::ECS::Service":
            return f"arn:aws:ecs:{self.region}:{ACCOUNT}:service/{s.name}-cluster/{s.name}-svc"
        if t == "AWS::ECS::Cluster":
            return f"{s.name}-cluster"
        if t == "AWS::ECS::TaskDefinition":
            return self._register_task_definition(s, r)
        if t == "AWS::ElasticLoadBalancingV2::TargetGroup":
            return (f"arn:aws:elasticloadbalancing:{self.region}:{ACCOUNT}:targetgroup/"
                    f"{s.name[:20]}/0123456789abcdef")
        if t == "AWS::Logs::LogGroup":
            return f"/{s.name}/web"
        if t == "AWS::ApiGatewayV2::Api":
            return "a1b2c3d4e5"
        if t == "AWS::SSM::Parameter":
            return self._ssm_name(s, r) or f"{s.name}-{lid}"
        return f"{s.name}-{lid}-{uuid.uuid4().hex[:8]}"

    def _resolve(self, s, node):
        """A property value with Ref to a parameter, a resource or AWS::Region resolved."""
        fn, arg = _intrinsic(node)
        if fn == "Ref":
            if arg == "AWS::Region":
                return self.region
            if arg in s.params:
                return str(s.params[arg])
            return (s.resources.get(arg) or {}).get("PhysicalId", arg)
        if fn == "Sub" and isinstance(arg, str):
            return self._sub(s, arg)
        if isinstance(node, dict):
            return {k: self._resolve(s, v) for k, v in node.items()}
        if isinstance(node, list):
            return [self._resolve(s, v) for v in node]
        return node

    def _register_task_definition(self, s, r):
        """A new revision in the ECS simulation, with the containers' image and awslogs
        options as the template resolves them, as ECS would describe it."""
        containers = []
        for cd in (r.get("Properties") or {}).get("ContainerDefinitions") or []:
            c = {"name": cd.get("Name"), "image": self._resolve(s, cd.get("Image"))}
            lc = cd.get("LogConfiguration")
            if lc:
                c["logConfiguration"] = {"logDriver": lc.get("LogDriver"),
                                         "options": self._resolve(s, lc.get("Options") or {})}
            containers.append(c)
        return self.ecs.register_task_definition(s.name, containers)

    def _sub(self, s, text):
        return re.sub(r"\$\{([A-Za-z0-9:]+)\}",
                      lambda m: str(s.params.get(m.group(1), m.group(0))), text)

    def _ssm_name(self, s, r):
        name = (r.get("Properties") or {}).get("Name")
        if isinstance(name, dict) and "!Sub" in name:
            name = self._sub(s, name["!Sub"])
        elif isinstance(name, dict) and "Fn::Sub" in name:
            name = self._sub(s, name["Fn::Sub"])
        return name if isinstance(name, str) else None

    # -- parameters and change computation
    def _resolve_params(self, tmpl, form, old):
        given, i = {}, 1
        while f"Parameters.member.{i}.ParameterKey" in form:
            key = form[f"Parameters.member.{i}.ParameterKey"]
            if form.get(f"Parameters.member.{i}.UsePreviousValue") == "true":
                if old is None or key not in old.raw_params:
                    raise CfnError("ValidationError",
                                   f"Invalid input for parameter key {key}. Cannot specify "
                                   f"usePreviousValue as true for a parameter key not in the "
                                   f"previous template")
                given[key] = old.raw_params[key]
            else:
                given[key] = form.get(f"Parameters.member.{i}.ParameterValue", "")
            i += 1
        declared = tmpl.get("Parameters") or {}
        unknown = [k for k in given if k not in declared]
        if unknown:
            raise CfnError("ValidationError",
                           f"Parameters: [{', '.join(unknown)}] do not exist in the template")
        raw, resolved, missing = {}, {}, []
        for k, spec in declared.items():
            v = given.get(k, spec.get("Default"))
            if v is None:
                missing.append(k)
                continue
            v = str(v)
            raw[k] = v
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
                p = self.ssm.params.get(v) if self.ssm else None
                if p is None:
                    raise CfnError("ValidationError",
                                   f"Unable to fetch parameters [{v}] from parameter store "
                                   f"for this account.")
                resolved[k] = p["Value"]
            else:
                resolved[k] = v
        if missing:
            raise CfnError("ValidationError",
                           f"Parameters: [{', '.join(missing)}] must have values")
        return raw, resolved

    @staticmethod
    def _refs(node):
        """Names a resource definition refers to (Ref, !Ref, ${X} in Sub)."""
        out = set()
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("Ref", "!Ref") and isinstance(v, str):
                    out.add(v)
                elif k in ("!Sub", "Fn::Sub"):
                    text = v[0] if isinstance(v, list) else v
                    if isinstance(text, str):
                        out.update(re.findall(r"\$\{([A-Za-z0-9]+)", text))
                    out |= FakeCFN._refs(v)
                else:
                    out |= FakeCFN._refs(v)
        elif isinstance(node, list):
            for v in node:
                out |= FakeCFN._refs(v)
        return out

    @staticmethod
    def _recreation(rtype, prop):
        """RequiresRecreation of a property, as the resource reference's "Update requires"
        says: Always (Replacement) for the properties below and for custom names, else Never."""
        if rtype == "AWS::ECS::TaskDefinition" or prop.endswith("Name") or \
                (rtype, prop) in RECREATION:
            return "Always"
        return "Never"

    def _changes(self, old_res, new_res, old_params, new_params, physical=None):
        """The ResourceChanges of a change set, as DescribeChangeSet describes them: one
        ResourceChangeDetail per property changed directly, by a changed parameter
        (Static) or by a reference to a replaced resource (Dynamic: its new id is known
        only after the apply); Replacement True for an Always+Static detail, Conditional for
        Always+Dynamic or Conditionally, else False (the detail with the most impact wins)."""
        physical = physical or {}
        changed = {k for k in set(old_params) | set(new_params)
                   if old_params.get(k) != new_params.get(k)}
        replaced = set()
        while True:
            out = []
            for lid, r in new_res.items():
                if lid not in old_res:
                    out.append({"Action": "Add", "LogicalResourceId": lid,
                                "ResourceType": r["Type"]})
                    continue
                details = self._details(old_res[lid], r, changed, replaced, old_params,
                                        new_params)
                if not details:
                    continue
                recs = [(d["Target"]["RequiresRecreation"], d["Evaluation"]) for d in details]
                repl = "True" if ("Always", "Static") in recs else \
                    "Conditional" if any(rq == "Conditionally" or (rq, ev) == ("Always", "Dynamic")
                                         for rq, ev in recs) else "False"
                out.append({"Action": "Modify", "LogicalResourceId": lid,
                            "PhysicalResourceId": physical.get(lid), "ResourceType": r["Type"],
                            "Replacement": repl, "Details": details,
                            "Scope": sorted({d["Target"]["Attribute"] for d in details})})
            now = {c["LogicalResourceId"] for c in out if c.get("Replacement") == "True"}
            if now == replaced:
                break
            replaced = now
        for lid, r in old_res.items():
            if lid not in new_res:
                out.append({"Action": "Remove", "LogicalResourceId": lid,
                            "PhysicalResourceId": physical.get(lid), "ResourceType": r["Type"]})
        return out

    def _details(self, old_r, new_r, changed, replaced, old_params, new_params):
        rtype = new_r["Type"]
        po, pn = old_r.get("Properties") or {}, new_r.get("Properties") or {}
        out = []

        def detail(attr, name, rec, ev, source, entity, before, after, kind):
            t = {"Attribute": attr, "RequiresRecreation": rec, "AttributeChangeType": kind}
            if name:
                t["Name"] = name
                t["Path"] = f"/Properties/{name}"
            if before is not None:
                t["BeforeValue"] = before
            if after is not None:
                t["AfterValue"] = after
            d = {"Target": t, "Evaluation": ev, "ChangeSource": source}
            if entity:
                d["CausingEntity"] = entity
            out.append(d)

        for prop in sorted(set(po) | set(pn)):
            rec = self._recreation(rtype, prop)
            before = self._value(po.get(prop), old_params) if prop in po else None
            after = self._value(pn.get(prop), new_params) if prop in pn else None
            if po.get(prop) != pn.get(prop):
                kind = "Add" if prop not in po else "Remove" if prop not in pn else "Modify"
                detail("Properties", prop, rec, "Static", "DirectModification", None, before,
                       after, kind)
                continue
            refs = self._refs(pn.get(prop))
            for name in sorted(refs & changed):
                detail("Properties", prop, rec, "Static", "ParameterReference", name, before,
                       after, "Modify")
            for name in sorted(refs & replaced):
                detail("Properties", prop, rec, "Dynamic", "ResourceReference", name, before,
                       KNOWN_AFTER_APPLY, "Modify")
        for attr in ("DeletionPolicy", "UpdateReplacePolicy", "Metadata"):
            if old_r.get(attr) != new_r.get(attr):
                detail(attr, None, "Never", "Static", "DirectModification", None, None, None,
                       "Modify")
        return out

    def _value(self, node, params):
        """A property value as DescribeChangeSet shows it: a string, JSON for structures,
        parameters resolved (a resource's id is not known to the fake: shown as the Ref)."""
        if isinstance(node, dict) and len(node) == 1:
            (k, v), = node.items()
            if k in ("Ref", "!Ref") and isinstance(v, str) and v in params:
                return str(params[v])
            if k in ("!Sub", "Fn::Sub") and isinstance(v, str):
                return re.sub(r"\$\{([A-Za-z0-9:]+)\}",
                              lambda m: str(params.get(m.group(1), m.group(0))), v)
        if isinstance(node, (dict, list)):
            return json.dumps(node, sort_keys=True, separators=(",", ":"))
        return None if node is None else str(node)

    # -- the lifecycle script: a list of steps, one applied per poll
    def _plan_execute(self, s, cs):
        """The steps of an execution, as CloudFormation takes them: resources created and
        updated (a replacement creates the new one), then for an update the cleanup phase
        (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) that deletes removed resources and the old
        copies of replaced ones. A failure rolls back: updated resources go back, and for an
        update the cleanup phase (UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS) deletes what
        the update had added."""
        creating = cs["Type"] == "CREATE"
        verb = "CREATE" if creating else "UPDATE"
        fail = self.fail_resource
        self.fail_resource = None
        stk = "AWS::CloudFormation::Stack"
        steps = [([self._event(s, s.name, stk, f"{verb}_IN_PROGRESS", "User Initiated")],
                  f"{verb}_IN_PROGRESS", None, None)]
        done = []
        touched = [c for c in cs["Changes"] if c["Action"] in ("Add", "Modify")]
        s.executing, s.started, s.applied = (cs, touched), set(), []
        failed_at = None
        for i, c in enumerate(touched):
            lid, rtype = c["LogicalResourceId"], c["ResourceType"]
            cverb = "CREATE" if c["Action"] == "Add" else "UPDATE"
            if rtype == "AWS::ECS::Service" and not (fail and fail[0] == lid):
                # CloudFormation waits for the service's deployment: a crashing image's
                # tasks stop one by one until the circuit breaker fails the resource
                svc = self._physical(s, lid, cs["Template"]["Resources"][lid])
                crash = self.ecs.crashing.get(cs["Resolved"].get("Image"))
                steps.append(([self._event(s, lid, rtype, f"{cverb}_IN_PROGRESS", physical=svc),
                               self._event(s, lid, rtype, f"{cverb}_IN_PROGRESS",
                                           "Resource creation Initiated", physical=svc)],
                              None, None, ("ecs_deploy", lid, svc)))
                if crash:
                    for _ in range(self.ecs.threshold):
                        steps.append(([], None, None, ("ecs_fail", lid, svc)))
                        steps.extend([([], None, None, None)] * 3)
                    failed_at = i
                    evs = [self._event(s, lid, rtype, f"{cverb}_FAILED", CIRCUIT_BREAKER_REASON,
                                       physical=svc)]
                    evs += self._cancelled(s, touched[i + 1:])
                    steps.append((evs, None, None, ("ecs_rollback", lid, svc)))
                    done.append(c)   # the service exists: the rollback takes it back
                    break
                steps.extend([([], None, None, None)] * 4)   # a steady state takes a while
                steps.append(([self._event(s, lid, rtype, f"{cverb}_COMPLETE", physical=svc)],
                              None, None, ("apply", lid)))
                done.append(c)
                continue
            if fail and fail[0] == lid:
                failed_at = i
                steps.append(([self._event(s, lid, rtype, f"{cverb}_IN_PROGRESS")], None, None,
                              None))
                evs = [self._event(s, lid, rtype, f"{cverb}_FAILED", fail[1])]
                evs += self._cancelled(s, touched[i + 1:])
                steps.append((evs, None, None, None))
                break
            why = "Requested update requires the creation of a new physical resource; hence " \
                  "creating one." if c.get("Replacement") == "True" else None
            steps.append(([self._event(s, lid, rtype, f"{cverb}_IN_PROGRESS", why),
                           self._event(s, lid, rtype, f"{cverb}_IN_PROGRESS",
                                       "Resource creation Initiated")], None, None, None))
            steps.append(([self._event(s, lid, rtype, f"{cverb}_COMPLETE")], None, None,
                          ("apply", lid)))
            done.append(c)
        if failed_at is None:
            if not creating:
                steps.append(([self._event(s, s.name, stk, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")],
                              "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None, None))
                for c in cs["Changes"]:
                    lid, rtype = c["LogicalResourceId"], c["ResourceType"]
                    if c["Action"] == "Remove":
                        steps.append(self._delete_step(s, lid, rtype, c.get("PhysicalResourceId"),
                                                       ("remove", lid)))
                    elif c.get("Replacement") == "True":
                        steps.append(self._delete_step(s, lid, rtype, c.get("PhysicalResourceId"),
                                                       None))
            steps.append(([self._event(s, s.name, stk, f"{verb}_COMPLETE")], f"{verb}_COMPLETE",
                          None, ("commit", cs)))
            s.script.extend(steps)
            return
        names = ", ".join(c["LogicalResourceId"] for c in touched[failed_at:])
        why = (f"The following resource(s) failed to {'create' if creating else 'update'}: "
               f"[{names}]. Rollback requested by user.")
        s.script.extend(steps + self._rollback_steps(s, creating, done, why))

    def _cancelled(self, s, changes):
        """The events of resources whose operation is cancelled because another failed."""
        out = []
        for c in changes:
            v = "CREATE" if c["Action"] == "Add" else "UPDATE"
            out.append(self._event(s, c["LogicalResourceId"], c["ResourceType"], f"{v}_FAILED",
                                   "Resource creation cancelled" if v == "CREATE"
                                   else "Resource update cancelled"))
        return out

    def _rollback_steps(self, s, creating, done, why):
        """A rollback after a failure or a CancelUpdateStack: what the operation created is
        deleted, what it updated goes back (an ECS service to its last completed
        deployment), and an update's cleanup phase deletes the copies it made."""
        stk = "AWS::CloudFormation::Stack"
        rb = "ROLLBACK" if creating else "UPDATE_ROLLBACK"
        steps = [([self._event(s, s.name, stk, f"{rb}_IN_PROGRESS", why)],
                  f"{rb}_IN_PROGRESS", why, None)]
        for c in reversed(done):
            lid, rtype = c["LogicalResourceId"], c["ResourceType"]
            if creating:
                steps.append(self._delete_step(s, lid, rtype, None, ("remove", lid)))
            elif c["Action"] == "Modify":
                back = ("ecs_rollback", lid, s.resources[lid]["PhysicalId"]) \
                    if rtype == "AWS::ECS::Service" and lid in s.resources else None
                steps.append(([self._event(s, lid, rtype, "UPDATE_IN_PROGRESS"),
                               self._event(s, lid, rtype, "UPDATE_COMPLETE")], None, None,
                              back))
        if self.rollback_fails:
            # the resource that cannot go back (e.g. changed outside CloudFormation) fails
            # its rollback update, and the stack stops in *_ROLLBACK_FAILED
            bad = next((c for c in reversed(done) if c["Action"] == "Modify"), None)
            evs = []
            if bad and not creating:
                s.rollback_failed = [bad["LogicalResourceId"]]
                evs.append(self._event(s, bad["LogicalResourceId"], bad["ResourceType"],
                                       "UPDATE_FAILED", "Resource handler returned message: "
                                       "the resource was changed outside CloudFormation"))
            evs.append(self._event(s, s.name, stk, f"{rb}_FAILED", "rollback failed"))
            steps.append((evs, f"{rb}_FAILED", "rollback failed", None))
            return steps
        if not creating:
            steps.append(([self._event(s, s.name, stk,
                                       "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")],
                          "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None, None))
            for c in reversed(done):
                lid, rtype = c["LogicalResourceId"], c["ResourceType"]
                if c["Action"] == "Add":
                    steps.append(self._delete_step(s, lid, rtype, None, ("remove", lid)))
                elif c.get("Replacement") == "True":
                    steps.append(self._delete_step(s, lid, rtype, None, None))
        steps.append(([self._event(s, s.name, stk, f"{rb}_COMPLETE")], f"{rb}_COMPLETE", None,
                      None))
        return steps

    def _delete_step(self, s, lid, rtype, physical, action):
        physical = physical or (s.resources.get(lid) or {}).get("PhysicalId")
        return ([self._event(s, lid, rtype, "DELETE_IN_PROGRESS", physical=physical),
                 self._event(s, lid, rtype, "DELETE_COMPLETE", physical=physical)], None, None,
                action)

    @staticmethod
    def _deletion_policy(s, lid):
        """The committed template is active(): its Fn::If are resolved with the stack's
        parameters, so the policy is a literal here."""
        r = ((s.template or {}).get("Resources") or {}).get(lid) or {}
        return r.get("DeletionPolicy", "Delete")

    def _plan_delete(self, s):
        """DELETE_IN_PROGRESS, each resource deleted — or, when its DeletionPolicy (with the
        stack's parameters) is Retain or RetainExceptOnCreate, left in place with a
        DELETE_SKIPPED event — then DELETE_COMPLETE."""
        steps = [([self._event(s, s.name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS",
                               "User Initiated")], "DELETE_IN_PROGRESS", None, None)]
        for lid in reversed(list(s.resources)):
            rtype = s.resources[lid]["Type"]
            phys = s.resources[lid]["PhysicalId"]
            if self._deletion_policy(s, lid) in ("Retain", "RetainExceptOnCreate"):
                self.retained.append((lid, rtype, phys))
                steps.append(([self._event(s, lid, rtype, "DELETE_SKIPPED", physical=phys)],
                              None, None, ("forget", lid)))
                continue
            steps.append(([self._event(s, lid, rtype, "DELETE_IN_PROGRESS", physical=phys),
                           self._event(s, lid, rtype, "DELETE_COMPLETE", physical=phys)], None,
                          None, ("remove", lid)))
        steps.append(([self._event(s, s.name, "AWS::CloudFormation::Stack",
                                   "DELETE_COMPLETE")], "DELETE_COMPLETE", None, ("deleted",)))
        s.script.extend(steps)

    def _advance(self, s):
        """One poll's worth of progress: the next step of the script, or a stuck state's
        countdown."""
        if s.stuck_polls > 0:
            s.stuck_polls -= 1
            if s.stuck_polls == 0 and s.stuck_final:
                s.status = s.stuck_final
                s.events.insert(0, self._event(s, s.name, "AWS::CloudFormation::Stack",
                                               s.status))
            return
        for _ in range(self.events_per_poll):
            if not s.script:
                return
            events, status, reason, action = s.script.pop(0)
            for e in events:
                if e["ResourceType"] != "AWS::CloudFormation::Stack" and \
                        e["ResourceStatus"] in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
                    s.started.add(e["LogicalResourceId"])
                if not e["ResourceStatus"].endswith("_IN_PROGRESS"):
                    self._clock += self.slow.get(e["LogicalResourceId"], 0)
                e["Timestamp"] = self._now()
                s.events.insert(0, e)
            if status:
                s.status, s.reason = status, reason
                if status.startswith("UPDATE_") or status.startswith("DELETE_"):
                    s.updated = self._now()
            if action:
                self._apply(s, action)

    def _apply(self, s, action):
        kind = action[0]
        if kind == "ecs_deploy":   # CreateService / UpdateService: a new deployment
            lid, svc = action[1], action[2]
            r = s.pending_template["Resources"][lid]
            old_params = s.params
            s.params = s.pending_params
            taskdef = self._resolve(s, (r.get("Properties") or {}).get("TaskDefinition"))
            s.params = old_params
            s.resources.setdefault(lid, {"Type": r["Type"], "PhysicalId": svc})
            self.ecs.start_deployment(self._clock, svc, taskdef)
        elif kind == "ecs_fail":
            svc = action[2]
            self.ecs.fail_task(self._clock, svc.split("/")[-2], svc)
        elif kind == "ecs_rollback":
            self.ecs.roll_back(self._clock, action[2])
        if kind == "apply":
            lid = action[1]
            s.applied.append(lid)
            r = s.pending_template["Resources"][lid]
            old_params = s.params
            s.params = s.pending_params
            s.resources[lid] = {"Type": r["Type"], "PhysicalId": self._physical(s, lid, r)}
            if r["Type"] == "AWS::ECS::Service":
                self.ecs.complete(self._clock, s.resources[lid]["PhysicalId"])
            if r["Type"] == "AWS::SSM::Parameter" and self.ssm is not None:
                name = self._ssm_name(s, r)
                props = r.get("Properties") or {}
                self.ssm.put(name, f"fake-{lid}-value", type=props.get("Type", "String"))
            s.params = old_params
        elif kind == "forget":   # no longer the stack's, but still there
            s.resources.pop(action[1], None)
        elif kind == "remove":
            res = s.resources.pop(action[1], None)
            if res and res["Type"] == "AWS::SSM::Parameter" and self.ssm is not None:
                self.ssm.params.pop(res["PhysicalId"], None)
        elif kind == "commit":
            cs = action[1]
            s.template, s.params, s.raw_params = cs["Template"], cs["Resolved"], cs["Raw"]
            s.param_types, s.body, s.tags = None, cs["Body"], cs["Tags"]
        elif kind == "rolled back":
            s.rollback_failed = []
        elif kind == "deleted":
            s.deleted = True

    # -- the operations
    def _find_stack(self, name, for_update=True):
        for s in reversed(self.stacks):
            if s.id == name:
                return s
            if s.name == name and not s.deleted:
                return s
        raise CfnError("ValidationError", f"Stack with id {name} does not exist")

    def _find_cs(self, name, stack=None):
        cs = self.change_sets.get(name)
        if cs is None and stack:
            cs = next((c for c in self.change_sets.values()
                       if c["ChangeSetName"] == name and c["StackName"] == stack), None)
        if cs is None:
            raise CfnError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
        return cs

    @staticmethod
    def _need(form, *keys):
        for k in keys:
            if not form.get(k):
                raise CfnError("ValidationError",
                               f"1 validation error detected: Value null at '{k[0].lower()}"
                               f"{k[1:]}' failed to satisfy constraint: Member must not be null")

    def _page(self, items, form, key_of):
        """Items after NextToken (an item key), page_size of them, and the next token."""
        start = 0
        tok = form.get("NextToken")
        if tok:
            try:
                after = base64.b64decode(tok).decode()
            except ValueError:
                raise CfnError("ValidationError", "Invalid NextToken")
            keys = [key_of(i) for i in items]
            if after not in keys:
                raise CfnError("ValidationError", "Invalid NextToken")
            start = keys.index(after) + 1
        page = items[start:start + self.page_size]
        nxt = None
        if start + self.page_size < len(items):
            nxt = base64.b64encode(key_of(page[-1]).encode()).decode()
        return page, nxt

    def op_CreateChangeSet(self, form):
        self._need(form, "StackName", "ChangeSetName", "TemplateBody")
        name, csname = form["StackName"], form["ChangeSetName"]
        if not CHANGE_SET_NAME_RE.match(csname):
            raise CfnError("ValidationError", f"1 validation error detected: Value '{csname}' "
                                              f"at 'changeSetName' failed to satisfy constraint")
        cstype = form.get("ChangeSetType", "UPDATE")
        if cstype not in ("CREATE", "UPDATE"):
            raise CfnError("ValidationError", f"ChangeSetType {cstype} is not supported here")
        try:
            tmpl = self._parse(form["TemplateBody"])
        except yaml.YAMLError as e:
            raise CfnError("ValidationError", f"Template format error: YAML not well-formed. {e}")
        try:
            existing = self._find_stack(name)
        except CfnError:
            existing = None
        if cstype == "CREATE" and existing and existing.status != "REVIEW_IN_PROGRESS":
            raise CfnError("ValidationError", f"Stack [{name}] already exists and cannot be "
                                              f"created again with the changeSet [{csname}].")
        if cstype == "UPDATE" and (existing is None or existing.status == "REVIEW_IN_PROGRESS"):
            raise CfnError("ValidationError", f"Stack [{name}] does not exist")
        if existing and existing.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
                                            "CREATE_FAILED", "DELETE_FAILED",
                                            "UPDATE_ROLLBACK_FAILED"):
            raise CfnError("ValidationError", f"Stack:{existing.id} is in {existing.status} "
                                              f"state and can not be updated.")
        if existing and existing.status.endswith("_IN_PROGRESS") and \
                existing.status != "REVIEW_IN_PROGRESS":
            raise CfnError("ValidationError", f"Stack:{existing.id} is in {existing.status} "
                                              f"state and can not be updated.")
        caps = {v for k, v in form.items() if k.startswith("Capabilities.member.")}
        if any(str(r.get("Type", "")).startswith("AWS::IAM::")
               for r in tmpl["Resources"].values()) and \
                not caps & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
            raise CfnError("InsufficientCapabilitiesException",
                           "Requires capabilities : [CAPABILITY_IAM]")
        raw, resolved = self._resolve_params(tmpl, form, existing)
        if existing is None:
            existing = Stack(name, self.region)
            existing.events.insert(0, self._event(existing, name, "AWS::CloudFormation::Stack",
                                                  "REVIEW_IN_PROGRESS", "User Initiated"))
            existing.created = self._now()
            self.stacks.append(existing)
        old_res = (existing.template or {"Resources": {}})["Resources"] \
            if cstype == "UPDATE" else {}
        tmpl = active(tmpl, resolved)
        tags, i = {}, 1
        while f"Tags.member.{i}.Key" in form:
            tags[form[f"Tags.member.{i}.Key"]] = form.get(f"Tags.member.{i}.Value", "")
            i += 1
        if len(tags) > 50 or any(k.startswith("aws:") for k in tags):
            raise CfnError("ValidationError", "Tags: at most 50, none with the aws: prefix")
        changes = self._changes(old_res, tmpl["Resources"],
                                existing.params if cstype == "UPDATE" else {}, resolved,
                                {lid: r["PhysicalId"] for lid, r in existing.resources.items()})
        if cstype == "UPDATE" and tags != existing.tags:
            # stack tags propagate: every resource that stays is updated with them
            touched = {c["LogicalResourceId"] for c in changes}
            tag_detail = {"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"},
                          "Evaluation": "Static", "ChangeSource": "DirectModification"}
            for c in changes:
                if c["Action"] == "Modify":
                    c["Details"].append(tag_detail)
            for lid, r in tmpl["Resources"].items():
                if lid in old_res and lid not in touched:
                    changes.append({"Action": "Modify", "LogicalResourceId": lid,
                                    "PhysicalResourceId": existing.resources.get(lid, {}).get(
                                        "PhysicalId"), "ResourceType": r["Type"],
                                    "Replacement": "False", "Details": [tag_detail],
                                    "Scope": ["Tags"]})
        cs_id = (f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:changeSet/{csname}/"
                 f"{uuid.uuid4()}")
        self.change_sets[cs_id] = {
            "ChangeSetId": cs_id, "ChangeSetName": csname, "StackId": existing.id,
            "StackName": name, "Type": cstype, "Template": tmpl, "Raw": raw,
            "Resolved": resolved, "Changes": changes, "Status": "CREATE_PENDING",
            "Body": form["TemplateBody"], "Tags": tags,
            "StatusReason": None, "ExecutionStatus": "UNAVAILABLE", "Polls": 0,
            "Description": form.get("Description"), "Capabilities": sorted(caps),
        }
        return f"<Id>{escape(cs_id)}</Id><StackId>{escape(existing.id)}</StackId>"

    def op_DescribeChangeSet(self, form):
        self._need(form, "ChangeSetName")
        cs = self._find_cs(form["ChangeSetName"], form.get("StackName"))
        cs["Polls"] += 1
        if cs["Status"] == "CREATE_PENDING":
            cs["Status"] = "CREATE_IN_PROGRESS"
        elif cs["Status"] == "CREATE_IN_PROGRESS":
            if cs["Changes"]:
                cs["Status"], cs["ExecutionStatus"] = "CREATE_COMPLETE", "AVAILABLE"
            else:
                cs["Status"], cs["StatusReason"] = "FAILED", EMPTY_REASON
        page, nxt = self._page(cs["Changes"], form, lambda c: c["LogicalResourceId"])
        x = [f"<ChangeSetName>{escape(cs['ChangeSetName'])}</ChangeSetName>",
             f"<ChangeSetId>{escape(cs['ChangeSetId'])}</ChangeSetId>",
             f"<StackId>{escape(cs['StackId'])}</StackId>",
             f"<StackName>{escape(cs['StackName'])}</StackName>",
             f"<Status>{cs['Status']}</Status>",
             f"<ExecutionStatus>{cs['ExecutionStatus']}</ExecutionStatus>",
             f"<CreationTime>{self._now()}</CreationTime>"]
        if cs["StatusReason"]:
            x.append(f"<StatusReason>{escape(cs['StatusReason'])}</StatusReason>")
        x.append(self._params_xml(cs["Template"], cs["Raw"], cs["Resolved"]))
        x.append("<Capabilities>" + "".join(f"<member>{c}</member>" for c in cs["Capabilities"])
                 + "</Capabilities>")
        values = form.get("IncludePropertyValues") == "true"
        ch = []
        for c in page:
            rc = [f"<Action>{c['Action']}</Action>",
                  f"<LogicalResourceId>{escape(c['LogicalResourceId'])}</LogicalResourceId>",
                  f"<ResourceType>{escape(c['ResourceType'])}</ResourceType>"]
            if c.get("PhysicalResourceId"):
                rc.append(f"<PhysicalResourceId>{escape(c['PhysicalResourceId'])}"
                          f"</PhysicalResourceId>")
            rc.append("<Scope>" + "".join(f"<member>{a}</member>" for a in c.get("Scope", []))
                      + "</Scope>")
            rc.append("<Details>" + "".join(self._detail_xml(d, values)
                                            for d in c.get("Details", [])) + "</Details>")
            if "Replacement" in c:
                rc.append(f"<Replacement>{c['Replacement']}</Replacement>")
            ch.append("<member><Type>Resource</Type><ResourceChange>" + "".join(rc) +
                      "</ResourceChange></member>")
        x.append("<Changes>" + "".join(ch) + "</Changes>")
        if nxt:
            x.append(f"<NextToken>{nxt}</NextToken>")
        return "".join(x)

    @staticmethod
    def _detail_xml(d, values):
        """A ResourceChangeDetail; BeforeValue/AfterValue only when IncludePropertyValues."""
        t = d["Target"]
        keys = ["Attribute", "Name", "RequiresRecreation", "Path", "AttributeChangeType"]
        if values:
            keys += ["BeforeValue", "AfterValue"]
        tx = "".join(f"<{k}>{escape(t[k])}</{k}>" for k in keys if k in t)
        x = f"<member><Target>{tx}</Target><Evaluation>{d['Evaluation']}</Evaluation>" \
            f"<ChangeSource>{d['ChangeSource']}</ChangeSource>"
        if d.get("CausingEntity"):
            x += f"<CausingEntity>{escape(d['CausingEntity'])}</CausingEntity>"
        return x + "</member>"

    def op_ExecuteChangeSet(self, form):
        self._need(form, "ChangeSetName")
        cs = self._find_cs(form["ChangeSetName"], form.get("StackName"))
        if cs["Status"] != "CREATE_COMPLETE" or cs["ExecutionStatus"] != "AVAILABLE":
            raise CfnError("InvalidChangeSetStatus",
                           f"ChangeSet [{cs['ChangeSetId']}] cannot be executed in its current "
                           f"status of [{cs['Status']}]")
        s = self._find_stack(cs["StackId"])
        cs["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
        s.pending_template, s.pending_params = cs["Template"], cs["Resolved"]
        if cs["Type"] == "CREATE":
            # a stack has its parameters from its creation on, also when that fails
            s.params, s.raw_params, s.param_types = cs["Resolved"], cs["Raw"], cs["Template"]
        # As in CloudFormation, the stack moves a little after the call returns (the
        # first step sets *_IN_PROGRESS); start_lag widens that gap.
        s.script.extend([([], None, None, None)] * self.start_lag)
        self._plan_execute(s, cs)
        # Executing consumes the stack's change sets, as CloudFormation does.
        for k in [k for k, c in self.change_sets.items() if c["StackId"] == s.id]:
            del self.change_sets[k]
        return ""

    def op_DeleteChangeSet(self, form):
        self._need(form, "ChangeSetName")
        cs = self._find_cs(form["ChangeSetName"], form.get("StackName"))
        del self.change_sets[cs["ChangeSetId"]]
        return ""

    def op_CancelUpdateStack(self, form):
        """Only an UPDATE_IN_PROGRESS stack can be cancelled; it rolls back: the resources
        being updated are cancelled, those updated go back, the cleanup phase deletes what
        the update created."""
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        if s.status != "UPDATE_IN_PROGRESS":
            raise CfnError("ValidationError", f"CancelUpdateStack cannot be called from current "
                                              f"stack status {s.status}.")
        cs, touched = s.executing
        done = [c for c in touched if c["LogicalResourceId"] in s.applied]
        running = [c for c in touched if c["LogicalResourceId"] in s.started and c not in done]
        s.script = [(self._cancelled(s, running), None, None, None)]
        s.script += self._rollback_steps(s, False, done + running, "Stack update cancelled")
        return None

    def op_DeleteStack(self, form):
        self._need(form, "StackName")
        try:
            s = self._find_stack(form["StackName"])
        except CfnError:
            return None   # deleting a stack that does not exist succeeds
        if s.deleted or s.status == "DELETE_IN_PROGRESS":
            return None
        if s.protected:
            raise CfnError("ValidationError", f"Stack [{s.name}] cannot be deleted while "
                                              f"TerminationProtection is enabled")
        if s.status == "REVIEW_IN_PROGRESS":
            s.events.insert(0, self._event(s, s.name, "AWS::CloudFormation::Stack",
                                           "DELETE_COMPLETE"))
            s.status, s.deleted = "DELETE_COMPLETE", True
            return None
        s.stuck_polls = 0
        s.script = [([], None, None, None)] * self.start_lag
        self._plan_delete(s)
        return None

    @staticmethod
    def _params_xml(tmpl, raw, resolved):
        """Parameters as DescribeStacks and DescribeChangeSet return them: an SSM-typed
        parameter's value is the SSM name, its ResolvedValue what the name held."""
        declared = (tmpl or {}).get("Parameters") or {}
        ms = []
        for k, v in raw.items():
            m = f"<ParameterKey>{escape(k)}</ParameterKey><ParameterValue>{escape(v)}" \
                f"</ParameterValue>"
            if str((declared.get(k) or {}).get("Type", "")).startswith(
                    "AWS::SSM::Parameter::Value<") and k in resolved:
                m += f"<ResolvedValue>{escape(str(resolved[k]))}</ResolvedValue>"
            ms.append(f"<member>{m}</member>")
        return "<Parameters>" + "".join(ms) + "</Parameters>"

    def _stack_xml(self, s):
        x = [f"<StackId>{escape(s.id)}</StackId>", f"<StackName>{escape(s.name)}</StackName>",
             f"<StackStatus>{s.status}</StackStatus>",
             f"<EnableTerminationProtection>{'true' if s.protected else 'false'}"
             f"</EnableTerminationProtection>",
             f"<CreationTime>{s.created or self._now()}</CreationTime>"]
        if s.reason:
            x.append(f"<StackStatusReason>{escape(s.reason)}</StackStatusReason>")
        if s.updated:
            x.append(f"<LastUpdatedTime>{s.updated}</LastUpdatedTime>")
        x.append(self._params_xml(s.param_types or s.template, s.raw_params, s.params))
        x.append("<Tags>" + "".join(f"<member><Key>{escape(k)}</Key><Value>{escape(v)}</Value>"
                                    f"</member>" for k, v in s.tags.items()) + "</Tags>")
        outs = []
        if s.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            for k, o in ((s.template or {}).get("Outputs") or {}).items():
                v = self._output_value(s, k, o)
                outs.append(f"<member><OutputKey>{escape(k)}</OutputKey><OutputValue>"
                            f"{escape(v)}</OutputValue></member>")
        x.append("<Outputs>" + "".join(outs) + "</Outputs>")
        return "<member>" + "".join(x) + "</member>"

    def _output_value(self, s, key, output):
        """What CloudFormation would put there, for the values showtablectl reads: the HTTP
        API's endpoint, the load balancer's URL (the scheme as the template writes it)."""
        fn, arg = _intrinsic((output or {}).get("Value"))
        if fn == "Ref" and arg in s.raw_params:
            return s.raw_params[arg]
        if fn == "GetAtt":
            lid, attr = arg.split(".", 1) if isinstance(arg, str) else arg
            if attr == "ApiEndpoint":
                api = s.resources.get(lid, {}).get("PhysicalId", lid)
                return f"https://{api}.execute-api.{self.region}.amazonaws.com"
        alb = f"{s.name}-alb-123.{self.region}.elb.amazonaws.com"
        if fn == "Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([A-Za-z0-9:.]+)\}",
                          lambda m: alb if m.group(1).endswith(".DNSName")
                          else s.raw_params.get(m.group(1), m.group(0)), arg)
        return f"http://{alb}" if "url" in key.lower() else f"fake-{key}"

    def op_DescribeStacks(self, form):
        name = form.get("StackName")
        if name:
            s = self._find_stack(name)
            self._advance(s)
            if s.deleted and s.id != name:
                raise CfnError("ValidationError", f"Stack with id {name} does not exist")
            return f"<Stacks>{self._stack_xml(s)}</Stacks>"
        live = [s for s in self.stacks if not s.deleted]
        page, nxt = self._page(live, form, lambda s: s.id)
        out = "<Stacks>" + "".join(self._stack_xml(s) for s in page) + "</Stacks>"
        return out + (f"<NextToken>{nxt}</NextToken>" if nxt else "")

    def op_DescribeStackEvents(self, form):
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        if s.deleted and s.id != form["StackName"]:
            raise CfnError("ValidationError", f"Stack [{form['StackName']}] does not exist")
        if not form.get("NextToken"):
            self._advance(s)
        page, nxt = self._page(s.events, form, lambda e: e["EventId"])
        ms = []
        for e in page:
            fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items() if v)
            ms.append(f"<member>{fields}</member>")
        out = "<StackEvents>" + "".join(ms) + "</StackEvents>"
        return out + (f"<NextToken>{nxt}</NextToken>" if nxt else "")

    def op_UpdateTerminationProtection(self, form):
        self._need(form, "StackName", "EnableTerminationProtection")
        s = self._find_stack(form["StackName"])
        if form["EnableTerminationProtection"] not in ("true", "false"):
            raise CfnError("ValidationError", "EnableTerminationProtection must be a boolean")
        if s.status == "REVIEW_IN_PROGRESS" or s.deleted:
            raise CfnError("ValidationError", f"Stack [{s.name}] does not exist")
        s.protected = form["EnableTerminationProtection"] == "true"
        return f"<StackId>{escape(s.id)}</StackId>"

    def op_ContinueUpdateRollback(self, form):
        """Continues a rollback from UPDATE_ROLLBACK_FAILED. ResourcesToSkip may name only
        resources in UPDATE_FAILED; they are marked UPDATE_COMPLETE without being rolled
        back. It succeeds when every failed resource is skipped or the failure is gone
        (rollback_fails cleared: the resource was fixed), else fails again."""
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        if s.status != "UPDATE_ROLLBACK_FAILED":
            raise CfnError("ValidationError", f"Stack {s.id} is in {s.status} state and can "
                                              f"not continue update rollback")
        skip, i = [], 1
        while f"ResourcesToSkip.member.{i}" in form:
            skip.append(form[f"ResourcesToSkip.member.{i}"])
            i += 1
        for lid in skip:
            if lid not in s.rollback_failed:
                raise CfnError("ValidationError", f"Resource {lid} is not in UPDATE_FAILED state "
                                                  f"and can not be skipped")
        stk = "AWS::CloudFormation::Stack"
        steps = [([self._event(s, s.name, stk, "UPDATE_ROLLBACK_IN_PROGRESS",
                               "User Initiated")], "UPDATE_ROLLBACK_IN_PROGRESS", None, None)]
        rest = [lid for lid in s.rollback_failed if lid not in skip]
        for lid in skip:
            rtype = (s.resources.get(lid) or {}).get("Type", "AWS::CloudFormation::CustomResource")
            steps.append(([self._event(s, lid, rtype, "UPDATE_COMPLETE",
                                       "Resource skipped during rollback")], None, None, None))
        if rest and self.rollback_fails:
            lid = rest[0]
            rtype = (s.resources.get(lid) or {}).get("Type", "")
            steps.append(([self._event(s, lid, rtype, "UPDATE_FAILED", "still failing"),
                           self._event(s, s.name, stk, "UPDATE_ROLLBACK_FAILED",
                                       "rollback failed")],
                          "UPDATE_ROLLBACK_FAILED", "rollback failed", None))
        else:
            for lid in rest:
                rtype = (s.resources.get(lid) or {}).get("Type", "")
                steps.append(([self._event(s, lid, rtype, "UPDATE_IN_PROGRESS"),
                               self._event(s, lid, rtype, "UPDATE_COMPLETE")], None, None, None))
            steps.append(([self._event(s, s.name, stk,
                                       "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")],
                          "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None, None))
            steps.append(([self._event(s, s.name, stk, "UPDATE_ROLLBACK_COMPLETE")],
                          "UPDATE_ROLLBACK_COMPLETE", None, ("rolled back",)))
        s.script.extend(steps)
        return ""

    def op_DetectStackDrift(self, form):
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        if s.status.endswith("_IN_PROGRESS"):
            raise CfnError("ValidationError", f"Stack {s.id} is in {s.status} state; drift "
                                              f"detection is not possible")
        did = str(uuid.uuid4())
        self.drift_detections[did] = {"stack": s, "polls": 0}
        return f"<StackDriftDetectionId>{did}</StackDriftDetectionId>"

    def _drifts(self, s):
        """Resource drifts of s from the test's drift control: {stack name: {logical id:
        [(path, expected, actual, difference type)] or "DELETED"}}."""
        out = []
        for lid, d in (self.drift.get(s.name) or {}).items():
            r = s.resources.get(lid) or {"Type": "", "PhysicalId": ""}
            out.append((lid, r, "DELETED" if d == "DELETED" else "MODIFIED",
                        [] if d == "DELETED" else d))
        return out

    def op_DescribeStackDriftDetectionStatus(self, form):
        self._need(form, "StackDriftDetectionId")
        det = self.drift_detections.get(form["StackDriftDetectionId"])
        if det is None:
            raise CfnError("ValidationError", "Drift detection id not found")
        det["polls"] += 1
        s = det["stack"]
        x = [f"<StackId>{escape(s.id)}</StackId>",
             f"<StackDriftDetectionId>{form['StackDriftDetectionId']}</StackDriftDetectionId>",
             f"<Timestamp>{self._now()}</Timestamp>"]
        if det["polls"] < 2:
            x.append("<DetectionStatus>DETECTION_IN_PROGRESS</DetectionStatus>")
            return "".join(x)
        drifts = self._drifts(s)
        x.append("<DetectionStatus>DETECTION_COMPLETE</DetectionStatus>")
        x.append(f"<StackDriftStatus>{'DRIFTED' if drifts else 'IN_SYNC'}</StackDriftStatus>")
        x.append(f"<DriftedStackResourceCount>{len(drifts)}</DriftedStackResourceCount>")
        return "".join(x)

    def op_DescribeStackResourceDrifts(self, form):
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        wanted, i = set(), 1
        while f"StackResourceDriftStatusFilters.member.{i}" in form:
            wanted.add(form[f"StackResourceDriftStatusFilters.member.{i}"])
            i += 1
        rows = [d for d in self._drifts(s) if not wanted or d[2] in wanted]
        page, nxt = self._page(rows, form, lambda d: d[0])
        ms = []
        for lid, r, status, diffs in page:
            pd = "".join(f"<member><PropertyPath>{escape(p)}</PropertyPath><ExpectedValue>"
                         f"{escape(e)}</ExpectedValue><ActualValue>{escape(a)}</ActualValue>"
                         f"<DifferenceType>{k}</DifferenceType></member>"
                         for p, e, a, k in diffs)
            ms.append(f"<member><StackId>{escape(s.id)}</StackId><LogicalResourceId>{escape(lid)}"
                      f"</LogicalResourceId><PhysicalResourceId>{escape(r['PhysicalId'])}"
                      f"</PhysicalResourceId><ResourceType>{escape(r['Type'])}</ResourceType>"
                      f"<StackResourceDriftStatus>{status}</StackResourceDriftStatus>"
                      f"<PropertyDifferences>{pd}</PropertyDifferences><Timestamp>{self._now()}"
                      f"</Timestamp></member>")
        out = "<StackResourceDrifts>" + "".join(ms) + "</StackResourceDrifts>"
        return out + (f"<NextToken>{nxt}</NextToken>" if nxt else "")

    def op_GetTemplate(self, form):
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        stage = form.get("TemplateStage", "Original")
        if stage not in ("Original", "Processed"):
            raise CfnError("ValidationError", f"TemplateStage {stage} is not valid")
        if s.body is None:
            raise CfnError("ValidationError", f"Stack with id {form['StackName']} has no "
                                              f"template")
        # the fake runs no transform: the processed template is the original
        return (f"<TemplateBody>{escape(s.body)}</TemplateBody><StagesAvailable>"
                f"<member>Original</member><member>Processed</member></StagesAvailable>")

    def op_DescribeStackResources(self, form):
        self._need(form, "StackName")
        s = self._find_stack(form["StackName"])
        ms = []
        for lid, r in s.resources.items():
            ms.append(f"<member><StackId>{escape(s.id)}</StackId><StackName>{escape(s.name)}"
                      f"</StackName><LogicalResourceId>{escape(lid)}</LogicalResourceId>"
                      f"<PhysicalResourceId>{escape(r['PhysicalId'])}</PhysicalResourceId>"
                      f"<ResourceType>{escape(r['Type'])}</ResourceType><Timestamp>"
                      f"{self._now()}</Timestamp><ResourceStatus>"
                      f"{'UPDATE_FAILED' if lid in s.rollback_failed else 'CREATE_COMPLETE'}"
                      f"</ResourceStatus></member>")
        return "<StackResources>" + "".join(ms) + "</StackResources>"

    # -- other services
    def sts_GetCallerIdentity(self, form):
        return (f"<Arn>arn:aws:iam::{ACCOUNT}:user/test</Arn><UserId>AIDAEXAMPLE</UserId>"
                f"<Account>{ACCOUNT}</Account>")

    def elb_DescribeTargetHealth(self, form):
        self._need(form, "TargetGroupArn")
        ms = "".join(
            f"<member><Target><Id>{i}</Id><Port>{p}</Port></Target><HealthCheckPort>{p}"
            f"</HealthCheckPort><TargetHealth><State>{st}</State>"
            + (f"<Reason>{r}</Reason><Description>{escape(d)}</Description>" if r else "")
            + "</TargetHealth></member>" for (i, p, st, r, d) in self.targets)
        return f"<TargetHealthDescriptions>{ms}</TargetHealthDescriptions>"

    def json_call(self, target, body):
        if target == "AmazonEC2ContainerServiceV20141113.DescribeServices":
            svcs = body.get("services") or []
            if not isinstance(body.get("cluster"), str) or not svcs:
                return 400, json_error("InvalidParameterException", "bad request")
            svc = dict(self.service, serviceArn=svcs[0], status="ACTIVE",
                       deployments=[{"status": "PRIMARY", "rolloutState": "COMPLETED"}])
            svc.update(self.ecs.describe_service(svcs[0]) or {})
            return 200, {"services": [svc], "failures": []}
        if target == "AmazonEC2ContainerServiceV20141113.ListTasks":
            if not isinstance(body.get("cluster"), str) or not isinstance(body.get("serviceName"), str):
                return 400, json_error("InvalidParameterException", "cluster and serviceName")
            if not 1 <= body.get("maxResults", 100) <= 100:
                return 400, json_error("InvalidParameterException", "maxResults must be 1-100")
            if "startedBy" in body:
                return 400, json_error("InvalidParameterException",
                                       "startedBy must be the only filter")
            status = body.get("desiredStatus", "RUNNING")
            if status not in ("RUNNING", "PENDING", "STOPPED"):
                return 400, json_error("InvalidParameterException", f"desiredStatus {status}")
            if status == "STOPPED":
                return 200, {"taskArns": self.ecs.stopped_tasks(body["cluster"],
                                                                body["serviceName"])}
            arns = [f"arn:aws:ecs:{self.region}:{ACCOUNT}:task/{body['cluster']}/{t['id']}"
                    for t in self.tasks] if status == "RUNNING" else []
            return 200, {"taskArns": arns}
        if target == "AmazonEC2ContainerServiceV20141113.DescribeTasks":
            arns = body.get("tasks")
            if not isinstance(body.get("cluster"), str) or not isinstance(arns, list) or \
                    not 1 <= len(arns) <= 100:
                return 400, json_error("InvalidParameterException", "tasks: 1 to 100 task ARNs")
            by_id = {t["id"]: t for t in self.tasks}
            out, failures = [], []
            for arn in arns:
                t = by_id.get(arn.rsplit("/", 1)[-1])
                if self.ecs.task(arn):
                    out.append(self.ecs.task(arn))
                    continue
                if t is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                    continue
                out.append({"taskArn": arn, "lastStatus": t["lastStatus"], "desiredStatus": "RUNNING",
                            "healthStatus": t["healthStatus"], "launchType": "FARGATE",
                            "containers": [{"name": "web", "lastStatus": t["lastStatus"],
                                            "healthStatus": t["healthStatus"]}]})
            return 200, {"tasks": out, "failures": failures}
        if target == "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition":
            return self.ecs.describe_task_definition(body)
        if target == "Logs_20140328.GetLogEvents":
            return self.ecs.get_log_events(body)
        if target == "Logs_20140328.FilterLogEvents":
            if not isinstance(body.get("logGroupName"), str):
                return 400, json_error("InvalidParameterException", "logGroupName")
            start = body.get("startTime", 0)
            evs = [e for e in self.log_events if e["timestamp"] >= start]
            tok = body.get("nextToken")
            off = int(tok) if tok else 0
            page = evs[off:off + self.page_size]
            out = {"events": page, "searchedLogStreams": []}
            if off + self.page_size < len(evs):
                out["nextToken"] = str(off + self.page_size)
            return 200, out
        return 400, json_error("UnknownOperationException", target)

    # -- HTTP
    def _check_auth(self, h, raw, service):
        try:
            verify_sigv4(h.lower_headers(), raw, service, self.region, self._key_for)
        except SigV4Error as e:
            return e.message
        return None

    def _key_for(self, akid):
        return (self.secret, None) if akid == self.key_id else None

    def _handle(self, h):
        raw = h.raw
        hdr = h.lower_headers()
        if h.command != "POST" or h.path != "/":
            self.problems.append(f"expected POST /, got {h.command} {h.path}")
            return h.send_xml(400, self._error("InvalidAction", "POST / only"))
        target = hdr.get("x-amz-target")
        if target:
            service = "ecs" if target.startswith("AmazonEC2ContainerService") else "logs"
            problem = self._check_auth(h, raw, service)
            if hdr.get("content-type") != "application/x-amz-json-1.1":
                problem = problem or f"Content-Type {hdr.get('content-type')!r} for JSON 1.1"
            try:
                body = json.loads(raw)
            except ValueError:
                body, problem = {}, problem or "body is not JSON"
            with self._lock:
                self.requests.append((service, target.split(".")[-1], body))
                if problem:
                    self.problems.append(problem)
                    return h.send_json(400, json_error("InvalidSignatureException", problem))
                status, out = self.json_call(target, body)
            return h.send_json(status, out)
        ctype = hdr.get("content-type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            self.problems.append(f"Content-Type {ctype!r} is not a form")
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True,
                                           strict_parsing=True)
        except (ValueError, UnicodeDecodeError) as e:
            self.problems.append(f"form body does not parse: {e}")
            return h.send_xml(400, self._error("MalformedQueryString", str(e)))
        form = {}
        for k, v in pairs:
            if k in form:
                self.problems.append(f"form key {k} repeated")
            form[k] = v
        action, version = form.get("Action", ""), form.get("Version", "")
        service, ns, fn = {
            "2010-05-15": ("cloudformation", CFN_NS, getattr(self, f"op_{action}", None)),
            "2011-06-15": ("sts", STS_NS, getattr(self, f"sts_{action}", None)),
            "2015-12-01": ("elasticloadbalancing", ELB_NS, getattr(self, f"elb_{action}", None)),
        }.get(version, (None, None, None))
        with self._lock:
            self.requests.append((service, action, form))
            if service is None:
                self.problems.append(f"unknown Version {version!r} for {action!r}")
                return h.send_xml(400, self._error("InvalidParameterValue",
                                                   f"unknown Version {version}"))
            problem = self._check_auth(h, raw, service)
            if problem:
                self.problems.append(problem)
                return h.send_xml(403, self._error("SignatureDoesNotMatch", problem))
            if fn is None:
                self.problems.append(f"unknown action {action!r}")
                return h.send_xml(400, self._error("InvalidAction",
                                                   f"The action {action} is not valid"))
            try:
                if action in self.failing:
                    raise self.failing[action]
                result = fn(form)
            except CfnError as e:
                return h.send_xml(e.status, self._error(e.code, e.message))
        rid = str(uuid.uuid4())
        inner = "" if result is None else f"<{action}Result>{result}</{action}Result>"
        return h.send_xml(200, f'<{action}Response xmlns="{ns}">{inner}<ResponseMetadata>'
                               f'<RequestId>{rid}</RequestId></ResponseMetadata>'
                               f'</{action}Response>')

    @staticmethod
    def _error(code, message):
        return query_error(CFN_NS, code, message)

"""cfn_lint — checks CloudFormation templates against the resource specification (npm @aws-cdk/cfnspec).

Loads YAML with the short-form tags (!Ref, !Sub, …) turned into their long form, then runs one
function per check; each returns a list of Problem(check, path, message), empty when clean. The
checks are deliberately separate so a test can prove each one catches what it claims to:
structure (sections, resource attributes, literal policies unless AWS::LanguageExtensions),
resource-type, property-name, required, property-type (primitives, lists, maps, property types;
intrinsics accepted where they can yield the right shape), reference (Ref/GetAtt/Sub/DependsOn
targets and GetAtt attributes), condition, parameter-unused, conditional-reference (a resource
gated by a condition referenced only where it exists) and parameter-definition.
"""
import json
import os
import re
from collections import namedtuple

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC_PATH = os.path.join(ROOT, "node_modules", "@aws-cdk", "cfnspec", "spec", "specification.json")

Problem = namedtuple("Problem", "check path message")

PSEUDO_PARAMETERS = {
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}
INTRINSICS = {
    "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::If", "Fn::Split", "Fn::GetAZs",
    "Fn::FindInMap", "Fn::Base64", "Fn::Cidr", "Fn::ImportValue", "Fn::Transform", "Fn::Length",
    "Fn::ToJsonString",
}
CONDITION_FUNCTIONS = {"Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"}
# Intrinsics that always yield a list, and those that yield a scalar; Ref/GetAtt/If/FindInMap/
# Select can be either, depending on their target.
LIST_INTRINSICS = {"Fn::Split", "Fn::GetAZs", "Fn::Cidr"}
SCALAR_INTRINSICS = {"Fn::Sub", "Fn::Join", "Fn::Base64", "Fn::ImportValue", "Fn::Length",
                     "Fn::ToJsonString"}
TOP_LEVEL = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules",
             "Mappings", "Conditions", "Transform", "Resources", "Outputs"}
RESOURCE_KEYS = {"Type", "Properties", "DependsOn", "Condition", "DeletionPolicy",
                 "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy"}
DELETION_POLICIES = {"Delete", "Retain", "RetainExceptOnCreate", "Snapshot"}
UPDATE_REPLACE_POLICIES = {"Delete", "Retain", "Snapshot"}
SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


# --- loading -------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """SafeLoader that knows CloudFormation's short-form tags and nothing else."""


def _tag(fn):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if fn == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {fn: value}
    return construct


for _short, _long in [("Ref", "Ref"), ("Condition", "Condition")] + [
        (n, "Fn::" + n) for n in ("Sub", "GetAtt", "If", "Equals", "Select", "GetAZs", "Split",
                                  "Join", "Not", "And", "Or", "FindInMap", "Base64", "Cidr",
                                  "ImportValue", "Transform", "Length", "ToJsonString")]:
    _Loader.add_constructor("!" + _short, _tag(_long))


def load_text(text):
    """Parses template text (YAML or JSON) into plain dicts/lists in long form."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 — _Loader is a SafeLoader


def load_template(path):
    with open(path, encoding="utf-8") as f:
        return load_text(f.read())


_SPEC = None


def load_spec():
    """The resource specification, loaded once (it is ~10 MB of JSON)."""
    global _SPEC
    if _SPEC is None:
        if not os.path.exists(SPEC_PATH):
            raise FileNotFoundError(f"{SPEC_PATH} missing: run scripts/install-deps.sh (npm ci)")
        with open(SPEC_PATH, encoding="utf-8") as f:
            _SPEC = json.load(f)
    return _SPEC


# --- helpers -------------------------------------------------------------------------------

def intrinsic_name(value):
    """The intrinsic function name if value is one ({"Ref": …}, {"Fn::Sub": …}), else None."""
    if isinstance(value, dict) and len(value) == 1:
        (key,) = value
        if key in INTRINSICS or key in CONDITION_FUNCTIONS:
            return key
    return None


def walk(value, path=""):
    """Yields (path, node) for every dict/list/scalar in value, depth first."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}/{i}")


def sub_targets(arg):
    """Names referenced by a Fn::Sub argument (string or [string, vars]), minus its own vars."""
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        text, own = arg[0], set(arg[1])
    else:
        text, own = arg, set()
    if not isinstance(text, str):
        return []
    return [v.strip() for v in SUB_VAR.findall(text) if v.strip() not in own]


def _sections(template):
    return (template.get("Parameters") or {}, template.get("Resources") or {},
            template.get("Conditions") or {}, template.get("Outputs") or {})


def _resource_spec(spec, rtype):
    return spec["ResourceTypes"].get(rtype)


def _property_type_spec(spec, rtype, name):
    return spec["PropertyTypes"].get(f"{rtype}.{name}") or spec["PropertyTypes"].get(name)


# --- checks --------------------------------------------------------------------------------

def check_structure(template, spec=None):
    """Top-level sections and resource attributes are ones CloudFormation knows."""
    out = []
    if not isinstance(template, dict):
        return [Problem("structure", "", "template is not a mapping")]
    for key in template:
        if key not in TOP_LEVEL:
            out.append(Problem("structure", f"/{key}", f"unknown top-level section {key!r}"))
    if not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        out.append(Problem("structure", "/Resources", "no Resources"))
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and version != "2010-09-09":
        out.append(Problem("structure", "/AWSTemplateFormatVersion",
                           f"must be the string 2010-09-09 (quote it in YAML), not {version!r}"))
    transforms = template.get("Transform", [])
    transforms = transforms if isinstance(transforms, list) else [transforms]
    lang_ext = "AWS::LanguageExtensions" in transforms
    for name, res in (template.get("Resources") or {}).items():
        if not isinstance(res, dict):
            out.append(Problem("structure", f"/Resources/{name}", "resource is not a mapping"))
            continue
        for key in res:
            if key not in RESOURCE_KEYS:
                out.append(Problem("structure", f"/Resources/{name}/{key}",
                                   f"unknown resource attribute {key!r}"))
        for key, allowed in (("DeletionPolicy", DELETION_POLICIES),
                             ("UpdateReplacePolicy", UPDATE_REPLACE_POLICIES)):
            if key not in res:
                continue
            value = res[key]
            if isinstance(value, str):
                if value not in allowed:
                    out.append(Problem("structure", f"/Resources/{name}/{key}",
                                       f"{value!r} is not one of {sorted(allowed)}"))
            elif not lang_ext:
                out.append(Problem("structure", f"/Resources/{name}/{key}",
                                   f"{key} must be a literal string unless the template uses "
                                   "Transform: AWS::LanguageExtensions"))
            else:
                for _, node in walk(value):
                    if isinstance(node, str) and node not in allowed and \
                            not _is_condition_name(template, node):
                        out.append(Problem("structure", f"/Resources/{name}/{key}",
                                           f"{node!r} is not one of {sorted(allowed)}"))
    return out


def _is_condition_name(template, name):
    return name in (template.get("Conditions") or {})


def check_resource_types(template, spec):
    out = []
    for name, res in (template.get("Resources") or {}).items():
        rtype = res.get("Type") if isinstance(res, dict) else None
        if not isinstance(rtype, str):
            out.append(Problem("resource-type", f"/Resources/{name}", "no Type"))
        elif rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
            continue
        elif _resource_spec(spec, rtype) is None:
            out.append(Problem("resource-type", f"/Resources/{name}/Type",
                               f"unknown resource type {rtype!r}"))
    return out


def _typed_resources(template, spec):
    for name, res in (template.get("Resources") or {}).items():
        if isinstance(res, dict) and isinstance(res.get("Type"), str):
            rspec = _resource_spec(spec, res["Type"])
            if rspec is not None:
                yield name, res, rspec


def _visit_properties(template, spec, visitor):
    """Calls visitor(rtype, path, props_value, props_spec) for every property block of every
    resource, recursing into complex property types (through Fn::If branches and lists)."""
    def visit_block(rtype, path, value, props_spec):
        if intrinsic_name(value) == "Fn::If" and isinstance(value["Fn::If"], list) \
                and len(value["Fn::If"]) == 3:
            for i in (1, 2):
                visit_block(rtype, f"{path}/Fn::If/{i}", value["Fn::If"][i], props_spec)
            return
        if not isinstance(value, dict) or intrinsic_name(value):
            return
        visitor(rtype, path, value, props_spec)
        for pname, pval in value.items():
            pspec = props_spec.get(pname)
            if pspec is not None:
                visit_value(rtype, f"{path}/{pname}", pval, pspec)

    def visit_value(rtype, path, value, pspec):
        if intrinsic_name(value) == "Fn::If" and isinstance(value["Fn::If"], list) \
                and len(value["Fn::If"]) == 3:
            for i in (1, 2):
                visit_value(rtype, f"{path}/Fn::If/{i}", value["Fn::If"][i], pspec)
            return
        kind = pspec.get("Type")
        if kind in ("List", "Map"):
            item = pspec.get("ItemType")
            if not item:
                return
            ptype = _property_type_spec(spec, rtype, item)
            if ptype is None or "Properties" not in ptype:
                return
            items = value if kind == "List" and isinstance(value, list) else \
                (value.values() if kind == "Map" and isinstance(value, dict) else [])
            for i, it in enumerate(items):
                visit_block(rtype, f"{path}/{i}", it, ptype["Properties"])
        elif kind:
            ptype = _property_type_spec(spec, rtype, kind)
            if ptype is not None and "Properties" in ptype:
                visit_block(rtype, path, value, ptype["Properties"])

    for name, res, rspec in _typed_resources(template, spec):
        props = res.get("Properties", {})
        visit_block(res["Type"], f"/Resources/{name}/Properties", props,
                    rspec.get("Properties", {}))


def check_property_names(template, spec):
    out = []

    def visitor(rtype, path, value, props_spec):
        for pname in value:
            if pname not in props_spec:
                out.append(Problem("property-name", f"{path}/{pname}",
                                   f"{rtype} has no property {pname!r} here"))
    _visit_properties(template, spec, visitor)
    return out


def check_required_properties(template, spec):
    out = []

    def visitor(rtype, path, value, props_spec):
        for pname, pspec in props_spec.items():
            if pspec.get("Required") and pname not in value:
                out.append(Problem("required", path, f"{rtype}: required property {pname!r} missing"))
    _visit_properties(template, spec, visitor)
    for name, res, rspec in _typed_resources(template, spec):
        required = [p for p, s in rspec.get("Properties", {}).items() if s.get("Required")]
        if required and "Properties" not in res:
            out.append(Problem("required", f"/Resources/{name}",
                               f"{res['Type']}: required properties {required} missing"))
    return out


def _primitive_ok(kind, value):
    if kind in ("String", "Timestamp"):
        # CloudFormation turns any scalar into a string; a mapping or list is an error.
        return value is not None and not isinstance(value, (dict, list))
    if kind in ("Integer", "Long"):
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value) is not None)
    if kind == "Double":
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        try:
            float(value)
            return True
        except (TypeError, ValueError):
            return False
    if kind == "Boolean":
        return isinstance(value, bool) or value in ("true", "false", "True", "False")
    if kind == "Json":
        return isinstance(value, (dict, list))
    return True


def _intrinsic_shape(template, value):
    """'list', 'scalar' or None (unknown) for the value an intrinsic yields."""
    fn = intrinsic_name(value)
    if fn in LIST_INTRINSICS:
        return "list"
    if fn in SCALAR_INTRINSICS:
        return "scalar"
    if fn == "Ref":
        target = value["Ref"]
        params = template.get("Parameters") or {}
        if target in params:
            ptype = str(params[target].get("Type", ""))
            return "list" if ("List<" in ptype or ptype == "CommaDelimitedList") else "scalar"
        if target == "AWS::NotificationARNs":
            return "list"
        return "scalar"
    return None


def check_property_types(template, spec):
    out = []

    def check_value(rtype, path, value, pspec):
        fn = intrinsic_name(value)
        if fn == "Fn::If" and isinstance(value["Fn::If"], list) and len(value["Fn::If"]) == 3:
            for i in (1, 2):
                check_value(rtype, f"{path}/Fn::If/{i}", value["Fn::If"][i], pspec)
            return
        if fn == "Ref" and value["Ref"] == "AWS::NoValue":
            return
        kind = pspec.get("Type")
        if fn:
            shape = _intrinsic_shape(template, value)
            wants_list = kind == "List"
            if shape == "list" and not wants_list:
                out.append(Problem("property-type", path, f"{fn} yields a list; a single value is expected"))
            elif shape == "scalar" and wants_list and fn != "Ref":
                out.append(Problem("property-type", path, f"{fn} yields a single value; a list is expected"))
            elif shape == "scalar" and wants_list:
                out.append(Problem("property-type", path,
                                   f"Ref {value['Ref']!r} is a single value; a list is expected"))
            return
        prim = pspec.get("PrimitiveType")
        if prim:
            if not _primitive_ok(prim, value):
                out.append(Problem("property-type", path, f"expected {prim}, got {type(value).__name__} {value!r}"))
            return
        if pspec.get("PrimitiveTypes") or pspec.get("Types"):
            return  # polymorphic properties: accept what CloudFormation will judge
        if kind == "List":
            if not isinstance(value, list):
                out.append(Problem("property-type", path, f"expected a list, got {type(value).__name__}"))
                return
            item_spec = _item_spec(pspec)
            for i, item in enumerate(value):
                check_value(rtype, f"{path}/{i}", item, item_spec)
            return
        if kind == "Map":
            if not isinstance(value, dict):
                out.append(Problem("property-type", path, f"expected a map, got {type(value).__name__}"))
                return
            item_spec = _item_spec(pspec)
            for k, item in value.items():
                check_value(rtype, f"{path}/{k}", item, item_spec)
            return
        if kind:
            ptype = _property_type_spec(spec, rtype, kind)
            if ptype is None:
                return
            if "Properties" not in ptype:  # an alias of a primitive or a list
                check_value(rtype, path, value, ptype)
                return
            if not isinstance(value, dict):
                out.append(Problem("property-type", path, f"expected a {kind} mapping, got {type(value).__name__}"))

    def _item_spec(pspec):
        if pspec.get("PrimitiveItemType"):
            return {"PrimitiveType": pspec["PrimitiveItemType"]}
        if pspec.get("ItemType"):
            return {"Type": pspec["ItemType"]}
        return {}

    def visitor(rtype, path, value, props_spec):
        for pname, pval in value.items():
            if pname in props_spec:
                check_value(rtype, f"{path}/{pname}", pval, props_spec[pname])
    _visit_properties(template, spec, visitor)
    return out


def _references(template):
    """Yields (kind, path, target, attribute) for every Ref, GetAtt and Sub variable and every
    DependsOn, in Resources, Outputs and Conditions."""
    params, resources, conditions, outputs = _sections(template)
    roots = [("/Resources", resources), ("/Outputs", outputs), ("/Conditions", conditions)]
    for root, section in roots:
        for path, node in walk(section, root):
            fn = intrinsic_name(node)
            if fn == "Ref" and isinstance(node["Ref"], str):
                yield "Ref", path, node["Ref"], None
            elif fn == "Fn::GetAtt":
                arg = node["Fn::GetAtt"]
                if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
                    yield "GetAtt", path, arg[0], arg[1] if isinstance(arg[1], str) else None
                else:
                    yield "GetAtt", path, repr(arg), "?"
            elif fn == "Fn::Sub":
                for var in sub_targets(node["Fn::Sub"]):
                    if "." in var:
                        target, attr = var.split(".", 1)
                        yield "GetAtt", path, target, attr
                    else:
                        yield "Ref", path, var, None
    for name, res in resources.items():
        deps = res.get("DependsOn", []) if isinstance(res, dict) else []
        for dep in deps if isinstance(deps, list) else [deps]:
            yield "DependsOn", f"/Resources/{name}/DependsOn", dep, None


def check_references(template, spec):
    out = []
    params, resources, _, _ = _sections(template)
    for kind, path, target, attr in _references(template):
        if kind == "Ref":
            if target not in params and target not in resources and target not in PSEUDO_PARAMETERS:
                out.append(Problem("reference", path, f"Ref to unknown {target!r}"))
        elif kind == "DependsOn":
            if target not in resources:
                out.append(Problem("reference", path, f"DependsOn unknown resource {target!r}"))
        else:
            res = resources.get(target)
            if not isinstance(res, dict):
                out.append(Problem("reference", path, f"GetAtt of unknown resource {target!r}"))
                continue
            rtype = res.get("Type", "")
            if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::Stack":
                continue
            rspec = _resource_spec(spec, rtype)
            if rspec is not None and attr not in rspec.get("Attributes", {}):
                out.append(Problem("reference", path, f"{rtype} has no attribute {attr!r}"))
    return out


def _condition_uses(template):
    params, resources, conditions, outputs = _sections(template)
    for section, root in ((resources, "/Resources"), (outputs, "/Outputs")):
        for name, item in section.items():
            if isinstance(item, dict) and "Condition" in item:
                yield f"{root}/{name}/Condition", item["Condition"]
    for root, section in (("/Resources", resources), ("/Outputs", outputs), ("/Conditions", conditions)):
        for path, node in walk(section, root):
            fn = intrinsic_name(node)
            if fn == "Fn::If" and isinstance(node["Fn::If"], list) and node["Fn::If"]:
                yield path, node["Fn::If"][0]
            elif fn == "Condition" and root == "/Conditions":
                yield path, node["Condition"]
    for name, res in resources.items():
        if not isinstance(res, dict):
            continue
        for key in ("DeletionPolicy", "UpdateReplacePolicy"):
            value = res.get(key)
            if intrinsic_name(value) == "Fn::If" and isinstance(value["Fn::If"], list):
                yield f"/Resources/{name}/{key}", value["Fn::If"][0]


def check_conditions(template, spec=None):
    out = []
    conditions = template.get("Conditions") or {}
    for path, name in _condition_uses(template):
        if not isinstance(name, str) or name not in conditions:
            out.append(Problem("condition", path, f"unknown condition {name!r}"))
    return out


def check_parameters_used(template, spec=None):
    params = template.get("Parameters") or {}
    used = {target for kind, _, target, _ in _references(template) if kind == "Ref"}
    return [Problem("parameter-unused", f"/Parameters/{p}", f"parameter {p!r} is never used")
            for p in params if p not in used]


def _guarded_refs(node, guards, path):
    """Yields (path, guards, target) for every resource reference (Ref, GetAtt, Sub variable)
    under node; guards is a tuple of (condition, required truth) from enclosing Fn::If."""
    fn = intrinsic_name(node)
    if fn == "Fn::If" and isinstance(node["Fn::If"], list) and len(node["Fn::If"]) == 3:
        cond, yes, no = node["Fn::If"]
        yield from _guarded_refs(yes, guards + ((cond, True),), f"{path}/Fn::If/1")
        yield from _guarded_refs(no, guards + ((cond, False),), f"{path}/Fn::If/2")
        return
    if fn == "Ref" and isinstance(node["Ref"], str):
        yield path, guards, node["Ref"]
    elif fn == "Fn::GetAtt" and isinstance(node["Fn::GetAtt"], list) and node["Fn::GetAtt"]:
        yield path, guards, node["Fn::GetAtt"][0]
    elif fn == "Fn::Sub":
        for var in sub_targets(node["Fn::Sub"]):
            yield path, guards, var.split(".", 1)[0]
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _guarded_refs(v, guards, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _guarded_refs(v, guards, f"{path}/{i}")


def _parameter_assignments(template, limit=4096):
    """Every combination of candidate values of the parameters the Conditions read: the
    AllowedValues, else the default plus an empty and a non-empty value."""
    params = template.get("Parameters") or {}
    used = sorted({n["Ref"] for _, n in walk(template.get("Conditions") or {})
                   if intrinsic_name(n) == "Ref" and n["Ref"] in params})
    choices = []
    for name in used:
        p = params[name]
        values = [str(v) for v in p.get("AllowedValues", [])] or \
            sorted({str(p.get("Default", "")), "", "x"})
        choices.append(values)
    combos = [{}]
    for name, values in zip(used, choices):
        combos = [dict(c, **{name: v}) for c in combos for v in values]
        if len(combos) > limit:
            raise ValueError("too many parameter combinations to check conditions exhaustively")
    return combos


def check_conditional_references(template, spec=None):
    """A resource that exists only under condition C may be referenced only from places that
    exist only when C holds (a resource with that condition, or inside Fn::If on it); otherwise
    the stack fails with "Unresolved resource dependencies" in the parameter sets where C is false."""
    resources = template.get("Resources") or {}
    outputs = template.get("Outputs") or {}
    gated = {n: r["Condition"] for n, r in resources.items()
             if isinstance(r, dict) and isinstance(r.get("Condition"), str)}
    if not gated:
        return []
    conds = template.get("Conditions") or {}
    if any(c not in conds for c in gated.values()):
        return []  # reported by check_conditions
    try:
        worlds = [evaluate_conditions(template, a) for a in _parameter_assignments(template)]
    except (KeyError, ValueError, TypeError):
        return []
    out = []
    places = [(f"/Resources/{n}", r) for n, r in resources.items() if isinstance(r, dict)] + \
        [(f"/Outputs/{n}", o) for n, o in outputs.items() if isinstance(o, dict)]
    for root, item in places:
        own = item.get("Condition")
        base = ((own, True),) if isinstance(own, str) and own in conds else ()
        refs = list(_guarded_refs({k: v for k, v in item.items() if k != "Condition"}, base, root))
        deps = item.get("DependsOn", [])
        refs += [(f"{root}/DependsOn", base, d) for d in (deps if isinstance(deps, list) else [deps])]
        for path, guards, target in refs:
            need = gated.get(target)
            if need is None:
                continue
            for world in worlds:
                if all(world.get(c) == want for c, want in guards) and not world[need]:
                    out.append(Problem("conditional-reference", path,
                                       f"{target} exists only when {need}, but this reference is "
                                       "not guarded by it"))
                    break
    return out


AWS_SPECIFIC_TYPES = {
    "AWS::EC2::AvailabilityZone::Name", "AWS::EC2::Image::Id", "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName", "AWS::EC2::SecurityGroup::GroupName",
    "AWS::EC2::SecurityGroup::Id", "AWS::EC2::Subnet::Id", "AWS::EC2::Volume::Id",
    "AWS::EC2::VPC::Id", "AWS::Route53::HostedZone::Id",
}


def _parameter_type_ok(ptype):
    plain = {"String", "Number", "List<Number>", "CommaDelimitedList", "AWS::SSM::Parameter::Name"}
    specific = AWS_SPECIFIC_TYPES | {f"List<{t}>" for t in AWS_SPECIFIC_TYPES}
    if ptype in plain or ptype in specific:
        return True
    m = re.fullmatch(r"AWS::SSM::Parameter::Value<(.+)>", ptype)
    return bool(m) and (m.group(1) in {"String", "List<String>", "CommaDelimitedList"} or
                        m.group(1) in specific)


def check_parameter_definitions(template, spec=None):
    """Each parameter's Type exists and its Default satisfies its own constraints, so a deploy
    with defaults cannot fail validation."""
    out = []
    for name, p in (template.get("Parameters") or {}).items():
        path = f"/Parameters/{name}"
        if not isinstance(p, dict) or not isinstance(p.get("Type"), str):
            out.append(Problem("parameter-definition", path, "no Type"))
            continue
        ptype = p["Type"]
        if not _parameter_type_ok(ptype):
            out.append(Problem("parameter-definition", f"{path}/Type", f"unknown parameter type {ptype!r}"))
            continue
        if "Default" not in p:
            continue
        default = p["Default"]
        if ptype.startswith("AWS::SSM::Parameter::"):
            if not re.fullmatch(r"[A-Za-z0-9_.\-/]+", str(default)):
                out.append(Problem("parameter-definition", f"{path}/Default",
                                   f"{default!r} is not an SSM parameter name"))
            continue
        text = str(default)
        allowed = p.get("AllowedValues")
        if allowed is not None and text not in [str(v) for v in allowed]:
            out.append(Problem("parameter-definition", f"{path}/Default",
                               f"default {text!r} is not in AllowedValues {allowed}"))
        pattern = p.get("AllowedPattern")
        if pattern is not None and ptype == "String" and not re.fullmatch(pattern, text):
            out.append(Problem("parameter-definition", f"{path}/Default",
                               f"default {text!r} does not match AllowedPattern {pattern!r}"))
        if ptype == "Number":
            try:
                number = float(text)
            except ValueError:
                out.append(Problem("parameter-definition", f"{path}/Default", f"default {text!r} is not a number"))
                continue
            if "MinValue" in p and number < float(p["MinValue"]) or \
                    "MaxValue" in p and number > float(p["MaxValue"]):
                out.append(Problem("parameter-definition", f"{path}/Default",
                                   f"default {text} is outside [{p.get('MinValue')}, {p.get('MaxValue')}]"))
        if ptype == "String":
            if "MinLength" in p and len(text) < int(p["MinLength"]) or \
                    "MaxLength" in p and len(text) > int(p["MaxLength"]):
                out.append(Problem("parameter-definition", f"{path}/Default",
                                   f"default {text!r} has a length outside MinLength/MaxLength"))
    return out


CHECKS = {
    "structure": check_structure,
    "resource-type": check_resource_types,
    "property-name": check_property_names,
    "required": check_required_properties,
    "property-type": check_property_types,
    "reference": check_references,
    "condition": check_conditions,
    "parameter-unused": check_parameters_used,
    "conditional-reference": check_conditional_references,
    "parameter-definition": check_parameter_definitions,
}


def validate(template, spec=None):
    """Every problem every check finds."""
    spec = spec or load_spec()
    out = []
    for fn in CHECKS.values():
        out.extend(fn(template, spec))
    return out


# --- evaluation helpers for invariant tests ------------------------------------------------

def evaluate_conditions(template, values):
    """Condition name → bool for given parameter values (defaults filled in)."""
    params = {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}
    params.update({k: str(v) for k, v in values.items()})
    conditions = template.get("Conditions") or {}
    cache = {}

    def resolve(node):
        fn = intrinsic_name(node)
        if fn == "Ref":
            return params[node["Ref"]]
        if fn == "Fn::Equals":
            a, b = node["Fn::Equals"]
            return str(resolve(a)) == str(resolve(b))
        if fn == "Fn::Not":
            return not resolve(node["Fn::Not"][0])
        if fn == "Fn::And":
            return all(resolve(x) for x in node["Fn::And"])
        if fn == "Fn::Or":
            return any(resolve(x) for x in node["Fn::Or"])
        if fn == "Condition":
            return cond(node["Condition"])
        return node

    def cond(name):
        if name not in cache:
            cache[name] = bool(resolve(conditions[name]))
        return cache[name]
    return {name: cond(name) for name in conditions}


def resolve_if(value, conds):
    """value with every Fn::If replaced by its chosen branch (AWS::NoValue entries dropped)."""
    fn = intrinsic_name(value)
    if fn == "Fn::If":
        name, yes, no = value["Fn::If"]
        return resolve_if(yes if conds[name] else no, conds)
    if isinstance(value, dict) and not fn:
        return {k: resolve_if(v, conds) for k, v in value.items()
                if not _is_no_value(resolve_if(v, conds))}
    if isinstance(value, dict):
        return {fn: resolve_if(value[fn], conds)}
    if isinstance(value, list):
        return [resolve_if(v, conds) for v in value if not _is_no_value(resolve_if(v, conds))]
    return value


def _is_no_value(value):
    return isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}


def active_resources(template, values):
    """Resources created for the given parameter values, with Fn::If resolved."""
    conds = evaluate_conditions(template, values)
    return {name: resolve_if(res, conds) for name, res in template["Resources"].items()
            if "Condition" not in res or conds[res["Condition"]]}


def imports_and_exports(template):
    """Paths of every Fn::ImportValue and every Outputs Export: the cross-stack coupling the
    showtable templates must not have (they share values through SSM parameters instead)."""
    out = [path for path, node in walk(template) if intrinsic_name(node) == "Fn::ImportValue"]
    for name, output in (template.get("Outputs") or {}).items():
        if isinstance(output, dict) and "Export" in output:
            out.append(f"/Outputs/{name}/Export")
    return out


def sub_with_defaults(value, template):
    """A Fn::Sub string (or plain string) with ${Param} replaced by the parameter defaults;
    None if it references anything else."""
    if intrinsic_name(value) == "Fn::Sub":
        value = value["Fn::Sub"]
    if not isinstance(value, str):
        return None
    params = template.get("Parameters") or {}
    names = sub_targets(value)
    if any(n not in params or "Default" not in params[n] for n in names):
        return None
    return SUB_VAR.sub(lambda m: str(params[m.group(1).strip()]["Default"]), value)

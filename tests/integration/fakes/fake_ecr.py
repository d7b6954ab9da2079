"""fake_ecr.py — the ECR control-plane API (JSON 1.1, AmazonEC2ContainerRegistry_V20150921) for tests.

Checks each request as ECR would (POST /, X-Amz-Target, Content-Type
application/x-amz-json-1.1, a SigV4 Authorization for service "ecr" whose signature
verifies with the test secret) and validates the body against botocore's copy of the ECR
service model (known members only, required members present, types and enum values
right). Answers as the ECR API reference documents: CreateRepository,
DescribeRepositories, PutLifecyclePolicy, GetAuthorizationToken, DeleteRepository; errors
are HTTP 400 {"__type": "RepositoryNotFoundException" | "RepositoryAlreadyExistsException"
| "RepositoryNotEmptyException" | ..., "message": ...}.

GetAuthorizationToken returns base64("AWS:<password>") and proxy_endpoint, which tests
point at a local registry that accepts that login. The images live in that registry, so
DeleteRepository asks has_images(name) (when given) whether a repository is empty: without
"force", a repository with images is RepositoryNotEmptyException, as in ECR.

    with FakeECR(proxy_endpoint="http://127.0.0.1:P", password="pw") as ecr:
        env["AWS_ENDPOINT_URL_ECR"] = ecr.url
        ecr.repos["showtable"]          # the stored repository, with "lifecyclePolicyText"
        ecr.calls                       # [(operation, body)] in order
        assert ecr.problems == []
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from awsfake import (ACCOUNT, FAKE_KEY_ID, FAKE_SECRET, JSON_11, FakeServer,  # noqa: E402
                     SigV4Error, json_error, verify_sigv4)

TARGET = "AmazonEC2ContainerRegistry_V20150921."
OPS = ("CreateRepository", "DescribeRepositories", "PutLifecyclePolicy", "GetAuthorizationToken",
       "DeleteRepository")


def _service_model():
    import botocore.session
    return botocore.session.get_session().get_service_model("ecr")


def _validate(shape, value, where):
    """Returns a problem string, or None when value fits the botocore shape."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for k in value:
            if k not in shape.members:
                return f"{where}: unknown member {k!r}"
        for k in shape.required_members:
            if k not in value:
                return f"{where}: required member {k} is missing"
        for k, v in value.items():
            p = _validate(shape.members[k], v, f"{where}.{k}")
            if p:
                return p
        return None
    if t == "list":
        if not isinstance(value, list):
            return f"{where} is not a list"
        for i, v in enumerate(value):
            p = _validate(shape.member, v, f"{where}[{i}]")
            if p:
                return p
        return None
    if t == "string":
        if not isinstance(value, str):
            return f"{where} is not a string"
        if shape.enum and value not in shape.enum:
            return f"{where}: {value!r} is not one of {shape.enum}"
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if (lo is not None and len(value) < lo) or (hi is not None and len(value) > hi):
            return f"{where}: length {len(value)} outside [{lo}, {hi}]"
        return None
    if t == "boolean":
        return None if isinstance(value, bool) else f"{where} is not a boolean"
    if t in ("integer", "long"):
        return None if isinstance(value, int) and not isinstance(value, bool) else f"{where} is not an integer"
    return None


class FakeECR(FakeServer):
    def __init__(self, proxy_endpoint, password, region="us-east-1", has_images=None):
        super().__init__(0, methods=("POST",))
        self.proxy_endpoint = proxy_endpoint
        self.has_images = has_images
        self.password = password
        self.region = region
        self.repos = {}
        self.calls = []
        self.race_create = False   # CreateRepository answers RepositoryAlreadyExists once
        self.deny = set()          # operations answered AccessDeniedException
        self.model = _service_model()

    def ops(self):
        return [c[0] for c in self.calls]

    # ---- request checking -------------------------------------------------------------------
    def _check(self, h, raw):
        hdr = h.lower_headers()
        if h.command != "POST" or h.path != "/":
            return None, None, f"expected POST /, got {h.command} {h.path}"
        target = hdr.get("x-amz-target", "")
        if not target.startswith(TARGET) or target[len(TARGET):] not in OPS:
            return None, None, f"X-Amz-Target {target!r} is not a supported ECR operation"
        op = target[len(TARGET):]
        if hdr.get("content-type") != JSON_11:
            return op, None, f"Content-Type {hdr.get('content-type')!r} is not application/x-amz-json-1.1"
        try:
            verify_sigv4(hdr, raw, "ecr", self.region,
                         lambda akid: (FAKE_SECRET, None) if akid == FAKE_KEY_ID else None)
        except SigV4Error as e:
            return op, None, e.message
        try:
            body = json.loads(raw or b"{}")
        except ValueError as e:
            return op, None, f"body is not JSON: {e}"
        p = _validate(self.model.operation_model(op).input_shape, body, op)
        return op, body, p

    # ---- operations ---------------------------------------------------------------------------
    def _repo_json(self, r):
        return {k: v for k, v in r.items() if k != "lifecyclePolicyText"}

    def _do(self, op, body):
        """Returns (status, json)."""
        def err(kind, msg):
            return 400, json_error(kind, msg)
        if op in self.deny:
            return err("AccessDeniedException", f"User is not authorized to perform: ecr:{op}")
        if op == "CreateRepository":
            name = body["repositoryName"]
            if self.race_create:
                self.race_create = False
                self._create(name, body)
                return err("RepositoryAlreadyExistsException",
                           f"The repository with name '{name}' already exists in the registry "
                           f"with id '{ACCOUNT}'")
            if name in self.repos:
                return err("RepositoryAlreadyExistsException",
                           f"The repository with name '{name}' already exists in the registry "
                           f"with id '{ACCOUNT}'")
            return 200, {"repository": self._repo_json(self._create(name, body))}
        if op == "DescribeRepositories":
            names = body.get("repositoryNames")
            if names is None:
                return 200, {"repositories": [self._repo_json(r) for r in self.repos.values()]}
            for n in names:
                if n not in self.repos:
                    return err("RepositoryNotFoundException",
                               f"The repository with name '{n}' does not exist in the registry "
                               f"with id '{ACCOUNT}'")
            return 200, {"repositories": [self._repo_json(self.repos[n]) for n in names]}
        if op == "PutLifecyclePolicy":
            name = body["repositoryName"]
            if name not in self.repos:
                return err("RepositoryNotFoundException", f"repository '{name}' does not exist")
            try:
                pol = json.loads(body["lifecyclePolicyText"])
                assert isinstance(pol["rules"], list) and pol["rules"]
                for r in pol["rules"]:
                    assert r["action"]["type"] == "expire"
                    assert r["selection"]["tagStatus"] in ("tagged", "untagged", "any")
                    assert r["selection"]["countType"] in ("imageCountMoreThan", "sinceImagePushed")
                    assert isinstance(r["selection"]["countNumber"], int)
                    assert isinstance(r["rulePriority"], int)
            except (ValueError, KeyError, TypeError, AssertionError):
                return err("InvalidParameterException", "Invalid parameter at 'LifecyclePolicyText'")
            self.repos[name]["lifecyclePolicyText"] = body["lifecyclePolicyText"]
            return 200, {"registryId": ACCOUNT, "repositoryName": name,
                         "lifecyclePolicyText": body["lifecyclePolicyText"]}
        if op == "GetAuthorizationToken":
            tok = base64.b64encode(f"AWS:{self.password}".encode()).decode()
            return 200, {"authorizationData": [{"authorizationToken": tok,
                                                "expiresAt": time.time() + 12 * 3600,
                                                "proxyEndpoint": self.proxy_endpoint}]}
        if op == "DeleteRepository":
            name = body["repositoryName"]
            r = self.repos.get(name)
            if r is None:
                return err("RepositoryNotFoundException",
                           f"The repository with name '{name}' does not exist in the registry "
                           f"with id '{ACCOUNT}'")
            full = r.get("_images") or (self.has_images is not None and self.has_images(name))
            if full and not body.get("force"):
                return err("RepositoryNotEmptyException",
                           f"The repository with name '{name}' cannot be deleted because it "
                           f"still contains images")
            del self.repos[name]
            return 200, {"repository": self._repo_json(r)}
        return err("UnsupportedCommandException", op)

    def _create(self, name, body):
        r = {
            "repositoryArn": f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{name}",
            "registryId": ACCOUNT,
            "repositoryName": name,
            "repositoryUri": f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{name}",
            "createdAt": time.time(),
            "imageTagMutability": body.get("imageTagMutability", "MUTABLE"),
            "imageScanningConfiguration": body.get("imageScanningConfiguration",
                                                   {"scanOnPush": False}),
            "encryptionConfiguration": body.get("encryptionConfiguration",
                                                {"encryptionType": "AES256"}),
        }
        self.repos[name] = r
        return r

    def _handle(self, h):
        with self._lock:
            op, body, problem = self._check(h, h.raw)
            self.calls.append((op, body))
            if problem:
                self.problems.append(problem)
                status, out = 400, json_error("ValidationException", problem)
            else:
                status, out = self._do(op, body)
        h.send_json(status, out)

"""The client's service descriptors agree with the AWS service models shipped in botocore.

botocore (Debian python3-botocore) carries each service's metadata as published by AWS:
serviceId, endpointPrefix, signingName, protocol, jsonVersion, targetPrefix, apiVersion.
"""
import botocore.session

from awscall import awscall

BOTOCORE_NAMES = {"dynamodb": "dynamodb", "ssm": "ssm", "sts": "sts",
                  "cloudformation": "cloudformation", "ecr": "ecr", "logs": "logs",
                  "ecs": "ecs", "elbv2": "elbv2"}


def test_service_descriptors_match_botocore_models(build_dir, aws_env):
    out = awscall(build_dir, aws_env, "services")
    assert out["ok"]
    session = botocore.session.get_session()
    assert len(out["result"]) == len(BOTOCORE_NAMES)
    for svc in out["result"]:
        meta = session.get_service_model(BOTOCORE_NAMES[svc["name"]]).metadata
        assert svc["service_id"] == meta["serviceId"], svc
        assert svc["endpoint_prefix"] == meta["endpointPrefix"], svc
        assert svc["signing_name"] == meta.get("signingName", meta["endpointPrefix"]), svc
        assert svc["api_version"] == meta["apiVersion"], svc
        if meta["protocol"] == "json":
            assert svc["json_version"] == meta["jsonVersion"], svc
            assert svc["target_prefix"] == meta["targetPrefix"], svc
        else:
            assert meta["protocol"] == "query"
            assert svc.get("json_version") is None and svc.get("target_prefix") is None, svc

"""test_moto_watch.py — the deploy's watch of a new ECS deployment, with ECS and CloudWatch
Logs answered by moto (5.2.1 here), a second implementation of those APIs, and
CloudFormation by our fake (moto's CloudFormation ends every operation within the call,
so no stack is ever seen UPDATE_IN_PROGRESS there, and it has no CancelUpdateStack).

The service, its task definition (awslogs options), a task of its deployment stopped with a
reason, and that task's log stream are made in moto through its ordinary APIs; the fake's
container stack names the same service (moto's default account is the fake's). The watch
must find the deployment, the stopped task among the cluster's, its log stream from the
task definition, and cancel the update after one stop.

What moto gets wrong here, worked around in the setup, never in the requests: ListTasks
ignores serviceName (every stopped task of the cluster comes back — the watch keeps only
those startedBy its deployment, as it must anyway); a service's tasks are never started by
moto, so the task is run by hand with the deployment's id in startedBy; StopTask sets no
stopCode, and a stopped container says exitCode 0 and HEALTHY. RunTask of an awsvpc task is
an HTTP 500 in moto (its ENI has no private_dns_name), as is CreateService with awsvpc but no
securityGroups and RunTask of a container without its own memory: the task definition made
in moto is therefore a bridge-mode one with a container memory, unlike the template's.
moto is the session's (conftest.py's moto_server), emptied for the test.
"""
import re
import time

from test_deploy import ctl  # noqa: F401  (the fixture)

CLUSTER, SERVICE = "showtable-container-cluster", "showtable-container-svc"
GROUP, PREFIX = "/showtable-container/web", "web"


def crashed_task_in_moto(moto, image):
    """A service whose deployment has one stopped task with a log stream, as ECS and the
    awslogs driver leave them; returns (service ARN, task id)."""
    ecs, logs = moto.client("ecs"), moto.client("logs")
    ecs.create_cluster(clusterName=CLUSTER)
    td = ecs.register_task_definition(
        family="showtable-container", networkMode="bridge", cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True, "memory": 512,
                               "logConfiguration": {"logDriver": "awslogs", "options": {
                                   "awslogs-group": GROUP, "awslogs-region": "us-east-1",
                                   "awslogs-stream-prefix": PREFIX}}}])["taskDefinition"]
    svc = ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, desiredCount=1,
                             taskDefinition=td["taskDefinitionArn"], launchType="FARGATE")["service"]
    dep = next(d for d in svc["deployments"] if d["status"] == "PRIMARY")
    task = ecs.run_task(cluster=CLUSTER, taskDefinition=td["taskDefinitionArn"], launchType="FARGATE",
                        startedBy=dep["id"], group=f"service:{SERVICE}")["tasks"][0]
    # another task of the cluster, not of this deployment: not to be reported
    ecs.stop_task(cluster=CLUSTER, task=ecs.run_task(
        cluster=CLUSTER, taskDefinition=td["taskDefinitionArn"], launchType="FARGATE",
        startedBy="someone-else")["tasks"][0]["taskArn"], reason="stopped by hand")
    ecs.stop_task(cluster=CLUSTER, task=task["taskArn"], reason="Essential container in task exited")
    tid = task["taskArn"].rsplit("/", 1)[-1]
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=f"{PREFIX}/web/{tid}")
    logs.put_log_events(logGroupName=GROUP, logStreamName=f"{PREFIX}/web/{tid}", logEvents=[
        {"timestamp": int(time.time() * 1000) + i, "message": m}   # older than 14 days: rejected
        for i, m in enumerate(["showtable starting", "showtable: no table name in /go-on-aws/table"])])
    return svc["serviceArn"], tid


def test_moto_watch_reports_the_stopped_task_with_its_log_and_cancels(ctl, moto):  # noqa: F811
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    ctl.ok("--yes", "deploy", "container", "--image", "r/w:1", builtin=True)
    arn, tid = crashed_task_in_moto(moto, "r/w:2")
    assert arn == ctl.cfn.stack("showtable-container").resources["Service"]["PhysicalId"]
    env = dict(ctl.env, AWS_ENDPOINT_URL_ECS=moto.url, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=moto.url)
    p = ctl.run("--yes", "deploy", "container", "--image", "r/w:2", "--max-failed-tasks", "1",
                builtin=True, env=env)
    assert p.returncode == 1, p.stdout + p.stderr
    assert re.search(r"ecs: new deployment ecs-svc/\S+ \(showtable-container:1\)", p.stdout)
    assert f"  task {tid[:8]}… stopped" in p.stdout
    assert re.search(r": Essential container in task exited \(web: exit 0\) — last log lines:",
                     p.stdout)   # moto's exit code
    assert "    | showtable: no table name in /go-on-aws/table" in p.stdout, p.stdout
    assert "stopped by hand" not in p.stdout
    assert "watch:" not in p.stdout, p.stdout   # no read failed
    assert len(ctl.cfn.calls("CancelUpdateStack")) == 1
    assert ctl.cfn.stack("showtable-container").status == "UPDATE_ROLLBACK_COMPLETE"

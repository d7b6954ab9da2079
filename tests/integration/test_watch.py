"""showtablectl deploy watching the ECS service's new deployment: a task that stops is shown
with its reason and last log lines as soon as it stops, and after --max-failed-tasks stops
the update is cancelled (or the stack under creation deleted), against the fake
CloudFormation with its ECS simulation (fakes/fake_ecs.py) and the built-in templates.
"""
import json
import re

from test_deploy import ctl  # noqa: F401  (the fixture)

STOP_LINE = re.compile(r"^  task ([0-9a-f]{8})… stopped[^:]*: (.*) — last log lines:$", re.M)
CRASH_LOGS = ["showtable 1.0 listening on :8080",
              "showtable: reading /go-on-aws/table: AccessDeniedException — not authorized"]


def deploy(ctl, image, *args):  # noqa: F811
    return ctl.run("--yes", "deploy", "container", "--image", image, *args, builtin=True)


def deployed(ctl, *args):  # noqa: F811
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    p = deploy(ctl, "r/w:1", *args)
    assert p.returncode == 0, p.stderr
    return ctl.cfn.stack("showtable-container")


def service_arn(stack):
    return next(r["PhysicalId"] for r in stack.resources.values()
                if r["Type"] == "AWS::ECS::Service")


def test_a_crashing_image_is_shown_with_its_reason_and_log_and_its_update_cancelled(ctl):  # noqa: F811
    stack = deployed(ctl)
    ctl.cfn.ecs.crash("r/w:bad", exit_code=1, logs=CRASH_LOGS)
    p = deploy(ctl, "r/w:bad", "--max-failed-tasks", "2")
    assert p.returncode == 1
    stops = STOP_LINE.findall(p.stdout)
    assert [why for _, why in stops] == \
        ["Essential container in task exited (web: exit 1)"] * 2, p.stdout
    assert "    | showtable: reading /go-on-aws/table: AccessDeniedException — not authorized" \
        in p.stdout
    # the log stream the task definition's awslogs options name: prefix/container/task-id
    logs = [b for (_, a, b) in ctl.cfn.requests if a == "GetLogEvents"]
    assert logs[0]["logGroupName"] == "/showtable-container/web"
    assert re.fullmatch(r"web/web/[0-9a-f]{32}", logs[0]["logStreamName"])
    assert logs[0]["logStreamName"].startswith("web/web/" + stops[0][0])
    # cancelled once, after the second stop, by stack id; CloudFormation rolled back
    cancels = ctl.cfn.calls("CancelUpdateStack")
    assert [c["StackName"] for c in cancels] == [stack.id]
    assert "2 tasks of the new deployment stopped (--max-failed-tasks 2): cancelling the update" \
        in p.stdout
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "Service                          AWS::ECS::Service                        " \
           "UPDATE_FAILED  Resource update cancelled" in p.stdout
    # ECS is back on the previous task definition
    svc = service_arn(stack)
    assert ctl.cfn.ecs.image_of(ctl.cfn.ecs.deployments[svc][0]["taskDefinition"]) == "r/w:1"
    assert "why: the new deployment's tasks stop: Essential container in task exited" in p.stdout
    assert "timeline:" in p.stdout
    assert "deploy stopped after 2 tasks of the new ECS deployment stopped: the update was " \
           "cancelled and rolled back" in p.stderr


def test_with_max_failed_tasks_0_nothing_is_cancelled_and_the_circuit_breaker_ends_it(ctl):  # noqa: F811
    stack = deployed(ctl)
    ctl.cfn.ecs.crash("r/w:bad", exit_code=2, logs=["panic: boom"])
    p = deploy(ctl, "r/w:bad", "--max-failed-tasks", "0")
    assert p.returncode == 1
    assert ctl.cfn.calls("CancelUpdateStack") == []
    # every stop is still shown, up to the circuit breaker's threshold
    assert len(STOP_LINE.findall(p.stdout)) == ctl.cfn.ecs.threshold
    assert "    | panic: boom" in p.stdout
    assert "ECS Deployment Circuit Breaker was triggered" in p.stdout
    assert re.search(r"ecs: deployment ecs-svc/\d+ FAILED: ECS deployment circuit breaker",
                     p.stdout)
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "deploy failed (UPDATE_ROLLBACK_COMPLETE)" in p.stderr


def test_a_first_create_with_a_crashing_image_is_deleted_after_n_stops(ctl):  # noqa: F811
    ctl.ok("--yes", "deploy", "vpc", "table", builtin=True)
    ctl.cfn.ecs.crash("r/w:bad", logs=CRASH_LOGS)
    p = deploy(ctl, "r/w:bad")   # the default: 2
    assert p.returncode == 1
    assert len(STOP_LINE.findall(p.stdout)) == 2
    deletes = ctl.cfn.calls("DeleteStack")
    assert len(deletes) == 1 and deletes[0]["StackName"].startswith(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/showtable-container/")
    assert ctl.cfn.calls("CancelUpdateStack") == []
    assert "deleting the stack under creation (DeleteStack)" in p.stdout
    assert ctl.cfn.stack("showtable-container") is None
    assert "the stack under creation was deleted (DELETE_COMPLETE)" in p.stderr


def test_an_image_that_cannot_be_pulled_shows_the_pull_error_and_no_log(ctl):  # noqa: F811
    deployed(ctl)
    ctl.cfn.ecs.crash("r/w:gone", pull_error=True)
    p = deploy(ctl, "r/w:gone")
    assert p.returncode == 1
    why = STOP_LINE.findall(p.stdout)[0][1]
    assert why.startswith("CannotPullContainerError: pull image manifest has been retried")
    assert "(web:" not in why   # the container's reason only repeats it
    assert "(no log stream web/web/" in p.stdout and "the container wrote nothing)" in p.stdout


def test_behind_the_http_api_the_container_health_check_is_the_signal(ctl):  # noqa: F811
    deployed(ctl, "--param", "Frontend=httpapi")
    ctl.cfn.ecs.crash("r/w:sick", exit_code=143, unhealthy=True, logs=["GET /ping 503"])
    before = len(ctl.cfn.calls("DescribeTargetHealth"))
    p = deploy(ctl, "r/w:sick")
    assert p.returncode == 1
    why = STOP_LINE.findall(p.stdout)[0][1]
    assert why == "Task failed container health checks (web: exit 143, health check UNHEALTHY)"
    assert len(ctl.cfn.calls("DescribeTargetHealth")) == before   # no target group there


def test_behind_the_load_balancer_unhealthy_targets_are_shown_with_their_reason(ctl):  # noqa: F811
    deployed(ctl)
    ctl.cfn.ecs.crash("r/w:bad")
    ctl.cfn.targets = [("10.0.2.9", "8080", "unhealthy", "Target.ResponseCodeMismatch",
                        "Health checks failed with these codes: [500]")]
    p = deploy(ctl, "r/w:bad")
    assert p.stdout.count("  target 10.0.2.9:8080 unhealthy: Target.ResponseCodeMismatch — "
                          "Health checks failed with these codes: [500]") == 1


def test_a_healthy_deploy_is_watched_quietly(ctl):  # noqa: F811
    deployed(ctl)
    p = deploy(ctl, "r/w:2")
    assert p.returncode == 0, p.stderr
    assert re.search(r"ecs: new deployment ecs-svc/\d+ \(showtable-container:\d+\): watching",
                     p.stdout)
    assert re.search(r"  ecs: \(service showtable-container-svc\) has started 1 tasks", p.stdout)
    assert not STOP_LINE.search(p.stdout)
    assert ctl.cfn.calls("CancelUpdateStack") == []
    lists = [b for (_, a, b) in ctl.cfn.requests if a == "ListTasks"]
    assert lists and all(b["desiredStatus"] == "STOPPED" and "startedBy" not in b for b in lists
                         if b.get("desiredStatus"))


def test_max_failed_tasks_takes_a_number_and_only_on_deploy(ctl):  # noqa: F811
    p = ctl.run("--yes", "deploy", "--max-failed-tasks", "many", "container")
    assert p.returncode == 2 and "--max-failed-tasks needs a number from 0 to 1000" in p.stderr
    p = ctl.run("diff", "--max-failed-tasks", "1", "container")
    assert p.returncode == 2 and "--max-failed-tasks is for deploy" in p.stderr


def test_json_lines_carry_each_task_stop_and_what_the_watch_did(ctl):  # noqa: F811
    deployed(ctl)
    ctl.cfn.ecs.crash("r/w:bad", exit_code=1, logs=CRASH_LOGS)
    p = ctl.run("--json", "--yes", "deploy", "container", "--image", "r/w:bad", builtin=True)
    assert p.returncode == 1
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    stops = [o for o in lines if o["type"] == "task_stop"]
    assert len(stops) == 2
    assert stops[0]["stack"] == "showtable-container"
    assert stops[0]["stop_code"] == "EssentialContainerExited"
    assert stops[0]["reason"] == "Essential container in task exited (web: exit 1)"
    assert stops[0]["log_lines"] == CRASH_LOGS
    assert stops[0]["deployment"].startswith("ecs-svc/") and stops[0]["seconds"] > 0
    (act,) = [o for o in lines if o["type"] == "watch"]
    assert act == {"type": "watch", "stack": "showtable-container", "action": "cancel_update",
                   "stopped_tasks": 2, "max_failed_tasks": 2, "status": "UPDATE_IN_PROGRESS"}
    assert lines[-1]["type"] == "result" and lines[-1]["outcome"] == "failed"
    assert "  task " in p.stderr   # the human lines, on stderr

"""fake_ecs.py — the ECS side of a service deployment, for the CloudFormation fake
(fake_cfn.py) to drive while it creates or updates an AWS::ECS::Service: deployments, the
tasks a crashing image leaves stopped, their CloudWatch Logs streams and the deployment
circuit breaker. FakeCFN serves the API calls (it is the one endpoint of the tests) and
asks EcsSim for the answers; EcsSim holds no HTTP.

Shapes follow the API references (ECS 2014-11-13 DescribeServices, ListTasks,
DescribeTasks, DescribeTaskDefinition; CloudWatch Logs 2014-03-28 GetLogEvents): times
are epoch seconds (ECS) or milliseconds (Logs), a service's tasks carry their deployment's
id in startedBy and "service:<name>" in group, stopped tasks have stopCode, stoppedReason
and each container's exitCode or reason, a task's awslogs stream is
<prefix>/<container>/<task id>, GetLogEvents without startFromHead returns the newest
`limit` events (default 10,000) oldest first, a missing stream is ResourceNotFoundException.

    sim.crash("r/w:bad", exit_code=1, logs=["panic: no table"])   # tasks of this image exit
    sim.crash("r/w:gone", pull_error=True)                        # or never start
    sim.crash("r/w:sick", exit_code=143, unhealthy=True)          # or fail their health check
"""
import uuid

from awsfake import ACCOUNT, json_error

CIRCUIT_BREAKER_REASON = ("Error occurred during operation 'ECS Deployment Circuit Breaker was "
                          "triggered'.")
PULL_ERROR = ("CannotPullContainerError: pull image manifest has been retried 7 time(s): failed "
              "to resolve ref {image}: not found")


class EcsSim:
    def __init__(self, region):
        self.region = region
        self.crashing = {}          # image -> how its tasks fail
        self.deployments = {}       # service ARN -> deployments, newest first
        self.service_events = {}    # service ARN -> events, newest first
        self.stopped = []           # stopped tasks, full Task shape
        self.task_definitions = {}  # ARN -> taskDefinition
        self.streams = {}           # (log group, stream) -> events
        # ECS's failure threshold for a small service: min 3 (0.5 x desired, 3..200)
        self.threshold = 3
        self._revision = 0
        self._deployment = 7000000000000000000

    def crash(self, image, exit_code=1, logs=(), pull_error=False, unhealthy=False):
        """Tasks of image stop: their essential container exits with exit_code after writing
        logs, or (pull_error) the image cannot be pulled and nothing starts, or (unhealthy)
        ECS stops them when the container health check fails (exit_code is then what the
        container's SIGTERM ends in)."""
        self.crashing[image] = {"exit": exit_code, "logs": list(logs), "pull": pull_error,
                                "unhealthy": unhealthy}

    # -- driven by the CloudFormation fake
    def register_task_definition(self, family, containers):
        """A new revision of family; containers: [{"name", "image", "logConfiguration"}]."""
        self._revision += 1
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:task-definition/{family}:{self._revision}"
        self.task_definitions[arn] = {
            "taskDefinitionArn": arn, "family": family, "revision": self._revision,
            "status": "ACTIVE", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [dict(c, essential=True) for c in containers]}
        return arn

    def start_deployment(self, now, service_arn, taskdef_arn, desired=1):
        """UpdateService (or CreateService): a new PRIMARY deployment; the previous one stays
        ACTIVE until this one completes."""
        deps = self.deployments.setdefault(service_arn, [])
        for d in deps:
            if d["status"] == "PRIMARY":
                d["status"] = "ACTIVE"
        self._deployment += 1
        dep = {"id": f"ecs-svc/{self._deployment}", "status": "PRIMARY",
               "taskDefinition": taskdef_arn, "desiredCount": desired, "pendingCount": desired,
               "runningCount": 0, "failedTasks": 0, "createdAt": now, "updatedAt": now,
               "launchType": "FARGATE", "platformVersion": "1.4.0", "rolloutState": "IN_PROGRESS",
               "rolloutStateReason": f"ECS deployment ecs-svc/{self._deployment} in progress."}
        deps.insert(0, dep)
        self._service_event(service_arn, now, f"(service {_name(service_arn)}) has started 1 "
                                              f"tasks: (deployment {dep['id']}).")
        return dep

    def image_of(self, taskdef_arn):
        td = self.task_definitions.get(taskdef_arn) or {}
        return next((c.get("image") for c in td.get("containerDefinitions", [])), None)

    def crashes(self, taskdef_arn):
        return self.crashing.get(self.image_of(taskdef_arn))

    def complete(self, now, service_arn):
        """The PRIMARY deployment reached a steady state; the others are drained."""
        deps = self.deployments.get(service_arn, [])
        for d in deps:
            if d["status"] == "PRIMARY":
                d.update(rolloutState="COMPLETED", pendingCount=0,
                         runningCount=d["desiredCount"], updatedAt=now,
                         rolloutStateReason=f"ECS deployment {d['id']} completed.")
            else:
                d["status"] = "INACTIVE"
        self.deployments[service_arn] = [d for d in deps if d["status"] != "INACTIVE"]
        self._service_event(service_arn, now, f"(service {_name(service_arn)}) has reached a "
                                              f"steady state.")

    def fail_task(self, now, cluster, service_arn):
        """One task of the PRIMARY deployment fails as its image does. True when the
        circuit breaker trips on it (the deployment is then FAILED)."""
        dep = self.deployments[service_arn][0]
        spec = self.crashes(dep["taskDefinition"])
        td = self.task_definitions[dep["taskDefinition"]]
        tid = uuid.uuid4().hex
        arn = f"arn:aws:ecs:{self.region}:{ACCOUNT}:task/{cluster}/{tid}"
        containers = []
        for c in td["containerDefinitions"]:
            ct = {"containerArn": f"arn:aws:ecs:{self.region}:{ACCOUNT}:container/{cluster}/"
                                  f"{tid}/{uuid.uuid4()}",
                  "taskArn": arn, "name": c["name"], "image": c["image"], "lastStatus": "STOPPED",
                  "healthStatus": "UNHEALTHY" if spec["unhealthy"] else "UNKNOWN",
                  "networkInterfaces": []}
            if spec["pull"]:
                ct["reason"] = PULL_ERROR.format(image=c["image"])
            else:
                ct["exitCode"] = spec["exit"]
                ct["runtimeId"] = f"{tid}-{uuid.uuid4().int % 10**10}"
                opts = (c.get("logConfiguration") or {}).get("options") or {}
                if opts.get("awslogs-group") and opts.get("awslogs-stream-prefix"):
                    stream = f"{opts['awslogs-stream-prefix']}/{c['name']}/{tid}"
                    self.streams[(opts["awslogs-group"], stream)] = [
                        {"timestamp": int((now + 3) * 1000) + i, "message": m,
                         "ingestionTime": int((now + 4) * 1000)}
                        for i, m in enumerate(spec["logs"])]
            containers.append(ct)
        task = {"taskArn": arn, "clusterArn": f"arn:aws:ecs:{self.region}:{ACCOUNT}:cluster/"
                                              f"{cluster}",
                "taskDefinitionArn": dep["taskDefinition"], "group": f"service:{_name(service_arn)}",
                "startedBy": dep["id"], "launchType": "FARGATE", "platformVersion": "1.4.0",
                "cpu": "256", "memory": "512", "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
                "healthStatus": "UNKNOWN", "createdAt": now, "stoppingAt": now + 4,
                "stoppedAt": now + 5, "containers": containers, "version": 4}
        if spec["pull"]:
            task.update(stopCode="TaskFailedToStart",
                        stoppedReason=containers[0]["reason"] if containers else "")
        elif spec["unhealthy"]:
            task.update(stopCode="ServiceSchedulerInitiated", startedAt=now + 2,
                        healthStatus="UNHEALTHY",
                        stoppedReason="Task failed container health checks")
        else:
            task.update(stopCode="EssentialContainerExited", startedAt=now + 2,
                        stoppedReason="Essential container in task exited")
        self.stopped.insert(0, task)
        dep["failedTasks"] += 1
        dep["updatedAt"] = now + 5
        self._service_event(service_arn, now + 5, f"(service {_name(service_arn)}) has started 1 "
                                                  f"tasks: (task {tid}).")
        if dep["failedTasks"] >= self.threshold:
            dep.update(rolloutState="FAILED",
                       rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.")
            return True
        return False

    def roll_back(self, now, service_arn):
        """A rollback (the circuit breaker's, or CloudFormation's after a cancel or failure):
        a new PRIMARY deployment of the last task definition that completed."""
        deps = self.deployments.get(service_arn, [])
        good = next((d for d in deps if d["rolloutState"] == "COMPLETED"), None)
        if good is None:
            return
        failed = deps[0]
        self.start_deployment(now, service_arn, good["taskDefinition"], good["desiredCount"])
        failed["status"] = "ACTIVE"
        self.complete(now + 1, service_arn)

    def _service_event(self, service_arn, now, message):
        self.service_events.setdefault(service_arn, []).insert(
            0, {"id": str(uuid.uuid4()), "createdAt": now, "message": message})

    # -- the API
    def describe_service(self, arn):
        """deployments and events of a service this simulation knows, else None."""
        if arn not in self.deployments:
            return None
        return {"deployments": self.deployments[arn], "events": self.service_events.get(arn, [])}

    def stopped_tasks(self, cluster, service_name):
        return [t["taskArn"] for t in self.stopped
                if t["group"] == f"service:{service_name}" and f"/{cluster}/" in t["taskArn"]]

    def task(self, arn):
        return next((t for t in self.stopped if t["taskArn"] == arn), None)

    def describe_task_definition(self, body):
        name = body.get("taskDefinition")
        if not isinstance(name, str):
            return 400, json_error("ClientException", "taskDefinition is required")
        td = self.task_definitions.get(name) or next(
            (t for t in self.task_definitions.values()
             if name in (f"{t['family']}:{t['revision']}", t["family"])), None)
        if td is None:
            return 400, json_error("ClientException", "Unable to describe task definition.")
        return 200, {"taskDefinition": td, "tags": []}

    def get_log_events(self, body):
        group, stream = body.get("logGroupName"), body.get("logStreamName")
        if not isinstance(stream, str) or not (isinstance(group, str) or
                                                isinstance(body.get("logGroupIdentifier"), str)):
            return 400, json_error("InvalidParameterException",
                                   "logStreamName and logGroupName or logGroupIdentifier")
        limit = body.get("limit", 10000)
        if not isinstance(limit, int) or not 1 <= limit <= 10000:
            return 400, json_error("InvalidParameterException", "limit must be 1 to 10000")
        evs = self.streams.get((group, stream))
        if evs is None:
            return 400, json_error("ResourceNotFoundException",
                                   "The specified log stream does not exist.")
        page = evs[:limit] if body.get("startFromHead") else evs[-limit:]
        return 200, {"events": page, "nextForwardToken": f"f/{len(evs):056d}",
                     "nextBackwardToken": f"b/{0:056d}"}


def _name(service_arn):
    return service_arn.rsplit("/", 1)[-1]

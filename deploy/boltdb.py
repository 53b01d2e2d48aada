"""``reset-boltdb``: the seed's recovery procedure for a corrupt or locked Atlantis database, automated.

Scale the service to 0 and wait until no task runs, delete the BoltDB file with a one-off Fargate task of the
service's own task definition (same subnets, security groups and EFS mount), check it exited 0, scale back, wait
until healthy. Every step is safe to repeat: a failed run is resumed by running the command again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy.console import Console, Progress
from deploy.ecs import ServiceRef, describe_service, wait_for_no_tasks, wait_until_healthy
from deploy.errors import DeployError
from deploy.names import BOLTDB_FILE, BOLTDB_PATH, CONTAINER_NAME
from deploy.polling import poll
from stacks.config import AtlantisConfig

TITLES = (
    "Find the service",
    "Scale to 0 and wait for no running task",
    "Delete the BoltDB file with a one-off task",
    "Scale back",
    "Wait until healthy",
)
HINTS = (
    "",
    "re-run reset-boltdb once the task has stopped",
    "the service is left at 0 tasks; fix the cause and re-run reset-boltdb",
    "re-run reset-boltdb",
    "see ./quick-deploy.sh status and ./quick-deploy.sh logs",
)
# The path comes from the environment of the task definition that runs (ATLANTIS_DATA_DIR), so the command deletes
# the right file whether the service still runs a task definition from before the data dir moved or a newer one;
# ${...:?} fails the task rather than deleting a wrong path when the variable is missing.
CLEANUP_COMMAND = ["sh", "-c", f'rm -f "${{ATLANTIS_DATA_DIR:?}}/{BOLTDB_FILE}"']
STARTED_BY = "quick-deploy/reset-boltdb"


@dataclass(frozen=True)
class Placement:
    """Where and how the service runs its tasks, copied onto the one-off task."""

    task_definition: str
    network_configuration: dict[str, Any]
    launch: dict[str, Any]  # launchType or capacityProviderStrategy, plus platformVersion
    desired_count: int


def reset_boltdb(
    ecs: Any, elbv2: Any, config: AtlantisConfig, console: Console, *, assume_yes: bool, timeout: float, interval: float
) -> None:
    if config.locking_db != "boltdb":
        raise DeployError(
            f'locking_db = "{config.locking_db}": Atlantis keeps its locks there, not in a BoltDB file',
            "nothing to reset; see ./quick-deploy.sh status",
        )
    ref = ServiceRef.of(config)
    progress = Progress(console, TITLES, HINTS)
    with progress.step(1):
        placement = _placement(describe_service(ecs, ref))
        console.note(f"{ref.service}: task definition {placement.task_definition}, desired {placement.desired_count}")
        console.confirm(
            f"This stops Atlantis ({ref.service}) and deletes {BOLTDB_PATH}: locks and plan history are lost.",
            ref.service,
            assume_yes,
        )
    restore_count = max(placement.desired_count, 1)  # after an interrupted run the service is already at 0
    with progress.step(2):
        ecs.update_service(cluster=ref.cluster, service=ref.service, desiredCount=0)
        wait_for_no_tasks(ecs, ref, timeout=timeout, interval=interval)
    with progress.step(3):
        task_arn = _run_cleanup_task(ecs, ref, placement)
        console.note(f"started {task_arn}")
        _wait_for_exit(ecs, ref, task_arn, timeout=timeout, interval=interval)
        console.note(f"{BOLTDB_PATH} removed (exit code 0)")
    with progress.step(4):
        ecs.update_service(cluster=ref.cluster, service=ref.service, desiredCount=restore_count)
        console.note(f"desired count {restore_count}")
    with progress.step(5):
        wait_until_healthy(ecs, elbv2, ref, timeout=timeout, interval=interval)
    progress.finish(f"BoltDB reset; {ref.service} is healthy again")


def _placement(service: dict[str, Any]) -> Placement:
    network = service.get("networkConfiguration")
    if not network:
        raise DeployError(f"{service.get('serviceName')} has no awsvpc network configuration to copy")
    launch: dict[str, Any] = {}
    if service.get("capacityProviderStrategy"):
        launch["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    else:
        launch["launchType"] = service.get("launchType") or "FARGATE"
    if service.get("platformVersion"):
        launch["platformVersion"] = service["platformVersion"]
    return Placement(service["taskDefinition"], network, launch, int(service.get("desiredCount", 0)))


def _run_cleanup_task(ecs: Any, ref: ServiceRef, placement: Placement) -> str:
    response = ecs.run_task(
        cluster=ref.cluster,
        taskDefinition=placement.task_definition,
        count=1,
        startedBy=STARTED_BY,
        networkConfiguration=placement.network_configuration,
        overrides={"containerOverrides": [{"name": CONTAINER_NAME, "command": CLEANUP_COMMAND}]},
        **placement.launch,
    )
    if response.get("failures") or not response.get("tasks"):
        reasons = "; ".join(f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in response.get("failures", []))
        raise DeployError(f"RunTask started no task: {reasons or 'no reason given'}")
    return str(response["tasks"][0]["taskArn"])


def _wait_for_exit(ecs: Any, ref: ServiceRef, task_arn: str, *, timeout: float, interval: float) -> None:
    def stopped_task() -> dict[str, Any] | None:
        tasks = ecs.describe_tasks(cluster=ref.cluster, tasks=[task_arn])["tasks"]
        return tasks[0] if tasks and tasks[0].get("lastStatus") == "STOPPED" else None

    task = poll(stopped_task, timeout=timeout, interval=interval)
    if task is None:
        raise DeployError(f"the cleanup task {task_arn} did not stop within {timeout:g}s")
    container: dict[str, Any] = next((c for c in task.get("containers", []) if c.get("name") == CONTAINER_NAME), {})
    exit_code = container.get("exitCode")
    if exit_code != 0:
        reason = container.get("reason") or task.get("stoppedReason") or "no reason given"
        outcome = "did not run" if exit_code is None else f"exited with {exit_code}"
        raise DeployError(f"the cleanup task {outcome}: {reason}")

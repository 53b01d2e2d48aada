"""Reading and waiting on the Atlantis ECS service (shared by ``status`` and ``reset-boltdb``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy.errors import DeployError
from deploy.names import cluster_name, service_name
from deploy.polling import poll
from stacks.config import AtlantisConfig


@dataclass(frozen=True)
class ServiceRef:
    cluster: str
    service: str

    @classmethod
    def of(cls, config: AtlantisConfig) -> ServiceRef:
        return cls(cluster_name(config), service_name(config))


def describe_service(ecs: Any, ref: ServiceRef) -> dict[str, Any]:
    try:
        response = ecs.describe_services(cluster=ref.cluster, services=[ref.service])
    except ecs.exceptions.ClusterNotFoundException:
        response = {"services": []}
    services = [service for service in response.get("services", []) if service.get("status") != "INACTIVE"]
    if not services:
        raise DeployError(
            f"ECS service {ref.service} not found in cluster {ref.cluster}",
            "deploy first with ./quick-deploy.sh, or check --environment and the region",
        )
    return dict(services[0])


def target_health(elbv2: Any, service: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Target group ARN -> its targets' health, for every load balancer of the service."""
    groups = [
        balancer["targetGroupArn"] for balancer in service.get("loadBalancers", []) if balancer.get("targetGroupArn")
    ]
    return {group: elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"] for group in groups}


def service_tasks(ecs: Any, ref: ServiceRef) -> list[dict[str, Any]]:
    """The service's tasks that are running or still stopping (desired STOPPED but not yet STOPPED)."""
    arns: list[str] = []
    for desired in ("RUNNING", "STOPPED"):
        pages = ecs.get_paginator("list_tasks").paginate(
            cluster=ref.cluster, serviceName=ref.service, desiredStatus=desired, PaginationConfig={"MaxItems": 500}
        )
        arns += [arn for page in pages for arn in page["taskArns"]]
    tasks = []
    for start in range(0, len(arns), 100):  # DescribeTasks takes at most 100 tasks
        tasks += ecs.describe_tasks(cluster=ref.cluster, tasks=arns[start : start + 100])["tasks"]
    return [task for task in tasks if task.get("lastStatus") != "STOPPED"]


def wait_for_no_tasks(ecs: Any, ref: ServiceRef, *, timeout: float, interval: float) -> None:
    """Until no task of the service runs: BoltDB admits one process, so it must be closed before it is touched."""

    def stopped() -> bool | None:
        service = describe_service(ecs, ref)
        if service.get("runningCount", 0) or service.get("pendingCount", 0):
            return None
        return True if not service_tasks(ecs, ref) else None

    if poll(stopped, timeout=timeout, interval=interval) is None:
        raise DeployError(
            f"{ref.service} still has a running or stopping task after {timeout:g}s",
            "wait for it to stop (./quick-deploy.sh status) and re-run",
        )


def is_healthy(ecs: Any, elbv2: Any, ref: ServiceRef) -> bool:
    """All desired tasks run, nothing is pending, and every target group has that many healthy targets."""
    service = describe_service(ecs, ref)
    desired = int(service.get("desiredCount", 0))
    if int(service.get("runningCount", 0)) < desired or int(service.get("pendingCount", 0)) > 0:
        return False
    for targets in target_health(elbv2, service).values():
        healthy = [target for target in targets if target.get("TargetHealth", {}).get("State") == "healthy"]
        if len(healthy) < desired:
            return False
    return True


def wait_until_healthy(ecs: Any, elbv2: Any, ref: ServiceRef, *, timeout: float, interval: float) -> None:
    if poll(lambda: True if is_healthy(ecs, elbv2, ref) else None, timeout=timeout, interval=interval) is None:
        raise DeployError(
            f"{ref.service} did not become healthy within {timeout:g}s",
            "see ./quick-deploy.sh status and ./quick-deploy.sh logs",
        )

"""Slack message for an ECS task that stopped.

Two shapes arrive: the compact JSON that the EventBridge rule's input transformer writes (kind
"ecs-task-stopped"), and the untransformed "ECS Task State Change" event, should a rule send it as is.
Both are read into one EcsTaskChange so there is a single message layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_notifier import console_links
from slack_notifier.blocks import (
    Payload,
    context,
    environment_prefix,
    escaped,
    fields,
    header,
    labelled_section,
    link,
    message,
    section,
)
from slack_notifier.documents import mapping_of, mappings_in, number_text, text_of
from slack_notifier.settings import MessageContext

TRANSFORMED_KIND = "ecs-task-stopped"
EVENT_DETAIL_TYPE = "ECS Task State Change"
SERVICE_GROUP_PREFIX = "service:"
# A task has at most 10 containers; the cap only guards against a malformed array.
MAX_CONTAINERS_SHOWN = 10
CONTAINER_LINE_LIMIT = 280


@dataclass(frozen=True)
class ContainerExit:
    name: str
    exit_code: str  # "" when ECS reports none, e.g. the container never started
    reason: str

    def describe(self) -> str:
        outcome = f"exit code {self.exit_code}" if self.exit_code else "no exit code"
        line = f"{self.name or 'unnamed container'}: {outcome}" + (f", {self.reason}" if self.reason else "")
        return "• " + escaped(line, CONTAINER_LINE_LIMIT)


@dataclass(frozen=True)
class EcsTaskChange:
    cluster: str  # ARN or name, as the event gives it
    task_arn: str
    group: str
    last_status: str
    stop_code: str
    stopped_reason: str
    containers: list[ContainerExit]
    region: str
    time: str

    @property
    def cluster_name(self) -> str:
        return self.cluster.rpartition(":cluster/")[2] if ":cluster/" in self.cluster else self.cluster

    @property
    def task_id(self) -> str:
        return self.task_arn.rpartition("/")[2]

    @property
    def service_name(self) -> str:
        return self.group.removeprefix(SERVICE_GROUP_PREFIX) if self.group.startswith(SERVICE_GROUP_PREFIX) else ""


def is_ecs_task_change(document: Mapping[str, Any]) -> bool:
    if document.get("kind") == TRANSFORMED_KIND:
        return True
    return document.get("detail-type") == EVENT_DETAIL_TYPE and isinstance(document.get("detail"), Mapping)


def read_ecs_task_change(document: Mapping[str, Any]) -> EcsTaskChange:
    if document.get("kind") == TRANSFORMED_KIND:
        return _task_change(
            document,
            cluster=text_of(document, "cluster"),
            task_arn=text_of(document, "task"),
            last_status="STOPPED",
            region=text_of(document, "region"),
            time=text_of(document, "time"),
        )
    detail = mapping_of(document.get("detail"))
    return _task_change(
        detail,
        cluster=text_of(detail, "clusterArn"),
        task_arn=text_of(detail, "taskArn"),
        last_status=text_of(detail, "lastStatus"),
        region=text_of(document, "region"),
        time=text_of(detail, "stoppedAt") or text_of(document, "time"),
    )


def build_ecs_task_message(document: Mapping[str, Any], ctx: MessageContext) -> Payload:
    task = read_ecs_task_change(document)
    subject = task.service_name or task.group or task.task_id or "unknown task"
    status = "stopped" if task.last_status in ("STOPPED", "") else task.last_status.lower()
    emoji = ":octagonal_sign:" if status == "stopped" else ":information_source:"
    region = console_links.pick_region(
        task.region,
        console_links.region_from_arn(task.task_arn),
        console_links.region_from_arn(task.cluster),
        fallback=ctx.default_region,
    )
    return message(
        f"{environment_prefix(ctx.environment)}ECS task {status}: {subject}"
        + (f" ({task.stop_code})" if task.stop_code else ""),
        [
            header(f"{emoji} ECS task {status}: {subject}"),
            fields(
                [
                    ("Environment", ctx.environment),
                    ("Cluster", task.cluster_name),
                    ("Service", task.service_name or task.group),
                    ("Stop code", task.stop_code),
                    ("Task", task.task_id),
                    ("Region", region),
                ]
            ),
            labelled_section("Stopped reason", task.stopped_reason),
            section(_containers_text(task.containers)),
            section("  •  ".join(_console_links(task, region))),
            context([f"Stopped at {task.time}" if task.time else ""]),
        ],
    )


def _task_change(
    source: Mapping[str, Any], *, cluster: str, task_arn: str, last_status: str, region: str, time: str
) -> EcsTaskChange:
    """Reads the fields that both shapes name alike from source; the caller supplies the rest."""
    return EcsTaskChange(
        cluster=cluster,
        task_arn=task_arn,
        group=text_of(source, "group"),
        last_status=last_status,
        stop_code=text_of(source, "stopCode"),
        stopped_reason=text_of(source, "stoppedReason"),
        containers=[_container_exit(item) for item in mappings_in(source.get("containers"))][:MAX_CONTAINERS_SHOWN],
        region=region,
        time=time,
    )


def _containers_text(containers: list[ContainerExit]) -> str:
    if not containers:
        return ""
    return "*Containers*\n" + "\n".join(container.describe() for container in containers)


def _container_exit(container: Mapping[str, Any]) -> ContainerExit:
    return ContainerExit(
        name=text_of(container, "name"),
        exit_code=number_text(container.get("exitCode")),
        reason=text_of(container, "reason"),
    )


def _console_links(task: EcsTaskChange, region: str) -> list[str]:
    links = []
    if task.cluster_name and task.task_id:
        links.append(link(console_links.ecs_task(region, task.cluster_name, task.task_id), "Open the task"))
    if task.cluster_name and task.service_name:
        links.append(
            link(console_links.ecs_service(region, task.cluster_name, task.service_name), "Open the ECS service")
        )
    return links

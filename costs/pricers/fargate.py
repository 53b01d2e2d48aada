"""ECS services on Fargate: vCPU-hours and GB-hours from the task definition, by architecture and capacity provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from costs.model import Basis, Category, LineItem, NotPricedError, PricingContext, config_number
from costs.stack import Resource, single_block

FREE_EPHEMERAL_STORAGE_GB = 20
ON_DEMAND = "FARGATE"
SPOT = "FARGATE_SPOT"


@dataclass(frozen=True)
class TaskSize:
    vcpu: float
    memory_gb: float
    architecture: str
    extra_storage_gb: float


def price_ecs_service(service: Resource, context: PricingContext) -> list[LineItem]:
    if service.config.get("launch_type") in ("EC2", "EXTERNAL"):
        context.note(f"{service.address}: runs on EC2/external capacity, which is priced with its instances")
        return []
    task = _task_size(service, context)
    desired = config_number(service, "desired_count", 0, context) * service.instances
    split = tasks_by_provider(desired, _capacity_strategy(service, context))
    _note_autoscaling(service, context)
    lines: list[LineItem] = []
    for provider, tasks in split.items():
        if provider not in (ON_DEMAND, SPOT):
            context.note(f"{service.address}: {_tasks(tasks)} on capacity provider {provider} (EC2) not priced here")
            continue
        spot = provider == SPOT
        if spot and task.architecture == "ARM64":
            context.note(
                f"{service.address}: Fargate Spot runs only X86_64 tasks, so ARM64 tasks cannot be placed on "
                "FARGATE_SPOT; they are priced at the on-demand ARM64 rate"
            )
            spot = False
        lines += _fargate_lines(service, task, tasks, spot, context)
    if single_block(service.config.get("network_configuration")).get("assign_public_ip") is True and desired:
        lines.append(_task_public_ip(service, desired, context))
    return lines


def tasks_by_provider(desired: float, strategy: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """How ECS spreads ``desired`` tasks over a capacity provider strategy: each ``base`` first, the rest by weight.

    Fractions are kept: for an estimate, 1 task at weights 1:3 is a quarter on-demand and three quarters Spot.
    """
    if not strategy:
        return {ON_DEMAND: desired}
    split = {str(item.get("capacity_provider")): 0.0 for item in strategy}
    remaining = desired
    for item in strategy:
        base = min(float(item.get("base", 0) or 0), remaining)
        split[str(item.get("capacity_provider"))] += base
        remaining -= base
    total_weight = sum(float(item.get("weight", 0) or 0) for item in strategy)
    for item in strategy:
        weight = float(item.get("weight", 0) or 0)
        if total_weight > 0:
            split[str(item.get("capacity_provider"))] += remaining * weight / total_weight
    return {provider: tasks for provider, tasks in split.items() if tasks > 0}


def _capacity_strategy(service: Resource, context: PricingContext) -> list[Mapping[str, Any]]:
    """The service's own strategy, else (without a launch type) the cluster's default strategy."""
    own = service.config.get("capacity_provider_strategy")
    if own:
        return list(own) if isinstance(own, list) else [own]
    if service.config.get("launch_type"):
        return []
    cluster = context.stack.referenced(service.config.get("cluster"))
    if cluster is None:
        return []
    for providers in context.stack.of_type("aws_ecs_cluster_capacity_providers"):
        if context.stack.referenced(providers.config.get("cluster_name")) == cluster:
            default = providers.config.get("default_capacity_provider_strategy") or []
            return list(default) if isinstance(default, list) else [default]
    return []


def _task_size(service: Resource, context: PricingContext) -> TaskSize:
    task = context.stack.referenced(service.config.get("task_definition")) or _task_by_family(service, context)
    if task is None:
        raise NotPricedError(f"task definition {service.config.get('task_definition')!r} is not in this stack")
    platform = single_block(task.config.get("runtime_platform"))
    if str(platform.get("operating_system_family", "LINUX")).upper() != "LINUX":
        raise NotPricedError(f"{platform.get('operating_system_family')} Fargate tasks are not in the price table")
    try:
        cpu_units = float(task.config["cpu"])
        memory_mib = float(task.config["memory"])
    except (KeyError, TypeError, ValueError):
        raise NotPricedError(f"{task.address} has no task-level numeric cpu and memory") from None
    storage = float(single_block(task.config.get("ephemeral_storage")).get("size_in_gib", FREE_EPHEMERAL_STORAGE_GB))
    return TaskSize(
        vcpu=cpu_units / 1024,
        memory_gb=memory_mib / 1024,
        architecture=str(platform.get("cpu_architecture", "X86_64")).upper(),
        extra_storage_gb=max(0.0, storage - FREE_EPHEMERAL_STORAGE_GB),
    )


def _task_by_family(service: Resource, context: PricingContext) -> Resource | None:
    family = str(service.config.get("task_definition", "")).split(":")[0]
    return next(
        (task for task in context.stack.of_type("aws_ecs_task_definition") if task.config.get("family") == family), None
    )


def _fargate_lines(
    service: Resource, task: TaskSize, tasks: float, spot: bool, context: PricingContext
) -> list[LineItem]:
    arch_key = "linux_arm64" if task.architecture == "ARM64" else "linux_x86_64"
    rate = context.prices.factor("fargate.spot_fraction_of_on_demand") if spot else 1.0
    kind = "Spot" if spot else "on-demand"
    spot_label = f"Spot rate assumed {rate:.0%} of on-demand (best case)" if spot else ""
    task_hours = tasks * context.hours
    lines = [
        LineItem(
            service.address,
            f"Fargate Linux/{task.architecture} vCPU ({kind}, {_tasks(tasks)} x {task.vcpu:g} vCPU)",
            task_hours * task.vcpu,
            "vCPU-hours",
            context.prices.price(f"fargate.{arch_key}.vcpu_hour") * rate,
            Basis.FIXED,
            Category.FARGATE,
            assumption=spot_label,
        ),
        LineItem(
            service.address,
            f"Fargate Linux/{task.architecture} memory ({kind}, {_tasks(tasks)} x {task.memory_gb:g} GB)",
            task_hours * task.memory_gb,
            "GB-hours",
            context.prices.price(f"fargate.{arch_key}.gb_hour") * rate,
            Basis.FIXED,
            Category.FARGATE,
            assumption=spot_label,
        ),
    ]
    if task.extra_storage_gb:
        lines.append(
            LineItem(
                service.address,
                f"Fargate ephemeral storage above {FREE_EPHEMERAL_STORAGE_GB} GB",
                task_hours * task.extra_storage_gb,
                "GB-hours",
                context.prices.price("fargate.ephemeral_storage_gb_hour"),
                Basis.FIXED,
                Category.FARGATE,
            )
        )
    return lines


def _tasks(count: float) -> str:
    return f"{count:g} task" if count == 1 else f"{count:g} tasks"


def _task_public_ip(service: Resource, tasks: float, context: PricingContext) -> LineItem:
    return LineItem(
        service.address,
        "Public IPv4 address per task (assign_public_ip)",
        tasks * context.hours,
        "address-hours",
        context.prices.price("vpc.public_ipv4_hour"),
        Basis.FIXED,
        Category.FARGATE,
    )


def _note_autoscaling(service: Resource, context: PricingContext) -> None:
    name = service.config.get("name")
    for target in context.stack.of_type("aws_appautoscaling_target"):
        resource_id = str(target.config.get("resource_id", ""))
        if service.address in resource_id or (isinstance(name, str) and resource_id.endswith(f"/{name}")):
            context.note(
                f"{service.address}: auto scaling may run up to {target.config.get('max_capacity')} tasks; "
                "priced at desired_count"
            )

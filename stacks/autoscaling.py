"""HA mode's task count: target tracking on the service's average CPU and memory between a floor and a ceiling.

Only for ``locking_db = "redis"``: with BoltDB a second task cannot open the lock file, so config validation refuses
autoscaling there. The ECS service must ignore changes to ``desired_count`` once this owns it, or every apply resets
the count the policies chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct

SCALE_OUT_COOLDOWN_SECONDS = 60
# Long on purpose: scaling in stops a task, and a plan or apply running on it is cut off after the stop timeout.
SCALE_IN_COOLDOWN_SECONDS = 600


@dataclass(frozen=True)
class TrackedMetric:
    construct_id: str
    predefined_metric: str
    target_percent: int


class ServiceAutoscaling(Construct):
    """Exposes ``target`` and ``policies`` (one target-tracking policy per tracked metric)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        service_name: str,
        min_capacity: int,
        max_capacity: int,
        cpu_target: int = 60,
        memory_target: int | None = 75,
        scale_in_cooldown: int = SCALE_IN_COOLDOWN_SECONDS,
        scale_out_cooldown: int = SCALE_OUT_COOLDOWN_SECONDS,
    ) -> None:
        super().__init__(scope, construct_id)
        _check_capacity(min_capacity, max_capacity)
        metrics = [TrackedMetric("cpu", "ECSServiceAverageCPUUtilization", cpu_target)]
        if memory_target is not None:
            metrics.append(TrackedMetric("memory", "ECSServiceAverageMemoryUtilization", memory_target))
        for metric in metrics:
            if not 1 <= metric.target_percent <= 100:
                raise ValueError(f"{metric.construct_id} target must be 1-100 percent, got {metric.target_percent}")

        # Application Auto Scaling acts through its service-linked role for ECS, which it creates on first use.
        self.target = aws.appautoscaling_target.AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service_name}",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        self.policies = [
            self._policy(metric, f"{service_name}-{metric.construct_id}", scale_in_cooldown, scale_out_cooldown)
            for metric in metrics
        ]

    def _policy(self, metric: TrackedMetric, name: str, scale_in_cooldown: int, scale_out_cooldown: int) -> Any:
        policy_module = aws.appautoscaling_policy
        return policy_module.AppautoscalingPolicy(
            self,
            f"{metric.construct_id}-policy",
            name=name,
            policy_type="TargetTrackingScaling",
            service_namespace=self.target.service_namespace,
            scalable_dimension=self.target.scalable_dimension,
            resource_id=self.target.resource_id,
            target_tracking_scaling_policy_configuration=policy_module.AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=metric.target_percent,
                predefined_metric_specification=policy_module.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                    predefined_metric_type=metric.predefined_metric
                ),
                scale_in_cooldown=scale_in_cooldown,
                scale_out_cooldown=scale_out_cooldown,
            ),
        )


def _check_capacity(min_capacity: int, max_capacity: int) -> None:
    if min_capacity < 1:
        raise ValueError(f"min_capacity must be at least 1, got {min_capacity}")
    if max_capacity < min_capacity:
        raise ValueError(f"max_capacity ({max_capacity}) must be at least min_capacity ({min_capacity})")

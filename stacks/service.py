"""Atlantis itself: the ECS cluster, the task definition and the Fargate service behind the load balancer."""

from __future__ import annotations

import json
from typing import Any

from stacks.aws import aws
from stacks.config import AtlantisConfig
from stacks.framework import Construct
from stacks.secrets import GITHUB_TOKEN, INFRACOST_API_KEY, WEBHOOK_SECRET, AtlantisSecret
from stacks.storage import ATLANTIS_GID, ATLANTIS_HOME, ATLANTIS_UID

CONTAINER_NAME = "atlantis"
ATLANTIS_PORT = 4141
DATA_VOLUME = "atlantis-data"
STOP_TIMEOUT_SECONDS = 120  # lets a running plan/apply finish and BoltDB close cleanly on deploys
HEALTH_CHECK_GRACE_SECONDS = 180


class AtlantisLogGroup(Construct):
    """``/ecs/atlantis-<env>`` with retention; exposes ``log_group``, ``name`` and ``arn``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AtlantisConfig, kms_key_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        self.log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log-group",
            name=f"/ecs/atlantis-{config.environment}",
            retention_in_days=config.log_retention_days,
            kms_key_id=kms_key_arn,
        )
        self.name: str = self.log_group.name
        self.arn: str = self.log_group.arn


def atlantis_environment(config: AtlantisConfig, url: str, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The container's plain (non-secret) environment, sorted so the JSON is stable."""
    environment = {
        "ATLANTIS_ATLANTIS_URL": url,
        "ATLANTIS_PORT": str(ATLANTIS_PORT),
        "ATLANTIS_REPO_ALLOWLIST": ",".join(config.repo_allowlist),
        "ATLANTIS_GH_USER": config.git_username,
        "ATLANTIS_DATA_DIR": ATLANTIS_HOME,
        "ATLANTIS_DEFAULT_TF_VERSION": f"v{config.terraform_version}",
        "ATLANTIS_HIDE_PREV_PLAN_COMMENTS": "true",
        "ATLANTIS_ENABLE_DIFF_MARKDOWN_FORMAT": "true",
        # Atlantis writes ~/.git-credentials so private module sources on GitHub resolve with the same token.
        "ATLANTIS_WRITE_GIT_CREDS": "true",
        "ATLANTIS_LOG_LEVEL": "info",
        "TF_IN_AUTOMATION": "true",
        **(extra or {}),
    }
    return [{"name": key, "value": value} for key, value in sorted(environment.items())]


def atlantis_secrets(
    config: AtlantisConfig, secret: AtlantisSecret, extra: dict[str, str] | None = None
) -> list[dict[str, str]]:
    keys = {"ATLANTIS_GH_TOKEN": GITHUB_TOKEN, "ATLANTIS_GH_WEBHOOK_SECRET": WEBHOOK_SECRET, **(extra or {})}
    if config.enable_infracost:
        keys["INFRACOST_API_KEY"] = INFRACOST_API_KEY
    return [{"name": env, "valueFrom": secret.value_from(json_key)} for env, json_key in sorted(keys.items())]


class AtlantisService(Construct):
    """Exposes ``cluster``, ``task_definition`` and ``service``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AtlantisConfig,
        url: str,
        secret: AtlantisSecret,
        log_group: AtlantisLogGroup,
        execution_role_arn: str,
        task_role_arn: str,
        file_system_id: str,
        access_point_id: str,
        private_subnet_ids: list[str],
        security_group_id: str,
        target_group_arn: str,
        depends_on: list[Any],
        extra_environment: dict[str, str] | None = None,
        extra_secrets: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        self.cluster = aws.ecs_cluster.EcsCluster(
            self,
            "cluster",
            name=name,
            setting=[aws.ecs_cluster.EcsClusterSetting(name="containerInsights", value="enabled")],
        )
        aws.ecs_cluster_capacity_providers.EcsClusterCapacityProviders(
            self,
            "capacity-providers",
            cluster_name=self.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
        )
        container = {
            "name": CONTAINER_NAME,
            "image": config.atlantis_image,
            "essential": True,
            "user": f"{ATLANTIS_UID}:{ATLANTIS_GID}",
            "portMappings": [{"name": CONTAINER_NAME, "containerPort": ATLANTIS_PORT, "protocol": "tcp"}],
            "environment": atlantis_environment(config, url, extra_environment),
            "secrets": atlantis_secrets(config, secret, extra_secrets),
            "mountPoints": [{"sourceVolume": DATA_VOLUME, "containerPath": ATLANTIS_HOME, "readOnly": False}],
            "stopTimeout": STOP_TIMEOUT_SECONDS,
            "healthCheck": {
                "command": ["CMD-SHELL", f"curl -fsS http://localhost:{ATLANTIS_PORT}/healthz || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60,
            },
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": config.aws_region,
                    "awslogs-stream-prefix": CONTAINER_NAME,
                },
            },
        }
        self.task_definition = aws.ecs_task_definition.EcsTaskDefinition(
            self,
            "task-definition",
            family=name,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(config.task_cpu),
            memory=str(config.task_memory),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            runtime_platform=aws.ecs_task_definition.EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            container_definitions=json.dumps([container]),
            volume=[
                aws.ecs_task_definition.EcsTaskDefinitionVolume(
                    name=DATA_VOLUME,
                    efs_volume_configuration=aws.ecs_task_definition.EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                        file_system_id=file_system_id,
                        transit_encryption="ENABLED",
                        authorization_config=aws.ecs_task_definition.EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig(
                            access_point_id=access_point_id, iam="ENABLED"
                        ),
                    ),
                )
            ],
        )
        self.service = aws.ecs_service.EcsService(
            self,
            "service",
            name=f"{name}-service",
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=1,
            launch_type="FARGATE",
            platform_version="LATEST",
            # BoltDB on EFS admits one process: stop the old task before starting the new one.
            deployment_maximum_percent=100,
            deployment_minimum_healthy_percent=0,
            deployment_circuit_breaker=aws.ecs_service.EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            enable_execute_command=False,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            network_configuration=aws.ecs_service.EcsServiceNetworkConfiguration(
                subnets=private_subnet_ids, security_groups=[security_group_id], assign_public_ip=False
            ),
            load_balancer=[
                aws.ecs_service.EcsServiceLoadBalancer(
                    target_group_arn=target_group_arn, container_name=CONTAINER_NAME, container_port=ATLANTIS_PORT
                )
            ],
            depends_on=depends_on,
        )

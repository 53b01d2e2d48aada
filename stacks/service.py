"""Atlantis itself: the ECS cluster, the task definition and the Fargate service behind the load balancer."""

from __future__ import annotations

import json
from typing import Any

from stacks.config import AtlantisConfig
from stacks.machinery.aws import aws
from stacks.machinery.framework import Construct, TerraformResourceLifecycle
from stacks.naming import (
    ATLANTIS_DATA_DIR,
    ATLANTIS_HOME,
    GITHUB_APP_KEY,
    GITHUB_TOKEN,
    INFRACOST_API_KEY,
    WEB_PASSWORD,
    WEBHOOK_SECRET,
    cluster_name,
    log_group_name,
    service_name,
)
from stacks.secrets import AtlantisSecret
from stacks.storage import ATLANTIS_GID, ATLANTIS_UID

CONTAINER_NAME = "atlantis"
PREPARE_CONTAINER_NAME = "prepare-volumes"
ATLANTIS_PORT = 4141
DATA_VOLUME = "atlantis-data"
HOME_VOLUME = "home"
SCRATCH_VOLUME = "scratch"
TEMP_DIR = "/tmp"  # noqa: S108 - a volume of the task's own, not the host's /tmp
# Var files come from the clones (runatlantis/atlantis v0.47.1 server/events/working_dir.go:24). Relative paths
# inside the clone are always allowed (server/events/var_file_allowlist_checker.go:62-66); absolute ones only here.
VAR_FILE_ALLOWLIST = f"{ATLANTIS_DATA_DIR}/repos"
# Docker's default capability set (moby oci/caps/defaults.go), which a Fargate container starts with. Fargate lets a
# task add none but SYS_PTRACE, so a container that needs one default capability drops all the others by name.
DEFAULT_CAPABILITIES = (
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
)
STOP_TIMEOUT_SECONDS = 120  # lets a running plan/apply finish and BoltDB close cleanly on deploys
HEALTH_CHECK_GRACE_SECONDS = 180


class AtlantisLogGroup(Construct):
    """``/ecs/atlantis-<env>`` with retention; exposes ``log_group``, ``name`` and ``arn``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AtlantisConfig, kms_key_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        self.log_group = aws.cloudwatch_log_group.CloudwatchLogGroup(
            self,
            "log-group",
            name=log_group_name(config),
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
        "ATLANTIS_DATA_DIR": ATLANTIS_DATA_DIR,
        "ATLANTIS_VAR_FILE_ALLOWLIST": VAR_FILE_ALLOWLIST,
        # Set, not inherited from /etc/passwd: Atlantis writes ~/.git-credentials and ~/.gitconfig under it
        # (server/server.go:344-351); older images resolved uid 100 to /run/sshd or /nonexistent
        # (terraform-aws-modules/terraform-aws-atlantis #382, runatlantis/atlantis #4247).
        "HOME": ATLANTIS_HOME,
        # Terraform skips its update check and the ~/.terraform.d/checkpoint_* files (hashicorp/go-checkpoint).
        "CHECKPOINT_DISABLE": "1",
        "ATLANTIS_DEFAULT_TF_VERSION": f"v{config.terraform_version}",
        "ATLANTIS_HIDE_PREV_PLAN_COMMENTS": "true",
        "ATLANTIS_ENABLE_DIFF_MARKDOWN_FORMAT": "true",
        # Atlantis writes ~/.git-credentials so private module sources on GitHub resolve with the same token.
        "ATLANTIS_WRITE_GIT_CREDS": "true",
        "ATLANTIS_LOG_LEVEL": "info",
        "TF_IN_AUTOMATION": "true",
        **_identity_environment(config),
        **(extra or {}),
    }
    return [{"name": key, "value": value} for key, value in sorted(environment.items())]


def _identity_environment(config: AtlantisConfig) -> dict[str, str]:
    """How Atlantis authenticates to GitHub (user token or GitHub App) and how users authenticate to Atlantis."""
    environment = (
        {"ATLANTIS_GH_APP_ID": config.github_app_id}
        if config.github_app_id
        else {"ATLANTIS_GH_USER": config.git_username}
    )
    if config.auth_mode == "basic":  # with OIDC/Cognito the ALB authenticates before Atlantis sees the request
        environment.update(ATLANTIS_WEB_BASIC_AUTH="true", ATLANTIS_WEB_USERNAME=config.web_username)
    return environment


def atlantis_secrets(
    config: AtlantisConfig,
    secret: AtlantisSecret,
    extra: dict[str, str] | None = None,
    references: dict[str, str] | None = None,
) -> list[dict[str, str]]:
    """Environment variable -> JSON key of the secret (``extra``), or a full ``valueFrom`` (``references``) for
    other secrets; ECS resolves them at task start."""
    credential = (
        {"ATLANTIS_GH_APP_KEY": GITHUB_APP_KEY} if config.github_app_id else {"ATLANTIS_GH_TOKEN": GITHUB_TOKEN}
    )
    keys = {**credential, "ATLANTIS_GH_WEBHOOK_SECRET": WEBHOOK_SECRET, **(extra or {})}
    if config.auth_mode == "basic":
        keys["ATLANTIS_WEB_PASSWORD"] = WEB_PASSWORD
    if config.enable_infracost:
        keys["INFRACOST_API_KEY"] = INFRACOST_API_KEY
    value_from = {env: secret.value_from(json_key) for env, json_key in keys.items()} | (references or {})
    return [{"name": env, "valueFrom": value} for env, value in sorted(value_from.items())]


def _mount_points() -> list[dict[str, Any]]:
    """HOME and /tmp on the task's ephemeral storage, the data dir (EFS) below HOME; parents before children."""
    return [
        {"sourceVolume": HOME_VOLUME, "containerPath": ATLANTIS_HOME, "readOnly": False},
        {"sourceVolume": DATA_VOLUME, "containerPath": ATLANTIS_DATA_DIR, "readOnly": False},
        {"sourceVolume": SCRATCH_VOLUME, "containerPath": TEMP_DIR, "readOnly": False},
    ]


def _prepare_volumes_script() -> str:
    """Fargate creates a task volume as root:root 0755 and copies nothing from the image (aws/containers-roadmap
    #863, #938), so uid 100 could write neither /tmp nor HOME. chmod runs while root still owns HOME (FOWNER is
    dropped); the last step removes what the old layout, where this EFS volume was HOME, left in today's data dir."""
    return " && ".join(
        (
            f"chmod 1777 {TEMP_DIR}",
            f"chmod 0700 {ATLANTIS_HOME}",
            f"chown {ATLANTIS_UID}:{ATLANTIS_GID} {ATLANTIS_HOME}",
            f"rm -f {ATLANTIS_DATA_DIR}/.git-credentials {ATLANTIS_DATA_DIR}/.gitconfig",
        )
    )


def _prepare_volumes_container(config: AtlantisConfig, log_group: AtlantisLogGroup) -> dict[str, Any]:
    """Runs as root from the same image, with CHOWN as its only capability, before Atlantis starts (dependsOn
    SUCCESS), and exits. On EFS it acts as the access point's user whatever its own uid."""
    return {
        "name": PREPARE_CONTAINER_NAME,
        "image": config.atlantis_image,
        "essential": False,
        "user": "0:0",
        "entryPoint": ["/bin/sh", "-c"],
        "command": [_prepare_volumes_script()],
        "mountPoints": _mount_points(),
        # As for Atlantis: with ECS Exec, its agent is started in every container of the task.
        "readonlyRootFilesystem": not config.enable_ecs_exec,
        "privileged": False,
        "linuxParameters": {"capabilities": {"drop": [cap for cap in DEFAULT_CAPABILITIES if cap != "CHOWN"]}},
        "logConfiguration": _log_configuration(config, log_group, PREPARE_CONTAINER_NAME),
    }


def _log_configuration(config: AtlantisConfig, log_group: AtlantisLogGroup, prefix: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group.name,
            "awslogs-region": config.aws_region,
            "awslogs-stream-prefix": prefix,
        },
    }


def _deployment_percents(config: AtlantisConfig) -> dict[str, int]:
    if config.locking_db == "boltdb":
        # BoltDB on EFS admits one process: stop the old task before starting the new one.
        return {"deployment_maximum_percent": 100, "deployment_minimum_healthy_percent": 0}
    # Shared Redis locks: start the new tasks first, so deploys cause no downtime.
    return {"deployment_maximum_percent": 200, "deployment_minimum_healthy_percent": 100}


def _capacity(config: AtlantisConfig) -> dict[str, Any]:
    if not config.use_fargate_spot:
        return {"launch_type": "FARGATE"}
    # Spot tasks can be reclaimed with two minutes' notice; ECS starts a replacement (fine for dev).
    return {
        "capacity_provider_strategy": [
            aws.ecs_service.EcsServiceCapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1, base=0)
        ]
    }


def _exec_configuration(log_group: AtlantisLogGroup, kms_arn: str | None) -> Any:
    cluster = aws.ecs_cluster
    return cluster.EcsClusterConfiguration(
        execute_command_configuration=cluster.EcsClusterConfigurationExecuteCommandConfiguration(
            kms_key_id=kms_arn,
            logging="OVERRIDE",
            log_configuration=cluster.EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                cloud_watch_log_group_name=log_group.name, cloud_watch_encryption_enabled=kms_arn is not None
            ),
        )
    )


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
        exec_kms_arn: str | None = None,
        extra_environment: dict[str, str] | None = None,
        extra_secrets: dict[str, str] | None = None,
        secret_references: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        name = f"{config.environment}-atlantis"
        self.cluster = aws.ecs_cluster.EcsCluster(
            self,
            "cluster",
            name=cluster_name(config),
            setting=[
                aws.ecs_cluster.EcsClusterSetting(
                    name="containerInsights", value="enabled" if config.enable_container_insights else "disabled"
                )
            ],
            configuration=_exec_configuration(log_group, exec_kms_arn) if config.enable_ecs_exec else None,
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
            "dependsOn": [{"containerName": PREPARE_CONTAINER_NAME, "condition": "SUCCESS"}],
            "portMappings": [{"name": CONTAINER_NAME, "containerPort": ATLANTIS_PORT, "protocol": "tcp"}],
            "environment": atlantis_environment(config, url, extra_environment),
            "secrets": atlantis_secrets(config, secret, extra_secrets, secret_references),
            "mountPoints": _mount_points(),
            # Writable only where Atlantis writes: HOME, the data dir on EFS and /tmp. ECS Exec's agent needs a
            # writable root.
            "readonlyRootFilesystem": not config.enable_ecs_exec,
            "privileged": False,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "stopTimeout": STOP_TIMEOUT_SECONDS,
            # The image installs curl (runatlantis/atlantis v0.47.1 Dockerfile:215-224) and uses it the same way.
            "healthCheck": {
                "command": ["CMD-SHELL", f"curl -fsS http://localhost:{ATLANTIS_PORT}/healthz || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60,
            },
            "logConfiguration": _log_configuration(config, log_group, CONTAINER_NAME),
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
                operating_system_family="LINUX", cpu_architecture=config.task_architecture
            ),
            container_definitions=json.dumps([_prepare_volumes_container(config, log_group), container]),
            volume=[
                aws.ecs_task_definition.EcsTaskDefinitionVolume(name=SCRATCH_VOLUME),
                aws.ecs_task_definition.EcsTaskDefinitionVolume(name=HOME_VOLUME),
                aws.ecs_task_definition.EcsTaskDefinitionVolume(
                    name=DATA_VOLUME,
                    efs_volume_configuration=aws.ecs_task_definition.EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                        file_system_id=file_system_id,
                        transit_encryption="ENABLED",
                        authorization_config=aws.ecs_task_definition.EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig(
                            access_point_id=access_point_id, iam="ENABLED"
                        ),
                    ),
                ),
            ],
        )
        self.service = aws.ecs_service.EcsService(
            self,
            "service",
            name=service_name(config),
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=config.desired_count,
            **_capacity(config),
            platform_version="LATEST",
            **_deployment_percents(config),
            deployment_circuit_breaker=aws.ecs_service.EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS,
            enable_execute_command=config.enable_ecs_exec,
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
            # With autoscaling, the scaler owns the count; an apply must not reset it.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"])
            if config.autoscaling_max_count
            else None,
        )

"""Capacity and Atlantis modes: ARM64 by default, Spot for dev, HA with Redis, GitHub App, Infracost."""

from __future__ import annotations

from typing import Any

from tests.conftest import container_definition, only, resources


def environment_of(stack: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container_definition(stack)["environment"]}


def secrets_of(stack: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["valueFrom"] for item in container_definition(stack)["secrets"]}


def test_prod_runs_on_demand_arm64(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    platform = only(stack, "aws_ecs_task_definition")["runtime_platform"]
    assert platform == {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}
    service = only(stack, "aws_ecs_service")
    assert service["launch_type"] == "FARGATE" and "capacity_provider_strategy" not in service


def test_dev_runs_on_fargate_spot_with_x86(synthesized: dict[str, Any]) -> None:
    stack = synthesized["dev"]
    service = only(stack, "aws_ecs_service")
    assert "launch_type" not in service
    assert service["capacity_provider_strategy"] == [{"base": 0, "capacity_provider": "FARGATE_SPOT", "weight": 1}]
    assert only(stack, "aws_ecs_task_definition")["runtime_platform"]["cpu_architecture"] == "X86_64"
    providers = only(stack, "aws_ecs_cluster_capacity_providers")["capacity_providers"]
    assert "FARGATE_SPOT" in providers


def test_ha_mode_runs_several_tasks_on_shared_tls_redis(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_ha"]
    service = only(stack, "aws_ecs_service")
    assert service["desired_count"] == 2
    assert (service["deployment_maximum_percent"], service["deployment_minimum_healthy_percent"]) == (200, 100)
    assert service["lifecycle"]["ignore_changes"] == ["desired_count"]
    group = only(stack, "aws_elasticache_replication_group")
    assert group["transit_encryption_enabled"] is True and group["automatic_failover_enabled"] is True
    assert "jsondecode" in group["auth_token"] and "data.aws_secretsmanager_secret_version" in group["auth_token"]
    environment = environment_of(stack)
    assert environment["ATLANTIS_LOCKING_DB_TYPE"] == "redis"
    assert environment["ATLANTIS_REDIS_TLS_ENABLED"] == "true"
    assert "aws_elasticache_replication_group" in environment["ATLANTIS_REDIS_HOST"]
    password = secrets_of(stack)["ATLANTIS_REDIS_PASSWORD"]
    assert password.endswith(":redis_auth_token::")
    secrets = stack["data"]["aws_secretsmanager_secret"]
    assert {s["name"] for s in secrets.values()} == {"ha-atlantis-secrets", "ha-atlantis-secrets-redis"}
    # The token's own secret, not the main one, is what Terraform reads (and so keeps in state).
    [version] = stack["data"]["aws_secretsmanager_secret_version"].values()
    assert "redis-secret" in version["secret_id"]
    target = only(stack, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 4)
    assert only(stack, "aws_lb_target_group")["health_check"]["path"] == "/readyz"
    [running] = [
        a for a in resources(stack, "aws_cloudwatch_metric_alarm") if a["alarm_name"].endswith("running-tasks-low")
    ]
    assert running["threshold"] == 2, "the alarm follows desired_count"


def test_single_task_mode_keeps_boltdb_and_healthz(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod"]
    assert "ATLANTIS_LOCKING_DB_TYPE" not in environment_of(stack)
    assert resources(stack, "aws_elasticache_replication_group") == []
    assert resources(stack, "aws_appautoscaling_target") == []
    assert "lifecycle" not in only(stack, "aws_ecs_service")


def test_github_app_mode_replaces_the_user_token(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_minimal_keys"]
    environment, secrets = environment_of(stack), secrets_of(stack)
    assert environment["ATLANTIS_GH_APP_ID"] == "123456"
    assert secrets["ATLANTIS_GH_APP_KEY"].endswith(":github_app_key::")
    assert "ATLANTIS_GH_TOKEN" not in secrets and "ATLANTIS_GH_USER" not in environment
    assert "ATLANTIS_GH_TOKEN" in secrets_of(synthesized["prod"])


def test_infracost_mode_uses_the_custom_image_and_the_cost_workflow(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_full"]
    container = container_definition(stack)
    assert "atlantis-infracost" in container["image"]
    assert secrets_of(stack)["INFRACOST_API_KEY"].endswith(":infracost_api_key::")
    assert '"infracost"' in environment_of(stack)["ATLANTIS_REPO_CONFIG_JSON"]

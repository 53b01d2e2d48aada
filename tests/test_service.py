"""ECS: the cluster, the Fargate service (one task, stop-before-start deploys) and the Atlantis container."""

from __future__ import annotations

from typing import Any

from tests.conftest import container_definition, only, resources


def environment_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["environment"]}


def secrets_of(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["valueFrom"] for item in container["secrets"]}


def test_cluster_has_the_seed_name_and_container_insights(synthesized: dict[str, Any]) -> None:
    cluster = only(synthesized["prod"], "aws_ecs_cluster")
    assert cluster["name"] == "prod-atlantis"
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]
    assert only(synthesized["dev"], "aws_ecs_cluster")["name"] == "dev-atlantis"


def test_service_runs_one_private_task_and_never_two_at_once(synthesized: dict[str, Any]) -> None:
    service = only(synthesized["prod"], "aws_ecs_service")
    assert service["name"] == "prod-atlantis-service"
    assert service["desired_count"] == 1
    assert service["launch_type"] == "FARGATE"
    # BoltDB on EFS allows one process: a rolling deploy with two tasks would hang on the DB lock.
    assert (service["deployment_maximum_percent"], service["deployment_minimum_healthy_percent"]) == (100, 0)
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["health_check_grace_period_seconds"] >= 60
    network = service["network_configuration"]
    assert network["assign_public_ip"] is False
    assert all("aws_subnet.network_private" in subnet for subnet in network["subnets"])
    assert service["load_balancer"][0]["container_port"] == 4141
    assert service["enable_execute_command"] is False
    assert service["depends_on"], "the service waits for the listener that attaches its target group"


def test_task_definition_is_fargate_with_the_configured_size(synthesized: dict[str, Any]) -> None:
    task = only(synthesized["prod"], "aws_ecs_task_definition")
    assert task["family"] == "prod-atlantis"
    assert task["requires_compatibilities"] == ["FARGATE"] and task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("1024", "2048")
    assert "aws_iam_role.iam_execution-role" in task["execution_role_arn"]
    assert "aws_iam_role.iam_task-role" in task["task_role_arn"]
    volumes = {volume["name"]: volume for volume in task["volume"]}
    assert set(volumes) == {"atlantis-data", "home", "scratch"}
    assert "efs_volume_configuration" not in volumes["home"], "HOME (and ~/.git-credentials) is not kept on EFS"
    efs = volumes["atlantis-data"]["efs_volume_configuration"]
    assert efs["transit_encryption"] == "ENABLED"
    assert efs["authorization_config"]["iam"] == "ENABLED"
    assert "aws_efs_access_point" in efs["authorization_config"]["access_point_id"]


def test_container_runs_the_pinned_image_with_the_seed_settings(synthesized: dict[str, Any]) -> None:
    container = container_definition(synthesized["prod"])
    assert container["image"] == "ghcr.io/runatlantis/atlantis:v0.47.1"
    assert container["portMappings"][0]["containerPort"] == 4141
    assert container["stopTimeout"] >= 30
    environment = environment_of(container)
    assert environment["ATLANTIS_ATLANTIS_URL"].startswith("http://${aws_lb.")
    assert environment["ATLANTIS_ATLANTIS_URL"].endswith(".dns_name}")
    assert environment["ATLANTIS_REPO_ALLOWLIST"] == "github.com/mycompany/*"
    assert environment["ATLANTIS_GH_USER"] == "mycompany-atlantis"
    assert environment["ATLANTIS_DATA_DIR"] == "/home/atlantis/data"
    assert environment["HOME"] == "/home/atlantis"
    assert environment["CHECKPOINT_DISABLE"] == "1"
    assert environment["ATLANTIS_DEFAULT_TF_VERSION"] == "v1.14.9"
    assert {mount["containerPath"] for mount in container["mountPoints"]} >= {"/home/atlantis", "/home/atlantis/data"}
    logs = container["logConfiguration"]
    assert logs["logDriver"] == "awslogs"
    assert logs["options"]["awslogs-region"] == "ap-northeast-2"
    assert "aws_cloudwatch_log_group" in logs["options"]["awslogs-group"]


def test_url_uses_the_custom_domain_over_https_when_there_is_a_certificate(synthesized: dict[str, Any]) -> None:
    for name in ("prod_full", "prod_route53"):
        environment = environment_of(container_definition(synthesized[name]))
        assert environment["ATLANTIS_ATLANTIS_URL"] == "https://atlantis.example.com"


def test_tokens_come_from_the_secret_by_json_key(synthesized: dict[str, Any]) -> None:
    secrets = secrets_of(container_definition(synthesized["prod"]))
    assert secrets["ATLANTIS_GH_TOKEN"].endswith(":github_token::")
    assert secrets["ATLANTIS_GH_WEBHOOK_SECRET"].endswith(":webhook_secret::")
    assert all(value.startswith("${data.aws_secretsmanager_secret.") for value in secrets.values())
    environment = environment_of(container_definition(synthesized["prod"]))
    assert not {"ATLANTIS_GH_TOKEN", "ATLANTIS_GH_WEBHOOK_SECRET"} & set(environment)


def test_infracost_key_is_wired_only_when_enabled(synthesized: dict[str, Any]) -> None:
    assert "INFRACOST_API_KEY" not in secrets_of(container_definition(synthesized["prod"]))
    assert secrets_of(container_definition(synthesized["prod_full"]))["INFRACOST_API_KEY"].endswith(
        ":infracost_api_key::"
    )


def test_log_group_has_the_seed_name_and_retention(synthesized: dict[str, Any]) -> None:
    log_groups = {group["name"]: group for group in resources(synthesized["prod"], "aws_cloudwatch_log_group")}
    assert log_groups["/ecs/atlantis-prod"]["retention_in_days"] == 365
    assert "aws_kms_key" in log_groups["/ecs/atlantis-prod"]["kms_key_id"]

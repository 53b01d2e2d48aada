"""HA building blocks: the ElastiCache lock store Atlantis reaches over TLS, and target-tracking task autoscaling.

One small stack holds every case (a store with customer keys, one without, autoscaling with and without memory
tracking) and is synthesized once for the module.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.autoscaling import ServiceAutoscaling
from stacks.machinery.aws import aws

# Aliased so pytest does not try to collect cdktf's Testing class as a test class.
from stacks.machinery.framework import TerraformOutput, TerraformStack
from stacks.machinery.framework import Testing as CdktfTesting
from stacks.naming import REDIS_AUTH_TOKEN
from stacks.redis import AtlantisRedis, auth_token_from_secret
from tests.conftest import FAKE_ACCOUNT, resources

REGION = "ap-northeast-2"
VPC_ID = "vpc-0123456789abcdef0"
SUBNET_IDS = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{FAKE_ACCOUNT}:secret:prod-atlantis-secrets-AbCdEf"
DATA_KEY_ARN = f"arn:aws:kms:{REGION}:{FAKE_ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
LOGS_KEY_ARN = f"arn:aws:kms:{REGION}:{FAKE_ACCOUNT}:key/66666666-7777-8888-9999-000000000000"
TASK_GROUP = "${aws_security_group.task.id}"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = TerraformStack(CdktfTesting.app(), "ha-building-blocks")
    aws.provider.AwsProvider(stack, "aws", region=REGION)
    task = aws.security_group.SecurityGroup(
        stack, "task", name="prod-atlantis-task", description="Atlantis tasks", vpc_id=VPC_ID
    )
    token = auth_token_from_secret(stack, "redis-auth-token", secret_arn=SECRET_ARN)
    encrypted = AtlantisRedis(
        stack,
        "redis",
        name_prefix="prod-atlantis",
        vpc_id=VPC_ID,
        subnet_ids=SUBNET_IDS,
        client_security_group_id=task.id,
        auth_token=token,
        kms_key_arn=DATA_KEY_ARN,
        log_kms_key_arn=LOGS_KEY_ARN,
    )
    plain = AtlantisRedis(
        stack,
        "redis-plain",
        name_prefix="dev-atlantis",
        vpc_id=VPC_ID,
        subnet_ids=SUBNET_IDS,
        client_security_group_id=task.id,
        auth_token=token,
        node_type="cache.t4g.small",
    )
    ServiceAutoscaling(
        stack,
        "autoscaling",
        cluster_name="prod-atlantis",
        service_name="prod-atlantis-service",
        min_capacity=2,
        max_capacity=4,
    )
    ServiceAutoscaling(
        stack,
        "autoscaling-cpu-only",
        cluster_name="dev-atlantis",
        service_name="dev-atlantis-service",
        min_capacity=1,
        max_capacity=3,
        cpu_target=50,
        memory_target=None,
    )
    # Outputs carry the container settings through synthesis, so their tokens resolve to Terraform references.
    TerraformOutput(stack, "environment", value=encrypted.atlantis_environment())
    TerraformOutput(stack, "plain-environment", value=plain.atlantis_environment())
    return {"json": json.loads(CdktfTesting.synth(stack)), "secret_keys": AtlantisRedis.atlantis_secret_keys()}


@pytest.fixture(scope="module")
def stack(built: dict[str, Any]) -> dict[str, Any]:
    return dict(built["json"])


def named(stack: dict[str, Any], resource_type: str, key: str, value: str) -> dict[str, Any]:
    matches = [r for r in resources(stack, resource_type) if r.get(key) == value]
    assert len(matches) == 1, f"expected one {resource_type} with {key}={value}, found {len(matches)}"
    return matches[0]


def reference(stack: dict[str, Any], resource_type: str, key: str, value: str, attribute: str = "id") -> str:
    for logical_id, body in stack["resource"][resource_type].items():
        if body.get(key) == value:
            return f"${{{resource_type}.{logical_id}.{attribute}}}"
    raise AssertionError(f"no {resource_type} with {key}={value}")


def test_lock_store_is_a_multi_az_pair_that_fails_over(stack: dict[str, Any]) -> None:
    group = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    assert (group["engine"], group["engine_version"]) == ("valkey", "8.0")
    assert group["num_cache_clusters"] == 2
    assert group["automatic_failover_enabled"] is True
    assert group["multi_az_enabled"] is True
    assert group["node_type"] == "cache.t4g.micro"
    assert group["port"] == 6379
    assert group["subnet_group_name"] == reference(
        stack, "aws_elasticache_subnet_group", "name", "prod-atlantis-locks", "name"
    )
    assert named(stack, "aws_elasticache_subnet_group", "name", "prod-atlantis-locks")["subnet_ids"] == SUBNET_IDS


def test_traffic_is_tls_with_the_auth_token_read_from_the_secret(stack: dict[str, Any]) -> None:
    group = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    assert group["transit_encryption_enabled"] is True
    (version_id,) = stack["data"]["aws_secretsmanager_secret_version"]
    version = stack["data"]["aws_secretsmanager_secret_version"][version_id]
    assert version["secret_id"] == SECRET_ARN
    # The token is an expression Terraform resolves at plan time; no value is written into the JSON.
    secret_string = f"data.aws_secretsmanager_secret_version.{version_id}.secret_string"
    assert group["auth_token"] == f"${{jsondecode({secret_string}).{REDIS_AUTH_TOKEN}}}"


def test_data_at_rest_uses_the_customer_key_when_one_is_given(stack: dict[str, Any]) -> None:
    encrypted = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    plain = named(stack, "aws_elasticache_replication_group", "replication_group_id", "dev-atlantis-locks")
    assert encrypted["at_rest_encryption_enabled"] == "true"
    assert encrypted["kms_key_id"] == DATA_KEY_ARN
    assert plain["at_rest_encryption_enabled"] == "true", "AWS-owned key encryption even without a customer key"
    assert "kms_key_id" not in plain
    assert plain["node_type"] == "cache.t4g.small"


def test_only_the_atlantis_tasks_reach_port_6379(stack: dict[str, Any]) -> None:
    store = reference(stack, "aws_security_group", "name", "prod-atlantis-locks")
    store_rules = [
        rule
        for rule_type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
        for rule in resources(stack, rule_type)
        if store in (rule["security_group_id"], rule.get("referenced_security_group_id"))
    ]
    opened = {
        (rule["security_group_id"], rule["from_port"], rule["to_port"], rule["referenced_security_group_id"])
        for rule in store_rules
    }
    assert opened == {(store, 6379, 6379, TASK_GROUP), (TASK_GROUP, 6379, 6379, store)}
    assert all(rule["description"] and "cidr_ipv4" not in rule for rule in store_rules)
    group = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    assert group["security_group_ids"] == [store]
    assert "egress" not in named(stack, "aws_security_group", "name", "prod-atlantis-locks")


def test_locks_are_never_evicted_and_changes_wait_for_the_window(stack: dict[str, Any]) -> None:
    parameters = named(stack, "aws_elasticache_parameter_group", "name", "prod-atlantis-locks")
    assert parameters["family"] == "valkey8"
    assert parameters["parameter"] == [{"name": "maxmemory-policy", "value": "noeviction"}]
    group = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    assert group["parameter_group_name"] == reference(
        stack, "aws_elasticache_parameter_group", "name", "prod-atlantis-locks", "name"
    )
    assert group["apply_immediately"] is False
    assert group["snapshot_retention_limit"] == 7
    assert group["snapshot_window"] == "17:00-18:00"
    assert group["maintenance_window"] == "sun:18:30-sun:19:30"


def test_slow_and_engine_logs_go_to_retained_log_groups(stack: dict[str, Any]) -> None:
    group = named(stack, "aws_elasticache_replication_group", "replication_group_id", "prod-atlantis-locks")
    deliveries = {d["log_type"]: d for d in group["log_delivery_configuration"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    for log_type, delivery in deliveries.items():
        name = f"/elasticache/prod-atlantis-locks/{log_type}"
        assert (delivery["destination_type"], delivery["log_format"]) == ("cloudwatch-logs", "json")
        assert delivery["destination"] == reference(stack, "aws_cloudwatch_log_group", "name", name, "name")
        log_group = named(stack, "aws_cloudwatch_log_group", "name", name)
        assert log_group["retention_in_days"] == 30
        assert log_group["kms_key_id"] == LOGS_KEY_ARN


def test_atlantis_environment_switches_to_verified_tls_redis(built: dict[str, Any], stack: dict[str, Any]) -> None:
    environment = dict(stack["output"]["environment"]["value"])
    # The primary endpoint keeps its name through a failover, so tasks follow the promoted replica.
    assert environment.pop("ATLANTIS_REDIS_HOST") == reference(
        stack,
        "aws_elasticache_replication_group",
        "replication_group_id",
        "prod-atlantis-locks",
        "primary_endpoint_address",
    )
    assert environment == {
        "ATLANTIS_LOCKING_DB_TYPE": "redis",
        "ATLANTIS_REDIS_PORT": "6379",
        "ATLANTIS_REDIS_DB": "0",
        "ATLANTIS_REDIS_TLS_ENABLED": "true",
        "ATLANTIS_REDIS_INSECURE_SKIP_VERIFY": "false",
    }
    assert stack["output"]["plain-environment"]["value"]["ATLANTIS_REDIS_HOST"] == reference(
        stack,
        "aws_elasticache_replication_group",
        "replication_group_id",
        "dev-atlantis-locks",
        "primary_endpoint_address",
    )
    assert built["secret_keys"] == {"ATLANTIS_REDIS_PASSWORD": "redis_auth_token"}


def test_autoscaling_tracks_cpu_and_memory_between_floor_and_ceiling(stack: dict[str, Any]) -> None:
    target = named(stack, "aws_appautoscaling_target", "resource_id", "service/prod-atlantis/prod-atlantis-service")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 4)
    assert (target["service_namespace"], target["scalable_dimension"]) == ("ecs", "ecs:service:DesiredCount")
    target_ref = reference(stack, "aws_appautoscaling_target", "resource_id", target["resource_id"], "resource_id")
    policies = {
        p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]: p
        for p in resources(stack, "aws_appautoscaling_policy")
        if p["resource_id"] == target_ref
    }
    assert set(policies) == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}
    cpu = policies["ECSServiceAverageCPUUtilization"]
    assert cpu["policy_type"] == "TargetTrackingScaling"
    assert cpu["name"] == "prod-atlantis-service-cpu"
    tracking = cpu["target_tracking_scaling_policy_configuration"]
    assert tracking["target_value"] == 60
    # Out fast, in slowly: a scale-in stops a task that may be in the middle of an apply.
    assert (tracking["scale_out_cooldown"], tracking["scale_in_cooldown"]) == (60, 600)
    memory = policies["ECSServiceAverageMemoryUtilization"]["target_tracking_scaling_policy_configuration"]
    assert memory["target_value"] == 75


def test_memory_tracking_can_be_left_out(stack: dict[str, Any]) -> None:
    target = named(stack, "aws_appautoscaling_target", "resource_id", "service/dev-atlantis/dev-atlantis-service")
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    target_ref = reference(stack, "aws_appautoscaling_target", "resource_id", target["resource_id"], "resource_id")
    (policy,) = [p for p in resources(stack, "aws_appautoscaling_policy") if p["resource_id"] == target_ref]
    tracking = policy["target_tracking_scaling_policy_configuration"]
    assert tracking["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    assert tracking["target_value"] == 50


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"min_capacity": 0, "max_capacity": 2}, "min_capacity must be at least 1"),
        ({"min_capacity": 3, "max_capacity": 2}, "max_capacity (2) must be at least min_capacity (3)"),
        ({"min_capacity": 1, "max_capacity": 2, "cpu_target": 0}, "cpu target must be 1-100 percent"),
        ({"min_capacity": 1, "max_capacity": 2, "memory_target": 101}, "memory target must be 1-100 percent"),
    ],
)
def test_impossible_capacity_or_targets_are_refused(arguments: dict[str, int], message: str) -> None:
    stack = TerraformStack(CdktfTesting.app(), "refused")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ServiceAutoscaling(stack, "autoscaling", cluster_name="c", service_name="s", **arguments)

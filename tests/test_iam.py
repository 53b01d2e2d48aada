"""IAM: the execution role reads only this stack's secret and writes only its log group; the task role is scoped."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import only, resources


def policies(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {policy["name"]: json.loads(policy["policy"]) for policy in resources(stack, "aws_iam_role_policy")}


def roles(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {role["name"]: role for role in resources(stack, "aws_iam_role")}


def test_both_roles_trust_only_ecs_tasks_of_this_account(synthesized: dict[str, Any]) -> None:
    found = roles(synthesized["prod"])
    assert set(found) >= {"prod-atlantis-execution", "prod-atlantis-task"}
    for name in ("prod-atlantis-execution", "prod-atlantis-task"):
        [statement] = json.loads(found[name]["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert "data.aws_caller_identity" in statement["Condition"]["StringEquals"]["aws:SourceAccount"]


def test_execution_role_reads_exactly_the_stack_secret(synthesized: dict[str, Any]) -> None:
    statements = {s["Sid"]: s for s in policies(synthesized["prod"])["start-atlantis-task"]["Statement"]}
    assert set(statements) == {"WriteTaskLogs", "ReadAtlantisSecret"}
    read = statements["ReadAtlantisSecret"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == "${data.aws_secretsmanager_secret.secret_D2F9FB97.arn}"
    assert "aws_cloudwatch_log_group" in statements["WriteTaskLogs"]["Resource"]
    assert resources(synthesized["prod"], "aws_iam_role_policy_attachment") == []


def test_secret_is_looked_up_by_its_configured_name(synthesized: dict[str, Any]) -> None:
    [secret] = synthesized["prod"]["data"]["aws_secretsmanager_secret"].values()
    assert secret["name"] == "prod-atlantis-secrets"


def test_task_role_gets_efs_and_the_configured_grants(synthesized: dict[str, Any]) -> None:
    stack = synthesized["prod_full"]
    found = policies(stack)
    [mount] = found["mount-atlantis-data"]["Statement"]
    assert mount["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    [assume] = found["assume-target-roles"]["Statement"]
    assert assume["Resource"] == ["arn:aws:iam::123456789012:role/terraform-apply"]
    assert only(stack, "aws_iam_role_policy_attachment")["policy_arn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert "assume-target-roles" not in policies(synthesized["prod"])


def test_no_policy_grants_a_wildcard_action(synthesized: dict[str, Any]) -> None:
    for name in ("prod", "dev", "prod_full"):
        for policy in policies(synthesized[name]).values():
            for statement in policy["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(action == "*" or action.endswith(":*") for action in actions), statement

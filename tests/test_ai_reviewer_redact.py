"""Redaction: Terraform sensitivity masks (nested and list-shaped) and secrets Terraform never marked."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from ai_reviewer.detectors import SECRET_PLACEHOLDER, SecretScanner
from ai_reviewer.redact import SENSITIVE_PLACEHOLDER, redact_plan

FIXTURES = Path(__file__).parent / "fixtures" / "plans"
SENSITIVE_MARKER = "tf-sensitive-"
# Planted secrets that only make sense under a secret-like key (entropy rule), not inside free text.
KEYED_SECRETS = {"keyed_api_token", "keyed_short_password", "nested_secret_map_value"}


def planted_secrets() -> dict[str, str]:
    recipes = json.loads((FIXTURES / "planted_secrets.json").read_text())
    return {
        name: "".join(part if isinstance(part, str) else part[0] * part[1] for part in parts)
        for name, parts in recipes.items()
        if not name.startswith("_")
    }


def load_plan(name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The fixture plan with each {{planted:NAME}} replaced by its assembled fake secret."""
    secrets = planted_secrets()
    text = (FIXTURES / name).read_text()
    text = re.sub(r"\{\{planted:(\w+)\}\}", lambda match: json.dumps(secrets[match[1]])[1:-1], text)
    return json.loads(text), secrets


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, child in value.items() for text in [key, *strings_in(child)]]
    if isinstance(value, list):
        return [text for child in value for text in strings_in(child)]
    return []


@pytest.fixture(scope="module")
def fixture_plan() -> tuple[dict[str, Any], dict[str, str]]:
    return load_plan("sensitive_and_secrets.json")


@pytest.fixture(scope="module")
def redacted(fixture_plan: tuple[dict[str, Any], dict[str, str]]) -> dict[str, Any]:
    return redact_plan(fixture_plan[0]).plan


def _resource(plan: dict[str, Any], address: str, section: str = "resource_changes") -> dict[str, Any]:
    return next(item for item in plan[section] if item["address"] == address)


def test_no_sensitive_value_or_planted_secret_survives(
    fixture_plan: tuple[dict[str, Any], dict[str, str]], redacted: dict[str, Any]
) -> None:
    plan, secrets = fixture_plan
    sensitive = {text for text in strings_in(plan) if text.startswith(SENSITIVE_MARKER)}
    assert len(sensitive) >= 10 and len(secrets) >= 25  # the fixture really plants them
    text = json.dumps(redacted)
    leaked = [value for value in [*sensitive, *secrets.values()] if value in text]
    assert leaked == []
    assert SENSITIVE_MARKER not in text


def test_nested_and_list_shaped_masks_hide_exactly_the_marked_parts(redacted: dict[str, Any]) -> None:
    after = _resource(redacted, "aws_db_instance.orders")["change"]["after"]

    assert after["password"] == SENSITIVE_PLACEHOLDER
    assert after["connection_info"] == {"host": "db.internal", "credentials": SENSITIVE_PLACEHOLDER}
    assert after["ingress_rules"] == [
        {"cidr": "10.0.0.0/16", "auth_key": SENSITIVE_PLACEHOLDER},
        {"cidr": "10.1.0.0/16", "auth_key": SENSITIVE_PLACEHOLDER},
    ]
    assert after["replica_keys"] == ["public-replica-id", SENSITIVE_PLACEHOLDER]
    assert after["instance_class"] == "db.t3.large"


def test_true_mask_hides_the_whole_value(redacted: dict[str, Any]) -> None:
    assert _resource(redacted, "aws_ssm_parameter.whole")["change"]["after"] == SENSITIVE_PLACEHOLDER


def test_masks_apply_in_drift_planned_values_and_prior_state(redacted: dict[str, Any]) -> None:
    drift = _resource(redacted, "aws_db_instance.orders", "resource_drift")["change"]
    planned = redacted["planned_values"]["root_module"]
    prior = redacted["prior_state"]["values"]["root_module"]["resources"][0]["values"]

    assert drift["before"]["password"] == drift["after"]["password"] == SENSITIVE_PLACEHOLDER
    assert planned["resources"][0]["values"]["connection_info"]["credentials"] == SENSITIVE_PLACEHOLDER
    assert planned["child_modules"][0]["resources"][0]["values"]["passwords"] == SENSITIVE_PLACEHOLDER
    assert prior["ingress_rules"][1]["auth_key"] == SENSITIVE_PLACEHOLDER


def test_sensitive_outputs_are_hidden_everywhere(redacted: dict[str, Any]) -> None:
    change = redacted["output_changes"]["db_password"]

    assert change["before"] == change["after"] == SENSITIVE_PLACEHOLDER
    assert redacted["planned_values"]["outputs"]["db_password"]["value"] == SENSITIVE_PLACEHOLDER
    assert redacted["prior_state"]["values"]["outputs"]["db_password"]["value"] == SENSITIVE_PLACEHOLDER
    assert redacted["planned_values"]["outputs"]["endpoint"]["value"] == "db.internal:5432"


def test_inputs_and_configuration_literals_are_dropped(redacted: dict[str, Any]) -> None:
    configuration = redacted["configuration"]
    root = configuration["root_module"]

    assert "variables" not in redacted
    assert root["variables"]["db_password"] == {"sensitive": True, "description": "Master password"}
    assert root["module_calls"]["cache"]["module"]["variables"]["auth_token"] == {}
    assert "constant_value" not in json.dumps(configuration)
    assert root["resources"][0]["expressions"]["password"] == {"references": ["var.db_password"]}


def test_secret_spans_are_replaced_and_context_stays_readable(redacted: dict[str, Any]) -> None:
    variables = _resource(redacted, "aws_lambda_function.api")["change"]["after"]["environment"][0]["variables"]
    user_data = _resource(redacted, "aws_instance.bastion")["change"]["after"]["user_data"]
    definitions = json.loads(
        _resource(redacted, "aws_ecs_task_definition.worker")["change"]["after"]["container_definitions"]
    )

    assert variables["DATABASE_URL"] == f"postgres://app:{SECRET_PLACEHOLDER}@db.internal:5432/orders"
    assert variables["MSSQL"] == f"Server=sql.internal;Database=app;User Id=sa;Password={SECRET_PLACEHOLDER};"
    assert variables["HEADERS"] == f"Authorization: Bearer {SECRET_PLACEHOLDER}"
    assert f"export API_TOKEN={SECRET_PLACEHOLDER}" in user_data
    assert f"password: {SECRET_PLACEHOLDER}" in user_data
    assert "cat > /root/.ssh/id_rsa" in user_data
    assert definitions[0]["environment"] == [
        {"name": "DB_PASSWORD", "value": SECRET_PLACEHOLDER},
        {"name": "LOG_LEVEL", "value": "info"},
    ]


def test_values_a_security_review_needs_are_not_redacted(redacted: dict[str, Any]) -> None:
    text = json.dumps(redacted)

    for needed in (
        "0.0.0.0/0",
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod-db-AbCdEf",
        "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:api-key-AbCdEf",
        "AROAEXAMPLEROLEID123",
        "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/worker:1.2.3",
        "git::https://github.com/example/terraform-cache.git?ref=v1.0.0",
    ):
        assert needed in text, needed
    settings = _resource(redacted, "aws_ssm_parameter.app_config")["change"]["after"]["settings"]
    assert settings["password_policy"] == "strict"


def test_keyed_secrets_are_found_by_key_and_entropy(redacted: dict[str, Any]) -> None:
    after = _resource(redacted, "aws_ssm_parameter.app_config")["change"]["after"]

    assert after["settings"]["api_token"] == SECRET_PLACEHOLDER
    assert after["settings"]["secrets"] == {"primary": SECRET_PLACEHOLDER}
    lambda_variables = _resource(redacted, "aws_lambda_function.api")["change"]["after"]["environment"][0]["variables"]
    assert lambda_variables["DB_PASSWORD"] == SECRET_PLACEHOLDER


def test_changed_sensitive_attributes_are_named_not_shown(redacted: dict[str, Any]) -> None:
    change = _resource(redacted, "aws_db_instance.orders")["change"]

    assert change["sensitive_attributes_changed"] == ["password"]


@pytest.mark.parametrize("name", sorted(set(planted_secrets()) - KEYED_SECRETS))
def test_each_planted_format_is_detected_inside_free_text(name: str) -> None:
    secret = planted_secrets()[name]
    contexts = {
        "url_password": f"mysql://admin:{secret}@db:3306/x",
        "connection_string_password": f"Host=db;Pwd={secret};",
        "container_env_password": f'{{"name":"SERVICE_SECRET","value":"{secret}"}}',
        "shell_export_token": f"export GITHUB_TOKEN={secret}",
        "yaml_password": f"auth:\n  password: {secret}\n",
        "bearer_token": f"curl -H 'Authorization: Bearer {secret}' https://api",
        "aws_secret_access_key": f'aws_secret_access_key = "{secret}"',
        "slack_webhook_path": f"https://hooks.slack.com/services/{secret}",
    }
    text = contexts.get(name, f"config value {secret} end")

    cleaned, found = SecretScanner().scan(text)

    assert secret not in cleaned
    assert found >= 1


@pytest.mark.parametrize("name", sorted(KEYED_SECRETS))
def test_each_keyed_secret_is_detected_under_a_secret_like_key(name: str) -> None:
    secret = planted_secrets()[name]

    assert SecretScanner().scan(secret, under_secret_key=True) == (SECRET_PLACEHOLDER, 1)
    assert SecretScanner().scan(secret, under_secret_key=False)[0] == secret


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:iam::123456789012:role/service-role/app",
        "secretsmanager:GetSecretValue",
        "token_type: bearer",
        "password: ${DB_PASSWORD}",
        "task-sk-processing-cluster-name",
        "subnet-0123456789abcdef0",
        '{"SecretName":"prod-db"}',
        "my-application-logs-bucket-2024",
    ],
)
def test_ordinary_values_are_left_alone(text: str) -> None:
    assert SecretScanner().scan(text) == (text, 0)


def test_counts_distinguish_terraform_masks_from_detection() -> None:
    github_token = "ghp_" + "Ab1" * 12
    plan = {
        "resource_changes": [
            {
                "address": "aws_db_instance.a",
                "change": {
                    "actions": ["update"],
                    "before": {"password": "one", "notes": f"token {github_token}"},
                    "after": {"password": "two", "notes": "none", "list": ["x", "y"]},
                    "before_sensitive": {"password": True},
                    "after_sensitive": {"password": True, "list": [False, True]},
                },
            }
        ]
    }

    stats = redact_plan(plan).stats

    assert (stats.sensitive, stats.detected, stats.total) == (3, 1, 4)


def test_mask_with_unexpected_shape_hides_the_value() -> None:
    plan = {
        "resource_changes": [
            {
                "address": "x.y",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": {"settings": {"a": "visible-or-not"}, "plain": "kept"},
                    "after_sensitive": {"settings": [True]},
                },
            }
        ]
    }

    after = redact_plan(plan).plan["resource_changes"][0]["change"]["after"]

    assert after == {"settings": SENSITIVE_PLACEHOLDER, "plain": "kept"}


def test_unknown_sections_are_dropped_and_input_is_not_modified(
    fixture_plan: tuple[dict[str, Any], dict[str, str]],
) -> None:
    plan = copy.deepcopy(fixture_plan[0])
    plan["future_section"] = {"value": "tf-sensitive-unknown-section"}
    original = copy.deepcopy(plan)

    redacted = redact_plan(plan).plan

    assert "future_section" not in redacted
    assert plan == original

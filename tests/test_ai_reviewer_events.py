"""Event parsing, pull request resolution, settings and the secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from ai_reviewer.events import MalformedEventError, PlanObject, parse_plan_object, pull_request_of
from ai_reviewer.settings import ConfigError, Settings, load_secrets
from moto import mock_aws

KEY = "acme/infra/7/prod-0123456789abcdef.json"


def _event(**object_fields: Any) -> str:
    return json.dumps(
        {
            "source": "aws.s3",
            "detail-type": "Object Created",
            "detail": {"bucket": {"name": "plans"}, "object": {"key": KEY, **object_fields}},
        }
    )


def test_reads_bucket_key_version_and_size() -> None:
    assert parse_plan_object(_event(**{"version-id": "v1", "size": 42})) == PlanObject("plans", KEY, "v1", 42)
    assert parse_plan_object(_event()) == PlanObject("plans", KEY, None, None)
    assert parse_plan_object(_event(size=True)).size is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not json",
        "[]",
        json.dumps({"source": "aws.ec2", "detail-type": "Object Created", "detail": {}}),
        json.dumps({"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {"name": "b"}}}),
        json.dumps({"source": "aws.s3", "detail-type": "Object Created", "detail": "flat"}),
    ],
)
def test_malformed_events_are_rejected(body: Any) -> None:
    with pytest.raises(MalformedEventError):
        parse_plan_object(body)


def test_metadata_wins_over_the_key_and_the_key_is_the_fallback() -> None:
    from_metadata = pull_request_of(
        KEY, {"repo": "other/repo", "pull": "9", "commit": "fedcba9876543210", "project": "prod network"}
    )
    from_key = pull_request_of(KEY, {})

    assert (from_metadata.repo, from_metadata.number, from_metadata.project) == ("other/repo", 9, "prod network")
    assert (from_key.repo, from_key.number, from_key.project, from_key.commit) == (
        "acme/infra",
        7,
        "prod",
        "0123456789abcdef",
    )


@pytest.mark.parametrize(
    "metadata",
    [
        {"repo": "../etc"},
        {"repo": "acme/.."},
        {"repo": "acme/infra/extra"},
        {"pull": "0"},
        {"pull": "7; DROP"},
        {"commit": "not-hex!"},
        {"project": "line\nbreak"},
    ],
)
def test_invalid_pull_request_fields_are_rejected(metadata: dict[str, str]) -> None:
    with pytest.raises(MalformedEventError):
        pull_request_of(KEY, metadata)


def test_key_outside_the_layout_without_metadata_is_rejected() -> None:
    with pytest.raises(MalformedEventError):
        pull_request_of("random/file.json", {})


def test_settings_defaults() -> None:
    settings = Settings.from_env({"SECRET_ARN": "arn:secret", "GITHUB_API_URL": "https://ghe.example/api/v3/"})

    assert settings.ai_provider == "openai"
    assert settings.ai_model == "gpt-4o-mini"
    assert settings.max_input_tokens == 60000
    assert settings.github_api_url == "https://ghe.example/api/v3"
    assert Settings.from_env({}).github_api_url == "https://api.github.com"
    assert Settings.from_env({}).openai_base_url is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"AI_PROVIDER": "anthropic"}, "AI_PROVIDER"),
        ({"AI_PROVIDER": "bedrock"}, "AI_MODEL"),
        ({"MAX_INPUT_TOKENS": "lots"}, "MAX_INPUT_TOKENS"),
        ({"MAX_INPUT_TOKENS": "100"}, "MAX_INPUT_TOKENS"),
        ({"MODEL_TIMEOUT_SECONDS": "0"}, "MODEL_TIMEOUT_SECONDS"),
        ({"MODEL_MAX_ATTEMPTS": "0"}, "MODEL_MAX_ATTEMPTS"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
    ],
)
def test_invalid_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_secret_is_parsed_and_never_printed(secretsmanager: Any) -> None:
    token = "ghp_" + "s" * 36
    arn = secretsmanager.create_secret(
        Name="s",
        SecretString=json.dumps({"github_token": token, "openai_api_key": "", "slack_webhook_url": "https://x"}),
    )["ARN"]

    secrets = load_secrets(secretsmanager, arn)

    assert secrets.github_token == token
    assert secrets.openai_api_key is None
    assert secrets.slack_webhook_url == "https://x"
    assert token not in repr(secrets) and token not in str(secrets)


@pytest.mark.parametrize("secret_string", ["not json", json.dumps(["x"]), json.dumps({"openai_api_key": "k"})])
def test_unusable_secret_is_a_config_error(secretsmanager: Any, secret_string: str) -> None:
    arn = secretsmanager.create_secret(Name="s", SecretString=secret_string)["ARN"]

    with pytest.raises(ConfigError):
        load_secrets(secretsmanager, arn)
    with pytest.raises(ConfigError, match="SECRET_ARN"):
        load_secrets(secretsmanager, "")

"""Configuration from the Lambda environment, and the Secrets Manager secret."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ai_reviewer.retry import RetryPolicy

PROVIDERS = ("openai", "bedrock")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_MAX_INPUT_TOKENS = 60000
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Below this the instructions and the change counts alone would not fit.
MIN_MAX_INPUT_TOKENS = 4000


class ConfigError(Exception):
    """The environment or the secret is unusable; the message names what to fix."""


@dataclass(frozen=True)
class Settings:
    ai_provider: str
    ai_model: str
    secret_arn: str
    max_input_tokens: int
    max_output_tokens: int
    github_api_url: str
    openai_base_url: str | None
    model_timeout_seconds: float
    model_retry: RetryPolicy
    max_plan_bytes: int
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        provider = env.get("AI_PROVIDER", "openai").strip().lower()
        if provider not in PROVIDERS:
            raise ConfigError(f"AI_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider!r}")
        model = env.get("AI_MODEL", "").strip()
        if not model:
            if provider != "openai":
                raise ConfigError("AI_MODEL must name a Bedrock model or inference profile id")
            model = DEFAULT_OPENAI_MODEL
        return cls(
            ai_provider=provider,
            ai_model=model,
            secret_arn=env.get("SECRET_ARN", "").strip(),
            max_input_tokens=_integer(env, "MAX_INPUT_TOKENS", DEFAULT_MAX_INPUT_TOKENS, MIN_MAX_INPUT_TOKENS),
            max_output_tokens=_integer(env, "MAX_OUTPUT_TOKENS", 2000, 256),
            github_api_url=(env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/"),
            openai_base_url=env.get("OPENAI_BASE_URL") or None,
            model_timeout_seconds=_number(env, "MODEL_TIMEOUT_SECONDS", 60.0),
            model_retry=RetryPolicy(
                max_attempts=_integer(env, "MODEL_MAX_ATTEMPTS", 4, 1),
                base_delay_seconds=_number(env, "MODEL_RETRY_BASE_SECONDS", 2.0),
                max_delay_seconds=_number(env, "MODEL_RETRY_MAX_SECONDS", 20.0),
            ),
            max_plan_bytes=_integer(env, "MAX_PLAN_BYTES", 50 * 1024 * 1024, 1024),
            log_level=_log_level(env),
        )


def _log_level(env: Mapping[str, str]) -> str:
    level = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Secrets:
    github_token: str
    openai_api_key: str | None
    slack_webhook_url: str | None

    def __repr__(self) -> str:
        # Keeps tokens out of logs and tracebacks that print the object.
        return "Secrets(<redacted>)"


def load_secrets(secretsmanager: Any, secret_arn: str) -> Secrets:
    if not secret_arn:
        raise ConfigError("SECRET_ARN is not set")
    response = secretsmanager.get_secret_value(SecretId=secret_arn)
    try:
        values = json.loads(response["SecretString"])
    except (KeyError, json.JSONDecodeError):
        raise ConfigError("the secret must be a JSON object in SecretString") from None
    if not isinstance(values, dict) or not isinstance(values.get("github_token"), str):
        raise ConfigError("the secret must hold a github_token string")
    return Secrets(
        github_token=values["github_token"],
        openai_api_key=_optional_string(values.get("openai_api_key")),
        slack_webhook_url=_optional_string(values.get("slack_webhook_url")),
    )


def _optional_string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None

"""Runtime configuration of the notifier, read from the Lambda environment in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

# The function's timeout is 30 s: delivery attempts and backoff must finish well before it, so that a
# failure is reported as an error of ours rather than as an opaque Lambda timeout.
TOTAL_DELIVERY_BUDGET_SECONDS = 20.0
MAX_ATTEMPTS_LIMIT = 10

Number = TypeVar("Number", int, float)


class ConfigurationError(ValueError):
    """An environment variable of the function is missing or invalid."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one Slack message."""

    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    # Caps both the exponential backoff and a Retry-After that Slack asks for.
    backoff_max_seconds: float = 8.0
    request_timeout_seconds: float = 5.0
    total_budget_seconds: float = TOTAL_DELIVERY_BUDGET_SECONDS


@dataclass(frozen=True)
class MessageContext:
    """What the message formatters need to know about where they run."""

    environment: str
    default_region: str


@dataclass(frozen=True)
class Settings:
    secret_id: str
    message_context: MessageContext
    log_level: int
    retry: RetryPolicy

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Settings:
        secret_id = environ.get("SECRET_ARN", "").strip()
        if not secret_id:
            raise ConfigurationError(
                "SECRET_ARN is not set: it must name the Secrets Manager secret holding 'slack_webhook_url'"
            )
        return cls(
            secret_id=secret_id,
            message_context=MessageContext(
                environment=environ.get("ENVIRONMENT", "").strip(),
                default_region=environ.get("AWS_REGION", "").strip() or "us-east-1",
            ),
            log_level=_log_level(environ.get("LOG_LEVEL", "INFO")),
            retry=_retry_policy(environ),
        )


def _log_level(name: str) -> int:
    # A typo in LOG_LEVEL must not stop alerts from being delivered, so it falls back to INFO.
    level = logging.getLevelName(name.strip().upper())
    return level if isinstance(level, int) else logging.INFO


def _retry_policy(environ: Mapping[str, str]) -> RetryPolicy:
    defaults = RetryPolicy()
    budget = defaults.total_budget_seconds
    return RetryPolicy(
        max_attempts=_bounded(environ, "SLACK_MAX_ATTEMPTS", int, defaults.max_attempts, 1, MAX_ATTEMPTS_LIMIT),
        backoff_base_seconds=_bounded(
            environ, "SLACK_BACKOFF_BASE_SECONDS", float, defaults.backoff_base_seconds, 0, budget
        ),
        backoff_max_seconds=_bounded(
            environ, "SLACK_BACKOFF_MAX_SECONDS", float, defaults.backoff_max_seconds, 0, budget
        ),
        request_timeout_seconds=_bounded(
            environ, "SLACK_REQUEST_TIMEOUT_SECONDS", float, defaults.request_timeout_seconds, 0.1, budget
        ),
        total_budget_seconds=budget,
    )


def _bounded(
    environ: Mapping[str, str],
    name: str,
    parse: type[Number],
    default: Number,
    low: float,
    high: float,
) -> Number:
    expected = f"{name} must be {'an integer' if parse is int else 'a number'} between {low:g} and {high:g}"
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigurationError(expected) from None
    if not low <= value <= high:
        raise ConfigurationError(expected)
    return value

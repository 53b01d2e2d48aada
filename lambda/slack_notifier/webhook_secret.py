"""Reads the Slack webhook URL from Secrets Manager, once per execution environment.

The URL is a bearer credential: whoever holds it can post to the channel. It is never logged, and no error
raised here contains it or any other value of the secret.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

WEBHOOK_URL_KEY = "slack_webhook_url"
# Warm execution environments live for hours; re-reading now and then picks up a rotated webhook.
CACHE_TTL_SECONDS = 900.0

logger = logging.getLogger(__name__)

_cache: dict[str, tuple[str, float]] = {}


class WebhookSecretError(RuntimeError):
    """The secret cannot be read or does not hold a usable webhook URL."""


def load_webhook_url(secret_id: str) -> str:
    cached = _cache.get(secret_id)
    if cached is not None and time.monotonic() - cached[1] < CACHE_TTL_SECONDS:
        return cached[0]
    url = _read_webhook_url(secret_id)
    _cache[secret_id] = (url, time.monotonic())
    return url


def clear_cache() -> None:
    _cache.clear()


def _read_webhook_url(secret_id: str) -> str:
    _keep_botocore_from_logging_response_bodies()
    logger.info("Reading the Slack webhook URL from secret %s", secret_id)
    secret_string = _secret_string(secret_id)
    try:
        document: Any = json.loads(secret_string)
    except ValueError:
        raise WebhookSecretError(
            f"Secret {secret_id} is not a JSON object; it must hold the key '{WEBHOOK_URL_KEY}'"
        ) from None
    url = document.get(WEBHOOK_URL_KEY) if isinstance(document, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise WebhookSecretError(f"Secret {secret_id} has no non-empty string under the key '{WEBHOOK_URL_KEY}'")
    url = url.strip()
    _require_secure_url(url, secret_id)
    return url


def _secret_string(secret_id: str) -> str:
    try:
        response = _secrets_client(secret_id).get_secret_value(SecretId=secret_id)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        raise WebhookSecretError(
            f"Cannot read secret {secret_id} ({code}); it must exist and hold the key '{WEBHOOK_URL_KEY}'"
        ) from None
    except BotoCoreError as error:
        raise WebhookSecretError(f"Cannot reach Secrets Manager for secret {secret_id}: {error}") from None
    secret_string = response.get("SecretString")
    if not isinstance(secret_string, str):
        raise WebhookSecretError(
            f"Secret {secret_id} has no string value; it must be JSON with the key '{WEBHOOK_URL_KEY}'"
        )
    return secret_string


def _secrets_client(secret_id: str) -> Any:
    # A full ARN names the secret's region, which may differ from the function's.
    arn_parts = secret_id.split(":")
    region = arn_parts[3] if secret_id.startswith("arn:") and len(arn_parts) > 3 and arn_parts[3] else None
    return boto3.client("secretsmanager", region_name=region)


def _keep_botocore_from_logging_response_bodies() -> None:
    # botocore logs every response body at DEBUG, which here is the secret itself; LOG_LEVEL=DEBUG (or the
    # Lambda's application log level) must not turn that on.
    botocore_logger = logging.getLogger("botocore")
    if botocore_logger.getEffectiveLevel() < logging.INFO:
        botocore_logger.setLevel(logging.INFO)


def _require_secure_url(url: str, secret_id: str) -> None:
    if not _is_secure_url(url):
        raise WebhookSecretError(f"The '{WEBHOOK_URL_KEY}' in secret {secret_id} is not an https:// URL")


def _is_secure_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname:
        return False
    # Plain http is accepted only for a loopback stand-in used in local tests; it never leaves the host.
    return parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname))


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False

"""Posts one message to a Slack incoming webhook, retrying what Slack says is worth retrying.

Rate limiting (429) and server errors (5xx) are retried with capped exponential backoff, honouring the
Retry-After that Slack sends with a 429. Every error raised or logged here is scrubbed of the webhook URL.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_notifier.settings import RetryPolicy

# Never let one attempt's socket timeout shrink below this, or a nearly spent budget makes every attempt fail.
MIN_REQUEST_TIMEOUT_SECONDS = 0.5
ERROR_DETAIL_LIMIT = 200

logger = logging.getLogger(__name__)


class SlackDeliveryError(RuntimeError):
    """Slack did not accept the message; the message never contains the webhook URL."""


@dataclass(frozen=True)
class AttemptOutcome:
    status: int | None  # None when no HTTP response arrived (connection error, timeout)
    detail: str = ""
    retry_after: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500

    def describe(self) -> str:
        prefix = "no response" if self.status is None else f"HTTP {self.status}"
        return f"{prefix} ({self.detail})" if self.detail else prefix


def post_message(url: str, payload: Mapping[str, Any], policy: RetryPolicy, deadline: float) -> int:
    """Posts payload to the webhook and returns the number of attempts it took.

    deadline is a time.monotonic() value after which no further attempt is started.
    """
    body = json.dumps(payload).encode("utf-8")
    attempt = 0
    while True:
        attempt += 1
        timeout = max(MIN_REQUEST_TIMEOUT_SECONDS, min(policy.request_timeout_seconds, deadline - time.monotonic()))
        outcome = _send_once(url, body, timeout)
        if outcome.delivered:
            return attempt
        if not outcome.retryable or attempt >= policy.max_attempts:
            raise SlackDeliveryError(
                f"Slack did not accept the message: {outcome.describe()} after {attempt} attempt(s)"
            )
        delay = retry_delay(attempt, outcome.retry_after, policy)
        if time.monotonic() + delay >= deadline:
            raise SlackDeliveryError(
                f"Slack did not accept the message: {outcome.describe()} after {attempt} attempt(s); "
                "no time left to retry before the function times out"
            )
        logger.warning(
            "Slack answered %s on attempt %d of %d; retrying in %.2f s",
            outcome.describe(),
            attempt,
            policy.max_attempts,
            delay,
        )
        time.sleep(delay)


def retry_delay(attempt: int, retry_after: str | None, policy: RetryPolicy) -> float:
    """Seconds to wait after a failed attempt: Slack's Retry-After if given, else jittered backoff, capped."""
    requested = _parse_retry_after(retry_after)
    if requested is not None:
        return min(requested, policy.backoff_max_seconds)
    exponential = policy.backoff_base_seconds * 2 ** (attempt - 1)
    # Jitter spreads out retries from concurrent invocations hitting the same rate limit; not security related.
    return min(exponential, policy.backoff_max_seconds) * random.uniform(0.5, 1.0)  # noqa: S311


def _parse_retry_after(value: str | None) -> float | None:
    # Slack sends whole seconds; the HTTP-date form is not used by Slack and falls back to backoff.
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


def _send_once(url: str, body: bytes, timeout: float) -> AttemptOutcome:
    request = urllib.request.Request(  # noqa: S310 -- webhook_secret only admits https (or loopback http) URLs
        url,
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- see above
            return AttemptOutcome(status=response.status)
    except urllib.error.HTTPError as error:
        detail = _redact(_read_error_body(error), url)
        return AttemptOutcome(status=error.code, detail=detail, retry_after=error.headers.get("Retry-After"))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or error
        return AttemptOutcome(status=None, detail=_redact(f"{type(error).__name__}: {reason}", url))


def _read_error_body(error: urllib.error.HTTPError) -> str:
    # Slack explains rejections in a short body such as "invalid_payload" or "no_service".
    try:
        raw = error.read(ERROR_DETAIL_LIMIT)
    except (OSError, http.client.HTTPException):
        return ""
    return raw.decode("utf-8", errors="replace").strip()


def _redact(text: str, url: str) -> str:
    # The path of a webhook URL is its secret, so it is removed on its own as well as within the full URL.
    path = urlsplit(url).path
    redacted = text.replace(url, "<webhook-url>")
    if len(path) > 1:
        redacted = redacted.replace(path, "<webhook-path>")
    return redacted[:ERROR_DETAIL_LIMIT]

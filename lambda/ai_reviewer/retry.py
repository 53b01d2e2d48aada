"""Bounded exponential backoff for calls that fail transiently (429, 5xx, timeouts)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay_seconds: float
    max_delay_seconds: float

    def delay(self, failed_attempts: int) -> float:
        """Full-jitter backoff: spreads retries of concurrent invocations hitting the same limit."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (failed_attempts - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography


def call_with_retries(
    operation: Callable[[], T],
    *,
    is_transient: Callable[[Exception], bool],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `operation`; retry transient failures up to policy.max_attempts, then re-raise."""
    attempt = 1
    while True:
        try:
            return operation()
        except Exception as error:
            if not is_transient(error) or attempt >= policy.max_attempts:
                raise
            delay = policy.delay(attempt)
            log.warning(
                "%s failed transiently (%s), attempt %d of %d, retrying in %.2fs",
                what,
                type(error).__name__,
                attempt,
                policy.max_attempts,
                delay,
            )
            sleep(delay)
            attempt += 1

"""Bounded waiting: every wait in the tool has a deadline and a maximum number of attempts."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(
    check: Callable[[], T | None],
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T | None:
    """Call ``check`` until it returns something other than None; None once ``timeout`` seconds have passed.

    ``check`` runs at least once and at most ``timeout / interval + 1`` times, so a clock that does not advance
    (or a check that takes no time) cannot turn this into an endless loop.
    """
    deadline = clock() + max(timeout, 0.0)
    attempts = 1 + (math.ceil(timeout / interval) if interval > 0 else 0)
    for attempt in range(attempts):
        result = check()
        if result is not None:
            return result
        remaining = deadline - clock()
        if remaining <= 0 or attempt == attempts - 1:
            break
        sleep(min(interval, remaining))
    return None

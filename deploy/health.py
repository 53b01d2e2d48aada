"""Waits for Atlantis to answer ``GET /healthz`` with 200, within a deadline."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from deploy.errors import DeployError
from deploy.polling import poll

REQUEST_TIMEOUT_SECONDS = 10.0


def probe(url: str, timeout: float = REQUEST_TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(healthy, what happened) for one GET of ``url``."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return False, f"{url} is not an http(s) URL"
    request = urllib.request.Request(url, headers={"User-Agent": "stackkit-atlantis-quick-deploy"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return False, str(getattr(error, "reason", error))


def wait_for_health(atlantis_url: str, *, timeout: float, interval: float) -> int:
    """Poll ``<atlantis_url>/healthz`` until it answers 200; returns the number of tries it took."""
    health_url = atlantis_url.rstrip("/") + "/healthz"
    tries: list[str] = []

    def healthy() -> int | None:
        ok, outcome = probe(health_url, min(REQUEST_TIMEOUT_SECONDS, max(interval, 1.0)))
        tries.append(outcome)
        return len(tries) if ok else None

    attempts = poll(healthy, timeout=timeout, interval=interval)
    if attempts is None:
        raise DeployError(
            f"{health_url} did not answer 200 within {timeout:g}s ({len(tries)} tries, last: {tries[-1]})",
            "the task may still be starting or failing: see ./quick-deploy.sh status and ./quick-deploy.sh logs, "
            "then re-run (finished steps are not repeated)",
        )
    return attempts

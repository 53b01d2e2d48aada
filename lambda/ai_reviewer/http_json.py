"""JSON over HTTP on the standard library, for GitHub and Slack (the Lambda ships no HTTP library).

Redirects are not followed: a redirect would carry the GitHub token to wherever it points.
Errors name the caller's label for the endpoint, never the URL, because a Slack webhook URL is a
secret.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_USER_AGENT = "stackkit-atlantis-ai-reviewer"


class HttpError(Exception):
    def __init__(self, label: str, status: int, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.status = status


class TransientHttpError(HttpError):
    """Rate limited, server error, timeout or connection failure: worth retrying."""


def is_transient(error: Exception) -> bool:
    return isinstance(error, TransientHttpError)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: Any  # decoded JSON, or text when the response is not JSON


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_OPENER = urllib.request.build_opener(_NoRedirects)


def request_json(
    method: str,
    url: str,
    *,
    label: str,
    headers: Mapping[str, str] | None = None,
    payload: Any = None,
    timeout_seconds: float = 10.0,
) -> HttpResponse:
    if urlsplit(url).scheme not in ("https", "http"):
        raise HttpError(label, 0, "only http and https URLs are allowed")
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - scheme checked above
    request.add_header("Accept", "application/json")
    request.add_header("User-Agent", _USER_AGENT)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_unredirected_header(name, value)
    try:
        with _OPENER.open(request, timeout=timeout_seconds) as response:
            raw = response.read(_MAX_RESPONSE_BYTES)
            return HttpResponse(response.status, dict(response.headers.items()), _decode(raw, response.headers))
    except urllib.error.HTTPError as error:
        error.close()
        reason = f"HTTP {error.code}"
        if error.code in (408, 429) or error.code >= 500:
            raise TransientHttpError(label, error.code, reason) from None
        raise HttpError(label, error.code, reason) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise TransientHttpError(label, 0, f"request failed ({type(error).__name__})") from None


def _decode(raw: bytes, headers: Any) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "json" in headers.get("Content-Type", "") and text.strip():
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text

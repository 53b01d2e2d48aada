"""Publish reviews: one GitHub PR comment per project, updated in place, and an optional Slack post.

Idempotency lives in the comment itself. Its first line is a hidden marker naming the plan object
version it reviews (`bucket/key?versionId=...`) and that object's S3 LastModified time:

- a redelivered message finds its own object version in the marker and posts nothing;
- a message for an older plan than the one already reviewed (SQS does not keep order) finds a newer
  plan time in the marker and posts nothing, so a stale review never overwrites a fresh one.

This needs no extra infrastructure (no table, no object tags, so no extra IAM permission), and the
record sits exactly where a duplicate would show. Only comments written by the reviewer's own GitHub
user count, so nobody can plant a marker to suppress or redirect reviews.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ai_reviewer import http_json
from ai_reviewer.events import PullRequest
from ai_reviewer.retry import RetryPolicy, call_with_retries

_MARKER = re.compile(r"\A<!-- atlantis-ai-review:v1 (?P<fields>[^<>]*) -->")
_FIELD = re.compile(r"(?P<name>[a-z-]+)=(?P<value>\S*)")
_NEXT_PAGE = re.compile(r'<(?P<url>[^>]+)>;\s*rel="next"')
_MAX_COMMENT_PAGES = 30
_HTTP_TIMEOUT_SECONDS = 10.0
HTTP_RETRY = RetryPolicy(max_attempts=3, base_delay_seconds=1.0, max_delay_seconds=4.0)


@dataclass(frozen=True)
class ReviewMarker:
    project: str
    source: str  # bucket/key?versionId=...
    plan_time: str  # S3 LastModified, ISO 8601 UTC: sorts chronologically as text

    def render(self) -> str:
        fields = {"project": self.project, "source": self.source, "plan-time": self.plan_time}
        # Percent-encoding keeps every value free of spaces, "<", ">" and "--".
        encoded = " ".join(f"{name}={quote(value, safe='')}" for name, value in fields.items())
        return f"<!-- atlantis-ai-review:v1 {encoded} -->"

    @classmethod
    def parse(cls, body: str) -> ReviewMarker | None:
        match = _MARKER.match(body)
        if match is None:
            return None
        fields = {field["name"]: unquote(field["value"]) for field in _FIELD.finditer(match["fields"])}
        if not {"project", "source", "plan-time"} <= fields.keys():
            return None
        return cls(project=fields["project"], source=fields["source"], plan_time=fields["plan-time"])

    def covers(self, other: ReviewMarker) -> bool:
        """True when a comment with this marker makes reviewing `other` pointless."""
        return self.source == other.source or self.plan_time > other.plan_time


@dataclass(frozen=True)
class ReviewComment:
    comment_id: int
    marker: ReviewMarker


class GitHubComments:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        retry: RetryPolicy = HTTP_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        self._retry = retry
        self._sleep = sleep
        self._login: str | None = None

    def find_review(self, pull: PullRequest) -> ReviewComment | None:
        """Our newest review comment for this project on the pull request, if any."""
        login = self._own_login()
        found: ReviewComment | None = None
        for comment in self._comments(pull):
            if (comment.get("user") or {}).get("login") != login:
                continue
            marker = ReviewMarker.parse(comment.get("body") or "")
            if marker and marker.project == pull.project and (found is None or comment["id"] > found.comment_id):
                found = ReviewComment(comment_id=comment["id"], marker=marker)
        return found

    def create(self, pull: PullRequest, body: str) -> str:
        response = self._call("POST", f"{self._repo_url(pull)}/issues/{pull.number}/comments", {"body": body})
        return str(response.body.get("html_url", ""))

    def update(self, pull: PullRequest, comment_id: int, body: str) -> str:
        response = self._call("PATCH", f"{self._repo_url(pull)}/issues/comments/{comment_id}", {"body": body})
        return str(response.body.get("html_url", ""))

    def _own_login(self) -> str:
        if self._login is None:
            self._login = str(self._call("GET", f"{self._api_url}/user").body["login"])
        return self._login

    def _comments(self, pull: PullRequest) -> list[dict[str, Any]]:
        url: str | None = f"{self._repo_url(pull)}/issues/{pull.number}/comments?per_page=100"
        comments: list[dict[str, Any]] = []
        for _ in range(_MAX_COMMENT_PAGES):
            if url is None:
                break
            response = self._call("GET", url)
            comments.extend(item for item in response.body if isinstance(item, dict))
            url = self._next_page(response.headers.get("Link", ""))
        return comments

    def _next_page(self, link_header: str) -> str | None:
        match = _NEXT_PAGE.search(link_header)
        # Follow only links back to the same API, so the token cannot be sent elsewhere.
        if match and match["url"].startswith(self._api_url + "/"):
            return match["url"]
        return None

    def _repo_url(self, pull: PullRequest) -> str:
        return f"{self._api_url}/repos/{pull.repo}"

    def _call(self, method: str, url: str, payload: Any = None) -> http_json.HttpResponse:
        return call_with_retries(
            lambda: http_json.request_json(
                method,
                url,
                label=f"GitHub {method}",
                headers=self._headers,
                payload=payload,
                timeout_seconds=_HTTP_TIMEOUT_SECONDS,
            ),
            is_transient=http_json.is_transient,
            policy=self._retry,
            what=f"GitHub {method}",
            sleep=self._sleep,
        )


class SlackWebhook:
    def __init__(
        self,
        url: str,
        *,
        retry: RetryPolicy = HTTP_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = url
        self._retry = retry
        self._sleep = sleep

    def post(self, text: str) -> None:
        call_with_retries(
            lambda: http_json.request_json(
                "POST",
                self._url,
                label="Slack webhook",
                payload={"text": text},
                timeout_seconds=_HTTP_TIMEOUT_SECONDS,
            ),
            is_transient=http_json.is_transient,
            policy=self._retry,
            what="Slack webhook",
            sleep=self._sleep,
        )

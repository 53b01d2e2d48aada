"""Which plan object an SQS message is about, and which pull request that plan belongs to.

Messages are EventBridge "Object Created" events from S3. The object key is
`<owner>/<repo>/<pull>/<project>-<commit>.json`; the object's user metadata (`repo`, `pull`,
`commit`, `project`) takes precedence over the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class UnusableMessageError(Exception):
    """Retrying can never make this message work: log it and drop it instead of looping."""


class MalformedEventError(UnusableMessageError):
    """The message or the plan object does not follow the contract."""


_KEY = re.compile(r"^(?P<owner>[^/]+)/(?P<name>[^/]+)/(?P<pull>[^/]+)/(?P<project>[^/]+)-(?P<commit>[^/-]+)\.json$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_PULL = re.compile(r"^[1-9][0-9]{0,9}$")
_COMMIT = re.compile(r"^[0-9A-Za-z]{4,64}$")
_MAX_PROJECT_LENGTH = 200


@dataclass(frozen=True)
class PlanObject:
    bucket: str
    key: str
    version_id: str | None
    size: int | None


@dataclass(frozen=True)
class PullRequest:
    repo: str  # owner/name
    number: int
    project: str
    commit: str


def parse_plan_object(body: Any) -> PlanObject:
    """Read the S3 object reference from an SQS message body holding an EventBridge event."""
    try:
        event = json.loads(body)
    except (TypeError, json.JSONDecodeError):
        raise MalformedEventError("the message body is not JSON") from None
    if not isinstance(event, dict):
        raise MalformedEventError("the message body is not a JSON object")
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        raise MalformedEventError("the message is not an S3 Object Created event")
    detail = event.get("detail")
    bucket = _get(detail, "bucket", "name")
    key = _get(detail, "object", "key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise MalformedEventError("the event names no bucket or object key")
    version_id = _get(detail, "object", "version-id")
    size = _get(detail, "object", "size")
    return PlanObject(
        bucket=bucket,
        key=key,
        version_id=version_id if isinstance(version_id, str) and version_id else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
    )


def _get(value: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def pull_request_of(key: str, metadata: Mapping[str, str]) -> PullRequest:
    """Prefer the object's metadata, fall back to the parts of its key; validate both."""
    from_key = _KEY.match(key)
    key_parts = from_key.groupdict() if from_key else {}
    if key_parts:
        key_parts["repo"] = f"{key_parts['owner']}/{key_parts['name']}"

    def field(name: str) -> str:
        return (metadata.get(name) or key_parts.get(name) or "").strip()

    repo, pull, project, commit = field("repo"), field("pull"), field("project"), field("commit")
    if not _REPO.match(repo) or any(part in {".", ".."} for part in repo.split("/")):
        raise MalformedEventError("the plan names no valid owner/repo")
    if not _PULL.match(pull):
        raise MalformedEventError("the plan names no valid pull request number")
    if not _COMMIT.match(commit):
        raise MalformedEventError("the plan names no valid commit")
    if not project or len(project) > _MAX_PROJECT_LENGTH or not project.isprintable():
        raise MalformedEventError("the plan names no valid project")
    return PullRequest(repo=repo, number=int(pull), project=project, commit=commit)

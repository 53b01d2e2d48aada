"""Fetch a plan object from S3, within a size limit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from botocore.exceptions import ClientError

from ai_reviewer.events import MalformedEventError, PlanObject, UnusableMessageError

_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


class PlanNotFoundError(UnusableMessageError):
    """The object (version) is gone, e.g. deleted by a lifecycle rule before the message arrived."""


@dataclass(frozen=True)
class PlanFile:
    plan: dict[str, Any]
    metadata: dict[str, str]
    source: str  # bucket/key?versionId=..., names exactly this object version
    last_modified: str  # ISO 8601 UTC, second precision


def fetch_plan(s3: Any, plan_object: PlanObject, max_bytes: int) -> PlanFile:
    if plan_object.size is not None and plan_object.size > max_bytes:
        raise MalformedEventError(f"the plan is {plan_object.size} bytes, over the {max_bytes} byte limit")
    request = {"Bucket": plan_object.bucket, "Key": plan_object.key}
    if plan_object.version_id:
        request["VersionId"] = plan_object.version_id
    try:
        response = s3.get_object(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
            raise PlanNotFoundError("the plan object no longer exists") from None
        raise
    with response["Body"] as body:
        raw = body.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise MalformedEventError(f"the plan is over the {max_bytes} byte limit")
    try:
        plan = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedEventError("the plan object is not JSON") from None
    if not isinstance(plan, dict):
        raise MalformedEventError("the plan object is not a JSON object")
    version_id = response.get("VersionId") or plan_object.version_id or "null"
    return PlanFile(
        plan=plan,
        metadata={str(name).lower(): str(value) for name, value in response.get("Metadata", {}).items()},
        source=f"{plan_object.bucket}/{plan_object.key}?versionId={version_id}",
        last_modified=response["LastModified"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )

"""The Secrets Manager secret Atlantis reads: one JSON object, merged so that no existing key is ever dropped.

Generated keys (webhook secret, web password) are created once and kept; a run whose values equal the stored ones
writes no new version.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deploy.aws import error_code
from deploy.errors import DeployError
from deploy.names import GENERATED_KEYS

DESCRIPTION = "Atlantis credentials (JSON). Written by quick-deploy.sh; read by the Atlantis ECS task."


@dataclass(frozen=True)
class SecretState:
    name: str
    exists: bool = False
    arn: str | None = None
    scheduled_for_deletion: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    version_id: str | None = None


@dataclass(frozen=True)
class SecretWrite:
    arn: str
    created: bool
    changed_keys: tuple[str, ...]  # names only, never values
    version_id: str | None


def read_secret(client: Any, name: str) -> SecretState:
    """The secret as it is now (read-only). A secret scheduled for deletion has no readable value."""
    try:
        description = client.describe_secret(SecretId=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return SecretState(name)
        raise
    state = SecretState(name, True, description["ARN"], "DeletedDate" in description)
    if state.scheduled_for_deletion:
        return state
    try:
        current = client.get_secret_value(SecretId=name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":  # created without a value
            return state
        raise
    return SecretState(
        name, True, state.arn, False, _parse(name, current.get("SecretString")), current.get("VersionId")
    )


def _parse(name: str, text: str | None) -> dict[str, Any]:
    try:
        values = json.loads(text or "{}")
    except ValueError:
        values = None
    if not isinstance(values, dict):
        raise DeployError(
            f"secret {name} does not hold a JSON object, so its keys cannot be merged",
            "fix its value in Secrets Manager (or delete it) and re-run",
        )
    return values


def merged_values(
    current: Mapping[str, Any], updates: Mapping[str, str], generate: Iterable[str] = GENERATED_KEYS
) -> dict[str, Any]:
    """Existing keys, overwritten by ``updates``, plus generated keys that are still missing."""
    merged = {**current, **updates}
    for key in generate:
        if not merged.get(key):
            merged[key] = secrets.token_hex(32)
    return merged


def restore_if_scheduled_for_deletion(client: Any, state: SecretState) -> SecretState:
    """A secret scheduled for deletion comes back with its last value, which is then merged like any other."""
    if not state.scheduled_for_deletion:
        return state
    client.restore_secret(SecretId=state.name)
    return read_secret(client, state.name)


def write_secret(client: Any, state: SecretState, values: Mapping[str, Any], tags: Mapping[str, str]) -> SecretWrite:
    """Create the secret or put a new version; nothing at all when every value is already stored.

    The stored keys are the base of the new value, so a key absent from ``values`` is kept, never dropped.
    """
    values = {**state.values, **values}
    text = json.dumps(values, sort_keys=True)
    if not state.exists:
        response = client.create_secret(
            Name=state.name,
            Description=DESCRIPTION,
            SecretString=text,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        return SecretWrite(response["ARN"], True, tuple(sorted(values)), response.get("VersionId"))
    if state.scheduled_for_deletion:
        raise DeployError(f"secret {state.name} is scheduled for deletion", "restore it first")
    changed = tuple(sorted(key for key in values if state.values.get(key) != values[key]))
    if not changed:
        return SecretWrite(str(state.arn), False, (), state.version_id)
    response = client.put_secret_value(SecretId=state.name, SecretString=text)
    return SecretWrite(str(state.arn), False, changed, response.get("VersionId"))


def update_key(client: Any, name: str, key: str, value: str) -> SecretWrite:
    """Set one key of an existing secret, keeping every other key (``update-secret``)."""
    state = restore_if_scheduled_for_deletion(client, read_secret(client, name))
    if not state.exists:
        raise DeployError(f"secret {name} does not exist", "run ./quick-deploy.sh first; it creates the secret")
    return write_secret(client, state, {key: value}, {})

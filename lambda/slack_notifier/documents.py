"""Tolerant readers for JSON documents whose shape is not guaranteed.

Messages on the alerts topic are written by AWS services and by an EventBridge input transformer; a field
that is missing, null or of an unexpected type reads as empty rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def text_of(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    return value.strip() if isinstance(value, str) else ""


def mapping_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def mappings_in(value: Any) -> list[Mapping[str, Any]]:
    """The mapping items of a JSON array; anything else in it (or a non-array) is ignored."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def number_text(value: Any) -> str:
    """A JSON number as people write it (80, 0.5); "" for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"

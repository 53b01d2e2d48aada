"""The structured review the model must return, and its validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RISK_LEVELS = ("low", "medium", "high", "critical")

# Bounds on what we publish, whatever the model returns: a PR comment holds at most 65536 characters.
MAX_ITEMS_PER_LIST = 40
MAX_TEXT_LENGTH = 1000
MAX_SUMMARY_LENGTH = 3000


def _object_schema(properties: dict[str, Any]) -> dict[str, Any]:
    # OpenAI's strict structured outputs need every property required and no others allowed.
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


_TEXT = {"type": "string"}
_LEVEL = {"type": "string", "enum": list(RISK_LEVELS)}

REVIEW_SCHEMA: dict[str, Any] = _object_schema(
    {
        "risk_level": _LEVEL,
        "summary": _TEXT,
        "destructive_changes": {
            "type": "array",
            "items": _object_schema({"address": _TEXT, "action": _TEXT, "impact": _TEXT}),
        },
        "security_findings": {
            "type": "array",
            "items": _object_schema({"address": _TEXT, "severity": _LEVEL, "finding": _TEXT}),
        },
        "cost_changes": {
            "type": "array",
            "items": _object_schema({"address": _TEXT, "change": _TEXT}),
        },
    }
)


class InvalidReviewError(ValueError):
    """The model's answer does not match REVIEW_SCHEMA."""


@dataclass(frozen=True)
class DestructiveChange:
    address: str
    action: str
    impact: str


@dataclass(frozen=True)
class SecurityFinding:
    address: str
    severity: str
    finding: str


@dataclass(frozen=True)
class CostChange:
    address: str
    change: str


@dataclass(frozen=True)
class Review:
    risk_level: str
    summary: str
    destructive_changes: tuple[DestructiveChange, ...]
    security_findings: tuple[SecurityFinding, ...]
    cost_changes: tuple[CostChange, ...]


def parse_review(data: Any) -> Review:
    if not isinstance(data, dict):
        raise InvalidReviewError("the review is not a JSON object")
    return Review(
        risk_level=_level(data.get("risk_level"), "risk_level"),
        summary=_text(data.get("summary"), "summary", MAX_SUMMARY_LENGTH),
        destructive_changes=tuple(
            DestructiveChange(
                address=_text(item.get("address"), "destructive_changes.address"),
                action=_text(item.get("action"), "destructive_changes.action"),
                impact=_text(item.get("impact"), "destructive_changes.impact"),
            )
            for item in _objects(data.get("destructive_changes"), "destructive_changes")
        ),
        security_findings=tuple(
            SecurityFinding(
                address=_text(item.get("address"), "security_findings.address"),
                severity=_level(item.get("severity"), "security_findings.severity"),
                finding=_text(item.get("finding"), "security_findings.finding"),
            )
            for item in _objects(data.get("security_findings"), "security_findings")
        ),
        cost_changes=tuple(
            CostChange(
                address=_text(item.get("address"), "cost_changes.address"),
                change=_text(item.get("change"), "cost_changes.change"),
            )
            for item in _objects(data.get("cost_changes"), "cost_changes")
        ),
    )


def _level(value: Any, field: str) -> str:
    level = value.strip().lower() if isinstance(value, str) else value
    if level not in RISK_LEVELS:
        raise InvalidReviewError(f"{field} must be one of {', '.join(RISK_LEVELS)}")
    return str(level)


def _text(value: Any, field: str, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise InvalidReviewError(f"{field} must be a string")
    text = value.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _objects(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidReviewError(f"{field} must be a list of objects")
    return value[:MAX_ITEMS_PER_LIST]

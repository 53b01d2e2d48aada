"""Fit a plan digest into the model's input budget without silently dropping anything.

The review document always carries the counts per action and per resource type, and the list of
destructive changes. Item details follow in review order (destructive changes first) for as long as
they fit; what does not fit is counted, and the document says so, so the model (and the PR comment)
know the review saw a summary.

Tokens are estimated, not counted: one token per three bytes of UTF-8 JSON. That over-counts English
prose and is close for the identifier-heavy JSON of a plan. The Lambda carries no tokenizer
(tiktoken fetches its vocabulary at run time) and the same code serves Bedrock models, whose
tokenizers differ anyway.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ai_reviewer.digest import PlanDigest

BYTES_PER_TOKEN = 3
SECTIONS = ("resource_changes", "output_changes", "resource_drift", "module_sources")
# Room for the coverage note and the section keys, added after the items are chosen.
_RESERVED_BYTES = 600

SUMMARY_NOTE = (
    "The plan is larger than the review budget. Every change is counted in change_counts and every "
    "destructive change is named in destructive_changes; only the listed items carry details."
)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def estimate_tokens(text: str) -> int:
    return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)


@dataclass(frozen=True)
class ReviewInput:
    document: dict[str, Any]
    resource_changes_total: int
    resource_changes_in_detail: int
    items_omitted: int
    has_changes: bool

    @property
    def summarized(self) -> bool:
        return self.items_omitted > 0


def fit_to_budget(digest: PlanDigest, budget_tokens: int) -> ReviewInput:
    budget = budget_tokens * BYTES_PER_TOKEN
    header: dict[str, Any] = {"terraform_version": digest.terraform_version}
    if digest.errored:
        header["plan_errored"] = True
    header["change_counts"] = {"by_action": digest.actions, "by_type": digest.changes_by_type}
    used = _size(header) + _RESERVED_BYTES

    destructive, destructive_unlisted = _take_while_fits(digest.destructive, budget - used)
    header["destructive_changes"] = destructive
    if destructive_unlisted:
        header["destructive_changes_not_listed"] = destructive_unlisted
    used = _size(header) + _RESERVED_BYTES

    chosen: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS}
    omitted: Counter[str] = Counter()
    for item in digest.items:
        cost = _size(item.detail) + 1
        if used + cost <= budget:
            chosen[item.section].append(item.detail)
            used += cost
        else:
            omitted[item.section] += 1

    document = dict(header)
    if omitted:
        document["coverage"] = {
            "note": SUMMARY_NOTE,
            "omitted_from_detail": {section: omitted[section] for section in SECTIONS if omitted[section]},
        }
    document.update({section: chosen[section] for section in SECTIONS if chosen[section]})
    return ReviewInput(
        document=document,
        resource_changes_total=digest.resource_changes_total,
        resource_changes_in_detail=len(chosen["resource_changes"]),
        items_omitted=sum(omitted.values()),
        has_changes=digest.has_changes,
    )


def _size(value: Any) -> int:
    return len(to_json(value).encode("utf-8"))


def _take_while_fits(values: list[str], room: int) -> tuple[list[str], int]:
    taken: list[str] = []
    for value in values:
        room -= _size(value) + 1
        if room < 0:
            break
        taken.append(value)
    return taken, len(values) - len(taken)

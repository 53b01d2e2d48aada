"""Redaction measured on the corpus (tests/ai_reviewer_corpus.py): recall on secrets, ordinary values kept.

A planting counts as leaked when its secret part can still be read in its resource after redaction: as
is, JSON-escaped once or twice, or inside a base64 (or base64 gzip) value. The whole redacted plan is
judged, not only the part of it that fits the model request, so a budget cut cannot hide a leak.

Goals (issue 14): at least 99 % of the planted secrets (every format in every position) are gone from the
redacted plan, and at least 97 % of the ordinary values are still there. The figures and the missed
formats are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections import defaultdict
from typing import Any

import pytest
from ai_reviewer.redact import redact_plan

from tests.ai_reviewer_corpus import (
    POSITIONS,
    Planting,
    Sample,
    build_plan,
    load_formats,
    load_ordinary_kinds,
    ordinary_samples,
    secret_samples,
)

MIN_RECALL = 0.99
MIN_ORDINARY_KEPT = 0.97


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, child in value.items() for text in [key, *strings_in(child)]]
    if isinstance(value, list):
        return [text for child in value for text in strings_in(child)]
    return []


def spellings(needle: str) -> tuple[str, ...]:
    """The needle as it reads in a string, in JSON inside a string, and in JSON inside JSON inside a string."""
    once = json.dumps(needle)[1:-1]
    return (needle, once, json.dumps(once)[1:-1])


def with_decoded(texts: list[str]) -> list[str]:
    """The texts, plus what base64 (and base64 gzip) values among them decode to."""
    decoded = []
    for text in texts:
        try:
            data = base64.b64decode(text, validate=True)
            decoded.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode())
        except (binascii.Error, UnicodeDecodeError, OSError):
            continue
    return texts + decoded


def texts_by_address(plan: dict[str, Any]) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = defaultdict(list)
    for change in plan.get("resource_changes", []):
        texts[change["address"]].extend(with_decoded(strings_in(change)))
    for resource in plan.get("planned_values", {}).get("root_module", {}).get("resources", []):
        texts[resource["address"]].extend(with_decoded(strings_in(resource)))
    return texts


def present(planting: Planting, texts: dict[str, list[str]]) -> bool:
    return any(spelling in text for text in texts[planting.address] for spelling in spellings(planting.sample.needle))


@pytest.fixture(scope="module")
def corpus() -> tuple[list[Sample], list[Sample], dict[str, Any], list[Planting]]:
    secrets, ordinary = secret_samples(), ordinary_samples()
    plan, plantings = build_plan(secrets, ordinary)
    return secrets, ordinary, plan, plantings


@pytest.fixture(scope="module")
def outcome(
    corpus: tuple[list[Sample], list[Sample], dict[str, Any], list[Planting]],
) -> tuple[list[Planting], list[Planting], list[Planting], list[Planting]]:
    """(secret plantings, leaked secret plantings, ordinary plantings, lost ordinary plantings)."""
    _, _, plan, plantings = corpus
    before = texts_by_address(plan)
    after = texts_by_address(redact_plan(plan).plan)
    secret_plantings = [planting for planting in plantings if planting.address.split(".")[1].startswith("secret_")]
    ordinary_plantings = [planting for planting in plantings if planting not in secret_plantings]
    assert all(present(planting, before) for planting in plantings)  # every sample really is in the plan
    leaked = [planting for planting in secret_plantings if present(planting, after)]
    lost = [planting for planting in ordinary_plantings if not present(planting, after)]
    return secret_plantings, leaked, ordinary_plantings, lost


def test_corpus_is_large_and_varied_enough(
    corpus: tuple[list[Sample], list[Sample], dict[str, Any], list[Planting]],
) -> None:
    secrets, ordinary, _, plantings = corpus
    formats = load_formats()

    assert len(secrets) >= 150 and len({sample.kind for sample in secrets}) >= 60
    assert len(ordinary) >= 150 and len(load_ordinary_kinds()) >= 30
    assert all(secret_format["source"] for secret_format in formats)
    positions_per_sample: dict[tuple[str, int], set[str]] = defaultdict(set)
    for planting in plantings:
        positions_per_sample[(planting.sample.kind, planting.sample.index)].add(planting.position)
    assert all(positions == set(POSITIONS) for positions in positions_per_sample.values())
    assert len({sample.needle for sample in secrets}) == len(secrets)  # draws differ


def test_recall_and_ordinary_values_kept_meet_the_goals(
    outcome: tuple[list[Planting], list[Planting], list[Planting], list[Planting]],
) -> None:
    secret_plantings, leaked, ordinary_plantings, lost = outcome
    recall = 1 - len(leaked) / len(secret_plantings)
    kept = 1 - len(lost) / len(ordinary_plantings)
    missed_formats = sorted({planting.sample.kind for planting in leaked})
    lost_kinds = sorted({planting.sample.kind for planting in lost})
    print(
        f"\nsecret recall: {recall:.2%} ({len(secret_plantings) - len(leaked)}/{len(secret_plantings)} plantings,"
        f" {len({planting.sample.kind for planting in secret_plantings})} formats)"
        f"\nordinary values kept: {kept:.2%} ({len(ordinary_plantings) - len(lost)}/{len(ordinary_plantings)})"
        f"\nformats missed: {', '.join(missed_formats) or 'none'}"
        f"\nmissed plantings: {', '.join(f'{p.sample.kind}#{p.sample.index}@{p.position}' for p in leaked) or 'none'}"
        f"\nordinary kinds redacted: {', '.join(lost_kinds) or 'none'}"
        f"\nordinary plantings redacted: {', '.join(f'{p.sample.kind}#{p.sample.index}@{p.position}' for p in lost) or 'none'}"
    )

    assert recall >= MIN_RECALL
    assert kept >= MIN_ORDINARY_KEPT

"""The dated ap-northeast-2 price table kept in the repo, and the usage assumptions that go with it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PRICE_TABLE = Path(__file__).resolve().parent / "prices_ap_northeast_2.json"


class PriceTableError(ValueError):
    """The price table file is missing, is not JSON, or lacks a field the estimate needs."""


@dataclass(frozen=True)
class PriceTable:
    """Unit prices (USD), factors and default usage assumptions, with where they came from."""

    region: str
    as_of: str
    source: str
    hours_per_month: float
    prices: Mapping[str, float]
    factors: Mapping[str, float]
    assumptions: Mapping[str, float]
    assumption_units: Mapping[str, str] = field(default_factory=dict)
    path: str = ""

    def price(self, key: str) -> float:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceTableError(f"{self.path}: no price '{key}'") from None

    def has_price(self, key: str) -> bool:
        return key in self.prices

    def factor(self, key: str) -> float:
        try:
            return self.factors[key]
        except KeyError:
            raise PriceTableError(f"{self.path}: no factor '{key}'") from None

    def assumption(self, key: str) -> float:
        try:
            return self.assumptions[key]
        except KeyError:
            raise PriceTableError(f"{self.path}: no usage assumption '{key}'") from None

    def with_assumptions(self, overrides: Mapping[str, float]) -> PriceTable:
        """A copy whose usage assumptions are replaced by ``overrides`` (only keys the table already has)."""
        unknown = sorted(set(overrides) - set(self.assumptions))
        if unknown:
            raise PriceTableError(
                f"unknown usage assumption {unknown[0]!r} (known: {', '.join(sorted(self.assumptions))})"
            )
        return PriceTable(
            region=self.region,
            as_of=self.as_of,
            source=self.source,
            hours_per_month=self.hours_per_month,
            prices=self.prices,
            factors=self.factors,
            assumptions={**self.assumptions, **overrides},
            assumption_units=self.assumption_units,
            path=self.path,
        )


def load_price_table(path: Path = DEFAULT_PRICE_TABLE) -> PriceTable:
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise PriceTableError(f"cannot read price table {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise PriceTableError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    return _price_table_from(document, str(path))


def _price_table_from(document: Any, path: str) -> PriceTable:
    if not isinstance(document, dict):
        raise PriceTableError(f"{path}: expected a JSON object")
    for key in ("region", "as_of", "source", "hours_per_month", "prices", "factors", "usage_assumptions"):
        if key not in document:
            raise PriceTableError(f"{path}: missing '{key}'")
    return PriceTable(
        region=str(document["region"]),
        as_of=str(document["as_of"]),
        source=str(document["source"]),
        hours_per_month=float(document["hours_per_month"]),
        prices=_numbers(document["prices"], "usd", path),
        factors=_numbers(document["factors"], "value", path),
        assumptions=_numbers(document["usage_assumptions"], "value", path),
        assumption_units={key: str(entry.get("unit", "")) for key, entry in document["usage_assumptions"].items()},
        path=path,
    )


def _numbers(entries: Any, field_name: str, path: str) -> dict[str, float]:
    if not isinstance(entries, dict):
        raise PriceTableError(f"{path}: expected an object of entries")
    numbers: dict[str, float] = {}
    for key, entry in entries.items():
        value = entry.get(field_name) if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PriceTableError(f"{path}: entry '{key}' needs a numeric '{field_name}'")
        numbers[key] = float(value)
    return numbers

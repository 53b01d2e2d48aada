"""An estimate as a plain-text table for people, or as JSON for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from costs.estimate import Estimate
from costs.model import Category, LineItem
from costs.seed import (
    SEED_AI_REVIEWER_EXTRA,
    SEED_AI_REVIEWER_LAMBDA,
    SEED_BASIC_BY_CATEGORY,
    SEED_BASIC_TOTAL,
    SEED_OPENAI_API,
    format_range,
    seed_for,
)

HEADERS = ("RESOURCE", "PRICED ITEM", "QUANTITY", "USD/MONTH", "BASIS")
RIGHT_ALIGNED = {2, 3}


def render_text(estimate: Estimate) -> str:
    sections = [
        _heading(estimate),
        _line_table(estimate.lines),
        _totals(estimate),
        _seed_comparison(estimate),
        _unbilled(estimate),
        _notes(estimate),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _heading(estimate: Estimate) -> str:
    prices = estimate.prices
    return (
        f"Monthly cost of {estimate.stack} ({estimate.region}, {estimate.hours:g} hours/month, USD)\n"
        f"Prices: {_display_path(prices.path)} as of {prices.as_of} ({prices.region} on-demand; each entry names its "
        "source and how it was checked); re-check them before relying on this estimate.\n"
        "Usage-based lines rest on the stated assumptions; change one with --assume KEY=VALUE."
    )


def _display_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _line_table(lines: tuple[LineItem, ...]) -> str:
    if not lines:
        return "No priced resources."
    rows: list[tuple[str, ...]] = [HEADERS]
    for line in lines:
        rows.append(
            (
                line.address,
                line.item,
                f"{format_quantity(line.quantity)} {line.unit}",
                format_usd(line.monthly_usd),
                line.basis.value,
            )
        )
        for detail in (line.assumption, line.note):
            if detail:
                rows.append(("", f"  {detail}", "", "", ""))
    return _columns(rows)


def _columns(rows: list[tuple[str, ...]]) -> str:
    # An indented detail row may be long; it must not widen the column for everyone.
    widths = [max(len(row[i]) for row in rows if not row[i].startswith("  ")) for i in range(len(HEADERS))]
    rendered = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in RIGHT_ALIGNED else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        rendered.append("  ".join(cells).rstrip())
    return "\n".join(rendered)


def _totals(estimate: Estimate) -> str:
    return _columns_plain(
        [
            ("Fixed (billed while the resources exist)", format_usd(estimate.fixed_usd)),
            ("Usage-based estimate (from the assumptions)", format_usd(estimate.usage_usd)),
            ("Total", format_usd(estimate.total_usd)),
            ("Seed's estimate (basic setup)", format_range(SEED_BASIC_TOTAL)),
        ]
    )


def _seed_comparison(estimate: Estimate) -> str:
    by_category = estimate.by_category()
    rows = [("BY SEED CATEGORY", "THIS STACK", "SEED")]
    rows += [
        (category.value, format_usd(by_category[category]), seed_for(category))
        for category in Category
        if by_category[category] or category in SEED_BASIC_BY_CATEGORY
    ]
    rows.append(("Total", format_usd(estimate.total_usd), format_range(SEED_BASIC_TOTAL)))
    return (
        f"{_columns_plain(rows)}\n"
        f"The seed adds {format_range(SEED_AI_REVIEWER_EXTRA)} with the AI reviewer: Lambda "
        f"{format_range(SEED_AI_REVIEWER_LAMBDA)} plus the OpenAI API {format_range(SEED_OPENAI_API)}, "
        "which is not an AWS charge and is not priced here."
    )


def _columns_plain(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in rows
    )


def _unbilled(estimate: Estimate) -> str:
    parts = []
    if estimate.no_direct_cost_count:
        kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(estimate.no_direct_cost.items()))
        parts.append(f"{estimate.no_direct_cost_count} resources with no direct cost ({kinds})")
    if estimate.not_priced:
        parts.append(f"Not priced ({len(estimate.not_priced)}), so missing from the total:")
        parts += [f"  {item.address}: {item.reason}" for item in estimate.not_priced]
    return "\n".join(parts)


def _notes(estimate: Estimate) -> str:
    return "\n".join(["Notes:", *(f"  - {note}" for note in estimate.notes)]) if estimate.notes else ""


def summary_line(estimate: Estimate, breakdown: str) -> str:
    """One line: the monthly total, fixed and usage-based parts, the price table's date, and where to see the lines."""
    prices = estimate.prices
    region = "" if estimate.region == prices.region else f" (priced at {prices.region} rates)"
    unpriced = f", {len(estimate.not_priced)} resources not priced" if estimate.not_priced else ""
    return (
        f"monthly estimate: ${format_usd(estimate.total_usd)} for {estimate.stack}{region} "
        f"(${format_usd(estimate.fixed_usd)} fixed + ${format_usd(estimate.usage_usd)} usage-based{unpriced}; "
        f"prices as of {prices.as_of}); breakdown: {breakdown}"
    )


def format_usd(value: float) -> str:
    if 0 < value < 0.005:
        return "<0.01"
    return f"{value:,.2f}"


def format_quantity(value: float) -> str:
    if value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def to_json(estimate: Estimate) -> dict[str, Any]:
    by_category = estimate.by_category()
    return {
        "stack": estimate.stack,
        "region": estimate.region,
        "hours_per_month": estimate.hours,
        "currency": "USD",
        "price_table": {"path": estimate.prices.path, "as_of": estimate.prices.as_of, "source": estimate.prices.source},
        "lines": [_line_json(line) for line in estimate.lines],
        "totals": {
            "fixed_usd": _money(estimate.fixed_usd),
            "usage_usd": _money(estimate.usage_usd),
            "total_usd": _money(estimate.total_usd),
        },
        "seed_comparison": {
            "basic_total_usd": list(SEED_BASIC_TOTAL),
            "ai_reviewer_extra_usd": list(SEED_AI_REVIEWER_EXTRA),
            "ai_reviewer_lambda_usd": list(SEED_AI_REVIEWER_LAMBDA),
            "openai_api_usd": list(SEED_OPENAI_API),
            "by_category": [
                {
                    "category": category.value,
                    "this_stack_usd": _money(by_category[category]),
                    "seed_basic_usd": list(SEED_BASIC_BY_CATEGORY[category])
                    if category in SEED_BASIC_BY_CATEGORY
                    else None,
                }
                for category in Category
            ],
        },
        "no_direct_cost": {
            "count": estimate.no_direct_cost_count,
            "by_type": dict(sorted(estimate.no_direct_cost.items())),
        },
        "not_priced": [
            {"address": item.address, "type": item.type, "reason": item.reason} for item in estimate.not_priced
        ],
        "usage_assumptions": dict(sorted(estimate.prices.assumptions.items())),
        "notes": list(estimate.notes),
    }


def _line_json(line: LineItem) -> dict[str, Any]:
    return {
        "address": line.address,
        "item": line.item,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price_usd": line.unit_price,
        "monthly_usd": _money(line.monthly_usd),
        "basis": line.basis.value,
        "category": line.category.value,
        "assumption": line.assumption or None,
        "note": line.note or None,
    }


def _money(value: float) -> float:
    # Six decimals keep sub-cent usage lines (SNS, Lambda requests) visible instead of rounding them to zero.
    return round(value, 6)

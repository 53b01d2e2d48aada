"""One line before Terraform applies: what the synthesized stack costs a month, and the command that itemizes it."""

from __future__ import annotations

from pathlib import Path

from costs.estimate import estimate_stack
from costs.prices import PriceTableError, load_price_table
from costs.report import format_usd
from costs.stack import StackError, load_stack
from stacks.config import PROJECT_ROOT


def monthly_estimate_line(stack_dir: Path) -> str:
    command = breakdown_command(stack_dir)
    try:
        estimate = estimate_stack(load_stack(stack_dir / "cdk.tf.json"), load_price_table())
    except (StackError, PriceTableError) as error:
        return f"monthly estimate unavailable ({error}); see {command}"
    prices = estimate.prices
    region = "" if estimate.region == prices.region else f" (priced at {prices.region} rates)"
    unpriced = f", {len(estimate.not_priced)} resources not priced" if estimate.not_priced else ""
    return (
        f"monthly estimate: ${format_usd(estimate.total_usd)} for {estimate.stack}{region} "
        f"(${format_usd(estimate.fixed_usd)} fixed + ${format_usd(estimate.usage_usd)} usage-based{unpriced}; "
        f"prices as of {prices.as_of}); breakdown: {command}"
    )


def breakdown_command(stack_dir: Path) -> str:
    """``python3 -m costs`` needs only the standard library, run from the project root."""
    try:
        relative = stack_dir.resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        relative = stack_dir.resolve()
    command = f"python3 -m costs {relative}"
    if Path.cwd().resolve() == PROJECT_ROOT:
        return command
    return f"(cd {PROJECT_ROOT} && {command})"

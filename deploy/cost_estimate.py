"""One line before Terraform applies: what the synthesized stack costs a month, and the command that itemizes it."""

from __future__ import annotations

from pathlib import Path

from costs.estimate import estimate_stack
from costs.prices import PriceTableError, load_price_table
from costs.report import summary_line
from costs.stack import StackError, load_stack
from stacks.config import PROJECT_ROOT


def monthly_estimate_line(stack_dir: Path) -> str:
    command = breakdown_command(stack_dir)
    try:
        estimate = estimate_stack(load_stack(stack_dir / "cdk.tf.json"), load_price_table())
    except (StackError, PriceTableError) as error:
        return f"monthly estimate unavailable ({error}); see {command}"
    return summary_line(estimate, command)


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

"""``python -m costs STACK [--hours 730] [--json] [--assume KEY=VALUE ...] [--prices FILE]``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from costs.estimate import estimate_stack
from costs.prices import DEFAULT_PRICE_TABLE, PriceTableError, load_price_table
from costs.report import render_text, to_json
from costs.stack import StackError, load_stack

REPO_ROOT = Path(__file__).resolve().parent.parent
STACKS_DIR = Path("cdktf.out") / "stacks"
STACK_FILE = "cdk.tf.json"
MAX_HOURS_PER_MONTH = 744  # 31 days


class UsageError(ValueError):
    """Bad input from the command line: reported on one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        text = _run(arguments)
    except (UsageError, StackError, PriceTableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m costs",
        description="Monthly AWS cost of a synthesized stack, resource by resource, from the ap-northeast-2 price table.",
    )
    parser.add_argument("stack", help="cdktf.out/stacks/<stack>/cdk.tf.json, that stack's directory, or the stack name")
    parser.add_argument("--hours", type=float, default=None, help="hours in the month (default: the table's 730)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a usage assumption from the price table, e.g. nat_gateway.data_processed_gb_month=50",
    )
    parser.add_argument(
        "--prices", type=Path, default=DEFAULT_PRICE_TABLE, help="price table JSON (default: %(default)s)"
    )
    return parser


def _run(arguments: argparse.Namespace) -> str:
    if arguments.hours is not None and not 0 < arguments.hours <= MAX_HOURS_PER_MONTH:
        raise UsageError(f"--hours must be above 0 and at most {MAX_HOURS_PER_MONTH}, got {arguments.hours:g}")
    prices = load_price_table(arguments.prices).with_assumptions(parse_assumptions(arguments.assume))
    stack = load_stack(resolve_stack_file(arguments.stack))
    estimate = estimate_stack(stack, prices, arguments.hours)
    if arguments.json:
        return json.dumps(to_json(estimate), indent=2) + "\n"
    return render_text(estimate)


def parse_assumptions(pairs: Sequence[str]) -> dict[str, float]:
    overrides: dict[str, float] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not separator or not key.strip() or not math.isfinite(number) or number < 0:
            raise UsageError(f"--assume expects KEY=NUMBER (a number 0 or above), got {pair!r}")
        overrides[key.strip()] = number
    return overrides


def resolve_stack_file(argument: str, working_directory: Path | None = None) -> Path:
    """A ``cdk.tf.json`` path, the directory holding one, or a stack name under ``cdktf.out/stacks/``."""
    cwd = working_directory or Path.cwd()
    given = cwd / argument
    candidates = [given, given / STACK_FILE]
    if "/" not in argument and not argument.endswith(".json"):
        candidates += [base / STACKS_DIR / argument / STACK_FILE for base in (cwd, REPO_ROOT)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError(f"no synthesized stack at {argument!r}{_available_stacks(cwd)}")


def _available_stacks(cwd: Path) -> str:
    for base in (cwd, REPO_ROOT):
        stacks = sorted(path.parent.name for path in (base / STACKS_DIR).glob(f"*/{STACK_FILE}"))
        if stacks:
            return f" (synthesized stacks: {', '.join(stacks)})"
    return " (run `python main.py` to synthesize into cdktf.out/stacks/ first)"

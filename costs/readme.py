"""The README's cost tables, generated from the cost command's estimates of every shipped config and the budget preset.

    python -m costs.readme           # exit 1, naming the fix, when README.md no longer matches the stacks
    python -m costs.readme --write   # synthesize config/*.tfvars and the budget preset, then rewrite the tables

tests/test_readme_costs.py renders the same tables from the test session's synthesized stacks and fails when the
README differs, so a change to a stack, a default or the price table cannot leave the README behind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from costs.estimate import Estimate, estimate_stack
from costs.model import Basis, Category, LineItem
from costs.prices import load_price_table
from costs.report import format_usd, summary_line
from costs.seed import SEED_BASIC_BY_CATEGORY, SEED_BASIC_TOTAL, format_range, seed_for
from costs.stack import load_stack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = PROJECT_ROOT / "README.md"
BEGIN = "<!-- cost-tables:begin (generated: python -m costs.readme --write) -->"
END = "<!-- cost-tables:end -->"
REGENERATE = "python -m costs.readme --write"


# What the budget preset asks a team to fill in, priced as filled in (an email subscription bills its deliveries).
BUDGET_FILL_INS: dict[str, str] = {
    "certificate_arn": '"arn:aws:acm:ap-northeast-2:123456789012:certificate/00000000-0000-4000-8000-000000000000"',
    "alarm_emails": '["ops@example.com"]',
}


@dataclass(frozen=True)
class Column:
    label: str
    source: str  # the config file, relative to the project root
    fill_ins: Mapping[str, str] = field(default_factory=dict)  # key -> HCL value replacing the file's line


def shipped_columns() -> list[Column]:
    """Every config/*.tfvars (prod first), then the budget preset with its fill-ins."""
    configs = sorted((PROJECT_ROOT / "config").glob("*.tfvars"), key=lambda path: (path.stem != "prod", path.stem))
    columns = [Column(path.stem, f"config/{path.name}") for path in configs]
    return [*columns, Column("budget", "examples/budget.tfvars", BUDGET_FILL_INS)]


def filled_in(text: str, fill_ins: Mapping[str, str]) -> str:
    """The file with each ``key = ...`` line of ``fill_ins`` replaced; every key must be on a line of its own."""
    for key, value in fill_ins.items():
        text, count = re.subn(rf"(?m)^{re.escape(key)}\s*=.*$", f"{key} = {value}", text)
        if count != 1:
            raise ValueError(f"expected one '{key} = ...' line to fill in, found {count}")
    return text


# What each cost switch buys, measured on the estimates' own lines: (row, config keys, which lines).
SWITCHES: tuple[tuple[str, str, Callable[[LineItem], bool]], ...] = (
    (
        "NAT: hours, Elastic IPs, data processing; instances add root volume, detailed monitoring, status alarm",
        "`nat_type`, `single_nat_gateway`",
        lambda line: line.category is Category.NAT or bool(re.search(r"[._-]nat-", line.address)),
    ),
    (
        "Container Insights metrics and performance events",
        "`enable_container_insights`",
        lambda line: "Container Insights" in line.item,
    ),
    (
        "VPC flow logs: delivery and storage",
        "`flow_log_destination`, `flow_log_retention_days`",
        lambda line: line.address.startswith("aws_flow_log.") or "flow-log" in line.address,
    ),
    (
        "WAF: web ACL, rules, requests, logs",
        "`enable_waf`, `waf_log_retention_days`",
        lambda line: "waf" in line.address,
    ),
)


PROD_TARGET_USD = 160  # the goal for default prod; the README explains, line by line, why prod stays above

# Default prod's fixed lines, grouped, with what each buys that the seed asks for (README "Why default prod...").
PROD_FIXED_GROUPS: tuple[tuple[str, str, Callable[[LineItem], bool]], ...] = (
    (
        "NAT gateway hours and Elastic IPs, one per AZ",
        '"VPC: 2-AZ, public/private subnets, NAT Gateway", production-grade and stable: a managed NAT gateway in each '
        "AZ, so the one Atlantis task, rescheduled into the surviving AZ, can still pull its image, read its secret "
        "and reach GitHub",
        lambda line: line.category is Category.NAT,
    ),
    (
        "Fargate service (task size and architecture from the task definition)",
        "the Fargate service, below the seed's $40-60",
        lambda line: line.category is Category.FARGATE,
    ),
    (
        "ALB hours and its public IPv4 addresses",
        "the ALB with HTTPS; AWS has billed public IPv4 since 2024, after the seed's estimate",
        lambda line: line.category is Category.LOAD_BALANCER,
    ),
    (
        "WAF web ACL and rules",
        "not in the seed: this project's default protection of an internet-facing Atlantis",
        lambda line: "waf" in line.address,
    ),
    (
        "KMS keys, the secret, alarms",
        "the seed's encrypted secrets and alarms, and encryption at rest",
        lambda line: True,
    ),
)


def render(estimates: Mapping[str, Estimate], columns: list[Column]) -> str:
    """The generated block, markers included."""
    first = estimates[columns[0].label]
    labels = [column.label for column in columns]
    lines = [
        BEGIN,
        f"Monthly USD in {first.prices.region} from `python -m costs` on each stack as synthesized (price table as of "
        f"{first.prices.as_of}; {first.hours:g} hours; default usage assumptions). "
        + ", ".join(f"{column.label}: [`{column.source}`]({column.source}){_filled(column)}" for column in columns)
        + ".",
        "",
        _row(["category", *labels, "seed (basic)"]),
        _row(["---", *(["---:"] * len(labels)), "---:"]),
    ]
    by_category = {label: estimates[label].by_category() for label in labels}
    for category in Category:
        values = [by_category[label][category] for label in labels]
        if any(values) or category in SEED_BASIC_BY_CATEGORY:
            lines.append(_row([category.value, *map(format_usd, values), seed_for(category)]))
    lines += [
        _row(["*fixed*", *(f"*{format_usd(estimates[label].fixed_usd)}*" for label in labels), ""]),
        _row(["*usage-based estimate*", *(f"*{format_usd(estimates[label].usage_usd)}*" for label in labels), ""]),
        _row(
            [
                "**total**",
                *(f"**{format_usd(estimates[label].total_usd)}**" for label in labels),
                f"**{format_range(SEED_BASIC_TOTAL)}**",
            ]
        ),
        "",
        "What each cost switch accounts for in those totals (USD/month, the same lines summed):",
        "",
        _row(["lines", "keys", *labels]),
        _row(["---", "---", *(["---:"] * len(labels))]),
    ]
    for title, keys, selects in SWITCHES:
        sums = [sum(line.monthly_usd for line in estimates[label].lines if selects(line)) for label in labels]
        lines.append(_row([title, keys, *map(format_usd, sums)]))
    if "prod" in estimates:
        prod = estimates["prod"]
        lines += [
            "",
            "`./quick-deploy.sh` prints this line for default prod, after synthesis and before Terraform asks to apply:",
            "",
            "```text",
            summary_line(prod, f"python3 -m costs cdktf.out/stacks/{prod.stack}"),
            "```",
            "",
            *_why_prod(prod),
        ]
    lines.append(END)
    return "\n".join(lines)


def _why_prod(prod: Estimate) -> list[str]:
    """Default prod's fixed lines against PROD_TARGET_USD, grouped, each with what it provides."""
    remaining = [line for line in prod.lines if line.basis is Basis.FIXED]
    groups: list[tuple[str, str, float]] = []
    for title, provides, selects in PROD_FIXED_GROUPS:
        chosen = [line for line in remaining if selects(line)]
        remaining = [line for line in remaining if not selects(line)]
        groups.append((title, provides, sum(line.monthly_usd for line in chosen)))
    nat, fargate, alb = (usd for _, _, usd in groups[:3])
    gateways = sum(1 for line in prod.lines if line.item == "NAT gateway hours")
    one_gateway = nat / gateways if gateways else 0.0
    core = nat + fargate + alb
    lines = [
        f"Default prod's total is {_usd(prod.total_usd)} against {_usd(PROD_TARGET_USD)}; its **fixed** lines alone "
        f"are {_usd(prod.fixed_usd)}:",
        "",
        _row(["fixed lines of default prod", "USD/month", "what they provide"]),
        _row(["---", "---:", "---"]),
        *(_row([title, format_usd(usd), provides]) for title, provides, usd in groups),
        "",
        f"The NAT gateways, Fargate and the ALB alone are {_usd(core)}, {_usd(PROD_TARGET_USD - core)} below "
        f"{_usd(PROD_TARGET_USD)} before any key, secret, alarm, log or WAF. Dropping the second NAT gateway would save "
        f"{_usd(one_gateway)} ({_usd(prod.total_usd - one_gateway)} in total) and end egress with its AZ.",
    ]
    return lines


def _usd(value: float) -> str:
    return f"${format_usd(value)}"


def _filled(column: Column) -> str:
    return f" with {' and '.join(f'`{key}`' for key in column.fill_ins)} set" if column.fill_ins else ""


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def replace_block(readme: str, block: str) -> str:
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no '{BEGIN}' ... '{END}' block")
    return readme[:start] + block + readme[end + len(END) :]


def current_block(readme: str) -> str:
    start, end = readme.find(BEGIN), readme.find(END)
    return readme[start : end + len(END)] if 0 <= start < end else ""


def synthesize_and_estimate(columns: list[Column]) -> dict[str, Estimate]:
    """Each config synthesized on its own by ``python main.py`` (as a user would), then priced."""
    from stacks.config import load_config  # the config reader needs python-hcl2, which this module's checks do not

    prices = load_price_table()
    estimates: dict[str, Estimate] = {}
    with tempfile.TemporaryDirectory(prefix="cost-tables-") as work:
        for column in columns:
            source = PROJECT_ROOT / column.source
            config_dir, outdir = Path(work, column.label, "config"), Path(work, column.label, "cdktf.out")
            config_dir.mkdir(parents=True)
            config_file = config_dir / source.name
            config_file.write_text(filled_in(source.read_text(encoding="utf-8"), column.fill_ins), encoding="utf-8")
            _run_main(config_dir, outdir)
            stack_name = load_config(config_file, environ={}).stack_name
            estimates[column.label] = estimate_stack(load_stack(outdir / "stacks" / stack_name / "cdk.tf.json"), prices)
    return estimates


def _run_main(config_dir: Path, outdir: Path) -> None:
    # The StackKit overrides (TF_STACK_NAME, TF_VERSION...) would price something other than the shipped file.
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("STACKKIT_", "CDKTF_", "TF_"))}
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py")],
        cwd=PROJECT_ROOT,
        env={**inherited, "STACKKIT_CONFIG_DIR": str(config_dir), "STACKKIT_OUTDIR": str(outdir)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"python main.py failed for {config_dir}: {last}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m costs.readme", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the README's cost tables")
    arguments = parser.parse_args(argv)
    columns = shipped_columns()
    block = render(synthesize_and_estimate(columns), columns)
    readme = README.read_text(encoding="utf-8")
    if arguments.write:
        README.write_text(replace_block(readme, block), encoding="utf-8")
        print(f"README.md cost tables rewritten for {', '.join(column.label for column in columns)}")
        return 0
    if current_block(readme) != block:
        print(f"error: README.md cost tables are stale; run: {REGENERATE}", file=sys.stderr)
        return 1
    print("README.md cost tables are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The README's cost tables are the cost command's output for every shipped config and the budget preset: rendered
here from this session's synthesized stacks, they must equal what README.md holds (regenerate with
``python -m costs.readme --write``)."""

from __future__ import annotations

from typing import Any

from costs.estimate import estimate_stack
from costs.prices import load_price_table
from costs.readme import README, REGENERATE, current_block, render, replace_block, shipped_columns
from costs.stack import stack_from_document

# Shipped file -> the conftest scenario synthesized from it. The budget scenario adds a certificate and an alarm
# address to the preset, which change no priced line (listeners and email subscriptions cost nothing).
SCENARIO_OF = {"config/prod.tfvars": "prod", "config/dev.tfvars": "dev", "examples/budget.tfvars": "budget"}


def test_the_readme_cost_tables_match_the_stacks_and_the_price_table(synthesized: dict[str, Any]) -> None:
    columns = shipped_columns()
    assert {column.source for column in columns} == set(SCENARIO_OF), "a new shipped config needs a scenario here"
    prices = load_price_table()
    estimates = {
        column.label: estimate_stack(stack_from_document(synthesized[SCENARIO_OF[column.source]]), prices)
        for column in columns
    }
    expected = render(estimates, columns)
    assert current_block(README.read_text(encoding="utf-8")) == expected, f"stale cost tables; run: {REGENERATE}"
    assert f"price table as of {prices.as_of}" in expected


def test_the_tables_show_every_config_its_total_and_the_seed_range(synthesized: dict[str, Any]) -> None:
    block = current_block(README.read_text(encoding="utf-8"))
    header = next(line for line in block.splitlines() if line.startswith("| category |"))
    assert header == "| category | prod | dev | budget | seed (basic) |"
    total = next(line for line in block.splitlines() if line.startswith("| **total** |"))
    assert total.endswith("| **$80-120** |")


def test_replacing_the_block_keeps_the_rest_of_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    block = current_block(readme)
    assert replace_block(readme, block) == readme
    before, after = readme.split(block)
    assert replace_block(readme, "NEW") == before + "NEW" + after

"""Digest and token budget: compact changes, destructive first, deterministic summaries of big plans."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ai_reviewer.budget import SUMMARY_NOTE, estimate_tokens, to_json
from ai_reviewer.digest import UNKNOWN_PLACEHOLDER
from ai_reviewer.prompt import ReviewPrompt, build_prompt
from ai_reviewer.redact import redact_plan
from ai_reviewer.review import REVIEW_SCHEMA

FIXTURES = Path(__file__).parent / "fixtures" / "plans"


def _prompt(plan: dict[str, Any], max_input_tokens: int = 60000) -> ReviewPrompt:
    return build_prompt(redact_plan(plan).plan, max_input_tokens)


def _document(prompt: ReviewPrompt) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(prompt.user)
    return document


def _fixture_plan() -> dict[str, Any]:
    plan: dict[str, Any] = json.loads((FIXTURES / "sensitive_and_secrets.json").read_text())
    return plan


def _resource_change(index: int, actions: list[str]) -> dict[str, Any]:
    before = None if actions == ["create"] else {"name": f"r{index}", "size": 10, "tags": {"Team": "a"}}
    after = None if actions == ["delete"] else {"name": f"r{index}", "size": 20, "tags": {"Team": "a"}}
    resource_type = ("aws_instance", "aws_s3_bucket", "aws_iam_role")[index % 3]
    return {
        "address": f"{resource_type}.r{index:04d}",
        "type": resource_type,
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}},
    }


def _large_plan(count: int) -> dict[str, Any]:
    cycle = (["update"], ["create"], ["delete"], ["delete", "create"], ["no-op"])
    return {
        "terraform_version": "1.9.5",
        "resource_changes": [_resource_change(index, cycle[index % len(cycle)]) for index in range(count)],
    }


def _input_tokens(prompt: ReviewPrompt) -> int:
    return estimate_tokens(prompt.system) + estimate_tokens(prompt.user) + estimate_tokens(to_json(REVIEW_SCHEMA))


def test_small_plan_is_sent_in_full_with_counts() -> None:
    prompt = _prompt(_fixture_plan())
    document = _document(prompt)

    assert not prompt.review_input.summarized
    assert "coverage" not in document
    assert document["change_counts"]["by_action"] == {"create": 5, "delete": 1, "no-op": 1, "replace": 1, "update": 2}
    assert document["change_counts"]["by_type"]["aws_ssm_parameter"] == {"create": 2}
    assert "aws_vpc" not in document["change_counts"]["by_type"]
    assert document["destructive_changes"] == ["aws_instance.bastion (replace)", "aws_s3_bucket.logs (delete)"]
    addresses = [item["address"] for item in document["resource_changes"]]
    assert addresses[:2] == ["aws_instance.bastion", "aws_s3_bucket.logs"]
    assert "aws_vpc.main" not in addresses
    assert prompt.review_input.resource_changes_total == prompt.review_input.resource_changes_in_detail == 9


def test_changes_are_compact_and_show_what_is_unknown() -> None:
    document = _document(_prompt(_fixture_plan()))
    details = {item["address"]: item for item in document["resource_changes"]}

    database = details["aws_db_instance.orders"]
    assert database["changed"] == {"instance_class": {"before": "db.t3.medium", "after": "db.t3.large"}}
    assert database["sensitive_attributes_changed"] == ["password"]
    assert details["aws_lambda_function.api"]["after"]["arn"] == UNKNOWN_PLACEHOLDER
    assert details["aws_s3_bucket.logs"]["before"] == {
        "bucket": "acme-logs",
        "force_destroy": False,
        "tags": {"Retention": "long"},
    }
    assert details["aws_instance.bastion"]["action_reason"] == "replace_because_cannot_update"
    security_group = details["aws_security_group.web"]["changed"]
    assert security_group["ingress"]["after"][0]["cidr_blocks"] == ["0.0.0.0/0"]


def test_outputs_drift_and_module_sources_are_included() -> None:
    document = _document(_prompt(_fixture_plan()))

    assert {item["name"] for item in document["output_changes"]} == {"db_password", "endpoint"}
    assert document["resource_drift"][0]["changed_outside_terraform"] == {
        "allocated_storage": {"before": 50, "after": 100}
    }
    assert document["module_sources"] == [
        {"module": "module.cache", "source": "git::https://github.com/example/terraform-cache.git?ref=v1.0.0"}
    ]


def test_plan_over_budget_is_summarized_destructive_first_and_fits() -> None:
    plan = _large_plan(600)
    prompt = _prompt(plan, max_input_tokens=6000)
    document = _document(prompt)

    assert prompt.review_input.summarized
    assert _input_tokens(prompt) <= 6000
    assert document["coverage"]["note"] == SUMMARY_NOTE
    assert sum(document["coverage"]["omitted_from_detail"].values()) == prompt.review_input.items_omitted
    assert document["change_counts"]["by_action"] == {
        "create": 120,
        "delete": 120,
        "no-op": 120,
        "replace": 120,
        "update": 120,
    }
    assert len(document["destructive_changes"]) == 240
    detailed_actions = [item["action"] for item in document["resource_changes"]]
    assert detailed_actions and set(detailed_actions) <= {"delete", "replace"}
    assert prompt.review_input.resource_changes_in_detail == len(detailed_actions) < 480


def test_destructive_list_itself_is_capped_when_it_cannot_fit() -> None:
    plan = {"resource_changes": [_resource_change(index, ["delete"]) for index in range(3000)]}
    prompt = _prompt(plan, max_input_tokens=5000)
    document = _document(prompt)

    assert _input_tokens(prompt) <= 5000
    assert document["destructive_changes_not_listed"] == 3000 - len(document["destructive_changes"])
    assert document["change_counts"]["by_action"] == {"delete": 3000}


def test_summary_is_deterministic_whatever_the_input_order() -> None:
    plan = _large_plan(400)
    shuffled = dict(plan, resource_changes=random.Random(7).sample(plan["resource_changes"], 400))

    assert _prompt(plan, 5000).user == _prompt(shuffled, 5000).user


def test_plan_without_changes_needs_no_review() -> None:
    plan = json.loads((FIXTURES / "no_changes.json").read_text())

    review_input = _prompt(plan).review_input

    assert not review_input.has_changes
    assert review_input.resource_changes_total == 0

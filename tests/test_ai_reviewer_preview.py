"""`PYTHONPATH=lambda python -m ai_reviewer preview PLAN.json`: the request bodies, one JSON per line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
FIXTURES = REPOSITORY / "tests" / "fixtures" / "plans"


def planted_secrets() -> dict[str, str]:
    recipes = json.loads((FIXTURES / "planted_secrets.json").read_text())
    return {
        name: "".join(part if isinstance(part, str) else part[0] * part[1] for part in parts)
        for name, parts in recipes.items()
        if not name.startswith("_")
    }


@pytest.fixture
def plan_with_secrets(tmp_path: Path) -> Path:
    secrets = planted_secrets()
    text = (FIXTURES / "sensitive_and_secrets.json").read_text()
    text = re.sub(r"\{\{planted:(\w+)\}\}", lambda match: json.dumps(secrets[match[1]])[1:-1], text)
    path = tmp_path / "plan.json"
    path.write_text(text)
    return path


def preview(plan: Path | str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AI_", "MAX_INPUT", "OPENAI_"))
    }
    environment.update(PYTHONPATH="lambda", **env)
    return subprocess.run(
        [sys.executable, "-m", "ai_reviewer", "preview", str(plan)],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_the_openai_request_body_without_secrets(plan_with_secrets: Path) -> None:
    result = preview(plan_with_secrets)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    request = json.loads(lines[0])
    assert request["model"] == "gpt-4o-mini"
    assert [message["role"] for message in request["messages"]] == ["system", "user"]
    document = json.loads(request["messages"][1]["content"])
    assert document["destructive_changes"] == ["aws_instance.bastion (replace)", "aws_s3_bucket.logs (delete)"]
    sensitive = set(re.findall(r'"(tf-sensitive-[a-z0-9-]+)"', plan_with_secrets.read_text()))
    leaked = [value for value in [*sensitive, *planted_secrets().values()] if value in result.stdout]
    assert leaked == []
    assert "values redacted" in result.stderr


def test_bedrock_preview_prints_the_converse_request(plan_with_secrets: Path) -> None:
    result = preview(plan_with_secrets, AI_PROVIDER="bedrock", AI_MODEL="anthropic.claude-3-5-haiku-20241022-v1:0")

    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["modelId"] == "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert request["toolConfig"]["toolChoice"] == {"tool": {"name": "submit_plan_review"}}
    assert request["messages"][0]["content"][0]["text"].startswith("{")


def test_budget_comes_from_the_environment(tmp_path: Path) -> None:
    changes = [
        {
            "address": f"aws_instance.web[{index}]",
            "type": "aws_instance",
            "change": {"actions": ["update"], "before": {"size": index}, "after": {"size": index + 1}},
        }
        for index in range(600)
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"resource_changes": changes}))

    small = preview(path, MAX_INPUT_TOKENS="4000")
    large = preview(path)

    assert small.returncode == large.returncode == 0
    assert "coverage" in json.loads(json.loads(small.stdout)["messages"][1]["content"])
    assert "coverage" not in json.loads(json.loads(large.stdout)["messages"][1]["content"])


def test_plan_without_changes_prints_no_request() -> None:
    result = preview(FIXTURES / "no_changes.json")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "0 request(s)" in result.stderr


@pytest.mark.parametrize("problem", ["missing", "not-json", "not-object"])
def test_unreadable_plan_is_an_error(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "plan.json"
    if problem == "not-json":
        path.write_text("{")
    elif problem == "not-object":
        path.write_text("[]")

    result = preview(path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")

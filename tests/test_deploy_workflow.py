"""The pipeline example: plan on pull requests, apply on main, AWS through OIDC role assumption only."""

from __future__ import annotations

from typing import Any

import yaml

from stacks.config import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "atlantis-infra.yml"


def load() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key "on" as a boolean
    return document


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_pull_requests_plan_and_main_applies() -> None:
    workflow = load()
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]

    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert "refs/heads/main" in apply["if"]
    plan_script = next(step["run"] for step in steps(plan) if step.get("name") == "Terraform plan")
    apply_script = next(step["run"] for step in steps(apply) if step.get("name") == "Terraform plan and apply")
    assert "terraform plan" in plan_script and "terraform apply" not in plan_script
    assert "terraform apply -input=false -no-color tfplan" in apply_script


def test_both_jobs_synthesize_with_pipenv_and_npm_ci() -> None:
    for job in load()["jobs"].values():
        commands = "\n".join(step.get("run", "") for step in steps(job))
        assert "pipenv sync" in commands and "npm ci" in commands
        assert "pipenv run python main.py" in commands


def test_aws_access_is_oidc_role_assumption_without_static_keys() -> None:
    workflow = load()

    assert workflow["permissions"]["id-token"] == "write"
    for job in workflow["jobs"].values():
        [credentials] = [
            s for s in steps(job) if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials")
        ]
        assert credentials["with"]["role-to-assume"].startswith("${{ vars.")
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
    text = WORKFLOW.read_text()
    assert "secrets." not in text
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text

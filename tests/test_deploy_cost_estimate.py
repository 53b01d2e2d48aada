"""quick-deploy prints the monthly estimate of the stack it is about to apply, in one line with the command that
itemizes it, before it asks to apply; the figure is the cost command's own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.health_server import HealthServer
from tests.deploy_fakes.helpers import DeployPaths, FakeTerraform, fake_github_token, run_cli

pytest_plugins = ["tests.deploy_fakes.fixtures"]

BUCKET = "acme-atlantis-tfstate-ap-northeast-2"
APPLY_PROMPT = "Apply this plan to prod-atlantis-stack?"


@pytest.fixture
def prod_stack(deploy_paths: DeployPaths, synthesized: dict[str, Any]) -> Path:
    """The real synthesized prod stack, with the backend the --org acme config expects."""
    document = json.loads(json.dumps(synthesized["prod"]))
    document["terraform"]["backend"]["s3"]["bucket"] = BUCKET
    stack_dir = deploy_paths.stack_dir()
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(document))
    return stack_dir


def cost_command_total(stack_dir: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "costs", str(stack_dir), "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{json.loads(result.stdout)['totals']['total_usd']:,.2f}"


def test_the_estimate_line_comes_before_the_apply_prompt(
    moto_aws: RecordingMotoServer,
    fake_github: FakeGitHub,
    deploy_paths: DeployPaths,
    fake_terraform: FakeTerraform,
    prod_stack: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = fake_github_token()
    fake_github.add_token(token, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", token)
    with HealthServer(unhealthy_answers=0) as atlantis:
        fake_terraform.set_outputs(atlantis_url=atlantis.url, webhook_url=f"{atlantis.url}/events")
        result = run_cli(
            *("--org", "acme", "--skip-synth", "--config-dir", str(deploy_paths.config_dir)),
            *("--health-timeout", "5", "--poll-interval", "0.01"),
            stdin="yes\nyes\n",
            terminal=True,
        )

    assert result.code == 0, result.err
    estimate_lines = [line.strip() for line in result.out.splitlines() if "monthly estimate" in line]
    assert len(estimate_lines) == 1
    [line] = estimate_lines
    total = cost_command_total(prod_stack)
    assert line.startswith(f"monthly estimate: ${total} for prod-atlantis-stack (")
    assert re.search(r"prices as of \d{4}-\d{2}-\d{2}\); breakdown: .*python3 -m costs \S+prod-atlantis-stack", line)
    assert result.out.index("monthly estimate") < result.out.index(APPLY_PROMPT)
    assert fake_terraform.commands()[-2:] == ["apply", "output"]


def test_the_breakdown_command_it_prints_runs(prod_stack: Path) -> None:
    from deploy.cost_estimate import breakdown_command

    command = breakdown_command(prod_stack)
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert "Monthly cost of prod-atlantis-stack" in result.stdout


def test_an_unreadable_stack_gives_a_line_and_does_not_stop_the_deploy(tmp_path: Path) -> None:
    from deploy.cost_estimate import monthly_estimate_line

    line = monthly_estimate_line(tmp_path)
    assert line.startswith("monthly estimate unavailable (cannot read ") and "\n" not in line

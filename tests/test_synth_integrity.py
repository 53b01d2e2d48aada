"""Whole-output checks: every reference resolves, no secret reaches cdktf.out, outputs are what the next step needs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from stacks.machinery.selection import FRAMEWORK
from tests.conftest import REPO

REFERENCE = re.compile(
    r"(?<![\w.])(?:(?P<data>data)\.)?(?P<type>[a-z][a-z0-9]*_[a-z0-9_]+)\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
)
VARIABLE = re.compile(r"(?<![\w.])var\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)")
LOCAL = re.compile(r"(?<![\w.])local\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def expressions(text: str) -> Iterator[str]:
    """The bodies of ${...} interpolations, with nested braces balanced."""
    start = text.find("${")
    while start != -1:
        depth, index = 0, start + 1
        while index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                break
            index += 1
        yield text[start + 2 : index]
        start = text.find("${", index)


def all_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    return {path.parent.name: json.loads(path.read_text()) for path in (outdir / "stacks").glob("*/cdk.tf.json")}


def test_every_reference_names_something_defined_in_its_stack(synth_outdir: Path) -> None:
    stacks = all_stacks(synth_outdir)
    assert len(stacks) >= 6
    checked = 0
    for stack_name, stack in stacks.items():
        resources = {(kind, name) for kind, by_name in stack.get("resource", {}).items() for name in by_name}
        data = {(kind, name) for kind, by_name in stack.get("data", {}).items() for name in by_name}
        variables = set(stack.get("variable", {}))
        local_names = set(stack.get("locals", {}))
        for text in strings({key: stack[key] for key in ("resource", "data", "output", "locals") if key in stack}):
            for expression in expressions(text):
                for match in REFERENCE.finditer(expression):
                    target = (match["type"], match["name"])
                    if match["data"]:
                        assert target in data, f"{stack_name}: data.{target} is not defined"
                    elif match["type"].startswith(("aws_", "random_", "null_")):
                        assert target in resources, f"{stack_name}: {target} is not defined"
                    checked += 1
                for match in VARIABLE.finditer(expression):
                    assert match["name"] in variables, f"{stack_name}: var.{match['name']} is not defined"
                for match in LOCAL.finditer(expression):
                    assert match["name"] in local_names, f"{stack_name}: local.{match['name']} is not defined"
    assert checked > 100, "the walk found the stacks' references"


def test_outputs_give_the_next_step_what_it_needs(synthesized: dict[str, Any]) -> None:
    outputs = synthesized["prod"]["output"]
    assert set(outputs) >= {
        "atlantis_url",
        "webhook_url",
        "alb_dns_name",
        "ecs_cluster_name",
        "ecs_service_name",
        "secret_arn",
        "efs_file_system_id",
        "log_group_name",
    }
    assert outputs["webhook_url"]["value"].endswith("/events")
    assert synthesized["prod_full"]["output"]["atlantis_url"]["value"] == "https://atlantis.example.com"


def fake_secret_values() -> dict[str, str]:
    """Secret-shaped values assembled at run time (never committed as literals)."""
    return {
        "ATLANTIS_GITHUB_TOKEN": "ghp_" + "T3stT0ken" * 4,
        "INFRACOST_API_KEY": "ico-" + "f4ke" * 8,
        "OPENAI_API_KEY": "sk-" + "f4keOpenAi" * 4,
        "SLACK_WEBHOOK_URL": "https://hooks.example.invalid/services/" + "F4KE" * 6,
        "ATLANTIS_AWS_ACCESS_KEY_ID": "AKIA" + "F4KEF4KEF4KEF4KE",
        "ATLANTIS_AWS_SECRET_ACCESS_KEY": "f4ke/" + "S3cr3t" * 6,
        "AWS_SECRET_ACCESS_KEY": "f4ke/" + "An0th3r" * 5,
    }


def test_secret_environment_values_never_reach_cdktf_out(tmp_path: Path) -> None:
    secrets = fake_secret_values()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "STACKKIT_", "CDKTF_"))}
    environment.update(secrets, STACKKIT_OUTDIR=str(tmp_path / "cdktf.out"))
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=REPO, env=environment, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    written = [path for path in (tmp_path / "cdktf.out").rglob("*") if path.is_file()]
    assert written
    for path in written:
        content = path.read_bytes()
        for name, value in secrets.items():
            assert value.encode() not in content, f"{name} leaked into {path}"
    for value in secrets.values():
        assert value not in result.stdout + result.stderr
    # The output is clean: no jsii Node.js banner, only our warnings and the summary line.
    assert "end-of-life" not in result.stderr and "!!!!" not in result.stderr
    # The last line names every stack written, the state-backend bootstrap stack too, each with its folder.
    folders = sorted(str(path.parent) for path in (tmp_path / "cdktf.out").glob("stacks/*/cdk.tf.json"))
    assert len(folders) == 3
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("synthesized ")
    assert sorted(summary.removeprefix("synthesized ").split(", ")) == folders


def test_resynth_keeps_terraform_working_state(tmp_path: Path, scenario_configs: dict[str, Any]) -> None:
    from stacks.app import synthesize

    outdir = tmp_path / "cdktf.out"
    config = scenario_configs["dev"]
    synthesize([config], str(outdir))
    stack_dir = outdir / "stacks" / config.stack_name
    (stack_dir / ".terraform").mkdir()
    (stack_dir / ".terraform" / "marker").write_text("providers")
    (stack_dir / ".terraform.lock.hcl").write_text("# lock")
    (stack_dir / "local_override.tf.json").write_text("{}")
    synthesize([config], str(outdir))
    assert (stack_dir / ".terraform" / "marker").read_text() == "providers"
    assert (stack_dir / ".terraform.lock.hcl").read_text() == "# lock"
    assert (stack_dir / "local_override.tf.json").read_text() == "{}", "override files survive, as with cdktf synth"


def test_cdktf_cli_synth_produces_the_same_stacks(tmp_path: Path) -> None:
    """cdktf synth, or cdktn synth on CDK Terrain (its CLI reads the same cdktf.json and runs the app in its venv)."""
    cli = REPO / FRAMEWORK.node_project / "node_modules" / ".bin" / FRAMEWORK.cli
    assert cli.exists(), f"run ./project.sh test (npm ci installs the {FRAMEWORK.cli} CLI)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "STACKKIT_", "CDKTF_"))}
    environment.update(CHECKPOINT_DISABLE="1", CI="1", PIPENV_VERBOSITY="-1", PIPENV_VENV_IN_PROJECT="1")
    # The framework's node_modules/.bin first: cdktn-cli needs Node >= 22.19, which frameworks/cdktn installs there.
    bin_dir = REPO / FRAMEWORK.node_project / "node_modules" / ".bin"
    environment.update(PIPENV_PIPFILE=str(REPO / FRAMEWORK.pipfile), PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    outdir = tmp_path / "cli.out"
    result = subprocess.run(
        [str(cli), "synth", "--output", str(outdir)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = {path.parent.name for path in outdir.glob("stacks/*/cdk.tf.json")}
    assert stacks == {"prod-atlantis-stack", "dev-atlantis-stack", "mycompany-state-backend-ap-northeast-2"}
    prod = json.loads((outdir / "stacks/prod-atlantis-stack/cdk.tf.json").read_text())
    assert prod["terraform"]["backend"]["s3"]["key"] == "prod-atlantis-stack/terraform.tfstate"
    assert prod["//"]["metadata"]["version"] == metadata.version(FRAMEWORK.core_package)  # the app ran on it
    assert "end-of-life" not in result.stdout + result.stderr

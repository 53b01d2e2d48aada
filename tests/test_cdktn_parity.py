"""cdktf and CDK Terrain synthesize the same infrastructure (integration tier: ``./project.sh test-integration``).

Every shipped config (``python main.py`` on config/*.tfvars) and every test scenario of tests/conftest.py (all in
one app) is synthesized twice, once in each framework's venv (``./project.sh test-integration`` installs both: the
top-level Pipfile's .venv and frameworks/cdktn/.venv). tools/framework_parity.py then compares the two output
folders: they may differ only in framework metadata and the provider requirement, and any other difference fails
with the file and JSON pointer that differ. The CDK Terrain output also passes ``terraform validate`` against the
mirrored AWS provider, as the cdktf output does in the terraform tier.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks.machinery.selection import FRAMEWORKS
from tests.conftest import REPO, SCENARIOS, write_scenario
from tests.terraform.harness import Toolchain, validate_copy
from tools.framework_parity import compare_outputs, provider_address

# One worker runs the module: its fixture synthesizes everything with both frameworks (--dist loadgroup).
pytestmark = [pytest.mark.cdktn, pytest.mark.xdist_group("cdktn_parity")]
pytest_plugins = ["tests.terraform.fixtures"]

SYNTH_TIMEOUT_SECONDS = 600

# Builds one app from every .tfvars file in a folder (the scenarios share environment = "prod", so main.py's
# load_all would refuse them together) and synthesizes it, as tests/conftest.py's synth_outdir fixture does.
SCENARIO_DRIVER = """
import sys
from pathlib import Path
from stacks.app import synthesize
from stacks.config import load_config
synthesize([load_config(path, environ={}) for path in sorted(Path(sys.argv[1]).glob("*.tfvars"))], sys.argv[2])
"""


@dataclass(frozen=True)
class Outputs:
    shipped: Path
    scenarios: Path


def framework_python(name: str) -> Path:
    python = REPO / Path(FRAMEWORKS[name].pipfile).parent / ".venv" / "bin" / "python"
    assert python.exists(), f"no {name} venv at {python}; run ./project.sh test-integration (it installs both)"
    return python


def clean_environment(name: str, outdir: Path) -> dict[str, str]:
    ambient = ("STACKKIT_", "CDKTF_", "TF_", "PIPENV_", "VIRTUAL_ENV")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(ambient)}
    return {**environment, "STACKKIT_FRAMEWORK": name, "STACKKIT_OUTDIR": str(outdir)}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outputs]:
    """Both frameworks' synths, one after another (each is a whole synth of its own; side by side they would only
    compete for the two cores)."""
    base = tmp_path_factory.mktemp("parity")
    scenario_dir = base / "scenarios"
    scenario_dir.mkdir()
    for scenario in SCENARIOS:
        write_scenario(scenario_dir, scenario)
    pythons = {name: framework_python(name) for name in FRAMEWORKS}
    result = {name: Outputs(base / name / "shipped", base / name / "scenarios") for name in FRAMEWORKS}
    for name, python in pythons.items():
        for job, command in (
            ("shipped", [str(python), "main.py"]),
            ("scenarios", [str(python), "-c", SCENARIO_DRIVER, str(scenario_dir), str(result[name].scenarios)]),
        ):
            completed = subprocess.run(
                command,
                cwd=REPO,
                env=clean_environment(name, getattr(result[name], job)),
                capture_output=True,
                text=True,
                timeout=SYNTH_TIMEOUT_SECONDS,
            )
            assert completed.returncode == 0, f"{name} synth of the {job} configs failed:\n{completed.stderr[-3000:]}"
    return result


def stacks_of(outdir: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(outdir.glob("stacks/*/cdk.tf.json"))}


@pytest.mark.parametrize("job", ["shipped", "scenarios"])
def test_both_frameworks_synthesize_the_same_infrastructure(outputs: dict[str, Outputs], job: str) -> None:
    cdktf_out, cdktn_out = getattr(outputs["cdktf"], job), getattr(outputs["cdktn"], job)
    expected_stacks = 3 if job == "shipped" else len(SCENARIOS) + 1  # each environment, plus the state backend
    assert len(stacks_of(cdktf_out)) == len(stacks_of(cdktn_out)) == expected_stacks
    differences = compare_outputs(cdktf_out, cdktn_out)
    assert not differences, "the frameworks' outputs differ beyond metadata and provider requirement:\n" + "\n".join(
        differences[:40]
    )


def test_the_outputs_really_come_from_two_frameworks(outputs: dict[str, Outputs]) -> None:
    """The allowed differences are there: each framework's own version, and each bindings' provider version."""
    cdktf_stack = stacks_of(outputs["cdktf"].shipped)["prod-atlantis-stack"]
    cdktn_stack = stacks_of(outputs["cdktn"].shipped)["prod-atlantis-stack"]
    assert cdktf_stack["//"]["metadata"]["version"] == "0.21.0"
    assert cdktn_stack["//"]["metadata"]["version"] == "0.24.0"
    cdktf_aws = cdktf_stack["terraform"]["required_providers"]["aws"]
    cdktn_aws = cdktn_stack["terraform"]["required_providers"]["aws"]
    assert cdktf_aws["version"] == "6.25.0"  # the last cdktf bindings, cdktf-cdktf-provider-aws 21.22.1
    assert cdktn_aws["version"].startswith("6.") and cdktn_aws["version"] != cdktf_aws["version"]
    assert provider_address(cdktf_aws["source"]) == provider_address(cdktn_aws["source"])
    assert provider_address(cdktn_aws["source"]) == "registry.terraform.io/hashicorp/aws"
    # aws_provider_version pins the provider on CDK Terrain too (the prod_minimal_keys scenario sets 6.30.0).
    pinned = stacks_of(outputs["cdktn"].scenarios)["aws-keys-stack"]["terraform"]["required_providers"]["aws"]
    assert pinned["version"] == "6.30.0"
    # Logical ids (the resource addresses terraform keeps state under) are the same set in both.
    for stack_name, stack in stacks_of(outputs["cdktf"].scenarios).items():
        other = stacks_of(outputs["cdktn"].scenarios)[stack_name]
        addresses = {(kind, name) for kind, blocks in stack.get("resource", {}).items() for name in blocks}
        assert addresses == {(kind, name) for kind, blocks in other.get("resource", {}).items() for name in blocks}


@pytest.mark.terraform
def test_cdk_terrain_output_passes_terraform_validate(
    outputs: dict[str, Outputs], toolchain: Toolchain, tmp_path: Path
) -> None:
    """With the terraform tier's toolchain (the mirror it finds, the provider pinned by an override file)."""
    stacks = sorted(outputs["cdktn"].shipped.glob("stacks/*/cdk.tf.json"))
    for stack_file in stacks:
        _, errors = validate_copy(toolchain, stack_file.parent, tmp_path / stack_file.parent.name)
        assert not errors, f"{stack_file.parent.name} ({toolchain.banner}): " + "; ".join(errors)
    assert len(stacks) == 3

"""pytest fixtures for the terraform tier (``pytest_plugins = ["tests.terraform.fixtures"]``).

The stacks come from the session's one synthesis (``synth_outdir`` in tests/conftest.py); every variant of the matrix
is a scenario there, plus the state backend's bootstrap stack. Adding a scenario to SCENARIOS adds it here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.config import AtlantisConfig
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.harness import Toolchain, find_toolchain
from tests.terraform.variants import BOOTSTRAP


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> Toolchain:
    """terraform and the mirrored provider, or a skip with one reason line."""
    found = find_toolchain(tmp_path_factory.mktemp("terraform-cli"), os.environ)
    if isinstance(found, str):
        pytest.skip(f"terraform tests skipped: {found}")
    return found


@pytest.fixture(scope="session")
def variant_dirs(
    toolchain: Toolchain, synth_outdir: Path, scenario_configs: dict[str, AtlantisConfig]
) -> dict[str, Path]:
    """Variant name -> its synthesized stack folder (never modified: tests copy it)."""
    from stacks.backend import bootstrap_stack_name

    stacks = synth_outdir / "stacks"
    folders = {name: stacks / config.stack_name for name, config in scenario_configs.items()}
    folders[BOOTSTRAP] = stacks / bootstrap_stack_name(scenario_configs["prod"])
    return folders


@pytest.fixture(scope="module")
def emulator(toolchain: Toolchain) -> Iterator[RecordingMotoServer]:
    """moto on 127.0.0.1 with a free port, for one test module. It runs in this process, so moto's settings come
    from this environment: AWS-managed IAM policies (task_policy_arns = ReadOnlyAccess) exist, as in an account."""
    previous = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = RecordingMotoServer()
    server.start()  # moto builds each backend on first use, after the setting is in place
    yield server
    server.stop()
    if previous is None:
        os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
    else:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = previous

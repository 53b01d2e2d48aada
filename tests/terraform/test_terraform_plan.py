"""``terraform plan`` of every variant against moto: the provider reads the emulator's account, zones and the
objects the data sources need (created first, as a deploy would), and plans to create every resource."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.emulator import create_prerequisites, emulator_environment, variable_values
from tests.terraform.harness import (
    EMULATOR_OVERRIDE,
    PIN_OVERRIDE,
    StackCopy,
    Toolchain,
    emulator_override,
    pin_override,
    planned_actions,
    terraform,
)
from tests.terraform.variants import VARIANTS

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform


def without_index(address: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", address)


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_plans_against_the_emulator(
    variant: str,
    toolchain: Toolchain,
    variant_dirs: dict[str, Path],
    emulator: RecordingMotoServer,
    tmp_path: Path,
) -> None:
    stack = StackCopy.of(variant_dirs[variant], tmp_path / variant)
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))
    stack.write_override(EMULATOR_OVERRIDE, emulator_override(stack, local_state=tmp_path / "terraform.tfstate"))
    create_prerequisites(emulator, stack)
    env = emulator_environment(emulator.endpoint, tmp_path)

    terraform(toolchain, stack.path, "init", "-input=false", "-no-color", env=env, timeout=180)
    # -json: the planned changes come with the plan, so no `terraform show -json` starts the provider a second time.
    planned = terraform(
        toolchain, stack.path, "plan", "-input=false", "-json", "-out=tfplan", *variable_values(stack), env=env
    )
    changes = planned_actions(planned.stdout)

    assert {action for _, action in changes} == {"create"}, f"{variant}: a first plan only creates"
    assert {without_index(address) for address, _ in changes} == set(stack.resources()), (
        f"{variant}: every resource of the stack is planned"
    )

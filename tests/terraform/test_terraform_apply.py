"""``terraform apply`` then ``terraform destroy`` against moto for default prod, every feature, and HA: every
resource is created and then destroyed, except the listed emulator gaps (left out of this copy only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.emulator import create_prerequisites, emulator_environment, variable_values
from tests.terraform.emulator_gaps import gap_types, stand_ins
from tests.terraform.harness import (
    EMULATOR_OVERRIDE,
    GAPS_OVERRIDE,
    PIN_OVERRIDE,
    StackCopy,
    Toolchain,
    emulator_override,
    pin_override,
    state_addresses,
    terraform,
    without_resource_types,
)
from tests.terraform.variants import APPLIED

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform

# moto answers in milliseconds; the provider's own waiters (ALB active, S3 lifecycle consistency) take up to a
# minute, so this bounds a new emulator gap (a waiter that never ends) rather than normal progress.
APPLY_TIMEOUT_SECONDS = 420
PARALLELISM = "-parallelism=20"  # the critical path is the provider's waiters, not moto or the CPU


@pytest.mark.parametrize("variant", APPLIED)
def test_variant_applies_and_destroys_on_the_emulator(
    variant: str,
    toolchain: Toolchain,
    variant_dirs: dict[str, Path],
    emulator: RecordingMotoServer,
    tmp_path: Path,
) -> None:
    emulator.reset()
    stack = StackCopy.of(variant_dirs[variant], tmp_path / variant)
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))
    stack.write_override(EMULATOR_OVERRIDE, emulator_override(stack, local_state=tmp_path / "terraform.tfstate"))
    gaps = without_resource_types(stack, stand_ins())
    if gaps:
        stack.write_override(GAPS_OVERRIDE, gaps)
    expected = {address for address in stack.resources() if address.split(".")[0] not in gap_types()}
    create_prerequisites(emulator, stack)
    env = emulator_environment(emulator.endpoint, tmp_path)
    variables = variable_values(stack)

    terraform(toolchain, stack.path, "init", "-input=false", "-no-color", env=env, timeout=180)
    terraform(
        toolchain,
        stack.path,
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        PARALLELISM,
        *variables,
        env=env,
        timeout=APPLY_TIMEOUT_SECONDS,
    )
    created = state_addresses(toolchain, stack.path, env)
    assert {address.split("[")[0] for address in created} == expected, f"{variant}: every resource was created"

    terraform(
        toolchain,
        stack.path,
        "destroy",
        "-input=false",
        "-no-color",
        "-auto-approve",
        PARALLELISM,
        *variables,
        env=env,
        timeout=APPLY_TIMEOUT_SECONDS,
    )
    assert state_addresses(toolchain, stack.path, env) == [], f"{variant}: every resource was destroyed"

"""Every stack of every variant passes ``terraform init -backend=false`` and ``terraform validate`` with the real
AWS provider (the mirrored version, pinned by an override file in a copy of the stack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.terraform.harness import PIN_OVERRIDE, StackCopy, Toolchain, pin_override, terraform, validation_errors
from tests.terraform.variants import VARIANTS

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_validates(variant: str, toolchain: Toolchain, variant_dirs: dict[str, Path], tmp_path: Path) -> None:
    stack = StackCopy.of(variant_dirs[variant], tmp_path / variant)
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))

    terraform(toolchain, stack.path, "init", "-backend=false", "-input=false", "-no-color", timeout=180)
    result = terraform(toolchain, stack.path, "validate", "-json", "-no-color", timeout=180, ok=(0, 1))

    diagnostics = json.loads(result.stdout)
    assert diagnostics["valid"], f"{variant} ({toolchain.banner}): " + "; ".join(
        validation_errors(diagnostics, toolchain.provider_version)
    )
    assert stack.resources(), f"{variant} has no resources to validate"

"""Every stack of every variant passes ``terraform init -backend=false`` and ``terraform validate`` with the real
AWS provider (the mirrored version, pinned by an override file in a copy of the stack)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.terraform.harness import Toolchain, validate_copy
from tests.terraform.variants import VARIANTS

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_validates(variant: str, toolchain: Toolchain, variant_dirs: dict[str, Path], tmp_path: Path) -> None:
    stack, errors = validate_copy(toolchain, variant_dirs[variant], tmp_path / variant)
    assert not errors, f"{variant} ({toolchain.banner}): " + "; ".join(errors)
    assert stack.resources(), f"{variant} has no resources to validate"

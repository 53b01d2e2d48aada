"""Every entry of the emulator-gap lists is still needed (its probe still sees the gap in moto) and still used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.emulator_gaps import ATTRIBUTE_GAPS, NO_RETRIES, RESOURCE_GAPS, AttributeGap, ResourceGap
from tests.terraform.harness import StackCopy
from tests.terraform.variants import APPLIED

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform


def clients_for(emulator: RecordingMotoServer) -> Any:
    import boto3

    def factory(service: str) -> Any:
        return boto3.client(
            service,
            region_name="ap-northeast-2",
            endpoint_url=emulator.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
        )

    return factory


@pytest.mark.parametrize("gap", RESOURCE_GAPS, ids=lambda gap: gap.resource_type)
def test_resource_gap_is_still_a_gap(gap: ResourceGap, emulator: RecordingMotoServer) -> None:
    assert gap.still_there(clients_for(emulator)), f"moto now handles {gap.resource_type}: delete its entry"


@pytest.mark.parametrize("gap", ATTRIBUTE_GAPS, ids=lambda gap: f"{gap.resource_type}.{gap.attribute}")
def test_attribute_gap_is_still_a_gap(gap: AttributeGap, emulator: RecordingMotoServer) -> None:
    assert gap.still_there(clients_for(emulator)), f"moto now stores {gap.resource_type}.{gap.attribute}"


def test_every_gap_names_a_resource_type_of_an_applied_stack(variant_dirs: dict[str, Path], tmp_path: Path) -> None:
    applied_types = {
        address.split(".")[0]
        for variant in APPLIED
        for address in StackCopy.of(variant_dirs[variant], tmp_path / variant).resources()
    }
    listed = [gap.resource_type for gap in RESOURCE_GAPS] + [gap.resource_type for gap in ATTRIBUTE_GAPS]
    assert set(listed) <= applied_types
    reasons = [gap.reason for gap in RESOURCE_GAPS] + [gap.reason for gap in ATTRIBUTE_GAPS]
    assert all(reason and "\n" not in reason for reason in reasons), "one line of reason each"

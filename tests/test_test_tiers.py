"""The two test tiers: which tests the fast suite leaves to the integration tier, and the xdist grouping the integration
tier relies on (quick-deploy's two runs share one deployment, the fresh-clone tests one clone)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import INTEGRATION_MARKERS, REPO, pytest_collection_modifyitems

GROUPED_MODULE = """
import pytest

pytestmark = pytest.mark.xdist_group("together")


@pytest.mark.parametrize("case", range(3))
def test_grouped(case):
    pass
"""
UNGROUPED_MODULE = """
import pytest


@pytest.mark.parametrize("case", range(4))
def test_free(case):
    pass
"""


@pytest.mark.integration  # it starts a pytest with two workers; it guards that tier, so it runs there
def test_loadgroup_runs_a_group_on_one_worker(tmp_path: Path) -> None:
    """pytest-xdist's --dist loadgroup with the locked pytest; on pytest 9.2 it silently stops grouping
    (pytest-dev/pytest-xdist#1386), and each worker would then deploy and clone on its own."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_grouped_a.py").write_text(GROUPED_MODULE)
    (tmp_path / "test_grouped_b.py").write_text(GROUPED_MODULE)
    (tmp_path / "test_free.py").write_text(UNGROUPED_MODULE)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:]
    ran = re.findall(r"^\[(gw\d)\] \[ *\d+%\] PASSED (\S+)", completed.stdout, flags=re.MULTILINE)
    grouped = {worker for worker, test in ran if "test_grouped" in test}
    assert len(ran) == 10
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}: {ran}"


class FakeItem:
    def __init__(self, *markers: str) -> None:
        self.markers = list(markers)

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.markers.append(marker.name)


@pytest.mark.parametrize("marker", INTEGRATION_MARKERS)
def test_each_integration_marker_puts_a_test_in_the_integration_tier(marker: str) -> None:
    items = [FakeItem(marker), FakeItem("synth"), FakeItem()]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.markers for item in items] == [[marker, "integration"], ["synth"], []]


def test_the_fast_suite_leaves_out_exactly_the_integration_tier() -> None:
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-m 'not integration'" in options["addopts"]
    registered = {line.split(":")[0] for line in options["markers"]}
    assert {"integration", *INTEGRATION_MARKERS} <= registered
    assert "pytest -m integration -n 4 --dist loadgroup" in (REPO / "project.sh").read_text()

"""checkov over the four reference configs: 0 failed checks, and every skip justified in .checkov.yaml."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

# The four reference configs, plus HA (Redis), OIDC with GitHub-only webhooks, and the budget preset.
CHECKOV_CONFIGS = ("prod", "dev", "prod_full", "prod_existing_vpc", "prod_ha", "prod_oidc", "budget")
SKIP_LINE = re.compile(r"^\s*-\s*(?P<check>CKV2?_AWS_\d+)\s*#\s*(?P<reason>\S.{20,})$")


def checkov_binary() -> str | None:
    candidates = [os.environ.get("CHECKOV_BIN"), str(REPO / ".venv-checkov/bin/checkov"), shutil.which("checkov")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def skipped_checks() -> dict[str, str]:
    lines = (REPO / ".checkov.yaml").read_text().splitlines()
    return {m["check"]: m["reason"] for line in lines if (m := SKIP_LINE.match(line))}


def test_every_skip_has_a_reason_and_there_are_at_most_eleven() -> None:
    text = (REPO / ".checkov.yaml").read_text()
    listed = re.findall(r"^\s*-\s*(CKV\S+)", text, flags=re.MULTILINE)
    skips = skipped_checks()
    assert sorted(listed) == sorted(skips), "each skip line has the form '- CHECK_ID  # reason'"
    # Ten security-posture skips, plus CKV_AWS_65 for Container Insights off where its metrics are not used (cost).
    assert 0 < len(skips) <= 11


@pytest.fixture(scope="module")
def scan_root(synth_outdir: Path, scenario_configs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("checkov")
    for name in CHECKOV_CONFIGS:
        stack = scenario_configs[name].stack_name
        shutil.copytree(synth_outdir / "stacks" / stack, root / stack)
    shutil.copytree(synth_outdir / "stacks" / "mycompany-state-backend-ap-northeast-2", root / "bootstrap")
    return root


def run_checkov(scan_root: Path, config_file: Path) -> list[dict[str, Any]]:
    binary = checkov_binary()
    if binary is None:
        pytest.fail("checkov is not installed: run ./project.sh test (it installs .venv-checkov)")
    result = subprocess.run(
        [binary, "--config-file", str(config_file), "-d", str(scan_root), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=scan_root,  # so checkov does not pick up the repo's .checkov.yaml on its own
    )
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


@pytest.fixture(scope="module")
def unskipped_report(scan_root: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One scan with .checkov.yaml's settings but none of its skips. A skip-check entry drops its check everywhere,
    so the scan with the skips fails exactly these failures minus the skipped check ids: both tests read this one
    scan instead of scanning twice."""
    settings = yaml.safe_load((REPO / ".checkov.yaml").read_text())
    assert settings.pop("skip-check"), "the skips are in .checkov.yaml's skip-check list"
    config_file = tmp_path_factory.mktemp("checkov-config") / "checkov.yaml"
    config_file.write_text(yaml.safe_dump(settings))
    return run_checkov(scan_root, config_file)


def failures(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [check for section in report for check in section["results"]["failed_checks"]]


def test_checkov_finds_no_failed_check(unskipped_report: list[dict[str, Any]]) -> None:
    skips = skipped_checks()
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in failures(unskipped_report)
        if check["check_id"] not in skips
    ]
    assert failed == []
    assert sum(section["summary"]["passed"] for section in unskipped_report) > 500, "checkov scanned the stacks"
    assert all(section["summary"]["parsing_errors"] == 0 for section in unskipped_report)


def test_every_skip_is_still_needed(unskipped_report: list[dict[str, Any]]) -> None:
    """Without the skips, exactly the skipped checks fail: no skip hides a check that would now pass."""
    assert {check["check_id"] for check in failures(unskipped_report)} == set(skipped_checks())

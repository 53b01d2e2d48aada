"""pytest fixtures for the deploy tool's tests (loaded with ``pytest_plugins = ["tests.deploy_fakes.fixtures"]``).

Every AWS call goes to a moto server on 127.0.0.1 through real HTTP and real boto3 clients; GitHub and /healthz go
to local stand-ins; ``terraform`` on PATH is the fake in this folder. Nothing reaches the network.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import FAKES, REGION, DeployPaths, FakeTerraform

# Variables a developer's shell may carry that would change what the code under test does.
_AMBIENT = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "ATLANTIS_AWS_ACCESS_KEY_ID",
    "ATLANTIS_AWS_SECRET_ACCESS_KEY",
    "ATLANTIS_AWS_SESSION_TOKEN",
    "ATLANTIS_GITHUB_TOKEN",
    "GITHUB_TOKEN",
    "INFRACOST_API_KEY",
    "OPENAI_API_KEY",
    "SLACK_WEBHOOK_URL",
    "TF_STACK_REGION",
    "TF_STACK_NAME",
    "TF_VERSION",
    "STACKKIT_ENVIRONMENTS",
    "STACKKIT_CONFIG_DIR",
    "CDKTF_OUTDIR",
    "TF_PLUGIN_CACHE_DIR",
)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[RecordingMotoServer]:
    server = RecordingMotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def moto_aws(moto_server: RecordingMotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RecordingMotoServer:
    """A clean moto server, and an environment whose AWS SDK talks only to it."""
    moto_server.reset()
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return moto_server


@pytest.fixture
def fake_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    github = FakeGitHub().start()
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    yield github
    github.stop()


@pytest.fixture
def deploy_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeployPaths:
    """A copy of the repository's config/ and an output folder, so no test touches the real ones."""
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    outdir = tmp_path / "cdktf.out"
    monkeypatch.setenv("STACKKIT_OUTDIR", str(outdir))
    return DeployPaths(config_dir, outdir)


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTerraform:
    """``terraform`` on PATH is the fake, run by this interpreter (so its shebang does not matter)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "terraform"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKES / "terraform"}" "$@"\n')
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    terraform = FakeTerraform(tmp_path / "terraform-calls.jsonl", tmp_path / "terraform-outputs.json")
    monkeypatch.setenv("FAKE_TERRAFORM_LOG", str(terraform.log))
    monkeypatch.setenv("FAKE_TERRAFORM_OUTPUTS", str(terraform.outputs))
    terraform.set_outputs(atlantis_url="http://127.0.0.1:9", webhook_url="http://127.0.0.1:9/events")
    return terraform


@pytest.fixture
def no_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without any terraform, real or fake."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

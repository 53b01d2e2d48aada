"""Emulator mode (--aws-endpoint / STACKKIT_AWS_ENDPOINT), the option LocalStack and moto users deploy with: what
changes (endpoint for boto3 and Terraform, S3 path-style, no TLS-only state bucket statement) and what a run without
it puts back. The same option runs with the real terraform in tests/terraform/test_terraform_quick_deploy.py."""

from __future__ import annotations

import json

import pytest

from deploy.backend import TLS_ONLY_SID
from deploy.emulator import OVERRIDE_FILE
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.health_server import HealthServer
from tests.deploy_fakes.helpers import DeployPaths, FakeTerraform, aws_client, fake_github_token, run_cli

pytest_plugins = ["tests.deploy_fakes.fixtures"]

BUCKET = "acme-atlantis-tfstate-ap-northeast-2"


@pytest.fixture
def ready(
    moto_aws: RecordingMotoServer,
    fake_github: FakeGitHub,
    fake_terraform: FakeTerraform,
    monkeypatch: pytest.MonkeyPatch,
) -> FakeTerraform:
    token = fake_github_token()
    fake_github.add_token(token, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", token)
    return fake_terraform


def deploy_arguments(paths: DeployPaths, *extra: str) -> list[str]:
    stack_dir = paths.synthesized_stub(BUCKET)
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    document["provider"] = {"aws": [{"region": "ap-northeast-2"}, {"alias": "us_east_1", "region": "us-east-1"}]}
    (stack_dir / "cdk.tf.json").write_text(json.dumps(document))
    return [
        "--org", "acme", "--yes", "--skip-synth", "--config-dir", str(paths.config_dir),
        "--health-timeout", "5", "--poll-interval", "0.01", *extra,
    ]  # fmt: skip


def bucket_statements() -> list[str]:
    policy = aws_client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]
    return [statement.get("Sid", "") for statement in json.loads(policy)["Statement"]]


def test_emulator_mode_sends_terraform_to_the_endpoint_with_path_style_s3(
    ready: FakeTerraform, deploy_paths: DeployPaths, moto_aws: RecordingMotoServer
) -> None:
    with HealthServer(unhealthy_answers=0) as atlantis:
        ready.set_outputs(atlantis_url=atlantis.url, webhook_url=f"{atlantis.url}/events")
        result = run_cli(*deploy_arguments(deploy_paths, "--aws-endpoint", moto_aws.endpoint))

    assert result.code == 0, result.err
    init = next(call for call in ready.calls() if call["argv"][0] == "init")
    assert "-backend-config=use_path_style=true" in init["argv"]
    assert init["env"]["AWS_ENDPOINT_URL"] == moto_aws.endpoint
    override = json.loads((deploy_paths.stack_dir() / OVERRIDE_FILE).read_text())
    assert override["provider"]["aws"] == [
        {"s3_use_path_style": True},
        {"alias": "us_east_1", "s3_use_path_style": True},
    ], "every provider block, aliases included, gets path-style S3"
    assert f"emulator mode ({moto_aws.endpoint})" in result.out
    assert aws_client("s3").get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    with pytest.raises(aws_client("s3").exceptions.ClientError):
        bucket_statements()  # no TLS-only statement: moto cannot evaluate aws:SecureTransport


def test_a_run_without_the_option_removes_the_override_and_adds_the_tls_only_statement(
    ready: FakeTerraform, deploy_paths: DeployPaths, moto_aws: RecordingMotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HealthServer(unhealthy_answers=0) as atlantis:
        ready.set_outputs(atlantis_url=atlantis.url, webhook_url=f"{atlantis.url}/events")
        monkeypatch.setenv("STACKKIT_AWS_ENDPOINT", moto_aws.endpoint)
        assert run_cli(*deploy_arguments(deploy_paths)).code == 0
        assert (deploy_paths.stack_dir() / OVERRIDE_FILE).is_file(), "the variable turns emulator mode on too"
        monkeypatch.delenv("STACKKIT_AWS_ENDPOINT")
        result = run_cli(*deploy_arguments(deploy_paths))

    assert result.code == 0, result.err
    assert not (deploy_paths.stack_dir() / OVERRIDE_FILE).exists()
    assert TLS_ONLY_SID in bucket_statements()
    init = [call for call in ready.calls() if call["argv"][0] == "init"][-1]
    assert not any("use_path_style" in argument for argument in init["argv"])


def test_an_endpoint_that_is_not_a_url_is_one_line_of_error(
    ready: FakeTerraform, deploy_paths: DeployPaths, moto_aws: RecordingMotoServer
) -> None:
    result = run_cli(*deploy_arguments(deploy_paths, "--aws-endpoint", "localhost:4566"))

    assert result.code == 1
    assert "'localhost:4566' is not a URL" in result.err
    assert "Traceback" not in result.err
    assert ready.calls() == []

"""Bad inputs stop the deploy before anything in AWS (or the config file) changes, with one clear line."""

from __future__ import annotations

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import (
    CliResult,
    DeployPaths,
    aws_client,
    fake_fine_grained_token,
    fake_github_token,
    run_cli,
)

pytest_plugins = ["tests.deploy_fakes.fixtures"]


@pytest.fixture
def token(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> str:
    value = fake_github_token()
    fake_github.add_token(value, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", value)
    return value


def deploy(paths: DeployPaths, *arguments: str) -> CliResult:
    return run_cli("--no-apply", "--yes", "--config-dir", str(paths.config_dir), *arguments)


def assert_stopped_cleanly(result: CliResult, moto: RecordingMotoServer, paths: DeployPaths, original: str) -> None:
    assert result.code == 1
    assert result.err.startswith("error: ")
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err
    assert moto.log.changes() == []
    assert aws_client("s3").list_buckets()["Buckets"] == []
    assert aws_client("secretsmanager").list_secrets()["SecretList"] == []
    assert paths.prod.read_text() == original


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--org", "acme_corp"), '--org "acme_corp" is not a GitHub organization name'),
        (("--org", "acme", "--region", "mars-north-1"), '--region "mars-north-1" is not an AWS region'),
        (("--org", "acme", "--vpc-id", "vpc-12"), '--vpc-id "vpc-12" is not a VPC id'),
        (("--org", "acme", "--create-webhooks"), "--create-webhooks needs the webhook URL from terraform apply"),
        (("--org", "acme", "--openai-key", "sk-" + "a" * 20), "--openai-key is only used by the AI reviewer"),
        (("--org", "acme", "--domain", "not a domain"), '--domain: "not a domain" is not a hostname'),
    ],
)
def test_bad_flags_stop_at_validation(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    arguments: tuple[str, ...],
    message: str,
) -> None:
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, *arguments)

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert result.err.startswith("error: [1/8] Validate inputs failed")
    assert message in result.err


def test_a_token_of_the_wrong_shape_is_refused_without_echoing_it(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_token = "hunter2-" + "z" * 30
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", not_a_token)
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "ATLANTIS_GITHUB_TOKEN is not a GitHub token" in result.err
    assert not_a_token not in result.out + result.err


def test_a_token_passed_as_a_flag_is_never_printed(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_github: FakeGitHub
) -> None:
    flag_token = fake_fine_grained_token()
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme", "--github-token", flag_token)

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "GitHub rejected the token (401 Bad credentials)" in result.err
    assert flag_token not in result.out + result.err
    assert "prefer ATLANTIS_GITHUB_TOKEN" in result.out


def test_a_token_without_the_repo_scope_is_refused_in_preflight(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = fake_github_token()
    fake_github.add_token(weak, "acme-bot", scopes="read:org")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", weak)
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert result.err.startswith("error: [2/8] Preflight checks failed")
    assert "lacks the scope(s) repo (it has: read:org)" in result.err


def test_an_unknown_organization_is_refused_in_preflight(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "nobody-here")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert 'GitHub has no organization or user "nobody-here"' in result.err


def test_no_token_at_all_is_refused_in_preflight(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_github: FakeGitHub
) -> None:
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "no GitHub token. set ATLANTIS_GITHUB_TOKEN" in result.err


def test_an_enabled_feature_without_its_key_is_refused_before_any_change(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme", "--enable-ai-reviewer")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "would lack openai_api_key" in result.err
    assert "set OPENAI_API_KEY" in result.err


def test_apply_without_terraform_on_path_is_refused_in_preflight(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str, no_terraform: None
) -> None:
    original = deploy_paths.prod.read_text()

    result = run_cli("--org", "acme", "--yes", "--config-dir", str(deploy_paths.config_dir))

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "terraform is not on PATH" in result.err
    assert "or use --no-apply" in result.err


def test_without_yes_and_without_a_terminal_nothing_changes(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    original = deploy_paths.prod.read_text()

    result = run_cli("--org", "acme", "--no-apply", "--config-dir", str(deploy_paths.config_dir))

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "needs a confirmation and stdin is not a terminal. re-run with --yes" in result.err


def test_a_declined_confirmation_changes_nothing(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    original = deploy_paths.prod.read_text()

    result = run_cli(
        "--org", "acme", "--no-apply", "--config-dir", str(deploy_paths.config_dir), stdin="no\n", terminal=True
    )

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "not confirmed" in result.err


def test_region_flag_and_tf_stack_region_must_agree(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_STACK_REGION", "us-east-1")
    original = deploy_paths.prod.read_text()

    result = deploy(deploy_paths, "--org", "acme", "--region", "eu-west-1")

    assert_stopped_cleanly(result, moto_aws, deploy_paths, original)
    assert "--region eu-west-1 conflicts with TF_STACK_REGION=us-east-1" in result.err

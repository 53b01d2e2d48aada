"""Step 6 with a fake ``terraform`` on PATH: the init/plan/apply sequence and arguments, and that Terraform never
receives a secret value in its arguments or environment. The full apply path (health wait, webhooks) runs here too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.health_server import HealthServer
from tests.deploy_fakes.helpers import DeployPaths, FakeTerraform, aws_client, fake_github_token, run_cli

pytest_plugins = ["tests.deploy_fakes.fixtures"]

BUCKET = "acme-atlantis-tfstate-ap-northeast-2"
SECRET = "prod-atlantis-secrets"


@pytest.fixture
def token(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> str:
    value = fake_github_token()
    fake_github.add_token(value, "acme-bot")
    fake_github.add_repositories("acme", "infra", "modules", "old", archived=("old",))
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", value)
    return value


@pytest.fixture
def atlantis(fake_terraform: FakeTerraform) -> Iterator[HealthServer]:
    with HealthServer(unhealthy_answers=2) as server:
        fake_terraform.set_outputs(atlantis_url=server.url, webhook_url=f"{server.url}/events")
        yield server


def deploy(paths: DeployPaths, *extra: str) -> list[str]:
    paths.synthesized_stub(BUCKET)
    return [
        "--org", "acme", "--yes", "--skip-synth", "--config-dir", str(paths.config_dir),
        "--health-timeout", "5", "--poll-interval", "0.01", *extra,
    ]  # fmt: skip


def stored_secret() -> dict[str, str]:
    return json.loads(aws_client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])


def test_init_plan_apply_run_in_order_with_the_backend_settings(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    atlantis: HealthServer,
) -> None:
    result = run_cli(*deploy(deploy_paths))

    assert result.code == 0, result.err
    assert fake_terraform.commands() == ["version", "init", "plan", "apply", "output"]
    init, plan, apply, output = fake_terraform.calls()[1:]
    assert init["argv"] == [
        "init",
        "-input=false",
        "-no-color",
        f"-backend-config=bucket={BUCKET}",
        "-backend-config=key=prod-atlantis-stack/terraform.tfstate",
        "-backend-config=region=ap-northeast-2",
        "-backend-config=dynamodb_table=acme-atlantis-tf-lock",
    ]
    assert plan["argv"] == ["plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=tfplan"]
    assert apply["argv"] == ["apply", "-input=false", "-no-color", "tfplan"]
    assert output["argv"] == ["output", "-json", "-no-color"]
    assert {call["cwd"] for call in (init, plan, apply, output)} == {str(deploy_paths.stack_dir())}
    assert init["env"]["TF_IN_AUTOMATION"] == "1"
    assert atlantis.requests == 3  # two 503s, then 200
    assert f"Atlantis URL:    {atlantis.url}" in result.out
    assert f"Webhook URL:     {atlantis.url}/events" in result.out
    assert f"Webhook secret:  stored in Secrets Manager {SECRET}, key webhook_secret" in result.out


def test_terraform_never_receives_a_secret_value(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    atlantis: HealthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai_key = "sk-test-" + "q" * 24
    slack_url = "https://hooks.slack.com/services/" + "T000/B000/" + "s" * 24
    monkeypatch.setenv("OPENAI_API_KEY", openai_key)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("ATLANTIS_AWS_ACCESS_KEY_ID", "AKIA" + "TESTTESTTESTTEST")
    monkeypatch.setenv("ATLANTIS_AWS_SECRET_ACCESS_KEY", "test-secret-key-" + "k" * 24)

    result = run_cli(*deploy(deploy_paths, "--enable-ai-reviewer"))

    assert result.code == 0, result.err
    values = stored_secret()
    assert values["openai_api_key"] == openai_key and values["slack_webhook_url"] == slack_url
    secret_values = [token, openai_key, slack_url, values["webhook_secret"], values["web_password"]]
    calls = fake_terraform.calls()
    assert len(calls) == 5
    for call in calls:
        seen = " ".join(call["argv"]) + " " + " ".join(f"{name}={value}" for name, value in call["env"].items())
        assert not [value for value in secret_values if value in seen]
        assert not {"ATLANTIS_GITHUB_TOKEN", "OPENAI_API_KEY", "SLACK_WEBHOOK_URL"} & set(call["env"])
        # The deploy credentials reach Terraform under the names the AWS provider reads.
        assert call["env"]["AWS_ACCESS_KEY_ID"] == "AKIA" + "TESTTESTTESTTEST"
        assert "ATLANTIS_AWS_SECRET_ACCESS_KEY" not in call["env"]
    assert not [value for value in secret_values if value in result.out + result.err]


def test_a_plan_without_changes_is_not_applied(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    atlantis: HealthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_TERRAFORM_PLAN_EXIT", "0")

    result = run_cli(*deploy(deploy_paths))

    assert result.code == 0, result.err
    assert fake_terraform.commands() == ["version", "init", "plan", "output"]
    assert "no changes to apply" in result.out


def test_a_failed_plan_says_what_failed_and_a_rerun_resumes(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    atlantis: HealthServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_TERRAFORM_FAIL", "plan")

    failed = run_cli(*deploy(deploy_paths))

    assert failed.code == 1
    assert failed.err.startswith("error: [6/8] Terraform init, plan, apply failed after")
    assert "terraform plan exited with 1: simulated failure of terraform plan" in failed.err
    assert "Terraform continues from the state in S3" in failed.err
    assert len(failed.err.strip().splitlines()) == 1
    webhook_secret = stored_secret()["webhook_secret"]

    monkeypatch.delenv("FAKE_TERRAFORM_FAIL")
    moto_aws.log.clear()
    resumed = run_cli(*deploy(deploy_paths))

    assert resumed.code == 0, resumed.err
    assert moto_aws.log.changes() == []  # backend and secret were already in place
    assert stored_secret()["webhook_secret"] == webhook_secret
    assert fake_terraform.commands()[-4:] == ["init", "plan", "apply", "output"]


def test_a_terraform_older_than_1_5_stops_preflight(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_TERRAFORM_VERSION", "1.4.6")

    result = run_cli(*deploy(deploy_paths))

    assert result.code == 1
    assert "terraform 1.4.6 is too old; expected >= 1.5.0" in result.err
    assert fake_terraform.commands() == ["version"]
    assert moto_aws.log.changes() == []


def test_an_unhealthy_atlantis_times_out_with_a_hint(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
) -> None:
    with HealthServer(unhealthy_answers=1000) as server:
        fake_terraform.set_outputs(atlantis_url=server.url, webhook_url=f"{server.url}/events")
        result = run_cli(*deploy(deploy_paths, "--health-timeout", "0.2", "--poll-interval", "0.05"))

    assert result.code == 1
    assert result.err.startswith("error: [7/8] Wait for Atlantis /healthz failed after")
    assert f"{server.url}/healthz did not answer 200 within 0.2s" in result.err
    assert "last: HTTP 503" in result.err
    assert "./quick-deploy.sh status" in result.err
    assert 2 <= server.requests <= 6


def test_create_webhooks_sets_one_hook_per_allowlisted_repository(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    token: str,
    fake_terraform: FakeTerraform,
    fake_github: FakeGitHub,
    atlantis: HealthServer,
) -> None:
    result = run_cli(*deploy(deploy_paths, "--create-webhooks"))

    assert result.code == 0, result.err
    assert sorted(fake_github.state.hooks) == ["acme/infra", "acme/modules"]  # the archived repository is skipped
    webhook_secret = stored_secret()["webhook_secret"]
    for [hook] in fake_github.state.hooks.values():
        assert hook["config"] == {
            "url": f"{atlantis.url}/events",
            "content_type": "json",
            "secret": webhook_secret,
            "insecure_ssl": "0",
        }
        assert hook["events"] == ["issue_comment", "pull_request", "pull_request_review", "push"]
    assert "acme/infra: webhook created" in result.out
    assert webhook_secret not in result.out + result.err

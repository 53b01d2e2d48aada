"""Configuration modes that change what the tool writes or checks: Redis locking, GitHub App, OIDC login."""

from __future__ import annotations

import json

import pytest

from deploy.tfvars_writer import TfvarsValue, update_tfvars
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import DeployPaths, FakeTerraform, aws_client, fake_github_token, run_cli

pytest_plugins = ["tests.deploy_fakes.fixtures"]

BUCKET = "mycompany-atlantis-tfstate-ap-northeast-2"
SECRET = "prod-atlantis-secrets"
# Assembled at test time so no private-key marker sits in the source as a literal.
FAKE_PEM = "-----BEGIN " + "PRIVATE" + " KEY-----\nZmFrZSBrZXkgZm9yIHRlc3Rz\n-----END " + "PRIVATE" + " KEY-----\n"


def configure(paths: DeployPaths, **values: TfvarsValue) -> None:
    paths.prod.write_text(update_tfvars(paths.prod.read_text(), values))


def no_apply(paths: DeployPaths) -> list[str]:
    paths.synthesized_stub(BUCKET)
    return ["--no-apply", "--yes", "--skip-synth", "--config-dir", str(paths.config_dir)]


def secret_json(name: str = SECRET) -> dict[str, str]:
    return json.loads(aws_client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


@pytest.fixture
def token(fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> str:
    value = fake_github_token()
    fake_github.add_token(value, "mycompany-atlantis")
    fake_github.add_repositories("mycompany", "infra")
    monkeypatch.setenv("ATLANTIS_GITHUB_TOKEN", value)
    return value


def test_redis_locking_gets_its_own_secret_with_a_generated_auth_token(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str
) -> None:
    configure(deploy_paths, locking_db="redis", desired_count=2)

    first = run_cli(*no_apply(deploy_paths))
    auth_token = secret_json(f"{SECRET}-redis")
    moto_aws.log.clear()
    second = run_cli(*no_apply(deploy_paths))

    assert first.code == 0, first.err
    assert list(auth_token) == ["redis_auth_token"]  # nothing else: Terraform reads this secret into its state
    assert len(auth_token["redis_auth_token"]) == 64
    assert "redis_auth_token" not in secret_json()
    assert second.code == 0, second.err
    assert secret_json(f"{SECRET}-redis") == auth_token
    assert moto_aws.log.changes() == []
    assert auth_token["redis_auth_token"] not in first.out + second.out


def test_reset_boltdb_refuses_when_locks_live_in_redis(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths
) -> None:
    configure(deploy_paths, locking_db="redis")

    result = run_cli("reset-boltdb", "--yes", "--config-dir", str(deploy_paths.config_dir))

    assert result.code == 1
    assert 'locking_db = "redis"' in result.err and "nothing to reset" in result.err
    assert moto_aws.log.operations == []


def test_github_app_mode_stores_the_app_key_and_needs_no_token(
    moto_aws: RecordingMotoServer,
    deploy_paths: DeployPaths,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    configure(deploy_paths, github_app_id="123456")
    key_file = tmp_path_factory.mktemp("app") / "app.pem"
    key_file.write_text(FAKE_PEM)
    monkeypatch.setenv("ATLANTIS_GH_APP_KEY_FILE", str(key_file))

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 0, result.err
    values = secret_json()
    assert values["github_app_key"] == FAKE_PEM
    assert "github_token" not in values
    assert "GitHub App mode (app 123456)" in result.out
    assert fake_github.state.requests == []
    assert "ZmFrZSBrZXkgZm9yIHRlc3Rz" not in result.out + result.err


def test_github_app_mode_without_the_key_stops_before_any_change(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, fake_github: FakeGitHub
) -> None:
    configure(deploy_paths, github_app_id="123456")

    result = run_cli(*no_apply(deploy_paths))

    assert result.code == 1
    assert "would lack github_app_key" in result.err and "set ATLANTIS_GH_APP_KEY_FILE" in result.err
    assert moto_aws.log.changes() == []


def test_update_secret_takes_a_pem_from_stdin(moto_aws: RecordingMotoServer, deploy_paths: DeployPaths) -> None:
    aws_client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({"webhook_secret": "w" * 64}))

    stored = run_cli("update-secret", "github_app_key", "--config-dir", str(deploy_paths.config_dir), stdin=FAKE_PEM)
    refused = run_cli("update-secret", "github_app_key", "--config-dir", str(deploy_paths.config_dir), stdin="nope")

    assert stored.code == 0, stored.err
    assert secret_json() == {"webhook_secret": "w" * 64, "github_app_key": FAKE_PEM}
    assert refused.code == 1 and "the new github_app_key is not a PEM private key" in refused.err


def test_oidc_login_needs_the_client_secret_before_terraform_runs(
    moto_aws: RecordingMotoServer, deploy_paths: DeployPaths, token: str, fake_terraform: FakeTerraform
) -> None:
    configure(
        deploy_paths,
        certificate_arn="arn:aws:acm:ap-northeast-2:123456789012:certificate/0f4d2f1e-1111-2222-3333-444455556666",
        auth_mode="oidc",
        oidc_issuer="https://login.example.com",
        oidc_authorization_endpoint="https://login.example.com/authorize",
        oidc_token_endpoint="https://login.example.com/token",
        oidc_user_info_endpoint="https://login.example.com/userinfo",
        oidc_client_id="atlantis-ui",
    )
    deploy_paths.synthesized_stub(BUCKET)

    result = run_cli("--yes", "--skip-synth", "--config-dir", str(deploy_paths.config_dir))

    assert result.code == 1
    assert 'auth_mode = "oidc" needs the OIDC client secret at plan time' in result.err
    assert "export TF_VAR_oidc_client_secret" in result.err
    assert fake_terraform.commands() == ["version"]
    assert moto_aws.log.changes() == []

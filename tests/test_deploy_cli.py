"""``./quick-deploy.sh`` end to end in a subprocess: moto for AWS, the GitHub stand-in, the real ``python main.py``.

The done-when of the deploy tooling: ``--org acme --github-token <token> --no-apply --yes`` bootstraps the backend
and the secret without any terraform binary, and running it again changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.helpers import DeployPaths, aws_client, fake_github_token

pytest_plugins = ["tests.deploy_fakes.fixtures"]

WRAPPER = PROJECT_ROOT / "quick-deploy.sh"
BUCKET = "acme-atlantis-tfstate-ap-northeast-2"
TABLE = "acme-atlantis-tf-lock"
SECRET = "prod-atlantis-secrets"


def run_wrapper(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WRAPPER), *arguments],
        env=env if env is not None else dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def wrapper_env(moto_aws: RecordingMotoServer, fake_github: FakeGitHub, deploy_paths: DeployPaths) -> dict[str, str]:
    """The environment of a CI job: StackKit AWS keys (not the SDK's names), no terraform on PATH, and
    STACKKIT_OUTDIR (set by deploy_paths) pointing away from the repository's cdktf.out."""
    env = dict(os.environ)
    env.pop("AWS_ACCESS_KEY_ID")
    env.pop("AWS_SECRET_ACCESS_KEY")
    env["ATLANTIS_AWS_ACCESS_KEY_ID"] = "AKIA" + "TESTTESTTESTTEST"
    env["ATLANTIS_AWS_SECRET_ACCESS_KEY"] = "test-secret-key-" + "k" * 24
    env["PATH"] = "/usr/bin:/bin"  # the real terraform lives in /usr/local/bin on some machines
    return env


@pytest.mark.synth
def test_no_apply_bootstraps_backend_and_secret_and_a_rerun_changes_nothing(
    moto_aws: RecordingMotoServer, fake_github: FakeGitHub, deploy_paths: DeployPaths, wrapper_env: dict[str, str]
) -> None:
    token = fake_github_token()
    fake_github.add_token(token, "acme-bot")
    fake_github.add_repositories("acme", "infra")
    command = (
        "--org",
        "acme",
        "--github-token",
        token,
        "--no-apply",
        "--yes",
        "--config-dir",
        str(deploy_paths.config_dir),
    )

    first = run_wrapper(*command, env=wrapper_env)

    assert first.returncode == 0, first.stderr
    assert aws_client("s3").head_bucket(Bucket=BUCKET)
    assert aws_client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE"
    secretsmanager = aws_client("secretsmanager")
    values = json.loads(secretsmanager.get_secret_value(SecretId=SECRET)["SecretString"])
    assert values["github_token"] == token
    version = secretsmanager.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
    synthesized = json.loads((deploy_paths.stack_dir() / "cdk.tf.json").read_text())
    assert synthesized["terraform"]["backend"]["s3"]["bucket"] == BUCKET
    assert token not in json.dumps(synthesized)
    assert "terraform init -backend-config=bucket=" + BUCKET in first.stdout
    config_after_first = deploy_paths.prod.read_text()
    moto_aws.log.clear()

    second = run_wrapper(*command, env=wrapper_env)

    assert second.returncode == 0, second.stderr
    assert moto_aws.log.changes() == []
    assert json.loads(secretsmanager.get_secret_value(SecretId=SECRET)["SecretString"]) == values
    assert secretsmanager.describe_secret(SecretId=SECRET)["VersionIdsToStages"] == version
    assert deploy_paths.prod.read_text() == config_after_first
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert token not in output
        assert values["webhook_secret"] not in output
    finished = [line.split()[0] for line in first.stdout.splitlines() if ": done in " in line or ": skipped (" in line]
    assert finished == [f"[{number}/8]" for number in range(1, 9)]  # every step reports, with its time


def test_the_wrapper_prints_help_and_reports_a_failure_in_one_line(wrapper_env: dict[str, str]) -> None:
    help_text = run_wrapper("--help", env=wrapper_env)
    failure = run_wrapper("--org", "acme_corp", "--dry-run", env=wrapper_env)

    assert help_text.returncode == 0
    assert "--no-apply" in help_text.stdout and "reset-boltdb" in help_text.stdout
    assert failure.returncode == 1
    assert failure.stderr.splitlines() == [
        'error: [1/8] Validate inputs failed after 0.0s: --org "acme_corp" is not a GitHub organization name; '
        "expected 1-39 letters, digits or single hyphens, not starting or ending with a hyphen. "
        "fix the flag and re-run"
    ]

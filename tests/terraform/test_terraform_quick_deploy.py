"""``./quick-deploy.sh --aws-endpoint URL`` end to end with the real terraform and provider against moto.

The emulator option is the one users of LocalStack take (deploy/emulator.py); nothing here is a test-only path.
What the test adds, it adds as Terraform override files in the stack folder, which synthesis keeps: the mirrored
provider version, and ``count = 0`` on the listed emulator gaps. Atlantis itself does not run in an emulator, so
the health wait goes through an HTTP proxy (``http_proxy``) to the suite's /healthz stand-in, which records the
load balancer host name Terraform put in the outputs; GitHub is the suite's API stand-in (``GITHUB_API_URL``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.names import PLAN_FILE
from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.github_api import FakeGitHub
from tests.deploy_fakes.health_server import HealthServer
from tests.deploy_fakes.helpers import fake_github_token
from tests.terraform.emulator import client, emulator_environment
from tests.terraform.emulator_gaps import ATTRIBUTE_GAPS, gap_types, stand_ins
from tests.terraform.harness import (
    GAPS_OVERRIDE,
    PIN_OVERRIDE,
    StackCopy,
    Toolchain,
    pin_override,
    planned_changes,
    without_resource_types,
)

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = [pytest.mark.terraform, pytest.mark.xdist_group("quick_deploy")]  # both runs share one deployment

STACK = "prod-atlantis-stack"
REGION = "ap-northeast-2"
STATE_BUCKET = "mycompany-atlantis-tfstate-ap-northeast-2"
LOCK_TABLE = "mycompany-atlantis-tf-lock"
SECRET = "prod-atlantis-secrets"
RUN_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Deployment:
    workdir: Path
    outdir: Path
    env: dict[str, str]
    arguments: tuple[str, ...]
    health: HealthServer
    github: FakeGitHub

    @property
    def stack_dir(self) -> Path:
        return self.outdir / "stacks" / STACK

    def run(self) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(PROJECT_ROOT / "quick-deploy.sh"), *self.arguments],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode == 0, f"quick-deploy failed: {result.stderr.strip().splitlines()[-3:]}"
        return result


@pytest.fixture(scope="module")
def deployment(
    toolchain: Toolchain,
    emulator: RecordingMotoServer,
    variant_dirs: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("quick-deploy")
    config_dir = workdir / "config"
    config_dir.mkdir()
    (config_dir / "prod.tfvars").write_text((PROJECT_ROOT / "config" / "prod.tfvars").read_text())
    outdir = workdir / "cdktf.out"
    # What the test adds, as override files in the stack folder (python main.py keeps them across synthesis).
    stack = StackCopy.of(variant_dirs["prod"], outdir / "stacks" / STACK)
    for path in stack.path.iterdir():
        path.unlink() if path.is_file() else None
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))
    stack.write_override(GAPS_OVERRIDE, without_resource_types(stack, stand_ins()))

    token = fake_github_token()
    with HealthServer(unhealthy_answers=1) as health:
        github = FakeGitHub().start()
        github.add_token(token, "atlantis-bot")
        github.add_repositories("mycompany", "infrastructure")
        env = toolchain.environment(
            {
                **emulator_environment(emulator.endpoint, workdir),
                "ATLANTIS_GITHUB_TOKEN": token,
                "GITHUB_API_URL": github.url,
                "STACKKIT_OUTDIR": str(outdir),
                "PIPENV_VERBOSITY": "-1",
                "http_proxy": health.url,
                "no_proxy": "127.0.0.1,localhost",
            }
        )
        env["PATH"] = f"{Path(toolchain.terraform).parent}:{os.environ['PATH']}"
        arguments = (
            "--config-dir",
            str(config_dir),
            "--aws-endpoint",
            emulator.endpoint,
            "--yes",
            "--create-webhooks",
            "--health-timeout",
            "120",
            "--poll-interval",
            "1",
        )
        yield Deployment(workdir, outdir, env, arguments, health, github)
        github.stop()


@pytest.fixture(scope="module")
def first_run(deployment: Deployment) -> subprocess.CompletedProcess[str]:
    return deployment.run()


def test_first_run_deploys_with_state_in_the_emulators_bucket(
    deployment: Deployment, first_run: subprocess.CompletedProcess[str], emulator: RecordingMotoServer
) -> None:
    s3 = client(emulator, "s3", REGION)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=STATE_BUCKET).get("Contents", [])]
    assert f"{STACK}/terraform.tfstate" in keys, "the S3 backend holds the state"
    assert not (deployment.stack_dir / "terraform.tfstate").exists(), "no local state"
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=f"{STACK}/terraform.tfstate")["Body"].read())
    managed = {r["type"] for r in state["resources"] if r["mode"] == "managed"}
    assert {"aws_ecs_service", "aws_lb", "aws_efs_file_system"} <= managed
    assert not managed & set(gap_types()), "the listed gaps were left out of this copy"
    table = client(emulator, "dynamodb", REGION).describe_table(TableName=LOCK_TABLE)["Table"]
    assert [key["AttributeName"] for key in table["KeySchema"]] == ["LockID"]
    assert "-backend-config=use_path_style=true" in first_run.stdout + first_run.stderr


def test_first_run_writes_the_secret_prints_outputs_and_talks_to_the_stand_ins(
    deployment: Deployment, first_run: subprocess.CompletedProcess[str], emulator: RecordingMotoServer
) -> None:
    secret = json.loads(client(emulator, "secretsmanager", REGION).get_secret_value(SecretId=SECRET)["SecretString"])
    assert {"github_token", "webhook_secret"} <= set(secret)
    url_line = next(line for line in first_run.stdout.splitlines() if line.startswith("Atlantis URL:"))
    host = url_line.split("//", 1)[1].strip().rstrip("/")
    assert host.endswith(".elb.amazonaws.com"), "the URL is the load balancer terraform created in the emulator"
    assert host in deployment.health.hosts, "the health wait asked that host (through the proxy stand-in)"
    hooks = deployment.github.state.hooks["mycompany/infrastructure"]
    assert [hook["config"]["url"] for hook in hooks] == [f"http://{host}/events"]
    assert secret["github_token"] not in first_run.stdout + first_run.stderr


def test_second_run_creates_and_destroys_nothing_and_keeps_the_secret(
    deployment: Deployment,
    first_run: subprocess.CompletedProcess[str],
    emulator: RecordingMotoServer,
    toolchain: Toolchain,
) -> None:
    secrets = client(emulator, "secretsmanager", REGION)
    before = json.loads(secrets.get_secret_value(SecretId=SECRET)["SecretString"])
    emulator.log.clear()

    deployment.run()

    after = json.loads(secrets.get_secret_value(SecretId=SECRET)["SecretString"])
    assert after == before, "the secret (and its generated webhook secret) is kept"
    changes = planned_changes(toolchain, deployment.stack_dir, PLAN_FILE, deployment.env)
    assert [c.address for c in changes if c.creates_or_destroys] == [], "nothing is created or destroyed"
    explained = {(gap.resource_type, gap.attribute) for gap in ATTRIBUTE_GAPS}
    unexplained = [
        f"{c.address}.{attribute}: {c.values[attribute]}"
        for c in changes
        for attribute in c.attributes
        if (c.resource_type, attribute) not in explained
    ]
    assert not unexplained, "in-place updates beyond the listed emulator attribute gaps:\n" + "\n".join(unexplained)
    # Terraform's state lock writes and deletes a DynamoDB item on every run; those are data, not AWS objects.
    created = [
        op.name
        for op in emulator.log.operations
        if op.name.startswith(("Create", "Delete", "Run")) and not op.name.endswith("Item")
    ]
    assert created == [], "no AWS object was created or deleted"

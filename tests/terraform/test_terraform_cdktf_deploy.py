"""``cdktf deploy`` and ``cdktf destroy`` of the prod stack through the CLI, as the README runs them, against moto.

cdktf synthesizes with ``pipenv run python main.py`` (cdktf.json) into ``--output`` and then runs terraform in the
stack folder, which it never empties (it removes only orphaned stack folders: @cdktf/cli-core 0.21.0
src/lib/synth-stack.js:175-177). So Terraform override files placed there beforehand apply to its init, plan and
apply: the mirrored provider version, the emulator's path-style S3 (the same file quick-deploy's --aws-endpoint
writes), and ``count = 0`` on the listed emulator gaps. The state lives in the emulator's S3 bucket (bootstrapped
with the deploy tool's own code) with DynamoDB locking, through the synthesized backend as it is.

``--skip-provider-lock`` is what a machine without registry access needs: cdktf otherwise runs
``terraform providers lock -platform=linux_amd64`` whenever the lock file does not match the synthesized
constraint (@cdktf/cli-core 0.21.0 src/lib/cdktf-stack.js:103-117, src/lib/models/terraform-cli.js:138-150), and
that command asks the registry, ignoring the filesystem mirror.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.backend import ensure_state_backend
from deploy.emulator import ENDPOINT_VARIABLE, prepare_stack
from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.terraform.emulator import client, create_prerequisites, emulator_environment
from tests.terraform.emulator_gaps import gap_types, stand_ins
from tests.terraform.harness import (
    GAPS_OVERRIDE,
    PIN_OVERRIDE,
    StackCopy,
    Toolchain,
    pin_override,
    without_resource_types,
)

pytest_plugins = ["tests.terraform.fixtures"]
pytestmark = pytest.mark.terraform

STACK = "prod-atlantis-stack"
REGION = "ap-northeast-2"
STATE_BUCKET = "mycompany-atlantis-tfstate-ap-northeast-2"
LOCK_TABLE = "mycompany-atlantis-tf-lock"
CLI_TIMEOUT_SECONDS = 600


def cdktf(command: str, outdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cli = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
    if not cli.exists():
        pytest.skip("terraform tests skipped: node_modules/.bin/cdktf is missing (npm ci installs it)")
    result = subprocess.run(
        [str(cli), command, STACK, "--auto-approve", "--skip-provider-lock", "--output", str(outdir)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
    assert result.returncode == 0, f"cdktf {command} exited with {result.returncode}: {tail}"
    return result


def test_cdktf_deploy_and_destroy_the_prod_stack(
    toolchain: Toolchain,
    emulator: RecordingMotoServer,
    variant_dirs: dict[str, Path],
    tmp_path: Path,
) -> None:
    pipenv = shutil.which("pipenv", path=f"{Path.home() / '.local/bin'}:{os.environ['PATH']}")
    if pipenv is None:
        pytest.skip("terraform tests skipped: pipenv (which cdktf.json's app command runs) is not on PATH")
    emulator.reset()
    outdir = tmp_path / "cdktf.out"
    stack = StackCopy.of(variant_dirs["prod"], outdir / "stacks" / STACK)  # cdktf rewrites cdk.tf.json
    stack.write_override(PIN_OVERRIDE, pin_override(toolchain.provider_version))
    stack.write_override(GAPS_OVERRIDE, without_resource_types(stack, stand_ins()))
    prepare_stack(stack.path, {ENDPOINT_VARIABLE: emulator.endpoint})
    ensure_state_backend(
        client(emulator, "s3", REGION),
        client(emulator, "dynamodb", REGION),
        bucket=STATE_BUCKET,
        table=LOCK_TABLE,
        region=REGION,
        account_id="123456789012",
        tags={"Project": "atlantis"},
        tls_only=False,
    )
    create_prerequisites(emulator, stack)
    env = toolchain.environment(
        {
            **emulator_environment(emulator.endpoint, tmp_path),
            "PATH": f"{Path(pipenv).parent}:{Path(toolchain.terraform).parent}:{os.environ['PATH']}",
            "STACKKIT_ENVIRONMENTS": "prod",
            "PIPENV_VENV_IN_PROJECT": "1",
            "PIPENV_VERBOSITY": "-1",
            "CI": "1",
        }
    )

    cdktf("deploy", outdir, env)

    s3 = client(emulator, "s3", REGION)
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=f"{STACK}/terraform.tfstate")["Body"].read())
    managed = {f"{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
    expected = {address for address in stack.resources() if address.split(".")[0] not in gap_types()}
    assert managed == expected, "cdktf deploy created every resource, with its state in the emulator's bucket"
    assert not (stack.path / "terraform.tfstate").exists()

    cdktf("destroy", outdir, env)

    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=f"{STACK}/terraform.tfstate")["Body"].read())
    assert [r for r in state["resources"] if r["mode"] == "managed"] == [], "cdktf destroy removed everything"

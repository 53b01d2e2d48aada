"""Helpers for the deploy tool's tests: constants, paths, the fake terraform's record, and running the CLI."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from deploy.cli import main

FAKES = Path(__file__).resolve().parent
REGION = "ap-northeast-2"
ACCOUNT_ID = "123456789012"  # moto's default account


def fake_github_token(prefix: str = "ghp_") -> str:
    """An obviously fake token of the right shape, different in every test."""
    return prefix + secrets.token_hex(18)


def fake_fine_grained_token() -> str:
    return "github_pat_" + secrets.token_hex(11) + "_" + secrets.token_hex(30)[:59]


def aws_client(service: str, region: str = REGION) -> Any:
    """A boto3 client for set-up and assertions, against the moto server in AWS_ENDPOINT_URL. Its credentials are
    its own, so a test may change the credentials the code under test sees."""
    return boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")


@dataclass(frozen=True)
class DeployPaths:
    config_dir: Path
    outdir: Path

    @property
    def prod(self) -> Path:
        return self.config_dir / "prod.tfvars"

    def stack_dir(self, stack: str = "prod-atlantis-stack") -> Path:
        return self.outdir / "stacks" / stack

    def synthesized_stub(self, bucket: str, stack: str = "prod-atlantis-stack", region: str = REGION) -> Path:
        """A minimal cdk.tf.json with the S3 backend, standing in for ``python main.py`` where synthesis is not the
        subject of the test (one test runs the real synthesis)."""
        stack_dir = self.stack_dir(stack)
        stack_dir.mkdir(parents=True, exist_ok=True)
        backend = {"bucket": bucket, "key": f"{stack}/terraform.tfstate", "region": region}
        (stack_dir / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"s3": backend}}}))
        return stack_dir


@dataclass(frozen=True)
class FakeTerraform:
    log: Path
    outputs: Path

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def commands(self) -> list[str]:
        return [call["argv"][0] for call in self.calls()]

    def set_outputs(self, **values: str) -> None:
        self.outputs.write_text(
            json.dumps({name: {"value": value, "sensitive": False} for name, value in values.items()})
        )


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


class _Terminal(io.StringIO):
    """stdin that claims to be a terminal, for the confirmation prompts."""

    def isatty(self) -> bool:
        return True


def run_cli(*arguments: str, stdin: str = "", terminal: bool = False) -> CliResult:
    """deploy.cli.main in this process, with the current environment and captured output."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), stdin=_Terminal(stdin) if terminal else io.StringIO(stdin), stdout=out, stderr=err)
    return CliResult(code, out.getvalue(), err.getvalue())

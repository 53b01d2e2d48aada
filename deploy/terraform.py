"""Runs Terraform in the synthesized stack folder: init with the backend settings, plan to a file, apply that file.

Terraform gets only the arguments below and a scrubbed environment (AWS credentials, no Atlantis secret): the
secret's values never pass through Terraform, its plan or its state.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.console import Console
from deploy.errors import DeployError
from deploy.names import PLAN_FILE
from stacks.config import AtlantisConfig

MINIMUM_VERSION = (1, 5, 0)
VERSION_TIMEOUT_SECONDS = 60
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
_ERROR_LINE = re.compile(r"^[\s│╷╵]*Error: (.+)$")


@dataclass(frozen=True)
class BackendSettings:
    bucket: str
    key: str
    region: str
    dynamodb_table: str
    use_path_style: bool = False  # emulator mode (deploy/emulator.py)

    @classmethod
    def of(cls, config: AtlantisConfig, *, use_path_style: bool = False) -> BackendSettings:
        return cls(config.state_bucket, config.state_key, config.aws_region, config.lock_table, use_path_style)

    def arguments(self) -> list[str]:
        values = {name: value for name, value in vars(self).items() if value is not False}
        return [
            f"-backend-config={name}={str(value).lower() if value is True else value}" for name, value in values.items()
        ]


def find_terraform(environ: Mapping[str, str]) -> str:
    binary = shutil.which("terraform", path=environ.get("PATH"))
    if binary is None:
        raise DeployError(
            "terraform is not on PATH",
            "install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install), or use --no-apply",
        )
    return binary


def terraform_version(binary: str, env: Mapping[str, str]) -> str:
    """The version of ``binary``; DeployError when it cannot be read or is older than MINIMUM_VERSION."""
    try:
        result = subprocess.run(
            [binary, "version", "-json"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        version = str(json.loads(result.stdout)["terraform_version"])
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
        raise DeployError(f"{binary} version -json did not report a version", "reinstall Terraform >= 1.5") from None
    match = _VERSION.match(version)
    if not match or tuple(int(part) for part in match.groups()) < MINIMUM_VERSION:
        minimum = ".".join(map(str, MINIMUM_VERSION))
        raise DeployError(f"terraform {version} is too old; expected >= {minimum}", "upgrade Terraform and re-run")
    return version


class Terraform:
    def __init__(self, binary: str, workdir: Path, env: Mapping[str, str], console: Console) -> None:
        self.binary = binary
        self.workdir = workdir
        self.env = {**env, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
        self.console = console

    def init(self, backend: BackendSettings) -> None:
        self._run(["init", "-input=false", "-no-color", *backend.arguments()])

    def plan(self) -> bool:
        """Plan into PLAN_FILE; True when the plan has changes."""
        code = self._run(["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={PLAN_FILE}"], ok=(0, 2))
        return code == 2

    def apply(self) -> None:
        self._run(["apply", "-input=false", "-no-color", PLAN_FILE])

    def destroy(self) -> None:
        self._run(["destroy", "-input=false", "-no-color", "-auto-approve"])

    def outputs(self) -> dict[str, Any]:
        result = subprocess.run(
            [self.binary, "output", "-json", "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise DeployError(f"terraform output failed: {_first_error(result.stderr.splitlines())}")
        try:
            return {name: item["value"] for name, item in json.loads(result.stdout or "{}").items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DeployError("terraform output -json printed something that is not its JSON") from None

    def _run(self, arguments: list[str], ok: tuple[int, ...] = (0,)) -> int:
        """Run one command, echoing its output (redacted) as it comes; DeployError naming the first Error: line."""
        command = arguments[0]
        self.console.note(f"$ terraform {' '.join(arguments)}")
        lines: list[str] = []
        with subprocess.Popen(
            [self.binary, *arguments],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                self.console.say(f"  {line.rstrip()}")
            code = process.wait()
        if code not in ok:
            raise DeployError(f"terraform {command} exited with {code}: {_first_error(lines)}")
        return code


def _first_error(lines: list[str]) -> str:
    for line in lines:
        match = _ERROR_LINE.match(line)
        if match:
            return match.group(1).strip()
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1] if meaningful else "no output"

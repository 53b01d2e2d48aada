"""The environment's config with this run's changes, validated by ``load_config`` before the real file is touched.

Changes (from flags, VPC discovery, the token's login) are written into a copy of the config folder first. The real
``config/<env>.tfvars`` is replaced only by ``commit()``, after every preflight check passed; a ``--dry-run``
never commits and synthesizes from the copy instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from deploy.errors import DeployError
from deploy.tfvars_writer import TfvarsEditError, TfvarsValue, update_tfvars
from stacks.config import AtlantisConfig, ConfigError, config_path, display_path, load_config, parse_tfvars

# When a flag set a key, an error about that key names the flag rather than the file.
FLAG_FOR_KEY = {
    "org_name": "--org",
    "aws_region": "--region",
    "custom_domain": "--domain",
    "certificate_arn": "--certificate-arn",
    "existing_vpc_id": "--vpc-id",
}


class StagedConfig:
    def __init__(self, config_dir: Path, environment: str, environ: Mapping[str, str]) -> None:
        self.real_path = config_path(environment, config_dir)
        self.display = display_path(self.real_path)
        self._environ = environ
        if not self.real_path.is_file():
            raise DeployError(
                f"{self.display} not found",
                f"create it from config/prod.tfvars or pass --environment with one of: {_environments(config_dir)}",
            )
        self._original = self.real_path.read_text(encoding="utf-8")
        self._scratch = tempfile.TemporaryDirectory(prefix="quick-deploy-config-")
        self.directory = Path(self._scratch.name) / "config"
        # The whole folder, so main.py run on the copy sees the same environments as on the original.
        shutil.copytree(config_dir, self.directory, ignore=shutil.ignore_patterns("*.tmp", ".*"))
        self.path = config_path(environment, self.directory)
        self.changes: dict[str, tuple[Any, Any]] = {}
        self.raw = self._parse(self.real_path)
        self.config = self._load(flag_keys=set())

    def __enter__(self) -> StagedConfig:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._scratch.cleanup()

    def update(self, values: Mapping[str, TfvarsValue], *, from_flags: bool = False) -> AtlantisConfig:
        """Set keys in the copy and re-validate; keys that already hold the value are left alone."""
        changed = {key: value for key, value in values.items() if _normalized(self.raw.get(key)) != _normalized(value)}
        if not changed:
            return self.config
        text = self.path.read_text(encoding="utf-8")
        try:
            new_text = update_tfvars(text, changed)
        except TfvarsEditError as error:
            raise DeployError(
                f"{self.display}: cannot update {', '.join(changed)}: {error}", "edit it by hand"
            ) from None
        self.path.write_text(new_text, encoding="utf-8")
        written = self._parse(self.path)
        for key, value in changed.items():
            if _normalized(written.get(key)) != _normalized(value):
                raise DeployError(f"{self.display}: could not rewrite {key}", "set it by hand and re-run")
        for key, value in changed.items():
            before = self.changes.get(key, (self.raw.get(key), None))[0]
            self.changes[key] = (before, value)
        self.raw = written
        self.config = self._load(flag_keys=set(changed) if from_flags else set())
        return self.config

    @property
    def changed(self) -> bool:
        return self.path.read_text(encoding="utf-8") != self._original

    def commit(self) -> bool:
        """Replace the real file with the updated copy (atomically); False when there was nothing to change."""
        if not self.changed:
            return False
        if self.real_path.read_text(encoding="utf-8") != self._original:
            raise DeployError(f"{self.display} changed while the tool was running", "re-run to apply its changes")
        temporary = self.real_path.with_name(f".{self.real_path.name}.tmp")
        shutil.copyfile(self.path, temporary)
        shutil.copymode(self.real_path, temporary)
        os.replace(temporary, self.real_path)
        return True

    def describe_changes(self) -> list[str]:
        return [f"{key}: {_show(before)} -> {_show(after)}" for key, (before, after) in self.changes.items()]

    def _parse(self, path: Path) -> dict[str, Any]:
        try:
            return parse_tfvars(path)
        except ConfigError as error:
            raise DeployError(f"{self.display}: {error.problem}", "fix the file and re-run") from None

    def _load(self, flag_keys: set[str]) -> AtlantisConfig:
        try:
            return load_config(self.path, self._environ)
        except ConfigError as error:
            if error.key in flag_keys and error.key in FLAG_FOR_KEY:
                raise DeployError(f"{FLAG_FOR_KEY[error.key]}: {error.problem}", "fix the flag and re-run") from None
            where = f"{self.display}: {error.key}" if error.key else self.display
            raise DeployError(f"{where}: {error.problem}", "fix the file and re-run") from None


def _normalized(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return "unset" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _environments(config_dir: Path) -> str:
    return ", ".join(sorted(path.stem for path in config_dir.glob("*.tfvars"))) or "none"

"""Synthesis as a subprocess (``python main.py``), so the tool itself never imports cdktf or starts jsii."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

from deploy.console import Console
from deploy.errors import DeployError
from stacks.config import PROJECT_ROOT, AtlantisConfig, ConfigError
from stacks.machinery.selection import python_for

SYNTH_TIMEOUT_SECONDS = 900


def stack_directory(outdir: Path, config: AtlantisConfig) -> Path:
    return outdir / "stacks" / config.stack_name


def synthesize(
    config: AtlantisConfig, config_dir: Path, outdir: Path, env: Mapping[str, str], console: Console
) -> Path:
    """Synthesize only this environment from ``config_dir`` into ``outdir``; returns the stack folder."""
    child_env = {
        **env,
        "STACKKIT_ENVIRONMENTS": config.environment,
        "STACKKIT_CONFIG_DIR": str(config_dir),
        "STACKKIT_OUTDIR": str(outdir),
    }
    child_env.pop("CDKTF_OUTDIR", None)  # set, it would make main.py leave the output folder to the cdktf CLI
    console.note(f"$ STACKKIT_ENVIRONMENTS={config.environment} python main.py")
    try:  # in the venv of the framework STACKKIT_FRAMEWORK selects (README "Moving to CDK Terrain")
        python = python_for(child_env)
    except ConfigError as error:
        raise DeployError(str(error), "set STACKKIT_FRAMEWORK to cdktf or cdktn") from None
    try:
        result = subprocess.run(
            [python, str(PROJECT_ROOT / "main.py")],
            cwd=PROJECT_ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DeployError(f"python main.py did not finish within {SYNTH_TIMEOUT_SECONDS}s") from None
    messages = [line for line in result.stderr.splitlines() if line.strip()]
    for line in messages:
        if line.startswith("warning: "):
            console.note(line)
    if result.returncode != 0:
        errors = [line for line in messages if line.startswith("error: ")]
        detail = errors[-1].removeprefix("error: ") if errors else (messages[-1] if messages else "no output")
        raise DeployError(f"python main.py exited with {result.returncode}: {detail}", "fix it and re-run")
    return check_synthesized(stack_directory(outdir, config), config)


def check_synthesized(stack_dir: Path, config: AtlantisConfig) -> Path:
    """The synthesized stack exists and uses this config's backend (so a stale cdktf.out is not deployed)."""
    document = stack_dir / "cdk.tf.json"
    if not document.is_file():
        raise DeployError(f"{document} does not exist", "synthesize first (drop --skip-synth)")
    try:
        backend = json.loads(document.read_text(encoding="utf-8"))["terraform"]["backend"]["s3"]
    except (ValueError, KeyError, TypeError):
        raise DeployError(f"{document} has no S3 backend", "synthesize again (drop --skip-synth)") from None
    expected = {"bucket": config.state_bucket, "key": config.state_key, "region": config.aws_region}
    stale = [
        f"{name} {backend.get(name)!r} (config: {value!r})"
        for name, value in expected.items()
        if backend.get(name) != value
    ]
    if stale:
        raise DeployError(f"{document} is stale: backend {', '.join(stale)}", "synthesize again (drop --skip-synth)")
    return stack_dir

"""Third-party packages a Lambda needs beyond boto3, installed for the Lambda platform into a cached folder.

``lambda/<package>/requirements.txt`` is installed with pip for Python 3.12 on arm64 (binary wheels only) into
``build/lambda-layers/<package>-<hash>/python``; the hash covers the requirements, so a change rebuilds and an
unchanged file costs nothing. The first synth of a stack with such a Lambda needs access to PyPI.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from stacks.config import PROJECT_ROOT

LAYERS = PROJECT_ROOT / "build" / "lambda-layers"
PLATFORM = ("--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.12")


class LayerBuildError(Exception):
    """pip could not install a Lambda's requirements; the message is one line naming what to do."""


def layer_directory(package: str) -> Path:
    """The folder to zip as the layer (it holds ``python/``), built on first use."""
    requirements = PROJECT_ROOT / "lambda" / package / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    root = LAYERS / f"{package}-{digest}"
    marker = root.with_name(root.name + ".complete")
    if marker.is_file() and root.is_dir():
        return root
    # A private staging folder per process: parallel test workers may build the same layer at once.
    staging = root.with_name(f"{root.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--only-binary=:all:", *PLATFORM, "--target", str(staging / "python"), "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise LayerBuildError(
            f"could not install lambda/{package}/requirements.txt for the Lambda runtime ({last}); "
            "expected access to PyPI on the first synth"
        )
    for scratch in (staging / "python" / "bin", *staging.rglob("__pycache__")):
        shutil.rmtree(scratch, ignore_errors=True)
    try:
        staging.rename(root)
    except OSError:  # another process finished first; its result is identical
        shutil.rmtree(staging, ignore_errors=True)
    marker.write_text(digest)
    return root

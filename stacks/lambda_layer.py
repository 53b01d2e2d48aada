"""Third-party packages a Lambda needs beyond boto3, installed for the Lambda platform into a cached folder.

``lambda/<package>/requirements.txt`` is installed with pip for Python 3.12 on arm64 (binary wheels only) into
``build/lambda-layers/<package>-<hash>/python``; the hash covers the requirements, so a change rebuilds and an
unchanged file costs nothing. The first synth of a stack with such a Lambda needs access to PyPI.
"""

from __future__ import annotations

import fcntl
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
    LAYERS.mkdir(parents=True, exist_ok=True)
    # Two syntheses at once (test workers, CI beside a developer): the second waits for the first one's pip instead of
    # downloading the same packages again.
    with root.with_name(root.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.is_file() and root.is_dir()):
            _install(requirements, root)
            marker.write_text(digest)
    return root


def _install(requirements: Path, root: Path) -> None:
    """pip into a private staging folder, renamed into place when complete."""
    staging = root.with_name(f"{root.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--only-binary=:all:", *PLATFORM, "--target", str(staging / "python"), "-r", str(requirements),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise LayerBuildError(
            f"could not install {requirements.relative_to(PROJECT_ROOT)} for the Lambda runtime ({last}); "
            "expected access to PyPI on the first synth"
        )
    for scratch in (staging / "python" / "bin", *staging.rglob("__pycache__")):
        shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)  # a folder without its marker: an earlier build stopped halfway
    staging.rename(root)

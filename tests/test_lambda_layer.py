"""stacks/lambda_layer.py: the reviewer's layer is installed once per requirements file, even by two syntheses at
once, and a failed install says what to do in one line and leaves nothing half-built."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from stacks import lambda_layer


class FakePip:
    """Stands in for `pip install --target DIR`: writes one module there, slowly, and counts its runs."""

    def __init__(self, returncode: int = 0) -> None:
        self.runs = 0
        self.returncode = returncode

    def __call__(self, command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        time.sleep(0.2)
        target = Path(command[command.index("--target") + 1])
        if self.returncode == 0:
            (target / "openai").mkdir(parents=True)
            (target / "openai" / "__init__.py").write_text("")
            (target / "bin").mkdir()
            return subprocess.CompletedProcess(command, 0, "", "")
        target.mkdir(parents=True)
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for openai==9.9\n")


@pytest.fixture()
def layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(lambda_layer, "LAYERS", tmp_path / "layers")
    return tmp_path / "layers"


def test_two_syntheses_at_once_install_the_layer_once(layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pip = FakePip()
    monkeypatch.setattr(lambda_layer.subprocess, "run", pip)
    folders: list[Path] = []
    threads = [
        threading.Thread(target=lambda: folders.append(lambda_layer.layer_directory("ai_reviewer"))) for _ in "ab"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert pip.runs == 1 and len(set(folders)) == 1 and len(folders) == 2
    [folder] = set(folders)
    assert (folder / "python" / "openai" / "__init__.py").is_file() and not (folder / "python" / "bin").exists()
    assert sorted(path.name for path in layers.iterdir() if ".partial-" in path.name) == []


def test_a_complete_layer_is_used_without_pip(layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pip = FakePip()
    monkeypatch.setattr(lambda_layer.subprocess, "run", pip)
    first = lambda_layer.layer_directory("ai_reviewer")
    assert lambda_layer.layer_directory("ai_reviewer") == first and pip.runs == 1


def test_a_failed_install_is_one_line_and_leaves_nothing(layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lambda_layer.subprocess, "run", FakePip(returncode=1))
    with pytest.raises(lambda_layer.LayerBuildError) as error:
        lambda_layer.layer_directory("ai_reviewer")
    assert str(error.value) == (
        "could not install lambda/ai_reviewer/requirements.txt for the Lambda runtime "
        "(ERROR: No matching distribution found for openai==9.9); expected access to PyPI on the first synth"
    )
    assert [path.name for path in layers.iterdir() if not path.name.endswith(".lock")] == []


def test_a_layer_left_without_its_marker_is_installed_again(layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pip = FakePip()
    monkeypatch.setattr(lambda_layer.subprocess, "run", pip)
    folder = lambda_layer.layer_directory("ai_reviewer")
    folder.with_name(folder.name + ".complete").unlink()  # the build was interrupted before its marker
    (folder / "python" / "stale.py").write_text("")
    assert lambda_layer.layer_directory("ai_reviewer") == folder and pip.runs == 2
    assert not (folder / "python" / "stale.py").exists()

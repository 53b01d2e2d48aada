"""project.sh on a machine that lacks what it needs: one line saying what to install, exit 1, nothing created.

Each case runs a copy of project.sh (with the lock files it reads) in a temporary folder, with a PATH that holds only
the tools the case allows, so nothing is ever installed by these tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.config import PROJECT_ROOT

# What project.sh runs before it gets to the check under test.
SHELL_TOOLS = ("bash", "dirname", "cksum", "grep", "cat", "mktemp", "rm", "awk", "ln")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "tools").mkdir(parents=True)
    for name in ("project.sh", "Pipfile", "Pipfile.lock", "tools/pipenv-requirements.txt"):
        shutil.copy2(PROJECT_ROOT / name, folder / name)
    return folder


def tool_folder(tmp_path: Path, **tools: str) -> Path:
    """A bin folder with the shell tools and the given name -> executable links."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in SHELL_TOOLS:
        found = shutil.which(name)
        assert found, f"{name} is not on PATH"
        tools.setdefault(name, found)
    for name, target in tools.items():
        (folder / name).symlink_to(target)
    return folder


def base_python() -> str:
    """This interpreter outside its virtual environment (Python 3.11+, with ensurepip)."""
    return str(Path(sys.executable).resolve())


def run_project(project: Path, path: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / "project.sh"), *arguments],
        env={"PATH": path, "HOME": str(project.parent), "LANG": os.environ.get("LANG", "C.UTF-8")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_and_nothing_created(result: subprocess.CompletedProcess[str], project: Path, *wanted: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    for text in wanted:
        assert text in line
    assert sorted(path.name for path in project.iterdir()) == ["Pipfile", "Pipfile.lock", "project.sh", "tools"]


def older_python() -> str | None:
    """A real Python 3.x older than 3.11 on this machine (pyenv keeps several), not a shim that picks another."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    candidates = [*pyenv.glob("3.*/bin/python3"), *(Path(f"/usr/bin/python3.{minor}") for minor in range(7, 11))]
    for candidate in candidates:
        if candidate.is_file():
            probe = subprocess.run(
                [str(candidate), "-c", "import sys; print(sys.version_info < (3, 11))"], capture_output=True, text=True
            )
            if probe.stdout.strip() == "True":
                return str(candidate)
    return None


def test_missing_node_is_named_before_anything_is_installed(project: Path, tmp_path: Path) -> None:
    bin_folder = tool_folder(tmp_path, python3=base_python())
    result = run_project(project, str(bin_folder), "synth")
    assert_one_line_and_nothing_created(result, project, "node not found", "install Node.js 20 or newer")


def test_missing_python_is_named(project: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is not on PATH"
    result = run_project(project, str(tool_folder(tmp_path, node=node)), "synth")
    assert_one_line_and_nothing_created(result, project, "python3 not found", "install Python 3.11 or newer")


def test_python_older_than_3_11_is_named(project: Path, tmp_path: Path) -> None:
    old = older_python()
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    bin_folder = tool_folder(tmp_path, python3=old)
    result = run_project(project, f"{bin_folder}:/usr/bin:/bin", "synth")
    assert_one_line_and_nothing_created(result, project, "this project needs Python 3.11 or newer")


def test_python_without_ensurepip_names_the_venv_package(project: Path, tmp_path: Path) -> None:
    # As on Debian/Ubuntu without python3.X-venv: the interpreter is there, its ensurepip module is not.
    shadow = tmp_path / "no-ensurepip"
    shadow.mkdir()
    (shadow / "ensurepip.py").write_text("raise ModuleNotFoundError(\"No module named 'ensurepip'\")\n")
    python3 = tmp_path / "python3"
    python3.write_text(f'#!/bin/sh\nPYTHONPATH="{shadow}" exec "{base_python()}" "$@"\n')
    python3.chmod(0o755)
    bin_folder = tool_folder(tmp_path, python3=str(python3))
    result = run_project(project, f"{bin_folder}:/usr/bin:/bin", "install")
    minor = f"3.{sys.version_info.minor}"
    assert_one_line_and_nothing_created(
        result, project, "cannot create virtual environments", f"sudo apt install python{minor}-venv"
    )


def test_usage_lists_every_command(project: Path) -> None:
    result = run_project(project, "/usr/bin:/bin")
    assert result.returncode == 2
    usage = [line.lstrip("# ").split() for line in result.stderr.splitlines()]
    commands = [words[1] for words in usage if words and words[0] == "./project.sh"]
    assert commands == ["synth", "test", "test-integration", "lint", "install"]


def test_a_failing_install_step_shows_its_output(project: Path) -> None:
    # Offline (no index): pip cannot find pipenv. The step's line says so, then pip's own words follow.
    result = subprocess.run(
        [str(project / "project.sh"), "install"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(project.parent), "PIP_NO_INDEX": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    failed = next(i for i, line in enumerate(lines) if line.startswith("==> installing pipenv into .venv-pipenv"))
    assert re.fullmatch(r"==> installing pipenv into \.venv-pipenv \.\.\. failed in \d+\.\ds", lines[failed])
    assert "No matching distribution found for pipenv" in "\n".join(lines[failed + 1 :])


FREEZE_LINE_BY_LINE = """#!/usr/bin/env python3
import sys, time
for line in ["certifi==2026.1.1", "pipenv==2026.10.3", "virtualenv==21.0.0"]:
    try:
        print(line, flush=True)  # pip writes freeze output through logging, a flush per line
    except BrokenPipeError:
        sys.exit(1)
    if line.startswith("pipenv"):
        time.sleep(0.5)  # a loaded machine: the reader has seen its match before the next line comes
"""


def shell_function(name: str) -> str:
    text = (PROJECT_ROOT / "project.sh").read_text()
    match = re.search(rf"^{name}\(\) \{{.*?^\}}$", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"project.sh defines {name}()"
    return match.group(0)


@pytest.mark.parametrize(("pins", "expected"), [("pipenv==2026.10.3\n", 0), ("pipenv==2026.10.3\nruff==0.1\n", 1)])
def test_pins_are_checked_against_the_whole_freeze_not_a_broken_pipe(tmp_path: Path, pins: str, expected: int) -> None:
    """`pip freeze | grep -q` under pipefail failed when grep stopped reading before pip's last line (a fresh clone
    reinstalled pipenv that way); has_pins reads the whole freeze first, and needs every pin."""
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "pip").write_text(FREEZE_LINE_BY_LINE)
    (tmp_path / "venv" / "bin" / "pip").chmod(0o755)
    (tmp_path / "requirements.txt").write_text("# pinned\n" + pins)
    script = (
        "set -euo pipefail\n" + shell_function("has_pins") + "\nhas_pins venv requirements.txt && echo 0 || echo 1\n"
    )
    old_way = "set -euo pipefail\n! venv/bin/pip freeze | grep -qxF pipenv==2026.10.3 && echo broken || echo fine\n"
    ran = [
        subprocess.run(["bash", "-c", body], cwd=tmp_path, capture_output=True, text=True, timeout=30)
        for body in (script, old_way)
    ]
    assert ran[0].stdout.strip() == str(expected), ran[0].stderr
    assert ran[1].stdout.strip() == "broken"  # what the old check did with the same pip

"""A new user's first contact: the seed's first command and the README's two commands, run from a fresh clone with
the distribution's own Python first on PATH and an empty HOME (integration tier: ``./project.sh test-integration``).

The clone is of the committed HEAD, so commit before running this. It runs, in this order:

1. ``./quick-deploy.sh --org acme --dry-run`` straight after cloning: it must install the locked runtime packages
   itself (against a local moto server, as the dry run reads AWS);
2. ``./project.sh synth``;
3. ``./project.sh test`` with a pytest selection passed through (every install step of the README command runs; only
   the suite is narrowed, to the tests that use what it installs: the cdktf CLI, the dev packages).

Downloads may come from the machine's package caches (pip, pipenv, npm, jsii), as a user's would; HOME itself stays
empty, so nothing from the developer's own configuration (``~/.npmrc``, ``~/.config/pip``, ``~/.local``) helps.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks.config import PROJECT_ROOT
from tests.deploy_fakes.aws import RecordingMotoServer
from tests.deploy_fakes.helpers import REGION

# One worker runs the whole module, so the fresh clone and its installs happen once (the integration tier uses
# --dist loadgroup).
pytestmark = [pytest.mark.fresh_clone, pytest.mark.xdist_group("fresh_clone")]

SYSTEM_PYTHON = Path("/usr/bin/python3")
INSTALL_TIMEOUT_SECONDS = 900
PROGRESS_LINE = re.compile(r"^==> \S.* \.\.\. done in \d+\.\ds$")
# What the installers print when left alone: pipenv's virtualenv report, npm's and pip's notices, pip's log.
THIRD_PARTY_CHATTER = re.compile(
    r"Traceback|npm (notice|warn|WARN|ERR)|new (major |minor |patch )?version of npm|A new release of pip|\[notice\]"
    r"|Creating a virtualenv|Virtualenv location|Installing dependencies from Pipfile|Courtesy Notice|pipenv shell"
    r"|Successfully installed|Requirement already satisfied|added \d+ packages|^WARNING: ",
    re.MULTILINE,
)
STACK_FOLDERS = (
    "cdktf.out/stacks/dev-atlantis-stack",
    "cdktf.out/stacks/prod-atlantis-stack",
    "cdktf.out/stacks/mycompany-state-backend-ap-northeast-2",
)
TEST_SELECTION = (
    "tests/test_synth_integrity.py::test_cdktf_cli_synth_produces_the_same_stacks",
    "tests/test_config.py",
)
# Our own variables and those a developer's shell or the outer `./project.sh` run may carry; a new user has none.
NOT_INHERITED = re.compile(
    r"^(PIPENV_.*|PIP_DISABLE_PIP_VERSION_CHECK|npm_config_.*|VIRTUAL_ENV|PYTHONPATH|PYTHONHOME|STACKKIT_.*"
    r"|CDKTF_.*|JSII_.*|TF_STACK_.*|TF_VERSION|AWS_.*|ATLANTIS_.*|GITHUB_.*|PYTEST_.*|XDG_.*)$"
)


@dataclass
class Run:
    command: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def system_python_version() -> tuple[int, ...] | None:
    if not SYSTEM_PYTHON.is_file():
        return None
    result = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True, text=True
    )
    return tuple(int(part) for part in result.stdout.split())


def created_with_system_python(venv: str) -> str:
    """How project.sh reports making a virtual environment with the system python3."""
    version = ".".join(map(str, system_python_version() or ()))
    return f"creating {venv} with {SYSTEM_PYTHON} (Python {version})"


def machine_caches(real_home: Path) -> dict[str, str]:
    """The machine's download caches, shared with the clone so a test run does not fetch everything again."""
    return {
        "PIP_CACHE_DIR": str(real_home / ".cache/pip"),
        "PIPENV_CACHE_DIR": str(real_home / ".cache/pipenv"),
        "npm_config_cache": str(real_home / ".npm"),
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(real_home / ".cache/aws/jsii/package-cache"),
    }


def new_user_environment(home: Path, moto_endpoint: str) -> dict[str, str]:
    """The machine's environment (network and CA settings) as a new user sees it: the system bin directory ahead of
    pyenv's shims, no virtual environment on PATH, an empty HOME, AWS credentials for the local moto server."""
    inherited = {name: value for name, value in os.environ.items() if not NOT_INHERITED.match(name)}
    virtualenv_bins = {str(Path(sys.prefix) / "bin"), os.environ.get("VIRTUAL_ENV", "") + "/bin"}
    rest = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and entry not in virtualenv_bins]
    return {
        **inherited,
        **machine_caches(Path.home()),
        "HOME": str(home),
        "PATH": os.pathsep.join(["/usr/bin", "/bin", *rest]),
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "GITHUB_API_URL": "http://127.0.0.1:9",  # the dry run calls no GitHub API; if it did, it would fail here
    }


@pytest.fixture(scope="module")
def moto() -> Iterator[RecordingMotoServer]:
    server = RecordingMotoServer()
    server.start()
    yield server
    server.stop()


@dataclass
class FreshClone:
    folder: Path
    home: Path
    runs: dict[str, Run]  # "quick-deploy", "synth", "test"


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory, moto: RecordingMotoServer) -> FreshClone:
    """Clone HEAD, then run the three commands in the order a new user would, each once."""
    version = system_python_version()
    if version is None or version < (3, 11):
        pytest.skip(f"needs the distribution's Python 3.11+ at {SYSTEM_PYTHON} (found {version})")
    root = tmp_path_factory.mktemp("fresh-clone")
    clone = FreshClone(root / "stackkit-atlantis", root / "home", {})
    clone.home.mkdir()
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_ROOT), str(clone.folder)], check=True, timeout=120)
    environment = new_user_environment(clone.home, moto.endpoint)
    # moto keeps its resources per process: forget what a test that ran earlier in this worker left (for example
    # the Atlantis secret with a GitHub token, which would make the dry run check that token against GitHub).
    moto.reset()
    for name, command in (
        ("quick-deploy", ["./quick-deploy.sh", "--org", "acme", "--dry-run"]),
        ("synth", ["./project.sh", "synth"]),
        ("test", ["./project.sh", "test", *TEST_SELECTION]),
    ):
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=clone.folder,
            env=environment,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        run = Run(" ".join(command), result.returncode, result.stdout, result.stderr, time.monotonic() - started)
        clone.runs[name] = run
        # The figures for the README and the CI log: each command's time and its install steps' times.
        print(f"{run.command}: exit {run.returncode} in {run.seconds:.1f}s", file=sys.stderr)
        for line in run.stderr_lines():
            if PROGRESS_LINE.match(line):
                print(f"    {line}", file=sys.stderr)
    return clone


def install_steps(run: Run) -> list[str]:
    """The progress lines of the install steps, without their times."""
    return [line.rsplit(" ... ", 1)[0].removeprefix("==> ") for line in run.stderr_lines() if PROGRESS_LINE.match(line)]


@pytest.mark.parametrize("name", ["quick-deploy", "synth", "test"])
def test_each_command_succeeds_without_traceback_or_third_party_chatter(fresh_clone: FreshClone, name: str) -> None:
    run = fresh_clone.runs[name]
    assert run.returncode == 0, f"{run.command} failed:\n{run.output}"
    chatter = THIRD_PARTY_CHATTER.search(run.output)
    assert chatter is None, f"{run.command} printed {chatter.group(0)!r}:\n{run.output}"


def test_quick_deploy_installs_the_locked_runtime_packages_on_first_use(fresh_clone: FreshClone) -> None:
    run = fresh_clone.runs["quick-deploy"]
    assert install_steps(run) == [
        created_with_system_python(".venv-pipenv"),
        "installing pipenv into .venv-pipenv",
        created_with_system_python(".venv"),
        "installing the runtime packages of Pipfile.lock into .venv",
    ]
    # stderr holds our progress lines and the tool's warnings; the tool's steps are on stdout.
    assert all(PROGRESS_LINE.match(line) or line.startswith("warning: ") for line in run.stderr_lines()), run.stderr
    assert run.stdout.splitlines()[-1].startswith("Dry run complete: nothing in AWS or config/prod.tfvars changed")


def test_synth_installs_only_what_is_missing_and_names_every_stack_with_its_folder(fresh_clone: FreshClone) -> None:
    run = fresh_clone.runs["synth"]
    # quick-deploy installed the runtime packages already; synth adds the cdktf CLI.
    assert install_steps(run) == ["installing cdktf-cli from package-lock.json"]
    assert [line for line in run.stderr_lines() if line.startswith("==> ")][-1] == "==> synthesizing"
    *rest, last = run.stderr_lines()
    assert last == "synthesized " + ", ".join(STACK_FOLDERS)
    assert all(line.startswith(("==> ", "warning: ")) for line in rest), run.stderr
    assert run.stdout == ""
    written = {
        path.parent.relative_to(fresh_clone.folder).as_posix()
        for path in fresh_clone.folder.glob("cdktf.out/stacks/*/cdk.tf.json")
    }
    assert written == set(STACK_FOLDERS)


def test_test_command_installs_the_test_tooling_and_runs_the_selection(fresh_clone: FreshClone) -> None:
    run = fresh_clone.runs["test"]
    assert install_steps(run) == [
        "installing the dev and runtime packages of Pipfile.lock into .venv",
        created_with_system_python(".venv-checkov"),
        "installing checkov into .venv-checkov",
    ]
    before_pytest = run.stderr.split("==> running the test suite\n")[0].splitlines()
    assert all(PROGRESS_LINE.match(line) for line in before_pytest), run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed in .*=+", summary), run.stdout
    checkov = subprocess.run(
        [str(fresh_clone.folder / ".venv-checkov/bin/checkov"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    pinned = (PROJECT_ROOT / "tools/checkov-requirements.txt").read_text().split("==")[1].strip()
    assert checkov.stdout.strip() == pinned


def test_everything_lives_in_the_clone_made_by_the_system_python(fresh_clone: FreshClone) -> None:
    for venv in (".venv", ".venv-pipenv", ".venv-checkov"):
        settings = (fresh_clone.folder / venv / "pyvenv.cfg").read_text()
        assert f"home = {SYSTEM_PYTHON.parent}" in settings.splitlines(), f"{venv}: {settings}"
    assert not (fresh_clone.home / ".local").exists(), "nothing may be installed with --user"
    assert (fresh_clone.folder / ".venv/bin/pipenv").resolve() == (fresh_clone.folder / ".venv-pipenv/bin/pipenv")

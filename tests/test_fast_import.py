"""The fast AWS provider import (stacks/machinery/aws.py): the only way in, the same output as the normal import, a safe
fallback when a provider upgrade breaks it, and a synth without noise.

``python main.py`` runs three times, side by side in subprocesses, once for the whole module: the fast path, the
normal import (STACKKIT_PROVIDER_IMPORT=full) and the fast path made to fail halfway through. Each run goes through
a driver that executes main.py exactly as ``python main.py`` does and then prints, on stdout, what the provider
import did.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.machinery.selection import FRAMEWORK, FRAMEWORKS
from tests.conftest import REPO

# One worker runs the module's integration tests: the three synths run once (--dist loadgroup).
pytestmark = [pytest.mark.synth, pytest.mark.xdist_group("fast_import")]
# The three synths run main.py whole, one with the full provider import (over 1 GiB, most of a core for a while):
# the tests that read them are in the integration tier.
machinery = pytest.mark.machinery

PROVIDER_PACKAGE = FRAMEWORK.provider_package  # cdktf_cdktf_provider_aws, or cdktn_provider_aws on CDK Terrain
FALLBACK_WARNING = "warning: fast AWS provider import failed"
SYNTH_TIMEOUT_SECONDS = 180

# Runs main.py as `python main.py` would, then reports what the provider import did (stdout; main.py uses stderr).
REPORTING_DRIVER = """
import json, runpy, sys
exit_code = 0
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit as stop:
    exit_code = stop.code
from stacks.machinery.aws import PACKAGE, aws
package = sys.modules.get(PACKAGE)
print(json.dumps({
    "mode": aws.mode,
    "through_namespace": sorted(aws.loaded),
    "submodules": sorted({name.split(".")[1] for name in sys.modules if name.startswith(PACKAGE + ".")}),
    "package_init_ran": hasattr(package, "__all__"),
    "broken_after": globals().get("BROKEN_AFTER"),
}))
sys.exit(exit_code)
"""

# A provider upgrade in which one submodule the stacks use (after many others) needs the package __init__: the
# fast path fails in the middle of building the stacks, the hardest moment to fall back. BROKEN_AFTER records how
# many provider submodules the fast path had loaded by then.
BREAK_FAST_PATH_HALFWAY = f"""
import sys
BROKEN_AFTER = []
class NeedsPackageInit:
    def find_spec(self, name, path=None, target=None):
        package = sys.modules.get("{PROVIDER_PACKAGE}")
        if name == "{PROVIDER_PACKAGE}.ecs_service" and package is not None and not hasattr(package, "__all__"):
            BROKEN_AFTER.append(sum(module.startswith("{PROVIDER_PACKAGE}.") for module in sys.modules))
            raise ImportError("simulated upgrade: ecs_service needs the package __init__")
        return None
sys.meta_path.insert(0, NeedsPackageInit())
"""


@dataclass(frozen=True)
class Synth:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any]
    outdir: Path

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def synth_environment(outdir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without anything that changes what or how main.py synthesizes."""
    ambient = ("STACKKIT_", "CDKTF_", "TF_STACK_", "TF_VERSION", "JSII_SILENCE_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ambient)}
    return {**env, "STACKKIT_OUTDIR": str(outdir), **extra}


@pytest.fixture(scope="module")
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    """fast, full and fallback synths of every shipped environment, run in parallel."""
    base = tmp_path_factory.mktemp("fast-import")
    processes = {
        "fast": _start(base, "fast", REPORTING_DRIVER),
        "full": _start(base, "full", REPORTING_DRIVER, STACKKIT_PROVIDER_IMPORT="full"),
        "fallback": _start(base, "fallback", BREAK_FAST_PATH_HALFWAY + REPORTING_DRIVER),
    }
    try:
        return {name: _finish(base, name, process) for name, process in processes.items()}
    finally:  # a failed or timed-out synth leaves no process behind
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


def _start(base: Path, name: str, driver: str, **extra_env: str) -> subprocess.Popen[bytes]:
    with (base / f"{name}.out").open("wb") as stdout, (base / f"{name}.err").open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-c", driver],
            cwd=REPO,
            env=synth_environment(base / name / "cdktf.out", **extra_env),
            stdout=stdout,
            stderr=stderr,
        )


def _finish(base: Path, name: str, process: subprocess.Popen[bytes]) -> Synth:
    returncode = process.wait(timeout=SYNTH_TIMEOUT_SECONDS)
    stdout = (base / f"{name}.out").read_text()
    stderr = (base / f"{name}.err").read_text()
    assert returncode == 0, f"{name} synth failed (exit {returncode}):\n{stderr[-3000:]}"
    return Synth(returncode, stdout, stderr, json.loads(stdout.splitlines()[-1]), base / name / "cdktf.out")


def output_files(outdir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(outdir)): path.read_bytes() for path in sorted(outdir.rglob("*")) if path.is_file()}


def assert_same_output(actual: Path, expected: Path) -> None:
    actual_files, expected_files = output_files(actual), output_files(expected)
    assert sorted(actual_files) == sorted(expected_files)
    different = [name for name in expected_files if actual_files[name] != expected_files[name]]
    assert not different, f"files differ from the normal import's output: {different}"


# --- a) output equality ---------------------------------------------------------------------------------------


@machinery
def test_fast_import_synthesizes_byte_identical_output(synths: dict[str, Synth]) -> None:
    files = output_files(synths["full"].outdir)
    assert "manifest.json" in files
    assert len([name for name in files if name.endswith("cdk.tf.json")]) >= 3  # prod, dev, state backend
    assert_same_output(synths["fast"].outdir, synths["full"].outdir)


# --- b) the fast path is the only way in, and it is really taken ------------------------------------------------


def python_sources() -> Iterator[Path]:
    """Every .py file of the project: not virtualenvs, node_modules, build output or the naive benchmark app."""
    skipped = {"node_modules", "build", "hello_world", "hello_world_cdktn"}  # naive apps import the provider on purpose
    for directory, subdirectories, files in os.walk(REPO):
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith((".", "cdktf.out", "__pycache__")) and name not in skipped
        ]
        yield from (Path(directory) / name for name in files if name.endswith(".py"))


def static_imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def string_constants(tree: ast.AST) -> Iterator[str]:
    """Module names held in strings for importlib (stacks/machinery/aws.py imports the provider by name)."""
    yield from (node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str))


def files_where(uses: Callable[[ast.AST], bool]) -> set[str]:
    this_file = Path(__file__).resolve()
    return {
        str(path.relative_to(REPO))
        for path in python_sources()
        if path.resolve() != this_file  # it names the packages in order to look for them
        and uses(ast.parse(path.read_text(), filename=str(path)))
    }


PROVIDER_PACKAGES = {framework.provider_package for framework in FRAMEWORKS.values()}  # of cdktf and CDK Terrain


def imports_provider(tree: ast.AST) -> bool:
    names = [*static_imports(tree), *string_constants(tree)]
    return any(name.split(".")[0] in PROVIDER_PACKAGES for name in names)


def imports_cdktf_or_constructs(tree: ast.AST) -> bool:
    frameworks = {framework.core_package for framework in FRAMEWORKS.values()}
    return any(module.split(".")[0] in {*frameworks, "constructs"} for module in static_imports(tree))


def test_only_stacks_machinery_names_the_provider_package() -> None:
    # The names live in stacks/machinery/selection.py's table; stacks/machinery/aws.py imports the package by that
    # name and jsii_cache.py finds its tarball with it (find_spec, which does not import it; tests/test_jsii_cache.py
    # proves that in a subprocess). tools/framework_parity.py only reads synthesized JSON.
    assert files_where(imports_provider) == {"stacks/machinery/selection.py"}
    assert "FRAMEWORK.provider_package" in (REPO / "stacks" / "machinery" / "aws.py").read_text()


def test_only_stacks_framework_imports_cdktf_and_constructs() -> None:
    assert files_where(imports_cdktf_or_constructs) == {"stacks/machinery/framework.py"}


@machinery
def test_fast_synth_never_runs_the_provider_package_init(synths: dict[str, Synth]) -> None:
    fast, full = synths["fast"].report, synths["full"].report
    assert fast["mode"] == "fast"
    assert not fast["package_init_ran"]
    assert len(fast["submodules"]) < 200, "far fewer than the ~2,200 submodules the package __init__ imports"
    # The normal path really is the normal path, so the equality test compares two different things.
    assert full["mode"] == "full"
    assert full["package_init_ran"]
    if provider_init_is_lazy():  # CDK Terrain's __init__ imports a submodule on first access (PEP 562), as we do
        assert {name for name in full["submodules"] if not name.startswith("_")} == set(full["through_namespace"])
    else:  # cdktf's __init__ imports every submodule
        assert len(full["submodules"]) > 2000


def provider_init_is_lazy() -> bool:
    """The provider package's __init__ defines a module __getattr__ that imports submodules on demand."""
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    assert spec is not None and spec.origin is not None
    return "\ndef __getattr__(name: str)" in Path(spec.origin).read_text("utf-8")


@machinery
def test_every_provider_submodule_comes_through_the_fast_namespace(synths: dict[str, Synth]) -> None:
    report = synths["fast"].report
    assert set(report["submodules"]) - {"_jsii"} == set(report["through_namespace"])


@machinery
def test_every_synthesized_aws_type_was_loaded_through_the_fast_namespace(synths: dict[str, Synth]) -> None:
    needed = set()
    for stack_file in synths["fast"].outdir.glob("stacks/*/cdk.tf.json"):
        stack = json.loads(stack_file.read_text())
        needed |= {kind.removeprefix("aws_") for kind in stack.get("resource", {}) if kind.startswith("aws_")}
        needed |= {f"data_{kind}" for kind in stack.get("data", {}) if kind.startswith("aws_")}
        if "aws" in stack.get("provider", {}):
            needed.add("provider")
    assert len(needed) > 20
    assert needed <= set(synths["fast"].report["through_namespace"])


# --- c) fallback ----------------------------------------------------------------------------------------------


@machinery
def test_broken_fast_path_falls_back_with_one_warning_and_same_output(synths: dict[str, Synth]) -> None:
    fallback = synths["fallback"]
    warnings = [line for line in fallback.stderr_lines() if line.startswith(FALLBACK_WARNING)]
    assert len(warnings) == 1, fallback.stderr
    assert "simulated upgrade: ecs_service needs the package __init__" in warnings[0]
    [loaded_when_broken] = fallback.report["broken_after"]
    assert loaded_when_broken >= 10, "the fast path broke halfway, after loading many submodules"
    assert fallback.report["mode"] == "full"
    assert fallback.report["package_init_ran"]
    assert_same_output(fallback.outdir, synths["full"].outdir)


# --- d) clean output ------------------------------------------------------------------------------------------


@machinery
@pytest.mark.parametrize("variant", ["fast", "full", "fallback"])
def test_synth_stderr_holds_only_our_warnings_and_the_summary(synths: dict[str, Synth], variant: str) -> None:
    synth = synths[variant]
    assert len(synth.stdout.splitlines()) == 1, "main.py writes nothing to stdout (the line is the driver's report)"
    assert "end-of-life" not in synth.stderr.lower()
    assert "!!!!" not in synth.stderr
    *warnings, summary = synth.stderr_lines()
    assert summary.startswith("synthesized ")
    assert all(line.startswith("warning: ") for line in warnings), warnings
    if variant != "fallback":
        assert not any(line.startswith(FALLBACK_WARNING) for line in warnings)

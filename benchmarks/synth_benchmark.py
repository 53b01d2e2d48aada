"""Synthesis speed and memory: this app's ``python main.py`` against a naive one-resource app, on cdktf and on CDK
Terrain side by side.

    pipenv run python benchmarks/synth_benchmark.py [--runs N] [--cold-runs N] [--skip-tests] [--skip-full-import]
                                                    [--frameworks cdktf,cdktn]

Each framework runs in its own venv: the one running this script, and the other one's if ./project.sh installed it
(.venv for cdktf, frameworks/cdktn/.venv for CDK Terrain, see README "Moving to CDK Terrain"); a framework whose venv
is missing is reported and left out. Its naive app is benchmarks/hello_world/main.py (cdktf) or
benchmarks/hello_world_cdktn/main.py. The goals are checked for each framework against its own naive app.

Every synth runs in its own subprocess (its own process group) into a fresh temporary output folder, so
``cdktf.out/`` is never touched. The apps take turns round by round, so background load hits them alike.

- cold: nothing cached, as on a fresh CI machine: ``PYTHONDONTWRITEBYTECODE=1`` and ``PYTHONPYCACHEPREFIX`` on a
  fresh empty folder (no .pyc is reused, none is written) and ``JSII_RUNTIME_PACKAGE_CACHE_ROOT`` on a fresh empty
  folder (Node unpacks every jsii tarball into it). Nothing in site-packages or ~/.cache is deleted. Median of
  ``--cold-runs`` runs (default 1: a cold naive run takes most of a minute).
- warm: median of ``--runs`` runs with the normal caches, after one untimed priming run per app.
- no-cache: one warm run with ``JSII_RUNTIME_PACKAGE_CACHE=disabled`` (Node unpacks the tarballs into a temporary
  folder every time): what caching the jsii package cache in CI saves.
- memory, in MiB (1 MiB = 1.048576 MB), the highest of an app's runs of that kind:
  RSS: the peak sum of resident set size over all processes of the run (python, the jsii Node wrapper, the jsii
  kernel), sampled every 20 ms. A page shared by two of them counts twice, so it errs high; the 700 MB goal is
  checked against it (in MiB) because it does not depend on what else runs on the machine.
  PSS: the same sum of proportional set size (a shared page counts 1/n in each of the n processes mapping it,
  including processes outside the run), sampled every 200 ms: what the run costs the machine, but lower when other
  processes share the same node binary and libraries.
  largest: the peak of the biggest single process (VmHWM, and ru_maxrss of the reaped tree).

Exits 0 when every goal is met, 1 when one is missed, 2 when a synth fails.
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELLO_WORLD = REPO / "benchmarks" / "hello_world" / "main.py"
HELLO_WORLDS = {"cdktf": HELLO_WORLD, "cdktn": REPO / "benchmarks" / "hello_world_cdktn" / "main.py"}
VENV_PYTHONS = {
    "cdktf": REPO / ".venv" / "bin" / "python",
    "cdktn": REPO / "frameworks" / "cdktn" / ".venv" / "bin" / "python",
}

RATIO_GOAL = 0.3
PEAK_GOAL_MIB = 700
SUITE_GOAL_SECONDS = 90
SYNTH_TIMEOUT_SECONDS = 600
SUITE_TIMEOUT_SECONDS = 1800
SAMPLE_INTERVAL_SECONDS = 0.02
PSS_EVERY_N_SAMPLES = 10  # smaps_rollup walks page tables: ~10 ms for the Node kernel, too costly every 20 ms
KIB_PER_MIB = 1024
MB_PER_MIB = 1.048576

COLD, WARM, NO_CACHE = "cold", "warm", "no-cache"
LABEL_WIDTH = 48

# Variables that would change what the apps synthesize, or how; every run starts without them.
AMBIENT_PREFIXES = ("STACKKIT_", "CDKTF_", "TF_STACK_", "JSII_RUNTIME_PACKAGE_CACHE", "PYTHONPYCACHEPREFIX")
AMBIENT_NAMES = ("TF_VERSION", "PYTHONDONTWRITEBYTECODE")


@dataclass(frozen=True)
class App:
    label: str
    script: Path
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable  # the venv of the app's framework


@dataclass(frozen=True)
class Run:
    seconds: float
    tree_pss_kib: int
    tree_rss_kib: int
    largest_process_kib: int
    outdir: Path


@dataclass
class AppResult:
    app: App
    runs: dict[str, list[Run]] = field(default_factory=lambda: {COLD: [], WARM: [], NO_CACHE: []})

    def seconds(self, kind: str) -> float:
        return statistics.median(run.seconds for run in self.runs[kind])

    def tree_pss_mib(self, kind: str) -> float:
        return max(run.tree_pss_kib for run in self.runs[kind]) / KIB_PER_MIB

    def tree_rss_mib(self, kind: str) -> float:
        return max(run.tree_rss_kib for run in self.runs[kind]) / KIB_PER_MIB

    def largest_process_mib(self, kind: str) -> float:
        return max(run.largest_process_kib for run in self.runs[kind]) / KIB_PER_MIB


class SynthError(Exception):
    """An app exited non-zero or timed out; the benchmark would compare nothing meaningful."""


# --- one measured synth -----------------------------------------------------------------------------------------


def process_group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # the process exited between listdir and read
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
            members.append(int(entry))
    return members


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a live process in KiB; zeros once it has exited."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")  # "VmRSS:\t  55840 kB"
            if key in values:
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


def proportional_set_size_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_measured(app: App, env: dict[str, str], scratch: Path) -> Run:
    """Run one synth; wall time is until the Python process exits (what a shell waits for)."""
    outdir = Path(tempfile.mkdtemp(prefix="out-", dir=scratch)) / "cdktf.out"
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [app.python, str(app.script)],
            cwd=REPO,
            env={**env, **app.env, "STACKKIT_OUTDIR": str(outdir)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: the Node children are found (and killed) by group
        )
        tree_pss, tree_rss, largest, status, rusage_kib, samples = 0, 0, 0, None, 0, 0
        while status is None:
            members = process_group_members(process.pid)
            rss_total = 0
            for pid in members:
                rss, hwm = memory_kib(pid)
                rss_total += rss
                largest = max(largest, hwm)
            tree_rss = max(tree_rss, rss_total)
            if samples % PSS_EVERY_N_SAMPLES == 0:
                tree_pss = max(tree_pss, sum(proportional_set_size_kib(pid) for pid in members))
            samples += 1
            reaped, wait_status, rusage = os.wait4(process.pid, os.WNOHANG)
            if reaped:
                status, rusage_kib = wait_status, rusage.ru_maxrss
            elif time.perf_counter() - started > SYNTH_TIMEOUT_SECONDS:
                os.killpg(process.pid, signal.SIGKILL)
                os.waitpid(process.pid, 0)
                raise SynthError(f"{app.label} took longer than {SYNTH_TIMEOUT_SECONDS} s")
            else:
                time.sleep(SAMPLE_INTERVAL_SECONDS)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keeps Popen from waiting again
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace")[-2000:]
            raise SynthError(f"{app.label} exited {process.returncode}:\n{tail}")
    return Run(seconds, tree_pss, tree_rss, max(largest, rusage_kib), outdir)


# --- the rounds -------------------------------------------------------------------------------------------------


def base_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(AMBIENT_PREFIXES) and name not in AMBIENT_NAMES
    }


def cold_environment(scratch: Path) -> dict[str, str]:
    return {
        **base_environment(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPYCACHEPREFIX": str(scratch / "pycache"),
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(scratch / "jsii-package-cache"),
    }


def measure(apps: list[App], runs: int, cold_runs: int, scratch: Path) -> list[AppResult]:
    """Cold rounds, a priming round, warm rounds, a no-cache round; within a round the apps take turns."""
    results = [AppResult(app) for app in apps]
    for _ in range(cold_runs):
        for result in results:
            empty_caches = Path(tempfile.mkdtemp(prefix="cold-", dir=scratch))
            record(result, COLD, run_measured(result.app, cold_environment(empty_caches), scratch))
            shutil.rmtree(empty_caches)  # up to 450 MB of unpacked provider
    warm = base_environment()
    for result in results:  # priming: afterwards the normal caches hold this code and these tarballs
        run_measured(result.app, warm, scratch)
    for _ in range(runs):
        for result in results:
            record(result, WARM, run_measured(result.app, warm, scratch))
    no_cache = {**warm, "JSII_RUNTIME_PACKAGE_CACHE": "disabled"}
    for result in results:
        record(result, NO_CACHE, run_measured(result.app, no_cache, scratch))
    return results


def record(result: AppResult, kind: str, run: Run) -> None:
    result.runs[kind].append(run)
    print(
        f"  {kind:<9} {result.app.label:<{LABEL_WIDTH}} {run.seconds:6.2f} s  tree RSS {run.tree_rss_kib / KIB_PER_MIB:5.0f} MiB",
        file=sys.stderr,
        flush=True,
    )


def same_tree(left: Path, right: Path) -> bool:
    """Byte-for-byte equality of two output folders (every file, same names)."""
    left_files = sorted(path.relative_to(left) for path in left.rglob("*") if path.is_file())
    right_files = sorted(path.relative_to(right) for path in right.rglob("*") if path.is_file())
    return left_files == right_files and all(
        filecmp.cmp(left / name, right / name, shallow=False) for name in left_files
    )


def time_test_suite() -> tuple[str, float, str]:
    """(command, wall seconds, pytest's summary line) of the whole suite, run as a developer runs it."""
    command = ["pipenv", "run", "pytest", "-q"] if shutil.which("pipenv") else [sys.executable, "-m", "pytest", "-q"]
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=REPO, env=base_environment(), capture_output=True, text=True, timeout=SUITE_TIMEOUT_SECONDS
    )
    seconds = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else "no output"
    if completed.returncode != 0:
        summary = f"{summary}, exit {completed.returncode}"
    shown = "pipenv run pytest -q" if command[0] == "pipenv" else "python -m pytest -q"
    return shown, seconds, summary


# --- report -----------------------------------------------------------------------------------------------------


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def framework_python(name: str) -> str | None:
    """The interpreter of a framework's venv: this one if it has the framework, else the venv ./project.sh makes."""
    if importlib.util.find_spec(name) is not None:
        return sys.executable
    python = VENV_PYTHONS[name]
    return str(python) if python.exists() else None


def framework_versions(name: str, python: str) -> str:
    """ "cdktf 0.21.0, cdktf-cdktf-provider-aws 21.22.1, jsii 1.142.0", read in the framework's own venv."""
    distributions = (name, {"cdktf": "cdktf-cdktf-provider-aws", "cdktn": "cdktn-provider-aws"}[name], "jsii")
    probe = "import sys\nfrom importlib.metadata import version\nprint(', '.join(f'{d} {version(d)}' for d in sys.argv[1:]))"
    completed = subprocess.run([python, "-c", probe, *distributions], capture_output=True, text=True, check=False)
    return completed.stdout.strip() or f"{name}: versions unknown ({completed.stderr.strip()[-200:]})"


def machine_lines(pythons: dict[str, str]) -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in read_lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next((int(line.split()[1]) for line in read_lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    versions = "; ".join(framework_versions(name, python) for name, python in pythons.items())
    return [
        f"date:     {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine:  nproc {len(os.sched_getaffinity(0))}, {cpu}, {memory_kib / KIB_PER_MIB / 1024:.1f} GiB RAM, "
        f"load average {os.getloadavg()[0]:.2f} at start",
        f"software: Python {platform.python_version()}, Node {node}, {versions}"
        + (f", NODE_OPTIONS={os.environ['NODE_OPTIONS']!r}" if os.environ.get("NODE_OPTIONS") else ""),
    ]


TABLE_COLUMNS = (
    ("cold s", lambda result: result.seconds(COLD)),
    ("cold RSS", lambda result: result.tree_rss_mib(COLD)),
    ("warm s", lambda result: result.seconds(WARM)),
    ("warm RSS", lambda result: result.tree_rss_mib(WARM)),
    ("warm PSS", lambda result: result.tree_pss_mib(WARM)),
    ("warm largest", lambda result: result.largest_process_mib(WARM)),
    ("no-cache s", lambda result: result.seconds(NO_CACHE)),
    ("no-cache RSS", lambda result: result.tree_rss_mib(NO_CACHE)),
)


def print_table(results: list[AppResult], runs: int, cold_runs: int) -> None:
    widths = [max(len(title), 7) for title, _ in TABLE_COLUMNS]
    print(
        f"{'app':<{LABEL_WIDTH}} "
        + " ".join(f"{title:>{width}}" for (title, _), width in zip(TABLE_COLUMNS, widths, strict=True))
    )
    for result in results:
        cells = [
            f"{value(result):{width}.{2 if title.endswith(' s') else 0}f}"
            for (title, value), width in zip(TABLE_COLUMNS, widths, strict=True)
        ]
        print(f"{result.app.label:<{LABEL_WIDTH}} " + " ".join(cells))
    print(
        f"s: wall seconds, median of {cold_runs} cold / {runs} warm / 1 no-cache run (JSII_RUNTIME_PACKAGE_CACHE=disabled)"
    )
    print("RSS, PSS: peak process-tree sums, largest: peak of one process, all in MiB and the highest run")


def goal_checks(ours: AppResult, naive: AppResult, framework: str = "cdktf") -> list[tuple[bool, str]]:
    warm_ratio = ours.seconds(WARM) / naive.seconds(WARM)
    cold_ratio = ours.seconds(COLD) / naive.seconds(COLD)
    checks = [
        (warm_ratio <= RATIO_GOAL, f"{framework}: time ours/naive, warm: {warm_ratio:.3f} (goal <= {RATIO_GOAL})"),
        (cold_ratio <= RATIO_GOAL, f"{framework}: time ours/naive, cold: {cold_ratio:.3f} (goal <= {RATIO_GOAL})"),
    ]
    for kind in (WARM, COLD):
        rss = ours.tree_rss_mib(kind)
        checks.append(
            (
                rss <= PEAK_GOAL_MIB,
                f"{framework}: peak memory ours, {kind}: {rss:.0f} MiB ({rss * MB_PER_MIB:.0f} MB) process-tree RSS "
                f"(goal <= {PEAK_GOAL_MIB} MiB); PSS {ours.tree_pss_mib(kind):.0f} MiB, "
                f"largest process {ours.largest_process_mib(kind):.0f} MiB",
            )
        )
    return checks


def print_check(passed: bool, text: str) -> bool:
    print(f"{'PASS' if passed else 'FAIL'}  {text}", flush=True)
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description="Time and measure synthesis of this app against a naive app.")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per app, the median is reported (default 3)")
    parser.add_argument(
        "--cold-runs", type=int, default=1, help="cold runs per app, the median is reported (default 1)"
    )
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--skip-full-import", action="store_true", help="leave out this app with STACKKIT_PROVIDER_IMPORT=full"
    )
    parser.add_argument(
        "--frameworks", default="cdktf,cdktn", help="comma-separated, of cdktf and cdktn (default: both, side by side)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.cold_runs < 1:
        parser.error("--runs and --cold-runs must be at least 1")
    requested = [name.strip() for name in args.frameworks.split(",") if name.strip()]
    if not requested or any(name not in HELLO_WORLDS for name in requested):
        parser.error("--frameworks takes cdktf, cdktn or both (cdktf,cdktn)")

    pythons: dict[str, str] = {}
    for name in requested:
        python = framework_python(name)
        if python is None:
            print(f"note: {name} left out: no venv with it (STACKKIT_FRAMEWORK={name} ./project.sh synth installs it)")
        else:
            pythons[name] = python
    if not pythons:
        print("error: none of the requested frameworks is installed", file=sys.stderr)
        return 2
    groups: dict[str, list[App]] = {}
    for name, python in pythons.items():
        framework = {"STACKKIT_FRAMEWORK": name}
        groups[name] = [
            App(f"{name}: stackkit python main.py", REPO / "main.py", framework, python),
            App(
                f"{name}: stackkit, STACKKIT_PROVIDER_IMPORT=full",
                REPO / "main.py",
                {**framework, "STACKKIT_PROVIDER_IMPORT": "full"},
                python,
            ),
            App(f"{name}: naive hello world (one S3 bucket)", HELLO_WORLDS[name], {}, python),
        ]
        if args.skip_full_import:
            del groups[name][1]

    print("\n".join(machine_lines(pythons)))
    print(f"command:  pipenv run python benchmarks/synth_benchmark.py {' '.join(sys.argv[1:])}".rstrip(), flush=True)
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as scratch:
        try:
            results = measure(
                [app for apps in groups.values() for app in apps], args.runs, args.cold_runs, Path(scratch)
            )
        except SynthError as failure:
            print(f"error: {failure}", file=sys.stderr)
            return 2
        by_label = {result.app.label: result for result in results}
        fast_matches_full = {
            name: None
            if args.skip_full_import
            else same_tree(*(by_label[app.label].runs[WARM][0].outdir for app in apps[:2]))
            for name, apps in groups.items()
        }
    print()
    print_table(results, args.runs, args.cold_runs)
    print()
    passed = []
    for name, apps in groups.items():
        passed += [
            print_check(ok, text) for ok, text in goal_checks(by_label[apps[0].label], by_label[apps[-1].label], name)
        ]
        if fast_matches_full[name] is not None:
            passed.append(
                print_check(
                    bool(fast_matches_full[name]),
                    f"{name}: output of the fast import byte-identical to the full import",
                )
            )
    if not args.skip_tests:
        command, seconds, summary = time_test_suite()
        suite_ok = seconds <= SUITE_GOAL_SECONDS and "exit" not in summary
        passed.append(
            print_check(
                suite_ok, f"test suite `{command}`: {seconds:.1f} s ({summary}) (goal <= {SUITE_GOAL_SECONDS} s)"
            )
        )
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())

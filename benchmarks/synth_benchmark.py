"""Synthesis speed and memory: this app's ``python main.py`` against a naive one-resource cdktf app.

    pipenv run python benchmarks/synth_benchmark.py [--runs N] [--skip-tests] [--skip-full-import]

Every synth runs in its own subprocess (its own process group) with a fresh temporary output folder, so
``cdktf.out/`` is never touched. The apps take turns round by round, so background load hits them alike.

- cold: no Python bytecode and no jsii package cache to reuse: ``PYTHONDONTWRITEBYTECODE=1``,
  ``PYTHONPYCACHEPREFIX`` and ``JSII_RUNTIME_PACKAGE_CACHE_ROOT`` pointing at fresh empty folders. That is a fresh
  CI machine without caches, without deleting anything from site-packages or ~/.cache.
- warm: median of ``--runs`` runs with the normal caches, after one untimed priming run per app.
- warm, jsii cache off: one run with ``JSII_RUNTIME_PACKAGE_CACHE=disabled`` (Node unpacks every jsii tarball
  again), to show what caching ~/.cache/aws/jsii/package-cache in CI saves.
- tree peak: the largest sum of resident memory (VmRSS) over all processes of the run (python, the jsii Node
  wrapper, the jsii kernel), sampled every 20 ms; shared pages count once per process, so it errs high.
  largest process: the highest single-process peak (VmHWM while alive, ru_maxrss of the reaped tree).
  Both are the maximum over every run of that app. The 700 MB goal is checked against the tree peak (in MiB).

Exits 1 when a goal is missed, 0 when all pass.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELLO_WORLD = REPO / "benchmarks" / "hello_world" / "main.py"

RATIO_GOAL = 0.3
PEAK_GOAL_MIB = 700
SUITE_GOAL_SECONDS = 90
SYNTH_TIMEOUT_SECONDS = 600
SUITE_TIMEOUT_SECONDS = 1800
SAMPLE_INTERVAL_SECONDS = 0.02
KIB_PER_MIB = 1024

# Variables that would change what the apps synthesize or where; every run starts without them.
AMBIENT_PREFIXES = ("STACKKIT_", "CDKTF_", "TF_STACK_", "JSII_RUNTIME_PACKAGE_CACHE", "PYTHONPYCACHEPREFIX")
AMBIENT_NAMES = ("TF_VERSION", "PYTHONDONTWRITEBYTECODE")


@dataclass(frozen=True)
class App:
    label: str
    script: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    seconds: float
    tree_peak_kib: int
    largest_process_kib: int
    outdir: Path


@dataclass
class AppResult:
    app: App
    cold: Run | None = None
    warm: list[Run] = field(default_factory=list)
    cache_off: Run | None = None

    def runs(self) -> list[Run]:
        return [run for run in (self.cold, *self.warm, self.cache_off) if run is not None]

    @property
    def warm_median(self) -> float:
        return statistics.median(run.seconds for run in self.warm)

    @property
    def tree_peak_mib(self) -> float:
        return max(run.tree_peak_kib for run in self.runs()) / KIB_PER_MIB

    @property
    def largest_process_mib(self) -> float:
        return max(run.largest_process_kib for run in self.runs()) / KIB_PER_MIB


class SynthError(Exception):
    """An app exited non-zero or timed out; the benchmark would compare nothing meaningful."""


# --- process-tree memory sampling -------------------------------------------------------------------------------


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


def run_measured(script: Path, env: dict[str, str]) -> Run:
    """Run one synth and return its wall time (until the Python process exits) and memory peaks."""
    outdir = Path(tempfile.mkdtemp(prefix="synth-bench-out-")) / "cdktf.out"
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(script)],
            cwd=REPO,
            env={**env, "STACKKIT_OUTDIR": str(outdir)},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: the node children are found (and killed) by group
        )
        tree_peak, largest, status, rusage_kib = 0, 0, None, 0
        while status is None:
            rss_total = 0
            for pid in process_group_members(process.pid):
                rss, hwm = memory_kib(pid)
                rss_total += rss
                largest = max(largest, hwm)
            tree_peak = max(tree_peak, rss_total)
            reaped, wait_status, rusage = os.wait4(process.pid, os.WNOHANG)
            if reaped:
                status, rusage_kib = wait_status, rusage.ru_maxrss
            elif time.perf_counter() - started > SYNTH_TIMEOUT_SECONDS:
                os.killpg(process.pid, signal.SIGKILL)
                os.waitpid(process.pid, 0)
                raise SynthError(f"{script} took longer than {SYNTH_TIMEOUT_SECONDS} s")
            else:
                time.sleep(SAMPLE_INTERVAL_SECONDS)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; keep Popen from waiting again
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace")[-2000:]
            raise SynthError(f"{script} exited {process.returncode}:\n{tail}")
    return Run(seconds, tree_peak, max(largest, rusage_kib), outdir)


# --- scenarios --------------------------------------------------------------------------------------------------


def base_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(AMBIENT_PREFIXES) and name not in AMBIENT_NAMES
    }


@contextlib.contextmanager
def cold_environment() -> Iterator[dict[str, str]]:
    scratch = Path(tempfile.mkdtemp(prefix="synth-bench-cold-"))
    try:
        yield {
            **base_environment(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPYCACHEPREFIX": str(scratch / "pycache"),
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(scratch / "jsii-package-cache"),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(apps: list[App], runs: int) -> list[AppResult]:
    results = [AppResult(app) for app in apps]
    for result in results:
        with cold_environment() as env:
            result.cold = report_progress(
                "cold", result.app, run_measured(result.app.script, {**env, **result.app.env})
            )
    warm_env = base_environment()
    for result in results:  # priming: the normal caches hold this exact code and these tarballs afterwards
        cleanup(run_measured(result.app.script, {**warm_env, **result.app.env}))
    for round_number in range(1, runs + 1):
        for result in results:
            run = run_measured(result.app.script, {**warm_env, **result.app.env})
            result.warm.append(report_progress(f"warm {round_number}/{runs}", result.app, run))
    cache_off_env = {**warm_env, "JSII_RUNTIME_PACKAGE_CACHE": "disabled"}
    for result in results:
        run = run_measured(result.app.script, {**cache_off_env, **result.app.env})
        result.cache_off = report_progress("jsii cache off", result.app, run)
    return results


def report_progress(kind: str, app: App, run: Run) -> Run:
    print(
        f"  {kind:<15} {app.label:<38} {run.seconds:6.2f} s  tree {run.tree_peak_kib / KIB_PER_MIB:6.0f} MiB",
        file=sys.stderr,
    )
    return run


def cleanup(run: Run) -> None:
    shutil.rmtree(run.outdir.parent, ignore_errors=True)


def same_tree(left: Path, right: Path) -> bool:
    """Byte-for-byte equality of two output folders (every file, same names)."""
    left_files = sorted(path.relative_to(left) for path in left.rglob("*") if path.is_file())
    right_files = sorted(path.relative_to(right) for path in right.rglob("*") if path.is_file())
    return left_files == right_files and all(
        filecmp.cmp(left / name, right / name, shallow=False) for name in left_files
    )


# --- test suite -------------------------------------------------------------------------------------------------


def time_test_suite() -> tuple[str, float, str]:
    """(command, wall seconds, pytest's summary line) of the whole suite as a developer runs it."""
    command = ["pipenv", "run", "pytest", "-q"] if shutil.which("pipenv") else [sys.executable, "-m", "pytest", "-q"]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=REPO,
        env=base_environment(),
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_SECONDS,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"no output (exit {completed.returncode})"
    if completed.returncode != 0:
        summary = f"{summary} (exit {completed.returncode})"
    shown = "pipenv run pytest -q" if command[0] == "pipenv" else "python -m pytest -q"
    return shown, seconds, summary


# --- report -----------------------------------------------------------------------------------------------------


def machine_lines() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open_lines("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    memory_kib = next((int(line.split()[1]) for line in open_lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    versions = ", ".join(f"{name} {installed_version(name)}" for name in ("cdktf", "cdktf-cdktf-provider-aws", "jsii"))
    return [
        f"date:     {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine:  {len(os.sched_getaffinity(0))} CPUs (nproc), {cpu}, {memory_kib / KIB_PER_MIB / 1024:.1f} GiB RAM, "
        f"load average {os.getloadavg()[0]:.2f} at start",
        f"software: Python {platform.python_version()}, Node {node}, {versions}",
    ]


def open_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_report(results: list[AppResult], ours: AppResult, naive: AppResult, runs: int) -> bool:
    print(f"{'app':<38} {'cold s':>7} {'warm s':>7} {'no-cache s':>10} {'tree peak MiB':>14} {'largest MiB':>12}")
    for result in results:
        cache_off = result.cache_off.seconds if result.cache_off else float("nan")
        cold = result.cold.seconds if result.cold else float("nan")
        print(
            f"{result.app.label:<38} {cold:7.2f} {result.warm_median:7.2f} {cache_off:10.2f} "
            f"{result.tree_peak_mib:14.0f} {result.largest_process_mib:12.0f}"
        )
    print(f"(warm = median of {runs} runs; no-cache = warm with JSII_RUNTIME_PACKAGE_CACHE=disabled)")
    assert ours.cold is not None and naive.cold is not None
    cold_ratio = ours.cold.seconds / naive.cold.seconds
    warm_ratio = ours.warm_median / naive.warm_median
    checks = [
        (f"ratio ours/naive, warm  {warm_ratio:5.2f}  (goal <= {RATIO_GOAL})", warm_ratio <= RATIO_GOAL),
        (f"ratio ours/naive, cold  {cold_ratio:5.2f}  (goal <= {RATIO_GOAL})", cold_ratio <= RATIO_GOAL),
        (
            f"peak memory, ours       {ours.tree_peak_mib:5.0f} MiB process-tree sum (goal <= {PEAK_GOAL_MIB}); "
            f"largest single process {ours.largest_process_mib:.0f} MiB",
            ours.tree_peak_mib <= PEAK_GOAL_MIB,
        ),
    ]
    print()
    for text, passed in checks:
        print(f"{verdict(passed)}  {text}")
    return all(passed for _, passed in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="warm runs per app (median reported); default 3")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--skip-full-import", action="store_true", help="leave out our app with STACKKIT_PROVIDER_IMPORT=full"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    ours = App("stackkit: python main.py", REPO / "main.py")
    naive = App("naive hello world (1 S3 bucket)", HELLO_WORLD)
    full = App("stackkit, STACKKIT_PROVIDER_IMPORT=full", REPO / "main.py", {"STACKKIT_PROVIDER_IMPORT": "full"})
    apps = [ours, naive] if args.skip_full_import else [ours, full, naive]

    print("\n".join(machine_lines()))
    print(f"command:  pipenv run python benchmarks/synth_benchmark.py {' '.join(sys.argv[1:])}".rstrip(), flush=True)
    try:
        results = measure(apps, args.runs)
    except SynthError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    by_app = {result.app.label: result for result in results}
    print()
    passed = print_report(results, by_app[ours.label], by_app[naive.label], args.runs)
    if full.label in by_app:
        identical = same_tree(by_app[ours.label].warm[0].outdir, by_app[full.label].warm[0].outdir)
        print(f"{verdict(identical)}  output of the fast import byte-identical to STACKKIT_PROVIDER_IMPORT=full")
        passed = passed and identical
    for result in results:
        for run in result.runs():
            cleanup(run)
    if not args.skip_tests:
        command, seconds, summary = time_test_suite()
        suite_ok = seconds <= SUITE_GOAL_SECONDS and "failed" not in summary and "error" not in summary
        print(
            f"{verdict(suite_ok)}  test suite `{command}`: {seconds:.1f} s wall, {summary} (goal <= {SUITE_GOAL_SECONDS} s)"
        )
        passed = passed and suite_ok
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

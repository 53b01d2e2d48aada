"""The test session's synthesis of every scenario, done once and shared: across the xdist workers of a run (each
synthesizes the entries no other worker has taken, and waits only for those another is still building) and across
runs on the same code (the fast suite's synth serves the integration tier in `.ci/run`).

Each scenario is its own cdktf app, in a cache entry named by a digest of what decides its output: the scenario's
config values, every file the synth reads (stacks/, lambda/, the locks of the installed framework) and the STACKKIT_
settings. A change to any of them is a new entry; an entry is complete only once its marker file exists, and a
worker takes an entry's lock (fcntl) while it builds it, so a worker that dies mid-synth leaves the lock free and a
half entry that the next builder removes.

The merged view (one outdir with every scenario's stack folders, the first scenario's bootstrap stack where several
share its name) is what a single app with every scenario writes: build_app keeps the first config per bootstrap
name. tests/test_synth_cache.py checks that the two are byte for byte the same.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from stacks.config import AtlantisConfig

REPO = Path(__file__).resolve().parent.parent
# Everything the in-process synth reads besides the config: the constructs, the Lambda code and layer requirements
# zipped into assets, and the framework and provider packages (pinned by the locks).
SYNTH_INPUTS = ("stacks", "lambda", "Pipfile.lock", "frameworks/cdktn/Pipfile.lock")
IGNORED_PARTS = {"__pycache__", ".venv", "node_modules", ".pytest_cache"}
COMPLETE = "complete"

Synthesize = Callable[[list[AtlantisConfig], str], object]


def code_digest(root: Path = REPO, environ: Mapping[str, str] | None = None) -> str:
    """A digest of every synth input file (path and bytes) and of the STACKKIT_ environment."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for path in sorted(_input_files(root)):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    settings = sorted((name, value) for name, value in environ.items() if name.startswith("STACKKIT_"))
    digest.update(json.dumps(settings).encode())
    return digest.hexdigest()


def _input_files(root: Path) -> Iterable[Path]:
    for name in SYNTH_INPUTS:
        top = root / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in candidates:
            if (
                path.is_file()
                and not IGNORED_PARTS.intersection(path.relative_to(root).parts)
                and path.suffix != ".pyc"
            ):
                yield path


def entry_name(scenario: str, config: AtlantisConfig, code: str) -> str:
    """The cache entry of one scenario: its name, then a digest of the code and its config values (not the path the
    config was read from, which never reaches the output)."""
    values = {field.name: getattr(config, field.name) for field in dataclasses.fields(config) if field.name != "source"}
    digest = hashlib.sha256((code + json.dumps(values, sort_keys=True, default=repr)).encode()).hexdigest()
    return f"{scenario}-{digest[:20]}"


def synthesize_shared(
    cache: Path,
    configs: Mapping[str, AtlantisConfig],
    synthesize: Synthesize,
    *,
    code: str,
    start: int = 0,
) -> dict[str, Path]:
    """Each scenario's outdir (an app of its own), built here unless another process built or is building it.
    ``start`` rotates the order, so parallel workers begin with different scenarios."""
    cache.mkdir(parents=True, exist_ok=True)
    names = list(configs)
    order = names[start % len(names) :] + names[: start % len(names)] if names else []
    entries = {name: cache / entry_name(name, configs[name], code) for name in names}
    busy = [name for name in order if not _build_unless_busy(entries[name], configs[name], synthesize, wait=False)]
    for name in busy:  # another worker is building these: wait for its lock, then build only if it gave up
        _build_unless_busy(entries[name], configs[name], synthesize, wait=True)
    _forget_other_entries(cache, entries)
    return {name: entries[name] / "cdktf.out" for name in names}


def _build_unless_busy(entry: Path, config: AtlantisConfig, synthesize: Synthesize, *, wait: bool) -> bool:
    """Build the entry unless it is complete; False (nothing done) when another process holds its lock and
    ``wait`` is off."""
    if (entry / COMPLETE).is_file():
        return True
    with entry.with_name(entry.name + ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        if not (entry / COMPLETE).is_file():
            shutil.rmtree(entry, ignore_errors=True)  # a builder that died mid-synth
            synthesize([config], str(entry / "cdktf.out"))
            (entry / COMPLETE).write_text("")
    return True


def _forget_other_entries(cache: Path, current: Mapping[str, Path]) -> None:
    """Remove the entries of earlier code or configs for these scenarios, so the cache holds one synth of each."""
    keep = {path.name for path in current.values()}
    for name in current:
        for stale in cache.glob(f"{name}-*"):
            if stale.is_dir() and stale.name not in keep and not stale.name.endswith(".lock"):
                shutil.rmtree(stale, ignore_errors=True)
                stale.with_name(stale.name + ".lock").unlink(missing_ok=True)


def merge(outdirs: Mapping[str, Path], target: Path) -> Path:
    """One outdir holding every scenario's stack folders, as one app with the scenarios in this order writes them: a
    stack name several scenarios produce (the shared state backend) comes from the first."""
    stacks = target / "stacks"
    stacks.mkdir(parents=True)
    for outdir in outdirs.values():
        for folder in sorted((outdir / "stacks").iterdir()):
            if not (stacks / folder.name).exists():
                shutil.copytree(folder, stacks / folder.name)
    return target


def worker_start(count: int, environ: Mapping[str, str] | None = None) -> int:
    """Where this xdist worker starts in a list of ``count``: gw0 at 0, the others spread evenly."""
    environ = os.environ if environ is None else environ
    worker = environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return int(worker) * count // max(workers, 1) if worker.isdigit() else 0

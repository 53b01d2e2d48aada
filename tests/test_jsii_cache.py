"""stacks/machinery/jsii_cache.py: the prefilled jsii package cache is byte for byte the cache jsii writes itself, a cold synth
through it stays under 700 MiB, and it never gets in jsii's way (unknown runtime, disabled cache, broken tarball,
a lock held by someone else, two processes at once).

The reference is jsii's own code: its index builder (the worker script bundled in the jsii package, run with Node)
and its kernel (``import cdktf``, or ``import cdktn`` on CDK Terrain, in a subprocess with an empty
JSII_RUNTIME_PACKAGE_CACHE_ROOT).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks import synth_benchmark
from stacks.machinery import jsii_cache
from stacks.machinery.jsii_cache import DEFS_FILE, INDEX_FILE, MANIFEST_FILE, MARKER_FILE, Assembly
from stacks.machinery.selection import FRAMEWORK
from tests.conftest import REPO

# One worker runs the module's integration tests: cold_synth runs main.py cold and warm once (--dist loadgroup).
pytestmark = [pytest.mark.synth, pytest.mark.xdist_group("jsii_cache")]

INDEX_FILES = (MANIFEST_FILE, INDEX_FILE, DEFS_FILE)
SMALL_PACKAGES = ("constructs", FRAMEWORK.core_package)  # the framework in use: cdktf, or cdktn on CDK Terrain
WARNING = "warning: could not prefill the jsii package cache"
COLD_PEAK_GOAL_MIB = 700
SUBPROCESS_TIMEOUT_SECONDS = 180

# Runs jsii's bundled index builder (the script its kernel starts in a worker thread) on one package folder.
JSII_INDEX_BUILDER = """
const { Worker } = require("worker_threads");
const [script, packageDir] = process.argv.slice(1);
const worker = new Worker(script, {
  workerData: { packageDir, supportedFeatures: ["intersection-types", "class-covariant-overrides"] },
});
worker.on("message", (message) => { if (message && message.error) { console.error(message.error); process.exitCode = 1; } });
worker.on("error", (error) => { console.error(String(error)); process.exitCode = 1; });
"""


def jsii_index_worker() -> Path:
    spec = importlib.util.find_spec("jsii")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "_embedded" / "jsii" / "lib__runtime-index-worker.js"


def build_with_jsii(package_dir: Path) -> None:
    node = shutil.which(os.environ.get("JSII_NODE", "node"))
    assert node, "node is needed to run jsii's own index builder"
    completed = subprocess.run(
        [node, "-e", JSII_INDEX_BUILDER, str(jsii_index_worker()), str(package_dir)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        env={key: value for key, value in os.environ.items() if key != "NODE_OPTIONS"},
    )
    assert completed.returncode == 0, completed.stderr
    assert all((package_dir / name).is_file() for name in INDEX_FILES), sorted(p.name for p in package_dir.iterdir())


def index_files(package_dir: Path) -> dict[str, bytes]:
    return {name: (package_dir / name).read_bytes() for name in INDEX_FILES}


def both_builds(tmp_path: Path, spec_files: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(ours, jsii's) index files for the same assembly files."""
    ours, theirs = tmp_path / "ours", tmp_path / "jsii"
    for folder in (ours, theirs):
        folder.mkdir()
        for name, content in spec_files.items():
            (folder / name).write_bytes(content)
    jsii_cache.build_runtime_index(ours)
    build_with_jsii(theirs)
    return index_files(ours), index_files(theirs)


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Relative path -> (permission bits, content for files) for everything under root."""
    return {
        str(path.relative_to(root)): (path.stat().st_mode & 0o7777, path.read_bytes() if path.is_file() else None)
        for path in sorted(root.rglob("*"))
    }


def entries(root: Path) -> list[Path]:
    return sorted(marker.parent for marker in root.rglob(MARKER_FILE))


def clean_environment(cache_root: Path) -> dict[str, str]:
    """The benchmark's environment without ambient StackKit/jsii settings, with the jsii cache at cache_root."""
    return {**synth_benchmark.base_environment(), "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(cache_root)}


def jsii_loads_the_framework(cache_root: Path) -> None:
    """What jsii's kernel does on its own: `import cdktf` fills the cache for constructs and cdktf (cdktn alike)."""
    completed = subprocess.run(
        [sys.executable, "-c", f"import {FRAMEWORK.core_package}"],
        cwd=REPO,
        env=clean_environment(cache_root),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr


def wait_for_index(entry: Path, timeout: float = 30.0) -> None:
    """jsii writes the index from a worker thread; give it a moment after the process that started it exits."""
    deadline = time.monotonic() + timeout
    while not all((entry / name).is_file() for name in INDEX_FILES):
        assert time.monotonic() < deadline, f"jsii wrote no runtime index in {entry}"
        time.sleep(0.05)


@pytest.fixture
def cache_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "jsii-package-cache"
    monkeypatch.setenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(root))
    monkeypatch.delenv("JSII_RUNTIME_PACKAGE_CACHE", raising=False)
    return root


# --- the index is jsii's own, byte for byte -----------------------------------------------------------------------


@dataclass(frozen=True)
class ColdSynth:
    cold: synth_benchmark.Run
    warm: synth_benchmark.Run
    cache_root: Path


@pytest.fixture(scope="module")
def cold_synth(tmp_path_factory: pytest.TempPathFactory) -> ColdSynth:
    """`python main.py` (every shipped environment) with nothing cached, then warm, the process tree sampled."""
    scratch = tmp_path_factory.mktemp("cold-synth")
    app = synth_benchmark.App("stackkit", REPO / "main.py")
    cold = synth_benchmark.run_measured(app, synth_benchmark.cold_environment(scratch), scratch)
    warm = synth_benchmark.run_measured(app, synth_benchmark.base_environment(), scratch)
    return ColdSynth(cold, warm, scratch / "jsii-package-cache")


@pytest.mark.machinery  # runs jsii's own kernel or index builder (node) to compare: integration tier
@pytest.mark.parametrize("package", SMALL_PACKAGES)
def test_index_of_small_assemblies_is_byte_identical_to_jsii(package: str, tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    jsii_cache.unpack(Assembly.of_package(package).tarball, unpacked)
    ours, theirs = both_builds(tmp_path, {".jsii": (unpacked / ".jsii").read_bytes()})
    assert ours == theirs
    assert json.loads(ours[MANIFEST_FILE])["assemblyMetadata"]["name"] == Assembly.of_package(package).name


@pytest.mark.machinery  # main.py cold and warm in subprocesses: integration tier
def test_provider_index_written_by_a_cold_synth_is_byte_identical_to_jsii(
    cold_synth: ColdSynth, tmp_path: Path
) -> None:
    provider = Assembly.of_package(jsii_cache.PROVIDER_PACKAGE)
    [entry] = jsii_cache._subfolders(jsii_cache.version_folder(cold_synth.cache_root, provider))
    (tmp_path / "jsii").mkdir()
    os.link(entry / ".jsii", tmp_path / "jsii" / ".jsii")  # the 130 MB file, not copied
    build_with_jsii(tmp_path / "jsii")
    assert index_files(entry) == index_files(tmp_path / "jsii")
    assert json.loads(index_files(entry)[MANIFEST_FILE])["layout"]["typeCount"] > 10_000


TRICKY_ASSEMBLY = {
    "name": "tricky",
    "version": "1.0.0",
    "schema": "jsii/0.10.0",
    "jsiiVersion": "1.142.0 (build 0000000)",
    "fingerprint": "x",
    "readme": {"markdown": "# left out of the manifest"},
    "submodules": {"tricky.sub": {"locationInModule": {"filename": "a.ts", "line": 1}}},
    "targets": {"js": {"npm": "tricky"}, "2": "array-index key", "10": "sorted numerically", "01": "not an index"},
    "types": {
        "tricky.Klass": {
            "assembly": "tricky",
            "docs": {"summary": "dropped"},
            "fqn": "tricky.Klass",
            "kind": "class",
            "name": "Klass",
            "locationInModule": {"filename": "lib/index.ts", "line": 3},
            "methods": [
                {
                    "name": "m\u00e9thode",
                    "docs": {"remarks": "dropped at any depth"},
                    "parameters": [{"name": "p", "docs": {}, "type": {"primitive": "string"}}],
                    "sourceLine": 7,
                    "returns": {"type": {"fqn": "tricky.Kind"}},
                }
            ],
            "properties": [
                {"name": "\ud55c\uae00 \U0001f680", "type": {"primitive": "number"}, "const": True, "value": 1.0},
                {"name": "escapes", "type": {"primitive": "string"}, "text": 'q"b\\s/n\nt\tc\u0001 \u2028 \u00ff'},
                {"name": "half", "type": {"primitive": "number"}, "value": 0.5, "big": 1e20, "neg": -3.0},
            ],
        },
        "tricky.Kind": {"assembly": "tricky", "fqn": "tricky.Kind", "kind": "enum", "members": [{"name": "A"}]},
        "tricky.IFace": {"assembly": "tricky", "fqn": "tricky.IFace", "kind": "interface", "datatype": True},
    },
}


def tricky_spec_text() -> str:
    """Pretty-printed with odd whitespace, \\uXXXX escapes and a lone surrogate, as a hand-written file might be."""
    text = json.dumps(TRICKY_ASSEMBLY, indent=3, ensure_ascii=True).replace(": ", " :\r\n\t ")
    return text.replace('"escapes"', '"esc\\u0061pes\\ud800"')  # an escaped key, ending in a lone surrogate


def test_streamed_index_of_unusual_json_is_byte_identical_to_jsii(tmp_path: Path) -> None:
    ours, theirs = both_builds(tmp_path, {".jsii": tricky_spec_text().encode("utf-8")})
    assert ours == theirs
    lines = ours[DEFS_FILE].rstrip(b"\n").split(b"\n")  # bytes: str.splitlines would also split at U+2028
    assert len(lines) == 3 and not any(key in ours[DEFS_FILE] for key in (b'"docs"', b"sourceLine", b"locationIn"))
    assert list(json.loads(ours[MANIFEST_FILE])["assemblyMetadata"]["targets"]) == ["2", "10", "js", "01"]


def test_compressed_assembly_behind_a_redirect_is_followed(tmp_path: Path) -> None:
    redirect = {"schema": "jsii/file-redirect", "compression": "gzip", "filename": ".jsii.gz"}
    files = {".jsii": json.dumps(redirect).encode(), ".jsii.gz": gzip.compress(tricky_spec_text().encode())}
    ours, theirs = both_builds(tmp_path, files)
    assert ours == theirs
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / ".jsii").write_text(tricky_spec_text(), "utf-8")
    jsii_cache.build_runtime_index(plain)
    assert index_files(plain) == ours


def test_malformed_assembly_is_refused_with_the_offset(tmp_path: Path) -> None:
    text = '{"name": "x", "types": {"x.A": {"kind": "class"} "x.B": {}}}'
    (tmp_path / ".jsii").write_text(text, "utf-8")
    offset = text.index('"x.B"')
    with pytest.raises(jsii_cache.CacheFormatError, match=f"expected ',' at offset {offset}"):
        jsii_cache.build_runtime_index(tmp_path)
    assert not any((tmp_path / name).exists() for name in INDEX_FILES)
    assert [path.name for path in tmp_path.iterdir()] == [".jsii"]  # the partial defs file is gone too


# --- the cache entry is the one jsii would write, and jsii takes it as it is --------------------------------------


@pytest.mark.machinery  # runs jsii's own kernel or index builder (node) to compare: integration tier
def test_prefilled_entries_equal_the_entries_jsii_writes(tmp_path: Path, cache_root: Path) -> None:
    by_jsii = tmp_path / "filled-by-jsii"
    jsii_loads_the_framework(by_jsii)
    for entry in entries(by_jsii):
        wait_for_index(entry)

    assert jsii_cache.prefill(SMALL_PACKAGES) == ["constructs", FRAMEWORK.core_package]

    assert [e.relative_to(cache_root) for e in entries(cache_root)] == [
        e.relative_to(by_jsii) for e in entries(by_jsii)
    ]
    assert tree(cache_root) == tree(by_jsii)  # same paths (digest included), bytes and permission bits
    assert cache_root.stat().st_mode & 0o777 == 0o700  # private, as jsii makes it


@pytest.mark.machinery  # runs jsii's own kernel or index builder (node) to compare: integration tier
def test_jsii_loads_from_the_prefilled_entries_without_rewriting_them(cache_root: Path) -> None:
    jsii_cache.prefill(SMALL_PACKAGES)
    before = {path: path.stat().st_mtime_ns for path in cache_root.rglob("*") if path.name != MARKER_FILE}

    jsii_loads_the_framework(cache_root)

    after = {path: path.stat().st_mtime_ns for path in cache_root.rglob("*") if path.name != MARKER_FILE}
    assert after == before  # no new entry, nothing unpacked or indexed again


@pytest.mark.machinery  # runs jsii's own kernel or index builder (node) to compare: integration tier
def test_default_cache_root_is_the_one_jsii_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No JSII_RUNTIME_PACKAGE_CACHE_ROOT: jsii fills its default cache, and prefill finds exactly those entries."""
    home = tmp_path / "home"
    home.mkdir()
    environment = {**clean_environment(home), "HOME": str(home)}
    del environment["JSII_RUNTIME_PACKAGE_CACHE_ROOT"]
    completed = subprocess.run(
        [sys.executable, "-c", f"import {FRAMEWORK.core_package}"], cwd=REPO, env=environment, timeout=120
    )
    assert completed.returncode == 0
    filled_by_jsii = entries(home)
    assert len(filled_by_jsii) == len(SMALL_PACKAGES)
    for entry in filled_by_jsii:
        wait_for_index(entry)

    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT", raising=False)
    monkeypatch.delenv("JSII_RUNTIME_PACKAGE_CACHE", raising=False)
    assert all(entry.is_relative_to(jsii_cache.cache_root() or home / "none") for entry in filled_by_jsii)
    assert jsii_cache.prefill(SMALL_PACKAGES) == []  # nothing left to fill: same root, same entries

    monkeypatch.setenv("HOME", "relative/home")  # jsii, too, ignores a home that is not an absolute path
    assert jsii_cache.cache_root() == Path(tempfile.gettempdir()) / f"aws-jsii-package-cache-{os.getuid()}"


def test_warm_cache_is_checked_without_reading_the_tarballs(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jsii_cache.prefill(SMALL_PACKAGES)

    def no_hashing(assembly: Assembly) -> str:
        raise AssertionError(f"hashed {assembly.tarball} on a warm cache")

    monkeypatch.setattr(jsii_cache, "entry_digest", no_hashing)
    started = time.perf_counter()
    assert jsii_cache.prefill(SMALL_PACKAGES) == []
    assert time.perf_counter() - started < 0.05


@pytest.mark.machinery  # main.py cold and warm in subprocesses: integration tier
def test_cold_synth_peaks_under_700_mib_with_unchanged_output(cold_synth: ColdSynth) -> None:
    """The issue's done-when, in the suite (the benchmark measures it against the naive app too)."""
    peak_mib = cold_synth.cold.tree_rss_kib / 1024
    assert peak_mib <= COLD_PEAK_GOAL_MIB, f"cold synth peaked at {peak_mib:.0f} MiB process-tree RSS"
    assert synth_benchmark.same_tree(cold_synth.cold.outdir, cold_synth.warm.outdir)
    assert all(map(jsii_cache.is_ready, entries(cold_synth.cache_root)))
    assert len(entries(cold_synth.cache_root)) == len(jsii_cache.ASSEMBLY_PACKAGES)


# --- it never gets in jsii's way ------------------------------------------------------------------------------------


def test_unknown_jsii_runtime_writes_nothing_and_warns_once(
    cache_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(jsii_cache, "RUNTIME_FINGERPRINTS", (*jsii_cache.RUNTIME_FINGERPRINTS, "a future layout"))
    assert jsii_cache.prefill(SMALL_PACKAGES) == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(WARNING) and "format this module does not know" in lines[0]
    assert not cache_root.exists()


def test_disabled_cache_is_left_alone(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JSII_RUNTIME_PACKAGE_CACHE", "disabled")
    assert jsii_cache.cache_root() is None
    assert jsii_cache.prefill(SMALL_PACKAGES) == []
    assert not cache_root.exists()


def test_broken_tarball_leaves_no_half_entry(
    tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = Assembly.of_package("constructs")
    truncated = tmp_path / real.tarball.name
    truncated.write_bytes(real.tarball.read_bytes()[:20_000])
    monkeypatch.setattr(
        Assembly, "of_package", classmethod(lambda cls, package: Assembly(real.name, real.version, truncated))
    )

    assert jsii_cache.prefill(["constructs"]) == []

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(WARNING)
    leftovers = [path.name for path in cache_root.rglob("*") if path.is_file()]
    assert leftovers == []  # no files, no lock: jsii starts from scratch


def test_lock_held_elsewhere_is_respected(cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assembly = Assembly.of_package("constructs")
    entry = jsii_cache.version_folder(cache_root, assembly) / jsii_cache.entry_digest(assembly)
    entry.parent.mkdir(parents=True)
    lock_path = entry.with_name(entry.name + ".lock")
    monkeypatch.setattr(jsii_cache, "LOCK_WAIT_SECONDS", 0.3)

    with jsii_cache.JsiiLock(lock_path) as locked:  # "jsii in another process" holds the entry
        assert locked
        assert jsii_cache.prefill(["constructs"]) == []
        assert not entry.exists()
        held_by = json.loads(lock_path.read_text("utf-8"))
    assert set(held_by) == {"pid", "hostname", "token"}  # the owner record jsii reads to detect stale locks
    assert not lock_path.exists()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.machinery  # runs jsii's own kernel or index builder (node) to compare: integration tier
@pytest.mark.parametrize(
    "holder",
    [
        pytest.param(lambda: {"pid": dead_pid(), "hostname": socket.gethostname(), "token": "ab12"}, id="dead-pid"),
        pytest.param(lambda: "not json", id="unreadable-and-old"),
    ],
)
def test_stale_lock_is_left_to_jsii_without_waiting(
    holder: Callable[[], object], cache_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assembly = Assembly.of_package("constructs")
    entry = jsii_cache.version_folder(cache_root, assembly) / jsii_cache.entry_digest(assembly)
    entry.parent.mkdir(parents=True)
    lock_path = entry.with_name(entry.name + ".lock")
    content = holder()
    lock_path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    old = time.time() - jsii_cache.UNKNOWN_LOCK_STALE_SECONDS - 5
    os.utime(lock_path, (old, old))

    started = time.monotonic()
    assert jsii_cache.prefill(["constructs"]) == []
    assert time.monotonic() - started < jsii_cache.LOCK_WAIT_SECONDS / 10  # did not sit out the wait
    assert lock_path.exists() and not entry.exists()

    jsii_loads_the_framework(cache_root)  # jsii breaks the lock by its own rules and fills the entry
    assert (entry / MARKER_FILE).is_file()  # its index may still be on its way from jsii's worker thread
    assert not lock_path.exists()


def test_live_holder_on_this_host_is_waited_for(cache_root: Path) -> None:
    lock_path = cache_root / "entry.lock"
    cache_root.mkdir()
    lock_path.write_text(json.dumps({"pid": os.getpid(), "hostname": socket.gethostname(), "token": "ab12"}), "utf-8")
    old = time.time() - jsii_cache.UNKNOWN_LOCK_STALE_SECONDS - 5  # older than 10 s, but its holder runs
    os.utime(lock_path, (old, old))
    with jsii_cache.JsiiLock(lock_path, wait_seconds=0.5) as locked:
        assert not locked
    assert lock_path.exists()


def test_two_processes_prefilling_at_once_fill_each_entry_once(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    command = [sys.executable, "-m", "stacks.machinery.jsii_cache", *SMALL_PACKAGES]
    processes = [
        subprocess.Popen(command, cwd=REPO, env=clean_environment(root), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = [process.communicate(timeout=SUBPROCESS_TIMEOUT_SECONDS)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    filled = " ".join(reports)
    assert filled.count("constructs") == 1 and filled.count(FRAMEWORK.core_package) == 1, reports
    assert all(jsii_cache.is_ready(entry) for entry in entries(root)) and len(entries(root)) == 2
    leftovers = [path.name for entry in entries(root) for path in entry.parent.iterdir() if path != entry]
    assert leftovers == []  # no lock or temporary file next to the entries


@pytest.mark.machinery  # main.py cold and warm in subprocesses: integration tier
def test_prefill_neither_imports_the_packages_nor_starts_jsii(cold_synth: ColdSynth, tmp_path: Path) -> None:
    """Checks all three entries (complete, from the cold synth), then fills the small ones in an empty cache."""
    probe = """
import os, sys
from stacks.machinery.jsii_cache import ASSEMBLY_PACKAGES, PROVIDER_PACKAGE, prefill
checked = prefill(ASSEMBLY_PACKAGES)
os.environ["JSII_RUNTIME_PACKAGE_CACHE_ROOT"] = sys.argv[1]
filled = prefill(["constructs", sys.argv[2]])
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"jsii", sys.argv[2], "constructs", PROVIDER_PACKAGE})
print(checked, filled, loaded)
"""
    completed = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "empty"), FRAMEWORK.core_package],
        cwd=REPO,
        env=clean_environment(cold_synth.cache_root),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"[] ['constructs', '{FRAMEWORK.core_package}'] []" and completed.stderr == ""


def test_cache_key_segments_follow_jsii() -> None:
    assert jsii_cache.key_segments("@cdktf/provider-aws") == ["@cdktf", "provider-aws"]
    assert jsii_cache.key_segments("Foo Bar") == ["_oo_ar"]
    assert jsii_cache.key_segments("1.2.3-rc.1") == ["1.2.3-rc.1"]
    with pytest.raises(jsii_cache.CacheFormatError, match=r"'\.\.' segment"):
        jsii_cache.key_segments("a/../b")

"""Fill jsii's package cache ahead of the jsii kernel, in a third of the memory the kernel needs for it.

On an empty package cache the jsii kernel (1.142) unpacks each assembly tarball into the cache, parses the
assembly's ``.jsii`` file (130 MB for the AWS provider) and, in a worker thread of the same process, parses it a
second time to write a *runtime index*: the type names, their kinds and one slim JSON line per type, which every
later run reads instead of the whole file. The two parses side by side make a cold synth peak at about 1.4 GiB.

:func:`prefill` writes the same cache entry before jsii starts: it unpacks the tarball and walks through the
``.jsii`` one type at a time (about 430 MiB and 1.5 s for the provider), producing index files byte-identical to
jsii's own (tests/test_jsii_cache.py compares them). jsii then finds a complete entry and never parses the file.

The entry layout (path ``<root>/<name>/<version>/<sha256>``, the completion marker, the ``.lock`` protocol, index
format version 1) is jsii's private format. :func:`runtime_is_known` checks that the installed jsii runtime still
contains the pieces of it this module relies on; if not, or if anything fails, nothing is written, one warning
line goes to stderr and jsii fills the cache itself as before (slower, more memory). Output never depends on it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import struct
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.machinery.selection import FRAMEWORK

# Python packages whose jsii assemblies a synth loads, dependencies first, for the framework in use (cdktf or CDK
# Terrain: both ship their assemblies the same way, with the same jsii runtime). Located, never imported here.
PROVIDER_PACKAGE = FRAMEWORK.provider_package
ASSEMBLY_PACKAGES = ("constructs", FRAMEWORK.core_package, PROVIDER_PACKAGE)

MARKER_FILE = ".jsii-runtime-package-cache"
INDEX_VERSION = 1
INDEX_SCHEMA = "jsii/runtime-index"
MANIFEST_FILE = f".jsii.runtime.v{INDEX_VERSION}.json"
INDEX_FILE = f".jsii.runtime-index.v{INDEX_VERSION}"
DEFS_FILE = f".jsii.runtime-defs.v{INDEX_VERSION}.jsonl"
SPEC_FILE = ".jsii"
KIND_ORDINALS = {"class": 0, "interface": 1, "enum": 2}
SLIMMED_KEYS = frozenset({"docs", "locationInModule", "sourceLine"})
METADATA_EXCLUDED_KEYS = frozenset({"types", "readme", "submodules"})
LOCK_WAIT_SECONDS = 120.0
LOCAL_LOCK_STALE_SECONDS = 120.0  # jsii: a live holder on this host keeps its lock this long
UNKNOWN_LOCK_STALE_SECONDS = 10.0  # jsii: an unreadable lock, or one from another host

# Fragments of jsii's bundled runtime that pin down the format written here. Each names one assumption.
RUNTIME_FINGERPRINTS = (
    f'te="{MARKER_FILE}"',  # the completion marker file
    f"p.RUNTIME_INDEX_VERSION={INDEX_VERSION};",  # index format version
    f'const ce="{INDEX_SCHEMA}"',  # manifest schema name
    '"docs"!==e&&"locationInModule"!==e&&"sourceLine"!==e',  # keys left out of each type's line
    'e.update("\\0"),e.update(m)',  # entry digest: sha256(tarball, "\0" name, "\0" version)
    "`${this.path}.lock`",  # lock file next to the entry
    'e.replace(/[^@a-z0-9_.\\\\/-]+/g,"_")',  # cache key sanitising
)


def _js_object(pairs: list[tuple[str, Any]], dropped: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A parsed object in the key order JSON.parse gives it: array-index keys first, ascending, then the rest."""
    obj = {key: value for key, value in pairs if key not in dropped}
    if any(key.isdigit() for key in obj):
        indexes = sorted((key for key in obj if _is_array_index(key)), key=int)
        obj = {key: obj[key] for key in [*indexes, *(key for key in obj if not _is_array_index(key))]}
    return obj


def _is_array_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and str(int(key)) == key and int(key) < 2**32 - 1


def _js_float(literal: str) -> float | int:
    """JSON.stringify writes integral numbers without a fraction (1.0 -> 1); an int makes json.dumps do the same."""
    value = float(literal)
    return int(value) if value.is_integer() and abs(value) < 1e21 else value


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_PLAIN_DECODER = json.JSONDecoder(object_pairs_hook=_js_object, parse_float=_js_float)
_SLIM_DECODER = json.JSONDecoder(object_pairs_hook=lambda pairs: _js_object(pairs, SLIMMED_KEYS), parse_float=_js_float)
_LOAD_CALL = re.compile(r'JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",\s*__name__\[0:-6\],\s*"([^"]+)"\s*\)')


class CacheFormatError(Exception):
    """The installed packages or jsii runtime are not laid out the way this module expects."""


@dataclass(frozen=True)
class Assembly:
    """One jsii assembly as its Python package ships it."""

    name: str  # npm name, e.g. "@cdktf/provider-aws"
    version: str
    tarball: Path

    @classmethod
    def of_package(cls, package: str) -> Assembly:
        """Reads name, version and tarball from ``<package>/_jsii/__init__.py`` without importing the package."""
        spec = importlib.util.find_spec(package)  # top-level only: finding "<package>._jsii" would run __init__
        if spec is None or not spec.submodule_search_locations:
            raise CacheFormatError(f"{package} is not an installed package")
        jsii_dir = Path(next(iter(spec.submodule_search_locations))) / "_jsii"
        match = _LOAD_CALL.search((jsii_dir / "__init__.py").read_text("utf-8"))
        if match is None:
            raise CacheFormatError(f"{jsii_dir / '__init__.py'} has no JSIIAssembly.load call")
        name, version, tarball = match.groups()
        return cls(name, version, jsii_dir / tarball)


def cache_root() -> Path | None:
    """jsii's package cache folder, or None when the cache is disabled (JSII_RUNTIME_PACKAGE_CACHE=disabled)."""
    if os.environ.get("JSII_RUNTIME_PACKAGE_CACHE", "enabled").lower() != "enabled":
        return None
    if configured := os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT"):
        return Path(configured)
    try:
        home: Path | None = Path.home()
    except RuntimeError:  # no home directory: jsii falls back to the temporary folder as well
        home = None
    if home is not None and not home.is_absolute():
        home = None
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local and Path(local).is_absolute() else home and home / "AppData" / "Local"
        if base:
            return base / "AWS" / "jsii" / "package-cache"
    elif home is not None:
        if sys.platform == "darwin":
            return home / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache"
        return home / ".cache" / "aws" / "jsii" / "package-cache"
    uid = os.getuid() if hasattr(os, "getuid") else None
    return Path(tempfile.gettempdir()) / ("aws-jsii-package-cache" + (f"-{uid}" if uid is not None else ""))


def runtime_is_known() -> bool:
    """True when the installed jsii runtime still uses the cache layout and index format this module writes."""
    spec = importlib.util.find_spec("jsii")  # located, not imported: importing it is jsii's business
    if spec is None or spec.origin is None:
        return False
    program = Path(spec.origin).parent / "_embedded" / "jsii" / "lib__program.js"
    try:
        source = program.read_text("utf-8")
    except OSError:
        return False
    return all(fingerprint in source for fingerprint in RUNTIME_FINGERPRINTS)


def key_segments(key: str) -> list[str]:
    """jsii's DiskCache.entry(): unusual characters become "_", slashes make folders."""
    segments = [s for s in re.split(r"[\\/]+", re.sub(r"[^@a-z0-9_.\\/-]+", "_", key)) if s]
    if ".." in segments:
        raise CacheFormatError(f"cache key {key!r} contains a '..' segment")
    return segments


def entry_digest(assembly: Assembly) -> str:
    digest = hashlib.sha256()
    with assembly.tarball.open("rb") as tarball:
        while chunk := tarball.read(1 << 20):
            digest.update(chunk)
    for key in (assembly.name, assembly.version):
        digest.update(b"\0")
        digest.update(key.encode("utf-8"))
    return digest.hexdigest()


def version_folder(root: Path, assembly: Assembly) -> Path:
    return root.joinpath(*key_segments(assembly.name), *key_segments(assembly.version))


def is_ready(entry: Path) -> bool:
    """Complete (jsii's marker) and indexed, so jsii will neither unpack nor parse anything."""
    return (entry / MARKER_FILE).is_file() and (entry / MANIFEST_FILE).is_file()


def prefill(packages: Iterable[str] = ASSEMBLY_PACKAGES) -> list[str]:
    """Makes sure jsii's package cache holds an unpacked, indexed entry for each package's assembly.

    Returns the npm names it had to fill (empty on a warm cache: then it only checks a few paths). Never raises: a
    failure prints one warning line and leaves the rest to jsii.
    """
    root = cache_root()
    if root is None:
        return []
    filled: list[str] = []
    try:
        assemblies = [Assembly.of_package(package) for package in packages]
        # A ready entry for the same name and version means the same tarball (a released version never changes),
        # so the warm path checks paths and skips hashing 37 MB on every synth.
        missing = [a for a in assemblies if not any(map(is_ready, _subfolders(version_folder(root, a))))]
        if missing and not runtime_is_known():
            raise CacheFormatError("the installed jsii runtime uses a package cache format this module does not know")
        for assembly in missing:
            if _fill_entry(root, assembly):
                filled.append(assembly.name)
    except Exception as exc:  # an optimisation must never stop a synth
        print(
            f"warning: could not prefill the jsii package cache ({type(exc).__name__}: {exc}); "
            "jsii fills it itself (slower, more memory)",
            file=sys.stderr,
        )
    return filled


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [child for child in folder.iterdir() if child.is_dir()]
    except OSError:
        return []


def _fill_entry(root: Path, assembly: Assembly) -> bool:
    if not root.exists():
        root.mkdir(mode=0o700, parents=True, exist_ok=True)  # jsii creates its cache root private, too
    entry = version_folder(root, assembly) / entry_digest(assembly)
    if is_ready(entry):
        return False
    entry.parent.mkdir(parents=True, exist_ok=True)
    with JsiiLock(entry.with_name(entry.name + ".lock")) as locked:
        if not locked or is_ready(entry):  # jsii or a parallel process holds it, or finished it meanwhile
            return False
        try:
            if not (entry / MARKER_FILE).is_file():
                shutil.rmtree(entry, ignore_errors=True)
                entry.mkdir()
                unpack(assembly.tarball, entry)
            build_runtime_index(entry)
            (entry / MARKER_FILE).touch()
        except BaseException:
            shutil.rmtree(entry, ignore_errors=True)  # jsii starts from scratch rather than from half an entry
            raise
    return True


def unpack(tarball: Path, destination: Path) -> None:
    """``tar -xzf tarball --strip-components=1`` with the safety of tarfile's "data" filter, as jsii does."""
    with tarfile.open(tarball, "r:gz") as archive:
        archive.extractall(destination, members=_strip_first_component(archive), filter="data")


def _strip_first_component(archive: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    for member in archive:
        _, _, rest = member.name.partition("/")
        if rest:
            member.name = rest
            yield member


def build_runtime_index(package_dir: Path) -> None:
    """Writes jsii's runtime index (manifest, index, defs) for the assembly in package_dir, one type at a time."""
    names, kinds, offsets, metadata = _write_type_lines(_read_assembly_text(package_dir), package_dir)
    encoded_names = "\n".join(names).encode("utf-8")
    count = len(names)
    _write_atomically(package_dir / INDEX_FILE, encoded_names + bytes(kinds) + struct.pack(f"<{count + 1}I", *offsets))
    manifest = {
        "schema": INDEX_SCHEMA,
        "version": INDEX_VERSION,
        "index": INDEX_FILE,
        "defs": DEFS_FILE,
        "assemblyMetadata": metadata,
        "layout": {
            "typeCount": count,
            "names": {"start": 0, "length": len(encoded_names)},
            "kinds": {"start": len(encoded_names), "length": count},
            "offsets": {"start": len(encoded_names) + count, "length": 4 * (count + 1)},
        },
    }
    _write_atomically(package_dir / MANIFEST_FILE, _json_line(manifest)[:-1])


def _write_type_lines(text: str, package_dir: Path) -> tuple[list[str], bytearray, list[int], dict[str, Any]]:
    """Streams the assembly's types into the defs file; returns their names, kinds, line offsets and the metadata."""
    names: list[str] = []
    kinds = bytearray()
    offsets = [0]
    metadata: dict[str, Any] = {}
    with _AtomicFile(package_dir / DEFS_FILE) as defs:

        def write_type(fqn: str, position: int) -> int:
            definition, end = _SLIM_DECODER.raw_decode(text, position)
            kind_name = definition.get("kind") if isinstance(definition, dict) else None
            kind = KIND_ORDINALS.get(kind_name) if isinstance(kind_name, str) else None
            if kind is None:
                raise CacheFormatError(f"type {fqn} in {package_dir / SPEC_FILE} has no class/interface/enum kind")
            line = _json_line(definition)
            defs.write(line)
            names.append(fqn)
            kinds.append(kind)
            offsets.append(offsets[-1] + len(line))
            return end

        def read_top_level(key: str, position: int) -> int:
            if key == "types":
                return _object_members(text, position, write_type)
            value, end = _PLAIN_DECODER.raw_decode(text, position)
            if key not in METADATA_EXCLUDED_KEYS:
                metadata[key] = value
            return end

        _object_members(text, 0, read_top_level)
    return names, kinds, offsets, metadata


def _read_assembly_text(package_dir: Path) -> str:
    text = (package_dir / SPEC_FILE).read_bytes().decode("utf-8")
    if '"jsii/file-redirect"' in text[:1000]:  # a small .jsii that points at a compressed .jsii.gz
        redirect = json.loads(text)
        if redirect.get("schema") != "jsii/file-redirect" or redirect.get("compression") != "gzip":
            raise CacheFormatError(f"{package_dir / SPEC_FILE} is a redirect this module cannot follow")
        target = (package_dir / redirect["filename"]).resolve()
        if package_dir.resolve() not in target.parents:
            raise CacheFormatError(f"{package_dir / SPEC_FILE} redirects outside its package")
        text = gzip.decompress(target.read_bytes()).decode("utf-8")
    return text


def _object_members(text: str, position: int, read_value: Callable[[str, int], int]) -> int:
    """Walks the JSON object at position; read_value(key, value_position) consumes each value, returns its end."""
    position = _skip_whitespace(text, position)
    _expect(text, position, "{")
    position = _skip_whitespace(text, position + 1)
    if text.startswith("}", position):
        return position + 1
    while True:
        _expect(text, position, '"')
        key, position = _PLAIN_DECODER.raw_decode(text, position)
        position = _skip_whitespace(text, position)
        _expect(text, position, ":")
        position = _skip_whitespace(text, read_value(key, _skip_whitespace(text, position + 1)))
        if text.startswith("}", position):
            return position + 1
        _expect(text, position, ",")
        position = _skip_whitespace(text, position + 1)


def _skip_whitespace(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _expect(text: str, position: int, character: str) -> None:
    if not text.startswith(character, position):
        raise CacheFormatError(f"malformed assembly JSON: expected {character!r} at offset {position}")


def _json_line(value: Any) -> bytes:
    """JSON.stringify(value) + "\\n" as UTF-8: compact, non-ASCII kept as is, a lone surrogate written as \\udXXX."""
    # Lone surrogates can only occur inside JSON strings, where backslashreplace writes exactly JSON's escape.
    return (json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")


class _AtomicFile:
    """A file written under a temporary name and renamed into place when complete (jsii's writeFileAtomic)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")

    def __enter__(self) -> Any:
        self.handle = self.partial.open("wb")
        return self.handle

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self.handle.close()
        if exc_type is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def _write_atomically(path: Path, content: bytes) -> None:
    with _AtomicFile(path) as handle:
        handle.write(content)


class JsiiLock:
    """jsii's cache entry lock: a ``<entry>.lock`` file holding {pid, hostname, token}, created with link().

    Entering waits up to LOCK_WAIT_SECONDS and yields False if the lock stayed taken (the caller then leaves the
    entry to whoever holds it). A lock whose holder is gone (a process of this host that no longer runs) yields
    False at once: breaking it is left to jsii, which does so by the same pid and age rules.
    """

    def __init__(self, path: Path, wait_seconds: float | None = None) -> None:
        self.path = path
        self.wait_seconds = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
        self.owner = {"pid": os.getpid(), "hostname": socket.gethostname(), "token": secrets.token_hex(16)}
        self.held = False

    def __enter__(self) -> bool:
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.01
        while not self._try_create():
            if time.monotonic() >= deadline or self._holder_is_gone():
                return False
            time.sleep(pause)
            pause = min(pause * 1.5, 0.5)
        self.held = True
        return True

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        if not self.held:
            return
        try:
            if json.loads(self.path.read_text("utf-8")).get("token") == self.owner["token"]:
                self.path.unlink()
        except (OSError, ValueError):
            pass
        self.held = False

    def _holder_is_gone(self) -> bool:
        """jsii's isStale(): a holder on this host whose pid is dead or that held it over 2 minutes; else over 10 s."""
        try:
            age = time.time() - self.path.stat().st_mtime
            holder = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return False  # released meanwhile: the next attempt takes it
        except (OSError, ValueError):
            holder = None
        if not isinstance(holder, dict):
            return age > UNKNOWN_LOCK_STALE_SECONDS
        pid, hostname, token = holder.get("pid"), holder.get("hostname"), holder.get("token")
        if not token or hostname != socket.gethostname() or not isinstance(pid, int):
            return age > UNKNOWN_LOCK_STALE_SECONDS
        if age > LOCAL_LOCK_STALE_SECONDS:
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # the process exists but belongs to another user
            pass
        return False

    def _try_create(self) -> bool:
        partial = self.path.with_name(f"{self.path.name}.{self.owner['token']}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, json.dumps(self.owner, separators=(",", ":")).encode("utf-8"))
        finally:
            os.close(descriptor)
        try:
            os.link(partial, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            partial.unlink()


if __name__ == "__main__":  # python -m stacks.machinery.jsii_cache [package ...]: fill the cache, e.g. in a CI step
    started = time.perf_counter()
    done = prefill(sys.argv[1:] or ASSEMBLY_PACKAGES)
    print(
        f"jsii package cache: filled {', '.join(done) or 'nothing (already complete)'} in {time.perf_counter() - started:.1f} s"
    )

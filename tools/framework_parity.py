"""Compare two synthesized output folders, one from cdktf and one from CDK Terrain (cdktn).

    python tools/framework_parity.py CDKTF_OUT CDKTN_OUT

They may differ only in
- framework metadata: the framework's version in each stack's ``//.metadata.version`` and in ``manifest.json``'s
  top-level ``version``; and
- the provider requirement: ``terraform.required_providers.<name>.version`` (cdktf's bindings pin hashicorp/aws
  6.25.0, CDK Terrain's a later 6.x) and its ``source`` spelling, as long as both spell the same provider address
  (cdktf writes ``aws``, CDK Terrain ``hashicorp/aws``: both mean registry.terraform.io/hashicorp/aws).
Every other difference is reported as ``<file>: <JSON pointer>: <what differs>``. Zip archives (Lambda assets)
must hold the same files with the same bytes (timestamps and folder entries aside); any other file must be
byte-identical. Prints one line per difference and exits 1 if there is any, 0 if none.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DEFAULT_REGISTRY = "registry.terraform.io"
DEFAULT_NAMESPACE = "hashicorp"


def provider_address(source: str) -> str:
    """Terraform's fully qualified provider address: "aws" and "hashicorp/aws" are registry.terraform.io/hashicorp/aws."""
    parts = source.lower().split("/")
    if len(parts) == 1:
        parts = [DEFAULT_NAMESPACE, *parts]
    if len(parts) == 2:
        parts = [DEFAULT_REGISTRY, *parts]
    return "/".join(parts)


def pointer(path: tuple[str | int, ...]) -> str:
    """RFC 6901 JSON pointer of a path ("/terraform/required_providers/aws/version"); "" is the whole document."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def is_allowed(file: str, path: tuple[str | int, ...], left: Any, right: Any) -> bool:
    """The differences two frameworks may make in the same app's output."""
    if file == "manifest.json":
        return path == ("version",)
    if not file.endswith("cdk.tf.json"):
        return False
    if path == ("//", "metadata", "version"):
        return True
    if len(path) == 4 and path[:2] == ("terraform", "required_providers"):
        if path[3] == "version":
            return True
        if path[3] == "source" and isinstance(left, str) and isinstance(right, str):
            return provider_address(left) == provider_address(right)
    return False


def json_differences(left: Any, right: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple, str]]:
    """(path, description) of each place where two parsed JSON documents differ, deepest first."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys()):
            if key not in right:
                yield (*path, key), "only in the cdktf output"
            elif key not in left:
                yield (*path, key), "only in the CDK Terrain output"
            else:
                yield from json_differences(left[key], right[key], (*path, key))
    elif isinstance(left, list) and isinstance(right, list):
        for index, (left_item, right_item) in enumerate(zip(left, right, strict=False)):
            yield from json_differences(left_item, right_item, (*path, index))
        if len(left) != len(right):
            yield path, f"{len(left)} items in the cdktf output, {len(right)} in the CDK Terrain output"
    elif type(left) is not type(right) or left != right:
        yield path, f"cdktf {json.dumps(left)[:80]} != CDK Terrain {json.dumps(right)[:80]}"


def compare_outputs(cdktf_out: Path, cdktn_out: Path) -> list[str]:
    """One line per difference that is not framework metadata or the provider requirement; empty when they match."""
    problems: list[str] = []
    left_files = {path.relative_to(cdktf_out).as_posix() for path in cdktf_out.rglob("*") if path.is_file()}
    right_files = {path.relative_to(cdktn_out).as_posix() for path in cdktn_out.rglob("*") if path.is_file()}
    problems += [f"{name}: only in the cdktf output" for name in sorted(left_files - right_files)]
    problems += [f"{name}: only in the CDK Terrain output" for name in sorted(right_files - left_files)]
    for name in sorted(left_files & right_files):
        left_bytes, right_bytes = (cdktf_out / name).read_bytes(), (cdktn_out / name).read_bytes()
        if name.endswith(".zip"):
            problems += [f"{name}: {problem}" for problem in zip_differences(left_bytes, right_bytes)]
            continue
        if not name.endswith(".json"):
            if left_bytes != right_bytes:
                problems.append(f"{name}: the files differ byte for byte")
            continue
        left, right = json.loads(left_bytes), json.loads(right_bytes)
        for path, description in json_differences(left, right):
            if not is_allowed(name, path, _at(left, path), _at(right, path)):
                problems.append(f"{name}: {pointer(path) or '/'}: {description}")
    return problems


def zip_differences(left: bytes, right: bytes) -> list[str]:
    """The files in two Lambda asset archives, by name and content. cdktf zips the staged files with their
    modification times and adds an entry per folder; CDK Terrain writes neither (fixed 1980 timestamps, files
    only). So the archives differ byte for byte, but the files in them must not."""

    def members(data: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}

    left_members, right_members = members(left), members(right)
    problems = [f"{member}: only in the cdktf archive" for member in sorted(left_members.keys() - right_members.keys())]
    problems += [
        f"{member}: only in the CDK Terrain archive" for member in sorted(right_members.keys() - left_members.keys())
    ]
    problems += [
        f"{member}: the archived files differ"
        for member in sorted(left_members.keys() & right_members.keys())
        if left_members[member] != right_members[member]
    ]
    return problems


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not all(Path(folder).is_dir() for folder in argv):
        print("usage: python tools/framework_parity.py CDKTF_OUT CDKTN_OUT (two synthesized output folders)")
        return 2
    problems = compare_outputs(Path(argv[0]), Path(argv[1]))
    print("\n".join(problems) or "the outputs match (apart from framework metadata and the provider requirement)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

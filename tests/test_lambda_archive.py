"""stacks/lambda_archive.py: a Lambda's code and layer zips depend only on the files' names, contents and executable
bits, so another clone or CI runner synthesizes the same bytes and a deploy from there changes no function."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from stacks import lambda_archive, lambda_function
from tests.conftest import resources


@pytest.fixture()
def archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "archives"
    monkeypatch.setattr(lambda_archive, "ARCHIVES", folder)
    return folder


def make_package(root: Path) -> Path:
    (root / "python" / "pkg").mkdir(parents=True)
    (root / "python" / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "python" / "pkg" / "data.json").write_text('{"a": 1}')
    (root / "python" / "bin-tool").write_text("#!/bin/sh\n")
    (root / "python" / "bin-tool").chmod(0o755)
    return root


def zip_of(folder: Path) -> Path:
    return lambda_archive.archive(lambda_archive.folder_files(folder), "layer")


def test_the_same_files_zip_to_the_same_bytes_whatever_their_timestamps(archives: Path, tmp_path: Path) -> None:
    first = make_package(tmp_path / "clone-a")
    second = make_package(tmp_path / "clone-b")
    for path in second.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))  # another checkout, written years later
    zipped = zip_of(first)
    assert zip_of(second) == zipped
    rebuilt = zipped.read_bytes()
    zipped.unlink()
    assert zip_of(second).read_bytes() == rebuilt


def test_entries_are_sorted_dated_1980_and_keep_only_the_executable_bit(archives: Path, tmp_path: Path) -> None:
    zipped = zip_of(make_package(tmp_path / "package"))
    with zipfile.ZipFile(zipped) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == [
            "python/bin-tool",
            "python/pkg/__init__.py",
            "python/pkg/data.json",
        ]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.filename: info.external_attr >> 16 for info in infos} == {
            "python/bin-tool": 0o100755,
            "python/pkg/__init__.py": 0o100644,
            "python/pkg/data.json": 0o100644,
        }
        assert archive.read("python/pkg/__init__.py") == b"VALUE = 1\n"
    assert zipped.name == "layer.zip" and list(zipped.parent.iterdir()) == [zipped]  # no partial file left


def test_a_change_of_content_or_mode_is_a_new_archive(archives: Path, tmp_path: Path) -> None:
    package = make_package(tmp_path / "package")
    before = zip_of(package)
    (package / "python" / "pkg" / "data.json").chmod(0o755)
    made_executable = zip_of(package)
    (package / "python" / "pkg" / "data.json").write_text('{"a": 2}')
    assert len({before, made_executable, zip_of(package)}) == 3


def test_an_existing_archive_is_reused_as_it_is(archives: Path, tmp_path: Path) -> None:
    package = make_package(tmp_path / "package")
    zipped = zip_of(package)
    written = zipped.stat().st_mtime_ns
    assert zip_of(package) == zipped and zipped.stat().st_mtime_ns == written


def test_a_missing_folder_is_one_clear_line(archives: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing-here is missing; expected the folder to zip for the Lambda$"):
        lambda_archive.folder_files(tmp_path / "nothing-here")


def test_a_lambda_package_ships_its_sources_under_its_name_without_caches_or_tests(
    archives: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "lambda" / "notifier"
    for relative in (
        "handler.py",
        "blocks/format.py",
        "__pycache__/handler.cpython-312.pyc",
        "stale.pyc",
        "tests/test_handler.py",
        "blocks/tests/test_format.py",
    ):
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("")
    monkeypatch.setattr(lambda_function, "LAMBDA_SOURCE", tmp_path / "lambda")
    files = lambda_function.package_files("notifier")
    assert sorted(files) == ["notifier/blocks/format.py", "notifier/handler.py"]
    with pytest.raises(
        FileNotFoundError, match=r"lambda/missing/handler.py is missing; expected the Lambda package there$"
    ):
        lambda_function.package_files("missing")


def test_every_lambda_and_layer_of_the_stack_ships_a_reproducible_zip(
    synthesized: dict[str, dict[str, Any]], synth_outdir: Path, scenario_configs: dict[str, Any]
) -> None:
    stack = synthesized["prod_full"]
    folder = synth_outdir / "stacks" / scenario_configs["prod_full"].stack_name
    shipped = resources(stack, "aws_lambda_function") + resources(stack, "aws_lambda_layer_version")
    assert len(shipped) >= 3  # the reviewer, its layer, the Slack notifier
    for resource in shipped:
        assert resource["source_code_hash"] == f'${{filebase64sha256("{resource["filename"]}")}}'
        with zipfile.ZipFile(folder / resource["filename"]) as archive:
            assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, resource["filename"]

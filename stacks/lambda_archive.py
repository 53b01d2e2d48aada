"""Lambda code and layer archives that depend only on the files' names, contents and executable bits.

cdktf's ARCHIVE assets zip a folder on every synth with archiver (zlib level 9, in a node process of its own:
cdktf 0.21.0 lib/private/fs.js:53-82) and keep each file's modification time. The zip bytes, and with them the
``source_code_hash`` (``filebase64sha256`` of the zip), then change with every fresh clone, CI runner or rebuilt
layer folder, so each deploy from another checkout re-uploads unchanged functions and publishes a new layer
version. Here the files are zipped once per content, into ``build/lambda-archives/<digest>/<name>.zip``: entries in
sorted order, dated 1980-01-01, mode 0644 (0755 where executable), and the stack uses the zip as a FILE asset.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from stacks.config import PROJECT_ROOT

ARCHIVES = PROJECT_ROOT / "build" / "lambda-archives"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
COMPRESS_LEVEL = 6


def folder_files(folder: Path, *, prefix: str = "", skip: Callable[[Path], bool] | None = None) -> dict[str, Path]:
    """Every file under the folder by its name in the zip (``prefix`` + its path in the folder), leaving out those
    ``skip`` takes (it gets the path relative to the folder)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is missing; expected the folder to zip for the Lambda")
    files = (path for path in folder.rglob("*") if path.is_file())
    return {
        prefix + path.relative_to(folder).as_posix(): path
        for path in files
        if skip is None or not skip(path.relative_to(folder))
    }


def archive(files: Mapping[str, Path], name: str) -> Path:
    """The zip of these files (zip name -> file), built unless an identical one exists."""
    entries = sorted((entry_name, path, os.access(path, os.X_OK)) for entry_name, path in files.items())
    digest = hashlib.sha256()
    for entry_name, path, executable in entries:
        digest.update(entry_name.encode() + b"\0" + path.read_bytes() + (b"\1" if executable else b"\0"))
    target = ARCHIVES / digest.hexdigest()[:20] / f"{name}.zip"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # A private file renamed into place: two syntheses at once (test workers, CI beside a developer) never see half.
    handle, private = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zipped:
            for entry_name, path, executable in entries:
                info = zipfile.ZipInfo(entry_name, date_time=ZIP_EPOCH)
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zipped.writestr(info, path.read_bytes(), compresslevel=COMPRESS_LEVEL)
        os.replace(private, target)
    finally:
        Path(private).unlink(missing_ok=True)
    return target

"""A throwaway copy of an edition to check an uploaded file in, and what the upload changes in it.

An uploaded workbook or CSV table is read exactly as a build would read it: placed in an edition folder
beside the other editions of the region and the national reference. That folder is a shadow of the real one
in a temporary directory: real folders for the edition and the CSV files set aside (the only places where a
file is written, moved or removed), links to the real files for everything else, which is only read. So the
working copy (inputs/) is never touched, and a large ledger is not copied. Once checked, the shadow is
compared with the working copy: the files written, moved or removed are the upload's changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from flows.edition.ingest.names import ASIDE_FOLDER

# The folders of an edition a check may write into: the edition's own and the CSV files set aside.
_WRITABLE = ("", ASIDE_FOLDER)


def make_shadow(inputs: Path, region: str, year: int, into: Path) -> Path:
    """The shadow of `inputs` in the empty folder `into`, for the edition `region`/`year`; its inputs folder.

    Every entry of inputs/ and of the region's folder is a link to the real one, but the edition's folder
    (and its `_anciens-csv/`), whose files are links one by one: a file replaced in the shadow replaces the
    link, never the real file.
    """
    shadow = into / "inputs"
    shadow.mkdir()
    for entry in inputs.iterdir():
        if entry.name != region:
            (shadow / entry.name).symlink_to(entry.absolute())
    region_dir = shadow / region
    region_dir.mkdir()
    for entry in (inputs / region).iterdir():
        if entry.name != str(year):
            (region_dir / entry.name).symlink_to(entry.absolute())
    real = inputs / region / str(year)
    for folder in _WRITABLE:
        source = real / folder
        if not source.is_dir():
            continue
        target = region_dir / str(year) / folder
        target.mkdir()
        for entry in source.iterdir():
            if not (entry.name == ASIDE_FOLDER and entry.is_dir()):
                (target / entry.name).symlink_to(entry.absolute())
    return shadow


def write_file(shadow: Path, relative: str, data: bytes) -> None:
    """Write `data` at `relative` (to the shadow's inputs) in place of the link or file that stands there."""
    path = shadow / relative
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def changes(inputs: Path, shadow: Path, region: str, year: int) -> dict[str, bytes | None]:
    """The files the shadow's edition holds differently from the working copy's, by path relative to inputs/:
    their new bytes, or None for a file removed (moved aside: removed here, written under `_anciens-csv/`).
    A file written with the very bytes it had is no change."""
    edition = f"{region}/{year}"
    real = inputs / region / str(year)
    now = dict(_files(shadow / region / str(year)))
    before = dict(_files(real))
    found: dict[str, bytes | None] = {}
    for name, path in now.items():
        if path.is_symlink() and os.readlink(path) == str((real / name).absolute()):
            continue  # the real file itself, unchanged
        data = path.read_bytes()
        if name in before and before[name].read_bytes() == data:
            continue
        found[f"{edition}/{name}"] = data
    for name in before:
        if name not in now:
            found[f"{edition}/{name}"] = None
    return dict(sorted(found.items()))


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """The files of an edition folder a check may change (its own and those set aside), by relative path."""
    for sub in _WRITABLE:
        where = folder / sub
        if not where.is_dir():
            continue
        for entry in where.iterdir():
            if entry.name in _WRITABLE and entry.is_dir():
                continue
            if entry.is_file():
                yield (f"{sub}/{entry.name}" if sub else entry.name), entry

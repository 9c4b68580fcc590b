"""The checksums of the files an edition's snapshot reads, without reading what they say: no table typed, no
Polars, no text parsed. What a run whose inputs are unchanged needs to know so (flows/unchanged.py).

It walks the edition folder as `snapshot.read_edition` does and names each file as it does, so that for an
edition the snapshot reads, the two give the same checksums (tests/test_unchanged.py compares them on both
real editions, a workbook and a ledger). Whatever the snapshot would refuse or read differently (a file it
cannot read, a folder where a file should be, two ledgers) gives None here: the snapshot then says what
is wrong, as it always did. The earlier editions are not read: the manifest's checksums are the edition's.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from flows.edition.errors import InputError
from flows.edition.ingest.files import InputFile, decode_utf8, present, read_input
from flows.edition.ingest.names import LEDGER_NAMES, META_FILE, MISSIONS_REFERENCE, NOMENCLATURE, TEXTS_DIR, WORKBOOK


class _Unsure(Exception):
    """Something the snapshot reads in a way this walk does not follow: leave the decision to it."""


def edition_checksums(inputs: Path, region: str, year: int) -> dict[str, str] | None:
    """SHA-256 of every file the snapshot of (`region`, `year`) reads, by path relative to `inputs` (as
    `Edition.checksums`); None when only reading the edition can tell (a file missing, unreadable or out of
    place: the snapshot's error says which)."""
    try:
        files = _edition_files(inputs, inputs / region / str(year))
    except (_Unsure, InputError, OSError, ValueError, RuntimeError):
        return None
    return {file.source: file.sha256 for file in files}


def _edition_files(inputs: Path, folder: Path) -> list[InputFile]:
    meta = folder / META_FILE
    if not folder.is_dir() or not present(meta):
        raise _Unsure(folder)
    meta_file = read_input(meta, inputs)
    files = [meta_file]
    for path in sorted(folder.glob("*.csv")):  # the table files (the snapshot refuses other names)
        if path.name != NOMENCLATURE and path.name not in LEDGER_NAMES:
            files.append(read_input(path, inputs))
    if present(folder / WORKBOOK):
        files.append(read_input(folder / WORKBOOK, inputs))
    files += _text_files(folder / TEXTS_DIR, inputs)
    reference = inputs / MISSIONS_REFERENCE
    if not present(reference):
        raise _Unsure(reference)
    files.append(read_input(reference, inputs))
    files += _ledger_files(folder, inputs)
    if (logo := _logo(meta_file, folder)) is not None:
        files.append(read_input(logo, inputs))
    return files


def _text_files(folder: Path, inputs: Path) -> list[InputFile]:
    if not folder.is_dir():
        if present(folder):
            raise _Unsure(folder)
        return []
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            if path.suffix == ".md":
                raise _Unsure(path)
            continue
        if path.suffix != ".md":
            raise _Unsure(path)
        files.append(read_input(path, inputs))
    return files


def _ledger_files(folder: Path, inputs: Path) -> list[InputFile]:
    found = [folder / name for name in LEDGER_NAMES if present(folder / name)]
    if not found:
        return []
    if len(found) > 1 or not present(folder / NOMENCLATURE):
        raise _Unsure(found[0])
    return [read_input(found[0], inputs), read_input(folder / NOMENCLATURE, inputs)]


def _logo(meta: InputFile, folder: Path) -> Path | None:
    """The logo edition.toml names (`brand.logo`), as the metadata's reader finds it."""
    brand = tomllib.loads(decode_utf8(meta.data, meta.source, "")).get("brand")
    name = brand.get("logo") if isinstance(brand, dict) else None
    if not name:
        return None
    if not isinstance(name, str) or "\x00" in name:
        raise _Unsure(name)
    path = (folder / name).resolve()
    if not path.is_file() or folder.resolve() not in path.parents:
        raise _Unsure(path)
    return path

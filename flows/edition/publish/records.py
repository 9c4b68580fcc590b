"""Each revision's full record kept as immutable objects beside its files, so that the files alone describe
the edition (as git's objects do) and a lost or older catalogue can be rebuilt from them (store.recover).

    <region>/<year>/.records/
      r<N>.<status>.<sha256[:16]>.json     one state of revision N: its catalogue row (record, status, who
                                           launched it, based on which publication, who decided, when, why),
                                           its files (role, name, SHA-256, size) and its Prefect results;
                                           named after its bytes (a damaged record is recognised), read-only
      prepared/r<N>.<status>.….json        a build's record written before its commit, moved up beside the
                                           others right after it (a record left here was never known to be
                                           committed: recovery moves it up if the catalogue has its revision,
                                           else puts it in quarantine with its files)

A build writes its record before its commit (like its PDFs); a decision (approval, rejection) is a new record
written right after its commit, never an edit of the earlier one. A state the catalogue holds and the records
lack (a kill between the commit and the record, a store older than records) is written by recovery.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.edition.publish import objects

RECORDS = ".records"
PREPARED = "prepared"
FORMAT = 1
DRAFT = "draft"
_NAME = re.compile(r"^r(\d+)\.([a-z_-]+)\.([0-9a-f]{16})\.json$")


@dataclass(frozen=True)
class Record:
    """One record object: the revision's number, its status in that state, its content and where it lies."""

    number: int
    status: str
    body: dict[str, Any]
    path: Path

    def decided(self) -> bool:
        return self.status != DRAFT

    def files(self) -> dict[str, str]:
        """Role → SHA-256: the revision's identity (the same build has the same files)."""
        return {role: f["sha256"] for role, f in self.body["files"].items()}


def body(
    region: str,
    year: int,
    region_name: str,
    row: Mapping[str, Any],
    files: Mapping[str, tuple[str, str, int]],
    results: list[str],
) -> dict[str, Any]:
    """A record's content: the revision's catalogue row (columns of tables.revisions, `number` as `revision`),
    its files by role (name, SHA-256, size) and its results, with the edition it belongs to."""
    columns = {key: value for key, value in row.items() if key not in ("id", "edition_id", "number")}
    return {
        "format": FORMAT,
        "region": region,
        "year": year,
        "region_name": region_name,
        "revision": int(row["number"]),
        **columns,
        "files": {role: {"name": n, "sha256": d, "size": s} for role, (n, d, s) in sorted(files.items())},
        "results": sorted(set(results)),
    }


def encode(content: Mapping[str, Any]) -> tuple[str, bytes]:
    """The record's file name and bytes (the same content always gives the same name). The top level is
    sorted; inner objects keep their order (the catalogue keeps it: manifest.json is written in it)."""
    ordered = {key: content[key] for key in sorted(content)}
    data = json.dumps(ordered, ensure_ascii=False, indent=1).encode("utf-8")
    return f"r{content['revision']}.{content['status']}.{hashlib.sha256(data).hexdigest()[:16]}.json", data


def prepare(edition_dir: Path, content: Mapping[str, Any]) -> Path:
    """Write a build's record before its commit, durably, in prepared/ (`seal` moves it up after the commit)."""
    name, data = encode(content)
    folder = edition_dir / RECORDS / PREPARED
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    _write_new(path, data, replace=True)
    return path


def seal(prepared: Path) -> Path:
    """Move a prepared record up beside the others: its revision is committed."""
    target = prepared.parent.parent / prepared.name
    if target.is_file():
        prepared.unlink(missing_ok=True)  # the same name is the same bytes
    else:
        os.replace(prepared, target)
    objects.sync_folder(target.parent)
    objects.sync_folder(prepared.parent)
    return target


def write(edition_dir: Path, content: Mapping[str, Any]) -> Path | None:
    """Write a committed state as a new record; None when that very record exists already (never rewritten)."""
    name, data = encode(content)
    folder = edition_dir / RECORDS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.is_file() and _intact(path):
        return None
    return path if _write_new(path, data, replace=path.is_file()) else None


def read(edition_dir: Path) -> tuple[dict[int, list[Record]], list[Path]]:
    """Every committed record of the edition by revision number, and the record files found damaged (bytes
    that no longer match their name, or not a record)."""
    found: dict[int, list[Record]] = {}
    damaged: list[Path] = []
    folder = edition_dir / RECORDS
    if not folder.is_dir():
        return found, damaged
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(objects.TEMPORARY):
            continue
        parsed = _load(path)
        if parsed is None:
            damaged.append(path)
        else:
            found.setdefault(parsed.number, []).append(parsed)
    return found, damaged


def prepared(edition_dir: Path) -> list[Record | Path]:
    """The records written before a commit and not yet moved up (a Path: one found damaged)."""
    folder = edition_dir / RECORDS / PREPARED
    if not folder.is_dir():
        return []
    return [_load(p) or p for p in sorted(folder.iterdir()) if p.is_file()]


def leftovers(edition_dir: Path) -> list[Path]:
    """Temporary files of a record write that never finished (a killed run): garbage by construction."""
    return [
        p
        for folder in (edition_dir / RECORDS, edition_dir / RECORDS / PREPARED)
        if folder.is_dir()
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(objects.TEMPORARY)
    ]


def _load(path: Path) -> Record | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest()[:16] != match.group(3):
        return None
    try:
        content = json.loads(data)
    except ValueError:
        return None
    if not isinstance(content, dict) or content.get("revision") != int(match.group(1)):
        return None
    return Record(int(match.group(1)), match.group(2), content, path)


def _intact(path: Path) -> bool:
    return _load(path) is not None


def _write_new(path: Path, data: bytes, replace: bool) -> bool:
    """Write `data` durably under `path`, read-only; without `replace`, only if no file has that name."""
    aside = path.with_name(f"{objects.TEMPORARY}{path.name}.{os.getpid()}")
    try:
        objects.write_durably(aside, data)
        os.chmod(aside, 0o444)
        if replace:
            os.replace(aside, path)
        else:
            try:
                os.link(aside, path)  # never over an existing record
            except FileExistsError:
                return False
    finally:
        aside.unlink(missing_ok=True)
    objects.sync_folder(path.parent)
    return True

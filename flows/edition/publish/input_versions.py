"""Versions of an edition's inputs: each change to the files of `inputs/<region>/<year>/` (and the shared
`inputs/_reference/`) recorded as a version of the whole set, so that every revision can be rebuilt from the
store alone (`fir rebuild`) and two versions compared.

A version's files are content-addressed objects in the edition's `.objects/` (the store of its PDFs: a file
unchanged since the last version is stored once), described by an immutable record beside them,
`.inputs/v<N>.<sha256[:16]>.json` (who, when, from where, why, each file's path and SHA-256), and indexed in
the catalogue's `input_versions` table. The records are the truth: a catalogue that lacks a version (an older
copy, one rebuilt) takes it back from them (`versions`).

`inputs/<region>/<year>/` stays the working copy: command-line users edit it, the portal writes it through
`save` under the edition's inputs lock. A file changed on disk since the latest version is recorded as its own
version (author: the system user) before any portal save, so nothing is overwritten silently; a save based on
an older version that touches a file changed since is refused (SaveConflict), nothing lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from filelock import FileLock
from filelock import Timeout as FileLockTimeout

from flows.edition.ingest.names import REFERENCE_DIR
from flows.edition.publish import locks, objects
from flows.edition.publish.errors import LockTimeout
from flows.edition.publish.tables import input_versions as table
from flows.paths import edition_dir

FOLDER = ".inputs"
LOCKS = ".inputs-locks"  # in outputs/: one lock file per edition whose inputs are written
FORMAT = 1
LOCK_TIMEOUT_S = 30.0
# What is never part of a version: office programs' lock and temporary files, hidden files.
_IGNORED_PREFIXES = (".", "~$", "~")


@dataclass(frozen=True)
class InputVersion:
    """One version of an edition's inputs: its files by path relative to inputs/ → (SHA-256, size)."""

    region: str
    year: int
    number: int
    created_at: str  # ISO 8601, UTC
    author: str  # an account, or the system user
    origin: str  # where from: « portail (adresse) », « ligne de commande (machine) », a build
    message: str
    files: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return set_digest(self.files)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "region": self.region,
            "year": self.year,
            "number": self.number,
            "created_at": self.created_at,
            "author": self.author,
            "origin": self.origin,
            "message": self.message,
            "files": {path: {"sha256": sha, "size": size} for path, (sha, size) in sorted(self.files.items())},
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> InputVersion:
        files = {path: (str(f["sha256"]), int(f["size"])) for path, f in dict(body["files"]).items()}
        return cls(
            str(body["region"]),
            int(body["year"]),
            int(body["number"]),
            str(body["created_at"]),
            str(body["author"]),
            str(body["origin"]),
            str(body["message"]),
            files,
        )


class SaveConflict(Exception):
    """A save based on an older version touches a file someone changed since: nothing was written."""

    def __init__(self, path: str, theirs: InputVersion, base: bytes | None, current: bytes | None):
        super().__init__(
            f"{path} a été modifié depuis que vous l'avez ouvert (version {theirs.number}, par {theirs.author}, "
            f"le {theirs.created_at[:16].replace('T', ' à ')} UTC) : rien n'a été enregistré. Comparez avec la "
            "version actuelle, reportez vos modifications, puis enregistrez de nouveau."
        )
        self.path = path
        self.theirs = theirs
        self.base = base
        self.current = current


class UnknownVersion(LookupError):
    """No such version of the edition's inputs (said in French)."""


def set_digest(files: Mapping[str, tuple[str, int]]) -> str:
    """The identity of a set of files: the SHA-256 of its sorted (path, SHA-256) lines."""
    lines = "".join(f"{path}\0{sha}\n" for path, (sha, _) in sorted(files.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


# --- the working copy -------------------------------------------------------------------------------------


def working_files(inputs: Path, region: str, year: int, known: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file of the edition's folder and of the shared reference folder, by path relative to inputs/
    (office programs' lock files and hidden files left out); `known`: bytes already read (a build's snapshot),
    taken as they are rather than read again — a build opens each input file once."""
    found: dict[str, bytes] = {}
    for folder in (inputs / region / str(year), inputs / REFERENCE_DIR):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(inputs)
            if any(part.startswith(_IGNORED_PREFIXES) for part in relative.parts) or not path.is_file():
                continue
            key = relative.as_posix()
            found[key] = known[key] if known and key in known else path.read_bytes()
    return found


def safe_path(inputs: Path, path: str) -> Path:
    """The file `path` (relative to inputs/) names, refusing any that would leave inputs/."""
    parts = Path(path).parts
    if not parts or Path(path).is_absolute() or ".." in parts or any(p.startswith(".") for p in parts):
        raise ValueError(f"chemin refusé : {path!r}")
    return inputs.joinpath(*parts)


def write_working_copy(inputs: Path, changes: Mapping[str, bytes | None]) -> None:
    """Write (or remove, for None) each changed file of the working copy, each whole (temporary name, fsync,
    rename): a reader sees the old file or the new one, never half of one."""
    for path, data in sorted(changes.items()):
        target = safe_path(inputs, path)
        if data is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        aside = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            objects.write_durably(aside, data)
            os.replace(aside, target)
        finally:
            aside.unlink(missing_ok=True)
        objects.sync_folder(target.parent)


# --- records and catalogue ----------------------------------------------------------------------------------


def read_records(folder: Path) -> dict[int, InputVersion]:
    """The versions described by the records of an edition's folder (a damaged record is left out)."""
    found: dict[int, InputVersion] = {}
    records = folder / FOLDER
    if not records.is_dir():
        return found
    for path in sorted(records.glob("v*.json")):
        try:
            data = path.read_bytes()
            if not path.name.endswith(f".{hashlib.sha256(data).hexdigest()[:16]}.json"):
                continue
            version = InputVersion.from_json(json.loads(data))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found[version.number] = version
    return found


def referenced(folder: Path) -> set[str]:
    """The objects the input versions of an edition's folder need (recovery keeps them)."""
    return {sha for version in read_records(folder).values() for sha, _ in version.files.values()}


def _write_record(folder: Path, version: InputVersion) -> Path:
    data = json.dumps(version.as_json(), ensure_ascii=False, indent=1, sort_keys=True).encode()
    records = folder / FOLDER
    records.mkdir(parents=True, exist_ok=True)
    target = records / f"v{version.number}.{hashlib.sha256(data).hexdigest()[:16]}.json"
    if not target.exists():
        aside = records / f"{objects.TEMPORARY}v{version.number}.{os.getpid()}"
        try:
            objects.write_durably(aside, data)
            os.chmod(aside, 0o444)
            os.replace(aside, target)
        finally:
            aside.unlink(missing_ok=True)
        objects.sync_folder(records)
    return target


def _row(version: InputVersion) -> dict[str, Any]:
    body = version.as_json()
    return {
        "region": version.region,
        "year": version.year,
        "number": version.number,
        "created_at": version.created_at,
        "author": version.author,
        "origin": version.origin,
        "message": version.message,
        "digest": version.digest,
        "files": body["files"],
    }


def versions(engine: sa.Engine, outputs: Path, region: str, year: int) -> list[InputVersion]:
    """Every version of the edition's inputs, oldest first: the catalogue's, and those only the records hold
    (taken back into the catalogue)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(table).where(table.c.region == region, table.c.year == year).order_by(table.c.number)
        ).all()
    known = {row.number: InputVersion.from_json(row._asdict()) for row in rows}
    missing = [v for n, v in read_records(edition_dir(outputs, region, year)).items() if n not in known]
    for version in missing:
        try:
            with engine.begin() as conn:
                conn.execute(sa.insert(table), [_row(version)])
        except sa.exc.IntegrityError:  # taken back by another process meanwhile
            pass
        known[version.number] = version
    return [known[n] for n in sorted(known)]


def version(engine: sa.Engine, outputs: Path, region: str, year: int, number: int) -> InputVersion:
    for found in versions(engine, outputs, region, year):
        if found.number == number:
            return found
    raise UnknownVersion(f"l'édition {region} {year} n'a pas de version {number} de ses fichiers d'entrée")


def latest(engine: sa.Engine, outputs: Path, region: str, year: int) -> InputVersion | None:
    every = versions(engine, outputs, region, year)
    return every[-1] if every else None


def contents(outputs: Path, version: InputVersion) -> dict[str, bytes]:
    """A version's files, read from the store (each checked against its SHA-256)."""
    folder = edition_dir(outputs, version.region, version.year)
    files: dict[str, bytes] = {}
    for path, (sha, _) in version.files.items():
        data = objects.object_path(folder, sha).read_bytes()
        if objects.sha256(data) != sha:
            raise OSError(f"fichier d'entrée altéré dans le stockage : {path} (objet {sha[:12]}…)")
        files[path] = data
    return files


def export(outputs: Path, version: InputVersion, into: Path) -> list[Path]:
    """Write a version's files into `into` (as inputs/ holds them): the files written."""
    written = []
    for path, data in sorted(contents(outputs, version).items()):
        target = safe_path(into, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


# --- recording ----------------------------------------------------------------------------------------------


@contextmanager
def inputs_lock(engine: sa.Engine, outputs: Path, region: str, year: int, timeout: float) -> Iterator[None]:
    """One writer of an edition's inputs at a time (brief: a save, a version recorded) — distinct from the
    build's lock, so a save never waits for a whole build."""
    if engine.dialect.name == "postgresql":
        key = locks.lock_key(region, year) ^ 0x1F1F
        with engine.connect() as conn:
            try:
                deadline = time.monotonic() + timeout
                while not conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"verrou des fichiers d'entrée de {region} {year}", None, timeout)
                    time.sleep(0.2)
                yield
            finally:
                conn.invalidate()
        return
    # Beside the catalogue rather than in the edition's folder: a recovery takes it on every edition, and an
    # edition's folder holds only what its revisions and versions need.
    path = outputs / LOCKS / f"{region}-{year}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    try:
        lock.acquire(timeout=timeout)
    except FileLockTimeout:
        raise LockTimeout(str(path), None, timeout) from None
    try:
        yield
    finally:
        lock.release()


def _record(
    engine: sa.Engine,
    outputs: Path,
    region: str,
    year: int,
    files: Mapping[str, bytes],
    author: str,
    origin: str,
    message: str,
) -> InputVersion:
    """Record `files` as the edition's next version, unless they are the latest's (then the latest)."""
    current = latest(engine, outputs, region, year)
    described = {path: (objects.sha256(data), len(data)) for path, data in files.items()}
    if current is not None and set_digest(described) == current.digest:
        return current
    folder = edition_dir(outputs, region, year)
    for data in files.values():
        objects.put(folder, data)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    made = InputVersion(region, year, (current.number if current else 0) + 1, now, author, origin, message, described)
    _write_record(folder, made)  # the record first: a catalogue that misses the row takes it back from it
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [_row(made)])
    return made


def record_working_copy(
    engine: sa.Engine,
    outputs: Path,
    inputs: Path,
    region: str,
    year: int,
    author: str,
    origin: str,
    message: str,
    read: Mapping[str, bytes] | None = None,
    timeout: float = LOCK_TIMEOUT_S,
) -> InputVersion:
    """The working copy as a version: a new one when it differs from the latest, else the latest. `read`: the
    bytes a build's snapshot read (they win over the disk's, which may have been saved again since)."""
    with inputs_lock(engine, outputs, region, year, timeout):
        files = working_files(inputs, region, year, read)
        return _record(engine, outputs, region, year, files, author, origin, message)


def save(
    engine: sa.Engine,
    outputs: Path,
    inputs: Path,
    region: str,
    year: int,
    changes: Mapping[str, bytes | None],
    base: int | None,
    author: str,
    origin: str,
    message: str,
    system_user: str,
    timeout: float = LOCK_TIMEOUT_S,
) -> InputVersion:
    """Write `changes` (path relative to inputs/ → bytes, None to remove) into the working copy as a new
    version made from version `base` (what the person saw). Under the inputs lock: a change on disk since the
    latest version is first recorded as its own version (author: `system_user`); a changed path whose content
    differs between `base` and the latest raises SaveConflict and nothing is written."""
    for path in changes:
        safe_path(inputs, path)
    with inputs_lock(engine, outputs, region, year, timeout):
        on_disk = working_files(inputs, region, year)
        current = _record(
            engine, outputs, region, year, on_disk, system_user, "fichiers du serveur", "modifié sur le disque"
        )
        if base is not None and base != current.number:
            seen = version(engine, outputs, region, year, base)
            for path in sorted(changes):
                if seen.files.get(path) != current.files.get(path):
                    theirs = _changed_by(engine, outputs, region, year, path, seen, current)
                    before = contents(outputs, _only(seen, path)).get(path)
                    after = on_disk.get(path)
                    raise SaveConflict(path, theirs, before, after)
        merged = {**on_disk, **{p: d for p, d in changes.items() if d is not None}}
        for path, data in changes.items():
            if data is None:
                merged.pop(path, None)
        if all(on_disk.get(p) == d for p, d in changes.items()):
            return current  # nothing to change: the same bytes
        write_working_copy(inputs, changes)
        return _record(engine, outputs, region, year, merged, author, origin, message)


def restore(
    engine: sa.Engine,
    outputs: Path,
    inputs: Path,
    region: str,
    year: int,
    number: int,
    author: str,
    origin: str,
    system_user: str,
) -> InputVersion:
    """Make version `number` the working copy again, as a new version (the history keeps every one)."""
    wanted = version(engine, outputs, region, year, number)
    files = contents(outputs, wanted)
    edition_prefixes = (f"{region}/{year}/", f"{REFERENCE_DIR}/")
    present = working_files(inputs, region, year)
    changes: dict[str, bytes | None] = {p: None for p in present if p not in files and p.startswith(edition_prefixes)}
    changes.update(files)
    return save(
        engine,
        outputs,
        inputs,
        region,
        year,
        changes,
        None,
        author,
        origin,
        f"version {number} rétablie",
        system_user,
    )


def _only(version: InputVersion, path: str) -> InputVersion:
    files = {path: version.files[path]} if path in version.files else {}
    return InputVersion(version.region, version.year, version.number, "", "", "", "", files)


def _changed_by(
    engine: sa.Engine, outputs: Path, region: str, year: int, path: str, seen: InputVersion, current: InputVersion
) -> InputVersion:
    """The first version after `seen` where `path` differs from what `seen` had: who changed it."""
    for found in versions(engine, outputs, region, year):
        if seen.number < found.number <= current.number and found.files.get(path) != seen.files.get(path):
            return found
    return current

"""Writing into outputs/: revisions, the current brochure and the manifest, never half-written.

Layout of one edition's folder:

    outputs/<region>/<year>/
      fir-<region>-<year>.pdf            the current brochure (latest revision)
      fir-<region>-<year>-archive.pdf    its archival copy
      revisions/r<N>/                    every revision's two PDFs, kept forever
      manifest.json                      one record per revision (see inputs of `publish_revision`)

A revision becomes visible in three atomic steps: its folder is written aside then renamed, the
current copies are replaced (write aside, rename), then the manifest is replaced. A run that fails
before these steps leaves every published byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from flows.edition.publish.manifest import FileEntry, Manifest, RecordEntry, RevisionEntry
from flows.paths import archive_path, brochure_path

MANIFEST = "manifest.json"
LOCK_TIMEOUT_S = 3600  # a build takes seconds; an hour means another run is stuck


def edition_dir(outputs: Path, region: str, year: int) -> Path:
    return outputs / region / str(year)


def read_manifest(outputs: Path, region: str, year: int) -> Manifest | None:
    """The edition's manifest, or None before its first publication."""
    path = edition_dir(outputs, region, year) / MANIFEST
    if not path.exists():
        return None
    manifest: Manifest = json.loads(path.read_text(encoding="utf-8"))
    return manifest


@contextmanager
def edition_lock(
    outputs: Path,
    region: str,
    year: int,
    timeout: float = LOCK_TIMEOUT_S,
    on_wait: Callable[[Path], None] | None = None,
) -> Iterator[None]:
    """Serialise the runs of one edition: a second run waits until the first has published, saying so
    (`on_wait`, with the lock's path) rather than waiting in silence; filelock.Timeout after `timeout` s."""
    folder = edition_dir(outputs, region, year)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait(folder / ".lock")
        lock.acquire(timeout=timeout)
    try:
        yield
    finally:
        lock.release()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def publish_revision(
    outputs: Path,
    region: str,
    year: int,
    number: int,
    published: bytes,
    archival: bytes,
    record: RecordEntry,
    region_name: str,
) -> Manifest:
    """Publish revision `number` and return the new manifest. `record` describes the revision (time,
    reason, trigger, input checksums, code version, figures, erratum); file entries are added here."""
    folder = edition_dir(outputs, region, year)
    revisions = folder / "revisions"
    revisions.mkdir(parents=True, exist_ok=True)
    target = revisions / f"r{number}"
    if target.exists():
        raise FileExistsError(f"la révision {number} existe déjà dans {folder}")
    names = {"pdf": brochure_path(outputs, region, year).name, "archive": archive_path(outputs, region, year).name}
    contents = {"pdf": published, "archive": archival}
    aside = revisions / f".r{number}.{os.getpid()}.part"
    aside.mkdir()
    try:
        for key, data in contents.items():
            _write(aside / names[key], data)
        os.rename(aside, target)  # the revision appears whole, or not at all
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)  # a full disk must not stay full of half a revision
        raise
    for key, path in (("pdf", brochure_path(outputs, region, year)), ("archive", archive_path(outputs, region, year))):
        _replace(path, contents[key])
    files = {
        key: FileEntry(file=f"revisions/r{number}/{names[key]}", sha256=sha256(data), size=len(data))
        for key, data in contents.items()
    }
    entry = RevisionEntry(**record, revision=number, pdf=files["pdf"], archive=files["archive"])
    manifest = read_manifest(outputs, region, year) or Manifest(
        region=region, region_name=region_name, year=year, revisions=[]
    )
    manifest["revisions"].append(entry)
    _replace(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return manifest


def _write(path: Path, data: bytes) -> None:
    try:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        if exc.filename is None:  # a failed write (a full disk) names no file: say which one
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _replace(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it in one atomic step."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        _write(aside, data)
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)

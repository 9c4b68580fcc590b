"""Content-addressed files: each PDF of an edition is kept once as `.objects/<sha256>`, written whole
(temporary name, fsync, rename, fsync of the folder) before the transaction that records it, read-only.
The views (views.py) are copies of these files, never hard links: truncating or overwriting one file
(a view readers open, or the object itself) damages that file alone, and the others restore it. Where the
file system shares a copy's blocks until one is written (reflinks: btrfs, XFS), a copy costs no space.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

OBJECTS = ".objects"
TEMPORARY = ".tmp-"
_FICLONE = 0x40049409  # Linux's ioctl sharing a file's blocks with another (copy on write)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def object_path(edition_dir: Path, digest: str) -> Path:
    return edition_dir / OBJECTS / digest


def put(edition_dir: Path, data: bytes) -> str:
    """Store `data` under its SHA-256 (once: an intact existing object is kept) and return the digest."""
    digest = sha256(data)
    target = object_path(edition_dir, digest)
    if target.is_file() and target.stat().st_size == len(data) and file_sha256(target) == digest:
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f"{TEMPORARY}{digest[:16]}.{os.getpid()}")
    try:
        write_durably(aside, data)
        os.chmod(aside, 0o444)  # published bytes: nobody edits them in place
        os.replace(aside, target)
    finally:
        aside.unlink(missing_ok=True)
    sync_folder(target.parent)
    return digest


def adopt(edition_dir: Path, source: Path, digest: str) -> None:
    """Make a copy of an existing file (checked to have `digest`) the object `digest`."""
    target = object_path(edition_dir, digest)
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f"{TEMPORARY}{digest[:16]}.{os.getpid()}")
    try:
        copy_file(source, aside)
        os.replace(aside, target)
    finally:
        aside.unlink(missing_ok=True)
    sync_folder(target.parent)


def stored(edition_dir: Path) -> Iterator[Path]:
    """Every object and temporary file of the edition."""
    folder = edition_dir / OBJECTS
    if folder.is_dir():
        yield from sorted(p for p in folder.iterdir() if p.is_file())


def write_durably(path: Path, data: bytes) -> None:
    """Write `data` to `path` and wait until it is on disk; a failed write names the file."""
    try:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        if exc.filename is None:  # a failed write (a full disk) names no file: say which one
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def copy_file(source: Path, target: Path) -> None:
    """A durable, read-only copy of `source` at `target` that shares no inode with it: a reflink where the
    file system offers one (copy on write: writing either file never changes the other), else the bytes
    copied. A failed write names `target`."""
    try:
        with open(source, "rb") as reading, open(target, "wb") as writing:
            try:
                fcntl.ioctl(writing.fileno(), _FICLONE, reading.fileno())
            except OSError:  # ext4, tmpfs: no reflinks
                shutil.copyfileobj(reading, writing, 1 << 20)
            writing.flush()
            os.fsync(writing.fileno())
    except OSError as exc:
        if exc.filename is None:  # a failed write (a full disk) names no file: say which one
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise
    os.chmod(target, 0o444)


def same_inode(a: Path, b: Path) -> bool:
    """True when `a` and `b` are one file (a hard link left by an earlier version shares its damage)."""
    try:
        return a.samefile(b)
    except OSError:
        return False


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a crash right after cannot undo it)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

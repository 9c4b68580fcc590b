"""The paths people open — `fir-<region>-<year>.pdf`, its archival copy, `revisions/rN/` and
`manifest.json` — regenerated from the catalogue after each commit and by every recovery. They are
hard links to the edition's objects (no second copy of the bytes) and never the source of truth:
deleting or damaging one loses nothing, the next run or `fir repair` writes it again.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from flows.edition.publish import objects
from flows.edition.publish.manifest import Manifest, files_of

MANIFEST = "manifest.json"
REVISIONS = "revisions"
_LEFTOVERS = (".part", objects.TEMPORARY)  # names written aside by this code (and by earlier versions)


def regenerate(edition_dir: Path, history: Manifest, step: Callable[[str], None] = lambda name: None) -> list[Path]:
    """Write every view of `history` that is missing or differs, remove what no revision owns; the removed
    paths. `step` is told when each kind of view is written (a publication's fault-injection points)."""
    entries = history["revisions"]
    for entry in entries:
        for file in files_of(entry).values():
            _link(edition_dir, file["sha256"], edition_dir / file["file"])
    step("view-revision")
    if entries:
        for file in files_of(entries[-1]).values():
            _link(edition_dir, file["sha256"], edition_dir / Path(file["file"]).name)
    step("view-current")
    _replace_if_changed(edition_dir / MANIFEST, manifest_json(history))
    objects.sync_folder(edition_dir)
    return _remove_strays(edition_dir, history)


def manifest_json(history: Manifest) -> bytes:
    """`manifest.json`: the history without each revision's named figures and their bases (they stay in
    the catalogue: the next revision's erratum and published values are computed from them)."""
    entries = [dict(entry) for entry in history["revisions"]]
    for entry in entries:
        entry.pop("figures", None)
        entry.pop("basis", None)
    public = {**history, "revisions": entries}
    return json.dumps(public, ensure_ascii=False, indent=2).encode("utf-8")


def _link(edition_dir: Path, digest: str, view: Path) -> None:
    source = objects.object_path(edition_dir, digest)
    if view.is_file() and (os.path.samefile(view, source) or objects.file_sha256(view) == digest):
        return
    view.parent.mkdir(parents=True, exist_ok=True)
    _replace(view, lambda aside: objects.link_or_copy(source, aside))


def _replace_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    _replace(path, lambda aside: objects.write_durably(aside, data))


def _replace(path: Path, write: Callable[[Path], None]) -> None:
    """Write beside `path` with `write`, then rename over it: a reader sees the old file or the new one."""
    aside = path.with_name(f".{path.name}{objects.TEMPORARY}{os.getpid()}")
    try:
        write(aside)
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def _remove_strays(edition_dir: Path, history: Manifest) -> list[Path]:
    """Files written aside and revision folders the catalogue does not know (a run killed before its commit)."""
    expected = {Path(f["file"]) for e in history["revisions"] for f in files_of(e).values()}
    removed = [p for p in edition_dir.glob(".*") if p.is_file() and any(m in p.name for m in _LEFTOVERS)]
    revisions = edition_dir / REVISIONS
    if revisions.is_dir():
        folders = {f"r{e['revision']}" for e in history["revisions"]}
        for path in sorted(revisions.iterdir()):
            if path.name not in folders:
                removed.append(path)
                continue
            for inner in sorted(path.iterdir()) if path.is_dir() else ():
                if inner.relative_to(edition_dir) not in expected:
                    removed.append(inner)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return removed

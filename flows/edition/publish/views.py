"""The paths people open — `fir-<region>-<year>.pdf`, its archival copy, `revisions/rN/` and
`manifest.json` for published revisions, `projets/rN/` for the drafts awaiting sign-off — regenerated
from the catalogue after each commit and by every recovery. They are
copies of the edition's objects (objects.copy_file: reflinks where the file system has them), never hard
links, and never the source of truth: deleting or damaging one loses nothing and damages nothing else, the
next run or `fir repair` writes it again; a damaged object is restored from a view holding its bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from flows.edition.publish import objects
from flows.edition.publish.manifest import EXTRA_ROLES, FileEntry, Manifest, RevisionEntry, name_in_revision

MANIFEST = "manifest.json"
REVISIONS = "revisions"
DRAFTS = "projets"
# Who did what stays in the catalogue (and the audit log): manifest.json is for the public.
# The print shop's file is for staff and the printer: it has its views, but manifest.json does not list it.
_INTERNAL = ("figures", "basis", "status", "launched_by", "based_on", "decided_by", "comment", "draft", "print")
_LEFTOVERS = (".part", objects.TEMPORARY)  # names written aside by this code (and by earlier versions)


def regenerate(
    edition_dir: Path,
    history: Manifest,
    step: Callable[[str], None] = lambda name: None,
    drafts: list[RevisionEntry] | None = None,
) -> list[Path]:
    """Write every view of `history` (the published revisions) and of the pending `drafts` that is missing
    or differs, remove what no revision owns; the removed paths. `step` is told when each kind of view is
    written (a publication's fault-injection points)."""
    entries = history["revisions"]
    for entry in entries:
        for file in published_files(entry).values():
            _copy(edition_dir, file["sha256"], edition_dir / file["file"])
    for draft in drafts or ():
        if "draft" in draft:
            _copy(edition_dir, draft["draft"]["sha256"], edition_dir / draft["draft"]["file"])
    step("view-revision")
    if entries:
        for file in published_files(entries[-1]).values():
            _copy(edition_dir, file["sha256"], edition_dir / name_in_revision(file))
    step("view-current")
    _replace_if_changed(edition_dir / MANIFEST, manifest_json(history))
    objects.sync_folder(edition_dir)
    return _remove_strays(edition_dir, history, drafts or [])


def published_files(entry: RevisionEntry) -> dict[str, FileEntry]:
    """The files a publication puts in outputs/: the brochure, its archival copy and the other forms it was
    built with (print, web, data)."""
    files = {"pdf": entry["pdf"], "archive": entry["archive"]}
    for role in EXTRA_ROLES:
        if role in entry:
            files[role] = entry[role]  # type: ignore[literal-required]
    return files


def manifest_json(history: Manifest) -> bytes:
    """`manifest.json`: the published history without each revision's named figures and their bases (they
    stay in the catalogue: the next revision's erratum and published values are computed from them) nor
    who launched and signed it off."""
    entries = [dict(entry) for entry in history["revisions"]]
    for entry in entries:
        for key in _INTERNAL:
            entry.pop(key, None)
    public = {**history, "revisions": entries}
    return json.dumps(public, ensure_ascii=False, indent=2).encode("utf-8")


def _copy(edition_dir: Path, digest: str, view: Path) -> None:
    """Write `view` as a copy of object `digest` unless it holds its bytes already in a file of its own (a
    hard link an earlier version made is replaced by a copy); a damaged object is never copied."""
    source = objects.object_path(edition_dir, digest)
    if view.is_file() and not objects.same_inode(view, source) and objects.file_sha256(view) == digest:
        return
    view.parent.mkdir(parents=True, exist_ok=True)

    def write(aside: Path) -> None:
        objects.copy_file(source, aside)
        if objects.file_sha256(aside) != digest:  # a damaged object never replaces a view: `fir repair` says it
            raise _Damaged

    with contextlib.suppress(_Damaged):
        _replace(view, write)


class _Damaged(Exception):
    """The object a view would be copied from does not hold its bytes."""


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


def _remove_strays(edition_dir: Path, history: Manifest, drafts: list[RevisionEntry]) -> list[Path]:
    """Files written aside, revision folders the catalogue does not know (a run killed before its commit)
    and folders of drafts no longer pending (published or rejected since)."""
    expected = {Path(f["file"]) for e in history["revisions"] for f in published_files(e).values()}
    expected |= {Path(d["draft"]["file"]) for d in drafts if "draft" in d}
    removed = [p for p in edition_dir.glob(".*") if p.is_file() and any(m in p.name for m in _LEFTOVERS)]
    for kind, entries in ((REVISIONS, history["revisions"]), (DRAFTS, drafts)):
        folder = edition_dir / kind
        if not folder.is_dir():
            continue
        folders = {f"r{e['revision']}" for e in entries}
        for path in sorted(folder.iterdir()):
            if path.name not in folders:
                removed.append(path)
                continue
            for inner in sorted(path.rglob("*")) if path.is_dir() else ():
                if inner.is_file() and inner.relative_to(edition_dir) not in expected:
                    removed.append(inner)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for kind in (REVISIONS, DRAFTS):  # folders inside a revision's (web/) emptied above
        for folder in sorted((edition_dir / kind).glob("r*/*/"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    if not drafts and (edition_dir / DRAFTS).is_dir() and not any((edition_dir / DRAFTS).iterdir()):
        (edition_dir / DRAFTS).rmdir()
    return removed

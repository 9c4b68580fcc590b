"""Recovery: reconcile an edition's files with the catalogue (store.py), under the edition's lock. The
catalogue is brought forward from the records (revisions and decisions it lacks), an outputs/ tree of an earlier
version is imported, the records the files lack are written, what nothing references goes into quarantine
(never deleted), committed files are checked and restored from a copy holding their bytes, views are rewritten."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from flows.edition.publish import builds, input_versions, legacy, objects, quarantine, records, views
from flows.edition.publish.errors import StoreDamaged
from flows.edition.publish.manifest import FileEntry, files_of, name_in_revision
from flows.edition.publish.revision_rows import (
    DECISION,
    DRAFT,
    PUBLISHED,
    catalogue_bodies,
    ensure_edition,
    files_of_body,
    insert_revision,
    insert_row,
    record_of,
    same_state,
    supersede_stale,
    without_id,
)
from flows.edition.publish.tables import revisions
from flows.paths import edition_dir

if TYPE_CHECKING:
    from flows.edition.publish.store import Catalogue


@dataclass
class Recovery:
    """What a recovery did to one edition."""

    imported: list[int] = field(default_factory=list)  # revisions taken from an outputs/ tree into the catalogue
    removed: list[Path] = field(default_factory=list)  # temporary files of interrupted writes, stray views
    restored: list[Path] = field(default_factory=list)  # objects recovered from a view or the quarantine
    interrupted: list[int] = field(default_factory=list)  # pending drafts recorded by a build killed before its end
    from_records: list[int] = field(default_factory=list)  # revisions the catalogue lacked, taken from records
    decisions: list[int] = field(default_factory=list)  # approvals and rejections the catalogue lacked
    records_written: list[Path] = field(default_factory=list)  # states the catalogue held and no record did
    quarantined: list[Path] = field(default_factory=list)  # where what nothing references was moved
    problems: list[str] = field(default_factory=list)  # what could not be reconciled, in French
    # one quarantine folder for everything one recovery moves aside
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def catch_up(catalogue: Catalogue, region: str, year: int) -> Recovery:
    """Bring the catalogue forward from the records alone (the revisions and decisions it lacks), under
    the edition's lock: what a decision does first, so that it never decides on an older catalogue."""
    recovery = Recovery()
    restore_from_records(catalogue, edition_dir(catalogue.outputs, region, year), region, year, recovery)
    return recovery


def recover(catalogue: Catalogue, region: str, year: int, verify: bool = False) -> Recovery:
    """Reconcile the edition's files with the catalogue: bring the catalogue forward from the records
    (revisions and decisions it lacks), import what an outputs/ tree holds beyond it, write the records it
    holds and the files lack, put in quarantine what nothing references, check committed files (their
    SHA-256 with `verify`), regenerate the views."""
    folder = edition_dir(catalogue.outputs, region, year)
    recovery = Recovery()
    restore_from_records(catalogue, folder, region, year, recovery)
    history = catalogue.history(region, year, statuses=None)
    region_name, found = legacy.revisions_to_import(folder, history)
    if found:
        for entry in found:
            for file in files_of(entry).values():
                objects.adopt(folder, folder / file["file"], file["sha256"])
        with catalogue.engine.begin() as conn:
            edition_id = ensure_edition(conn, region, year, region_name or (history["region_name"] if history else ""))
            for entry in found:
                record = record_of(entry)
                files = {r: (name_in_revision(f), f["sha256"], f["size"]) for r, f in files_of(entry).items()}
                insert_revision(conn, edition_id, entry["revision"], record, files, (), {})
        recovery.imported = [e["revision"] for e in found]
        history = catalogue.history(region, year, statuses=None)
    if history is not None and any(e.get("status") == DRAFT for e in history["revisions"]):
        with catalogue.engine.begin() as conn:  # drafts left stale by a publication made before « remplacé » existed
            if supersede_stale(conn, ensure_edition(conn, region, year, ""), _now()):
                history = catalogue.history(region, year, statuses=None)
    complete_records(catalogue, folder, region, year, recovery)
    referenced = {f["sha256"]: f for e in (history or {"revisions": []})["revisions"] for f in files_of(e).values()}
    # The current publication's files are read whole (a few MB): a same-size corruption is seen by the next run.
    published = [e for e in (history or {"revisions": []})["revisions"] if e.get("status") == PUBLISHED]
    current = {f["sha256"] for f in views.published_files(published[-1]).values()} if published else set()
    described, _ = records.read(folder)  # a record's files are kept even when its revision could not be restored
    needed = set(referenced) | {d for found_ in described.values() for r in found_ for d in r.files().values()}
    _set_aside_unneeded(catalogue, folder, region, year, needed, recovery)
    for digest, file in referenced.items():
        if check_object(catalogue, folder, digest, file, verify or digest in current):
            recovery.restored.append(objects.object_path(folder, digest))
    recovery.removed += catalogue.rewrite_views(region, year)
    pending = {e["revision"] for e in (history or {"revisions": []})["revisions"] if e.get("status") == DRAFT}
    recovery.interrupted = builds.interrupted(folder, pending, clear=True)
    return recovery


def _set_aside_unneeded(
    catalogue: Catalogue, folder: Path, region: str, year: int, needed: set[str], recovery: Recovery
) -> None:
    """Remove temporary files of interrupted writes and put in quarantine the objects nothing references —
    under the inputs' lock, so that the objects of an input version being saved meanwhile are not taken for
    garbage before their record is written."""
    with input_versions.inputs_lock(catalogue.engine, catalogue.outputs, region, year, input_versions.LOCK_TIMEOUT_S):
        needed = needed | input_versions.referenced(folder)  # the versions of the inputs (fir rebuild reads them)
        for path in [*objects.stored(folder), *records.leftovers(folder)]:
            if path.name.startswith(objects.TEMPORARY):  # a write that never reached its rename: garbage
                path.unlink(missing_ok=True)
                recovery.removed.append(path)
            elif path.name not in needed:
                recovery.quarantined.append(quarantine.move_aside(catalogue.outputs, folder, path, recovery.started))


def restore_from_records(catalogue: Catalogue, folder: Path, region: str, year: int, recovery: Recovery) -> None:
    """Bring the catalogue forward from the records: the decisions of its drafts it lacks (the newest wins;
    a status only moves forward) and the revisions after its latest, with their files and decisions."""
    found, damaged = records.read(folder)
    recovery.problems += [f"{path} : enregistrement endommagé (contenu altéré), ignoré" for path in damaged]
    if not found:
        return
    with catalogue.engine.connect() as conn:  # read first: most recoveries have nothing to take back
        held = catalogue_bodies(conn, region, year)
    decisions: list[tuple[int, int, records.Record]] = []  # number, row id, the newest decision
    for number, body in sorted(held.items()):
        same = [r for r in found.get(number, []) if r.files() == files_of_body(body)]
        if found.get(number) and not same:
            recovery.problems.append(_conflict(number))
            continue
        decided = [r for r in same if r.decided()]
        if body["status"] == DRAFT and decided:
            newest = max(decided, key=lambda r: (r.body.get("decided_at") or "", r.path.name))
            decisions.append((number, body["id"], newest))
    missing: list[records.Record] = []  # the newest state of each revision after the catalogue's latest
    number = max(held, default=0) + 1
    while number in found:
        states = found[number]
        if len({tuple(sorted(r.files().items())) for r in states}) != 1:
            recovery.problems.append(_conflict(number))
            break
        missing.append(max(states, key=lambda r: (r.decided(), r.body.get("decided_at") or "", r.path.name)))
        number += 1
    later = sorted(n for n in found if n > number)
    if later:
        recovery.problems.append(
            f"révisions {', '.join(map(str, later))} : aucun enregistrement de la révision {number}, "
            "elles ne sont pas reprises dans le catalogue (leurs fichiers sont gardés)"
        )
    if not decisions and not missing:
        return
    with catalogue.engine.begin() as conn:
        for number, row_id, newest in decisions:
            conn.execute(
                sa.update(revisions)
                .where(revisions.c.id == row_id, revisions.c.status == DRAFT)  # a status only moves forward
                .values({key: newest.body.get(key) for key in DECISION})
            )
            recovery.decisions.append(number)
        for chosen in missing:
            body = chosen.body
            edition_id = ensure_edition(conn, region, year, body.get("region_name", ""))
            files = {role: (f["name"], f["sha256"], f["size"]) for role, f in body["files"].items()}
            values = {column.name: body.get(column.name) for column in revisions.columns}
            values |= {"edition_id": edition_id, "number": chosen.number}
            del values["id"]
            insert_row(conn, values, files, body.get("results", []))
            recovery.from_records.append(chosen.number)


def complete_records(catalogue: Catalogue, folder: Path, region: str, year: int, recovery: Recovery) -> None:
    """Write every state the catalogue holds and no record does (a run killed between a commit and its
    record, a store older than records); move up the prepared records of committed revisions, put the
    others in quarantine (nothing proves their commit: their files go with them)."""
    with catalogue.engine.connect() as conn:
        held = catalogue_bodies(conn, region, year)
    for prepared in records.prepared(folder):
        path = prepared.path if isinstance(prepared, records.Record) else prepared  # a Path: damaged
        if (
            isinstance(prepared, records.Record)
            and prepared.number in held
            and prepared.files() == files_of_body(held[prepared.number])
        ):  # its revision is committed: moved up beside the others
            records.seal(prepared.path)
            continue
        recovery.quarantined.append(quarantine.move_aside(catalogue.outputs, folder, path, recovery.started))
    found, _ = records.read(folder)
    for number, body in sorted(held.items()):
        if not any(same_state(r.body, body) for r in found.get(number, [])):
            written = records.write(folder, without_id(body))
            if written is not None:
                recovery.records_written.append(written)


def check_object(catalogue: Catalogue, folder: Path, digest: str, entry: FileEntry, verify: bool) -> bool:
    """True when the object had to be restored from a view holding its bytes."""
    path = objects.object_path(folder, digest)
    intact = path.is_file() and path.stat().st_size == entry["size"]
    if intact and (not verify or objects.file_sha256(path) == digest):
        return False
    for view in (folder / entry["file"], folder / name_in_revision(entry)):
        if view.is_file() and not objects.same_inode(view, path) and objects.file_sha256(view) == digest:
            path.unlink(missing_ok=True)
            objects.adopt(folder, view, digest)
            return True
    aside = quarantine.find_object(catalogue.outputs, folder, digest)
    if aside is not None:
        path.unlink(missing_ok=True)
        objects.adopt(folder, aside, digest)
        return True
    raise StoreDamaged(path, f"fichier de la révision ({entry['file']}, SHA-256 {digest}) absent ou altéré")


def _conflict(number: int) -> str:
    return (
        f"révision {number} : les enregistrements et le catalogue décrivent des constructions différentes ; "
        "le catalogue est gardé tel quel, les fichiers des deux sont gardés"
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

"""The publication store: a catalogue in a database (what was published, when, why, which bytes) and
the edition's content-addressed files under outputs/. One database transaction is the only commit point.

    outputs/
      catalogue.sqlite3                  the catalogue (unless FIR_DATABASE_URL names a PostgreSQL)
      <region>/<year>/
        .objects/<sha256>                every PDF of every revision, written before its commit
        .records/r<N>.<status>.….json    each state of each revision (records.py): the catalogue's rows
                                           again, so that the files alone can rebuild the catalogue
        fir-<region>-<year>.pdf          views, regenerated from the catalogue (views.py):
        fir-<region>-<year>-archive.pdf    the current brochure and its archival copy,
        revisions/r<N>/…                   every published revision's two files,
        projets/r<N>/…                     the marked copy of each draft awaiting sign-off,
        manifest.json                      the published history, minus the named figures

Every build records a *draft* revision: its three files (the brochure, its archival copy and the copy
marked "PROJET — ne pas diffuser") become objects (each durable on its own), then one transaction records
the revision, then the views are regenerated. Approving a draft is one more transaction (its status
becomes published: the bytes published are those recorded, and reviewed, at build time). Each of these
transactions also holds what its caller writes with it (`then`): the audit line, the notifications owed
(flows/notices/outbox.py), so that neither exists without the other. Trouble after the commit is
ViewsNotUpdated: what is committed stays, said as such.

A crash before the commit leaves objects nobody references; after it, stale views. Both are repaired by
`recover`, which every run does first, under the edition's lock (and `fir repair`): the store is always the
state before a publication or after it. A catalogue older than the files (a restored backup, a lost
write-ahead log) is brought forward from the records: revisions, decisions and files; what nothing proves
needed is put in quarantine (quarantine.py), never deleted by a recovery.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.publish import builds, database, failpoints, legacy, objects, quarantine, records, views
from flows.edition.publish.errors import Holder, LockTimeout, StoreDamaged, ViewsNotUpdated
from flows.edition.publish.locks import edition_lock
from flows.edition.publish.manifest import (
    EXTRA_ROLES,
    FileEntry,
    Manifest,
    RecordEntry,
    RevisionEntry,
    files_of,
    name_in_revision,
)
from flows.edition.publish.tables import editions, revision_files, revision_results, revisions
from flows.paths import file_name

REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCK_TIMEOUT_S = 3600  # a build takes seconds; an hour means another run is stuck
ROLES = ("pdf", "archive", *EXTRA_ROLES, "draft")
DRAFT, PUBLISHED, REJECTED = "draft", "published", "rejected"
# A draft that a later publication made stale (its erratum compares with a publication that is no longer the
# current one): never approvable, its marked copy removed from projets/.
SUPERSEDED = "superseded"
STATUS_NAMES = {
    DRAFT: "projet en attente d'approbation",
    PUBLISHED: "publiée",
    REJECTED: "rejetée",
    SUPERSEDED: "remplacé",
}
__all__ = [
    "Catalogue",
    "InTransaction",
    "LockTimeout",
    "Recovery",
    "SignOffRefused",
    "StoreDamaged",
    "ViewsNotUpdated",
    "open_catalogue",
]
# What a caller writes in the transaction of a draft or a decision (its audit line, its outbox), given the
# connection and the revision as that transaction makes it.
InTransaction = Callable[[Connection, RevisionEntry], None]


class RevisionConflict(Exception):
    """The revision number is not the next one: the edition's lock was not held (a bug, not an operator's)."""


class SignOffRefused(Exception):
    """An approval or a rejection the rules forbid (flows/policy.py), said in French."""


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


def edition_dir(outputs: Path, region: str, year: int) -> Path:
    return outputs / region / str(year)


class Catalogue:
    """The store of one outputs/ folder: its database and its files."""

    def __init__(self, outputs: Path, engine: Engine):
        self.outputs, self.engine = outputs, engine
        self.where = database.safe_url(str(engine.url))

    # -- reading ---------------------------------------------------------------------------------------

    def history(
        self,
        region: str,
        year: int,
        connection: Connection | None = None,
        statuses: Sequence[str] | None = (PUBLISHED,),
    ) -> Manifest | None:
        """The edition's committed revisions with one of `statuses` (default: the published ones; None: all),
        oldest first (the shape of manifest.json, figures included); None for an edition never built."""
        with self._connection(connection) as conn:
            edition = conn.execute(
                sa.select(editions).where(editions.c.region == region, editions.c.year == year)
            ).first()
            if edition is None:
                return None
            query = sa.select(revisions).where(revisions.c.edition_id == edition.id)
            if statuses is not None:
                query = query.where(revisions.c.status.in_(statuses))
            rows = conn.execute(query.order_by(revisions.c.number)).all()
            files: dict[int, dict[str, FileEntry]] = {}
            for f in conn.execute(
                sa.select(revision_files).where(revision_files.c.revision_id.in_([r.id for r in rows]))
            ):
                number = next(r.number for r in rows if r.id == f.revision_id)
                folder = views.DRAFTS if f.role == "draft" else views.REVISIONS
                files.setdefault(f.revision_id, {})[f.role] = FileEntry(
                    file=f"{folder}/r{number}/{f.name}", sha256=f.sha256, size=f.size
                )
        entries = [
            _with_sign_off(
                r,
                files[r.id],
                RevisionEntry(
                    published_at=r.published_at,
                    reason=r.reason,
                    trigger=r.trigger,
                    code_version=r.code_version,
                    inputs_digest=r.inputs_digest,
                    inputs=r.record["inputs"],
                    pages=r.pages,
                    warnings=r.record["warnings"],
                    erratum=r.record["erratum"],
                    figures=r.record["figures"],
                    basis=r.record.get("basis", {}),
                    revision=r.number,
                    pdf=files[r.id]["pdf"],
                    archive=files[r.id]["archive"],
                    **{role: files[r.id][role] for role in EXTRA_ROLES if role in files[r.id]},  # type: ignore[typeddict-item]
                ),
            )
            for r in rows
        ]
        return Manifest(region=region, region_name=edition.region_name, year=year, revisions=entries)

    def revision(self, region: str, year: int, number: int) -> RevisionEntry | None:
        """One revision of the edition, whatever its status."""
        found = self.history(region, year, statuses=None)
        return next((e for e in found["revisions"] if e["revision"] == number), None) if found else None

    def drafts(self, statuses: Sequence[str] = (DRAFT,)) -> list[tuple[str, int, str, RevisionEntry]]:
        """Every draft awaiting sign-off (or with another of `statuses`, e.g. SUPERSEDED): region, year, the
        region's name and the revision, oldest first."""
        with self.engine.connect() as conn:
            pending = conn.execute(
                sa.select(editions.c.region, editions.c.year)
                .join(revisions, revisions.c.edition_id == editions.c.id)
                .where(revisions.c.status.in_(statuses))
                .distinct()
            ).all()
            found = []
            for region, year in sorted(pending):
                history = self.history(region, year, conn, statuses=statuses)
                assert history is not None
                found += [(region, year, history["region_name"], e) for e in history["revisions"]]
        return found

    def editions(self) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            return [(r.region, r.year) for r in conn.execute(sa.select(editions).order_by("region", "year"))]

    def results_needed(self) -> set[str]:
        """Prefect result files the latest revision of each edition was built from (kept by `fir gc`)."""
        latest = (
            sa.select(revisions.c.edition_id, sa.func.max(revisions.c.number).label("number"))
            .group_by(revisions.c.edition_id)
            .subquery()
        )
        query = (
            sa.select(revision_results.c.storage_key)
            .join(revisions, revisions.c.id == revision_results.c.revision_id)
            .join(latest, (latest.c.edition_id == revisions.c.edition_id) & (latest.c.number == revisions.c.number))
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    def database_size(self) -> int | None:
        """Bytes of the SQLite catalogue (with its write-ahead log); None for a database server."""
        if self.engine.dialect.name != "sqlite" or not self.engine.url.database:
            return None
        base = Path(self.engine.url.database)
        return sum(p.stat().st_size for p in (base, base.with_name(base.name + "-wal")) if p.is_file())

    def interrupted_drafts(self, region: str, year: int) -> list[int]:
        """Pending drafts of the edition whose build was killed after recording them (builds.py)."""
        pending = self.history(region, year, statuses=(DRAFT,))
        numbers = {e["revision"] for e in pending["revisions"]} if pending else set()
        return builds.interrupted(edition_dir(self.outputs, region, year), numbers)

    def object_file(self, region: str, year: int, digest: str) -> Path:
        return objects.object_path(edition_dir(self.outputs, region, year), digest)

    # -- writing (under the edition's lock) ------------------------------------------------------------------

    @contextmanager
    def lock(
        self,
        region: str,
        year: int,
        timeout: float = LOCK_TIMEOUT_S,
        on_wait: Callable[[str, Holder | None], None] | None = None,
    ) -> Iterator[None]:
        """Hold the edition for one run: a second run waits, saying who holds it (`on_wait`)."""
        folder = edition_dir(self.outputs, region, year)
        with edition_lock(self.engine, folder, region, year, timeout, on_wait):
            yield

    def publish(
        self,
        region: str,
        year: int,
        region_name: str,
        number: int,
        published: bytes,
        archival: bytes,
        record: RecordEntry,
        results: Sequence[str] = (),
    ) -> Manifest:
        """Record revision `number` (the next one) as published at once, with its two files; return the
        published history. Builds make drafts (`record_draft`); this is for imports and the store's tests."""
        self.record(region, year, region_name, number, {"pdf": published, "archive": archival}, record, results)
        history = self.history(region, year)
        assert history is not None
        return history

    def record_draft(
        self,
        region: str,
        year: int,
        region_name: str,
        number: int,
        files: Mapping[str, bytes],
        record: RecordEntry,
        results: Sequence[str] = (),
        launched_by: str = "",
        then: InTransaction | None = None,
    ) -> RevisionEntry:
        """Record revision `number` as a draft: `files` by role (ROLES) are the brochure approval will publish
        ("pdf"), its archival copy, the copy marked for review ("draft") and the other forms, all built by
        one run. The erratum was computed against the current publication, which is recorded (`based_on`)
        so that approval can check it still is. `then` runs in the same transaction, with the recorded
        draft (its audit line, its notifications). ViewsNotUpdated, with the draft, when it is recorded but
        the views could not all be rewritten."""
        missing = {"pdf", "archive", "draft"} - set(files)
        unknown = set(files) - set(ROLES)
        if missing or unknown:
            raise ValueError(f"fichiers d'un projet : manquants {sorted(missing)}, inconnus {sorted(unknown)}")
        current = latest_number(self.history(region, year))
        try:
            self.record(region, year, region_name, number, files, record, results, DRAFT, launched_by, current, then)
        except ViewsNotUpdated as exc:
            exc.entry = _read_quietly(lambda: self.revision(region, year, number))
            raise
        entry = self.revision(region, year, number)
        assert entry is not None
        return entry

    def record(
        self,
        region: str,
        year: int,
        region_name: str,
        number: int,
        files: Mapping[str, bytes],
        record: RecordEntry,
        results: Sequence[str] = (),
        status: str = PUBLISHED,
        launched_by: str = "",
        based_on: int | None = None,
        then: InTransaction | None = None,
    ) -> None:
        """Store the files as objects, then record the revision in one transaction (with what `then` writes
        in it), then rewrite the views: ViewsNotUpdated when they could not all be (the revision is recorded;
        `fir repair` rewrites them)."""
        folder = edition_dir(self.outputs, region, year)
        names = {role: file_name(role, region, year) for role in files}
        digests: dict[str, str] = {}
        created: set[str] = set()  # objects this call wrote: removed again if its commit fails
        try:
            for role, data in files.items():
                existed = objects.object_path(folder, objects.sha256(data)).is_file()
                digests[role] = objects.put(folder, data)
                if not existed:
                    created.add(digests[role])
                failpoints.reach("object-written" if len(digests) == 1 else "objects-written")
            stored = {role: (names[role], digests[role], len(data)) for role, data in files.items()}
            # Published at once (imports, the store's tests): the columns' defaults, as before drafts existed.
            sign_off = (
                {"status": status, "launched_by": launched_by, "based_on": based_on} if status != PUBLISHED else {}
            )
            values = _revision_values(number, record, sign_off)
            body = records.body(region, year, region_name, values, stored, list(results))
            prepared = records.prepare(folder, body)
            with self.engine.begin() as conn:  # the commit point
                edition_id = _edition_id(conn, region, year, region_name)
                _insert_revision(conn, edition_id, number, record, stored, results, sign_off)
                if then is not None:
                    then(conn, self._entry(conn, region, year, number))
                failpoints.reach("in-transaction")
        except Exception as exc:
            # Its prepared record, if written, is left to the next recovery (quarantine): only objects are proven.
            removed = self._remove_unrecorded(folder, region, year, created)
            with contextlib.suppress(AttributeError):  # said by the command line (flows/operations.py)
                exc.removed_objects = removed  # type: ignore[attr-defined]
            raise
        failpoints.reach("committed")
        done = (
            f"projet de révision {number} de {region} {year} enregistré"
            if status == DRAFT
            else f"révision {number} de {region} {year} publiée"
        )
        try:
            records.seal(prepared)
        except OSError as exc:  # committed: the next recovery moves the record up (_complete_records)
            raise ViewsNotUpdated(done, exc) from exc
        self._rewrite_after_commit(region, year, done, failpoints.reach)

    def _remove_unrecorded(self, folder: Path, region: str, year: int, digests: set[str]) -> list[Path]:
        """Remove the objects of `digests` no revision of the edition records (a failed commit's, on a full
        disk above all); those removed. Kept when the catalogue cannot say (nothing is removed unproven)."""
        if not digests:
            return []
        query = (
            sa.select(revision_files.c.sha256)
            .join(revisions, revisions.c.id == revision_files.c.revision_id)
            .join(editions, editions.c.id == revisions.c.edition_id)
            .where(editions.c.region == region, editions.c.year == year, revision_files.c.sha256.in_(digests))
        )
        try:
            with self.engine.connect() as conn:
                recorded = set(conn.scalars(query))
        except Exception:
            return []
        removed = []
        for digest in sorted(digests - recorded):
            path = objects.object_path(folder, digest)
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
        return removed

    def decide(
        self,
        region: str,
        year: int,
        number: int,
        approve: bool,
        actor: str,
        comment: str,
        at: str,
        then: InTransaction | None = None,
    ) -> RevisionEntry:
        """Approve (publish) or reject draft `number`, by `actor`, under the edition's lock held by the caller,
        who asked the rules first (flows/policy.py, through flows/portal/signoff.py) under that same lock: a
        pending draft, the four-eyes rule, a rejection's reason, a publication still current. One transaction
        changes its status and holds what `then` writes with the decided revision (its audit line, the
        notifications owed); the views are rewritten after the commit, and ViewsNotUpdated (with the decided
        revision) says so when they could not all be: the decision stands, `fir repair` ends it.
        RevisionConflict if the draft was decided meanwhile (the lock was not held)."""
        self.catch_up(region, year)  # a catalogue put back older: decide on what the records say
        superseded = 0
        with self.engine.begin() as conn:
            edition_id = _edition_id(conn, region, year, "")
            done = conn.execute(
                sa.update(revisions)
                .where(
                    revisions.c.edition_id == edition_id,
                    revisions.c.number == number,
                    revisions.c.status == DRAFT,
                )
                .values(
                    status=PUBLISHED if approve else REJECTED,
                    decided_by=actor,
                    decided_at=at,
                    decision_comment=comment.strip() or None,
                )
            )
            if done.rowcount != 1:
                raise RevisionConflict(f"révision {number} décidée par une autre session")
            if approve:  # the other pending drafts corrected the publication this one replaces
                superseded = _supersede_stale(conn, edition_id, at)
            decided = self._entry(conn, region, year, number)
            if then is not None:
                then(conn, decided)
        what = f"révision {number} de {region} {year} {'publiée' if approve else 'rejetée'}"
        try:
            self.record_state(region, year, number)
            if superseded:  # their new state too, as records
                for replaced in (self.history(region, year, statuses=(SUPERSEDED,)) or {"revisions": []})["revisions"]:
                    self.record_state(region, year, replaced["revision"])
            self._rewrite_after_commit(region, year, what)
        except ViewsNotUpdated as exc:
            exc.entry = decided
            raise
        except OSError as exc:  # a record not written: the next recovery writes it from the catalogue
            raise ViewsNotUpdated(what, exc, decided) from exc
        return decided

    def _entry(self, conn: Connection, region: str, year: int, number: int) -> RevisionEntry:
        """Revision `number` as the transaction of `conn` sees it."""
        found = self.history(region, year, conn, statuses=None)
        entry = next((e for e in found["revisions"] if e["revision"] == number), None) if found else None
        assert entry is not None
        return entry

    def _rewrite_after_commit(
        self, region: str, year: int, done: str, step: Callable[[str], None] = lambda name: None
    ) -> None:
        """Rewrite the views once `done` is committed; whatever stops it is ViewsNotUpdated, never « nothing
        changed » (a file made immutable, a full disk, the database gone after the commit)."""
        try:
            self.rewrite_views(region, year, step)
        except Exception as exc:
            raise ViewsNotUpdated(done, exc) from exc

    def rewrite_views(self, region: str, year: int, step: Callable[[str], None] = lambda name: None) -> list[Path]:
        """Regenerate the edition's views from the catalogue: the published revisions and pending drafts."""
        history = self.history(region, year)
        if history is None:
            return []
        pending = self.history(region, year, statuses=(DRAFT,))
        drafts = pending["revisions"] if pending else []
        return views.regenerate(edition_dir(self.outputs, region, year), history, step, drafts)

    def record_state(self, region: str, year: int, number: int) -> Path | None:
        """Write revision `number`'s state as the catalogue holds it now as a new record object (right after
        the commit of a decision); None when a record of that state exists already."""
        with self.engine.connect() as conn:
            body = _catalogue_bodies(conn, region, year, number).get(number)
        if body is None:
            return None
        return records.write(edition_dir(self.outputs, region, year), _without_id(body))

    def catch_up(self, region: str, year: int) -> Recovery:
        """Bring the catalogue forward from the records alone (the revisions and decisions it lacks), under
        the edition's lock: what a decision does first, so that it never decides on an older catalogue."""
        recovery = Recovery()
        self._restore_from_records(edition_dir(self.outputs, region, year), region, year, recovery)
        return recovery

    def recover(self, region: str, year: int, verify: bool = False) -> Recovery:
        """Reconcile the edition's files with the catalogue: bring the catalogue forward from the records
        (revisions and decisions it lacks), import what an outputs/ tree holds beyond it, write the records it
        holds and the files lack, put in quarantine what nothing references, check committed files (their
        SHA-256 with `verify`), regenerate the views."""
        folder = edition_dir(self.outputs, region, year)
        recovery = Recovery()
        self._restore_from_records(folder, region, year, recovery)
        history = self.history(region, year, statuses=None)
        region_name, found = legacy.revisions_to_import(folder, history)
        if found:
            for entry in found:
                for file in files_of(entry).values():
                    objects.adopt(folder, folder / file["file"], file["sha256"])
            with self.engine.begin() as conn:
                edition_id = _edition_id(conn, region, year, region_name or (history["region_name"] if history else ""))
                for entry in found:
                    record = _record_of(entry)
                    files = {r: (name_in_revision(f), f["sha256"], f["size"]) for r, f in files_of(entry).items()}
                    _insert_revision(conn, edition_id, entry["revision"], record, files, (), {})
            recovery.imported = [e["revision"] for e in found]
            history = self.history(region, year, statuses=None)
        if history is not None and any(e.get("status") == DRAFT for e in history["revisions"]):
            with self.engine.begin() as conn:  # drafts left stale by a publication made before « remplacé » existed
                if _supersede_stale(conn, _edition_id(conn, region, year, ""), _now()):
                    history = self.history(region, year, statuses=None)
        self._complete_records(folder, region, year, recovery)
        referenced = {f["sha256"]: f for e in (history or {"revisions": []})["revisions"] for f in files_of(e).values()}
        # The current publication's files are read whole (a few MB): a same-size corruption is seen by the next run.
        published = [e for e in (history or {"revisions": []})["revisions"] if e.get("status") == PUBLISHED]
        current = {f["sha256"] for f in views.published_files(published[-1]).values()} if published else set()
        described, _ = records.read(folder)  # a record's files are kept even when its revision could not be restored
        needed = set(referenced) | {d for found_ in described.values() for r in found_ for d in r.files().values()}
        for path in [*objects.stored(folder), *records.leftovers(folder)]:
            if path.name.startswith(objects.TEMPORARY):  # a write that never reached its rename: garbage
                path.unlink(missing_ok=True)
                recovery.removed.append(path)
            elif path.name not in needed:
                recovery.quarantined.append(quarantine.move_aside(self.outputs, folder, path, recovery.started))
        for digest, file in referenced.items():
            if self._check_object(folder, digest, file, verify or digest in current):
                recovery.restored.append(objects.object_path(folder, digest))
        recovery.removed += self.rewrite_views(region, year)
        pending = {e["revision"] for e in (history or {"revisions": []})["revisions"] if e.get("status") == DRAFT}
        recovery.interrupted = builds.interrupted(folder, pending, clear=True)
        return recovery

    def _restore_from_records(self, folder: Path, region: str, year: int, recovery: Recovery) -> None:
        """Bring the catalogue forward from the records: the decisions of its drafts it lacks (the newest wins;
        a status only moves forward) and the revisions after its latest, with their files and decisions."""
        found, damaged = records.read(folder)
        recovery.problems += [f"{path} : enregistrement endommagé (contenu altéré), ignoré" for path in damaged]
        if not found:
            return
        with self.engine.connect() as conn:  # read first: most recoveries have nothing to take back
            held = _catalogue_bodies(conn, region, year)
        decisions: list[tuple[int, int, records.Record]] = []  # number, row id, the newest decision
        for number, body in sorted(held.items()):
            same = [r for r in found.get(number, []) if r.files() == _files_of_body(body)]
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
        with self.engine.begin() as conn:
            for number, row_id, newest in decisions:
                conn.execute(
                    sa.update(revisions)
                    .where(revisions.c.id == row_id, revisions.c.status == DRAFT)  # a status only moves forward
                    .values({key: newest.body.get(key) for key in _DECISION})
                )
                recovery.decisions.append(number)
            for chosen in missing:
                body = chosen.body
                edition_id = _edition_id(conn, region, year, body.get("region_name", ""))
                files = {role: (f["name"], f["sha256"], f["size"]) for role, f in body["files"].items()}
                values = {column.name: body.get(column.name) for column in revisions.columns}
                values |= {"edition_id": edition_id, "number": chosen.number}
                del values["id"]
                _insert_row(conn, values, files, body.get("results", []))
                recovery.from_records.append(chosen.number)

    def _complete_records(self, folder: Path, region: str, year: int, recovery: Recovery) -> None:
        """Write every state the catalogue holds and no record does (a run killed between a commit and its
        record, a store older than records); move up the prepared records of committed revisions, put the
        others in quarantine (nothing proves their commit: their files go with them)."""
        with self.engine.connect() as conn:
            held = _catalogue_bodies(conn, region, year)
        for prepared in records.prepared(folder):
            path = prepared.path if isinstance(prepared, records.Record) else prepared  # a Path: damaged
            if (
                isinstance(prepared, records.Record)
                and prepared.number in held
                and prepared.files() == _files_of_body(held[prepared.number])
            ):  # its revision is committed: moved up beside the others
                records.seal(prepared.path)
                continue
            recovery.quarantined.append(quarantine.move_aside(self.outputs, folder, path, recovery.started))
        found, _ = records.read(folder)
        for number, body in sorted(held.items()):
            if not any(_same_state(r.body, body) for r in found.get(number, [])):
                written = records.write(folder, _without_id(body))
                if written is not None:
                    recovery.records_written.append(written)

    def _check_object(self, folder: Path, digest: str, entry: FileEntry, verify: bool) -> bool:
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
        aside = quarantine.find_object(self.outputs, folder, digest)
        if aside is not None:
            path.unlink(missing_ok=True)
            objects.adopt(folder, aside, digest)
            return True
        raise StoreDamaged(path, f"fichier de la révision ({entry['file']}, SHA-256 {digest}) absent ou altéré")

    @contextmanager
    def _connection(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.engine.connect() as conn:
            yield conn


def existing_history(outputs: Path, region: str, year: int) -> Manifest | None:
    """The edition's history when a catalogue exists, without creating one (for `fir check`)."""
    if not database.catalogue_exists(outputs):
        return None
    return open_catalogue(outputs).history(region, year)


def editions_found(catalogue: Catalogue) -> list[tuple[str, int]]:
    """The catalogue's editions, and the edition folders of outputs/ with a manifest or records it does not
    know yet."""
    found = set(catalogue.editions())
    for manifest in [
        *catalogue.outputs.glob(f"*/*/{views.MANIFEST}"),
        *catalogue.outputs.glob(f"*/*/{records.RECORDS}"),
    ]:
        region, year = manifest.parent.parent.name, manifest.parent.name
        if REGION.match(region) and year.isdigit():
            found.add((region, int(year)))
    return sorted(found)


def recover_all(
    catalogue: Catalogue,
    timeout: float,
    verify: bool = False,
    on_wait: Callable[[str, Holder | None], None] | None = None,
) -> list[tuple[str, int, Recovery]]:
    """Recover every edition of the store (importing the trees the catalogue does not know yet)."""
    done = []
    for region, year in editions_found(catalogue):
        with catalogue.lock(region, year, timeout, on_wait):
            done.append((region, year, catalogue.recover(region, year, verify)))
    return done


def _read_quietly(read: Callable[[], RevisionEntry | None]) -> RevisionEntry | None:
    """A read after trouble: None rather than a second error hiding the first."""
    try:
        return read()
    except Exception:
        return None


def _insert_revision(
    conn: Connection,
    edition_id: int,
    number: int,
    record: RecordEntry,
    files: dict[str, tuple[str, str, int]],
    results: Sequence[str],
    sign_off: Mapping[str, object],
) -> None:
    """Insert revision `number` (which must be the edition's next) with its files (role → name, SHA-256, size)
    and where it stands (`sign_off`: status, launched_by, based_on; none: published)."""
    values = {"edition_id": edition_id, **_revision_values(number, record, sign_off, defaults=False)}
    _insert_row(conn, values, files, results)


_SIGN_OFF_DEFAULTS = {
    "status": PUBLISHED,
    "launched_by": "",
    "based_on": None,
    "decided_by": None,
    "decided_at": None,
    "decision_comment": None,
}


def _revision_values(
    number: int, record: RecordEntry, sign_off: Mapping[str, object], defaults: bool = True
) -> dict[str, Any]:
    """The revision's row (every column but its ids); with `defaults`, the sign-off columns `sign_off` does
    not give at their defaults (without: left to the database, as a catalogue of an earlier schema needs)."""
    return {
        "number": number,
        "published_at": record["published_at"],
        "reason": record["reason"],
        "trigger": record["trigger"],
        "code_version": record["code_version"],
        "inputs_digest": record["inputs_digest"],
        "pages": record["pages"],
        "record": {
            "inputs": record["inputs"],
            "warnings": record["warnings"],
            "erratum": record["erratum"],
            "figures": record["figures"],
            "basis": record["basis"],
            **{key: record.get(key) for key in _OPTIONAL_RECORD if key in record},
        },
        **(_SIGN_OFF_DEFAULTS if defaults else {}),
        **sign_off,
    }


def _insert_row(
    conn: Connection, values: Mapping[str, Any], files: Mapping[str, tuple[str, str, int]], results: Sequence[str]
) -> None:
    """Insert one revision's row, files and results; its number must be the edition's next."""
    number, edition_id = values["number"], values["edition_id"]
    last = conn.scalar(sa.select(sa.func.max(revisions.c.number)).where(revisions.c.edition_id == edition_id))
    if number != (last or 0) + 1:
        raise RevisionConflict(f"révision {number} demandée, la dernière enregistrée est {last}")
    revision_id = _new_id(conn, sa.insert(revisions).values(**values))
    conn.execute(
        sa.insert(revision_files),
        [
            {"revision_id": revision_id, "role": role, "name": name, "sha256": digest, "size": size}
            for role, (name, digest, size) in files.items()
        ],
    )
    if results:
        conn.execute(
            sa.insert(revision_results),
            [{"revision_id": revision_id, "storage_key": key} for key in sorted(set(results))],
        )


_DECISION = ("status", "decided_by", "decided_at", "decision_comment")


def _catalogue_bodies(conn: Connection, region: str, year: int, number: int | None = None) -> dict[int, dict[str, Any]]:
    """The edition's revisions (or revision `number`) as the catalogue holds them, in the records' shape
    (records.body), each with its row's `id`."""
    edition = conn.execute(sa.select(editions).where(editions.c.region == region, editions.c.year == year)).first()
    if edition is None:
        return {}
    query = sa.select(revisions).where(revisions.c.edition_id == edition.id)
    if number is not None:
        query = query.where(revisions.c.number == number)
    rows = {row.id: row for row in conn.execute(query)}
    files: dict[int, dict[str, tuple[str, str, int]]] = {}
    results: dict[int, list[str]] = {}
    for f in conn.execute(sa.select(revision_files).where(revision_files.c.revision_id.in_(rows))):
        files.setdefault(f.revision_id, {})[f.role] = (f.name, f.sha256, f.size)
    for r in conn.execute(sa.select(revision_results).where(revision_results.c.revision_id.in_(rows))):
        results.setdefault(r.revision_id, []).append(r.storage_key)
    found = {}
    for key, row in rows.items():
        content = records.body(
            region, year, edition.region_name, row._asdict(), files.get(key, {}), results.get(key, [])
        )
        found[row.number] = {**content, "id": key}
    return found


def _without_id(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "id"}


def _files_of_body(body: Mapping[str, Any]) -> dict[str, str]:
    return {role: f["sha256"] for role, f in body["files"].items()}


def _same_state(record: Mapping[str, Any], held: Mapping[str, Any]) -> bool:
    """Whether a record says what the catalogue holds of a revision: the same files and the same decision."""
    return _files_of_body(record) == _files_of_body(held) and all(record.get(k) == held.get(k) for k in _DECISION)


def _conflict(number: int) -> str:
    return (
        f"révision {number} : les enregistrements et le catalogue décrivent des constructions différentes ; "
        "le catalogue est gardé tel quel, les fichiers des deux sont gardés"
    )


_OPTIONAL_RECORD = ("report", "run_id", "carried_over", "web_address")


def _supersede_stale(conn: Connection, edition_id: int, at: str) -> int:
    """Mark « remplacé » every pending draft of the edition that does not correct its current publication
    (never approvable: its erratum would be wrong); how many."""
    current = conn.scalar(
        sa.select(sa.func.max(revisions.c.number)).where(
            revisions.c.edition_id == edition_id, revisions.c.status == PUBLISHED
        )
    )
    if current is None:
        return 0
    done = conn.execute(
        sa.update(revisions)
        .where(
            revisions.c.edition_id == edition_id,
            revisions.c.status == DRAFT,
            sa.or_(revisions.c.based_on.is_(None), revisions.c.based_on != current),
        )
        .values(status=SUPERSEDED, decided_at=at, decision_comment=f"remplacé : révision {current} publiée depuis")
    )
    return int(done.rowcount or 0)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def latest_number(history: Manifest | None) -> int | None:
    return history["revisions"][-1]["revision"] if history and history["revisions"] else None


def _with_sign_off(row: sa.Row[Any], files: dict[str, FileEntry], entry: RevisionEntry) -> RevisionEntry:
    """Add to a revision read from the catalogue where it stands, its draft file and its optional record."""
    entry["status"] = row.status
    entry["launched_by"] = row.launched_by
    entry["based_on"] = row.based_on
    entry["decided_by"] = row.decided_by
    entry["decided_at"] = row.decided_at
    entry["comment"] = row.decision_comment
    if "draft" in files:
        entry["draft"] = files["draft"]
    for key in _OPTIONAL_RECORD:
        if key in row.record:
            entry[key] = row.record[key]  # type: ignore[literal-required]
    return entry


def _edition_id(conn: Connection, region: str, year: int, region_name: str) -> int:
    found = conn.scalar(sa.select(editions.c.id).where(editions.c.region == region, editions.c.year == year))
    if found is not None:
        if region_name:
            conn.execute(sa.update(editions).where(editions.c.id == found).values(region_name=region_name))
        return int(found)
    return _new_id(conn, sa.insert(editions).values(region=region, year=year, region_name=region_name))


def _new_id(conn: Connection, insert: sa.Insert) -> int:
    key = conn.execute(insert).inserted_primary_key
    assert key is not None and key[0] is not None
    return int(key[0])


def _record_of(entry: RevisionEntry) -> RecordEntry:
    return RecordEntry(
        published_at=entry["published_at"],
        reason=entry["reason"],
        trigger=entry["trigger"],
        code_version=entry["code_version"],
        inputs_digest=entry["inputs_digest"],
        inputs=entry["inputs"],
        pages=entry["pages"],
        warnings=entry["warnings"],
        erratum=entry["erratum"],
        figures=entry["figures"],
        basis=entry["basis"],
    )


_opened: dict[tuple[Path, str], Catalogue] = {}
_opening = threading.Lock()


def open_catalogue(outputs: Path) -> Catalogue:
    """The catalogue of `outputs` (created and migrated on first use), one per process and database."""
    outputs = outputs.resolve()
    key = (outputs, database.database_url(outputs))
    with _opening:
        if key not in _opened:
            outputs.mkdir(parents=True, exist_ok=True)
            _opened[key] = Catalogue(outputs, database.open_database(outputs))
        return _opened[key]

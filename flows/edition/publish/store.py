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

The catalogue's SQL for a revision is revision_rows.py; a decision is decisions.py; a recovery, recovery.py.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.publish import (
    builds,
    database,
    decisions,
    failpoints,
    input_versions,
    objects,
    records,
    recovery,
    revision_rows,
    views,
)
from flows.edition.publish.errors import Holder, LockTimeout, StoreDamaged, ViewsNotUpdated
from flows.edition.publish.locks import edition_lock
from flows.edition.publish.manifest import EXTRA_ROLES, Manifest, RecordEntry, RevisionEntry
from flows.edition.publish.recovery import Recovery
from flows.edition.publish.revision_rows import (
    DRAFT,
    PUBLISHED,
    REJECTED,
    STATUS_NAMES,
    SUPERSEDED,
    InTransaction,
    RevisionConflict,
    catalogue_bodies,
    ensure_edition,
    insert_revision,
    revision_values,
    without_id,
)
from flows.edition.publish.tables import editions, revision_files, revision_results, revisions
from flows.paths import edition_dir, file_name

REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCK_TIMEOUT_S = 3600  # a build takes seconds; an hour means another run is stuck
ROLES = ("pdf", "archive", *EXTRA_ROLES, "draft")
__all__ = [
    "DRAFT",
    "PUBLISHED",
    "REJECTED",
    "STATUS_NAMES",
    "SUPERSEDED",
    "Catalogue",
    "InTransaction",
    "LockTimeout",
    "Recovery",
    "RevisionConflict",
    "SignOffRefused",
    "StoreDamaged",
    "ViewsNotUpdated",
    "edition_dir",
    "open_catalogue",
]


class SignOffRefused(Exception):
    """An approval or a rejection the rules forbid (flows/policy.py), said in French."""


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
            return revision_rows.read_history(conn, region, year, statuses)

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
            values = revision_values(number, record, sign_off)
            body = records.body(region, year, region_name, values, stored, list(results))
            prepared = records.prepare(folder, body)
            with self.engine.begin() as conn:  # the commit point
                edition_id = ensure_edition(conn, region, year, region_name)
                insert_revision(conn, edition_id, number, record, stored, results, sign_off)
                if then is not None:
                    then(conn, self.entry_in(conn, region, year, number))
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
        self.rewrite_after_commit(region, year, done, failpoints.reach)

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
        """Approve (publish) or reject draft `number`, by `actor` (decisions.py), under the edition's lock held by
        the caller; `then` writes in the same transaction. RevisionConflict if the draft was decided meanwhile."""
        return decisions.decide(self, region, year, number, approve, actor, comment, at, then)

    def entry_in(self, conn: Connection, region: str, year: int, number: int) -> RevisionEntry:
        """Revision `number` as the transaction of `conn` sees it."""
        found = self.history(region, year, conn, statuses=None)
        entry = next((e for e in found["revisions"] if e["revision"] == number), None) if found else None
        assert entry is not None
        return entry

    def rewrite_after_commit(
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
            body = catalogue_bodies(conn, region, year, number).get(number)
        if body is None:
            return None
        return records.write(edition_dir(self.outputs, region, year), without_id(body))

    def catch_up(self, region: str, year: int) -> Recovery:
        """Bring the catalogue forward from the records alone, as a decision does first (recovery.py)."""
        return recovery.catch_up(self, region, year)

    def recover(self, region: str, year: int, verify: bool = False) -> Recovery:
        """Reconcile the edition\'s files with the catalogue, under its lock (recovery.py)."""
        return recovery.recover(self, region, year, verify)

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
    """Recover every edition of the store (importing the trees the catalogue does not know yet), and take back
    into the catalogue the versions of inputs only their records hold (an edition never built included)."""
    done = []
    for region, year in editions_found(catalogue):
        with catalogue.lock(region, year, timeout, on_wait):
            done.append((region, year, catalogue.recover(region, year, verify)))
    for kept in sorted(catalogue.outputs.glob(f"*/*/{input_versions.FOLDER}")):
        name, folder_year = kept.parent.parent.name, kept.parent.name
        if REGION.match(name) and folder_year.isdigit():
            input_versions.versions(catalogue.engine, catalogue.outputs, name, int(folder_year))
    return done


def _read_quietly(read: Callable[[], RevisionEntry | None]) -> RevisionEntry | None:
    """A read after trouble: None rather than a second error hiding the first."""
    try:
        return read()
    except Exception:
        return None


def latest_number(history: Manifest | None) -> int | None:
    return history["revisions"][-1]["revision"] if history and history["revisions"] else None


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

"""The publication store: a catalogue in a database (what was published, when, why, which bytes) and
the edition's content-addressed files under outputs/. One database transaction is the only commit point.

    outputs/
      catalogue.sqlite3                  the catalogue (unless FIR_DATABASE_URL names a PostgreSQL)
      <region>/<year>/
        .objects/<sha256>                every PDF of every revision, written before its commit
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
(flows/portal/outbox.py), so that neither exists without the other. Trouble after the commit is
ViewsNotUpdated: what is committed stays, said as such.

A crash before the commit leaves objects nobody references; after it, stale views. Both are repaired by
`recover`, which every run does first, under the edition's lock (and `fir repair`): the store is always the
state before a publication or after it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flows.edition.publish import database, failpoints, legacy, objects, views
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
STATUS_NAMES = {DRAFT: "projet en attente d'approbation", PUBLISHED: "publiée", REJECTED: "rejetée"}
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
    """An approval or a rejection the rules forbid, said in French (unknown draft, four-eyes rule, stale)."""


@dataclass
class Recovery:
    """What a recovery did to one edition."""

    imported: list[int] = field(default_factory=list)  # revisions taken from an outputs/ tree into the catalogue
    removed: list[Path] = field(default_factory=list)  # temporary and unreferenced files, stray views
    restored: list[Path] = field(default_factory=list)  # objects recovered from a view holding their bytes


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

    def drafts(self) -> list[tuple[str, int, str, RevisionEntry]]:
        """Every draft awaiting sign-off: region, year, the region's name and the revision, oldest first."""
        with self.engine.connect() as conn:
            pending = conn.execute(
                sa.select(editions.c.region, editions.c.year)
                .join(revisions, revisions.c.edition_id == editions.c.id)
                .where(revisions.c.status == DRAFT)
                .distinct()
            ).all()
            found = []
            for region, year in sorted(pending):
                history = self.history(region, year, conn, statuses=(DRAFT,))
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
        digests = {}
        for role, data in files.items():
            digests[role] = objects.put(folder, data)
            failpoints.reach("object-written" if len(digests) == 1 else "objects-written")
        stored = {role: (names[role], digests[role], len(data)) for role, data in files.items()}
        with self.engine.begin() as conn:  # the commit point
            edition_id = _edition_id(conn, region, year, region_name)
            # Published at once (imports, the store's tests): the columns' defaults, as before drafts existed.
            sign_off = (
                {"status": status, "launched_by": launched_by, "based_on": based_on} if status != PUBLISHED else {}
            )
            _insert_revision(conn, edition_id, number, record, stored, results, sign_off)
            if then is not None:
                then(conn, self._entry(conn, region, year, number))
            failpoints.reach("in-transaction")
        failpoints.reach("committed")
        done = (
            f"projet de révision {number} de {region} {year} enregistré"
            if status == DRAFT
            else f"révision {number} de {region} {year} publiée"
        )
        self._rewrite_after_commit(region, year, done, failpoints.reach)

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
        """Approve (publish) or reject draft `number`, by `actor`, under the edition's lock held by the caller.
        One transaction changes its status and holds what `then` writes with the decided revision (its audit
        line, the notifications owed); the views are rewritten after the commit, and ViewsNotUpdated (with
        the decided revision) says so when they could not all be: the decision stands, `fir repair` ends it.
        Refused (SignOffRefused) when it is not a pending draft, when the actor launched it and the edition
        does not allow self-approval, when a rejection gives no reason, or when the publication it was
        compared with is no longer the current one (its erratum would be wrong)."""
        entry = self.revision(region, year, number)
        if entry is None:
            raise SignOffRefused(f"{region} {year} : aucune révision {number}")
        status = entry.get("status", PUBLISHED)
        if status != DRAFT:
            raise SignOffRefused(
                f"{region} {year} révision {number} : pas un projet en attente ({STATUS_NAMES[status]})"
            )
        if not approve and not comment.strip():
            raise SignOffRefused("un rejet doit dire pourquoi (commentaire obligatoire)")
        if approve and actor == entry.get("launched_by") and not entry.get("self_approval", False):
            raise SignOffRefused(
                f"« {actor} » a lancé cette construction et ne peut pas l'approuver (règle des quatre yeux ; "
                "une équipe d'une personne l'autorise par [approval] self_approval = true dans edition.toml)"
            )
        current = latest_number(self.history(region, year))
        if approve and current != entry.get("based_on"):
            raise SignOffRefused(
                f"la publication actuelle ({_revision_name(current)}) n'est plus celle que ce projet corrige "
                f"({_revision_name(entry.get('based_on'))}) : son erratum serait faux, relancer la construction"
            )
        with self.engine.begin() as conn:
            edition_id = conn.scalar(
                sa.select(editions.c.id).where(editions.c.region == region, editions.c.year == year)
            )
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
            decided = self._entry(conn, region, year, number)
            if then is not None:
                then(conn, decided)
        what = f"révision {number} de {region} {year} {'publiée' if approve else 'rejetée'}"
        try:
            self._rewrite_after_commit(region, year, what)
        except ViewsNotUpdated as exc:
            exc.entry = decided
            raise
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

    def recover(self, region: str, year: int, verify: bool = False) -> Recovery:
        """Reconcile the edition's files with the catalogue: import what an outputs/ tree holds beyond it,
        remove temporary and unreferenced files, check committed files (their SHA-256 with `verify`),
        regenerate the views."""
        folder = edition_dir(self.outputs, region, year)
        recovery = Recovery()
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
        referenced = {f["sha256"]: f for e in (history or {"revisions": []})["revisions"] for f in files_of(e).values()}
        for path in objects.stored(folder):
            if path.name not in referenced:
                path.unlink(missing_ok=True)
                recovery.removed.append(path)
        for digest, file in referenced.items():
            if self._check_object(folder, digest, file, verify):
                recovery.restored.append(objects.object_path(folder, digest))
        recovery.removed += self.rewrite_views(region, year)
        return recovery

    def _check_object(self, folder: Path, digest: str, entry: FileEntry, verify: bool) -> bool:
        """True when the object had to be restored from a view holding its bytes."""
        path = objects.object_path(folder, digest)
        intact = path.is_file() and path.stat().st_size == entry["size"]
        if intact and (not verify or objects.file_sha256(path) == digest):
            return False
        for view in (folder / entry["file"], folder / name_in_revision(entry)):
            if view.is_file() and not _same_file(view, path) and objects.file_sha256(view) == digest:
                path.unlink(missing_ok=True)
                objects.adopt(folder, view, digest)
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
    """The catalogue's editions, and the edition folders of outputs/ with a manifest it does not know yet."""
    found = set(catalogue.editions())
    for manifest in catalogue.outputs.glob(f"*/*/{views.MANIFEST}"):
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


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


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
    last = conn.scalar(sa.select(sa.func.max(revisions.c.number)).where(revisions.c.edition_id == edition_id))
    if number != (last or 0) + 1:
        raise RevisionConflict(f"révision {number} demandée, la dernière enregistrée est {last}")
    revision_id = _new_id(
        conn,
        sa.insert(revisions).values(
            edition_id=edition_id,
            number=number,
            published_at=record["published_at"],
            reason=record["reason"],
            trigger=record["trigger"],
            code_version=record["code_version"],
            inputs_digest=record["inputs_digest"],
            pages=record["pages"],
            record={
                "inputs": record["inputs"],
                "warnings": record["warnings"],
                "erratum": record["erratum"],
                "figures": record["figures"],
                "basis": record["basis"],
                **{key: record.get(key) for key in _OPTIONAL_RECORD if key in record},
            },
            **sign_off,
        ),
    )
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


_OPTIONAL_RECORD = ("report", "self_approval", "run_id", "carried_over", "web_address")


def latest_number(history: Manifest | None) -> int | None:
    return history["revisions"][-1]["revision"] if history and history["revisions"] else None


def _revision_name(number: int | None) -> str:
    return f"révision {number}" if number is not None else "aucune publication"


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

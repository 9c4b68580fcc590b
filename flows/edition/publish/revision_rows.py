"""A revision's rows in the catalogue, in SQL: written (its values, files and results; only the edition's next
number), read back (the history, the records' shape), superseded. The store (store.py) decides when and holds the
files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flows.edition.publish import records, views
from flows.edition.publish.manifest import EXTRA_ROLES, FileEntry, Manifest, RecordEntry, RevisionEntry
from flows.edition.publish.tables import editions, revision_files, revision_results, revisions

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
# What a caller writes in the transaction of a draft or a decision (its audit line, its outbox), given the
# connection and the revision as that transaction makes it.
InTransaction = Callable[[Connection, RevisionEntry], None]


class RevisionConflict(Exception):
    """The revision number is not the next one: the edition's lock was not held (a bug, not an operator's)."""


def read_history(
    conn: Connection, region: str, year: int, statuses: Sequence[str] | None = (PUBLISHED,)
) -> Manifest | None:
    """The edition's committed revisions with one of `statuses` (None: all), oldest first, as `conn` sees
    them (Catalogue.history)."""
    edition = conn.execute(sa.select(editions).where(editions.c.region == region, editions.c.year == year)).first()
    if edition is None:
        return None
    query = sa.select(revisions).where(revisions.c.edition_id == edition.id)
    if statuses is not None:
        query = query.where(revisions.c.status.in_(statuses))
    rows = conn.execute(query.order_by(revisions.c.number)).all()
    files: dict[int, dict[str, FileEntry]] = {}
    for f in conn.execute(sa.select(revision_files).where(revision_files.c.revision_id.in_([r.id for r in rows]))):
        number = next(r.number for r in rows if r.id == f.revision_id)
        folder = views.DRAFTS if f.role == "draft" else views.REVISIONS
        files.setdefault(f.revision_id, {})[f.role] = FileEntry(
            file=f"{folder}/r{number}/{f.name}", sha256=f.sha256, size=f.size
        )
    entries = [
        with_sign_off(
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


def insert_revision(
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
    values = {"edition_id": edition_id, **revision_values(number, record, sign_off, defaults=False)}
    insert_row(conn, values, files, results)


_SIGN_OFF_DEFAULTS = {
    "status": PUBLISHED,
    "launched_by": "",
    "based_on": None,
    "decided_by": None,
    "decided_at": None,
    "decision_comment": None,
}


def revision_values(
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


def insert_row(
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


DECISION = ("status", "decided_by", "decided_at", "decision_comment")


def catalogue_bodies(conn: Connection, region: str, year: int, number: int | None = None) -> dict[int, dict[str, Any]]:
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


def without_id(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "id"}


def files_of_body(body: Mapping[str, Any]) -> dict[str, str]:
    return {role: f["sha256"] for role, f in body["files"].items()}


def same_state(record: Mapping[str, Any], held: Mapping[str, Any]) -> bool:
    """Whether a record says what the catalogue holds of a revision: the same files and the same decision."""
    return files_of_body(record) == files_of_body(held) and all(record.get(k) == held.get(k) for k in DECISION)


_OPTIONAL_RECORD = ("report", "run_id", "carried_over", "web_address", "input_version", "earlier_inputs")


def supersede_stale(conn: Connection, edition_id: int, at: str) -> int:
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


def with_sign_off(row: sa.Row[Any], files: dict[str, FileEntry], entry: RevisionEntry) -> RevisionEntry:
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


def ensure_edition(conn: Connection, region: str, year: int, region_name: str) -> int:
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


def record_of(entry: RevisionEntry) -> RecordEntry:
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

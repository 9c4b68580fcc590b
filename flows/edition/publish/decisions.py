"""Approving or rejecting a draft in the catalogue (store.py): one transaction under the edition's lock,
then the records and the views written after the commit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from flows.edition.publish.errors import ViewsNotUpdated
from flows.edition.publish.manifest import RevisionEntry
from flows.edition.publish.revision_rows import (
    DRAFT,
    PUBLISHED,
    REJECTED,
    SUPERSEDED,
    InTransaction,
    RevisionConflict,
    ensure_edition,
    supersede_stale,
)
from flows.edition.publish.tables import revisions

if TYPE_CHECKING:
    from flows.edition.publish.store import Catalogue


def decide(
    catalogue: Catalogue,
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
    catalogue.catch_up(region, year)  # a catalogue put back older: decide on what the records say
    superseded = 0
    with catalogue.engine.begin() as conn:
        edition_id = ensure_edition(conn, region, year, "")
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
            superseded = supersede_stale(conn, edition_id, at)
        decided = catalogue.entry_in(conn, region, year, number)
        if then is not None:
            then(conn, decided)
    what = f"révision {number} de {region} {year} {'publiée' if approve else 'rejetée'}"
    try:
        catalogue.record_state(region, year, number)
        if superseded:  # their new state too, as records
            for replaced in (catalogue.history(region, year, statuses=(SUPERSEDED,)) or {"revisions": []})["revisions"]:
                catalogue.record_state(region, year, replaced["revision"])
        catalogue.rewrite_after_commit(region, year, what)
    except ViewsNotUpdated as exc:
        exc.entry = decided
        raise
    except OSError as exc:  # a record not written: the next recovery writes it from the catalogue
        raise ViewsNotUpdated(what, exc, decided) from exc
    return decided

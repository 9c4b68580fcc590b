"""Approving or rejecting a draft: the same rules and the same audit lines from the portal and from the
command line (`fir approve`, `fir reject`). Who may ask is the caller's check (the portal's roles; the
command line is for those who run the service's machine)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from flows import carryover
from flows.edition.publish.manifest import RevisionEntry
from flows.edition.publish.store import DRAFT, Catalogue, SignOffRefused, ViewsNotUpdated
from flows.edition.validate import carried_report
from flows.portal import audit, notify, outbox

__all__ = ["SignOffRefused", "ViewsNotUpdated", "sign_off"]


def sign_off(
    catalogue: Catalogue,
    region: str,
    year: int,
    number: int,
    approve: bool,
    actor: str,
    address: str,
    comment: str,
    lock_timeout: float = 60,
    acknowledge: bool = False,
) -> RevisionEntry:
    """Publish (approve) or reject draft `number` of the edition; SignOffRefused, with its audit line,
    when the rules forbid it. The decision, its audit line and the editors' notice (an approval) commit in
    one transaction; the notice is sent after it (flows/portal/outbox.py). ViewsNotUpdated when the public
    files could not all be rewritten after the commit: the decision stands, `fir repair` ends it. A draft
    still carrying over items nobody confirmed (flows/carryover.py) is approved only with `acknowledge`,
    and its audit line lists them."""
    action = audit.APPROVE if approve else audit.REJECT
    target = f"{region} {year} r{number}"
    despite = ""
    try:
        with catalogue.lock(region, year, lock_timeout):
            draft = catalogue.revision(region, year, number) if approve else None
            four_eyes = draft is not None and actor == draft.get("launched_by") and not draft.get("self_approval")
            if draft is not None and draft.get("status") == DRAFT and not four_eyes:  # that refusal first
                earlier, waiting = carryover.unconfirmed(catalogue.engine, region, year, draft)
                if waiting and not acknowledge:
                    raise SignOffRefused(carryover.approval_refusal(region, year, earlier, len(waiting)))
                if waiting:
                    despite = (
                        f"approuvé malgré {len(waiting)} élément(s) non confirmé(s) repris de l'édition {earlier} : "
                        + carried_report.audit_list(waiting, earlier)
                    )

            def in_transaction(conn: Connection, decided: RevisionEntry) -> None:
                """The decision's audit line and the editors' notice: committed with it, or not at all."""
                detail = " ; ".join(part for part in (comment.strip(), despite) if part)
                audit.record(conn, actor, address, action, target, audit.OK, detail)
                if approve:
                    history = catalogue.history(region, year, conn)
                    region_name = history["region_name"] if history else region
                    outbox.enqueue(conn, notify.published(catalogue, region, year, region_name, decided, conn))

            entry = catalogue.decide(region, year, number, approve, actor, comment, audit.now(), in_transaction)
    except SignOffRefused as exc:
        audit.record(catalogue.engine, actor, address, action, target, audit.REFUSED, str(exc))
        raise
    except ViewsNotUpdated:
        outbox.deliver(catalogue.engine)  # the decision is committed: what it owes is sent all the same
        raise
    outbox.deliver(catalogue.engine)  # what this decision owes, once committed (and anything older)
    return entry

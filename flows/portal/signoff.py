"""Approving or rejecting a draft: the same rules (flows/policy.py) and the same audit lines from the portal
and from the command line (`fir approve`, `fir reject`). The rules are asked under the edition's lock,
so that what they answer is still true when the decision commits."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from flows import carryover, policy
from flows.edition.publish import settings
from flows.edition.publish.manifest import RevisionEntry
from flows.edition.publish.store import Catalogue, SignOffRefused, ViewsNotUpdated, latest_number
from flows.edition.validate import carried_report
from flows.notices import audit, notify, outbox

__all__ = ["SignOffRefused", "ViewsNotUpdated", "draft_state", "sign_off"]


class Refused(SignOffRefused):
    """What the policy refused, with the rule that did (flows/policy.py: the portal's status follows it)."""

    def __init__(self, decision: policy.Decision):
        super().__init__(decision.reason)
        self.rule = decision.rule


def draft_state(catalogue: Catalogue, region: str, year: int, number: int) -> policy.Draft:
    """Revision `number` as the rules see it: where it stands, the current publication, the region's setting."""
    entry = catalogue.revision(region, year, number)
    current = latest_number(catalogue.history(region, year))
    return policy.draft(region, year, number, entry, current, settings.self_approval(catalogue.engine, region))


def sign_off(
    catalogue: Catalogue,
    region: str,
    year: int,
    number: int,
    approve: bool,
    actor: policy.Actor | str,
    address: str,
    comment: str,
    lock_timeout: float = 60,
    acknowledge: bool = False,
) -> RevisionEntry:
    """Publish (approve) or reject draft `number` of the edition, by `actor` (a name: the command line's
    system user); SignOffRefused, with its audit line, when the rules forbid it. The decision, its audit
    line and the editors' notice (an approval) commit in one transaction; the notice is sent after it
    (flows/notices/outbox.py). ViewsNotUpdated when the public files could not all be rewritten after the
    commit: the decision stands, `fir repair` ends it. A draft still carrying over items nobody confirmed
    (flows/carryover.py) is approved only with `acknowledge`, and its audit line lists them."""
    who = policy.system(actor) if isinstance(actor, str) else actor
    action = audit.APPROVE if approve else audit.REJECT
    target = f"{region} {year} r{number}"
    despite = ""
    try:
        with catalogue.lock(region, year, lock_timeout):
            catalogue.catch_up(region, year)  # a catalogue put back older: the rules read what the records say
            found = draft_state(catalogue, region, year, number)
            decision = policy.allowed(who, policy.APPROVE if approve else policy.REJECT, found, comment=comment)
            if not decision:
                raise Refused(decision)
            if approve:
                draft = catalogue.revision(region, year, number)
                assert draft is not None
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
                audit.record(conn, who.name, address, action, target, audit.OK, detail)
                if approve:
                    history = catalogue.history(region, year, conn)
                    region_name = history["region_name"] if history else region
                    outbox.enqueue(conn, notify.published(catalogue, region, year, region_name, decided, conn))

            entry = catalogue.decide(region, year, number, approve, who.name, comment, audit.now(), in_transaction)
    except SignOffRefused as exc:
        audit.record(catalogue.engine, who.name, address, action, target, audit.REFUSED, str(exc))
        raise
    except ViewsNotUpdated:
        outbox.deliver(catalogue.engine)  # the decision is committed: what it owes is sent all the same
        raise
    outbox.deliver(catalogue.engine)  # what this decision owes, once committed (and anything older)
    return entry

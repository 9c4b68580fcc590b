"""Approving or rejecting a draft: the same rules and the same audit lines from the portal and from the
command line (`fir approve`, `fir reject`). Who may ask is the caller's check (the portal's roles; the
command line is for those who run the service's machine)."""

from __future__ import annotations

from flows.edition.publish.manifest import RevisionEntry
from flows.edition.publish.store import Catalogue, SignOffRefused
from flows.portal import audit, notify

__all__ = ["SignOffRefused", "sign_off"]


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
) -> RevisionEntry:
    """Publish (approve) or reject draft `number` of the edition; SignOffRefused, with its audit line,
    when the rules forbid it. An approval tells the editors."""
    action = audit.APPROVE if approve else audit.REJECT
    target = f"{region} {year} r{number}"
    try:
        with catalogue.lock(region, year, lock_timeout):
            entry = catalogue.decide(region, year, number, approve, actor, comment, audit.now())
    except SignOffRefused as exc:
        audit.record(catalogue.engine, actor, address, action, target, audit.REFUSED, str(exc))
        raise
    audit.record(catalogue.engine, actor, address, action, target, audit.OK, comment.strip())
    if approve:
        history = catalogue.history(region, year)
        notify.published(catalogue, region, year, history["region_name"] if history else region, entry)
    return entry

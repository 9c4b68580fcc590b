"""The draft page's list of what the edition carries over unchanged from an earlier one (flows/carryover.py),
and its form: « J'ai relu et confirmé », per file, recorded in the catalogue with the account and the time,
and in the audit log. An approval with items nobody confirmed needs its own acknowledgement
(flows/portal/signoff.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from flows import carryover, policy
from flows.edition.labels import file_label
from flows.edition.publish import confirmations
from flows.edition.publish.manifest import RevisionEntry
from flows.edition.validate import carried_report
from flows.notices import audit, people
from flows.portal.access import Visitor, actor, require
from flows.portal.public import french_date

router = APIRouter(prefix="/staff")
Reviewer = Annotated[Visitor, Depends(require(policy.CONFIRM, "post"))]
CONFIRMED = "Fichier confirmé : ses éléments repris quittent la liste."


def view(engine: Any, region: str, year: int, entry: RevisionEntry) -> dict[str, Any] | None:
    """What the draft page shows: each file carried over, its items still to confirm, or who confirmed it
    and when (Paris time); None for a revision made from nothing."""
    earlier, items = carryover.recorded_items(entry)
    if not items:
        return None
    done = confirmations.confirmed(engine, region, year)
    files: list[dict[str, Any]] = []
    for source, found in carried_report.by_file(items).items():
        waiting = confirmations.pending(found, done)
        made = [done[i.key[:600]] for i in found if i.key[:600] in done]
        last = max(made, key=lambda c: c.confirmed_at, default=None)
        files.append(
            {
                "source": source,
                "name": file_label(source.removeprefix(f"{region}/{year}/")),
                "items": [carried_report.describe(item, earlier) for item in waiting],
                "pending": len(waiting),
                "total": len(found),
                "by": people.display_name(engine, last.confirmed_by) if last else "",
                "at": french_date(last.confirmed_at) if last else "",
            }
        )
    files.sort(key=lambda f: (f["pending"] == 0, f["source"]))
    pending = sum(f["pending"] for f in files)
    return {"earlier_year": earlier, "files": files, "pending": pending, "total": len(items)}


@router.post("/drafts/{region}/{year}/{revision}/confirm")
def confirm(request: Request, region: str, year: int, revision: int, visitor: Reviewer) -> Response:
    """« J'ai relu et confirmé » for one file of a pending draft: its items, as the draft recorded them."""
    from flows.portal.staff import _draft_page, _revision

    _, entry = _revision(request, region, year, revision)
    assert visitor.account is not None and visitor.form is not None
    engine = request.app.state.portal.catalogue.engine
    source = str(visitor.form.get("source", ""))[:400]
    target = f"{region} {year} r{revision}"
    _, items = carryover.recorded_items(entry)
    chosen = [item for item in items if item.source == source]
    state = policy.draft(region, year, revision, entry, None, False)  # a confirmation is for a pending draft
    error = policy.allowed(actor(visitor), policy.CONFIRM, state).reason
    if not error and not chosen:
        error = f"le fichier « {source or '(aucun)'} » n'a aucun élément repris à confirmer dans ce projet"
    if error:
        audit.record(engine, visitor.name, visitor.address, audit.CONFIRM, target, audit.REFUSED, error)
        return _draft_page(request, visitor, region, year, revision, 409, error=error)
    new = confirmations.record(engine, region, year, chosen, visitor.account.name)
    audit.record(
        engine,
        visitor.name,
        visitor.address,
        audit.CONFIRM,
        target,
        audit.OK,
        f"{len(new)} élément(s) confirmé(s) : {source}",
    )
    return RedirectResponse(f"/staff/drafts/{region}/{year}/{revision}?decision=confirme#a-confirmer", 303)

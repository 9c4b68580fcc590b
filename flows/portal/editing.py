"""What the editors' pages share: who may (the policy's actions as route dependencies), the edition asked
for (refused unless its folder is there), the edition's previews, and their audit lines.

Reading an edition's state (its workspace, its history) is for whoever sees the drafts, approvers included;
changing anything — and the pages that are only forms to change something — is for whoever may edit the
inputs (policy.EDIT_INPUTS: rédacteurs and administrateurs).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from flows import policy
from flows.edition.ingest.meta import META_FILE
from flows.notices import audit, people
from flows.portal import input_store
from flows.portal.access import Visitor, require
from flows.portal.edition_preview import Previews
from flows.portal.pages import render
from flows.portal.public import REGION, french_date

# The editor's page runs its own script (templates/portal/editeur.js) and asks the portal to check a text:
# the portal's policy (flows/portal/web.py) with scripts and requests to this site allowed, nothing else.
EDITOR_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
Reader = Annotated[Visitor, Depends(require(policy.VIEW_DRAFTS))]
Writer = Annotated[Visitor, Depends(require(policy.EDIT_INPUTS))]  # a page that is a form to change inputs
WriterFile = Annotated[Visitor, Depends(require(policy.EDIT_INPUTS, "file"))]
Changer = Annotated[Visitor, Depends(require(policy.EDIT_INPUTS, "post"))]


def portal(request: Request) -> Any:
    return request.app.state.portal


def who(visitor: Visitor) -> input_store.Who:
    """The account making an input version, and where from."""
    return input_store.Who(visitor.name, visitor.address)


def edition_folder(request: Request, region: str, year: int) -> Path:
    """The edition's working copy; 404 unless it is an edition of the inputs."""
    folder = portal(request).inputs / region / str(year)
    if not REGION.match(region) or not 1990 <= year <= 2200 or not (folder / META_FILE).is_file():
        raise HTTPException(404, f"aucune édition {region} {year} dans les données")
    return folder


def base_url(region: str, year: int) -> str:
    return f"/staff/editions/{region}/{year}"


def render_edition(request: Request, template: str, status: int, region: str, year: int, **values: Any) -> Response:
    """One of an edition's editors' pages: the edition it is about, and its links' base."""
    edition = {"region": region, "year": year}
    return render(request, template, status, edition=edition, base_href=base_url(region, year), **values)


def previews(request: Request) -> Previews:
    """The portal's previews, one per edition, made on first use (flows/portal/edition_preview.py)."""
    state = request.app.state
    found = getattr(state, "previews", None)
    if found is None:
        found = state.previews = Previews(portal(request).inputs, portal(request).outputs)
    return found


def record(
    request: Request, visitor: Visitor, action: str, target: str, outcome: str = audit.OK, detail: str = ""
) -> None:
    """The action's audit line: who, from where, on what, done or refused and why."""
    engine = portal(request).catalogue.engine
    audit.record(engine, visitor.name, visitor.address, action, target, outcome, detail[:2000])


def form_text(visitor: Visitor, name: str, limit: int = 200) -> str:
    assert visitor.form is not None
    value = visitor.form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def form_number(visitor: Visitor, name: str) -> int | None:
    text = form_text(visitor, name, 12)
    return int(text) if text.isdigit() else None


def version_row(found: Any, known: people.Known) -> dict[str, Any]:
    """An input version as the pages show it: its number, when (Paris time), who (by name), from where, why."""
    created = found.created_at
    return {
        "number": found.number,
        "at": french_date(created if isinstance(created, str) else created.isoformat()),
        "author": people.person(found.author, known),
        "origin": origin_shown(found.origin),
        "message": found.message,
        "files": len(found.files),
    }


def origin_shown(origin: str) -> str:
    """Where a version was made, as the staff read it: the portal, the server's files, a build or the command
    line, without the address or machine name the record keeps (the audit log shows them)."""
    from flows.edition.publish.launcher import SERVICE

    if origin.startswith(SERVICE.partition("{")[0]):
        return "construction lancée depuis le portail ou le calendrier"
    return re.sub(r"\s*\([^()]*\)$", "", origin)

"""The editions' workspace: the list of editions with « Préparer l'édition <année> » (what `fir new` does,
under the edition's lock, audited), and each edition's page — its to-do list as a checklist that follows
the work (what `fir check` says remains), links to each way of changing it, its history and the launch of
its draft.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows.edition.authoring.new_edition import NewEditionRefused, create_edition
from flows.edition.ingest.snapshot import list_editions
from flows.edition.publish.errors import LockTimeout
from flows.notices import audit, people
from flows.portal import edition_state, input_store
from flows.portal.access import Visitor
from flows.portal.editing import Changer, Reader, base_url, edition_folder, form_text, portal, record, version_row, who
from flows.portal.pages import render
from flows.portal.public import REGION

router = APIRouter(prefix="/staff")
LOCK_WAIT_S = 10.0
NOTICES = {
    "cree": "Édition créée : les montants sont à saisir et les textes à réécrire (la liste ci-dessous).",
}


def _regions(request: Request) -> dict[str, list[int]]:
    inputs = portal(request).inputs
    found: dict[str, list[int]] = {}
    for region, year in list_editions(inputs) if inputs.is_dir() else []:
        found.setdefault(region, []).append(year)
    return found


@router.get("/editions")
def editions_page(request: Request, visitor: Reader) -> Response:
    return _editions_page(request)


def _editions_page(request: Request, status: int = 200, error: str = "") -> Response:
    regions = [
        {"region": region, "years": sorted(years, reverse=True), "next": max(years) + 1}
        for region, years in sorted(_regions(request).items())
    ]
    return render(request, "editions.html.j2", status, regions=regions, error=error)


@router.post("/editions/{region}/preparer")
async def prepare_edition(request: Request, region: str, visitor: Changer) -> Response:
    """Next year's edition from the region's latest one, as `fir new` makes it; refused when it exists."""
    year_text = form_text(visitor, "annee", 8)
    target = f"{region[:80]} {year_text}"
    if not REGION.match(region) or not re.fullmatch(r"\d{4}", year_text) or region not in _regions(request):
        await run_in_threadpool(record, request, visitor, audit.EDITION_NEW, target, audit.REFUSED, "région ou année")
        return _editions_page(request, 400, "Région ou année invalide : choisissez l'édition dans la liste.")
    year = int(year_text)
    try:
        created = await run_in_threadpool(_create, request, visitor, region, year)
    except (NewEditionRefused, LockTimeout) as exc:
        why = str(exc) if isinstance(exc, NewEditionRefused) else "une construction de cette édition est en cours"
        why = why.replace(str(portal(request).inputs), "le dossier des données")  # never a path of the machine
        await run_in_threadpool(record, request, visitor, audit.EDITION_NEW, target, audit.REFUSED, why)
        return _editions_page(request, 409, f"Édition {year} non créée : {why}.")
    await run_in_threadpool(record, request, visitor, audit.EDITION_NEW, target, audit.OK, created)
    return RedirectResponse(f"{base_url(region, year)}?fait=cree", 303)


def _create(request: Request, visitor: Visitor, region: str, year: int) -> str:
    """Make the edition's folder under its lock, then record it as its first input version."""
    found = portal(request)
    with found.catalogue.lock(region, year, timeout=LOCK_WAIT_S):
        made = create_edition(found.inputs, region, year)
    detail = f"à partir de {made.source_year} ({made.todo.cells} cellules, {len(made.todo.texts)} textes à compléter)"
    message = f"Édition {year} préparée à partir de {made.source_year}"
    try:
        saved = input_store.record(
            found.catalogue.engine, found.outputs, found.inputs, region, year, who(visitor), message
        )
        detail += f", version {saved.number}"
    except input_store.StoreUnavailable as exc:  # made; recorded by the next save (as the system user's)
        detail += f", version non enregistrée ({exc})"
    return detail


@router.get("/editions/{region}/{year}")
async def workspace(request: Request, region: str, year: int, visitor: Reader, fait: str = "") -> Response:
    edition_folder(request, region, year)
    found = portal(request)
    checklist = await run_in_threadpool(edition_state.checklist, found.inputs, found.outputs, region, year)
    latest = await run_in_threadpool(_latest, request, region, year)
    return render(
        request,
        "edition.html.j2",
        edition={"region": region, "year": year},
        base=base_url(region, year),
        checklist=checklist,
        summary=edition_state.summary(checklist),
        latest=latest,
        prefect=found.runs.api_url() is not None,
        notice=NOTICES.get(fait, ""),
    )


def _latest(request: Request, region: str, year: int) -> dict[str, object] | None:
    """The latest input version recorded, as the page names it (None: none yet)."""
    found = input_store.versions(portal(request).catalogue.engine, portal(request).outputs, region, year)
    if not found:
        return None
    return version_row(found[-1], people.known(portal(request).catalogue.engine))

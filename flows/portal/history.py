"""An edition's history of input versions: each version (number, when, who, from where, why), the
differences between any two (the cells changed — table, row, column, old → new — and the texts with their
words marked), and « Rétablir cette version », which makes an older version the working copy again as a
new version (nothing in the history is ever removed).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows.notices import audit, people
from flows.portal import edition_state, input_store
from flows.portal.access import Visitor
from flows.portal.editing import (
    Changer,
    Reader,
    base_url,
    edition_folder,
    form_number,
    portal,
    previews,
    record,
    render_edition,
    version_row,
    who,
)

router = APIRouter(prefix="/staff")
PER_PAGE = 20  # versions listed on a page of the history, newest first (an edition gathers ~80 in a year)
NOTICES = {
    "retablie": "Version rétablie : ses fichiers sont de nouveau ceux de l'édition, enregistrés comme une nouvelle "
    "version."
}


@router.get("/editions/{region}/{year}/versions")
async def versions_page(
    request: Request,
    region: str,
    year: int,
    visitor: Reader,
    de: int = 0,
    a: int = 0,
    fait: str = "",
    page: int = 1,
) -> Response:
    edition_folder(request, region, year)
    return await run_in_threadpool(_page, request, region, year, de, a, NOTICES.get(fait, ""), page=page)


def _page(
    request: Request,
    region: str,
    year: int,
    old: int,
    new: int,
    notice: str = "",
    status: int = 200,
    error: str = "",
    page: int = 1,
) -> Response:
    found = portal(request)
    rows: list[dict[str, Any]] = []
    diff: dict[str, Any] | None = None
    known = people.known(found.catalogue.engine)
    every = input_store.versions(found.catalogue.engine, found.outputs, region, year)
    rows = [version_row(v, known) for v in reversed(every)]
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 1), pages)
    numbers = {v.number for v in every}
    if every and not old and not new and len(every) > 1:
        old, new = every[-2].number, every[-1].number
    if old in numbers and new in numbers and old != new:
        diff = _diff(request, region, year, old, new)
    elif old or new:
        error = error or "Choisissez deux versions différentes de la liste."
    return render_edition(
        request,
        "versions.html.j2",
        status,
        region,
        year,
        rows=rows,
        shown=rows[(page - 1) * PER_PAGE : page * PER_PAGE],
        page=page,
        pages=pages,
        old=old,
        new=new,
        diff=diff,
        notice=notice,
        error=error,
    )


def _diff(request: Request, region: str, year: int, old: int, new: int) -> dict[str, Any]:
    """The differences from version `old` to version `new`, or why they cannot be shown."""
    found = portal(request)
    return input_store.compared(found.catalogue.engine, found.outputs, region, year, old, new)


@router.post("/editions/{region}/{year}/versions/retablir")
async def restore(request: Request, region: str, year: int, visitor: Changer) -> Response:
    edition_folder(request, region, year)
    number = form_number(visitor, "version")
    return await run_in_threadpool(_restore, request, visitor, region, year, number)


def _restore(request: Request, visitor: Visitor, region: str, year: int, number: int | None) -> Response:
    found = portal(request)
    target = f"{region} {year} version {number}"
    numbers = {v.number for v in input_store.versions(found.catalogue.engine, found.outputs, region, year)}
    if number is None or number not in numbers:
        record(request, visitor, audit.INPUT_RESTORE, target, audit.REFUSED, "version inconnue")
        return _page(request, region, year, 0, 0, status=400, error="Version inconnue : choisissez-la dans la liste.")
    try:
        saved = input_store.restore(
            found.catalogue.engine, found.outputs, found.inputs, region, year, number, who(visitor)
        )
    except input_store.StoreUnavailable as exc:
        record(request, visitor, audit.INPUT_RESTORE, target, audit.FAILED, str(exc))
        return _page(request, region, year, 0, 0, status=503, error=f"Rien n'a été rétabli : {exc}.")
    if (preview := previews(request).find(region, year)) is not None:
        preview.follow(edition_state.fingerprint(found.inputs, region))  # the text editor's pages follow
    record(request, visitor, audit.INPUT_RESTORE, target, audit.OK, f"nouvelle version {saved.number}")
    return RedirectResponse(f"{base_url(region, year)}/versions?fait=retablie", 303)

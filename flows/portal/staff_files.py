"""The staff pages' files of a revision: its pages as images, the copy marked « PROJET — ne pas diffuser »,
the print shop's file of a publication; a draft's viewing and download audited (flows/portal/staff.py holds
the review page that shows them)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse

from flows.edition.publish import store
from flows.edition.publish.manifest import RevisionEntry
from flows.notices import audit
from flows.portal import previews
from flows.portal.access import Visitor
from flows.portal.sessions import MAX_AGE_S
from flows.portal.staff import ViewerFile, _portal, _revision

router = APIRouter(prefix="/staff")


def _shown_file(entry: RevisionEntry) -> dict[str, Any]:
    """The file staff read for a revision: the marked copy of a draft or a rejected revision, the published
    brochure of a publication."""
    if entry.get("status", store.PUBLISHED) != store.PUBLISHED and "draft" in entry:
        return dict(entry["draft"])
    return dict(entry["pdf"])


@router.get("/drafts/{region}/{year}/{revision}/pages/{page}.png")
def draft_page_image(
    request: Request,
    region: str,
    year: int,
    revision: int,
    page: int,
    visitor: ViewerFile,
) -> FileResponse:
    """A page of a revision as an image. A draft's images are its whole content: never cached by the browser
    (no-store), and covered by the audit line of the draft's page, which the reviewer opened to see them
    (one line per viewing, not one per image); fetched without that page within a session's lifetime, the
    images write that line themselves (once)."""
    _, entry = _revision(request, region, year, revision)
    if not 1 <= page <= entry["pages"]:
        raise HTTPException(404, f"pas de page {page}")
    if entry.get("status", store.PUBLISHED) != store.PUBLISHED:
        _audit_unseen_view(request, visitor, f"{region} {year} r{revision}")
    file = _shown_file(entry)
    role = "pdf" if file["sha256"] == entry["pdf"]["sha256"] else "draft"
    pdf = _portal(request).verifier.served(region, year, revision, role, file["sha256"])
    try:
        image = previews.page_png(_portal(request).outputs, pdf, file["sha256"], page, previews.PAGE_DPI)
    except previews.PreviewFailed as exc:
        raise HTTPException(404, "page indisponible") from exc
    return FileResponse(image, media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _audit_unseen_view(request: Request, visitor: Visitor, target: str) -> None:
    """The view's audit line, unless the visitor's viewing of the draft is already recorded (its page, or an
    earlier image, within a session's lifetime)."""
    engine = _portal(request).catalogue.engine
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=MAX_AGE_S)
    if not audit.seen_since(engine, visitor.name, audit.DRAFT_VIEW, target, since):
        audit.record(engine, visitor.name, visitor.address, audit.DRAFT_VIEW, target, audit.OK, "images des pages")


@router.get("/drafts/{region}/{year}/{revision}/pdf")
def draft_pdf(
    request: Request,
    region: str,
    year: int,
    revision: int,
    visitor: ViewerFile,
) -> FileResponse:
    """The copy marked « PROJET — ne pas diffuser » (never the unmarked bytes before publication)."""
    history, entry = _revision(request, region, year, revision)
    if "draft" not in entry:
        raise HTTPException(404, "pas de copie marquée pour cette révision")
    catalogue = _portal(request).catalogue
    pdf = _portal(request).verifier.served(region, year, revision, "draft", entry["draft"]["sha256"])
    target = f"{region} {year} r{revision}"
    audit.record(catalogue.engine, visitor.name, visitor.address, audit.DRAFT_DOWNLOAD, target)
    return _staff_pdf(pdf, f"PROJET-FIR-{year}-{_file_word(history['region_name'] or region)}-r{revision}.pdf")


@router.get("/drafts/{region}/{year}/{revision}/impression/pdf")
def print_pdf(request: Request, region: str, year: int, revision: int, visitor: ViewerFile) -> FileResponse:
    """The print shop's file (PDF/X-4) of a published revision: unmarked, so never offered before approval."""
    history, entry = _revision(request, region, year, revision)
    if "print" not in entry or entry.get("status", store.PUBLISHED) != store.PUBLISHED:
        raise HTTPException(404, "pas de fichier pour l'imprimeur publié pour cette révision")
    pdf = _portal(request).verifier.served(region, year, revision, "print", entry["print"]["sha256"])
    return _staff_pdf(pdf, f"FIR-{year}-{_file_word(history['region_name'] or region)}-r{revision}-impression.pdf")


def _file_word(name: str) -> str:
    """A region's name as it may stand in a downloaded file's name (« Hauts-de-France » stays so)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")


def _staff_pdf(pdf: Path, filename: str) -> FileResponse:
    """A PDF for staff only: downloaded under `filename`, never kept by a browser's or a proxy's cache."""
    return FileResponse(
        pdf, media_type="application/pdf", filename=filename, headers={"Cache-Control": "private, no-store"}
    )

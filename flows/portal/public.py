"""The public pages: published brochures by region, year and revision, latest first, each with its cover and,
for a correction, its erratum in plain words; the downloads and the manifest.

Everything comes from the catalogue's *published* revisions (`Catalogue.history` with its default), never
from the views: a draft's or a rejected revision's number, digest or file is unknown here (404). A URL
names a region, a year and a revision number, never a path, so nothing outside the store can be reached.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from flows.edition.french import format_size, format_time
from flows.edition.publish import views
from flows.edition.publish.manifest import FileEntry, Manifest, RevisionEntry
from flows.edition.render.web import style_hashes
from flows.notices import wording
from flows.portal import previews
from flows.portal.pages import render

REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VARIANTS = {"pdf": "", "archive": "-archive"}
router = APIRouter()


def download_name(manifest: Manifest | dict[str, Any], revision: int, variant: str = "pdf") -> str:
    """`FIR-2024-Hauts-de-France-r2.pdf`: what the saved file is called on the user's machine."""
    region = re.sub(r"[^A-Za-z0-9-]+", "-", manifest.get("region_name") or manifest["region"]).strip("-")
    return f"FIR-{manifest['year']}-{region}-r{revision}{VARIANTS[variant]}.pdf"


def data_name(manifest: Manifest | dict[str, Any], revision: int) -> str:
    """`FIR-2024-Hauts-de-France-r2-donnees.zip`: the saved name of a revision's open-data package."""
    return download_name(manifest, revision).removesuffix(".pdf") + "-donnees.zip"


def french_date(iso: str | None) -> str:
    """`30/11/2026 à 11:17`, in the agency's time (decisions are recorded in UTC, builds in Paris time):
    the one format of every moment shown (flows/edition/french.format_time)."""
    return format_time(iso)


def published_edition(request: Request, region: str, year: int) -> Manifest:
    """The edition's published history; 404 when none (a draft alone is not public)."""
    if not REGION.match(region) or not 1900 <= year <= 2999:
        raise HTTPException(400, "région ou année invalide")
    found = request.app.state.portal.catalogue.history(region, year)
    if found is None or not found["revisions"]:
        raise HTTPException(404, "édition non publiée")
    manifest: Manifest = found
    return manifest


def published_revision(request: Request, region: str, year: int, revision: str) -> tuple[Manifest, RevisionEntry]:
    """A published revision by its number (or `latest`); 404 for any other text, draft or rejection."""
    manifest = published_edition(request, region, year)
    entries = {str(e["revision"]): e for e in manifest["revisions"]}
    if revision == "latest":
        revision = str(manifest["revisions"][-1]["revision"])
    if revision not in entries:
        raise HTTPException(404, "révision inconnue")
    return manifest, entries[revision]


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    catalogue = request.app.state.portal.catalogue
    found = [m for region, year in catalogue.editions() if (m := catalogue.history(region, year)) and m["revisions"]]
    editions = []
    for manifest in sorted(found, key=lambda m: (m.get("region_name") or m["region"], -m["year"])):
        region, year = manifest["region"], manifest["year"]
        name = manifest.get("region_name") or region
        rows = []
        for entry in reversed(manifest["revisions"]):
            number = entry["revision"]
            rows.append(
                {
                    "revision": number,
                    "date": french_date(entry.get("decided_at") or entry["published_at"]),
                    "reason": entry["reason"],
                    # one change per line: a reader scans the figures, a sentence of four changes is a wall
                    "erratum": wording.erratum_intro(entry["erratum"]) if entry.get("erratum") else "",
                    "changes": [wording.change_phrase(c) for c in entry.get("erratum") or []],
                    "size": format_size(entry["pdf"]["size"]),
                    "archive_size": format_size(entry["archive"]["size"]),
                    "href": f"/download/{region}/{year}/{number}",
                    "name": download_name(manifest, number),
                    "archive_href": f"/download/{region}/{year}/{number}/archive",
                    # the open-data package, for revisions built since it exists
                    "data_href": f"/download/{region}/{year}/{number}/data" if "data" in entry else "",
                    "data_name": data_name(manifest, number),
                    "data_size": format_size(entry["data"]["size"]) if "data" in entry else "",
                    "web_href": _web_href(region, year, number, entry is manifest["revisions"][-1])
                    if "web" in entry
                    else None,
                    "cover": f"/cover/{region}/{year}/{number}.png",
                    "cover_alt": f"Couverture de la brochure FIR {year} {name}, révision {number}",
                }
            )
        editions.append(
            {"region": region, "name": name, "year": year, "rows": rows, "manifest": f"/manifest/{region}/{year}"}
        )
    return render(request, "downloads.html.j2", editions=editions)


@router.get("/manifest/{region}/{year}")
def manifest(request: Request, region: str, year: int) -> Response:
    return Response(views.manifest_json(published_edition(request, region, year)), media_type="application/json")


@router.get("/download/{region}/{year}/{revision}")
def download(request: Request, region: str, year: int, revision: str) -> FileResponse:
    return _file(request, region, year, revision, "pdf")


@router.get("/download/{region}/{year}/{revision}/archive")
def download_archive(request: Request, region: str, year: int, revision: str) -> FileResponse:
    return _file(request, region, year, revision, "archive")


@router.get("/download/{region}/{year}/{revision}/data")
def download_data(request: Request, region: str, year: int, revision: str) -> FileResponse:
    """The revision's open-data package (zip: CSV, XLSX, datapackage.json); 404 for a revision without one."""
    manifest, entry = published_revision(request, region, year, revision)
    if "data" not in entry:
        raise HTTPException(404, "pas de données ouvertes pour cette révision")
    path = _verified(request, region, year, entry, "data")
    return FileResponse(path, media_type="application/zip", filename=data_name(manifest, entry["revision"]))


@router.get("/cover/{region}/{year}/{revision}.png")
def cover(request: Request, region: str, year: int, revision: str) -> FileResponse:
    """Page 1 of the published brochure, small; rendered once per file (cached under its SHA-256)."""
    _, entry = published_revision(request, region, year, revision)
    pdf = _verified(request, region, year, entry, "pdf")
    try:
        image = previews.page_png(request.app.state.portal.outputs, pdf, entry["pdf"]["sha256"], 1, previews.COVER_DPI)
    except previews.PreviewFailed as exc:
        raise HTTPException(404, "couverture indisponible") from exc
    return FileResponse(image, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


def _web_href(region: str, year: int, number: int, current: bool) -> str:
    return f"/editions/{region}/{year}/web/" if current else f"/editions/{region}/{year}/r{number}/web/"


# The web edition's address is stable (the current publication's); its links to the brochure are relative
# (`../fir-<region>-<year>.pdf`, as beside it in outputs/), hence the brochure under the same folders.
@router.get("/editions/{region}/{year}/web")
def web_edition_folder(region: str, year: int) -> RedirectResponse:
    return RedirectResponse(f"/editions/{region}/{year}/web/", 308)


@router.get("/editions/{region}/{year}/web/")
def web_edition(request: Request, region: str, year: int) -> Response:
    """The current publication's web edition."""
    return _web_page(request, region, year, "latest")


@router.get("/editions/{region}/{year}/r{revision}/web/")
def web_edition_revision(request: Request, region: str, year: int, revision: str) -> Response:
    """A published revision's web edition (a draft's is never public: 404)."""
    return _web_page(request, region, year, revision)


@router.get("/editions/{region}/{year}/{name}.pdf")
def web_edition_brochure(request: Request, region: str, year: int, name: str) -> FileResponse:
    """The brochure the current web edition links to."""
    if name != f"fir-{region}-{year}":
        raise HTTPException(404, "fichier inconnu")
    return _file(request, region, year, "latest", "pdf")


@router.get("/editions/{region}/{year}/r{revision}/{name}.pdf")
def web_edition_revision_brochure(request: Request, region: str, year: int, revision: str, name: str) -> FileResponse:
    """The brochure a revision's web edition links to."""
    if name != f"fir-{region}-{year}":
        raise HTTPException(404, "fichier inconnu")
    return _file(request, region, year, revision, "pdf")


def _web_page(request: Request, region: str, year: int, revision: str) -> Response:
    _, entry = published_revision(request, region, year, revision)
    if "web" not in entry:
        raise HTTPException(404, "pas de version web pour cette révision")
    page = _verified(request, region, year, entry, "web").read_bytes()
    # Its own inline CSS (by hash) and data: images, nothing else: no script, no request elsewhere.
    styles = " ".join(style_hashes(page.decode("utf-8"))) or "'none'"
    policy = (
        f"default-src 'none'; style-src {styles}; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return Response(page, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": policy})


def _file(request: Request, region: str, year: int, revision: str, variant: str) -> FileResponse:
    manifest, entry = published_revision(request, region, year, revision)
    path = _verified(request, region, year, entry, "pdf" if variant == "pdf" else "archive")
    return FileResponse(
        path, media_type="application/pdf", filename=download_name(manifest, entry["revision"], variant)
    )


def _verified(request: Request, region: str, year: int, entry: RevisionEntry, role: str) -> Path:
    """The published file of `role`, its bytes checked against the catalogue (integrity.FileDamaged if not)."""
    file: FileEntry = entry[role]  # type: ignore[literal-required]
    path: Path = request.app.state.portal.verifier.served(region, year, entry["revision"], role, file["sha256"])
    return path

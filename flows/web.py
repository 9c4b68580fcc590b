"""The download page: published brochures by region, year and revision, latest first.

Everything comes from the catalogue (publish/store.py), never from the views: only files a committed
revision references can be downloaded, and a URL names a region, a year and a revision number, never a
path, so nothing outside the store can be reached.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from flows import paths
from flows.edition.french import format_size
from flows.edition.publish import store, views
from flows.edition.publish.manifest import Manifest

REGION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VARIANTS = {"pdf": "", "archive": "-archive"}


def download_name(manifest: Manifest | dict[str, Any], revision: int, variant: str = "pdf") -> str:
    """`FIR-2024-Hauts-de-France-r2.pdf`: what the saved file is called on the user's machine."""
    region = re.sub(r"[^A-Za-z0-9-]+", "-", manifest.get("region_name") or manifest["region"]).strip("-")
    return f"FIR-{manifest['year']}-{region}-r{revision}{VARIANTS[variant]}.pdf"


def create_app(outputs: Path) -> FastAPI:
    """The web app serving the publications found under `outputs`."""
    catalogue = store.open_catalogue(outputs)
    app = FastAPI(title="Brochures FIR", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Environment(loader=FileSystemLoader(paths.TEMPLATES_DIR), autoescape=select_autoescape(default=True))

    def manifests() -> list[Manifest]:
        found = [m for region, year in catalogue.editions() if (m := catalogue.history(region, year))]
        return sorted(found, key=lambda m: (m.get("region_name") or m["region"], -m["year"]))

    def manifest_of(region: str, year: int) -> Manifest:
        if not REGION.match(region) or not 1900 <= year <= 2999:
            raise HTTPException(400, "région ou année invalide")
        found = catalogue.history(region, year)
        if found is None:
            raise HTTPException(404, "édition non publiée")
        return found

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        editions = []
        for manifest in manifests():
            rows = []
            for entry in reversed(manifest["revisions"]):
                number = entry["revision"]
                rows.append(
                    {
                        "revision": number,
                        "date": f"{dt.datetime.fromisoformat(entry['published_at']):%d/%m/%Y à %H:%M}",
                        "reason": entry["reason"],
                        "size": format_size(entry["pdf"]["size"]),
                        "archive_size": format_size(entry["archive"]["size"]),
                        "href": f"/download/{manifest['region']}/{manifest['year']}/{number}",
                        "name": download_name(manifest, number),
                        "archive_href": f"/download/{manifest['region']}/{manifest['year']}/{number}/archive",
                    }
                )
            editions.append(
                {
                    "region": manifest["region"],
                    "region_name": manifest.get("region_name"),
                    "year": manifest["year"],
                    "rows": rows,
                    "manifest": f"/manifest/{manifest['region']}/{manifest['year']}",
                }
            )
        return templates.get_template("downloads.html.j2").render(editions=editions)

    @app.get("/manifest/{region}/{year}")
    def manifest(region: str, year: int) -> Response:
        return Response(views.manifest_json(manifest_of(region, year)), media_type="application/json")

    @app.get("/download/{region}/{year}/{revision}")
    def download(region: str, year: int, revision: str) -> FileResponse:
        return _file(region, year, revision, "pdf")

    @app.get("/download/{region}/{year}/{revision}/archive")
    def download_archive(region: str, year: int, revision: str) -> FileResponse:
        return _file(region, year, revision, "archive")

    def _file(region: str, year: int, revision: str, variant: str) -> FileResponse:
        manifest = manifest_of(region, year)
        entries = {str(e["revision"]): e for e in manifest["revisions"]}
        if revision == "latest" and manifest["revisions"]:
            revision = str(manifest["revisions"][-1]["revision"])
        if revision not in entries:
            raise HTTPException(404, "révision inconnue")
        entry = entries[revision]
        path = catalogue.object_file(region, year, (entry["pdf"] if variant == "pdf" else entry["archive"])["sha256"])
        if not path.is_file():
            raise HTTPException(404, "fichier absent")
        return FileResponse(
            path, media_type="application/pdf", filename=download_name(manifest, int(revision), variant)
        )

    return app

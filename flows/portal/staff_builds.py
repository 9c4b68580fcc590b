"""Builds launched from the staff dashboard (a run of the manual deployment, through Prefect) and the page
that follows a run until its draft is recorded (flows/portal/staff.py holds the dashboard)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from flows.notices import audit, people
from flows.portal import input_store
from flows.portal.pages import error_page, render
from flows.portal.public import REGION
from flows.portal.runs import LaunchFailed, ui_url
from flows.portal.staff import Launcher, Viewer, _dashboard, _input_editions, _portal, _regions

router = APIRouter(prefix="/staff")


# -- builds --------------------------------------------------------------------------------------------------


@router.post("/builds")
def launch_build(request: Request, visitor: Launcher) -> Response:
    """Launch a build (or a correction) as a run of the manual deployment, then follow it."""
    assert visitor.account is not None and visitor.form is not None
    portal = _portal(request)
    form = {key: str(visitor.form.get(key, "")).strip() for key in ("region", "year", "reason")}
    region, year_text, reason = form["region"], form["year"], form["reason"][:500]
    target = f"{region[:80]} {year_text[:8]}"
    engine = portal.catalogue.engine
    if not REGION.match(region) or not re.fullmatch(r"\d{4}", year_text) or region not in _regions(request):
        audit.record(
            engine, visitor.name, visitor.address, audit.BUILD, target, audit.REFUSED, "région ou année invalide"
        )
        return _dashboard(
            request, 400, "Région ou année invalide : choisissez une région de la liste et une année.", form
        )
    year = int(year_text)
    inputs = _input_editions(request)
    if inputs and (region, year) not in inputs:
        audit.record(engine, visitor.name, visitor.address, audit.BUILD, target, audit.REFUSED, "pas de données")
        return _dashboard(request, 400, f"Pas de données pour {region} {year} dans le dossier des données.", form)
    if portal.catalogue.history(region, year) and not reason:
        audit.record(engine, visitor.name, visitor.address, audit.BUILD, target, audit.REFUSED, "motif manquant")
        return _dashboard(request, 400, "Cette édition est publiée : une correction doit donner son motif.", form)
    if portal.runs.api_url() is None:
        audit.record(engine, visitor.name, visitor.address, audit.BUILD, target, audit.FAILED, "Prefect non configuré")
        return error_page(request, 503, NO_PREFECT)
    parameters = {
        "region": region,
        "year": year,
        "reason": reason or None,
        "launched_by": visitor.account.name,
        "notify_failure": True,
    }
    try:
        run_id = portal.runs.launch(parameters)
    except LaunchFailed as exc:
        audit.record(engine, visitor.name, visitor.address, audit.BUILD, target, audit.FAILED, str(exc))
        return error_page(request, 503, str(exc))
    audit.record(engine, visitor.name, visitor.address, audit.BUILD, target, audit.OK, f"{reason} (exécution {run_id})")
    return RedirectResponse(f"/staff/runs/{run_id}", 303)


NO_PREFECT = (
    "Les constructions sont lancées par le service « fir serve » (qui fournit l'API Prefect) : il n'est pas "
    "configuré pour ce portail (PREFECT_API_URL vide). Lancez la construction en ligne de commande "
    "(fir build) ou démarrez le portail avec « fir serve »."
)


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str, visitor: Viewer, actualiser: str = "") -> Response:
    """The run's state, refreshed every 3 s until final (a reader may stop it: WCAG 2.2.1); then its draft,
    or what went wrong in plain words."""
    try:
        key = uuid.UUID(run_id)
    except ValueError:
        raise HTTPException(404, "exécution inconnue") from None
    runs = _portal(request).runs
    if runs.api_url() is None:
        return error_page(request, 503, NO_PREFECT)
    try:
        run = runs.read(key)
    except LaunchFailed as exc:
        return error_page(request, 503, str(exc))
    if run is None:
        raise HTTPException(404, "exécution inconnue")
    # an interrupted run may have recorded its draft before it stopped: the page says so, truly
    draft = _draft_of(request, run.id, run.parameters) if run.state in ("COMPLETED", "CRASHED") else None
    region, year = str(run.parameters.get("region", "")), run.parameters.get("year")
    known = _portal(request).catalogue.history(region, year, statuses=None) if isinstance(year, int) else None
    return render(
        request,
        "run.html.j2",
        run=run,
        launched_by=people.person(run.parameters.get("launched_by"), people.known(_portal(request).catalogue.engine)),
        region_name=known["region_name"] if known else "",
        refresh=not run.final and actualiser != "non",
        draft=draft,
        prefect_url=ui_url(runs.api_url(), run.id),
    )


def _draft_of(request: Request, run_id: str, parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The revision the run recorded: the one whose record names this run (a run whose inputs had not
    changed records none)."""
    region, year = str(parameters.get("region", "")), parameters.get("year")
    if not REGION.match(region) or not isinstance(year, int):
        return None
    history = _portal(request).catalogue.history(region, year, statuses=None)
    for entry in reversed(history["revisions"] if history else []):
        if entry.get("run_id") == run_id:
            return {
                "revision": entry["revision"],
                "href": f"/staff/drafts/{region}/{year}/{entry['revision']}",
                "input_version": input_store.recorded_version(entry),
                "versions": f"/staff/editions/{region}/{year}/versions",
            }
    return None

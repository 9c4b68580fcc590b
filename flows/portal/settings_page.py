"""The administrators' « Réglages » page: for each region, whether the person who launched a draft may
approve it (flows/edition/publish/settings.py). Only an administrator sees or changes it (flows/policy.py);
every change is an audit line with who, when, the old and the new value."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from flows import policy
from flows.edition.publish import settings
from flows.edition.publish.regions import region_names
from flows.notices import audit, people
from flows.portal.access import Visitor, require
from flows.portal.pages import render

router = APIRouter(prefix="/staff/admin")
Settler = Annotated[Visitor, Depends(require(policy.CHANGE_SETTINGS))]
SettlerPost = Annotated[Visitor, Depends(require(policy.CHANGE_SETTINGS, "post"))]
CHOICES = {"oui": True, "non": False}
DONE = "Réglage enregistré (inscrit au journal d'audit)."


def _engine(request: Request) -> Any:
    return request.app.state.portal.catalogue.engine


@router.get("/reglages")
def settings_page(request: Request, visitor: Settler, fait: str = "") -> Response:
    return _page(request, notice=DONE if fait else "")


def _page(request: Request, status: int = 200, error: str = "", notice: str = "") -> Response:
    from flows.portal.staff import _regions

    engine = _engine(request)
    known = people.known(engine)
    found = settings.listing(engine, tuple(_regions(request)))
    names = region_names(engine)  # a region as the staff name it (« Hauts-de-France »), when built once
    rows = [
        {**vars(s), "who": people.person(s.changed_by, known), "name": names.get(s.region) or s.region} for s in found
    ]
    return render(request, "settings.html.j2", status, settings=rows, error=error, notice=notice)


@router.post("/reglages")
def change_setting(request: Request, visitor: SettlerPost) -> Response:
    from flows.portal.staff import _regions

    assert visitor.form is not None
    region = str(visitor.form.get("region", "")).strip()[:80]
    choice = str(visitor.form.get("auto_approbation", ""))
    engine = _engine(request)
    problem = ""
    if region not in _regions(request) and region not in {s.region for s in settings.listing(engine)}:
        problem = f"région « {region} » inconnue : choisissez une région de la liste"
    elif choice not in CHOICES:
        problem = "choisissez « autorisée » ou « interdite »"
    if problem:
        audit.record(engine, visitor.name, visitor.address, audit.SETTING, region, audit.REFUSED, problem)
        return _page(request, 400, error=f"Réglage non changé : {problem}.")
    line = audit.Line(visitor.name, visitor.address, audit.SETTING, region)
    settings.set_self_approval(engine, region, CHOICES[choice], line)  # with its audit line
    return RedirectResponse("/staff/admin/reglages?fait=1", 303)

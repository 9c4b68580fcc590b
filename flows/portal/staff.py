"""The staff pages: login and logout, the dashboard of editions and their revisions of every status, a
draft's review page (validation report, changes against the current publication with the changed pages
side by side, page images, the marked PDF) and sign-off. A revision's files (page images, PDFs) are served
by staff_files.py, builds launched through Prefect and their run page by staff_builds.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows import policy
from flows.edition.ingest.snapshot import list_editions
from flows.edition.publish import settings, store
from flows.edition.publish.manifest import Manifest, RevisionEntry
from flows.edition.validate import carried_report
from flows.notices import audit, people, wording
from flows.portal import accounts, carried, draft_inputs, input_store, refusals, throttle
from flows.portal.access import Visitor, actor, identify, require, safe_next
from flows.portal.pages import render
from flows.portal.public import REGION, french_date
from flows.portal.sessions import anonymous
from flows.portal.signoff import SignOffRefused, ViewsNotUpdated, sign_off

router = APIRouter(prefix="/staff")
LOGIN_REFUSED = (
    "Connexion refusée : identifiant ou mot de passe incorrect, ou trop d'essais depuis cet appareil "
    "(patientez quelques minutes, ou demandez à un administrateur de débloquer la connexion)."
)
STATUS_LABELS = {
    store.DRAFT: "projet",
    store.PUBLISHED: "publiée",
    store.REJECTED: "rejetée",
    store.SUPERSEDED: "remplacé",
}
# The action each route is (flows/policy.py, through flows/portal/access.py): the dependency admits the
# visitor or refuses, audited. What a draft's state forbids is asked of the policy by the route itself.
Member = Annotated[Visitor, Depends(require(policy.LOG_OUT, "post"))]
Viewer = Annotated[Visitor, Depends(require(policy.VIEW_DRAFTS))]
ViewerFile = Annotated[Visitor, Depends(require(policy.VIEW_DRAFTS, "file"))]
Approver = Annotated[Visitor, Depends(require(policy.APPROVE, "post"))]
Rejecter = Annotated[Visitor, Depends(require(policy.REJECT, "post"))]
Launcher = Annotated[Visitor, Depends(require(policy.LAUNCH, "post"))]
DECISIONS = {
    "approve": "Révision approuvée : elle est publiée.",
    "reject": "Projet rejeté : il ne sera pas publié.",
    "confirme": "Fichier confirmé : ses éléments repris quittent la liste.",
    # The decision is committed but the public files could not all be rewritten (flows/portal/signoff.py).
    "approve-vues": "Révision approuvée : elle est publiée ; fichiers publics pas tous à jour : un "
    "administrateur doit lancer « fir repair » sur le serveur (ou redémarrer le service).",
    "reject-vues": "Projet rejeté : il ne sera pas publié ; fichiers publics pas tous à jour : un "
    "administrateur doit lancer « fir repair » sur le serveur (ou redémarrer le service).",
}


def _portal(request: Request) -> Any:
    return request.app.state.portal


# -- login ---------------------------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, suivant: str = "") -> Response:
    visitor = identify(request)
    if visitor.account is not None:
        return RedirectResponse(safe_next(suivant), 303)
    return _login_page(request, visitor, suivant)


def _login_page(
    request: Request, visitor: Visitor, suivant: str, status: int = 200, error: str = "", name: str = ""
) -> Response:
    session = anonymous(visitor.session)
    visitor.session = session  # the form's token is the anonymous session's
    response = render(request, "login.html.j2", status, next=safe_next(suivant), error=error, name=name)
    _portal(request).sessions.write(request, response, session)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    visitor = await run_in_threadpool(identify, request)
    form = await request.form()  # its token, the anonymous session's, was checked (csrf.CsrfGuard)
    name = str(form.get("name", "")).strip().lower()[:80]
    password = str(form.get("password", ""))[:1024]
    following = str(form.get("next", ""))
    account = await run_in_threadpool(_log_in, request, visitor, name, password)
    if account is None:
        return _login_page(request, visitor, following, 401, LOGIN_REFUSED, name)
    response = RedirectResponse(safe_next(following), 303)
    sessions = _portal(request).sessions
    session = await run_in_threadpool(sessions.open, account.name, account.session_version)
    sessions.write(request, response, session)
    return response


def _log_in(request: Request, visitor: Visitor, name: str, password: str) -> accounts.Account | None:
    """The account, or None with the refusal counted (flows/portal/refusals.py). A name slowed down at this
    address, or an address over its limit (flows/portal/throttle.py), is refused without checking the
    password; the same name from another address is not."""
    engine = _portal(request).catalogue.engine
    if (why := throttle.refusal(engine, name, visitor.address)) is not None:
        refusals.count(engine, visitor.address, audit.LOGIN, name, why)
        return None
    account = accounts.authenticate(engine, name, password) if name and password else None
    if account is None:
        throttle.failed(engine, name, visitor.address)
        refusals.count(engine, visitor.address, audit.LOGIN, name, "identifiants refusés")
        return None
    throttle.succeeded(engine, name, visitor.address)
    audit.record(engine, account.name, visitor.address, audit.LOGIN, name, audit.OK)
    return account


@router.post("/logout")
def logout(request: Request, visitor: Member) -> Response:
    audit.record(_portal(request).catalogue.engine, visitor.name, visitor.address, audit.LOGOUT, visitor.name)
    response = RedirectResponse("/", 303)
    _portal(request).sessions.close(request, response, visitor.session)  # its row deleted: the cookie is dead
    return response


# -- dashboard -----------------------------------------------------------------------------------------------


@router.get("/")
def dashboard(request: Request, visitor: Viewer) -> Response:
    return _dashboard(request)


def _dashboard(request: Request, status: int = 200, error: str = "", form: dict[str, str] | None = None) -> Response:
    portal = _portal(request)
    catalogue = portal.catalogue
    known = people.known(catalogue.engine)
    editions = []
    for region, year in catalogue.editions():
        history = catalogue.history(region, year, statuses=None)
        if history is None:
            continue
        rows = [_revision_row(history, e, known) for e in reversed(history["revisions"])]
        editions.append(
            {
                "region": region,
                "name": history["region_name"] or region,
                "year": year,
                "rows": rows,
                "pending": sum(1 for r in rows if r["status"] == store.DRAFT),
            }
        )
    editions.sort(key=lambda e: (-e["pending"], e["name"], -e["year"]))
    pending = [
        _revision_row({"region": region, "year": year, "region_name": name, "revisions": []}, entry, known)
        for region, year, name, entry in catalogue.drafts()
    ]
    interrupted = {(r["region"], r["year"]): catalogue.interrupted_drafts(r["region"], r["year"]) for r in pending}
    for row in pending:
        row["interrupted"] = row["revision"] in interrupted[(row["region"], row["year"])]
    return render(
        request,
        "dashboard.html.j2",
        status,
        damaged=portal.verifier.damaged(),
        pending=pending,
        editions=editions,
        regions=_regions(request),
        default_year=max((year for _, year in _input_editions(request)), default=""),
        prefect=portal.runs.api_url() is not None,
        error=error,
        form=form or {},
    )


def _revision_row(history: Manifest | dict[str, Any], entry: RevisionEntry, known: people.Known) -> dict[str, Any]:
    region, year, number = history["region"], history["year"], entry["revision"]
    status = entry.get("status", store.PUBLISHED)
    return {
        "region": region,
        "year": year,
        "name": history.get("region_name") or region,
        "revision": number,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "built": french_date(entry["published_at"]),
        "reason": entry["reason"],
        "launched_by": people.person(entry.get("launched_by"), known),
        "decided_by": people.person(entry.get("decided_by"), known) if entry.get("decided_by") else "",
        "decided": french_date(entry.get("decided_at")),
        "comment": entry.get("comment") or "",
        "changes": wording.changes_phrase(entry),
        "href": f"/staff/drafts/{region}/{year}/{number}",
    }


def _regions(request: Request) -> list[str]:
    """The regions a build may name: those of inputs/ and of the catalogue."""
    found = {region for region, _ in _input_editions(request)}
    found |= {region for region, _ in _portal(request).catalogue.editions()}
    return sorted(found)


def _input_editions(request: Request) -> list[tuple[str, int]]:
    inputs = _portal(request).inputs
    return list_editions(inputs) if inputs.is_dir() else []


# -- a draft -------------------------------------------------------------------------------------------------


def _revision(request: Request, region: str, year: int, revision: int) -> tuple[Manifest, RevisionEntry]:
    """A revision of any status, for the staff; 404 when unknown."""
    if not REGION.match(region):
        raise HTTPException(404, "édition inconnue")
    history = _portal(request).catalogue.history(region, year, statuses=None)
    entry = next((e for e in history["revisions"] if e["revision"] == revision), None) if history else None
    if history is None or entry is None:
        raise HTTPException(404, f"aucune révision {revision} de l'édition {region} {year}")
    return history, entry


@router.get("/drafts/{region}/{year}/{revision}")
def draft_page(
    request: Request,
    region: str,
    year: int,
    revision: int,
    visitor: Viewer,
    decision: str = "",
) -> Response:
    _, entry = _revision(request, region, year, revision)
    if entry.get("status", store.PUBLISHED) != store.PUBLISHED:  # what the public may not read yet: audited
        target = f"{region} {year} r{revision}"
        audit.record(_portal(request).catalogue.engine, visitor.name, visitor.address, audit.DRAFT_VIEW, target)
    return _draft_page(request, visitor, region, year, revision, notice=DECISIONS.get(decision, ""))


def _draft_page(
    request: Request,
    visitor: Visitor,
    region: str,
    year: int,
    revision: int,
    status: int = 200,
    error: str = "",
    notice: str = "",
) -> Response:
    history, entry = _revision(request, region, year, revision)
    catalogue = _portal(request).catalogue
    published = catalogue.history(region, year)
    current = store.latest_number(published)
    based_on = entry.get("based_on")
    basis = next((e for e in published["revisions"] if e["revision"] == based_on), None) if published else None
    base = f"/staff/drafts/{region}/{year}/{revision}"
    erratum = entry.get("erratum") or []
    changes = [{**change, "where": wording.pages_phrase(change.get("pages") or [])} for change in erratum]
    changed_pages = sorted({p for c in erratum for p in c.get("pages") or []})
    pairs = [
        {
            "page": page,
            "draft": f"{base}/pages/{page}.png",
            "current": f"/staff/drafts/{region}/{year}/{based_on}/pages/{page}.png"
            if basis and page <= basis["pages"]
            else None,
        }
        for page in changed_pages
        if page <= entry["pages"]
    ]
    status_name = entry.get("status", store.PUBLISHED)
    state = policy.draft(region, year, revision, entry, current, settings.self_approval(catalogue.engine, region))
    decision = policy.allowed(actor(visitor), policy.APPROVE, state)
    return render(
        request,
        "draft.html.j2",
        status,
        edition={"region": region, "year": year, "name": history["region_name"] or region},
        entry=entry,
        row=_revision_row(history, entry, people.known(catalogue.engine)),
        report=wording.structured_report(carried_report.without_section(entry.get("report") or [])),
        carried=carried.view(catalogue.engine, region, year, entry),
        web_address=entry.get("web_address"),  # the web edition's address the brochure prints (none: why)
        changes=changes,
        pairs=pairs,
        based_on=based_on,
        pages=[{"number": n, "src": f"{base}/pages/{n}.png"} for n in range(1, entry["pages"] + 1)],
        pdf=f"{base}/pdf" if "draft" in entry and status_name != store.PUBLISHED else None,
        print_pdf=f"{base}/impression/pdf" if "print" in entry and status_name == store.PUBLISHED else None,
        pending=status_name == store.DRAFT,
        stale=status_name == store.DRAFT and based_on != current,
        interrupted=status_name == store.DRAFT and revision in catalogue.interrupted_drafts(region, year),
        input_version=input_store.recorded_version(entry),
        inputs_changed=draft_inputs.view(catalogue.engine, _portal(request).outputs, region, year, entry, published),
        current=current,
        own=status_name == store.DRAFT and decision.rule == policy.FOUR_EYES,
        error=error,
        notice=notice,
    )


@router.post("/drafts/{region}/{year}/{revision}/approve")
def approve(request: Request, region: str, year: int, revision: int, visitor: Approver) -> Response:
    return _decide(request, visitor, region, year, revision, True)


@router.post("/drafts/{region}/{year}/{revision}/reject")
def reject(request: Request, region: str, year: int, revision: int, visitor: Rejecter) -> Response:
    return _decide(request, visitor, region, year, revision, False)


def _decide(request: Request, visitor: Visitor, region: str, year: int, revision: int, approving: bool) -> Response:
    """Sign off through the same function as the command line (the policy's rules, its audit lines)."""
    _revision(request, region, year, revision)  # 404 for an unknown revision
    assert visitor.account is not None and visitor.form is not None
    comment = str(visitor.form.get("comment", ""))[:2000]
    catalogue = _portal(request).catalogue
    try:
        sign_off(
            catalogue,
            region,
            year,
            revision,
            approving,
            actor(visitor),
            visitor.address,
            comment,
            acknowledge=approving and visitor.form.get("malgre") == "oui",
        )
    except SignOffRefused as exc:  # the four-eyes rule is a 403; a draft's state (or its carry-over) a 409
        status = 403 if getattr(exc, "rule", "") in (policy.ROLE, policy.FOUR_EYES) else 409
        return _draft_page(request, visitor, region, year, revision, status, error=str(exc))
    except ViewsNotUpdated:  # decided and audited; only the public files lag: said, not hidden behind an error
        stale = "approve-vues" if approving else "reject-vues"
        return RedirectResponse(f"/staff/drafts/{region}/{year}/{revision}?decision={stale}", 303)
    decision = "approve" if approving else "reject"
    return RedirectResponse(f"/staff/drafts/{region}/{year}/{revision}?decision={decision}", 303)

"""The administrators' pages: staff accounts (create, disable, reset a password, unlock logins slowed by
wrong passwords) and the audit log (latest first, filtered by action, with the counters of anonymous
refusals; exported as CSV, a period if chosen and at most EXPORT_LIMIT lines, streamed). Every account change and
unlocking leaves an audit line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from flows import policy
from flows.edition.french import PARIS
from flows.notices import audit, people
from flows.portal import accounts, refusals, throttle
from flows.portal.access import Visitor, require
from flows.portal.accounts import AccountError
from flows.portal.pages import render

router = APIRouter(prefix="/staff/admin")
Admin = Annotated[Visitor, Depends(require(policy.MANAGE_ACCOUNTS))]
AdminPost = Annotated[Visitor, Depends(require(policy.MANAGE_ACCOUNTS, "post"))]
Auditor = Annotated[Visitor, Depends(require(policy.READ_AUDIT))]
AuditorFile = Annotated[Visitor, Depends(require(policy.READ_AUDIT, "file"))]
AUDIT_LIMIT = 500
EXPORT_LIMIT = 100_000  # lines of one CSV export: a longer period is exported in several
DONE = {
    "debloque": "Connexion débloquée : les essais manqués sont oubliés.",
    "cree": "Compte créé.",
    "desactive": "Compte désactivé : ses sessions sont fermées.",
    "mot-de-passe": "Mot de passe remplacé : les sessions du compte sont fermées.",
}


def _engine(request: Request) -> Any:
    return request.app.state.portal.catalogue.engine


@router.get("/accounts")
def accounts_page(request: Request, visitor: Admin, fait: str = "") -> Response:
    return _accounts_page(request, notice=DONE.get(fait, ""))


def _accounts_page(
    request: Request, status: int = 200, error: str = "", notice: str = "", form: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "accounts.html.j2",
        status,
        accounts=accounts.listing(_engine(request)),
        roles=accounts.ROLES,
        min_password=accounts.MIN_PASSWORD,
        slowed=throttle.slowed(_engine(request)),
        free=throttle.FREE,
        error=error,
        notice=notice,
        form=form or {},
    )


@router.post("/accounts")
def create_account(request: Request, visitor: AdminPost) -> Response:
    assert visitor.form is not None
    form = {k: str(visitor.form.get(k, "")).strip() for k in ("name", "display_name", "role", "email")}
    password = str(visitor.form.get("password", ""))
    try:
        account = accounts.add(
            _engine(request), form["name"], form["role"], password, form["display_name"] or None, form["email"] or None
        )
    except AccountError as exc:
        _record(request, visitor, form["name"], audit.REFUSED, str(exc))
        return _accounts_page(request, 400, error=f"Compte non créé : {exc}.", form=form)
    _record(request, visitor, account.name, audit.OK, f"compte créé ({accounts.ROLE_NAMES[account.role]})")
    return RedirectResponse("/staff/admin/accounts?fait=cree", 303)


@router.post("/accounts/{name}/disable")
def disable_account(request: Request, name: str, visitor: AdminPost) -> Response:
    if name == visitor.name:
        _record(request, visitor, name, audit.REFUSED, "désactivation de son propre compte")
        return _accounts_page(request, 409, error="Vous ne pouvez pas désactiver votre propre compte.")
    try:
        accounts.disable(_engine(request), name)
    except AccountError as exc:
        _record(request, visitor, name, audit.REFUSED, str(exc))
        raise HTTPException(404, str(exc)) from None
    _record(request, visitor, name, audit.OK, "compte désactivé")
    return RedirectResponse("/staff/admin/accounts?fait=desactive", 303)


@router.post("/accounts/{name}/password")
def reset_password(request: Request, name: str, visitor: AdminPost) -> Response:
    assert visitor.form is not None
    if accounts.get(_engine(request), name) is None:
        _record(request, visitor, name, audit.REFUSED, "compte inconnu")
        raise HTTPException(404, f"aucun compte « {name} »")
    try:
        accounts.set_password(_engine(request), name, str(visitor.form.get("password", "")))
    except AccountError as exc:
        _record(request, visitor, name, audit.REFUSED, str(exc))
        return _accounts_page(request, 400, error=f"Mot de passe de « {name} » non changé : {exc}.")
    _record(request, visitor, name, audit.OK, "mot de passe changé")
    if name == visitor.name:  # one's own sessions are closed too: log in again with the new password
        return RedirectResponse("/staff/login", 303)
    return RedirectResponse("/staff/admin/accounts?fait=mot-de-passe", 303)


@router.post("/unlock")
def unlock(request: Request, visitor: AdminPost) -> Response:
    """Forget the wrong passwords of a name (every address), of an address (every name), or of the pair."""
    assert visitor.form is not None
    name = str(visitor.form.get("name", "")).strip().lower()[:80]
    address = str(visitor.form.get("address", "")).strip()[:64]
    if not name and not address:
        _record(request, visitor, "", audit.REFUSED, "déblocage sans identifiant ni adresse")
        return _accounts_page(request, 400, error="Indiquez l'identifiant ou l'adresse à débloquer.")
    forgotten = throttle.unlock(_engine(request), name, address)
    where = f" depuis {address}" if address else ""
    _record(request, visitor, name or address, audit.OK, f"connexion débloquée{where} ({forgotten} ligne(s) d'essais)")
    return RedirectResponse("/staff/admin/accounts?fait=debloque", 303)


def _record(request: Request, visitor: Visitor, target: str, outcome: str, detail: str) -> None:
    audit.record(_engine(request), visitor.name, visitor.address, audit.ACCOUNT, target[:80], outcome, detail)


@router.get("/audit")
def audit_page(request: Request, visitor: Auditor, action: str = "") -> Response:
    chosen = action if action in audit.ACTION_NAMES else ""
    found = audit.entries(_engine(request), AUDIT_LIMIT, chosen or None)
    return render(
        request,
        "audit.html.j2",
        entries=found,
        people=people.known(_engine(request)),
        action=chosen,
        actions=audit.ACTION_NAMES,
        outcomes=audit.OUTCOME_NAMES,
        limit=AUDIT_LIMIT,
        counts=refusals.latest(_engine(request)),
        keep_days=refusals.KEEP_DAYS,
        hour_rows=refusals.HOUR_ROWS,
        export_limit=f"{EXPORT_LIMIT:_}".replace("_", "\u202f"),
    )


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise HTTPException(400, f"date « {text[:20]} » invalide : attendu AAAA-MM-JJ") from None


@router.get("/audit.csv")
def audit_csv(request: Request, visitor: AuditorFile, action: str = "", du: str = "", au: str = "") -> Response:
    """The log of one period (days in Paris time, both included; without a date, from the start or up to
    now), latest first, at most EXPORT_LIMIT lines, written as it is read (never the whole log in memory)."""
    chosen = action if action in audit.ACTION_NAMES else None
    first, last = _day(du), _day(au)
    if first and last and first > last:
        raise HTTPException(400, "période vide : la date de début est après la date de fin")
    start = dt.datetime.combine(first, dt.time(), PARIS) if first else None
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), PARIS) if last else None
    lines = audit.export_lines(_engine(request), start, end, chosen, EXPORT_LIMIT, people.known(_engine(request)))
    period = f"-{first or 'debut'}-{last or 'maintenant'}" if first or last else ""
    return StreamingResponse(
        _encoded(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="journal-fir{period}.csv"', "Cache-Control": "no-store"},
    )


def _encoded(lines: Iterator[str]) -> Iterator[bytes]:
    yield "\ufeff".encode()  # a byte-order mark: spreadsheets then read UTF-8
    for line in lines:
        yield line.encode("utf-8")

"""The administrators' pages: staff accounts (create, disable, reset a password) and the audit log
(latest first, filtered by action, exported as CSV). Every account change leaves an audit line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from flows import policy
from flows.portal import accounts, audit, people
from flows.portal.access import Visitor, require
from flows.portal.accounts import AccountError
from flows.portal.pages import render

router = APIRouter(prefix="/staff/admin")
Admin = Annotated[Visitor, Depends(require(policy.MANAGE_ACCOUNTS))]
AdminPost = Annotated[Visitor, Depends(require(policy.MANAGE_ACCOUNTS, "post"))]
Auditor = Annotated[Visitor, Depends(require(policy.READ_AUDIT))]
AuditorFile = Annotated[Visitor, Depends(require(policy.READ_AUDIT, "file"))]
AUDIT_LIMIT = 500
DONE = {
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
        csv=f"/staff/admin/audit.csv{'?action=' + chosen if chosen else ''}",
    )


@router.get("/audit.csv")
def audit_csv(request: Request, visitor: AuditorFile, action: str = "") -> Response:
    chosen = action if action in audit.ACTION_NAMES else None
    body = audit.as_csv(audit.entries(_engine(request), None, chosen), people.known(_engine(request)))
    return Response(
        "\ufeff" + body,  # a byte-order mark: spreadsheets then read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-fir.csv"', "Cache-Control": "no-store"},
    )

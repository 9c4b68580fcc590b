"""Who is asking, and whether they may: every /staff route declares what it needs through `require`.

The account is read again at every request: a disabled account, or a session signed before a password
change (an older session version), is anonymous. Anonymous HTML pages redirect to the login form (303);
anonymous files and POSTs get 401; an account without the permission gets 403. A POST must also carry
the session's CSRF token. Every refusal leaves an audit line with the client's address (an anonymous
one: a counter, flows/portal/refusals.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request

from flows.portal import accounts, audit, csrf, refusals
from flows.portal.accounts import Account
from flows.portal.sessions import Session, client_address

ANONYMOUS = "anonyme"
Kind = Literal["page", "file", "post"]


@dataclass
class Visitor:
    session: Session | None
    account: Account | None
    address: str
    form: FormData | None = None  # a POST's form, once its CSRF token was checked

    @property
    def name(self) -> str:
        return self.account.name if self.account else ANONYMOUS


class LoginRequired(Exception):
    def __init__(self, kind: Kind, path: str):
        super().__init__(path)
        self.kind, self.path = kind, path


class Forbidden(Exception):
    """The account's role does not grant what the page needs."""


def identify(request: Request) -> Visitor:
    """The visitor of this request: its session cookie, and the account when it still holds."""
    found = getattr(request.state, "visitor", None)
    if isinstance(found, Visitor):
        return found
    portal = request.app.state.portal
    session = portal.sessions.read(request)
    account = None
    if session and session.account:
        account = accounts.get(portal.catalogue.engine, session.account)
        if account is None or account.disabled or account.session_version != session.version:
            account = None  # signed off by a password change, a disabling, or the account's removal
    visitor = Visitor(session, account, client_address(request))
    request.state.visitor = visitor
    return visitor


def refuse(request: Request, visitor: Visitor, detail: str, action: str = audit.ACCESS) -> None:
    """The refusal's audit line: who, from where, which URL, why; an anonymous refusal is counted per hour and
    address instead (flows/portal/refusals.py: anonymous traffic cannot grow the audit log without bound)."""
    target = f"{request.method} {request.url.path}"
    engine = request.app.state.portal.catalogue.engine
    if visitor.account is None:
        refusals.count(engine, visitor.address, action, target, detail)
        return
    audit.record(engine, visitor.name, visitor.address, action, target, audit.REFUSED, detail)


def require(permission: str | None, kind: Kind = "page") -> Callable[[Request], Awaitable[Visitor]]:
    """A dependency admitting a logged-in account with `permission` (None: any account); for a POST
    (`kind="post"`), with the session's CSRF token too."""

    async def dependency(request: Request) -> Visitor:
        visitor = await run_in_threadpool(identify, request)
        if visitor.account is None:
            await run_in_threadpool(refuse, request, visitor, "connexion requise")
            raise LoginRequired(kind, request.url.path)
        if kind == "post":
            visitor.form = await checked(request, visitor)
        if permission is not None and not visitor.account.may(permission):
            await run_in_threadpool(refuse, request, visitor, refusal(visitor.account, permission))
            raise Forbidden(permission)
        return visitor

    return dependency


def refusal(account: Account, permission: str) -> str:
    """Why an account may not: `réservé à qui peut gérer les comptes (compte approbateur)`."""
    role = accounts.ROLE_NAMES.get(account.role, account.role)
    return f"réservé à qui peut {accounts.PERMISSION_NAMES.get(permission, permission)} (compte {role})"


async def checked(request: Request, visitor: Visitor) -> FormData:
    """The POSTed form, its CSRF token checked; a bad token is refused with its audit line."""
    try:
        return await csrf.checked_form(request, visitor.session)
    except csrf.CsrfRefused as exc:
        await run_in_threadpool(refuse, request, visitor, str(exc))
        raise


def login_url(path: str) -> str:
    """The login form, coming back to `path` (a /staff page only: never an open redirect)."""
    return f"/staff/login?suivant={quote(path)}" if safe_next(path) != "/staff/" else "/staff/login"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a /staff page of this site, never elsewhere."""
    if target and target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return "/staff/"

"""Who is asking, and whether they may: every /staff route declares the action it is (flows/policy.py)
through `require`, and the policy answers.

The account is read again at every request: a disabled account, or a session signed before a password
change (an older session version), is anonymous. Anonymous HTML pages redirect to the login form (303);
anonymous files and POSTs get 401; an account the policy refuses gets 403. Every request that changes
something carries the session's CSRF token, checked for the whole app before any route runs
(flows/portal/csrf.py). Every refusal leaves an audit line with the client's address (an anonymous
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
from starlette.responses import Response

from flows import policy
from flows.notices import audit
from flows.portal import accounts, pages, refusals
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


def require(action: str | None, kind: Kind = "page") -> Callable[[Request], Awaitable[Visitor]]:
    """A dependency admitting a logged-in account the policy lets do `action` (flows/policy.py; None: any
    account, as for logging out); for a POST (`kind="post"`), with its form read (its CSRF token was
    checked before: csrf.CsrfGuard)."""
    action = action or policy.LOG_OUT

    async def dependency(request: Request) -> Visitor:
        visitor = await run_in_threadpool(identify, request)
        decision = policy.allowed(actor(visitor), action)
        if decision.rule == policy.LOGIN:
            await run_in_threadpool(refuse, request, visitor, decision.reason)
            raise LoginRequired(kind, request.url.path)
        if not decision:
            await run_in_threadpool(refuse, request, visitor, decision.reason)
            raise Forbidden(decision.reason)
        if kind == "post":
            visitor.form = await request.form()
        return visitor

    return dependency


def refusal(account: Account, action: str) -> str:
    """Why the policy refuses `action` to an account whatever it acts on ("" when it may)."""
    return policy.allowed(policy.person(account), action).reason


def actor(visitor: Visitor) -> policy.Actor:
    """The visitor as the policy sees it: its account, or nobody."""
    return policy.person(visitor.account)


async def csrf_refused(request: Request, why: str, status: int) -> Response:
    """csrf.CsrfGuard's answer: the refusal's audit line, and a page saying what to do."""
    visitor = await run_in_threadpool(identify, request)
    await run_in_threadpool(refuse, request, visitor, why)
    if status == 413:
        return pages.error_page(request, 413, "Formulaire trop volumineux : raccourcissez le texte et recommencez.")
    return pages.error_page(request, 403, CSRF_REFUSED)


CSRF_REFUSED = "Formulaire expiré ou invalide : rechargez la page et recommencez."


def login_url(path: str) -> str:
    """The login form, coming back to `path` (a /staff page only: never an open redirect)."""
    return f"/staff/login?suivant={quote(path)}" if safe_next(path) != "/staff/" else "/staff/login"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a /staff page of this site, never elsewhere."""
    if target and target.startswith("/staff/") and "//" not in target and "\\" not in target:
        return target
    return "/staff/"

"""Cross-site request forgery, refused for every route by default: any request of a method that changes
something (anything but GET, HEAD, OPTIONS) must carry its session's token — the hidden form field `csrf`
that every form of the portal holds, or the `X-CSRF-Token` header — whatever route it reaches, one
written later included. `CsrfGuard` checks it before the route runs; a refusal is a 403 page in French
with an audit line (flows/portal/web.py says how).

A route is spared only by its name in EXEMPT, with the reason. None is: the login form carries the token
of the anonymous session the login page opened (flows/portal/sessions.py), so it is checked as any other.
The session cookie is SameSite=Lax too.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flows.portal.sessions import Session

FIELD = "csrf"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 1 << 20  # the portal's forms are a few kilobytes: a comment of 2 000 characters at most
# A file sent by the editors' pages (multipart): a workbook or a Word document of 10 Mo at most, said by the
# upload's own check (flows/edition/authoring/upload_checks.py), which refuses what is over it in French.
MAX_UPLOAD_BYTES = 12 << 20
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# Route name → why it may change something without the session's token. Keep it empty unless a route
# truly cannot carry one (and say why here: the security tests list this mapping).
EXEMPT: dict[str, str] = {}
ABSENT, UNREADABLE = "jeton CSRF absent ou faux", "formulaire illisible"

Refusal = Callable[[Request, str, int], Awaitable[Response]]


class CsrfRefused(Exception):
    """A request without the session's token (a forged request, or a form older than the session)."""


def matches(session: Session | None, submitted: object) -> bool:
    """Whether `submitted` is the session's token (compared in constant time)."""
    if session is None or not session.csrf or not isinstance(submitted, str) or not submitted:
        return False
    return secrets.compare_digest(session.csrf.encode(), submitted.encode())


class CsrfGuard:
    """ASGI middleware: a request of an unsafe method reaches the app only with its session's token (read
    by `read_session`), unless its route's name is in `exempt`; otherwise `refuse(request, why, status)`
    answers. The body is read once, bounded, and handed on unchanged to the route."""

    def __init__(
        self,
        app: ASGIApp,
        read_session: Callable[[Request], Session | None],
        refuse: Refusal,
        exempt: Mapping[str, str] = EXEMPT,
    ) -> None:
        for name, reason in exempt.items():
            if not reason.strip():
                raise ValueError(f"route « {name} » exemptée du contrôle CSRF sans raison")
        self.app, self.read_session, self.refuse, self.exempt = app, read_session, refuse, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or self._route_name(scope) in self.exempt:
            await self.app(scope, receive, send)
            return
        multipart = Request(scope).headers.get("content-type", "").startswith("multipart/form-data")
        body = await _body(receive, MAX_UPLOAD_BYTES if multipart else MAX_FORM_BYTES)
        request = Request(scope, _replay(body or b"", receive))
        if body is None:
            response = await self.refuse(request, "formulaire trop volumineux", 413)
        else:
            why = await _refusal(request, await run_in_threadpool(self.read_session, request))
            if why is None:
                await self.app(scope, _replay(body, receive), send)
                return
            response = await self.refuse(request, why, 403)
        await response(scope, receive, send)

    def _route_name(self, scope: Scope) -> str | None:
        app = scope.get("app")
        router = getattr(app, "router", None)
        for route in getattr(router, "routes", ()):
            found, _ = route.matches(scope)
            if found == Match.FULL:
                return getattr(route, "name", None)
        return None


async def _refusal(request: Request, session: Session | None) -> str | None:
    """Why the request is refused (None: its token is the session's)."""
    submitted: object = request.headers.get(HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(FORMS):
        try:
            form = await request.form()
        except Exception:  # a broken body: no token either
            return UNREADABLE
        submitted = form.get(FIELD)
        await form.close()
    return None if matches(session, submitted) else ABSENT


async def _body(receive: Receive, limit: int) -> bytes | None:
    """The request's body, or None when it is larger than `limit`."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` giving `body` once, then the client's own messages (its disconnection)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

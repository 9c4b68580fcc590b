"""Staff sessions as signed cookies: the account's name, its session version and the session's CSRF token,
signed with the portal's secret (itsdangerous). Nothing is kept on the server: every request re-reads the
account, so a disabled account or a changed password (a new session version) signs every session off.

The secret comes from FIR_PORTAL_SECRET, or is generated once into outputs/.portal-secret (mode 0600); it is
never printed nor logged.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "fir_session"
COOKIE_PATH = "/staff"  # the public pages never receive it
MAX_AGE_S = 12 * 3600  # a working day: then the person logs in again
SECRET_FILE = ".portal-secret"


def portal_secret(outputs: Path) -> str:
    """FIR_PORTAL_SECRET, or the secret kept in outputs/.portal-secret (created once, readable by its owner
    only): sessions survive a restart of the service."""
    if configured := os.environ.get("FIR_PORTAL_SECRET", "").strip():
        return configured
    path = outputs / SECRET_FILE
    outputs.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_text(encoding="ascii").strip()


@dataclass(frozen=True)
class Session:
    """What the cookie carries: an anonymous session has a CSRF token (for the login form) and no account."""

    csrf: str
    account: str = ""
    version: int = 0


def new_session(account: str = "", version: int = 0) -> Session:
    """A new session, with a new CSRF token (at every login: a token seen before the login is worth nothing)."""
    return Session(secrets.token_urlsafe(32), account, version)


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, secret: str):
        self._serializer = URLSafeTimedSerializer(secret, salt="fir-portal-session")

    def read(self, request: Request) -> Session | None:
        """The request's session when its cookie is present, signed by us and not expired."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_S)
            return Session(str(data["c"]), str(data.get("a", "")), int(data.get("v", 0)))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"c": session.csrf, "a": session.account, "v": session.version}),
            max_age=MAX_AGE_S,
            path=COOKIE_PATH,
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )

    def clear(self, request: Request, response: Response) -> None:
        """Sign off: an anonymous session replaces the account's (the login form still needs a token)."""
        self.write(request, response, new_session())


def anonymous(session: Session | None) -> Session:
    """The session's anonymous part (its token), or a new one."""
    return replace(session, account="", version=0) if session else new_session()


def is_https(request: Request) -> bool:
    """HTTPS as the client sees it: the request's scheme (uvicorn reads a trusted proxy's headers), or
    FIR_PORTAL_HTTPS=1 when a proxy terminates TLS without saying so."""
    return request.url.scheme == "https" or os.environ.get("FIR_PORTAL_HTTPS", "") == "1"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "inconnue"

"""Staff sessions: a signed cookie (itsdangerous, the portal's secret) carries the account's name, its session
version, the session's CSRF token and a random key; the server keeps the key's SHA-256 in `staff_sessions`
(migration 0006). A logged-in session holds only while its row does: logging out deletes it, and so do a
password change and a disabling (flows/portal/accounts.py), so a cookie captured before is worth nothing.
Every request re-reads the account too (a disabled account or an older session version is refused).
An anonymous session (the login form's CSRF token) has no row: anonymous traffic writes nothing.

The secret comes from FIR_PORTAL_SECRET, or is generated once into outputs/.portal-secret (mode 0600); it is
never printed nor logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response

from flows.portal.tables import staff_sessions

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
    key: str = ""  # names the server's row of a logged-in session (its SHA-256 only is stored)


def new_session(account: str = "", version: int = 0) -> Session:
    """A new session, with a new CSRF token (at every login: a token seen before the login is worth nothing)."""
    return Session(secrets.token_urlsafe(32), account, version, secrets.token_urlsafe(32) if account else "")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class Sessions:
    """Reads and writes the session cookie, and keeps logged-in sessions' rows in the catalogue."""

    def __init__(self, secret: str, engine: Engine):
        self._serializer = URLSafeTimedSerializer(secret, salt="fir-portal-session")
        self._engine = engine

    def read(self, request: Request) -> Session | None:
        """The request's session when its cookie is present, signed by us and not expired; a logged-in
        session whose server row is gone (logged out, password changed, account disabled) is read as the
        anonymous session of the same token."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_S)
            session = Session(str(data["c"]), str(data.get("a", "")), int(data.get("v", 0)), str(data.get("k", "")))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if session.account and not self._holds(session):
            return anonymous(session)
        return session

    def _holds(self, session: Session) -> bool:
        if not session.key:
            return False
        query = sa.select(staff_sessions.c.account).where(
            staff_sessions.c.key_hash == _digest(session.key),
            staff_sessions.c.expires_at > _stamp(dt.datetime.now(dt.UTC)),
        )
        with self._engine.connect() as connection:
            return connection.scalar(query) == session.account

    def open(self, account: str, version: int) -> Session:
        """A new logged-in session, its row stored (expired rows are forgotten at the same time)."""
        session = new_session(account, version)
        now = dt.datetime.now(dt.UTC)
        with self._engine.begin() as connection:
            connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.expires_at <= _stamp(now)))
            connection.execute(
                sa.insert(staff_sessions).values(
                    key_hash=_digest(session.key),
                    account=account,
                    created_at=_stamp(now),
                    expires_at=_stamp(now + dt.timedelta(seconds=MAX_AGE_S)),
                )
            )
        return session

    def close(self, request: Request, response: Response, session: Session | None) -> None:
        """Log out: the session's row is deleted (its cookie, even kept elsewhere, no longer logs anyone
        in) and an anonymous session replaces it in the browser (the login form still needs a token)."""
        if session is not None and session.key:
            with self._engine.begin() as connection:
                connection.execute(sa.delete(staff_sessions).where(staff_sessions.c.key_hash == _digest(session.key)))
        self.write(request, response, new_session())

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"c": session.csrf, "a": session.account, "v": session.version, "k": session.key}),
            max_age=MAX_AGE_S,
            path=COOKIE_PATH,
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )


def anonymous(session: Session | None) -> Session:
    """The session's anonymous part (its token), or a new one."""
    return replace(session, account="", version=0, key="") if session else new_session()


def is_https(request: Request) -> bool:
    """HTTPS as the client sees it: the request's scheme (uvicorn reads X-Forwarded-Proto from the proxies of
    FIR_TRUSTED_PROXIES only: flows/portal/proxies.py), or FIR_PORTAL_HTTPS=1 when a proxy terminates TLS
    without saying so."""
    return request.url.scheme == "https" or os.environ.get("FIR_PORTAL_HTTPS", "") == "1"


def client_address(request: Request) -> str:
    """The client's address: the peer's, or what a listed proxy says (flows/portal/proxies.py), never what
    any client writes in X-Forwarded-For."""
    return request.client.host if request.client else "inconnue"

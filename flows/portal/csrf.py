"""Cross-site request forgery: every POST form carries the session's token as a hidden field `csrf`, and a
POST whose field does not match the token of its session cookie is refused (403, with an audit line). The
cookie is SameSite=Lax too; the token also covers the login form, through the anonymous session."""

from __future__ import annotations

import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

from flows.portal.sessions import Session

FIELD = "csrf"


class CsrfRefused(Exception):
    """A POST without the session's token (a forged request, or a form older than the session)."""


def matches(session: Session | None, submitted: object) -> bool:
    """Whether `submitted` is the session's token (compared in constant time)."""
    if session is None or not session.csrf or not isinstance(submitted, str) or not submitted:
        return False
    return secrets.compare_digest(session.csrf.encode(), submitted.encode())


async def checked_form(request: Request, session: Session | None) -> FormData:
    """The POSTed form when its token is the session's; CsrfRefused otherwise."""
    try:
        form = await request.form()
    except Exception as exc:  # not a form at all (a JSON body, a broken multipart): no token either
        raise CsrfRefused("formulaire illisible") from exc
    if not matches(session, form.get(FIELD)):
        raise CsrfRefused("jeton CSRF absent ou faux")
    return form

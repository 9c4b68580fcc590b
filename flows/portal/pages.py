"""Rendering the portal's pages: one Jinja2 environment over templates/portal/, and the context every
page shares (who is logged in, what they may do, the session's CSRF token for the forms)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from flows import paths, policy
from flows.edition.french import format_time
from flows.notices import audit, people
from flows.portal import accounts

TEMPLATES = paths.TEMPLATES_DIR / "portal"
STATUS_TITLES = {
    400: "Demande invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Action refusée",
    413: "Formulaire trop volumineux",
    422: "Demande invalide",
    500: "Erreur interne",
    503: "Service indisponible",
}


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True)
    env.globals["ROLE_NAMES"] = accounts.ROLE_NAMES
    env.globals["person_in_log"] = people.person_in_log
    env.globals["target_in_log"] = audit.target_in_log
    env.filters["paris_time"] = format_time  # every moment a page shows, in one format (flows/edition/french.py)
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page, with the visitor's account, permissions and CSRF token when a staff session is known."""
    env: Environment = request.app.state.portal.templates
    visitor = getattr(request.state, "visitor", None)
    account = visitor.account if visitor else None
    shared = {
        "me": account,
        "csrf": visitor.session.csrf if visitor and visitor.session else "",
        "can": {action: bool(account and account.may(action)) for action in policy.ACTIONS},
        "path": request.url.path,
    }
    return HTMLResponse(env.get_template(template).render(**shared, **context), status_code=status_code)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A refusal or an error as a page in French (never a traceback, never a secret)."""
    title = STATUS_TITLES.get(status, "Erreur")
    message = message[:1].upper() + message[1:]
    if message and message[-1] not in ".!?»)":
        message += "."
    return render(request, "error.html.j2", status, title=title, message=message, status=status)

"""The portal's web app: the public download pages and the staff pages under /staff, server-rendered
(Jinja2, templates/portal/), no JavaScript but the text editor's small script (its page works without it).
`fir serve` runs it (flows/supervisor.py).

Refusals are pages in French: anonymous HTML pages under /staff redirect to the login form (303), anonymous
files and POSTs get 401, what the policy refuses 403 (flows/policy.py), a request that changes something
without its session's CSRF token 403, whatever its route (flows/portal/csrf.py); each leaves its audit
line (flows/portal/access.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.exceptions import HTTPException as StarletteHTTPException

from flows import paths
from flows.edition.publish import store
from flows.edition.publish.store import Catalogue
from flows.portal import (
    admin,
    carried,
    csrf,
    editions,
    guide,
    history,
    integrity,
    pages,
    public,
    settings_page,
    staff,
    staff_builds,
    staff_files,
    texts,
    uploads,
)
from flows.portal.access import Forbidden, LoginRequired, csrf_refused, login_url
from flows.portal.runs import PrefectRuns, Runs
from flows.portal.sessions import Sessions, portal_secret

# No script, no frame, no foreign resource: the pages need none, so an injected one would not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass
class Portal:
    """What every page reads: the store, the sessions' signer, the templates, the Prefect API."""

    outputs: Path
    inputs: Path
    catalogue: Catalogue
    sessions: Sessions
    templates: Environment
    runs: Runs
    verifier: integrity.Verifier  # the published files' SHA-256, checked before they are served


def create_app(outputs: Path, inputs: Path | None = None) -> FastAPI:
    """The web app serving the publications found under `outputs` (and the staff pages); `inputs`: where
    builds read their data (default: the project's inputs/), to offer its editions to launch."""
    app = FastAPI(title="Brochures FIR", docs_url=None, redoc_url=None, openapi_url=None)
    catalogue = store.open_catalogue(outputs)
    app.state.portal = Portal(
        outputs=outputs,
        inputs=inputs or paths.INPUTS_DIR,
        catalogue=catalogue,
        sessions=Sessions(portal_secret(outputs), catalogue.engine),
        templates=pages.environment(),
        runs=PrefectRuns(),
        verifier=integrity.Verifier(catalogue),
    )
    # The routes themselves, not include_router: FastAPI 0.150 wraps included routers in a private
    # object, and app.routes must list every route (the security tests enumerate those under /staff).
    staff_pages = (staff.router, staff_files.router, staff_builds.router)
    editors_pages = (editions.router, texts.router, uploads.router, history.router, texts.assets, guide.router)
    for router in (public.router, *staff_pages, carried.router, admin.router, settings_page.router, *editors_pages):
        app.router.routes.extend(router.routes)

    # Every route, one added later included: no CSRF code needed in a route for it to be protected.
    app.add_middleware(
        csrf.CsrfGuard, read_session=lambda request: app.state.portal.sessions.read(request), refuse=csrf_refused
    )

    @app.get("/portal.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(pages.TEMPLATES / "portal.css", media_type="text/css")

    @app.get("/staff", include_in_schema=False)
    def staff_root() -> RedirectResponse:
        return RedirectResponse("/staff/", 303)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/staff"):
            response.headers["Cache-Control"] = response.headers.get("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, exc: LoginRequired) -> Response:
        if exc.kind == "page" and request.method == "GET":
            return RedirectResponse(login_url(exc.path), 303)
        return pages.error_page(request, 401, "Connectez-vous pour accéder à cette ressource.")

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, exc: Forbidden) -> Response:
        return pages.error_page(
            request, 403, "Votre rôle ne permet pas d'accéder à cette page ou de faire cette action."
        )

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        ours = isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase
        message = (
            str(exc.detail) if ours and exc.status_code < 500 else pages.STATUS_TITLES.get(exc.status_code, "erreur")
        )
        return pages.error_page(request, exc.status_code, message)

    @app.exception_handler(integrity.FileDamaged)
    def file_damaged(request: Request, exc: integrity.FileDamaged) -> Response:
        what = "enregistré pour relecture" if exc.damage.role == "draft" else "publié"
        message = (
            f"ce fichier n'est pas servi : son contenu n'est plus exactement celui qui a été {what} (contrôle "
            "d'intégrité). Les administrateurs du portail sont prévenus et vont le rétablir ; réessayez plus tard"
        )
        return pages.error_page(request, 503, message)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        return pages.error_page(request, 404, "Adresse invalide.")

    return app

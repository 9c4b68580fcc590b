"""Builds launched from the portal, through Prefect: the `fir-brochure/manuel` deployment that `fir serve`
serves, and the run's page, which follows its state (read from Prefect's API) until it is final.

The API is PREFECT_API_URL, else the running `fir serve`'s (its discovery file, flows/service.py: the portal
runs inside `fir serve`, whose own environment does not name the Prefect server it started), with the
credentials it asks for (the service's secret file). The web process never starts a Prefect server of its
own: without an API there is nothing to launch on, and the portal says so (503). Tests replace
`PrefectRuns` by a stand-in (`app.state.portal.runs`).
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from flows import service
from flows.notices import notify

DEPLOYMENT = "fir-brochure/manuel"
STATE_NAMES = {
    "SCHEDULED": "programmée",
    "PENDING": "en attente de démarrage",
    "RUNNING": "en cours",
    "COMPLETED": "terminée",
    "FAILED": "échouée",
    "CRASHED": "interrompue",
    "CANCELLED": "annulée",
    "CANCELLING": "en cours d'annulation",
    "PAUSED": "en pause",
}
FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
_PREFECT_PREFIX = "Flow run encountered an exception: "
_SERVICE_CHECK_S = 30


class LaunchFailed(Exception):
    """Prefect refused or could not be reached: said in French, nothing was launched."""


@dataclass(frozen=True)
class RunView:
    """A flow run as its page shows it."""

    id: str
    state: str  # Prefect's state type: RUNNING, COMPLETED, FAILED…
    parameters: dict[str, Any] = field(default_factory=dict)
    started: dt.datetime | None = None  # when it was created: revisions recorded after it are its own
    message: str = ""  # what went wrong, in plain words, for a failed or crashed run

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, self.state.lower())

    @property
    def final(self) -> bool:
        return self.state in FINAL


class Runs(Protocol):
    def api_url(self) -> str | None: ...

    def launch(self, parameters: dict[str, Any]) -> str: ...

    def read(self, run_id: uuid.UUID) -> RunView | None: ...


def ui_url(api_url: str | None, run_id: str) -> str | None:
    """The run's page in Prefect's UI: the API's address without /api."""
    if not api_url:
        return None
    base = api_url.rstrip("/")
    base = base.removesuffix("/api")
    return f"{base}/runs/flow-run/{run_id}"


class PrefectRuns:
    """The Prefect API of PREFECT_API_URL or of the running `fir serve`."""

    def __init__(self) -> None:
        self._found: tuple[float, tuple[str, str | None] | None] = (0.0, None)

    def api_url(self) -> str | None:
        """The API to launch on and read from; None when there is none."""
        found = self._api_and_auth()
        return found[0] if found else None

    def _api_and_auth(self) -> tuple[str, str | None] | None:
        """The API and its credentials (the service's answer is kept 30 s: the dashboard asks at every
        display)."""
        if os.environ.get("PREFECT_API_URL", "").strip():
            return service.client_api()
        checked, found = self._found
        if time.monotonic() - checked > _SERVICE_CHECK_S:
            found = service.client_api()
            self._found = (time.monotonic(), found)
        return found

    @contextmanager
    def _api(self) -> Iterator[None]:
        """Prefect pointed at that API, with its credentials, for this thread (Prefect read its settings
        when first imported)."""
        from prefect.settings import temporary_settings

        found = self._api_and_auth()
        if found is None:
            raise LaunchFailed("aucune API Prefect : « fir serve » ne tourne pas")
        url, auth = found
        updates: dict[str, Any] = {"api.url": url}
        if auth is not None:
            updates["api.auth_string"] = auth
        with temporary_settings(updates=updates):
            yield

    def launch(self, parameters: dict[str, Any]) -> str:
        """Create a run of the manual deployment and return its id at once (timeout=0: not waiting for it).
        Called from a worker thread: the synchronous form of `run_deployment`."""
        from prefect.deployments import run_deployment
        from prefect.exceptions import ObjectNotFound

        try:
            with self._api():
                run = run_deployment(DEPLOYMENT, parameters=parameters, timeout=0)  # sync here: no event loop
            assert not inspect.isawaitable(run)
        except LaunchFailed:
            raise
        except ObjectNotFound as exc:
            raise LaunchFailed(
                f"le déploiement « {DEPLOYMENT} » n'est pas servi par l'API Prefect : démarrez « fir serve »"
            ) from exc
        except Exception as exc:  # unreachable API: nothing was launched
            raise LaunchFailed(f"Prefect n'a pas pu lancer la construction ({type(exc).__name__} : {exc})") from exc
        return str(run.id)

    def read(self, run_id: uuid.UUID) -> RunView | None:
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectNotFound

        try:
            with self._api(), get_client(sync_client=True) as client:
                run = client.read_flow_run(run_id)
                state = run.state
                kind = state.type.value if state else "PENDING"
                message = failure_message(state) if kind in ("FAILED", "CRASHED") else ""
        except ObjectNotFound:
            return None
        except LaunchFailed:
            raise
        except Exception as exc:
            raise LaunchFailed(f"API Prefect injoignable ({type(exc).__name__})") from exc
        return RunView(str(run.id), kind, dict(run.parameters or {}), run.created, message)


def failure_message(state: Any) -> str:
    """The failure in plain words: the exception the flow raised, as an editor reads it (the inputs'
    problems as `fir check` prints them), else Prefect's message without its English preamble. A crash
    says how the run ended, not what was recorded before it (the run's page says that)."""
    if state.type.value == "CRASHED":
        if state.message == service.INTERRUPTED_BY_STOP:  # marked by the next start of the service
            return service.INTERRUPTED_BY_STOP
        return "La construction s'est arrêtée brutalement (processus interrompu ou mémoire épuisée)."
    try:
        error = state.result(raise_on_failure=False)
    except Exception:
        error = None
    if isinstance(error, BaseException):
        return notify.plain_error(error)
    text = str(state.message or "").removeprefix(_PREFECT_PREFIX)
    return text or "erreur inconnue"

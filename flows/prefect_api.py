"""The Prefect API a build reports to: checked before the run, and its loss during one told once, in French.

A build works with its own files and catalogue; the API only records the run (its states, logs, artefacts).
Yet when the server is gone, Prefect prints a traceback (a wrong PREFECT_API_URL, refused credentials), an
English warning and an event dump every few seconds, retries each call for about a minute, and at exit
spends seven seconds per event it still holds (six minutes for a build whose server was killed midway).
Here: a server that does not answer is said before anything is built; one lost during the run is said once,
calls to it are retried briefly, and the command ends as soon as it has said what is true, leaving behind
the run's records that no server can receive any more.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from flows.operations import prefect_api_failed, prefect_server
from flows.service import API_SECRET_FILE, ServiceError, auth_headers

# A call to the API is retried twice (about 6 s) instead of Prefect's five (about a minute): the server is on
# this machine or the agency's network, where a failure that lasts is a server that stopped.
CLIENT_RETRIES = "2"
CHECK_TIMEOUT_S = 5.0
# What Prefect logs, per event and every few seconds, while its server is gone.
_NOISY = ("prefect.events", "prefect._internal.concurrency", "EventsWorker", "prefect.EventsWorker", "APILogWorker")
# The loggers of Prefect's runs and tasks, and how their states name the API's failure (httpx's errors).
_RUNS = ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.task_engine")
_API_FAILURES = ("ConnectError", "ConnectTimeout", "ReadError", "ReadTimeout", "RemoteProtocolError", "reach API")


class ApiUnavailable(ServiceError):
    """The Prefect API a command was given does not answer, or refuses its credentials: said before a run."""


class ApiLost(RuntimeError):
    """A call to the Prefect API not made: this process has seen the API lost during the run. Its name is how
    `operations.prefect_api_failed` knows it."""


# This process has seen the API lost during the run under way (`loss_told_once`, `loss_said_by_the_owner`,
# which start each run with it clear): a call to it would only be retried for seconds, then fail.
_LOST = threading.Event()


def unless_lost(what: str) -> None:
    """Raise ApiLost instead of calling the API for `what` (a report, an artefact) once it is lost."""
    if _LOST.is_set():
        raise ApiLost(f"{what} : API Prefect perdue pendant l'exécution, appel non fait")


def limit_retries(environ: MutableMapping[str, str] = os.environ) -> None:
    """Prefect's client retries fewer times (CLIENT_RETRIES), unless PREFECT_CLIENT_MAX_RETRIES is set. Call it
    before Prefect is imported."""
    environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", CLIENT_RETRIES)


def check(environ: Mapping[str, str] = os.environ, timeout: float = CHECK_TIMEOUT_S) -> None:
    """The configured API (PREFECT_API_URL) answers and accepts this command's credentials, else ApiUnavailable
    says which and what to do. Nothing to check without one: the command starts Prefect's temporary server."""
    url = environ.get("PREFECT_API_URL", "").strip()
    if not url:
        return
    instead = "ou vider PREFECT_API_URL pour que la commande démarre son propre serveur, puis relancer"
    request = urllib.request.Request(
        f"{url.rstrip('/')}/admin/version", headers=auth_headers(environ.get("PREFECT_API_AUTH_STRING"))
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (401, 403):
            raise ApiUnavailable(
                f"le serveur Prefect de PREFECT_API_URL ({url}) refuse les identifiants de cette commande "
                f"(PREFECT_API_AUTH_STRING) : donner ceux du service (« fir:SECRET », SECRET étant le contenu du "
                f"fichier {API_SECRET_FILE} du dossier des publications), {instead}. Rien n'a été construit."
            ) from None
        raise ApiUnavailable(
            f"le serveur Prefect de PREFECT_API_URL ({url}) répond par une erreur (HTTP {exc.code}) : voir son "
            f"journal, {instead}. Rien n'a été construit."
        ) from None
    except (OSError, ValueError):  # refused, timed out, unknown host, malformed URL
        raise ApiUnavailable(
            f"le serveur Prefect de PREFECT_API_URL ({url}) ne répond pas : le démarrer (« fir serve »), {instead}. "
            "Rien n'a été construit."
        ) from None


class _LossToldOnce(logging.Filter):
    """Prefect's records about an API it cannot reach: the first becomes one French line, the others go."""

    def __init__(self, server: str, say: bool) -> None:
        super().__init__()
        self.server = server
        self.told = not say  # a process whose owner says it (`fir national`'s builds): none said here
        self.lost = False  # a record said the API was lost: the runs' failures that follow are its doing

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not self._about_the_loss(record):
            return True
        if self.told:
            return False
        self.told = True
        record.name, record.levelno, record.levelname = "fir.build", logging.WARNING, "WARNING"
        record.msg = (
            "Le %s ne répond plus : la construction continue avec ses propres fichiers, mais son suivi dans "
            "Prefect sera incomplet."
        )
        record.args = (self.server,)
        record.exc_info = record.exc_text = None
        return True

    def _about_the_loss(self, record: logging.LogRecord) -> bool:
        """Prefect's services complaining (events, logs), a record carrying the API's failure, or, once it is
        lost, a run's or task's state that names it (« Finished in state Failed('… ConnectError: …') »)."""
        failure = record.exc_info[1] if record.exc_info else None
        if record.name.startswith(_NOISY) or (failure is not None and prefect_api_failed(failure)):
            self.lost = True
            _LOST.set()
            return True
        return self.lost and record.name.startswith(_RUNS) and any(n in record.getMessage() for n in _API_FAILURES)


def _terminal_handlers() -> list[logging.Handler]:
    """The handlers Prefect set up for its loggers, which print to the terminal."""
    loggers = ("", "prefect", "prefect._internal")  # the last one does not propagate: its own handler
    return list({id(h): h for name in loggers for h in logging.getLogger(name).handlers}.values())


@contextmanager
def loss_told_once() -> Iterator[None]:
    """While a run goes on: Prefect's complaints about its lost API, said once."""
    told = _LossToldOnce(prefect_server(), say=True)
    _LOST.clear()
    handlers = _terminal_handlers()
    for handler in handlers:
        handler.addFilter(told)
    # Prefect's log sender writes « --- Error logging to API --- » and the error to the terminal, unless
    # the standard library's switch for errors in logging handlers is off.
    raising, logging.raiseExceptions = logging.raiseExceptions, False
    try:
        yield
    finally:
        logging.raiseExceptions = raising
        for handler in handlers:
            handler.removeFilter(told)


def loss_said_by_the_owner() -> None:
    """In a worker process that builds editions for a command (`fir national`'s process pool, a Dask worker):
    Prefect's records about its lost API dropped for the rest of the process's life, tasks' states that could
    not be sent included; the command's own process says the loss once (`loss_told_once`). Nothing in the
    command's own process (the thread runner's builds), whose `loss_told_once` hears them."""
    if multiprocessing.parent_process() is None:
        return
    handlers = _terminal_handlers()
    # A process that builds its second edition (or a Dask worker, its next batch's) has it already: the new
    # run starts with the API not known lost.
    silent = next((f for h in handlers for f in h.filters if isinstance(f, _LossToldOnce)), None)
    if silent is None:
        silent = _LossToldOnce(prefect_server(), say=False)
        for handler in handlers:
            handler.addFilter(silent)
    silent.lost = False
    _LOST.clear()
    logging.raiseExceptions = False  # no « --- Error logging to API --- » from this process's log sender


def leave_if_lost(exc: BaseException, code: int) -> None:
    """After the command has said what is true about `exc`: when it is the API's loss, end the process now.
    Otherwise Prefect, at exit, would try to send each record it still holds to the server that is gone, for
    minutes; those records (the run's last states and logs) cannot reach it any more."""
    if not prefect_api_failed(exc):
        return
    import gc

    gc.collect()  # the objects no longer used release what they hold (the workers' semaphores), as at exit
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

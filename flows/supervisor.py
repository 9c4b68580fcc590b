"""`fir serve`: the one service an agency runs — a Prefect server, the runner of the two deployments and the
download portal — started together, announced in the discovery file (flows/service.py) once all of them
answer, and stopped together.

The Prefect server and the runner are child processes, each the leader of a session of its own: a Ctrl-C
in the terminal reaches only this process, which stops them in order (the runner, then the server), and
stopping a child's process group also stops the flow runs the runner started. Linux also stops them if
this process is killed outright (PR_SET_PDEATHSIG). Their output goes to log files under PREFECT_HOME,
not to the terminal. The portal is served here, in the foreground.

A stop signal is noted by its handler and acted on between the steps of the start (`StopRequest`), never
raised wherever the main thread happens to be: raised inside `subprocess.Popen`, between the fork and the
return, it left a Prefect server running that nothing would stop; raised inside a library's fork hook,
Python printed and dropped it, and the service kept running.

The Prefect API the service starts asks for credentials (HTTP basic authentication, Prefect's auth
string): only this process, its children and the `fir` commands that read the secret file hold them
(flows/service.py, `api_auth_string`).

Nothing here imports Prefect: this process only starts, watches and stops its children, and serves the
portal. What it asks the Prefect API about its deployments and their runs is flows/service_api.py.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from flows import service, service_api
from flows.service import ServiceError, ServiceStopped
from flows.service_api import mark_interrupted_runs, served_deployments

SERVER_LOG = "fir-service-prefect.log"
RUNNER_LOG = "fir-service-runner.log"
# A fresh PREFECT_HOME needs ≈ 20 s of database set-up, and the runner imports the whole flow: generous
# bounds, for a loaded 2-core machine.
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0
# How often the runner asks for runs to start: a run launched from the portal starts within this time.
RUNNER_POLL_S = "2"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """SIGTERM, SIGHUP or Ctrl-C received: stop (a BaseException, like KeyboardInterrupt, so that no
    `except Exception` on the way swallows it)."""


class StopRequest:
    """Stop signals noted by their handler, acted on by `check` between steps.

    A handler that raises does so at whatever bytecode the main thread runs next. During a start that is
    often inside `subprocess.Popen`: between its fork and its return the exception loses the child (started,
    never stopped: it outlived `fir serve`), and inside a fork hook of logging or filelock, Python reports
    the exception as « ignored » and goes on (the service then never stops). Noting the signal and checking
    it where nothing is half-done has neither fault."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.signum = self.signum or signum

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def check(self) -> None:
        """Raise Stopped if a stop signal came: call it where every child started is already registered."""
        if self.signum is not None:
            raise Stopped(self.signum)

    def listen(self, stack: ExitStack) -> None:
        """Note SIGINT, SIGTERM and SIGHUP from now on; the previous handlers come back as `stack` unwinds."""
        for signum in (signal.SIGINT, *STOP_SIGNALS):
            previous = signal.signal(signum, self.note)
            if previous is not None:
                stack.callback(signal.signal, signum, previous)


def _never_stopped() -> None:
    pass


@dataclass
class Child:
    """A part of the service running in a child process."""

    name: str  # for messages, in French: « le serveur Prefect »
    process: subprocess.Popen[bytes]
    log: Path


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to send SIGTERM to the child if this process dies (even SIGKILLed)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: nothing to load after the fork
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    parent = os.getpid()

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request: nobody would stop this child
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


def start_child(name: str, command: list[str], env: dict[str, str], log: Path) -> Child:
    """Start `command` in a session of its own, its output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),  # one C call between fork and exec, no Python state
        )
    return Child(name, process, log)


def _signal_group(group: int, signum: int) -> bool:
    """Send `signum` to a process group; False when the group has no process left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # only zombies left, waiting for their new parent to collect them
        return False
    return True


def stop_child(child: Child, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop a child and everything it started: SIGTERM to its process group, SIGKILL after `timeout`."""
    group = child.process.pid  # the leader of its own session and group
    _signal_group(group, signal.SIGTERM)
    try:
        child.process.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        child.process.wait()
    deadline = time.monotonic() + 5  # the flow runs it started, if any, had the same SIGTERM
    while _signal_group(group, 0) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _signal_group(group, signal.SIGKILL):
        deadline = time.monotonic() + 5  # a killed process takes a moment to go: gone when this returns
        while _signal_group(group, 0) and time.monotonic() < deadline:
            time.sleep(0.05)


def listen(host: str, port: int) -> socket.socket:
    """The portal's listening socket, bound now so that a busy port is said before anything starts."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reasons = {
            errno.EADDRINUSE: "le port est déjà utilisé, par un autre service FIR ou un autre programme",
            errno.EACCES: "droit refusé : un port inférieur à 1024 demande des droits d'administration",
            errno.EADDRNOTAVAIL: "cette machine n'a pas cette adresse",
        }
        reason = reasons.get(exc.errno or 0, "adresse inconnue" if isinstance(exc, socket.gaierror) else exc.strerror)
        raise ServiceError(
            f"le portail ne peut pas écouter sur {host}:{port} ({reason}) : choisir un autre port (--port) "
            "ou une autre adresse (--host)."
        ) from None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_until_healthy(
    child: Child, api_url: str, timeout: float = START_TIMEOUT_S, check: Callable[[], None] = _never_stopped
) -> None:
    """Wait for the Prefect API to answer; a server that exits or stays silent is a ServiceError."""
    deadline = time.monotonic() + timeout
    while not service.api_answers(api_url, timeout=2):
        check()
        if child.process.poll() is not None:
            raise ServiceError(
                f"{child.name} s'est arrêté au démarrage (code {child.process.returncode}). "
                f"Voir son journal : {child.log}"
            )
        if time.monotonic() > deadline:
            raise ServiceError(f"{child.name} ne répond pas après {timeout:.0f} s. Voir son journal : {child.log}")
        time.sleep(0.5)


@contextmanager
def prefect_server_process(
    port: int, auth: str, home: Path | None = None, check: Callable[[], None] = _never_stopped
) -> Iterator[tuple[str, Child]]:
    """A local Prefect server (its scheduler creates the annual runs) for as long as this runs: its API URL
    and its process. Its API asks for `auth` (Prefect's basic authentication, « user:password »), given
    to it in its environment (never on its command line, which any user of the machine can read)."""
    if not _port_free(port):
        raise ServiceError(
            f"le port {port} du serveur Prefect est déjà utilisé (un autre serveur Prefect ?) : en choisir un "
            "autre (fir serve --prefect-port), ou donner l'adresse d'un serveur existant dans PREFECT_API_URL."
        )
    log = (home if home is not None else service.prefect_home()) / SERVER_LOG
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(service.auth_environment(auth))
    env["PREFECT_SERVER_API_AUTH_STRING"] = auth
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    child = start_child("le serveur Prefect", command, env, log)
    try:
        url = f"http://127.0.0.1:{port}/api"
        wait_until_healthy(child, url, check=check)
        yield url, child
    finally:
        stop_child(child)


def wait_for_deployments(
    runner: Child,
    api_url: str,
    auth: str | None,
    timeout: float = START_TIMEOUT_S,
    check: Callable[[], None] = _never_stopped,
) -> dict[str, dict[str, Any]]:
    """Wait until the runner has registered both deployments and polls for their runs."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    deadline = time.monotonic() + timeout
    while True:
        check()
        try:
            served = served_deployments(api_url, since, auth)
        except (OSError, ValueError):
            served = None
        if served is not None:
            return served
        if runner.process.poll() is not None:
            raise ServiceError(
                f"{runner.name} s'est arrêté au démarrage (code {runner.process.returncode}). "
                f"Voir son journal : {runner.log}"
            )
        if time.monotonic() > deadline:
            raise ServiceError(
                f"{runner.name} n'a pas publié les déploiements après {timeout:.0f} s. Voir son journal : {runner.log}"
            )
        time.sleep(0.5)


def serve_portal(
    listener: socket.socket,
    outputs: Path,
    watched: list[Child],
    on_ready: Callable[[], None],
    inputs: Path | None = None,
    stop: StopRequest | None = None,
) -> None:
    """Serve the portal on `listener` until stopped; `on_ready` once it accepts requests. A watched child
    that exits stops the portal too (ServiceError): half a service must not look like a whole one. A stop
    noted in `stop` (before uvicorn takes the signals over, or after) stops it too (Stopped)."""
    import uvicorn

    from flows.portal.web import create_app

    class Portal(uvicorn.Server):
        failed: Child | None = None

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and not self.should_exit:
                on_ready()

        async def on_tick(self, counter: int) -> bool:
            if counter % 10 == 0 and self.failed is None:  # once a second
                self.failed = next((child for child in watched if child.process.poll() is not None), None)
                self.should_exit = self.should_exit or self.failed is not None
            self.should_exit = self.should_exit or (stop is not None and stop.requested)
            return await super().on_tick(counter)

    from flows.portal import integrity, proxies

    try:  # proxy headers believed from the operator's proxies only (FIR_TRUSTED_PROXIES), never by default
        options = proxies.server_options()
    except proxies.BadProxySetting as exc:
        raise ServiceError(str(exc)) from None
    app = create_app(outputs, inputs)
    portal = Portal(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=5, **options))
    # The published files' SHA-256, read whole now and once a day (a damaged file is refused and told).
    stop_checks = threading.Event()
    integrity.watch(app.state.portal.verifier, stop_checks, integrity.check_interval())
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again once done (noted by
    # `stop`, or raised by the default handlers); SIGHUP is handed to it as a SIGTERM, so that it too stops
    # the portal cleanly and ends in Stopped.
    previous = signal.signal(signal.SIGHUP, lambda signum, frame: portal.handle_exit(signal.SIGTERM, frame))
    try:
        portal.run(sockets=[listener])
    finally:
        stop_checks.set()
        signal.signal(signal.SIGHUP, previous)
    if portal.failed is not None:
        code = portal.failed.process.returncode
        raise ServiceStopped(f"{portal.failed.name} s'est arrêté (code {code}). Voir son journal : {portal.failed.log}")
    if stop is not None:
        stop.check()


def _ignore_stop_signals() -> None:
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(signum, signal.SIG_IGN)


@dataclass(frozen=True)
class _Api:
    url: str
    auth: str | None
    secret: Path | None  # the file of `auth` when the server is ours
    server: Child | None  # the server's process when ours


def _prefect_api(stack: ExitStack, prefect_port: int, outputs: Path, home: Path, stop: StopRequest) -> _Api:
    """The Prefect API the service uses: PREFECT_API_URL (which must answer), else a server started here,
    whose API asks for the credentials kept in outputs/."""
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        if not service.api_answers(api_url, timeout=5):
            raise ServiceError(
                f"le serveur Prefect de PREFECT_API_URL ({api_url}) ne répond pas. Le démarrer, "
                "ou vider PREFECT_API_URL pour que le service démarre le sien."
            )
        return _Api(api_url, os.environ.get("PREFECT_API_AUTH_STRING") or None, None, None)
    auth = service.api_auth_string(outputs)
    print(f"Démarrage du serveur Prefect (journal : {home / SERVER_LOG})…", flush=True)
    api_url, server = stack.enter_context(prefect_server_process(prefect_port, auth, home, stop.check))
    return _Api(api_url, auth, service.api_secret_path(outputs), server)


def _say_interrupted(api: _Api, stop: StopRequest) -> None:
    """Mark the runs a stopped service left running, and say which; a failure to do so is said, and the
    service starts all the same (those runs then still show « en cours »)."""
    try:
        marked = mark_interrupted_runs(api.url, api.auth, own_server=api.server is not None)
    except (OSError, ValueError, KeyError) as exc:
        stop.check()
        print(
            f"Les constructions laissées en cours par un arrêt précédent n'ont pas pu être vérifiées ({exc}) : "
            "elles restent affichées « en cours ». Redémarrer le service pour réessayer.",
            file=sys.stderr,
            flush=True,
        )
        return
    if marked:
        print(
            f"{len(marked)} construction(s) laissée(s) en cours par l'arrêt précédent du service, marquée(s) "
            f"« interrompue » : {', '.join(marked)}",
            flush=True,
        )


def run(host: str, port: int, prefect_port: int, inputs: Path, outputs: Path) -> None:
    """Start the Prefect server (unless PREFECT_API_URL names one), the runner and the portal; announce
    them in the discovery file; serve until Ctrl-C, SIGTERM or SIGHUP (Stopped); then stop everything this
    started and remove the file. A part that cannot start is a ServiceError."""
    home = service.prefect_home()
    other = service.running_service(home)
    if other is not None:
        raise ServiceError(
            f"un service FIR tourne déjà avec {home} (processus {other.pid}, portail "
            f"{other.portal_url}). L'arrêter d'abord, ou lancer celui-ci avec un autre PREFECT_HOME."
        )
    try:
        from flows.portal.proxies import BadProxySetting, trusted_proxies

        trusted_proxies()  # a wrong setting is said before anything starts
    except BadProxySetting as exc:
        raise ServiceError(str(exc)) from None
    inputs, outputs = inputs.absolute(), outputs.absolute()
    stop = StopRequest()
    with ExitStack() as stack:
        stop.listen(stack)
        listener = stack.enter_context(listen(host, port))
        portal_url = f"http://{host}:{port}/"

        api = _prefect_api(stack, prefect_port, outputs, home, stop)
        watched = [api.server] if api.server else []
        ui_url = api.url.rstrip("/").removesuffix("/api")
        stop.check()
        _say_interrupted(api, stop)

        env = dict(os.environ)
        env["PREFECT_API_URL"] = api.url
        if api.server is not None:
            env.update(service.auth_environment(api.auth or ""))
        env.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", RUNNER_POLL_S)
        # Staff links in the runs' artifacts and e-mails lead here unless FIR_PORTAL_URL gives the public
        # address; a brochure prints FIR_PORTAL_URL only (validate/address.py), never this listening address.
        env["FIR_SERVICE_URL"] = portal_url.rstrip("/")
        command = [sys.executable, "-m", "flows.deploy", "--inputs", str(inputs), "--outputs", str(outputs)]
        runner = start_child("l'exécuteur des déploiements", command, env, home / RUNNER_LOG)
        stack.callback(stop_child, runner)  # unwound before the server's stop: it talks to the server until it ends
        watched.append(runner)
        served = wait_for_deployments(runner, api.url, api.auth, check=stop.check)

        def ready() -> None:
            info = service.ServiceInfo(
                pid=os.getpid(),
                host=socket.gethostname(),
                api_url=api.url,
                ui_url=ui_url,
                portal_url=portal_url,
                outputs=str(outputs),
                started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                api_auth_file=str(api.secret or ""),
            )
            path = service.write_discovery(info, home)
            print(f"Portail : {portal_url} (publications de {outputs})")
            print(f"Prefect : API {api.url}, interface {ui_url}")
            if api.secret is not None:  # where to find what Prefect's interface asks, never the secret itself
                print(f"  L'interface Prefect demande « fir:SECRET », SECRET étant le contenu de {api.secret}.")
            print(f"Déploiements : {service_api.describe(served)} ; données de {inputs} (journal : {runner.log})")
            print(f"Service prêt (processus {os.getpid()}), annoncé dans {path}. Ctrl-C pour arrêter.", flush=True)

        stack.callback(service.remove_discovery, os.getpid(), home)
        # What decisions and drafts owe (e-mails, artifacts) and could not send at once: sent from here,
        # retried until delivered (flows/notices/outbox.py).
        from flows.edition.publish import store
        from flows.notices import outbox

        sending = threading.Event()
        stack.callback(sending.set)
        outbox.keep_delivering(store.open_catalogue(outputs).engine, sending)
        stack.callback(_ignore_stop_signals)  # unwound first: a second Ctrl-C must not cut the clean-up short
        serve_portal(listener, outputs, watched, ready, inputs, stop)

"""How every `fir` command finds the agency's running service (`fir serve`), without asking anyone.

Without a Prefect API configured, each command pays Prefect's temporary server (≈ 6 s). `fir serve` runs
one Prefect server for the agency and says where in a small file, `$PREFECT_HOME/fir-service.json`,
written once everything answers and removed when it stops. A command reads it before Prefect loads its
settings (Prefect reads PREFECT_API_URL once, when first imported) and, if the service is alive and
answers, points PREFECT_API_URL at it. A file left by a service that died (killed, machine restarted) is
ignored: the command then works as it would without a service.

The service's Prefect API asks for credentials (Prefect's HTTP basic authentication): a secret generated
once into `outputs/.prefect-api-secret` (mode 0600, beside the portal's secret), given to the server, the
runner and its runs in their environment, and read from that file by a command that uses the service
(PREFECT_API_AUTH_STRING). A user who cannot read the file cannot start runs through the API.

Imported by every command: standard library only, and nothing is imported until a file is found.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import secrets
import socket
import stat
import tempfile
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DISCOVERY_NAME = "fir-service.json"
HEALTH_TIMEOUT_S = 1.0
API_SECRET_FILE = ".prefect-api-secret"
API_USER = "fir"
# The state message of a run that a stopped service left running, set by the next start (flows/supervisor.py).
INTERRUPTED_BY_STOP = (
    "Le service FIR s'est arrêté pendant cette construction (arrêt brutal ou redémarrage de la machine) : "
    "elle n'est pas allée au bout."
)


class ServiceError(Exception):
    """A part of the service could not start: the message, in French, says which and what to do."""

    headline = "Impossible de démarrer le service"


class ServiceStopped(ServiceError):
    """A part of the running service stopped by itself: the service stops too, rather than run half-way."""

    headline = "Service arrêté"


@dataclass(frozen=True)
class ServiceInfo:
    """What the discovery file says about a running service."""

    pid: int
    host: str  # the machine's name: a pid means nothing on another machine sharing PREFECT_HOME
    api_url: str
    ui_url: str
    portal_url: str
    outputs: str
    started_at: str
    api_auth_file: str = ""  # the file of the API's credentials; "" when the API is not the service's own


def prefect_home(environ: Mapping[str, str] = os.environ) -> Path:
    """PREFECT_HOME as Prefect resolves it (`Settings.home`: the variable, else ~/.prefect, `~` expanded),
    without importing Prefect, which takes seconds."""
    return Path(environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def discovery_path(home: Path | None = None) -> Path:
    return (home if home is not None else prefect_home()) / DISCOVERY_NAME


def write_discovery(info: ServiceInfo, home: Path | None = None) -> Path:
    """Write the discovery file atomically: a reader sees the previous file or the whole new one."""
    path = discovery_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, aside = tempfile.mkstemp(prefix=f".{DISCOVERY_NAME}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(dataclasses.asdict(info), file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(aside, path)
    except BaseException:
        Path(aside).unlink(missing_ok=True)
        raise
    return path


def read_discovery(home: Path | None = None) -> ServiceInfo | None:
    """The discovery file's content, or None when there is none or it cannot be read."""
    try:
        data = json.loads(discovery_path(home).read_text(encoding="utf-8"))
        return ServiceInfo(**{f.name: data[f.name] for f in dataclasses.fields(ServiceInfo)})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def remove_discovery(pid: int, home: Path | None = None) -> None:
    """Remove the discovery file if it is the one service `pid` wrote (never another service's)."""
    info = read_discovery(home)
    if info is not None and info.pid == pid:
        discovery_path(home).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    if pid <= 0:  # 0 and negative numbers name process groups, not a process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def api_answers(api_url: str, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """True when `GET {api_url}/health` answers 200 within `timeout` seconds."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (OSError, ValueError):  # refused, timed out, HTTP error, malformed URL
        return False


def running_service(home: Path | None = None) -> ServiceInfo | None:
    """The service the discovery file names if it runs on this machine and its API answers, else None."""
    info = read_discovery(home)
    if info is None or info.host != socket.gethostname() or not pid_alive(info.pid):
        return None
    return info if api_answers(info.api_url) else None


def use_running_service(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Point Prefect at the running service, if any: sets PREFECT_API_URL (and PREFECT_API_AUTH_STRING, its
    credentials) and returns the URL.

    Call it before anything imports Prefect. A PREFECT_API_URL set by hand wins (nothing is read); a stale
    discovery file, or a service whose secret this user cannot read, is ignored, silently: the command then
    starts Prefect's temporary server as before.
    """
    if environ.get("PREFECT_API_URL"):
        return None
    found = service_api(prefect_home(environ))
    if found is None:
        return None
    url, auth = found
    environ["PREFECT_API_URL"] = url
    if auth is not None:
        environ["PREFECT_API_AUTH_STRING"] = auth
    return url


def protect_temporary_server(environ: MutableMapping[str, str] = os.environ) -> None:
    """Without an API to use, Prefect starts a temporary server for the command on a loopback port: give it
    credentials too (a secret for this command only, in the environment its server inherits), so that no
    other user of the machine can use it while the command runs. Call it before anything imports Prefect,
    after `use_running_service`."""
    if environ.get("PREFECT_API_URL"):
        return
    auth = environ.get("PREFECT_API_AUTH_STRING") or new_auth_string()
    environ["PREFECT_API_AUTH_STRING"] = auth
    environ["PREFECT_SERVER_API_AUTH_STRING"] = auth


def service_api(home: Path | None = None) -> tuple[str, str | None] | None:
    """The running service's API URL and auth string (None when its API is not its own), or None when no
    service runs or its secret cannot be read."""
    info = running_service(home)
    if info is None:
        return None
    if not info.api_auth_file:
        return info.api_url, None
    auth = read_api_auth(Path(info.api_auth_file))
    return None if auth is None else (info.api_url, auth)


def client_api(environ: Mapping[str, str] = os.environ) -> tuple[str, str | None] | None:
    """The API a process outside a run talks to (the portal, `fir approve`): PREFECT_API_URL with
    PREFECT_API_AUTH_STRING as set, else the running service's; None when there is none."""
    if configured := environ.get("PREFECT_API_URL", "").strip():
        return configured, environ.get("PREFECT_API_AUTH_STRING") or None
    return service_api(prefect_home(environ))


# --- the API's credentials ------------------------------------------------------------------------------------


def api_secret_path(outputs: Path) -> Path:
    return outputs / API_SECRET_FILE


def api_auth_string(outputs: Path) -> str:
    """The credentials of the Prefect API a service (or `fir national`) starts: « fir:SECRET », the secret
    generated once into outputs/.prefect-api-secret, readable by its owner only.

    The file is written aside then linked in place: a process that finds it reads the whole secret, and of
    two processes creating it at once, one secret wins and both use it. A file whose mode was loosened is
    put back to 0600."""
    path = api_secret_path(outputs)
    outputs.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        handle, aside = tempfile.mkstemp(prefix=f"{API_SECRET_FILE}.", dir=outputs)  # mode 0600
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process made it first: its secret wins
                os.link(aside, path)
        finally:
            Path(aside).unlink(missing_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        path.chmod(0o600)
    auth = read_api_auth(path)
    if auth is None:
        raise OSError(f"secret illisible : {path}")
    return auth


def new_auth_string() -> str:
    """Credentials for a Prefect server that lives as long as one command (`fir national`): only that
    command and the workers it starts (its environment) hold them."""
    return f"{API_USER}:{secrets.token_urlsafe(32)}"


def read_api_auth(path: Path) -> str | None:
    """The auth string kept in `path`, or None when it cannot be read (another user's, missing, empty)."""
    try:
        secret = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    return f"{API_USER}:{secret}" if secret else None


# What Prefect's own client retries: the server busy (its SQLite database locked: 503 under load), or a
# proxy in between; with growing delays, about 15 s in all.
RETRIED_STATUSES = frozenset({429, 502, 503})


def api_call(
    url: str, body: Any = None, auth: str | None = None, method: str = "POST", timeout: float = 5.0, attempts: int = 6
) -> Any:
    """A JSON request to a Prefect API with its credentials: the answer's JSON (None when empty). Retried
    on the statuses Prefect's client retries; any other refusal (401, 404…) is raised at once (HTTPError)."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **auth_headers(auth)}
    for attempt in range(attempts):
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
            return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED_STATUSES or attempt == attempts - 1:
                raise
            exc.close()
        time.sleep(min(0.5 * 2**attempt, 8.0))
    raise AssertionError("unreachable")


def auth_headers(auth: str | None) -> dict[str, str]:
    """The HTTP header that carries Prefect's basic authentication (none without credentials)."""
    if not auth:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode("ascii")}


def auth_environment(auth: str) -> dict[str, str]:
    """What a child that talks to the API needs in its environment (Prefect's clients read it)."""
    return {"PREFECT_API_AUTH_STRING": auth}

"""How every `fir` command finds the agency's running service (`fir serve`), without asking anyone.

Without a Prefect API configured, each command pays Prefect's temporary server (≈ 6 s). `fir serve` runs
one Prefect server for the agency and says where in a small file, `$PREFECT_HOME/fir-service.json`,
written once everything answers and removed when it stops. A command reads it before Prefect loads its
settings (Prefect reads PREFECT_API_URL once, when first imported) and, if the service is alive and
answers, points PREFECT_API_URL at it. A file left by a service that died (killed, machine restarted) is
ignored: the command then works as it would without a service.

Imported by every command: standard library only, and nothing is imported until a file is found.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

DISCOVERY_NAME = "fir-service.json"
HEALTH_TIMEOUT_S = 1.0


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
    """Point Prefect at the running service, if any: sets PREFECT_API_URL and returns it.

    Call it before anything imports Prefect. A PREFECT_API_URL set by hand wins (nothing is read); a stale
    discovery file is ignored, silently: the command then starts Prefect's temporary server as before.
    """
    if environ.get("PREFECT_API_URL"):
        return None
    info = running_service(prefect_home(environ))
    if info is None:
        return None
    environ["PREFECT_API_URL"] = info.api_url
    return info.api_url

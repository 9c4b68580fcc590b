"""A build's mark, from just before its draft's commit to its last step (the approvers told, the report,
the clean-up): `.constructions/r<N>.json` in the edition's folder, naming the process. A build killed in
between (SIGKILL, the machine stopped) leaves it behind: the next command and the portal then say that
draft rN was recorded by an interrupted build, and what to do. A build that fails with an error removes
its mark (the error is said then); a mark whose draft is no longer pending, or was never recorded, is
removed by the next recovery.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

FOLDER = ".constructions"
_NAME = re.compile(r"^r(\d+)\.json$")
OTHER_HOST_S = 3600.0  # a mark of another machine's build (a shared folder) is believed after an hour


def begin(edition_dir: Path, number: int) -> Path:
    """Mark the build of draft `number` as running; the mark's path, for `end`."""
    folder = edition_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    mark = folder / f"r{number}.json"
    pid = os.getpid()
    said = {"pid": pid, "started": _started(pid), "host": socket.gethostname(), "at": time.time()}
    mark.write_text(json.dumps(said), "utf-8")
    return mark


def end(mark: Path) -> None:
    """The build went through its last step, or failed and said so: no mark."""
    mark.unlink(missing_ok=True)


def interrupted(edition_dir: Path, pending: set[int], clear: bool = False) -> list[int]:
    """The drafts among `pending` whose build left its mark and no longer runs. `clear`: also remove the
    marks of dead builds whose draft is not pending (never recorded, or decided since)."""
    folder = edition_dir / FOLDER
    found = []
    for mark in sorted(folder.glob("r*.json")) if folder.is_dir() else ():
        matched = _NAME.match(mark.name)
        if matched is None or _running(mark):
            continue
        number = int(matched.group(1))
        if number in pending:
            found.append(number)
        elif clear:
            mark.unlink(missing_ok=True)
    if clear and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return sorted(found)


def _running(mark: Path) -> bool:
    try:
        data = json.loads(mark.read_text("utf-8"))
        pid, host, at = int(data["pid"]), str(data["host"]), float(data["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return False  # half written: its build died as it began
    if host != socket.gethostname():
        return time.time() - at < OTHER_HOST_S
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return data.get("started") in (None, _started(pid))  # the same process, not another given its number since


def _started(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot, Linux's /proc): a number reused later differs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def message(region: str, year: int, number: int, outputs: Path | None = None) -> str:
    """What the staff are told about draft `number` recorded by an interrupted build, in French."""
    from flows.commands import suggest

    approve = suggest("approve", region, year, number, "--comment", "relu", outputs=outputs)
    reject = suggest("reject", region, year, number, "--comment", "construction interrompue", outputs=outputs)
    return (
        f"le projet r{number} de {region} {year} a été enregistré par une construction interrompue avant sa fin "
        "(processus arrêté) : il est complet, mais les approbateurs n'en ont peut-être pas été prévenus. "
        f"Le relire (portail ou projets/r{number}/), puis l'approuver (« {approve} ») ou le rejeter "
        f"(« {reject} ») ; ou relancer la construction"
    )

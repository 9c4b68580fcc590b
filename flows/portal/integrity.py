"""The published files the portal serves are the bytes that were approved, or nothing: every download reads
an object whose SHA-256 the catalogue recorded. `fir serve` reads them all whole at start and once a day
(`watch`); between two passes a file is served while it is the same file (inode, size, times) as when its
SHA-256 was last found right, and read whole again otherwise. A file that does not match is refused (a
French page, 503), told once per damage to the admins (an audit line and an e-mail) with how to restore it:
`fir repair` copies it back from an intact copy of outputs/, or names the file to take from a backup.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from flows.commands import suggest
from flows.edition.publish import objects, views
from flows.edition.publish.store import Catalogue

DAY_S = 86400.0
ACTOR = "service"  # who writes the audit line of a check: the service itself
log = logging.getLogger("fir.integrity")


@dataclass(frozen=True)
class Damage:
    """A published file whose bytes are not the ones recorded."""

    region: str
    year: int
    revision: int
    role: str
    path: Path

    def said(self) -> str:
        return f"{self.region} {self.year}, révision {self.revision} : {ROLE_NAMES.get(self.role, self.role)}"

    def describe(self) -> str:
        return f"{self.said()} ({self.path})"


ROLE_NAMES = {
    "pdf": "brochure",
    "archive": "copie d'archivage",
    "print": "fichier pour l'imprimeur",
    "web": "version web",
    "data": "données ouvertes",
    "draft": "copie marquée du projet",
}


class FileDamaged(Exception):
    """A download refused: its file is not the one published (the portal shows a 503 page)."""

    def __init__(self, damage: Damage):
        super().__init__(damage.describe())
        self.damage = damage


_Signature = tuple[int, int, int, int]


class Verifier:
    """What the portal knows of the published files' integrity (one per portal, shared by its threads)."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self._good: dict[Path, _Signature] = {}
        self._told: dict[Path, tuple[_Signature | None, Damage]] = {}  # damage already reported, as it was then
        self._lock = threading.Lock()

    def served(self, region: str, year: int, revision: int, role: str, digest: str) -> Path:
        """The object to serve for a published file; FileDamaged when its bytes are not `digest`'s."""
        path = self.catalogue.object_file(region, year, digest)
        if not self._intact(path, digest):
            damage = Damage(region, year, revision, role, path)
            self._report([damage])
            raise FileDamaged(damage)
        return path

    def check_all(self) -> list[Damage]:
        """Read every published file of every edition whole; the damaged ones, reported (once each)."""
        found = []
        for region, year in self.catalogue.editions():
            history = self.catalogue.history(region, year)
            for entry in history["revisions"] if history else ():
                for role, file in views.published_files(entry).items():
                    path = self.catalogue.object_file(region, year, file["sha256"])
                    if not self._intact(path, file["sha256"], force=True):
                        found.append(Damage(region, year, entry["revision"], role, path))
        self._report(found)
        return found

    def damaged(self) -> list[str]:
        """The files found damaged and not found right since, in words (for the staff's dashboard)."""
        with self._lock:
            found = [damage for _, damage in self._told.values()]
        return [d.said() for d in sorted(found, key=lambda d: (d.region, d.year, d.revision, d.role))]

    def _intact(self, path: Path, digest: str, force: bool = False) -> bool:
        signature = _signature(path)
        if signature is None:
            return False
        with self._lock:
            if not force and self._good.get(path) == signature:
                return True
        good = objects.file_sha256(path) == digest and _signature(path) == signature
        with self._lock:
            if good:
                self._good[path] = signature
                self._told.pop(path, None)
            else:
                self._good.pop(path, None)
        return good

    def _report(self, found: list[Damage]) -> None:
        """An audit line per newly damaged file and one e-mail to the admins listing them."""
        new = []
        with self._lock:
            for damage in found:
                signature = _signature(damage.path)
                if damage.path in self._told and self._told[damage.path][0] == signature:
                    continue  # told already, and unchanged since
                self._told[damage.path] = (signature, damage)
                new.append(damage)
        if not new:
            return
        from flows.notices import audit, notify, outbox

        repair = suggest("repair", outputs=self.catalogue.outputs, anywhere=True)
        with self.catalogue.engine.begin() as conn:  # the audit lines and the admins' notice, together
            for damage in new:
                log.error("Fichier publié altéré, plus servi : %s", damage.describe())
                audit.record(
                    conn,
                    ACTOR,
                    audit.command_line_address(),
                    audit.INTEGRITY,
                    f"{damage.region} {damage.year} r{damage.revision}",
                    audit.FAILED,
                    f"{ROLE_NAMES.get(damage.role, damage.role)} : SHA-256 différent de celui publié, fichier plus "
                    f"servi ({damage.path.name})",
                )
            outbox.enqueue(conn, notify.files_damaged(conn, [d.describe() for d in new], repair))
        outbox.deliver(self.catalogue.engine)


def _signature(path: Path) -> _Signature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns


def watch(verifier: Verifier, stop: threading.Event, every_s: float = DAY_S) -> threading.Thread:
    """Check every published file now and then every `every_s` seconds, until `stop` is set."""

    def run() -> None:
        while not stop.is_set():
            try:
                verifier.check_all()
            except Exception:  # a database briefly unreachable: said, and tried again at the next pass
                log.exception("Contrôle des fichiers publiés impossible")
            stop.wait(every_s)

    thread = threading.Thread(target=run, name="fir-integrity", daemon=True)
    thread.start()
    return thread


def check_interval() -> float:
    """Seconds between two checks: a day, unless FIR_INTEGRITY_CHECK_S says otherwise (tests, operators)."""
    try:
        return max(1.0, float(os.environ.get("FIR_INTEGRITY_CHECK_S") or DAY_S))
    except ValueError:
        return DAY_S

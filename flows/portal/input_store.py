"""The editors' pages' one door to the input versions kept in the store (flows/edition/publish/input_versions.py):
every call the portal makes to them is here, so the pages depend on one small surface.

The store of versions records each change of an edition's inputs as a version of the whole input set (who,
when, from where, a message); `save` writes the working copy under the edition's lock after recording a file
changed on disk as its own version (the system user's), and refuses a change made from an older version
than the latest that touched the same file (SaveConflict).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from flows.edition.publish import input_versions
from flows.edition.publish.errors import LockTimeout
from flows.edition.publish.input_versions import InputVersion
from flows.notices import audit
from flows.portal import lanes

DISK = "fichiers du serveur"  # a change found on disk: recorded as the system user's before a portal's
CHANGED = "modifié sur le disque"


@dataclass(frozen=True)
class Who:
    """Who makes a version from the portal: the account, and where from (« portail (adresse) »)."""

    name: str
    address: str

    @property
    def origin(self) -> str:
        return f"portail ({self.address})"


class StoreUnavailable(Exception):
    """The edition's inputs stayed locked by another save for longer than a request waits: nothing was
    written."""


BUSY = (
    "les données de l'édition sont en cours d'enregistrement par quelqu'un d'autre : rien n'a été enregistré, "
    "réessayez dans un instant"
)

SaveConflict = input_versions.SaveConflict


@contextmanager
def _unlocked() -> Iterator[None]:
    """The store's lock waited for too long: said in French, as a StoreUnavailable."""
    try:
        yield
    except LockTimeout:
        raise StoreUnavailable(BUSY) from None


def recorded_version(entry: Mapping[str, Any]) -> int | None:
    """The input version a revision was built from, as its record names it (None: built before versions were
    recorded)."""
    found = entry.get("input_version")
    if isinstance(found, Mapping):
        found = found.get("number")
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def key(region: str, year: int, name: str) -> str:
    """A file's name in a version: its path relative to inputs/."""
    return f"{region}/{year}/{name}"


def versions(engine: Engine, outputs: Path, region: str, year: int) -> list[InputVersion]:
    """The edition's versions, oldest first."""
    return list(input_versions.versions(engine, outputs, region, year))


def contents(engine: Engine, outputs: Path, region: str, year: int, number: int) -> dict[str, bytes]:
    """Version `number`'s files, by path relative to inputs/."""
    return dict(input_versions.contents(outputs, input_versions.version(engine, outputs, region, year, number)))


def compared(engine: Engine, outputs: Path, region: str, year: int, old: int, new: int) -> dict[str, Any]:
    """What a page shows of the changes from version `old` to version `new`: the differences (`found`,
    `empty` when there are none), or why they cannot be shown (`missing`)."""
    before, after = contents(engine, outputs, region, year, old), contents(engine, outputs, region, year, new)
    try:
        found = lanes.diff_inputs(before, after)
    except lanes.Missing as exc:
        return {"old": old, "new": new, "missing": str(exc)}
    return {"old": old, "new": new, "found": found, "empty": not found}


def current(engine: Engine, outputs: Path, inputs: Path, region: str, year: int) -> InputVersion:
    """The latest version, the working copy recorded first (as the system user's) when it changed on disk
    since, or when nothing was recorded yet: the version a form is based on."""
    first = not input_versions.versions(engine, outputs, region, year)
    message = "fichiers de l'édition tels qu'ouverts pour la première fois dans le portail" if first else CHANGED
    with _unlocked():
        return input_versions.record_working_copy(
            engine, outputs, inputs, region, year, audit.system_user(), DISK, message
        )


def base_version(engine: Engine, outputs: Path, inputs: Path, region: str, year: int) -> int:
    """The number a form is based on (`current`'s); the latest recorded while another save holds the lock."""
    try:
        return int(current(engine, outputs, inputs, region, year).number)
    except StoreUnavailable:
        found = versions(engine, outputs, region, year)
        return int(found[-1].number) if found else 0


def record(engine: Engine, outputs: Path, inputs: Path, region: str, year: int, who: Who, message: str) -> InputVersion:
    """The working copy as it is now, recorded as `who`'s (a new version only when it changed)."""
    with _unlocked():
        return input_versions.record_working_copy(engine, outputs, inputs, region, year, who.name, who.origin, message)


def save(
    engine: Engine,
    outputs: Path,
    inputs: Path,
    region: str,
    year: int,
    changes: dict[str, bytes | None],
    base: int,
    who: Who,
    message: str,
) -> InputVersion:
    """Write `changes` (paths relative to inputs/, None: removed) as a new version made from `base`;
    SaveConflict when one of them changed since."""
    with _unlocked():
        return input_versions.save(
            engine, outputs, inputs, region, year, changes, base, who.name, who.origin, message, audit.system_user()
        )


def restore(engine: Engine, outputs: Path, inputs: Path, region: str, year: int, number: int, who: Who) -> InputVersion:
    """Version `number` made the working copy again, as a new version."""
    with _unlocked():
        return input_versions.restore(
            engine, outputs, inputs, region, year, number, who.name, who.origin, audit.system_user()
        )

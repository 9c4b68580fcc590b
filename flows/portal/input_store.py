"""The editors' pages' one door to the input versions kept in the store (flows/edition/publish/input_versions.py):
every call the portal makes to them is here, so the pages depend on one small surface.

The store of versions records each change of an edition's inputs as a version of the whole input set (who,
when, from where, a message); `save` writes the working copy under the edition's lock after recording a file
changed on disk as its own version (the system user's), and refuses a change made from an older version
than the latest that touched the same file (SaveConflict).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

ORIGIN = "portail"  # where a version made from the portal comes from (the command line records its own)
UNAVAILABLE = (
    "l'historique des versions des données n'est pas disponible sur ce portail (mise à jour du service "
    "nécessaire) : rien n'a été enregistré"
)


class StoreUnavailable(Exception):
    """The running code has no store of input versions (an older installation)."""


def _module() -> ModuleType:
    try:
        return importlib.import_module("flows.edition.publish.input_versions")
    except ImportError:
        raise StoreUnavailable(UNAVAILABLE) from None


def available() -> bool:
    try:
        _module()
    except StoreUnavailable:
        return False
    return True


def conflict_type() -> type[Exception]:
    """The store's SaveConflict (a class no request can raise when the store is absent)."""
    try:
        found: type[Exception] = _module().SaveConflict
        return found
    except StoreUnavailable:
        return StoreUnavailable


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


def versions(outputs: Path, region: str, year: int) -> list[Any]:
    """The edition's versions, oldest first."""
    return list(_module().versions(outputs, region, year))


def version(outputs: Path, region: str, year: int, number: int) -> Any:
    return _module().version(outputs, region, year, number)


def contents(outputs: Path, region: str, year: int, number: int) -> dict[str, bytes]:
    return dict(_module().contents(outputs, region, year, number))


def current(outputs: Path, inputs: Path, region: str, year: int, author: str) -> Any:
    """The latest version, the working copy recorded first when it differs from it (or when nothing was
    recorded yet): the version a form is based on."""
    return _module().record_working_copy(
        outputs, inputs, region, year, author, ORIGIN, "état des fichiers de l'édition à l'ouverture d'une page"
    )


def record(outputs: Path, inputs: Path, region: str, year: int, author: str, message: str) -> Any:
    """The working copy as it is now, recorded (a new version only when it changed)."""
    return _module().record_working_copy(outputs, inputs, region, year, author, ORIGIN, message)


def save(
    outputs: Path,
    inputs: Path,
    region: str,
    year: int,
    changes: dict[str, bytes | None],
    base: int,
    author: str,
    message: str,
) -> Any:
    """Write `changes` (paths relative to inputs/, None: removed) as a new version; SaveConflict when one of
    them changed since `base`."""
    return _module().save(outputs, inputs, region, year, changes, base, author, ORIGIN, message)


def restore(outputs: Path, inputs: Path, region: str, year: int, number: int, author: str) -> Any:
    """Version `number` made the working copy again, as a new version."""
    return _module().restore(outputs, inputs, region, year, number, author, ORIGIN)

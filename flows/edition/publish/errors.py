"""What can go wrong with the store that is the machine's fault, not the inputs' nor a bug: the command line
turns these into a French message and exit code 3 (flows/operations.py). Kept free of heavy imports, so
that every command can recognise them without loading the database layer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.edition.publish.manifest import RevisionEntry


class DatabaseUnavailable(Exception):
    """The catalogue's database cannot be reached or opened."""

    def __init__(self, where: str, detail: str):
        super().__init__(f"{where}: {detail}")
        self.where, self.detail = where, detail


class CatalogueDamaged(DatabaseUnavailable):
    """The catalogue's database file is damaged (SQLite: "database disk image is malformed", "file is not a
    database"): `fir repair --reconstruire-catalogue` rebuilds it from the records beside the files."""


def is_damage(detail: str) -> bool:
    """Whether a database's error says its file is damaged rather than unreachable."""
    return any(words in detail for words in ("malformed", "not a database", "file is encrypted", "corrupt"))


@dataclass(frozen=True)
class Holder:
    """Who holds an edition's lock."""

    pid: int
    host: str
    since: str  # ISO 8601

    def describe(self) -> str:
        from flows.edition.french import format_time  # when said only: this module stays light

        return f"processus {self.pid} sur {self.host}, depuis le {format_time(self.since, seconds=True)}"


class LockTimeout(Exception):
    """The edition stayed locked by another run for longer than the caller accepts to wait."""

    def __init__(self, where: str, holder: Holder | None, waited: float):
        super().__init__(where)
        self.where, self.holder, self.waited = where, holder, waited


class StoreDamaged(Exception):
    """A published file is missing or altered and nothing holds its bytes: restore a backup. Raised for a
    committed revision's file, and for a file an old outputs/ tree lists (nothing is imported then)."""

    def __init__(self, path: Path, detail: str):
        super().__init__(f"{path}: {detail}")
        self.path, self.detail = path, detail


class PrintProfileMissing(Exception):
    """The print file's CMYK output profile is not on this machine (scripts/setup.sh installs it)."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


class AfterCommit(Exception):
    """Trouble after a commit: what the catalogue now holds is true (`done`, in French: « révision 2 publiée »)
    and `step` did not complete (`cause`). Never « nothing changed »; what to do: `todo` (French), by default
    `fir repair`, which completes what is left."""

    def __init__(self, done: str, step: str, cause: BaseException, todo: str | None = None):
        super().__init__(f"{done}; {step}: {cause}")
        self.done, self.step, self.cause, self.todo = done, step, cause, todo


class ViewsNotUpdated(AfterCommit):
    """The decision or the draft is committed, but the public files (views) could not all be rewritten."""

    def __init__(self, done: str, cause: BaseException, entry: RevisionEntry | None = None):
        super().__init__(done, "fichiers publics pas tous à jour", cause)
        self.entry = entry  # the committed revision, for callers that go on

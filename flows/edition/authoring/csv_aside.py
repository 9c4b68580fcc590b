"""`fir workbook --ranger-csv`: once the workbook is the one people fill in, the CSV files of the tables it
holds leave the edition's folder for `_anciens-csv/` inside it, which the tool never reads (only the
folder's own `*.csv` files are tables). Nothing is ever deleted, and nothing is replaced: a file of the same
name already set aside stops the move before any file has moved.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flows.edition.ingest.files import present, read_input
from flows.edition.ingest.snapshot import ASIDE_FOLDER, MAX_TABLE_BYTES
from flows.edition.ingest.xlsx_cells import WORKBOOK, read_workbook


class AsideRefused(Exception):
    """The files cannot be set aside as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class Doubled:
    folder: Path  # the edition's folder
    files: tuple[Path, ...]  # CSV files of tables the workbook also holds, in the folder

    @property
    def aside(self) -> Path:
        return self.folder / ASIDE_FOLDER


def doubled_files(inputs: Path, region: str, year: int, sheets: Iterable[str] | None = None) -> Doubled:
    """The CSV files of the tables that figures.xlsx also holds (its visible table sheets, as the tool reads them;
    `sheets`: those tables, when the caller has read the workbook already)."""
    folder = inputs / region / str(year)
    workbook = folder / WORKBOOK
    if not present(workbook):
        raise AsideRefused(f"pas de classeur {workbook} : les fichiers CSV restent la source des tableaux")
    if sheets is None:
        sheets = read_workbook(read_input(workbook, inputs, MAX_TABLE_BYTES)).tables
    files = tuple(folder / f"{name}.csv" for name in sheets if present(folder / f"{name}.csv"))
    return Doubled(folder, files)


def move_aside(doubled: Doubled) -> list[Path]:
    """Move the files into the folder set aside (made if needed); the paths they now have."""
    taken = [path.name for path in doubled.files if present(doubled.aside / path.name)]
    if taken:
        raise AsideRefused(
            f"{', '.join(taken)} existe(nt) déjà dans {doubled.aside} : rien n'a été déplacé (renommer ou "
            "supprimer l'ancienne copie d'abord)"
        )
    doubled.aside.mkdir(exist_ok=True)
    moved = []
    for path in doubled.files:
        target = doubled.aside / path.name
        path.rename(target)
        moved.append(target)
    return moved


def command(inputs: Path, region: str, year: int) -> int:
    """`fir workbook --ranger-csv`: list the files, ask, move them; the exit code (0 done, 2 refused)."""
    from flows.commands import suggest

    try:
        doubled = doubled_files(inputs, region, year)
    except AsideRefused as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        return 2
    check = suggest("check", "--region", region, "--year", year, inputs=inputs)
    if not doubled.files:
        print(f"Aucun fichier CSV à ranger : {doubled.folder} n'a pas de tableau en double. Ensuite : {check}")
        return 0
    names = ", ".join(path.name for path in doubled.files)
    print(f"Fichiers CSV des tableaux que {WORKBOOK} contient aussi : {names}.")
    print(f"Les déplacer dans {doubled.aside}/ (rien n'est supprimé ; l'outil ne lit pas ce dossier) ? [o/N] ", end="")
    sys.stdout.flush()
    if sys.stdin.readline().strip().casefold() not in ("o", "oui", "y", "yes"):
        print("Rien n'a été déplacé.")
        return 2
    try:
        moved = move_aside(doubled)
    except AsideRefused as exc:
        print(f"Refusé : {exc}.", file=sys.stderr)
        return 2
    print(f"{len(moved)} fichier(s) déplacé(s) dans {doubled.aside}/. Les tableaux se lisent maintenant du classeur.")
    print(f"Ensuite : {check}")
    return 0

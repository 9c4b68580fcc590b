"""`fir new`: write a new edition's folder from the previous edition, all at once or not at all.

The files (authoring/carry_over.py) are written into a hidden folder beside the target, read back as an
incomplete edition (a bug of ours would show here, not in the user's hands), then the folder is renamed
into place: a failure leaves nothing half made. An existing edition is never touched, even partly made.
An edition kept in a workbook gets a workbook (the same `fir workbook` writes; the author's own sheets
and notes are not carried over), an edition kept in CSV files gets CSV files.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flows.commands import suggest
from flows.edition.authoring.carry_over import carry_over
from flows.edition.ingest.files import present
from flows.edition.ingest.snapshot import (
    LEDGER_NAMES,
    NOMENCLATURE,
    list_editions,
    read_edition,
    read_missions_reference,
    read_raw_tables,
)
from flows.edition.ingest.xlsx_cells import WORKBOOK
from flows.edition.validate.missing import IncompleteEdition, Todo


class NewEditionRefused(Exception):
    """The command line asks for something `fir new` will not do (the message says what instead)."""


@dataclass(frozen=True)
class Created:
    folder: Path
    source_year: int
    files: tuple[str, ...]  # paths inside the folder
    todo: Todo
    left_out: tuple[str, ...] = ()  # files of the source edition not carried over (a line-level ledger)


def source_year(inputs: Path, region: str, year: int, asked: int | None) -> int:
    """The edition to start from: `asked`, or the region's latest edition before `year`."""
    years = [y for r, y in list_editions(inputs) if r == region] if inputs.is_dir() else []
    listed = ", ".join(map(str, years)) or "aucune"
    if asked is not None:
        if asked not in years:
            raise NewEditionRefused(f"l'édition {region} {asked} n'existe pas dans {inputs} (éditions : {listed})")
        if asked >= year:
            raise NewEditionRefused(f"--from {asked} doit être une année antérieure à {year}")
        return asked
    earlier = [y for y in years if y < year]
    if not earlier:
        raise NewEditionRefused(
            f"aucune édition de {region} antérieure à {year} dans {inputs} (éditions : {listed}) : "
            "fir new part de l'édition précédente"
        )
    return max(earlier)


def create_edition(inputs: Path, region: str, year: int, asked: int | None = None) -> Created:
    """Make inputs/<region>/<year>/ from an earlier edition; refused if anything stands there."""
    target = inputs / region / str(year)
    if present(target):
        raise NewEditionRefused(f"{target} existe déjà : rien n'a été écrit (fir new ne remplace jamais une édition)")
    start = source_year(inputs, region, year, asked)
    try:
        source = read_edition(inputs, region, start)
    except IncompleteEdition as exc:
        check = suggest("check", "--region", region, "--year", start, inputs=inputs)
        raise NewEditionRefused(
            f"l'édition {region} {start} est elle-même incomplète ({exc.todo.cells} "
            f"cellule(s), {len(exc.todo.texts)} texte(s) à compléter, la liste : {check}) : la compléter d'abord, "
            "ou partir d'une autre avec --from"
        ) from None
    raws, _, _ = read_raw_tables(inputs / region / str(start), inputs)
    files = carry_over(source, raws, year)
    staging = inputs / region / f".fir-new-{year}-{os.getpid()}"
    try:
        folder = staging / region / str(year)
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        reference = read_missions_reference(inputs)
        made = read_edition(staging, region, year, reference, allow_incomplete=True)
        if present(inputs / region / str(start) / WORKBOOK):
            from flows.edition.authoring.workbook import workbook_bytes

            (folder / WORKBOOK).write_bytes(workbook_bytes(made, source, inputs))
            for name in [n for n in files if n.endswith(".csv")]:
                (folder / name).unlink()
                del files[name]
            files[WORKBOOK] = b""
            made = read_edition(staging, region, year, reference, allow_incomplete=True)
        if present(target):  # made meanwhile by someone else: still never replaced
            raise NewEditionRefused(f"{target} existe déjà : rien n'a été écrit")
        folder.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    ledger = tuple(f.source for f in source.files if f.source.rpartition("/")[2] in (*LEDGER_NAMES, NOMENCLATURE))
    return Created(target, start, tuple(sorted(files)), made.todo, ledger)

"""The check of a figures file uploaded by the finance staff: the guiding workbook filled in, or one table as
CSV, read and validated as the build would, and reported located on the sheet and the cell.

Pure of any portal: the bytes come in, a `TablesUpload` comes out. The file is placed in a shadow of the
edition (upload_shadow.py), never in inputs/, and the edition is read there as `fir check` reads it: the
reader (ingest/), the contract, the to-do list of an edition still being filled in (validate/missing.py), then
— once nothing is left to fill in — the reconciliation of `prepare` and its report. An upload is refused on an
error in the uploaded file or in the tables' reconciliation; an error elsewhere (a text, edition.toml) is
listed but is not the upload's. An accepted upload gives the files to write into the working copy
(`changes`); a workbook that replaces CSV tables sets their files aside as `fir workbook --ranger-csv` does.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flows.edition.authoring import csv_aside, upload_shadow
from flows.edition.authoring.upload_report import (
    Located,
    Locator,
    Naming,
    counts,
    from_finding,
    from_problem,
    from_table_todo,
    from_text_todo,
    other_edition,
)
from flows.edition.contract import TABLES, RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.french import count_of
from flows.edition.ingest.files import present, read_input
from flows.edition.ingest.names import ASIDE_FOLDER, WORKBOOK
from flows.edition.ingest.snapshot import MAX_TABLE_BYTES
from flows.edition.ingest.xlsx_cells import NO_STORED_VALUE, read_workbook
from flows.edition.labels import TABLE_NAMES
from flows.edition.validate.findings import Finding
from flows.edition.validate.missing import IncompleteEdition, Todo

if TYPE_CHECKING:
    from flows.edition.publish.manifest import Manifest

NO_STORED_VALUES = (
    "Ce classeur a été enregistré sans les valeurs calculées de ses formules (par un programme, pas par un "
    "tableur) : enregistrez-le avec Excel ou LibreOffice (ouvrir, puis Enregistrer), ou collez les formules en "
    "valeurs, puis déposez-le à nouveau."
)


@dataclass(frozen=True)
class TablesUpload:
    """What the check of an uploaded figures file found, for a page to show; `changes` for the store to save."""

    name: str  # the file's name, as uploaded
    accepted: bool
    summary: str  # one paragraph: what is true now, what to do next
    errors: tuple[Located, ...] = ()  # in the uploaded file or the tables' reconciliation: the upload is refused
    elsewhere: tuple[Located, ...] = ()  # errors in the edition's other files (texts, edition.toml): to fix there
    todo: tuple[Located, ...] = ()  # cells and texts still to fill in
    warnings: tuple[Located, ...] = ()  # published gaps kept as printed, a file read in a fallback encoding
    notes: tuple[Located, ...] = ()  # information: a sheet left aside
    checks: int = 0  # the reconciliations made (none while cells or texts remain to fill in)
    complete: bool = False  # nothing left to fill in and no error: the edition can be built as it stands
    # path relative to inputs/ → its new bytes, or None for a file removed; empty when refused
    changes: Mapping[str, bytes | None] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The report as plain text, section by section (a page lays out the `Located` points instead)."""
        lines = [self.summary]
        for title, items in (
            ("Erreurs à corriger", self.errors),
            ("À corriger ailleurs dans l'édition", self.elsewhere),
            ("Reste à compléter", self.todo),
            ("Avertissements", self.warnings),
            ("Informations", self.notes),
        ):
            if items:
                lines += ["", f"{title} ({len(items)}) :", *(f"  - {item.text}" for item in items)]
        return lines


@dataclass(frozen=True)
class _Outcome:
    """The edition read and validated in the shadow, before the report is located."""

    problems: Sequence[Problem] = ()
    findings: Sequence[Finding] = ()
    todo: Todo = field(default_factory=Todo)
    checks: int = 0
    validated: bool = False


def check_workbook(
    inputs: Path, region: str, year: int, name: str, data: bytes, *, published: Manifest | None = None
) -> TablesUpload:
    """The guiding workbook (`fir workbook`) uploaded back as the edition's figures.xlsx. `published`: the
    edition's history in the store (what `fir check` reads), so that published values are judged as a build
    would judge them."""
    folder = f"{region}/{year}/"
    naming = Naming(folder, folder + WORKBOOK, name)
    if not name.casefold().endswith(".xlsx"):
        return _refused(naming, "un classeur Excel enregistré au format .xlsx (« Classeur Excel (*.xlsx) »)", name)
    with _shadow(inputs, region, year, naming) as (shadow, missing):
        if missing is not None:
            return missing
        upload_shadow.write_file(shadow, naming.uploaded, data)
        try:  # read once here: its sheets tell the CSV files to set aside, its cells locate the report
            book = read_workbook(read_input(shadow / naming.uploaded, shadow, MAX_TABLE_BYTES))
        except InputError as exc:  # the workbook does not read: nothing more can be checked
            return _report(inputs, shadow, naming, _Outcome(problems=exc.problems))
        doubled = csv_aside.doubled_files(shadow, region, year, book.tables)
        taken = [path.name for path in doubled.files if present(doubled.aside / path.name)]
        if taken:
            expected = (
                f"aucun fichier CSV déjà mis de côté sous le même nom dans {ASIDE_FOLDER}/ ({', '.join(taken)}) : "
                "ce dépôt y rangerait les fichiers CSV que le classeur remplace ; demandez à l'administrateur de "
                "retirer les anciennes copies"
            )
            return _refused(naming, expected)
        csv_aside.move_aside(doubled)  # what `fir workbook --ranger-csv` does, in the shadow
        outcome = _validate(shadow, region, year, published)
        other = other_edition(inputs / region / str(year), data, naming.name)
        return _report(inputs, shadow, naming, outcome, book.tables.values(), other)


def check_table_csv(
    inputs: Path, region: str, year: int, table: str, name: str, data: bytes, *, published: Manifest | None = None
) -> TablesUpload:
    """One table of the edition uploaded as a CSV file (inputs/README.md), in place of `<table>.csv`."""
    folder = f"{region}/{year}/"
    naming = Naming(folder, f"{folder}{table}.csv", name)
    if table not in TABLES:
        return _refused(naming, f"une table parmi : {', '.join(TABLES)}", table)
    if not name.casefold().endswith(".csv"):
        return _refused(naming, "un fichier CSV (.csv, « CSV UTF-8 » depuis Excel)", name)
    with _shadow(inputs, region, year, naming) as (shadow, missing):
        if missing is not None:
            return missing
        upload_shadow.write_file(shadow, naming.uploaded, data)
        try:
            in_workbook = any(
                path.name == f"{table}.csv" for path in csv_aside.doubled_files(shadow, region, year).files
            )
        except (csv_aside.AsideRefused, InputError):  # no workbook, or one the check reports as it reads it
            in_workbook = False
        if in_workbook:
            expected = (
                f"la table « {TABLE_NAMES[table]} » dans le classeur {WORKBOOK} de l'édition (sa feuille "
                f"« {table} ») : l'édition tient ses tableaux dans ce classeur. Déposez le classeur complété plutôt "
                "qu'un fichier CSV"
            )
            return _refused(naming, expected, name)
        return _report(inputs, shadow, naming, _validate(shadow, region, year, published))


@contextmanager
def _shadow(inputs: Path, region: str, year: int, naming: Naming) -> Iterator[tuple[Path, TablesUpload | None]]:
    """The edition's shadow in a temporary folder, removed after; a refusal instead when there is no edition."""
    if not (inputs / region / str(year)).is_dir():
        expected = (
            f"une édition existante : l'édition {region} {year} n'existe pas encore, créez-la d'abord (à partir de "
            "l'année précédente)"
        )
        with tempfile.TemporaryDirectory(prefix="fir-depot-") as empty:
            yield Path(empty), _refused(naming, expected)
        return
    with tempfile.TemporaryDirectory(prefix="fir-depot-") as folder:
        yield upload_shadow.make_shadow(inputs, region, year, Path(folder)), None


def _validate(shadow: Path, region: str, year: int, published: Manifest | None) -> _Outcome:
    """Read the edition in the shadow as `fir check` does. Its tables once every cell is filled are reconciled
    (even while texts remain to rewrite: the figures do not wait for them); the whole edition, once complete,
    goes through `prepare`, the build's validation, with its report."""
    from flows.edition.ingest.snapshot import read_snapshot

    try:
        snapshot = read_snapshot(shadow, region, year, allow_incomplete=True)
    except IncompleteEdition as exc:
        return _Outcome(problems=exc.problems, todo=exc.todo)
    except InputError as exc:
        return _Outcome(problems=exc.problems)
    todo = snapshot.edition.todo
    if todo.tables:  # amounts still to type: no reconciliation yet, but an id that points nowhere is said now
        from flows.edition.validate.references import check_references

        try:
            check_references(snapshot.edition)
        except InputError as exc:
            return _Outcome(problems=exc.problems, todo=todo)
        return _Outcome(todo=todo)
    from flows.edition.prepare import prepare
    from flows.edition.publish.revisions import latest_basis
    from flows.edition.validate.reconcile import validate

    basis = latest_basis(published) if published is not None else None
    problems: list[Problem] = []
    try:
        report = validate(snapshot.edition, basis) if todo else prepare(snapshot, basis).report
    except InputError as exc:  # a broken reference, an unknown [[figure]] in a text: the reconciliation still told
        problems = exc.problems
        try:
            report = validate(snapshot.edition, basis)
        except InputError:
            return _Outcome(problems=problems, todo=todo)
    return _Outcome(problems, report.findings, todo, report.checks, validated=True)


def _report(
    inputs: Path,
    shadow: Path,
    naming: Naming,
    outcome: _Outcome,
    sheets: Iterable[RawTable] = (),
    other: Located | None = None,
) -> TablesUpload:
    """Locate what the check found (`sheets`: the uploaded workbook's tables as read; `other`: the warning of a
    workbook downloaded for another edition), decide, and list the changes of an accepted upload."""
    region, year = naming.folder.strip("/").split("/")
    locator = Locator(shadow, sheets)
    errors: list[Located] = []
    elsewhere: list[Located] = []
    for problem in outcome.problems:
        located = from_problem(problem, naming, locator)
        (errors if problem.file.startswith(naming.uploaded) else elsewhere).append(located)
    for finding in outcome.findings:
        if finding.level == "error":
            (errors if finding.table in TABLES else elsewhere).append(from_finding(finding, naming, locator))
    warnings = [
        *([other] if other else []),
        *(from_finding(f, naming, locator) for f in outcome.findings if f.level == "warning"),
    ]
    notes = [from_finding(f, naming, locator) for f in outcome.findings if f.level == "info"]
    todo = [item for table in outcome.todo.tables for item in from_table_todo(table, naming, locator)]
    todo += [from_text_todo(text, naming) for text in outcome.todo.texts]
    accepted = not errors

    def scrubbed(items: list[Located]) -> tuple[Located, ...]:
        return tuple(_scrub(item, shadow) for item in items)

    upload = TablesUpload(
        naming.name,
        accepted,
        "",
        scrubbed(errors),
        scrubbed(elsewhere),
        scrubbed(todo),
        scrubbed(warnings),
        scrubbed(notes),
        checks=outcome.checks,
        complete=outcome.validated and not outcome.todo and not errors and not elsewhere,
        changes=upload_shadow.changes(inputs, shadow, region, int(year)) if accepted else {},
    )
    return dataclasses.replace(upload, summary=_summary(upload, outcome.todo, naming))


def _refused(naming: Naming, expected: str, value: str | None = None) -> TablesUpload:
    """A refusal before the tables are read: the file's name, the table or the edition is not what is expected."""
    shown = f" : valeur « {value} »" if value is not None else ""
    text = f"« {naming.name} »{shown} — attendu : {expected}"
    error = Located("error", text, naming.name, value=value, expected=expected)
    summary = f"« {naming.name} » refusé{shown} — attendu : {expected}. Rien n'a été modifié."
    return TablesUpload(naming.name, False, summary, (error,))


def _scrub(item: Located, shadow: Path) -> Located:
    """Never a path of this machine in what a person reads: the shadow's folder named as inputs/."""

    def clean(text: str | None) -> str | None:
        return None if text is None else text.replace(f"{shadow}/", "").replace(str(shadow), "inputs")

    return dataclasses.replace(
        item, text=clean(item.text) or "", value=clean(item.value), expected=clean(item.expected)
    )


def _summary(upload: TablesUpload, todo: Todo, naming: Naming) -> str:
    """What the check means for the person who uploaded the file, and what to do next."""
    workbook = naming.uploaded.endswith(WORKBOOK)
    what = f"Classeur « {naming.name} »" if workbook else f"Fichier « {naming.name} »"
    if not workbook:
        table = naming.uploaded.rpartition("/")[2].removesuffix(".csv")
        what += f" (table {TABLE_NAMES.get(table, table)})"
    if not upload.accepted:
        said = counts({"error": len(upload.errors)})
        first = NO_STORED_VALUES + " " if any(e.expected == NO_STORED_VALUE for e in upload.errors) else ""
        again = "le classeur" if workbook else "le fichier"
        placed = "située" if len(upload.errors) == 1 else "situées"
        return (
            f"{first}{what} refusé : {said} à corriger, {placed} ci-dessous "
            f"({'feuille et cellule' if workbook else 'ligne et colonne'}). Rien n'a été modifié : "
            f"corrigez {again} puis déposez-le à nouveau."
        )
    parts = [f"{what} accepté : aucune erreur dans les tableaux"]
    if upload.checks:
        parts[0] += f", {count_of(upload.checks, 'rapprochement')} vérifiés"
    if upload.warnings:
        parts.append(
            f"{count_of(len(upload.warnings), 'avertissement')} (écarts publiés, conservés tels que publiés : à relire)"
        )
    if todo:
        left = [count_of(n, word) for n, word in ((todo.cells, "cellule"), (len(todo.texts), "texte")) if n]
        parts.append(f"reste à compléter avant de construire : {' et '.join(left)} (liste ci-dessous)")
    if upload.elsewhere:
        parts.append(
            f"à corriger ailleurs dans l'édition avant de construire : {counts({'error': len(upload.elsewhere)})}"
        )
    if not upload.changes:
        parts.append("identique aux fichiers de l'édition : rien à enregistrer")
    elif upload.complete:
        parts.append("l'édition peut être construite une fois ce dépôt enregistré")
    return " ; ".join(parts) + "."

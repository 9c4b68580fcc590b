"""The report of an uploaded figures file (upload_tables.py), each point located where a person finds it.

The reader's problems (errors.Problem), the validation's findings (validate/findings.Finding) and the to-do
list (validate/missing.Todo) name a file, a line and a contract column. Here each becomes a `Located`: in a
workbook the sheet's tab and the cell (« feuille « revenue » (Recettes), cellule K9 »), in a CSV file the
line; the column by its French title (labels.py), the value read and what is expected. The cell of a point
the validation names by its line only is found from the sheet's own header (`Locator`), so that the check
columns and « Pour mémoire » columns the workbook puts between the table's columns are counted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from flows.edition.contract import TABLES, RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.french import count_of, format_number
from flows.edition.ingest.csv_cells import parse_csv_cells
from flows.edition.ingest.files import read_input
from flows.edition.ingest.names import META_FILE
from flows.edition.ingest.snapshot import MAX_TABLE_BYTES
from flows.edition.ingest.xlsx_cells import HELP_SHEET, column_name, unknown_sheet_expected
from flows.edition.labels import TABLE_NAMES, column_title
from flows.edition.validate.findings import Finding
from flows.edition.validate.missing import TableTodo, TextTodo

Level = Literal["error", "todo", "warning", "info"]


@dataclass(frozen=True)
class Located:
    """One point of the report: its whole sentence (`text`, French, as shown) and its parts, for a page that
    lays them out (a table of sheet, cell, column, value, expected)."""

    level: Level  # error (the upload is refused on it), todo (still to fill in), warning, info
    text: str
    file: str  # the uploaded file's name, or the edition's file concerned (« thematics.csv », « texts/… »)
    sheet: str | None = None  # the workbook's tab (« revenue »)
    table: str | None = None  # the table's French name (« Recettes »)
    cell: str | None = None  # « K9 »
    line: int | None = None  # the CSV file's line, or the sheet's row
    column: str | None = None  # the column's French title (« Montant final de l'année »)
    value: str | None = None  # the value read, as typed
    expected: str | None = None  # what is expected instead (for a finding of the validation: what it found)


class Locator:
    """The cells and values of the tables as read (raw text cells), by the source the messages name: the
    uploaded workbook's sheets as read once, a CSV table read when a point names it (a CSV file is cheap to read
    again, a workbook is not)."""

    def __init__(self, inputs: Path | None = None, raws: Iterable[RawTable] = ()) -> None:
        self._inputs = inputs
        self._raws: dict[str, RawTable | None] = {raw.source: raw for raw in raws}

    def _raw(self, source: str) -> RawTable | None:
        if source not in self._raws:
            self._raws[source] = self._csv(source)
        return self._raws[source]

    def _csv(self, source: str) -> RawTable | None:
        table = source.rpartition("/")[2].removesuffix(".csv")
        if self._inputs is None or not source.endswith(".csv") or table not in TABLES:
            return None
        try:
            return parse_csv_cells(read_input(self._inputs / source, self._inputs, MAX_TABLE_BYTES), table)
        except InputError:
            return None

    def _index(self, source: str, column: str | None) -> tuple[RawTable, int] | None:
        raw = self._raw(source)
        if raw is None or column is None:
            return None
        header = [name.strip() for name in raw.header]
        return (raw, header.index(column)) if column in header else None

    def cell(self, source: str, line: int | None, column: str | None) -> str | None:
        found = self._index(source, column)
        return found[0].cell_ref(line, found[1]) if found and line is not None else None

    def value(self, source: str, line: int | None, column: str | None) -> str | None:
        found = self._index(source, column)
        if found is None or line is None or line not in found[0].lines:
            return None
        row = found[0].rows[found[0].lines.index(line)]
        return row[found[1]].strip() if found[1] < len(row) else ""


@dataclass(frozen=True)
class Naming:
    """How the report names the files: the edition's folder (`hauts-de-france/2025/`), the uploaded file's
    source in it (`…/figures.xlsx` or `…/revenue.csv`) and the name it was uploaded as."""

    folder: str
    uploaded: str
    name: str

    def place(self, source: str) -> tuple[str, str | None, str | None]:
        """(file, sheet, table) of a message's source: « hauts-de-france/2025/figures.xlsx, feuille « revenue » »."""
        file, _, sheet_part = source.partition(", feuille « ")
        sheet = sheet_part.removesuffix(" »") or None
        table = sheet if sheet in TABLES else None
        shown = self.name if file == self.uploaded else file.removeprefix(self.folder)
        stem = file.rpartition("/")[2].removesuffix(".csv")
        if table is None and file.endswith(".csv") and stem in TABLES:
            table = stem
        return shown, sheet, table


_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def shown(value: str | None, sheet: str | None, table: str | None, column: str | None) -> str | None:
    """A value as the person saw it: a number of a workbook's figures column as a French spreadsheet shows it
    (« 600,0 », « 538 736 879 »), not as the file stores it (« 600.0 »); a CSV file's cell as typed."""
    kinds = {c.name: c.kind for c in TABLES[table].columns} if table in TABLES else {}
    figure = sheet is not None and kinds.get(column or "") in ("amount", "number", "pct")
    found = _NUMBER.fullmatch(value) if value is not None and figure else None
    if found is None:
        return value
    return format_number(Decimal(found.group(0)), len(found.group(1) or ""))


def _shorten(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "⏎")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _where_text(
    file: str, sheet: str | None, table: str | None, cell: str | None, line: int | None, title: str | None
) -> str:
    """« Feuille « revenue » (Recettes), cellule K9, colonne « Montant final de l'année » », or in a CSV file
    « « recettes.csv » (Recettes), ligne 9, colonne … »."""
    named = f" ({TABLE_NAMES[table]})" if table in TABLE_NAMES else ""
    parts = [f"Feuille « {sheet} »{named}" if sheet else f"« {file} »{named}"]
    if cell:
        parts.append(f"{'cellules' if ':' in cell else 'cellule'} {cell}")
    elif line is not None:
        parts.append(f"ligne {line}")
    if title:
        parts.append(f"colonne « {title} »")
    return ", ".join(parts)


def _named(table: str | None) -> str | None:
    return TABLE_NAMES.get(table) if table else None


def _title(table: str | None, column: str | None) -> str | None:
    if column is None:
        return None
    return (column_title(table, column) if table else None) or column


def from_problem(problem: Problem, naming: Naming, locator: Locator, level: Level = "error") -> Located:
    """A reader's or a reference's problem, located on the sheet and cell (or the line) with its column's title."""
    file, sheet, table = naming.place(problem.file)
    cell = problem.cell or (locator.cell(problem.file, problem.line, problem.column) if sheet else None)
    title = _title(table, problem.column)
    value = shown(problem.value, sheet if cell else None, table, problem.column)
    if sheet is None and problem.value is not None and problem.expected == unknown_sheet_expected(problem.value):
        sheet, value = problem.value, None  # a sheet named like no table: the sheet is the place and the value
    if value is not None and value == cell:
        value = None  # merged cells: their range is the place and the value
    text = _where_text(file, sheet, table, cell, problem.line, title)
    if problem.character is not None:
        text += f", caractère {problem.character}"
    if value is not None:
        text += f" : valeur « {_shorten(value)} »"
    text += f" — attendu : {problem.expected}"
    return Located(level, text, file, sheet, _named(table), cell, problem.line, title, value, problem.expected)


# `findings.where(source, line, column)`: « source, ligne 27, colonne « Montant (amount) » ».
_WHERE = re.compile(r"^(?P<source>.+?)(?:, ligne (?P<line>\d+))?(?:, colonne « (?P<column>.+) »)?$", re.DOTALL)


def from_finding(finding: Finding, naming: Naming, locator: Locator) -> Located:
    """A finding of the validation (a total that does not reconcile, a published gap), located like a problem;
    its message as the build's report says it."""
    found = _WHERE.match(finding.where or "")
    if found is None:  # no place: the finding is about the edition as a whole
        return Located(finding.level, finding.message, naming.name, expected=finding.message)
    source, line = found["source"], int(found["line"]) if found["line"] else None
    column = column_name(found["column"]) if found["column"] else None
    file, sheet, table = naming.place(source)
    table = table or (finding.table if finding.table in TABLES else None)
    cell = locator.cell(source, line, column) if sheet else None
    value = shown(locator.value(source, line, column), sheet, table, column)
    title = _title(table, column)
    text = _where_text(file, sheet, table, cell, line, title)
    if value is not None:
        text += f" : valeur « {_shorten(value)} »"
    text += f" — {finding.message}"
    return Located(finding.level, text, file, sheet, _named(table), cell, line, title, value, finding.message)


def _lines(lines: tuple[int, ...]) -> str:
    return ("ligne " if len(lines) == 1 else "lignes ") + ", ".join(map(str, lines))


def from_table_todo(todo: TableTodo, naming: Naming, locator: Locator) -> list[Located]:
    """A table's cells still to fill, column by column: the cells of a sheet, the lines of a CSV file."""
    file, sheet, table = naming.place(todo.source)
    table = table or todo.table
    found = []
    kinds = {c.name: c.kind for c in TABLES[todo.table].columns}
    for cells, doing in [*((c, "à saisir") for c in todo.amounts), *((c, "à réécrire") for c in todo.texts)]:
        title = _title(table, cells.column)
        refs = [ref for line in cells.lines if (ref := locator.cell(todo.source, line, cells.column))]
        where = ("cellule " if len(refs) == 1 else "cellules ") + ", ".join(refs) if sheet and refs else None
        word = "montant" if kinds.get(cells.column) == "amount" else "valeur" if doing == "à saisir" else "texte"
        what = f"{count_of(len(cells.lines), word)} {doing} ({where or _lines(cells.lines)})"
        text = f"{_where_text(file, sheet, table, None, None, title)} : {what}"
        found.append(Located("todo", text, file, sheet, _named(table), column=title, expected=what))
    return found


def from_text_todo(todo: TextTodo, naming: Naming) -> Located:
    file, _, _ = naming.place(todo.source)
    expected = "un texte à jour (supprimer la ligne « <!-- À RÉÉCRIRE … --> » une fois le texte réécrit)"
    text = f"« {file} », ligne {todo.line} : texte à réécrire — {expected}"
    return Located("todo", text, file, line=todo.line, expected=expected)


def counts(items: Mapping[Level, int]) -> str:
    """« 2 erreurs, 1 avertissement »: the non-zero counts of a report's points."""
    words = {
        "error": ("erreur", "erreurs"),
        "todo": ("point", "points"),
        "warning": ("avertissement", "avertissements"),
    }
    return ", ".join(count_of(n, *words[level]) for level, n in items.items() if n and level in words)


# The first line of the guide `fir workbook` writes (workbook_guide.write_guide):
# « Chiffres de la brochure FIR — Hauts-de-France, 2025 ».
_GUIDE_TITLE = re.compile(r"^Chiffres de la brochure FIR — (?P<edition>.+, \d{4})$")


def other_edition(folder: Path, workbook: bytes, name: str) -> Located | None:
    """A warning when the workbook's guide names another edition than the one it is uploaded to (last year's
    file, another region's): its figures would replace this edition's."""
    import tomllib

    from openpyxl import load_workbook

    try:
        meta = tomllib.loads((folder / META_FILE).read_text(encoding="utf-8"))
        book = load_workbook(io.BytesIO(workbook), read_only=True)
        title = book[HELP_SHEET]["A1"].value if HELP_SHEET in book.sheetnames else None
    except Exception:  # an unreadable file is the reader's to report, with its place
        return None
    found = _GUIDE_TITLE.match(title) if isinstance(title, str) else None
    here = f"{meta.get('region_name')}, {meta.get('year')}"
    if found is None or found["edition"] == here:
        return None
    said = (
        f"ce classeur a été téléchargé pour l'édition {found['edition']}, pas pour l'édition {here} où il est déposé : "
        "vérifiez que c'est le bon fichier avant de l'enregistrer (ses chiffres remplaceraient ceux de l'édition)"
    )
    text = f"Feuille « {HELP_SHEET} », cellule A1 : valeur « {title} » — {said}"
    return Located("warning", text, name, HELP_SHEET, None, "A1", 1, None, title, said)

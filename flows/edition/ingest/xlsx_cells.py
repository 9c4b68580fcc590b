"""XLSX reader: every table sheet of `figures.xlsx` → a table of text cells, as a CSV export would hold.

A formula cell is read as the value the workbook stores for it (what Excel or LibreOffice computed
and showed when the file was saved); one with no stored value, or whose value is an error, is refused
with its cell. Merged cells are refused. Hidden sheets, chart sheets and sheets whose name starts with
`_` (the author's notes) are left aside and listed as notices; the sheet "À lire" (the help that
`fir workbook` writes first) is left aside silently. Columns whose header starts with `_` (the checks
`fir workbook` puts beside the totals, or the author's own), and those headed « Pour mémoire … » or
« Contrôle … » (the earlier edition's figures and the check sums `fir workbook` writes) are not read at
all: not even their formulas. A sheet named otherwise is refused, saying how to keep it aside.
A header « Titre en français (name) » is read as `name`, the contract's column name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flows.edition.contract import TABLES, RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile, Notice
from flows.edition.ingest.names import WORKBOOK as WORKBOOK

NO_STORED_VALUE = (
    "une formule enregistrée avec sa valeur calculée (le fichier n'en contient pas : ouvrir et enregistrer "
    "le classeur dans Excel ou LibreOffice, ou coller en valeurs)"
)
ERROR_VALUE = "une valeur, pas une erreur de calcul"
HELP_SHEET = "À lire"  # the people's guide written by `fir workbook`: never a table
HELPER_PREFIX = "_"  # a sheet or column so named is the author's, never read
# Headers of the columns `fir workbook` adds for people, never read either: the earlier edition's figures
# beside the cells to type, and the check sums beside the declared totals.
REFERENCE_TITLE = "Pour mémoire"
CHECK_TITLE = "Contrôle"


def helper_header(text: str) -> bool:
    """Whether a column so headed is a help, not the table's: `_…`, « Pour mémoire… », « Contrôle… »."""
    text = text.strip()
    return text.startswith(HELPER_PREFIX) or text.casefold().startswith(
        (REFERENCE_TITLE.casefold(), CHECK_TITLE.casefold())
    )


@dataclass(frozen=True)
class Workbook:
    """The table sheets of a workbook as text cells, and what was left aside."""

    tables: dict[str, RawTable]
    notices: tuple[Notice, ...] = ()
    hidden: tuple[str, ...] = ()  # hidden sheets named like a table: said when that table is missing


@dataclass(frozen=True)
class _BadCell:
    """A cell refused while the sheet's header is not known yet: its column is named afterwards."""

    line: int
    index: int  # position in the row, as in the header
    coordinate: str
    value: str
    expected: str


@dataclass
class _StoredValues:
    """The values the workbook stores for its formula cells, loaded once the first formula is met:
    a workbook of values only is read exactly once, as before formulas were accepted."""

    file: InputFile
    book: Any = field(default=None)

    def cell(self, sheet: str, coordinate: str) -> Any:
        if self.book is None:
            self.book = _load(self.file, data_only=True)
        return self.book[sheet][coordinate]


def parse_xlsx_cells(file: InputFile) -> dict[str, RawTable]:
    """Every table sheet of a workbook as text cells (see `read_workbook`)."""
    return read_workbook(file).tables


def read_workbook(file: InputFile) -> Workbook:
    """Every table sheet of a workbook as text cells, and the notices of the sheets left aside."""
    workbook = _load(file, data_only=False)
    stored = _StoredValues(file)
    source = file.source
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    notices = [
        Notice("info", source, f"feuille de graphique « {chart.title} » ignorée") for chart in workbook.chartsheets
    ]
    hidden: list[str] = []
    for sheet in workbook.worksheets:
        if sheet.title == HELP_SHEET:
            continue  # the guide of a workbook written by `fir workbook`: part of the format, no notice
        skipped = _left_aside(sheet.title, sheet.sheet_state, source)
        if skipped is not None:
            notices.append(skipped)
            if skipped.level == "warning":
                hidden.append(sheet.title)
            continue
        if sheet.title not in TABLES:
            problems.append(Problem(source, unknown_sheet_expected(sheet.title), value=sheet.title))
            continue
        try:
            tables[sheet.title] = _sheet_table(sheet, f"{source}, feuille « {sheet.title} »", stored)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return Workbook(tables, tuple(notices), tuple(hidden))


def unknown_sheet_expected(title: str) -> str:
    """What a sheet that is no table should be: named like a table, or kept aside by its name or by hiding."""
    return (
        f"des feuilles nommées parmi : {', '.join(TABLES)}. Une feuille à vous (notes, calculs) peut rester "
        f"dans le classeur sans être lue : renommez-la en commençant par « _ » (« _{title} ») ou masquez-la "
        "(clic droit sur l'onglet, Masquer)"
    )


def _load(file: InputFile, data_only: bool) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(file.data), data_only=data_only)
    except Exception as exc:  # a damaged file fails deep in zip / zlib / XML parsing, with any exception type
        raise InputError(
            Problem(file.source, f"un classeur Excel .xlsx valide (ouverture impossible : {type(exc).__name__})")
        ) from None


def _left_aside(title: str, state: str, source: str) -> Notice | None:
    """The notice of a sheet that is not read — named `_…`, or hidden — or None for a sheet to read.

    A hidden sheet named like a table is a warning: its table is not read, which the author may not expect.
    """
    if title.startswith(HELPER_PREFIX):
        return Notice("info", source, f"feuille « {title} » ignorée : son nom commence par « _ » (notes)")
    if state == "visible":
        return None
    if title in TABLES:
        return Notice(
            "warning",
            source,
            f"feuille « {title} » masquée, donc ignorée : la table « {title} » n'est pas lue de ce classeur "
            "(afficher la feuille pour qu'elle le soit)",
        )
    return Notice("info", source, f"feuille « {title} » ignorée : elle est masquée")


def _sheet_table(sheet: Any, sheet_source: str, stored: _StoredValues) -> RawTable:
    """One table sheet as text cells; an InputError listing its merged, error and uncomputed cells."""
    from openpyxl.utils import get_column_letter

    problems = [
        Problem(
            sheet_source,
            "des cellules non fusionnées (défusionner et recopier la valeur)",
            cell=str(merged),
            value=str(merged),
        )
        for merged in sheet.merged_cells.ranges
    ]
    grid: list[tuple[int, list[str]]] = []
    bad: list[_BadCell] = []
    rows = list(sheet.iter_rows())
    helpers = _helper_columns(rows)
    kept = [i for i in range(sheet.max_column) if i not in helpers]  # a table position → its sheet column
    for row in rows:
        cells: list[str] = []
        for cell in row:
            if cell.column - 1 in helpers:
                continue  # never read, so a helper formula saved without its value is no error
            index = len(cells)
            value, expected = _value(cell, lambda c: stored.cell(sheet.title, c.coordinate))
            if expected is not None:
                bad.append(_BadCell(cell.row, index, cell.coordinate, _shown(cell.value), expected))
            cells.append(cell_text(value, cell.number_format))
        if any(c.strip() for c in cells):
            grid.append((row[0].row, cells))
    header_line, header = grid[0] if grid else (0, [])
    header = [column_name(text) for text in header]
    while header and not header[-1].strip():
        header.pop()
    for b in bad:
        named = b.line > header_line and b.index < len(header)
        column = header[b.index].strip() if named else ""
        problems.append(Problem(sheet_source, b.expected, column=column or None, value=b.value, cell=b.coordinate))
    if not grid:
        problems.append(Problem(sheet_source, "un en-tête de colonnes en ligne 1 puis des lignes de données", 1))
        raise InputError(problems)
    rows = [cells[: len(header)] + [""] * max(0, len(header) - len(cells)) for _, cells in grid[1:]]
    overflow = [(line, cells) for line, cells in grid[1:] if any(c.strip() for c in cells[len(header) :])]
    for line, _ in overflow:
        problems.append(Problem(sheet_source, f"{len(header)} colonnes comme l'en-tête", line))
    if problems:
        raise InputError(problems)
    return RawTable(
        sheet.title,
        sheet_source,
        header,
        rows,
        [line for line, _ in grid[1:]],
        header_line,
        cell_ref=lambda line, col: f"{get_column_letter((kept[col] if col < len(kept) else col) + 1)}{line}",
    )


def column_name(header: str) -> str:
    """The contract's name in a header cell: the name in parentheses that ends it (« Montant (amount) », as
    `fir workbook` writes them), or the whole cell (« amount », as in a CSV export)."""
    found = _TITLED.match(header)
    return found.group(1) if found else header


_TITLED = re.compile(r"^.*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.DOTALL)


def _helper_columns(rows: list[Any]) -> set[int]:
    """Positions of the columns whose header (the first row with content) is a help's (`helper_header`).

    They hold what helps a person and is no figure (a check sum beside a total, last year's figure, a
    note), so that the table's frame is the same with or without them.
    """
    for row in rows:
        texts = ["" if cell.value is None else str(cell.value).strip() for cell in row]
        if any(texts):
            return {i for i, text in enumerate(texts) if helper_header(text)}
    return set()


def _value(cell: Any, stored: Callable[[Any], Any]) -> tuple[object, str | None]:
    """The value a cell gives the table (a formula's stored result), or what was expected instead."""
    if cell.data_type == "e":
        return None, ERROR_VALUE
    if cell.data_type != "f":
        return cell.value, None
    computed = stored(cell)
    if computed.data_type == "e":
        return None, f"une formule dont le résultat n'est pas une erreur (résultat enregistré : {computed.value})"
    if computed.value is None:
        # A formula giving an empty text is stored as an empty string value (type "str"); openpyxl reads
        # it as None, like a formula saved without any value (type "n", what openpyxl itself writes).
        return ("", None) if computed.data_type == "str" else (None, NO_STORED_VALUE)
    return computed.value, None


def _shown(value: object) -> str:
    """A cell's content as the author typed it: a formula's text (`=SUM(E2:E26)`), or its value."""
    text = getattr(value, "text", None)  # an array formula
    return str(text if isinstance(text, str) else value)


def cell_text(value: object, number_format: str = "General") -> str:
    """A workbook cell as the text a CSV export would hold.

    A number keeps the decimals its cell format shows (`0.0` → `100.0`), which is the precision it is
    printed with; in the General format it is written in full.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        shown = _format_decimals(number_format)
        if shown is not None:
            return f"{value:.{shown}f}"
        if isinstance(value, int):
            return str(value)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _format_decimals(number_format: str) -> int | None:
    """Decimals shown by an Excel number format (`#,##0.00` → 2); None for General or text."""
    section = number_format.split(";")[0]
    if section in ("General", "@") or not any(c in section for c in "0#"):
        return None
    if "." not in section:
        return 0
    return sum(1 for c in section.split(".", 1)[1] if c in "0#")

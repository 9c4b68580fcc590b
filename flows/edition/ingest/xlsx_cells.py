"""XLSX reader: every table sheet of `figures.xlsx` → a table of text cells, as a CSV export would hold.

Formulas and merged cells are refused (the printed figure must be the value typed in the cell).
"""

from __future__ import annotations

import datetime as dt
import io

from flows.edition.contract import TABLES, RawTable
from flows.edition.errors import InputError, Problem
from flows.edition.ingest.files import InputFile

WORKBOOK = "figures.xlsx"


def parse_xlsx_cells(file: InputFile) -> dict[str, RawTable]:
    """Every table sheet of a workbook as text cells; sheets named `_…` are the author's notes, skipped."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    source = file.source
    try:
        workbook = load_workbook(io.BytesIO(file.data), data_only=False)
    except Exception as exc:  # a damaged file fails deep in zip / zlib / XML parsing, with any exception type
        raise InputError(
            Problem(source, f"un classeur Excel .xlsx valide (ouverture impossible : {type(exc).__name__})")
        ) from None
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    for sheet in workbook.worksheets:
        if sheet.title.startswith("_"):
            continue
        sheet_source = f"{source}, feuille « {sheet.title} »"
        if sheet.title not in TABLES:
            problems.append(Problem(source, f"des feuilles nommées parmi : {', '.join(TABLES)}", value=sheet.title))
            continue
        for merged in sheet.merged_cells.ranges:
            problems.append(
                Problem(
                    sheet_source,
                    "des cellules non fusionnées (défusionner et recopier la valeur)",
                    cell=str(merged),
                    value=str(merged),
                )
            )
        grid: list[tuple[int, list[str]]] = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                if cell.data_type == "f":
                    problems.append(
                        Problem(
                            sheet_source,
                            "une valeur, pas une formule (coller en valeurs)",
                            cell=cell.coordinate,
                            value=str(cell.value),
                        )
                    )
                cells.append(cell_text(cell.value, cell.number_format))
            if any(c.strip() for c in cells):
                grid.append((row[0].row, cells))
        if not grid:
            problems.append(Problem(sheet_source, "un en-tête de colonnes en ligne 1 puis des lignes de données", 1))
            continue
        header_line, header = grid[0]
        while header and not header[-1].strip():
            header.pop()
        rows = [cells[: len(header)] + [""] * max(0, len(header) - len(cells)) for _, cells in grid[1:]]
        overflow = [(line, cells) for line, cells in grid[1:] if any(c.strip() for c in cells[len(header) :])]
        for line, _ in overflow:
            problems.append(Problem(sheet_source, f"{len(header)} colonnes comme l'en-tête", line))
        tables[sheet.title] = RawTable(
            sheet.title,
            sheet_source,
            header,
            rows,
            [line for line, _ in grid[1:]],
            header_line,
            cell_ref=lambda line, col: f"{get_column_letter(col + 1)}{line}",
        )
    if problems:
        raise InputError(problems)
    return tables


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

"""An edition's tables as a `figures.xlsx` made for people: the same tables the reader reads, plus help.

The workbook is read back by `ingest/xlsx_cells.py` to the very frames it was written from. Row 1 of
each sheet titles each column in French followed by the contract's name in parentheses (« Montant
(amount) »), which is what the reader reads; what is expected is a comment on the header cell; the guide
is the sheet "À lire", and the check beside a declared total is in a column whose header starts with `_`,
which the reader drops without evaluating it. Each row is written at the line it was
read from, so that even the frames' line numbers (and every message that quotes them) are unchanged.

A number is written as a number, with the cell format showing the decimals it was typed with: the
reader takes the shown decimals as the precision the figure is printed with.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.authoring.carry_over import LEFT_OUT
from flows.edition.authoring.markers import TO_TYPE
from flows.edition.authoring.workbook_cells import (
    BOLD,
    CHARS_PER_WIDTH,
    HEADER_FILL,
    LAST_ROW,
    LINE_HEIGHT,
    MAX_WIDTH,
    Layout,
    cell_comment,
    header_text,
    layout_of,
    print_setup,
    reference_cell,
    reference_header,
    wrapped_lines,
)
from flows.edition.authoring.workbook_checks import (
    add_drop_downs,
    add_execution_checks,
    add_total_checks,
    guard_references,
)
from flows.edition.authoring.workbook_guide import write_guide
from flows.edition.contract import EXPECTED, TABLES, Column, TableSpec
from flows.edition.errors import InputError
from flows.edition.french import UNIT_FACTORS
from flows.edition.ingest.snapshot import Edition, list_editions, read_edition
from flows.edition.ingest.xlsx_cells import HELP_SHEET
from flows.edition.labels import COLUMN_TITLES

# Kept importable from here: the open-data package sizes its rows as the workbook does; tests read LAST_ROW.
__all__ = [
    "CHARS_PER_WIDTH",
    "LAST_ROW",
    "LINE_HEIGHT",
    "build_workbook",
    "earlier_edition",
    "exported_tables",
    "workbook_bytes",
]


# Numbers right-aligned under their header, a rounded amount typed as text ("153,3 M€") with them; a
# mission or part number centred, away from the unit beside it.
_ALIGN = {"amount": "right", "number": "right", "pct": "right", "headline": "right", "int": "center"}


# Columns whose figures are typed anew each year: beside each, the earlier edition's figure, for memory.
# Not revenue's previous_year, which `fir new` fills with the earlier edition's final revenue itself.
REFERENCED_KINDS = ("amount", "number", "pct", "headline")
NOT_REFERENCED = {("revenue", "previous_year")} | {(table, name) for table, names in LEFT_OUT.items() for name in names}


def earlier_edition(inputs: Path, region: str, year: int, asked: int | None = None) -> tuple[Edition | None, str]:
    """The edition whose figures the workbook shows for memory, and why none when there is none.

    The rule: `asked` (`--from`), else the region's latest edition before `year` in the same inputs
    folder — the one `fir new` starts from. An edition still being filled in shows what it has.
    """
    years = sorted(y for r, y in list_editions(inputs) if r == region and y < year) if inputs.is_dir() else []
    if asked is not None and asked not in years:
        listed = ", ".join(map(str, years)) or "aucune"
        return None, f"pas d'édition {region} {asked} avant {year} dans {inputs} (éditions antérieures : {listed})"
    if not years:
        return None, f"aucune édition de {region} antérieure à {year} dans {inputs}"
    chosen = asked if asked is not None else years[-1]
    try:
        return read_edition(inputs, region, chosen, allow_incomplete=True), ""
    except InputError as exc:
        first = exc.problems[0] if exc.problems else exc
        return None, f"l'édition {chosen} ne se lit pas ({first})"


def workbook_bytes(edition: Edition, earlier: Edition | None = None, inputs: Path | None = None) -> bytes:
    """The workbook of `edition`'s tables, as the bytes of a .xlsx file (see `build_workbook`)."""
    buffer = io.BytesIO()
    build_workbook(edition, earlier, inputs).save(buffer)
    return buffer.getvalue()


def exported_tables(edition: Edition) -> dict[str, pl.DataFrame]:
    """The tables a workbook holds, in the contract's order: those the edition gives. A table aggregated
    from a line-level ledger stays out: typed into the workbook, it would no longer be the ledger's."""
    return {
        name: edition.tables[name]
        for name in TABLES
        if name in edition.tables and not edition.sources.get(name, "").endswith("(agrégé)")
    }


def build_workbook(edition: Edition, earlier: Edition | None = None, inputs: Path | None = None) -> Workbook:
    """The guide, then one sheet per table in the contract's order, with drop-downs, formats and checks;
    with `earlier`, that edition's figures beside the cells to type and beside the check sums. `inputs`
    (the folder the edition was read from) lets the guide name the very file to save it as."""
    tables = exported_tables(edition)
    before = exported_tables(earlier) if earlier is not None else {}
    book = Workbook()
    guide = book.active
    assert guide is not None
    guide.title = HELP_SHEET
    write_guide(guide, edition, tables, earlier, inputs)
    missions = [str(m) for m in edition.missions_ref["mission"].to_list()]
    references = {name: _reference_values(name, frame, before.get(name)) for name, frame in tables.items()}
    layouts = {name: layout_of(TABLES[name], references[name]) for name in tables}
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        spec = TABLES[name]
        to_fill = edition.todo.table(name)
        placeholders = to_fill.placeholders if to_fill else frozenset()
        _write_table(sheet, spec, frame, layouts[name], placeholders)
        if earlier is not None:
            _write_references(sheet, spec, layouts[name], references[name], earlier.meta.year)
        add_drop_downs(sheet, spec, layouts, tables, missions)
        past = before.get(name) if earlier is not None else None
        year = earlier.meta.year if earlier is not None else None
        if spec.single_total:
            add_total_checks(sheet, spec, frame, layouts[name], placeholders, past, year)
        if name == "execution":
            add_execution_checks(sheet, frame, layouts, tables, before, year)
        if earlier is not None:
            guard_references(sheet, earlier.meta.year, year=edition.meta.year)
        _fit_header_row(sheet)
        sheet.freeze_panes = "A2"
        print_setup(sheet, landscape=True)
        sheet.print_title_rows = "1:1"
    print_setup(guide, landscape=True)
    return book


def _row_keys(spec: TableSpec, frame: pl.DataFrame) -> list[tuple[object, int]]:
    """Each row's identity across editions: its key (`line_id`, `budget`…), or for a table without one
    (several amounts or key figures of one action) its first column and its rank among those rows."""
    seen: dict[object, int] = {}
    keys = []
    for value in frame[spec.key or spec.columns[0].name].to_list():
        keys.append((value, seen.get(value, 0)))
        seen[value] = seen.get(value, 0) + 1
    return keys


def _reference_values(
    name: str, frame: pl.DataFrame, earlier: pl.DataFrame | None
) -> dict[str, dict[int, tuple[str | int | float, str | None]]]:
    """For each column typed anew, the earlier edition's figure of each row found in both (matched by
    `_row_keys`), by line of the sheet: (value, number format with its unit). Columns with none: left out."""
    if earlier is None:
        return {}
    spec = TABLES[name]
    past = dict(zip(_row_keys(spec, earlier), earlier.iter_rows(named=True), strict=True))
    rows = {line: past[key] for key, line in zip(_row_keys(spec, frame), frame["_line"], strict=True) if key in past}
    found: dict[str, dict[int, tuple[str | int | float, str | None]]] = {}
    for column in spec.columns:
        if column.kind not in REFERENCED_KINDS or (name, column.name) in NOT_REFERENCED:
            continue
        values = {}
        for line, row in rows.items():
            value, number_format = _cell_value(column, row)
            if value is not None:
                values[line] = (value, _with_unit(number_format, column, row))
        if values:
            found[column.name] = values
    return found


def _with_unit(number_format: str | None, column: Column, row: Mapping[str, Any]) -> str | None:
    """A reference's number format, showing its unit (« 517,1 M€ »): last year's unit may not be this year's."""
    if number_format is None:
        return None
    unit = "%" if column.kind == "pct" else (row.get("unit") or ("€" if column.kind == "amount" else None))
    return f'{number_format}" {unit}"' if unit else number_format


def _write_table(
    sheet: Worksheet,
    spec: TableSpec,
    frame: pl.DataFrame,
    layout: Layout,
    placeholders: frozenset[tuple[int, str]] = frozenset(),
) -> None:
    """Header row, then each row at the line it was read from; widths from the longest text. An amount
    still to type that an empty cell would mark "not applicable" is written `?`, as `fir new` left it."""
    titles = COLUMN_TITLES[spec.name]
    widths: dict[int, int] = {}
    for column in spec.columns:
        index = layout.columns[column.name]
        cell = sheet.cell(1, index, header_text(titles[column.name], column.name))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        # a number's header above its digits; a long title wrapped within its column
        cell.alignment = Alignment(horizontal=_ALIGN.get(column.kind), vertical="top", wrap_text=True)
        cell.comment = cell_comment(
            f"{titles[column.name]}{' (colonne facultative)' if column.optional else ''}\n"
            f"Attendu : {EXPECTED[column.kind]}."
        )
        longest_word = max(len(word) for word in str(cell.value).split())  # never cut inside a word
        widths[index] = max(len(column.name) + 4, math.ceil(longest_word / (BOLD * CHARS_PER_WIDTH)) + 2)
    for row in frame.iter_rows(named=True):
        line = row["_line"]
        for column in spec.columns:
            index = layout.columns[column.name]
            value, number_format = _cell_value(column, row)
            if value is None and (line, column.name) in placeholders:
                value = TO_TYPE
            if value is None:
                continue
            cell = sheet.cell(line, index, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # a label that starts with "=" is text, not a formula
            if number_format is not None:
                cell.number_format = number_format
            # Top-aligned, so that a row grown by a wrapped label still reads across.
            cell.alignment = Alignment(vertical="top", horizontal=_ALIGN.get(column.kind))
            shown = len(value) if isinstance(value, str) else len(f"{value:,}") + 1
            widths[index] = max(widths[index], shown + 2)
    heights: dict[int, int] = {}
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
        if width <= MAX_WIDTH:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal)
            if isinstance(cell.value, str):
                heights[cell.row] = max(heights.get(cell.row, 1), wrapped_lines(cell.value, MAX_WIDTH))
    for row_number, lines in heights.items():
        if lines > 1:
            sheet.row_dimensions[row_number].height = lines * LINE_HEIGHT


def _write_references(
    sheet: Worksheet,
    spec: TableSpec,
    layout: Layout,
    references: Mapping[str, Mapping[int, tuple[str | int | float, str | None]]],
    year: int,
) -> None:
    """Beside each column typed anew, the earlier edition's figures of the same rows: grey, for memory."""
    for name, values in references.items():
        index = layout.references[name]
        title = COLUMN_TITLES[spec.name][name]
        reference_header(sheet, index, year, f"{title} de l'édition {year}")
        width = 15  # « Pour mémoire : » on a line, the year beneath
        for line, (value, number_format) in values.items():
            cell = reference_cell(sheet, line, index, value, number_format)
            shown = len(value) if isinstance(value, str) else len(f"{value:,}") + 6
            width = max(width, min(shown + 2, MAX_WIDTH))
            cell.alignment = Alignment(vertical="top", horizontal="right", wrap_text=isinstance(value, str))
        sheet.column_dimensions[get_column_letter(index)].width = width
        typed = sheet.column_dimensions[layout.letter(name)]  # room to type this year's figure, as wide
        typed.width = max(typed.width or 0, min(width, MAX_WIDTH))


def _fit_header_row(sheet: Worksheet) -> None:
    """Row 1 as high as its longest wrapped title, once every column (checks included) has its width."""
    lines = 1
    for cell in sheet[1]:
        if cell.value is None:
            continue
        width = sheet.column_dimensions[cell.column_letter].width or 10
        lines = max(lines, wrapped_lines(str(cell.value), (min(width, MAX_WIDTH) - 1) * BOLD))
    if lines > 1:
        sheet.row_dimensions[1].height = lines * LINE_HEIGHT


def _cell_value(column: Column, row: Mapping[str, Any]) -> tuple[str | int | float | None, str | None]:
    """The value to write for one cell of a typed row, and its number format (None: General)."""
    value = row[column.name]
    if value is None:
        return None, None
    kind = column.kind
    if kind == "int":
        return int(value), "0"
    if kind in ("amount", "number", "pct"):
        decimals = int(row[f"{column.name}_dp"] or 0)
        number = Decimal(value) / UNIT_FACTORS[row["unit"] or "€"] if kind == "amount" else Decimal(str(value))
        shown = "." + "0" * decimals if decimals else ""
        written: int | float = int(number) if decimals == 0 else float(round(number, decimals))
        return written, ("0" if kind == "pct" else "#,##0") + shown
    if kind == "headline":
        unit = row[f"{column.name}_unit"]
        decimals = int(row[f"{column.name}_dp"] or 0)
        number = Decimal(value) / UNIT_FACTORS[unit]
        return f"{number:.{decimals}f}".replace(".", ",") + f" {unit}", None
    return str(value), None

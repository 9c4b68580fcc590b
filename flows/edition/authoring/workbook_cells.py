"""How the cells of an edition's workbook (workbook.py) look and where they stand: widths, fills, comments,
the grey « Pour mémoire » cells, the print set-up, and the columns' layout."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.contract import TableSpec
from flows.edition.french import UNIT_FACTORS
from flows.edition.ingest.xlsx_cells import REFERENCE_TITLE

AUTHOR = "fir workbook"
LAST_ROW = 1000  # drop-downs and check sums reach this row, so that rows added later are covered
MAX_WIDTH = 60
GUIDE_WIDTH = 90  # fits an A4 page in landscape unscaled, whatever font replaces Calibri
LINE_HEIGHT = 15  # points per line of wrapped text: spreadsheets do not size rows written by a program
BOLD = 0.8  # bold text (the header row) takes a fifth more width than ordinary text
CHARS_PER_WIDTH = 1.2  # characters of ordinary text per unit of column width (a "0"): 73 fit in 60 with DejaVu Sans
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
HELPER_FILL = PatternFill("solid", fgColor="EFEFEF")
REFERENCE_FONT = Font(italic=True, color="595959")  # grey: last year's figure, to read, not to type over
GAP_FILL = PatternFill("solid", fgColor="F4B183")  # a check sum that differs from its declared total


@dataclass
class Layout:
    """Where a table's columns stand in its sheet: the contract's columns in order, each followed by its
    reference column when it has one; the check columns after them all."""

    columns: dict[str, int]  # contract name → sheet column (1-based)
    references: dict[str, int] = field(default_factory=dict)  # contract name → the column beside it
    end: int = 0  # the last column of the table and its references

    def letter(self, name: str) -> str:
        return str(get_column_letter(self.columns[name]))


def layout_of(spec: TableSpec, referenced: Mapping[str, object]) -> Layout:
    layout = Layout({})
    index = 0
    for column in spec.columns:
        index += 1
        layout.columns[column.name] = index
        if column.name in referenced:
            index += 1
            layout.references[column.name] = index
    layout.end = index
    return layout


def header_text(title: str, name: str) -> str:
    """A column's header: its French title for people, then in parentheses the contract's name, which is
    what the reader reads (`ingest/xlsx_cells.column_name`)."""
    return french_spaces(f"{title} ({name})")


def french_spaces(text: str) -> str:
    """Guillemets held to their words by no-break spaces, so that a wrapped line never starts with « » »."""
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def wrapped_lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` wide (an estimate, on the safe side): wrapped
    at words, as a spreadsheet does, so that a long unbreakable word (a path) counts the lines it takes."""
    chars = max(1, int(width * CHARS_PER_WIDTH))
    return max(1, len(textwrap.wrap(text, chars)), math.ceil(len(text) / chars))


def cell_comment(text: str) -> Comment:
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = 120
    return comment


def reference_header(sheet: Worksheet, index: int, year: int, what: str) -> None:
    header = sheet.cell(1, index, f"{REFERENCE_TITLE} : {year}")
    header.font = Font(bold=True, italic=True, color="595959")
    header.fill = HELPER_FILL
    header.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    header.comment = cell_comment(
        f"Pour mémoire : {what}. Ces chiffres ne sont pas lus par l'outil (en-tête « {REFERENCE_TITLE} ») : "
        "ne rien y saisir, taper le chiffre de l'année dans la colonne à gauche."
    )


def reference_cell(sheet: Worksheet, line: int, index: int, value: str | int | float, number_format: str | None) -> Any:
    cell = sheet.cell(line, index, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    cell.fill = HELPER_FILL
    cell.font = REFERENCE_FONT
    cell.alignment = Alignment(vertical="top", horizontal="right")
    return cell


def euros_shown(euros: int, unit: str, decimals: int) -> tuple[int | float, str]:
    """A sum in euros as a cell in `unit`: the exact number, shown with the `decimals` of the figure it
    stands beside (like the check sum it goes with)."""
    number = Decimal(euros) / UNIT_FACTORS[unit]
    written: int | float = int(number) if number == number.to_integral_value() else float(number)
    return written, "#,##0" + ("." + "0" * decimals if decimals else "") + f'" {unit}"'


def print_setup(sheet: Worksheet, landscape: bool) -> None:
    """Printed (or saved as PDF), a sheet fits the page's width, its header repeated on every page."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

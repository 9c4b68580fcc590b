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
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.authoring.carry_over import LEFT_OUT
from flows.edition.authoring.markers import TO_TYPE
from flows.edition.contract import EXPECTED, TABLES, Column, TableSpec
from flows.edition.errors import InputError
from flows.edition.french import UNIT_FACTORS
from flows.edition.ingest.snapshot import ASIDE_FOLDER, Edition, list_editions, read_edition
from flows.edition.ingest.xlsx_cells import CHECK_TITLE, HELP_SHEET, REFERENCE_TITLE, WORKBOOK
from flows.edition.labels import COLUMN_TITLES

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

# Numbers right-aligned under their header, a rounded amount typed as text ("153,3 M€") with them; a
# mission or part number centred, away from the unit beside it.
_ALIGN = {"amount": "right", "number": "right", "pct": "right", "headline": "right", "int": "center"}

# What each table holds, in the words of the guide ("À lire").
TABLE_TITLES: dict[str, str] = {
    "revenue": "Recettes du FIR, par étape budgétaire",
    "revenue_priorities": "Montants nationaux fléchés cités dans le texte",
    "execution": "Exécution : autorisations d'engagement (AE) et crédits de paiement (CP)",
    "missions": "AE et CP par mission du FIR",
    "cp_by_nature": "Crédits de paiement par nature de dépense",
    "thematics": "Dépenses par grande thématique",
    "parts": "Parties (ou orientations stratégiques) du volet « en actions »",
    "actions": "Sections et actions du volet « en actions », dans l'ordre de lecture",
    "action_amounts": "Montants mis en avant d'une section ou d'une action",
    "key_figures": "Chiffres clés en exergue (ex. « 3 010 pharmaciens »)",
}
TABLE_NOTES: dict[str, str] = {
    "revenue": "Une ligne par recette (genre « line ») et une seule ligne de total (genre « total »), "
    "pour chaque étape : année précédente, budgets rectificatifs 1 à 4, montant final.",
    "revenue_priorities": "Montants cités dans le texte, avec leur libellé et un qualificatif éventuel (« plus de »).",
    "execution": "Une ligne AE et une ligne CP. Chaque ligne donne des crédits ouverts non nuls, "
    "ou un taux publié, ou les deux.",
    "missions": "Une ligne par mission (1 à 5). Les sommes des AE et des CP sont comparées à celles de la "
    "feuille « execution ».",
    "cp_by_nature": "La somme des montants est comparée aux CP exécutés.",
    "thematics": "Une ligne par thématique et une seule ligne de total, non nulle : les parts sont calculées "
    "sur ce total.",
    "parts": "Numérotées 1, 2, … dans l'ordre de la brochure.",
    "actions": "Une section n'a pas de parent ; une action donne la section dont elle fait partie.",
    "action_amounts": "Plusieurs lignes pour une même action sont imprimées dans l'ordre.",
    "key_figures": "Le nombre, son unité éventuelle, les mots imprimés en grand, puis le détail en petit.",
}


# Columns whose figures are typed anew each year: beside each, the earlier edition's figure, for memory.
# Not revenue's previous_year, which `fir new` fills with the earlier edition's final revenue itself.
REFERENCED_KINDS = ("amount", "number", "pct", "headline")
NOT_REFERENCED = {("revenue", "previous_year")} | {(table, name) for table, names in LEFT_OUT.items() for name in names}


@dataclass
class _Layout:
    """Where a table's columns stand in its sheet: the contract's columns in order, each followed by its
    reference column when it has one; the check columns after them all."""

    columns: dict[str, int]  # contract name → sheet column (1-based)
    references: dict[str, int] = field(default_factory=dict)  # contract name → the column beside it
    end: int = 0  # the last column of the table and its references

    def letter(self, name: str) -> str:
        return str(get_column_letter(self.columns[name]))


def _layout(spec: TableSpec, referenced: Mapping[str, object]) -> _Layout:
    layout = _Layout({})
    index = 0
    for column in spec.columns:
        index += 1
        layout.columns[column.name] = index
        if column.name in referenced:
            index += 1
            layout.references[column.name] = index
    layout.end = index
    return layout


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
    _write_guide(guide, edition, tables, earlier, inputs)
    missions = [str(m) for m in edition.missions_ref["mission"].to_list()]
    references = {name: _reference_values(name, frame, before.get(name)) for name, frame in tables.items()}
    layouts = {name: _layout(TABLES[name], references[name]) for name in tables}
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        spec = TABLES[name]
        to_fill = edition.todo.table(name)
        placeholders = to_fill.placeholders if to_fill else frozenset()
        _write_table(sheet, spec, frame, layouts[name], placeholders)
        if earlier is not None:
            _write_references(sheet, spec, layouts[name], references[name], earlier.meta.year)
        _add_drop_downs(sheet, spec, layouts, tables, missions)
        past = before.get(name) if earlier is not None else None
        year = earlier.meta.year if earlier is not None else None
        if spec.single_total:
            _add_total_checks(sheet, spec, frame, layouts[name], placeholders, past, year)
        if name == "execution":
            _add_execution_checks(sheet, frame, layouts, tables, before, year)
        if earlier is not None:
            _guard_references(sheet, earlier.meta.year, year=edition.meta.year)
        _fit_header_row(sheet)
        sheet.freeze_panes = "A2"
        _print_setup(sheet, landscape=True)
        sheet.print_title_rows = "1:1"
    _print_setup(guide, landscape=True)
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


def _euros_shown(euros: int, unit: str, decimals: int) -> tuple[int | float, str]:
    """A sum in euros as a cell in `unit`: the exact number, shown with the `decimals` of the figure it
    stands beside (like the check sum it goes with)."""
    number = Decimal(euros) / UNIT_FACTORS[unit]
    written: int | float = int(number) if number == number.to_integral_value() else float(number)
    return written, "#,##0" + ("." + "0" * decimals if decimals else "") + f'" {unit}"'


def _print_setup(sheet: Worksheet, landscape: bool) -> None:
    """Printed (or saved as PDF), a sheet fits the page's width, its header repeated on every page."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def header_text(title: str, name: str) -> str:
    """A column's header: its French title for people, then in parentheses the contract's name, which is
    what the reader reads (`ingest/xlsx_cells.column_name`)."""
    return french_spaces(f"{title} ({name})")


def french_spaces(text: str) -> str:
    """Guillemets held to their words by no-break spaces, so that a wrapped line never starts with « » »."""
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` wide (an estimate, on the safe side): wrapped
    at words, as a spreadsheet does, so that a long unbreakable word (a path) counts the lines it takes."""
    chars = max(1, int(width * CHARS_PER_WIDTH))
    return max(1, len(textwrap.wrap(text, chars)), math.ceil(len(text) / chars))


def _write_table(
    sheet: Worksheet,
    spec: TableSpec,
    frame: pl.DataFrame,
    layout: _Layout,
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
        cell.comment = _comment(
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
                heights[cell.row] = max(heights.get(cell.row, 1), _lines(cell.value, MAX_WIDTH))
    for row_number, lines in heights.items():
        if lines > 1:
            sheet.row_dimensions[row_number].height = lines * LINE_HEIGHT


def _write_references(
    sheet: Worksheet,
    spec: TableSpec,
    layout: _Layout,
    references: Mapping[str, Mapping[int, tuple[str | int | float, str | None]]],
    year: int,
) -> None:
    """Beside each column typed anew, the earlier edition's figures of the same rows: grey, for memory."""
    for name, values in references.items():
        index = layout.references[name]
        title = COLUMN_TITLES[spec.name][name]
        _reference_header(sheet, index, year, f"{title} de l'édition {year}")
        width = 15  # « Pour mémoire : » on a line, the year beneath
        for line, (value, number_format) in values.items():
            cell = _reference_cell(sheet, line, index, value, number_format)
            shown = len(value) if isinstance(value, str) else len(f"{value:,}") + 6
            width = max(width, min(shown + 2, MAX_WIDTH))
            cell.alignment = Alignment(vertical="top", horizontal="right", wrap_text=isinstance(value, str))
        sheet.column_dimensions[get_column_letter(index)].width = width
        typed = sheet.column_dimensions[layout.letter(name)]  # room to type this year's figure, as wide
        typed.width = max(typed.width or 0, min(width, MAX_WIDTH))


def _reference_header(sheet: Worksheet, index: int, year: int, what: str) -> None:
    header = sheet.cell(1, index, f"{REFERENCE_TITLE} : {year}")
    header.font = Font(bold=True, italic=True, color="595959")
    header.fill = HELPER_FILL
    header.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    header.comment = _comment(
        f"Pour mémoire : {what}. Ces chiffres ne sont pas lus par l'outil (en-tête « {REFERENCE_TITLE} ») : "
        "ne rien y saisir, taper le chiffre de l'année dans la colonne à gauche."
    )


def _reference_cell(
    sheet: Worksheet, line: int, index: int, value: str | int | float, number_format: str | None
) -> Any:
    cell = sheet.cell(line, index, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if number_format is not None:
        cell.number_format = number_format
    cell.fill = HELPER_FILL
    cell.font = REFERENCE_FONT
    cell.alignment = Alignment(vertical="top", horizontal="right")
    return cell


def _guard_references(sheet: Worksheet, earlier: int, year: int) -> None:
    """A figure typed into a « Pour mémoire » column is refused on the spot (it would never be read): the
    spreadsheet says where this year's figure goes. Emptying a cell stays possible."""
    letters = [cell.column_letter for cell in sheet[1] if str(cell.value or "").startswith(REFERENCE_TITLE)]
    if not letters:
        return
    validation = DataValidation(type="textLength", operator="lessThan", formula1="0", allow_blank=True)
    validation.errorTitle = f"Chiffre {earlier}, pour mémoire"
    validation.error = (
        f"Cette colonne rappelle le chiffre de {earlier} et n'est pas lue par l'outil : taper le chiffre de "
        f"{year} dans la colonne à sa gauche."
    )
    validation.showErrorMessage = True
    for letter in letters:
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.add_data_validation(validation)


def _fit_header_row(sheet: Worksheet) -> None:
    """Row 1 as high as its longest wrapped title, once every column (checks included) has its width."""
    lines = 1
    for cell in sheet[1]:
        if cell.value is None:
            continue
        width = sheet.column_dimensions[cell.column_letter].width or 10
        lines = max(lines, _lines(str(cell.value), (min(width, MAX_WIDTH) - 1) * BOLD))
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


def _add_drop_downs(
    sheet: Worksheet,
    spec: TableSpec,
    layouts: Mapping[str, _Layout],
    tables: Mapping[str, pl.DataFrame],
    missions: list[str],
) -> None:
    """A drop-down list on every column whose values form a closed set: those the contract names, and
    ids that must exist in another table (a part, an action)."""
    titles = COLUMN_TITLES[spec.name]
    for column in spec.columns:
        choices = _choices(spec.name, column, layouts, tables, missions)
        if choices is None:
            continue
        formula, shown = choices
        validation = DataValidation(type="list", formula1=formula, allow_blank=column.nullable)
        validation.error = f"Colonne « {titles[column.name]} » : choisir une valeur de la liste : {shown}."
        validation.errorTitle = "Valeur hors de la liste"
        validation.prompt = f"Choisir dans la liste : {shown}."
        # Excel refuses a title over 32 characters: cut at a word
        validation.promptTitle = textwrap.shorten(titles[column.name], 32, placeholder=" …")
        validation.showErrorMessage = True
        validation.showInputMessage = True
        letter = layouts[spec.name].letter(column.name)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        sheet.add_data_validation(validation)


def _choices(
    table: str,
    column: Column,
    layouts: Mapping[str, _Layout],
    tables: Mapping[str, pl.DataFrame],
    missions: list[str],
) -> tuple[str, str] | None:
    """(data-validation formula, the choices in words) for a closed-set column, else None."""
    listed = {
        "unit": list(UNIT_FACTORS),
        "key_unit": ["%", *UNIT_FACTORS],
        "kind": ["line", "total"],
        "budget": ["AE", "CP"],
    }.get(column.kind)
    if table == "missions" and column.name == "mission":
        listed = missions
    if listed is not None:
        return '"' + ",".join(listed) + '"', ", ".join(listed)
    source = {
        ("actions", "part_id"): ("parts", "part_id"),
        ("actions", "parent_id"): ("actions", "action_id"),
        ("action_amounts", "action_id"): ("actions", "action_id"),
        ("key_figures", "action_id"): ("actions", "action_id"),
    }.get((table, column.name))
    if source is None or source[0] not in tables:
        return None
    other, key = source
    letter = layouts[other].letter(key)
    return (
        f"{other}!${letter}$2:${letter}${LAST_ROW}",
        f"les identifiants de la colonne « {COLUMN_TITLES[other][key]} » de la feuille « {other} »",
    )


def _add_total_checks(
    sheet: Worksheet,
    spec: TableSpec,
    frame: pl.DataFrame,
    layout: _Layout,
    placeholders: frozenset[tuple[int, str]] = frozenset(),
    earlier: pl.DataFrame | None = None,
    year: int | None = None,
) -> None:
    """Beside the total row, for each amount column it declares (or will declare: a total still to type),
    the sum of the `line` rows, then the same sum in the earlier edition. In columns headed « Contrôle … »
    and « Pour mémoire … », which the reader drops."""
    totals = frame.filter(pl.col("kind") == "total")
    if totals.height != 1:
        return
    total_line = totals["_line"][0]
    kind_letter = layout.letter("kind")
    next_column = layout.end + 1
    for column in spec.columns:
        to_type = (total_line, column.name) in placeholders or not column.nullable
        if column.kind != "amount" or (totals[column.name][0] is None and not to_type):
            continue
        letter = layout.letter(column.name)
        title = COLUMN_TITLES[spec.name][column.name]
        _check_cell(
            sheet,
            (total_line, layout.columns[column.name]),
            next_column,
            f"{CHECK_TITLE} : somme des lignes — {title}",
            f"somme des lignes « line » de la colonne « {title} »",
            f'=SUMIF(${kind_letter}$2:${kind_letter}${LAST_ROW},"line",{letter}$2:{letter}${LAST_ROW})',
            int(totals[f"{column.name}_dp"][0] or 0),
        )
        next_column += 1
        past = _earlier_line_sum(earlier, column.name)
        if past is not None and year is not None:
            euros, unit, decimals = past
            _reference_header(sheet, next_column, year, f"la somme des lignes « {title} » de l'édition {year}")
            value, number_format = _euros_shown(euros, unit, decimals)
            _reference_cell(sheet, total_line, next_column, value, number_format)
            sheet.column_dimensions[get_column_letter(next_column)].width = max(16, len(f"{value:,}") + 8)
            next_column += 1


def _earlier_line_sum(earlier: pl.DataFrame | None, column: str) -> tuple[int, str, int] | None:
    """The earlier edition's sum of the `line` rows of `column` (euros), shown in the unit and decimals of
    its declared total; None when that edition has no such figures."""
    if earlier is None or column not in earlier.columns:
        return None
    total = earlier.filter(pl.col("kind") == "total")
    lines = earlier.filter((pl.col("kind") == "line") & pl.col(column).is_not_null())
    if total.height != 1 or lines.height == 0:
        return None
    return int(lines[column].sum()), total["unit"][0] or "€", int(total[f"{column}_dp"][0] or 0)


# The tables whose sums `validate` compares with the AE or CP executed: (sheet, budget, title, what, amount,
# only the total row?). Their units may differ from the executed amount's: the check converts to euros and back.
_EXECUTION_CHECKS = (
    ("missions", "AE", "somme des missions", "somme des AE de la feuille « missions »", "ae", False),
    ("missions", "CP", "somme des missions", "somme des CP de la feuille « missions »", "cp", False),
    ("cp_by_nature", "CP", "somme des natures", "somme des montants de la feuille « cp_by_nature »", "amount", False),
    ("thematics", "CP", "total des thématiques", "total déclaré de la feuille « thematics »", "amount", True),
)


def _add_execution_checks(
    sheet: Worksheet,
    frame: pl.DataFrame,
    layouts: Mapping[str, _Layout],
    tables: Mapping[str, pl.DataFrame],
    before: Mapping[str, pl.DataFrame],
    year: int | None,
) -> None:
    """Beside the AE and CP executed, the sums of the other tables they are reconciled with; with an earlier
    edition, beside each, the same sum that edition gave."""
    layout = layouts["execution"]
    executed = layout.columns["executed"]
    unit = layout.letter("unit")
    columns: dict[str, int] = {}
    next_column = layout.end + 1
    past_execution = before.get("execution")
    for other, budget, title, what, amount, total_only in _EXECUTION_CHECKS:
        rows = frame.filter(pl.col("budget") == budget)
        if other not in tables or rows.height != 1:  # `executed` is never empty, except still to type
            continue
        past = _earlier_execution_sum(before.get(other), past_execution, budget, amount, total_only)
        if title not in columns:
            columns[title] = next_column
            next_column += 2 if year is not None and _has_earlier(before, other, past_execution) else 1
        column = columns[title]
        line = rows["_line"][0]
        other_layout = layouts[other]
        amounts = _column_range(other, other_layout, amount)
        units = _column_range(other, other_layout, "unit")
        only = f'({_column_range(other, other_layout, "kind")}="total")*' if total_only else ""
        to_euros = f'(1+999*({units}="k€")+999999*({units}="M€"))'
        from_euros = f'IF(${unit}{line}="M€",1000000,IF(${unit}{line}="k€",1000,1))'
        _check_cell(
            sheet,
            (line, executed),
            column,
            f"{CHECK_TITLE} : {title}",
            f"{what}, dans l'unité de la ligne",
            f"=SUMPRODUCT({only}{amounts}*{to_euros})/{from_euros}",
            int(rows["executed_dp"][0] or 0),
        )
        if past is not None and year is not None:
            euros, past_unit, decimals = past
            _reference_header(sheet, column + 1, year, f"la {title} de l'édition {year}")
            value, number_format = _euros_shown(euros, past_unit, decimals)
            _reference_cell(sheet, line, column + 1, value, number_format)
            width = sheet.column_dimensions[get_column_letter(column + 1)].width or 0
            sheet.column_dimensions[get_column_letter(column + 1)].width = max(width, 16, len(f"{value:,}") + 8)


def _has_earlier(before: Mapping[str, pl.DataFrame], other: str, execution: pl.DataFrame | None) -> bool:
    return other in before and execution is not None


def _earlier_execution_sum(
    table: pl.DataFrame | None, execution: pl.DataFrame | None, budget: str, amount: str, total_only: bool
) -> tuple[int, str, int] | None:
    """The earlier edition's sum of `table`'s `amount` (euros), in the unit and decimals of its executed
    `budget` row; None when that edition lacks either."""
    if table is None or execution is None:
        return None
    row = execution.filter(pl.col("budget") == budget)
    rows = table.filter(pl.col("kind") == "total") if total_only else table
    rows = rows.filter(pl.col(amount).is_not_null())
    if row.height != 1 or rows.height == 0:
        return None
    return int(rows[amount].sum()), row["unit"][0] or "€", int(row["executed_dp"][0] or 0)


def _column_range(table: str, layout: _Layout, column: str) -> str:
    letter = layout.letter(column)
    return f"{table}!${letter}$2:${letter}${LAST_ROW}"


def _check_cell(
    sheet: Worksheet, declared: tuple[int, int], column: int, header: str, what: str, formula: str, decimals: int
) -> None:
    """One check: its « Contrôle » header, its formula beside the declared figure, shown like it, coloured
    when the gap is more than half a printed step of the declared figure (517,1 M€: 0,05 M€) — more than its
    own rounding. `fir check` applies the contract's tolerance, which also counts the lines' rounding."""
    row, declared_column = declared
    title = sheet.cell(1, column, header)
    title.font = Font(bold=True, italic=True)
    title.fill = HELPER_FILL
    title.alignment = Alignment(horizontal="right", vertical="top", wrap_text=True)
    title.comment = _comment(
        f"Contrôle, non lu par l'outil : {what}, à comparer au montant déclaré ; en orange quand l'écart "
        "dépasse l'arrondi du montant déclaré (fir check dit si l'écart reste celui des arrondis)."
    )
    check = sheet.cell(row, column, formula)
    check.number_format = sheet.cell(row, declared_column).number_format
    check.fill = HELPER_FILL
    check.font = Font(italic=True)
    check.alignment = Alignment(vertical="top", horizontal="right")
    where = f"{get_column_letter(column)}{row}"
    half_step = f"{Decimal(5).scaleb(-decimals - 1):f}"
    sheet.conditional_formatting.add(
        where,
        FormulaRule(
            formula=[f"ABS({where}-{get_column_letter(declared_column)}{row})>{half_step}"],
            fill=GAP_FILL,
            stopIfTrue=True,
        ),
    )
    sheet.column_dimensions[get_column_letter(column)].width = 20


def _comment(text: str) -> Comment:
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = 120
    return comment


def _write_guide(
    sheet: Worksheet,
    edition: Edition,
    tables: Mapping[str, pl.DataFrame],
    earlier: Edition | None = None,
    inputs: Path | None = None,
) -> None:
    """The sheet "À lire": where to save the file, what each table holds and how the workbook is read,
    in plain French."""
    from flows.commands import suggest

    region, year = edition.meta.region, edition.meta.year
    place = f"{region}/{year}/{WORKBOOK}"
    where = (inputs / region / str(year) / WORKBOOK).absolute() if inputs else None
    here = f" — sur le poste où ce classeur a été fait : {where}" if where else ""
    tidy = suggest("workbook", "--region", region, "--year", year, "--ranger-csv", inputs=inputs, anywhere=True)
    memory = (
        (
            "",
            f"Chiffres de {earlier.meta.year}, pour mémoire : à droite de chaque colonne de montants, une colonne "
            f"grisée « {REFERENCE_TITLE} : {earlier.meta.year} » donne le chiffre de la même ligne dans l'édition "
            f"{earlier.meta.year} (avec son unité), et à côté de chaque contrôle la même somme en "
            f"{earlier.meta.year}. Ces colonnes ne sont pas lues : ne rien y saisir, taper le chiffre de "
            f"{year} dans la colonne à leur gauche.",
        )
        if earlier is not None
        else None
    )
    lines: list[tuple[str, str]] = [  # (style, text)
        ("title", f"Chiffres de la brochure FIR — {edition_label(edition)}"),
        ("", "Ce classeur contient les tableaux de chiffres de la brochure, une feuille par tableau."),
        ("heading", "Où l'enregistrer"),
        (
            "",
            f"Sous le nom {WORKBOOK}, au format Excel (.xlsx), dans le dossier de l'édition : "
            f"inputs/{place}{here}. C'est le seul nom que l'outil lit ; une copie enregistrée ailleurs ou "
            "sous un autre nom n'est pas lue.",
        ),
        (
            "",
            "Et les fichiers CSV ? Un tableau se lit soit d'un fichier CSV (revenue.csv…), soit d'une feuille "
            f"de ce classeur, jamais des deux. Dès que {WORKBOOK} est dans le dossier, les fichiers CSV des "
            f"tableaux qu'il contient doivent en sortir : les déplacer dans le sous-dossier {ASIDE_FOLDER}/ "
            f"(l'outil ne le lit pas ; rien n'est perdu), ou lancer « {tidy} », qui les y déplace après "
            "confirmation. fir check nomme les fichiers à déplacer s'il en reste. Un tableau sans feuille "
            "dans ce classeur continue d'être lu de son fichier CSV.",
        ),
        ("heading", "Comment le remplir"),
        (
            "",
            "Ce que l'outil lit : dans chaque feuille, la ligne 1 puis les lignes suivantes. En ligne 1, chaque "
            "colonne a son titre en français suivi, entre parenthèses, du nom que l'outil lit (« Montant "
            "(amount) ») : le titre peut changer, pas le nom entre parenthèses. Le commentaire de la cellule "
            "d'en-tête (la survoler) dit ce qui est attendu.",
        ),
        (
            "",
            "Ce que l'outil ne lit pas : cette feuille « À lire », les feuilles masquées ou dont le nom "
            "commence par « _ » (vos notes : « _Notes DAF »), les colonnes grisées dont l'en-tête commence "
            f"par « {REFERENCE_TITLE} » ou « {CHECK_TITLE} », et les colonnes dont l'en-tête commence par "
            "« _ » (les vôtres). Toute autre feuille est refusée.",
        ),
        *([memory] if memory else []),
        (
            "",
            "Montants : un nombre positif, dans l'unité de la colonne « Unité (unit) » de sa ligne (€, k€ ou M€). "
            "Le nombre de décimales affichées est la précision imprimée : 517,1 M€ s'imprime « 517,1 M€ ». "
            "Pour changer la précision, changer le format de la cellule, pas seulement la valeur. "
            "Une cellule vide veut dire « sans objet », ce qui n'est pas 0 ; « ? » veut dire « à saisir » "
            "(fir check liste tout ce qui reste à compléter).",
        ),
        (
            "",
            "Listes déroulantes : les unités, le genre (line / total), le budget (AE / CP), les numéros de "
            "mission et les identifiants de parties et d'actions se choisissent dans une liste.",
        ),
        (
            "",
            f"Contrôle des totaux : à côté de la ligne de total d'une table, une colonne grisée « {CHECK_TITLE} : "
            "somme des lignes — … » calcule la somme des lignes ; à côté des AE et CP exécutés (feuille "
            f"« execution »), « {CHECK_TITLE} : somme des missions », « … somme des natures » et « … total des "
            "thématiques » donnent les sommes des feuilles « missions », « cp_by_nature » et « thematics », "
            "converties dans l'unité de la ligne. Le contrôle se colore en orange quand l'écart dépasse "
            "l'arrondi du montant déclaré (0,5 € pour un montant à l'euro, 0,05 M€ pour 538,7 M€). "
            "C'est une aide : fir check compare toujours les totaux et dit si un écart s'explique par les "
            "arrondis (avertissement) ou non (erreur).",
        ),
        (
            "",
            "Une table facultative absente de ce classeur s'ajoute en créant une feuille du même nom, "
            "avec ses noms de colonnes en ligne 1 (voir inputs/README.md).",
        ),
    ]
    for name, spec in TABLES.items():
        present = "" if name in tables else " (absente de ce classeur)"
        lines.append(("heading", f"{TABLE_TITLES[name]} — feuille « {name} »{present}"))
        lines.append(("", TABLE_NOTES[name]))
        for column in spec.columns:
            optional = ", facultative" if column.optional else ""
            lines.append(
                ("column", f"{COLUMN_TITLES[name][column.name]} ({column.name}){optional} : {EXPECTED[column.kind]}")
            )
    sheet.column_dimensions["A"].width = GUIDE_WIDTH
    for row, (style, text) in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, french_spaces(text))
        size = 14 if style == "title" else 12 if style == "heading" else 11
        sheet.row_dimensions[row].height = _lines(text, GUIDE_WIDTH * 11 / size) * LINE_HEIGHT * size / 11 + 3
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=2 if style == "column" else 0)
        if style == "title":
            cell.font = Font(bold=True, size=14)
        elif style == "heading":
            cell.font = Font(bold=True, size=12)
            cell.fill = HEADER_FILL


def edition_label(edition: Edition) -> str:
    """The edition as a person names it: "Hauts-de-France, 2024"."""
    return f"{edition.meta.region_name}, {edition.meta.year}"

"""The workbook's help beside the figures (workbook.py): drop-down lists for closed sets, the check sums beside
declared totals and executed amounts (with the earlier edition's), and « Pour mémoire » columns guarded against
typing. None of it is read back: the reader drops the columns whose header starts with « Contrôle » or
« Pour mémoire »."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from decimal import Decimal

import polars as pl
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.authoring.workbook_cells import (
    GAP_FILL,
    HELPER_FILL,
    LAST_ROW,
    Layout,
    cell_comment,
    euros_shown,
    reference_cell,
    reference_header,
)
from flows.edition.contract import Column, TableSpec
from flows.edition.french import UNIT_FACTORS
from flows.edition.ingest.xlsx_cells import CHECK_TITLE, REFERENCE_TITLE
from flows.edition.labels import COLUMN_TITLES


def guard_references(sheet: Worksheet, earlier: int, year: int) -> None:
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


def add_drop_downs(
    sheet: Worksheet,
    spec: TableSpec,
    layouts: Mapping[str, Layout],
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
    layouts: Mapping[str, Layout],
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


def add_total_checks(
    sheet: Worksheet,
    spec: TableSpec,
    frame: pl.DataFrame,
    layout: Layout,
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
            reference_header(sheet, next_column, year, f"la somme des lignes « {title} » de l'édition {year}")
            value, number_format = euros_shown(euros, unit, decimals)
            reference_cell(sheet, total_line, next_column, value, number_format)
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


def add_execution_checks(
    sheet: Worksheet,
    frame: pl.DataFrame,
    layouts: Mapping[str, Layout],
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
            reference_header(sheet, column + 1, year, f"la {title} de l'édition {year}")
            value, number_format = euros_shown(euros, past_unit, decimals)
            reference_cell(sheet, line, column + 1, value, number_format)
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


def _column_range(table: str, layout: Layout, column: str) -> str:
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
    title.comment = cell_comment(
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

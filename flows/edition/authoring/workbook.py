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
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from flows.edition.authoring.markers import TO_TYPE
from flows.edition.contract import EXPECTED, TABLES, Column, TableSpec
from flows.edition.french import UNIT_FACTORS
from flows.edition.ingest.snapshot import Edition
from flows.edition.ingest.xlsx_cells import HELP_SHEET, HELPER_PREFIX
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
    "missions": "Une ligne par mission (1 à 5). Les sommes des AE et des CP sont comparées à la table execution.",
    "cp_by_nature": "La somme des montants est comparée aux CP exécutés.",
    "thematics": "Une ligne par thématique et une seule ligne de total, non nulle : les parts sont calculées "
    "sur ce total.",
    "parts": "Numérotées 1, 2, … dans l'ordre de la brochure.",
    "actions": "Une section n'a pas de parent ; une action donne la section dont elle fait partie.",
    "action_amounts": "Plusieurs lignes pour une même action sont imprimées dans l'ordre.",
    "key_figures": "Le nombre, son unité éventuelle, les mots imprimés en grand, puis le détail en petit.",
}


def workbook_bytes(edition: Edition) -> bytes:
    """The workbook of `edition`'s tables, as the bytes of a .xlsx file."""
    buffer = io.BytesIO()
    build_workbook(edition).save(buffer)
    return buffer.getvalue()


def exported_tables(edition: Edition) -> dict[str, pl.DataFrame]:
    """The tables a workbook holds, in the contract's order: those the edition gives. A table aggregated
    from a line-level ledger stays out: typed into the workbook, it would no longer be the ledger's."""
    return {
        name: edition.tables[name]
        for name in TABLES
        if name in edition.tables and not edition.sources.get(name, "").endswith("(agrégé)")
    }


def build_workbook(edition: Edition) -> Workbook:
    """The guide, then one sheet per table in the contract's order, with drop-downs, formats and checks."""
    tables = exported_tables(edition)
    book = Workbook()
    guide = book.active
    assert guide is not None
    guide.title = HELP_SHEET
    _write_guide(guide, edition, tables)
    missions = [str(m) for m in edition.missions_ref["mission"].to_list()]
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        spec = TABLES[name]
        to_fill = edition.todo.table(name)
        _write_table(sheet, spec, frame, to_fill.placeholders if to_fill else frozenset())
        _add_drop_downs(sheet, spec, tables, missions)
        if spec.single_total:
            _add_total_checks(sheet, spec, frame, to_fill.placeholders if to_fill else frozenset())
        if name == "execution":
            _add_execution_checks(sheet, frame, tables)
        sheet.freeze_panes = "A2"
        _print_setup(sheet, landscape=True)
        sheet.print_title_rows = "1:1"
    _print_setup(guide, landscape=True)
    return book


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
    return f"{title} ({name})"


def _lines(text: str, width: float) -> int:
    """How many lines `text` takes wrapped in a column `width` wide (an estimate, on the safe side)."""
    return max(1, math.ceil(len(text) / (width * CHARS_PER_WIDTH)))


def _write_table(
    sheet: Worksheet, spec: TableSpec, frame: pl.DataFrame, placeholders: frozenset[tuple[int, str]] = frozenset()
) -> None:
    """Header row, then each row at the line it was read from; widths from the longest text. An amount
    still to type that an empty cell would mark "not applicable" is written `?`, as `fir new` left it."""
    titles = COLUMN_TITLES[spec.name]
    widths: dict[int, int] = {}
    for index, column in enumerate(spec.columns, start=1):
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
        for index, column in enumerate(spec.columns, start=1):
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
        header = str(sheet.cell(1, index).value)
        heights[1] = max(heights.get(1, 1), _lines(header, (min(width, MAX_WIDTH) - 1) * BOLD))
        if width <= MAX_WIDTH:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=cell.alignment.horizontal)
            if isinstance(cell.value, str):
                heights[cell.row] = max(heights.get(cell.row, 1), _lines(cell.value, MAX_WIDTH))
    for row_number, lines in heights.items():
        if lines > 1:
            sheet.row_dimensions[row_number].height = lines * LINE_HEIGHT


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


def _add_drop_downs(sheet: Worksheet, spec: TableSpec, tables: Mapping[str, pl.DataFrame], missions: list[str]) -> None:
    """A drop-down list on every column whose values form a closed set: those the contract names, and
    ids that must exist in another table (a part, an action)."""
    for index, column in enumerate(spec.columns, start=1):
        choices = _choices(spec.name, column, tables, missions)
        if choices is None:
            continue
        formula, shown = choices
        validation = DataValidation(type="list", formula1=formula, allow_blank=column.nullable)
        validation.error = f"Choisir une valeur de la liste : {shown}."
        validation.errorTitle = f"Colonne « {column.name} »"
        validation.prompt = f"Choisir dans la liste : {shown}."
        validation.promptTitle = COLUMN_TITLES[spec.name][column.name]
        validation.showErrorMessage = True
        validation.showInputMessage = True
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        sheet.add_data_validation(validation)


def _choices(
    table: str, column: Column, tables: Mapping[str, pl.DataFrame], missions: list[str]
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
    letter = get_column_letter(TABLES[other].column_names.index(key) + 1)
    return (
        f"{other}!${letter}$2:${letter}${LAST_ROW}",
        f"les identifiants de la colonne « {key} » de la feuille {other}",
    )


def _add_total_checks(
    sheet: Worksheet, spec: TableSpec, frame: pl.DataFrame, placeholders: frozenset[tuple[int, str]] = frozenset()
) -> None:
    """Beside the total row, for each amount column it declares (or will declare: a total still to type),
    the sum of the `line` rows. In a column headed `_…`, which the reader drops."""
    totals = frame.filter(pl.col("kind") == "total")
    if totals.height != 1:
        return
    total_line = totals["_line"][0]
    kind_letter = get_column_letter(spec.column_names.index("kind") + 1)
    next_column = len(spec.columns) + 1
    for index, column in enumerate(spec.columns, start=1):
        to_type = (total_line, column.name) in placeholders or not column.nullable
        if column.kind != "amount" or (totals[column.name][0] is None and not to_type):
            continue
        letter = get_column_letter(index)
        _check_cell(
            sheet,
            (total_line, index),
            next_column,
            f"{HELPER_PREFIX}somme_{column.name}",
            f"somme des lignes « line » de la colonne {column.name}",
            f'=SUMIF(${kind_letter}$2:${kind_letter}${LAST_ROW},"line",{letter}$2:{letter}${LAST_ROW})',
            int(totals[f"{column.name}_dp"][0] or 0),
        )
        next_column += 1


# The tables whose sums `validate` compares with the AE or CP executed: (sheet, budget, header, what, only
# the total row?). Their units may differ from the executed amount's: the check converts to euros and back.
_EXECUTION_CHECKS = (
    ("missions", "AE", "somme_missions", "somme des AE de la feuille missions", "ae", False),
    ("missions", "CP", "somme_missions", "somme des CP de la feuille missions", "cp", False),
    ("cp_by_nature", "CP", "somme_natures", "somme des montants de la feuille cp_by_nature", "amount", False),
    ("thematics", "CP", "total_thematiques", "total déclaré de la feuille thematics", "amount", True),
)


def _add_execution_checks(sheet: Worksheet, frame: pl.DataFrame, tables: Mapping[str, pl.DataFrame]) -> None:
    """Beside the AE and CP executed, the sums of the other tables they are reconciled with."""
    spec = TABLES["execution"]
    executed = spec.column_names.index("executed") + 1
    unit = get_column_letter(spec.column_names.index("unit") + 1)
    columns: dict[str, int] = {}
    for other, budget, name, what, amount, total_only in _EXECUTION_CHECKS:
        rows = frame.filter(pl.col("budget") == budget)
        if other not in tables or rows.height != 1:  # `executed` is never empty, except still to type
            continue
        column = columns.setdefault(name, len(spec.columns) + 1 + len(columns))
        line = rows["_line"][0]
        other_spec = TABLES[other]
        amounts = _column_range(other, other_spec, amount)
        units = _column_range(other, other_spec, "unit")
        only = f'({_column_range(other, other_spec, "kind")}="total")*' if total_only else ""
        to_euros = f'(1+999*({units}="k€")+999999*({units}="M€"))'
        from_euros = f'IF(${unit}{line}="M€",1000000,IF(${unit}{line}="k€",1000,1))'
        _check_cell(
            sheet,
            (line, executed),
            column,
            f"{HELPER_PREFIX}{name}",
            f"{what}, dans l'unité de la ligne",
            f"=SUMPRODUCT({only}{amounts}*{to_euros})/{from_euros}",
            int(rows["executed_dp"][0] or 0),
        )


def _column_range(table: str, spec: TableSpec, column: str) -> str:
    letter = get_column_letter(spec.column_names.index(column) + 1)
    return f"{table}!${letter}$2:${letter}${LAST_ROW}"


def _check_cell(
    sheet: Worksheet, declared: tuple[int, int], column: int, header: str, what: str, formula: str, decimals: int
) -> None:
    """One check: its `_…` header, its formula beside the declared figure, shown like it, coloured when the
    gap is more than half a printed step of the declared figure (517,1 M€: 0,05 M€) — more than its own
    rounding. `fir check` applies the contract's tolerance, which also counts the lines' rounding."""
    row, declared_column = declared
    title = sheet.cell(1, column, header)
    title.font = Font(bold=True, italic=True)
    title.fill = HELPER_FILL
    title.alignment = Alignment(horizontal="right")
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
    sheet.column_dimensions[get_column_letter(column)].width = max(len(header) + 2, 16)


def _comment(text: str) -> Comment:
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = 120
    return comment


def _write_guide(sheet: Worksheet, edition: Edition, tables: Mapping[str, pl.DataFrame]) -> None:
    """The sheet "À lire": what each table holds and how the workbook is read, in plain French."""
    lines: list[tuple[str, str]] = [  # (style, text)
        ("title", f"Chiffres de la brochure FIR — {edition_label(edition)}"),
        ("", "Ce classeur contient les tableaux de chiffres de la brochure, une feuille par tableau."),
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
            "commence par « _ » (vos notes), et les colonnes dont l'en-tête commence par « _ » (les contrôles).",
        ),
        (
            "",
            "Montants : un nombre positif, dans l'unité de la colonne « unit » de sa ligne (€, k€ ou M€). "
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
            "Contrôle des totaux : à côté de la ligne de total d'une table, une colonne grisée « _somme_… » "
            "calcule la somme des lignes ; à côté des AE et CP exécutés (feuille execution), les sommes des "
            "feuilles missions, cp_by_nature et thematics, converties dans l'unité de la ligne. Le contrôle "
            "se colore en orange quand l'écart dépasse l'arrondi du montant déclaré (0,5 € pour un montant à "
            "l'euro, 0,05 M€ pour 538,7 M€). C'est une aide : fir check compare toujours les totaux et dit si "
            "un écart s'explique par les arrondis (avertissement) ou non (erreur).",
        ),
        (
            "",
            "Une table facultative absente de ce classeur s'ajoute en créant une feuille du même nom, "
            "avec ses noms de colonnes en ligne 1 (voir inputs/README.md).",
        ),
    ]
    for name, spec in TABLES.items():
        present = "" if name in tables else " (absente de ce classeur)"
        lines.append(("heading", f"Feuille « {name} » — {TABLE_TITLES[name]}{present}"))
        lines.append(("", TABLE_NOTES[name]))
        for column in spec.columns:
            optional = ", facultative" if column.optional else ""
            lines.append(
                ("column", f"{column.name} — {COLUMN_TITLES[name][column.name]}{optional} : {EXPECTED[column.kind]}")
            )
    sheet.column_dimensions["A"].width = GUIDE_WIDTH
    for row, (style, text) in enumerate(lines, start=1):
        cell = sheet.cell(row, 1, text)
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

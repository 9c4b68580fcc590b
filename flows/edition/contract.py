"""The input tables: their columns, types, units and row rules (documented in inputs/README.md).

Every table reaches this module as text cells (from CSV or XLSX alike) with the line each row came
from; `parse_table` turns it into a typed Polars frame or raises an InputError listing every bad
cell. Amounts become whole euros (Int64) plus the number of decimals they were typed with, which is
the precision they are printed with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import polars as pl

from flows.edition.errors import InputError, Problem
from flows.edition.french import UNIT_FACTORS, parse_number, to_euros
from flows.edition.labels import column_label

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_PROBLEMS = 50
# Far beyond any figure of a regional fund, and within the frame's Int64 (euros) and Int8 (decimals).
MAX_DECIMALS = 6
MAX_VALUE = 10**15


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # slug | text | kind | budget | unit | key_unit | int | amount | pct | number | headline
    optional: bool = False  # the column may be left out of the file
    nullable: bool = False  # a cell may be empty


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str | None = None  # column whose values must be unique
    single_total: bool = False  # a `kind` column with exactly one `total` row
    base_of_shares: str | None = None  # column of the total row that shares are divided by: not 0
    needs_rate: bool = False  # each row gives non-zero `opened` credits or a published `rate_pct`

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _stage(name: str) -> Column:
    return Column(name, "amount", optional=True, nullable=True)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "revenue",
            (
                Column("line_id", "slug"),
                Column("kind", "kind"),
                Column("label", "text"),
                Column("reference", "text", optional=True, nullable=True),
                Column("unit", "unit"),
                _stage("previous_year"),
                _stage("br1"),
                _stage("br2"),
                _stage("br3"),
                _stage("br4"),
                Column("final", "amount", nullable=True),
            ),
            key="line_id",
            single_total=True,
        ),
        TableSpec(
            "revenue_priorities",
            (
                Column("item_id", "slug"),
                Column("label", "text"),
                Column("qualifier", "text", optional=True, nullable=True),
                Column("unit", "unit"),
                Column("amount", "amount"),
            ),
            required=False,
            key="item_id",
        ),
        TableSpec(
            "execution",
            (
                Column("budget", "budget"),
                Column("label", "text"),
                Column("unit", "unit"),
                Column("executed", "amount"),
                Column("opened", "amount", optional=True, nullable=True),
                Column("rate_pct", "pct", optional=True, nullable=True),
            ),
            key="budget",
            needs_rate=True,
        ),
        TableSpec(
            "missions",
            (
                Column("mission", "int"),
                Column("unit", "unit"),
                Column("ae", "amount"),
                Column("cp", "amount"),
            ),
            required=False,
            key="mission",
        ),
        TableSpec(
            "cp_by_nature",
            (
                Column("nature_id", "slug"),
                Column("label", "text"),
                Column("unit", "unit"),
                Column("amount", "amount"),
            ),
            required=False,
            key="nature_id",
        ),
        TableSpec(
            "thematics",
            (
                Column("thematic_id", "slug"),
                Column("kind", "kind"),
                Column("label", "text"),
                Column("label_in_sentence", "text", optional=True, nullable=True),
                Column("unit", "unit"),
                Column("amount", "amount"),
                Column("published_share_pct", "pct", optional=True, nullable=True),
                Column("published_headline", "headline", optional=True, nullable=True),
            ),
            required=False,
            key="thematic_id",
            single_total=True,
            base_of_shares="amount",
        ),
        TableSpec(
            "parts",
            (Column("part_id", "slug"), Column("number", "int"), Column("title", "text")),
            key="part_id",
        ),
        TableSpec(
            "actions",
            (
                Column("action_id", "slug"),
                Column("part_id", "slug"),
                Column("parent_id", "slug", nullable=True),
                Column("title", "text"),
            ),
            key="action_id",
        ),
        TableSpec(
            "action_amounts",
            (
                Column("action_id", "slug"),
                Column("label", "text", optional=True, nullable=True),
                Column("qualifier", "text", optional=True, nullable=True),
                Column("unit", "unit"),
                Column("amount", "amount"),
            ),
            required=False,
        ),
        TableSpec(
            "key_figures",
            (
                Column("action_id", "slug"),
                Column("value", "number"),
                Column("unit", "key_unit", optional=True, nullable=True),
                Column("label", "text"),
                Column("detail", "text", optional=True, nullable=True),
            ),
            required=False,
        ),
    )
}

EXPECTED = {
    "slug": "un identifiant en minuscules, chiffres et tirets (ex. « total », « mission-2 »)",
    "text": "un texte non vide",
    "kind": "« line » (une ligne) ou « total » (le total déclaré)",
    "budget": "« AE » ou « CP »",
    "unit": "une unité parmi « € », « k€ », « M€ »",
    "key_unit": "vide, « % », « € », « k€ » ou « M€ »",
    "int": "un nombre entier",
    "amount": (
        "un montant positif sans symbole, chiffres groupés par espaces, décimales après une "
        "virgule (ex. « 303 543 407 » ou « 2,9 ») ; l'unité est dans la colonne « Unité »"
    ),
    "pct": "un pourcentage sans le signe % (ex. « 99,1 »)",
    "number": "un nombre (ex. « 3 010 » ou « 26,3 »)",
    "headline": "un montant suivi de son unité (ex. « 115 M€ », « 208 k€ »)",
}


Value = str | int | float | None  # a typed cell
Extra = int | tuple[str, int] | None  # its decimals, or a headline's (unit, decimals)


class Report(Protocol):
    def __call__(
        self,
        expected: str,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        col_index: int | None = None,
    ) -> None: ...


@dataclass
class RawTable:
    """A table as text cells, before typing. `lines[i]` is the file line (or sheet row) of row i."""

    name: str
    source: str  # file name shown in messages: "revenue.csv" or "figures.xlsx, feuille revenue"
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_line: int = 1
    cell_ref: Callable[[int, int], str | None] = field(default=lambda line, col: None)


def parse_table(raw: RawTable, spec: TableSpec) -> pl.DataFrame:
    """Type a raw table against its spec; every problem found is reported at once."""
    problems: list[Problem] = []

    def problem(
        expected: str,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        col_index: int | None = None,
    ) -> None:
        cell = raw.cell_ref(line, col_index) if line is not None and col_index is not None else None
        problems.append(Problem(raw.source, expected, line, column, value, cell))

    header = [h.strip() for h in raw.header]
    known = set(spec.column_names)
    for index, name in enumerate(header):
        if name not in known:
            problem(
                f"une colonne parmi : {', '.join(spec.column_names)}",
                raw.header_line,
                name or f"n° {index + 1}",
                name,
                index,
            )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problem("chaque colonne une seule fois", raw.header_line, name, name)
        seen.add(name)
    for column in spec.columns:
        if not column.optional and column.name not in header:
            problem(
                f"une colonne « {column_label(spec.name, column.name)} » ({EXPECTED[column.kind]})",
                raw.header_line,
                column.name,
            )
    if problems:
        raise InputError(problems)
    if not raw.rows:
        raise InputError(Problem(raw.source, "au moins une ligne de données après l'en-tête", raw.header_line))

    index_of = {name: i for i, name in enumerate(header)}
    data: dict[str, Sequence[object]] = {"_line": list(raw.lines)}
    for column in spec.columns:
        if column.name not in index_of:
            _add_missing_column(data, column, len(raw.rows))
            continue
        i = index_of[column.name]
        values: list[Value] = []
        extras: list[Extra] = []
        for row, line in zip(raw.rows, raw.lines, strict=True):
            text = row[i].strip() if i < len(row) else ""
            value: Value
            extra: Extra
            try:
                value, extra = _parse_cell(text, column, row, index_of)
            except ValueError as exc:
                problem(str(exc) or EXPECTED[column.kind], line, column.name, text, i)
                value, extra = None, None
            values.append(value)
            extras.append(extra)
        _add_column(data, column, values, extras)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems)

    frame = to_frame(data, spec)
    _check_rows(frame, spec, raw, problem)
    if problems:
        raise InputError(problems)
    return frame


def _parse_cell(text: str, column: Column, row: list[str], index_of: dict[str, int]) -> tuple[Value, Extra]:
    """Return (value, extra) for one cell; extra carries decimals or the headline's unit."""
    if text == "":
        if column.nullable:
            return None, None
        raise ValueError(EXPECTED[column.kind] + " (la cellule est vide)")
    kind = column.kind
    if kind == "slug":
        if not SLUG.match(text):
            raise ValueError(EXPECTED[kind])
        return text, None
    if kind == "text":
        return text, None
    if kind == "kind":
        if text not in ("line", "total"):
            raise ValueError(EXPECTED[kind])
        return text, None
    if kind == "budget":
        if text not in ("AE", "CP"):
            raise ValueError(EXPECTED[kind])
        return text, None
    if kind == "unit":
        if text not in UNIT_FACTORS:
            raise ValueError(EXPECTED[kind])
        return text, None
    if kind == "key_unit":
        if text not in ("%", *UNIT_FACTORS):
            raise ValueError(EXPECTED[kind])
        return text, None
    if kind == "int":
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValueError(EXPECTED[kind] + " (au plus 9 chiffres)")
        return int(text), None
    if kind in ("pct", "number"):
        number, decimals = _number(text, kind)
        return float(number), decimals
    if kind == "amount":
        number, decimals = _number(text, kind)
        unit = row[index_of["unit"]].strip() if "unit" in index_of else "€"
        if unit not in UNIT_FACTORS:
            return None, None  # reported on the unit column
        return _euros(number, unit, text), decimals
    if kind == "headline":
        match = re.fullmatch(r"(.+?)\s*(k€|M€|€)", text)
        if not match:
            raise ValueError(EXPECTED[kind])
        number, decimals = _number(match.group(1), kind)
        return _euros(number, match.group(2), match.group(1)), (match.group(2), decimals)
    raise AssertionError(kind)


def _number(text: str, kind: str) -> tuple[Decimal, int]:
    try:
        number, decimals = parse_number(text)
    except ValueError:
        raise ValueError(EXPECTED[kind]) from None
    if decimals > MAX_DECIMALS:
        raise ValueError(f"{EXPECTED[kind]}, avec au plus {MAX_DECIMALS} décimales")
    if number >= MAX_VALUE:
        raise ValueError("un nombre inférieur à 10¹⁵ (unité ou séparateurs erronés ?)")
    return number, decimals


def _euros(number: Decimal, unit: str, text: str) -> int:
    try:
        euros = to_euros(number, unit)
    except ValueError:
        raise ValueError(f"un nombre entier d'euros ({text} {unit} n'en est pas un)") from None
    if euros >= MAX_VALUE:
        raise ValueError(f"un montant inférieur à 10¹⁵ € ({text} {unit} : unité ou séparateurs erronés ?)")
    return euros


def _add_missing_column(data: dict[str, Sequence[object]], column: Column, n: int) -> None:
    _add_column(data, column, [None] * n, [None] * n)


def _add_column(data: dict[str, Sequence[object]], column: Column, values: list[Value], extras: list[Extra]) -> None:
    data[column.name] = values
    if column.kind in ("amount", "pct", "number"):
        data[f"{column.name}_dp"] = extras
    elif column.kind == "headline":
        data[f"{column.name}_unit"] = [e[0] if isinstance(e, tuple) else None for e in extras]
        data[f"{column.name}_dp"] = [e[1] if isinstance(e, tuple) else None for e in extras]


_DTYPES: dict[str, PolarsDataType] = {
    "slug": pl.String,
    "text": pl.String,
    "kind": pl.String,
    "budget": pl.String,
    "unit": pl.String,
    "key_unit": pl.String,
    "int": pl.Int64,
    "amount": pl.Int64,
    "pct": pl.Float64,
    "number": pl.Float64,
    "headline": pl.Int64,
}


def to_frame(data: Mapping[str, Sequence[object]], spec: TableSpec) -> pl.DataFrame:
    """The typed frame of a table from its columns' values: the one dtype map, for the tables parsed
    here and those built from a line-level ledger. Keys of `data` the spec does not have are ignored."""
    schema: dict[str, PolarsDataType] = {"_line": pl.Int64}
    for column in spec.columns:
        schema[column.name] = _DTYPES[column.kind]
        if column.kind in ("amount", "pct", "number", "headline"):
            schema[f"{column.name}_dp"] = pl.Int8
        if column.kind == "headline":
            schema[f"{column.name}_unit"] = pl.String
    return pl.DataFrame({name: data[name] for name in schema}, schema=schema)


def _check_rows(frame: pl.DataFrame, spec: TableSpec, raw: RawTable, problem: Report) -> None:
    if spec.key:
        duplicated = frame.filter(pl.col(spec.key).is_duplicated())
        for line, value in duplicated.select("_line", spec.key).iter_rows():
            problem(
                f"une valeur de « {column_label(spec.name, spec.key)} » unique dans la table (doublon)",
                line,
                spec.key,
                str(value),
                raw.header.index(spec.key) if spec.key in raw.header else None,
            )
    if spec.single_total:
        totals = frame.filter(pl.col("kind") == "total")
        if totals.height != 1:
            lines = ", ".join(str(x) for x in totals["_line"].to_list()) or "aucune"
            problem(f"exactement une ligne « total » (trouvé : {totals.height}, lignes {lines})", None, "kind")
        elif spec.base_of_shares and not totals[spec.base_of_shares][0]:
            line = totals["_line"][0]
            problem(
                "un total non nul (les parts des lignes sont calculées sur ce total)",
                line,
                spec.base_of_shares,
                *_cell(raw, line, spec.base_of_shares),
            )
    if spec.needs_rate:
        no_rate = frame.filter(pl.col("opened").fill_null(0).eq(0) & pl.col("rate_pct").is_null())
        for line in no_rate["_line"]:
            problem(
                "des crédits ouverts non nuls (« opened ») ou un taux publié (« rate_pct ») : "
                "sans l'un ni l'autre, pas de taux d'exécution",
                line,
                "opened",
                *_cell(raw, line, "opened"),
            )


def _cell(raw: RawTable, line: int, column: str) -> tuple[str, int | None]:
    """The text of one cell (empty when the column is left out) and its column index, for a message."""
    header = [h.strip() for h in raw.header]
    if column not in header:
        return "", None
    index = header.index(column)
    row = raw.rows[raw.lines.index(line)]
    return (row[index].strip() if index < len(row) else ""), index

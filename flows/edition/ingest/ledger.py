"""The agency's line-level ledger ("grand livre") aggregated into the figures the brochure prints.

Reading is `ledger_read` (contract: inputs/LEDGER.md); the comparison with the aggregated tables is
`validate/ledger.py`. This module aggregates the ledger lazily with the Polars streaming engine into
AE and CP executed, AE and CP by mission and CP by thematic, and shapes them like the typed tables.
Pure: no Prefect, nothing written to disk.

Exactness: every amount becomes an Int64 number of cents on its own line (from its decimal text, a
decimal column, or a float that must hold whole cents); sums are taken in Int128, and whole euros
are rounded half-up from the cents of each total at the very end. No float is ever summed.

One pass over the ledger groups it by (budget, destination, year) — a few hundred groups — with
the line count, the sum in cents and the counts of bad and negative values; everything else is
computed from that small frame. A second pass, only when a value is bad, finds the lines to name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import polars as pl

from flows.edition.contract import TABLES, to_frame
from flows.edition.errors import InputError, Problem
from flows.edition.french import format_number, round_half_up
from flows.edition.ingest.files import InputFile
from flows.edition.ingest.ledger_read import (
    EXPECTED,
    ROW,
    SOURCE,
    check_columns,
    check_nomenclature,
    file_problem,
    first_line,
    is_csv,
    source_of,
)

BUDGETS = ("AE", "CP")
SHOWN = 5  # bad lines named per column, unknown codes named in a message
MAX_AMOUNT_DIGITS = 15  # whole-euro digits of one line: below 10¹⁵ €, like the aggregated tables
DTYPES = {
    "date": "une colonne de dates (ou de textes AAAA-MM-JJ)",
    "budget": "une colonne de textes",
    "amount": "une colonne décimale (ou de textes, d'entiers, de flottants en centimes entiers)",
    "destination": "une colonne de textes",
    "department": "une colonne de textes",
    "beneficiary_category": "une colonne de textes",
}
_AMOUNT_TEXT = rf"^-?\d{{1,{MAX_AMOUNT_DIGITS}}}(?:\.\d{{1,2}})?$"
_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
_MAX_CENTS = 10 ** (MAX_AMOUNT_DIGITS + 2)


@dataclass(frozen=True)
class LedgerDiagnostics:
    """What the aggregation counted besides the totals. Amounts in whole euros (half-up)."""

    lines: int  # every line of the ledger
    out_of_year: int  # lines dated in another year: left out of every total
    out_of_year_ae: int
    out_of_year_cp: int
    other_years: tuple[int, ...]  # the years they are dated in
    unknown_destination: int  # lines of the year whose destination is not in the nomenclature
    unknown_codes: tuple[str, ...]  # the first codes (sorted; "" for an empty cell)
    unknown_codes_count: int  # how many distinct codes
    unknown_ae: int  # their amounts: in the AE/CP totals, in no mission or thematic
    unknown_cp: int
    negative: int  # lines of the year with a negative amount (cancellations), kept in the totals


@dataclass(frozen=True)
class LedgerTotals:
    """The ledger's figures for one year, in whole euros rounded half-up from exact cents."""

    year: int
    source: str
    ae: int
    cp: int
    ae_cents: int
    cp_cents: int
    missions: pl.DataFrame  # mission, ae, cp (Int64 euros): every mission of the nomenclature
    thematics: pl.DataFrame  # thematic_id, amount (Int64 euros, CP): every thematic of the nomenclature
    diagnostics: LedgerDiagnostics
    thematic_labels: dict[str, str] = field(default_factory=dict)


def euros(cents: int) -> int:
    """Exact cents to whole euros, halves away from zero (2,50 € → 3 €, −2,50 € → −3 €), by the
    brochure's one rounding rule; 40 digits hold any Int128 sum, so the division is exact."""
    with localcontext(prec=40):
        return int(round_half_up(Decimal(int(cents)) / 100, 0))


# --- aggregation ---------------------------------------------------------------------------------


def aggregate(
    ledger: pl.LazyFrame, nomenclature: pl.DataFrame, year: int, *, file: InputFile | None = None
) -> LedgerTotals:
    """AE and CP executed in `year`, by mission and CP by thematic, from the ledger's lines.

    Lines dated in another year are left out (and counted); lines whose destination is not in the
    nomenclature count in the AE and CP totals but in no mission or thematic (and are counted);
    negative lines (cancellations) count like any other. Raises InputError naming the first bad
    lines when a date, budget or amount cannot be read. `file`: the InputFile the ledger was scanned
    from (the snapshot's), whose bytes locate an unreadable line; without it, its path (a direct caller).
    """
    source = file.source if file is not None else source_of(ledger)
    data = file.data if file is not None else _path_of(source)
    schema = _schema(ledger, source)
    check_columns(schema.names(), source)
    _check_dtypes(schema, source)
    check_nomenclature(nomenclature, "nomenclature")
    typed = _typed(schema)
    # Polars only notices a CSV line with more fields than the header when it parses every column:
    # the columns the totals do not use are read too (cheap), so that such a line is an error.
    others = [c for c in schema.names() if c not in ("date", "budget", "amount", "destination", SOURCE)]
    parsed = others if is_csv(source) else []

    groups = _collect(
        ledger.select(
            typed["budget"].alias("budget"),
            typed["destination"].alias("destination"),
            typed["date"].dt.year().alias("year"),
            typed["cents"].alias("cents"),
            *(pl.col(c) for c in parsed),
        )
        .group_by("budget", "destination", "year")
        .agg(
            pl.len().cast(pl.Int64).alias("lines"),
            pl.col("cents").cast(pl.Int128).sum().alias("cents"),
            pl.col("cents").null_count().cast(pl.Int64).alias("bad_amounts"),
            (pl.col("cents") < 0).sum().cast(pl.Int64).alias("negative"),
            *(pl.col(c).null_count().alias(f"_parsed_{i}") for i, c in enumerate(parsed)),
        ),
        source,
        data,
    )
    _raise_on_bad_values(ledger, groups, typed, source, data)
    return _totals(groups, nomenclature, year, source)


def _schema(ledger: pl.LazyFrame, source: str) -> pl.Schema:
    try:
        return ledger.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(Problem(source, "un grand livre lisible", value=first_line(exc))) from None


def _check_dtypes(schema: pl.Schema, source: str) -> None:
    allowed: dict[str, Callable[[pl.DataType], bool]] = {
        "date": lambda d: d in (pl.Date, pl.String) or isinstance(d, pl.Datetime),
        "budget": _is_text,
        "amount": lambda d: d == pl.String or isinstance(d, pl.Decimal) or d.is_float() or d.is_integer(),
        "destination": lambda d: _is_text(d) or d.is_integer(),
        "department": lambda d: _is_text(d) or d.is_integer() or d == pl.Null,
        "beneficiary_category": lambda d: _is_text(d) or d == pl.Null,
    }
    problems = [
        Problem(source, DTYPES[name], None, name, f"type {schema[name]}")
        for name, ok in allowed.items()
        if not ok(schema[name])
    ]
    if problems:
        raise InputError(problems)


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null


def _typed(schema: pl.Schema) -> dict[str, pl.Expr]:
    """Expressions turning the ledger's columns into date (Date), cents (Int64), budget and
    destination (stripped text); a value that cannot be read becomes null (budget: kept as is)."""
    return {
        "date": _date(schema["date"]),
        "cents": _cents(schema["amount"]),
        "budget": pl.col("budget").cast(pl.String).str.strip_chars(),
        "destination": pl.col("destination").cast(pl.String).str.strip_chars().fill_null(""),
    }


def _date(dtype: pl.DataType) -> pl.Expr:
    column = pl.col("date")
    if dtype == pl.Date:
        return column
    if isinstance(dtype, pl.Datetime):
        return column.dt.date()
    text = column.cast(pl.String).str.strip_chars()
    return pl.when(text.str.contains(_DATE_TEXT)).then(text.str.to_date("%Y-%m-%d", strict=False))


def _cents(dtype: pl.DataType) -> pl.Expr:
    column = pl.col("amount")
    if isinstance(dtype, pl.Decimal):
        exact = column.cast(pl.Decimal(38, 2), strict=False)
        cents = (exact * 100).cast(pl.Int64, strict=False)
        within = cents.abs() < _MAX_CENTS
        if (dtype.scale or 0) > 2:  # digits below the cent must be zero
            within = within & (exact == column)
        return pl.when(within).then(cents)
    if dtype.is_float():
        scaled = column.cast(pl.Float64) * 100
        rounded = scaled.round(0)
        whole_cents = scaled.is_finite() & (scaled.abs() < 2.0**52) & ((scaled - rounded).abs() <= 0.01)
        return pl.when(whole_cents & (rounded.abs() < _MAX_CENTS)).then(rounded.cast(pl.Int64))
    if dtype.is_integer():
        whole = column.cast(pl.Int64, strict=False)
        return pl.when(whole.abs() < _MAX_CENTS // 100).then(whole * 100)
    text = column.cast(pl.String).str.strip_chars()
    cents = (text.cast(pl.Decimal(MAX_AMOUNT_DIGITS + 3, 2), strict=False) * 100).cast(pl.Int64, strict=False)
    return pl.when(text.str.contains(_AMOUNT_TEXT)).then(cents)


def _collect(query: pl.LazyFrame, source: str, data: bytes | Path | None) -> pl.DataFrame:
    try:
        return query.collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(file_problem(data, source, exc)) from None


def _path_of(source: str) -> Path | None:
    """A direct caller's ledger file (scanned from a path), for messages when Polars cannot read it."""
    path = Path(source)
    return path if path.is_file() else None


def _raise_on_bad_values(
    ledger: pl.LazyFrame, groups: pl.DataFrame, typed: dict[str, pl.Expr], source: str, data: bytes | Path | None
) -> None:
    """Raise InputError naming the first bad lines of each column, found by a second pass."""
    counts = {
        "date": int(groups.filter(pl.col("year").is_null())["lines"].sum()),
        "budget": int(groups.filter(~pl.col("budget").is_in(BUDGETS).fill_null(False))["lines"].sum()),
        "amount": int(groups["bad_amounts"].sum()),
    }
    if int(groups["lines"].sum()) == 0:
        raise InputError(
            Problem(source, "au moins une ligne d'écriture après l'en-tête", 1 if is_csv(source) else None)
        )
    if not any(counts.values()):
        return
    bad = {
        "date": typed["date"].is_null(),
        "budget": ~typed["budget"].is_in(BUDGETS).fill_null(False),
        "amount": typed["cents"].is_null(),
    }
    columns = [name for name, count in counts.items() if count]
    numbered = ledger.with_row_index(ROW)
    queries = [
        numbered.filter(bad[name]).select(ROW, pl.col(name).cast(pl.String).alias("value")).head(SHOWN)
        for name in columns
    ]
    try:
        found = pl.collect_all(queries, engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(file_problem(data, source, exc)) from None
    offset = 2 if is_csv(source) else 1  # CSV: the header is line 1; Parquet: row numbers from 1
    problems: list[Problem] = []
    for name, rows in zip(columns, found, strict=True):
        listed = rows.height
        for k, (row, value) in enumerate(rows.iter_rows()):
            expected = EXPECTED[name] + (" (la cellule est vide)" if value is None or value.strip() == "" else "")
            if k == listed - 1 and counts[name] > listed:
                others = counts[name] - listed
                expected += f" — et {format_number(others)} autre{'s' if others > 1 else ''} ligne"
                expected += f"{'s' if others > 1 else ''} dans cette colonne"
            problems.append(Problem(source, expected, row + offset, name, "" if value is None else value))
    raise InputError(problems)


def _totals(groups: pl.DataFrame, nomenclature: pl.DataFrame, year: int, source: str) -> LedgerTotals:
    codes = nomenclature.select(
        pl.col("destination").cast(pl.String).str.strip_chars(),
        pl.col("mission").cast(pl.Int64),
        pl.col("thematic_id").cast(pl.String),
    )
    rows = groups.to_dicts()
    known = dict(zip(codes["destination"].to_list(), codes.select("mission", "thematic_id").rows(), strict=True))
    in_year = [r for r in rows if r["year"] == year]
    other = [r for r in rows if r["year"] != year]

    def total(lines: Iterable[dict[str, Any]], budget: str) -> int:
        return sum(int(r["cents"] or 0) for r in lines if r["budget"] == budget)

    missions = {m: {"AE": 0, "CP": 0} for m in sorted(set(codes["mission"].to_list()))}
    thematics = dict.fromkeys(codes["thematic_id"].to_list(), 0)
    unknown = [r for r in in_year if r["destination"] not in known]
    for r in in_year:
        if r["destination"] in known:
            mission, thematic = known[r["destination"]]
            missions[mission][r["budget"]] += int(r["cents"] or 0)
            if r["budget"] == "CP":
                thematics[thematic] += int(r["cents"] or 0)
    labels: dict[str, str] = {}
    if "thematic_label" in nomenclature.columns:
        for thematic, label in nomenclature.select("thematic_id", "thematic_label").iter_rows():
            if label and thematic not in labels:
                labels[thematic] = label
    unknown_codes = sorted({r["destination"] for r in unknown})
    ae_cents, cp_cents = total(in_year, "AE"), total(in_year, "CP")
    diagnostics = LedgerDiagnostics(
        lines=sum(int(r["lines"]) for r in rows),
        out_of_year=sum(int(r["lines"]) for r in other),
        out_of_year_ae=euros(total(other, "AE")),
        out_of_year_cp=euros(total(other, "CP")),
        other_years=tuple(sorted({int(r["year"]) for r in other})),
        unknown_destination=sum(int(r["lines"]) for r in unknown),
        unknown_codes=tuple(unknown_codes[:SHOWN]),
        unknown_codes_count=len(unknown_codes),
        unknown_ae=euros(total(unknown, "AE")),
        unknown_cp=euros(total(unknown, "CP")),
        negative=sum(int(r["negative"]) for r in in_year),
    )
    return LedgerTotals(
        year=year,
        source=source,
        ae=euros(ae_cents),
        cp=euros(cp_cents),
        ae_cents=ae_cents,
        cp_cents=cp_cents,
        missions=pl.DataFrame(
            {
                "mission": list(missions),
                "ae": [euros(v["AE"]) for v in missions.values()],
                "cp": [euros(v["CP"]) for v in missions.values()],
            },
            schema={"mission": pl.Int64, "ae": pl.Int64, "cp": pl.Int64},
        ),
        thematics=pl.DataFrame(
            {"thematic_id": list(thematics), "amount": [euros(c) for c in thematics.values()]},
            schema={"thematic_id": pl.String, "amount": pl.Int64},
        ),
        diagnostics=diagnostics,
        thematic_labels=labels,
    )


# --- tables shaped like the aggregated ones --------------------------------------------------------


def as_tables(totals: LedgerTotals) -> dict[str, pl.DataFrame]:
    """The ledger's figures as the typed `missions` and `thematics` tables (amounts in €, to the euro;
    `_line` 0: they come from no file line); thematics carries a `total` row, the CP total."""
    missions = totals.missions.sort("mission")
    thematics = totals.thematics.sort(["amount", "thematic_id"], descending=[True, False])
    labels = [totals.thematic_labels.get(t, t) for t in thematics["thematic_id"]]
    return {
        "missions": _typed_table(
            "missions",
            {"mission": missions["mission"].to_list(), "ae": missions["ae"].to_list(), "cp": missions["cp"].to_list()},
        ),
        "thematics": _typed_table(
            "thematics",
            {
                "thematic_id": [*thematics["thematic_id"].to_list(), "total"],
                "kind": ["line"] * thematics.height + ["total"],
                "label": [*labels, "Total"],
                "amount": [*thematics["amount"].to_list(), totals.cp],
            },
        ),
    }


def _typed_table(name: str, values: dict[str, list[Any]]) -> pl.DataFrame:
    """A frame typed like the table `name` (contract.to_frame): the columns given, `unit` €, whole
    euros (0 decimals) in the amounts given, every other column empty."""
    n = len(next(iter(values.values())))
    data: dict[str, list[Any]] = {"_line": [0] * n}
    for column in TABLES[name].columns:
        given = values.get(column.name)
        data[column.name] = given if given is not None else ["€" if column.name == "unit" else None] * n
        data[f"{column.name}_dp"] = [0 if given is not None and column.kind == "amount" else None] * n
        data[f"{column.name}_unit"] = [None] * n  # headline columns only; to_frame takes what the spec has
    return to_frame(data, TABLES[name])

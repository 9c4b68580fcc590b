"""The agency's line-level ledger ("grand livre"): one row per commitment (AE) or payment (CP).

The contract of the ledger and of its nomenclature is inputs/LEDGER.md. This module reads both, and
aggregates the ledger lazily with the Polars streaming engine into the figures the brochure prints
(AE and CP executed, AE and CP by mission, CP by thematic), then compares them with the aggregated
tables. Pure: no Prefect, nothing written to disk.

Exactness: every amount becomes an Int64 number of cents on its own line (from its decimal text, a
decimal column, or a float that must hold whole cents); sums are taken in Int128, and whole euros
are rounded half-up from the cents of each total at the very end. No float is ever summed.

One pass over the ledger groups it by (budget, destination, year) — a few hundred groups — with
the line count, the sum in cents and the counts of bad and negative values; everything else is
computed from that small frame. A second pass, only when a value is bad, finds the lines to name.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from flows.edition.contract import SLUG, TABLES
from flows.edition.errors import InputError, Problem
from flows.edition.french import UNIT_FACTORS, format_amount, format_eur, format_number, format_signed_eur
from flows.edition.ingest.files import InputFile

COLUMNS = ("date", "budget", "amount", "destination", "department", "beneficiary_category")
NOMENCLATURE_COLUMNS = ("destination", "mission", "thematic_id")
NOMENCLATURE_OPTIONAL = ("label", "thematic_label")
BUDGETS = ("AE", "CP")
MISSIONS = (1, 2, 3, 4, 5)
# Column scan_ledger adds: the file the lines come from, for messages. Its value is also its dtype's only
# category (an Enum), so the file is known from the schema alone, without reading a line (empty or
# unreadable files included), and it survives any filter or projection a caller applies.
SOURCE = "_source"
ROW = "_row"
SHOWN = 5  # bad lines named per column, unknown codes named in a message
MAX_AMOUNT_DIGITS = 15  # whole-euro digits of one line: below 10¹⁵ €, like the aggregated tables

EXPECTED = {
    "date": "une date ISO AAAA-MM-JJ (ex. « 2024-03-15 »)",
    "budget": "« AE » ou « CP »",
    "amount": (
        "un montant en euros, au plus 2 décimales après un point, « - » devant une annulation, "
        "sans espace ni symbole (ex. « 1234.56 », « -80 »)"
    ),
    "destination": "un code de destination FIR (texte)",
    "department": "un code de département (texte, ex. « 59 »)",
    "beneficiary_category": "une catégorie de bénéficiaire (texte)",
}
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
    """Exact cents to whole euros, halves away from zero (2,50 € → 3 €, −2,50 € → −3 €)."""
    whole, rest = divmod(abs(int(cents)), 100)
    value = whole + (1 if rest >= 50 else 0)
    return value if cents >= 0 else -value


# --- reading -------------------------------------------------------------------------------------


def scan_ledger(path: str | Path | InputFile) -> pl.LazyFrame:
    """The ledger as a LazyFrame, nothing read yet but its header (CSV) or schema (Parquet).

    CSV: UTF-8, comma-separated, header on line 1; every column is read as text (explicit schema,
    nothing inferred) and typed by `aggregate`. Parquet: the file's own column types. A `_source`
    column holds the file's name, for messages. Given an InputFile (the edition's snapshot), Polars
    reads its bytes, not the file again.
    """
    data: Path | bytes
    if isinstance(path, InputFile):
        data, source, suffix = path.data, path.source, Path(path.source).suffix.lower()
    else:
        data = Path(path)
        source, suffix = str(path), data.suffix.lower()
        if not data.is_file():
            raise InputError(Problem(source, "un fichier de grand livre existant (.csv ou .parquet)"))
    if suffix == ".csv":
        header = _csv_header(data, source)
        _check_columns(header, source, line=1)
        frame = pl.scan_csv(data, has_header=True, separator=",", schema=dict.fromkeys(header, pl.String), glob=False)
        return _with_source(frame, source)
    if suffix in (".parquet", ".pq"):
        try:
            frame = pl.scan_parquet(data, glob=False)
            names = frame.collect_schema().names()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(Problem(source, "un fichier Parquet lisible", value=_first_line(exc))) from None
        _check_columns(names, source)
        return _with_source(frame, source)
    raise InputError(Problem(source, "un grand livre en .csv ou en .parquet", value=suffix or source))


def _with_source(frame: pl.LazyFrame, source: str) -> pl.LazyFrame:
    return frame.with_columns(pl.lit(source, dtype=pl.Enum([source])).alias(SOURCE))


def _csv_header(path: Path | bytes, source: str) -> list[str]:
    try:
        header = pl.scan_csv(path, has_header=True, infer_schema=False, glob=False).collect_schema().names()
    except pl.exceptions.NoDataError:
        raise InputError(Problem(source, "une ligne d'en-tête : " + ",".join(COLUMNS), 1)) from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(_file_problem(path if isinstance(path, Path) else None, source, exc)) from None
    duplicated = [name for name in header if "_duplicated_" in name]
    if duplicated:
        original = duplicated[0].split("_duplicated_")[0]
        raise InputError(Problem(source, "chaque colonne une seule fois", 1, original, original))
    return header  # as written: a name with stray spaces is reported as a missing column


def _check_columns(names: list[str], source: str, line: int | None = None) -> None:
    missing = [c for c in COLUMNS if c not in names]
    if not missing:
        return
    hint = ""
    if len(names) == 1 and ";" in names[0]:
        hint = " ; le séparateur est la virgule (le fichier semble séparé par des points-virgules)"
    raise InputError(
        [
            Problem(source, f"une colonne « {name} » ({EXPECTED[name]}){hint}", line, name, ",".join(names))
            for name in missing
        ]
    )


def read_nomenclature(path: str | Path | InputFile) -> pl.DataFrame:
    """The nomenclature CSV (UTF-8, `,` or `;`): destination → mission (1..5), thematic_id.

    Returns destination (String), mission (Int64), thematic_id (String), label and thematic_label
    (String, null when left out) and `_line`; raises InputError listing every bad cell.
    """
    if isinstance(path, InputFile):
        source, raw = path.source, path.data
    else:
        source = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError:
            raise InputError(Problem(source, "un fichier de nomenclature existant")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(Problem(source, "un fichier encodé en UTF-8 (réexporter en « CSV UTF-8 »)", line)) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise InputError(Problem(source, "une ligne d'en-tête : " + ",".join(NOMENCLATURE_COLUMNS), 1))
    header = [h.strip() for h in rows[0]]
    known = NOMENCLATURE_COLUMNS + NOMENCLATURE_OPTIONAL
    problems = [
        Problem(source, f"une colonne parmi : {', '.join(known)}", 1, name or "(vide)", name)
        for name in header
        if name not in known
    ]
    problems += [
        Problem(source, f"une colonne « {name} »", 1, name) for name in NOMENCLATURE_COLUMNS if name not in header
    ]
    if problems:
        raise InputError(problems)
    data: dict[str, list] = {name: [] for name in ("_line", *known)}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        data["_line"].append(line)
        for name in known:
            data[name].append(cells.get(name) or None)
    mission = data.pop("mission")
    frame = pl.DataFrame(
        {**data, "mission": [int(m) if m and re.fullmatch(r"\d{1,2}", m) else None for m in mission]},
        schema={
            "_line": pl.Int64,
            "destination": pl.String,
            "thematic_id": pl.String,
            "label": pl.String,
            "thematic_label": pl.String,
            "mission": pl.Int64,
        },
    ).with_columns(pl.Series("mission_text", mission, pl.String))
    check_nomenclature(frame, source)
    return frame.select("_line", "destination", "mission", "thematic_id", "label", "thematic_label")


def check_nomenclature(nomenclature: pl.DataFrame, source: str = "nomenclature") -> None:
    """Raise InputError unless every destination is a unique code mapped to a mission and a thematic."""
    missing = [c for c in NOMENCLATURE_COLUMNS if c not in nomenclature.columns]
    if missing:
        raise InputError([Problem(source, f"une colonne « {name} »", None, name) for name in missing])
    if nomenclature.height == 0:
        raise InputError(Problem(source, "au moins une destination"))
    frame = nomenclature.with_row_index(ROW)
    lines = frame["_line"].to_list() if "_line" in frame.columns else [i + 1 for i in frame[ROW].to_list()]
    shown = frame["mission_text"].to_list() if "mission_text" in frame.columns else None
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, row in enumerate(frame.iter_rows(named=True)):
        code, mission, thematic = row["destination"], row["mission"], row["thematic_id"]
        if code is None or str(code).strip() == "":
            problems.append(
                Problem(source, "un code de destination (la cellule est vide)", lines[i], "destination", "")
            )
        elif str(code) in seen:
            problems.append(
                Problem(source, "un code de destination unique (doublon)", lines[i], "destination", str(code))
            )
        else:
            seen.add(str(code))
        if mission is None or mission not in MISSIONS:
            value = shown[i] if shown is not None else mission
            problems.append(
                Problem(
                    source, "un numéro de mission de 1 à 5", lines[i], "mission", "" if value is None else str(value)
                )
            )
        if thematic is None or not SLUG.match(str(thematic)):
            problems.append(
                Problem(
                    source,
                    "l'identifiant d'une thématique (minuscules, chiffres et tirets, ex. « investissements »)",
                    lines[i],
                    "thematic_id",
                    "" if thematic is None else str(thematic),
                )
            )
    if problems:
        raise InputError(problems)


# --- aggregation ---------------------------------------------------------------------------------


def aggregate(
    ledger: pl.LazyFrame, nomenclature: pl.DataFrame, year: int, *, source: str | None = None
) -> LedgerTotals:
    """AE and CP executed in `year`, by mission and CP by thematic, from the ledger's lines.

    Lines dated in another year are left out (and counted); lines whose destination is not in the
    nomenclature count in the AE and CP totals but in no mission or thematic (and are counted);
    negative lines (cancellations) count like any other. Raises InputError naming the first bad
    lines when a date, budget or amount cannot be read.
    """
    source = source or _source_of(ledger)
    schema = _schema(ledger, source)
    _check_columns(schema.names(), source)
    _check_dtypes(schema, source)
    check_nomenclature(nomenclature, "nomenclature")
    typed = _typed(schema)
    # Polars only notices a CSV line with more fields than the header when it parses every column:
    # the columns the totals do not use are read too (cheap), so that such a line is an error.
    others = [c for c in schema.names() if c not in ("date", "budget", "amount", "destination", SOURCE)]
    parsed = others if _is_csv(source) else []

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
    )
    _raise_on_bad_values(ledger, groups, typed, source)
    return _totals(groups, nomenclature, year, source)


def _schema(ledger: pl.LazyFrame, source: str) -> pl.Schema:
    try:
        return ledger.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(Problem(source, "un grand livre lisible", value=_first_line(exc))) from None


def _check_dtypes(schema: pl.Schema, source: str) -> None:
    allowed = {
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


def _collect(query: pl.LazyFrame, source: str) -> pl.DataFrame:
    try:
        return query.collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(_file_problem(_path_of(source), source, exc)) from None


def _raise_on_bad_values(ledger: pl.LazyFrame, groups: pl.DataFrame, typed: dict[str, pl.Expr], source: str) -> None:
    """Raise InputError naming the first bad lines of each column, found by a second pass."""
    counts = {
        "date": int(groups.filter(pl.col("year").is_null())["lines"].sum()),
        "budget": int(groups.filter(~pl.col("budget").is_in(BUDGETS).fill_null(False))["lines"].sum()),
        "amount": int(groups["bad_amounts"].sum()),
    }
    if int(groups["lines"].sum()) == 0:
        raise InputError(
            Problem(source, "au moins une ligne d'écriture après l'en-tête", 1 if _is_csv(source) else None)
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
        raise InputError(_file_problem(_path_of(source), source, exc)) from None
    offset = 2 if _is_csv(source) else 1  # CSV: the header is line 1; Parquet: row numbers from 1
    problems = []
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

    def total(lines: Iterable[dict], budget: str) -> int:
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
    labels = {}
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


# --- comparison with the aggregated tables --------------------------------------------------------


def reconcile(
    totals: LedgerTotals,
    missions: pl.DataFrame | None,
    thematics: pl.DataFrame | None,
    execution: pl.DataFrame | None,
) -> list[str]:
    """Every difference between the ledger's figures and the aggregated tables given, in French.

    Figures are compared to the euro; a table figure printed coarser (`536,9 M€`: a `unit` and an
    `<column>_dp` column say so) is compared with the ledger's figure rounded the same way. An empty
    list: everything matches.
    """
    messages: list[str] = []
    if execution is not None:
        rows = {r["budget"]: r for r in execution.iter_rows(named=True)}
        for budget, value in (("AE", totals.ae), ("CP", totals.cp)):
            if budget not in rows:
                messages.append(f"{budget} : grand livre {_eur(value)}, absent de la table execution")
            else:
                messages += _compare(budget, value, rows[budget], "executed", "execution")
    if missions is not None:
        ledger: dict[Any, Any] = {r["mission"]: r for r in totals.missions.iter_rows(named=True)}
        table = {r["mission"]: r for r in missions.iter_rows(named=True)}
        for mission in sorted(set(ledger) | set(table)):
            for column in ("ae", "cp"):
                what = f"Mission {mission}, {column.upper()}"
                if mission not in table:
                    value = ledger[mission][column]
                    if value:
                        messages.append(f"{what} : grand livre {_eur(value)}, absente de la table missions")
                elif mission not in ledger:
                    messages.append(f"{what} : absente du grand livre, table missions {_eur(table[mission][column])}")
                else:
                    messages += _compare(what, ledger[mission][column], table[mission], column, "missions")
    if thematics is not None:
        ledger = dict(totals.thematics.iter_rows())
        kind = thematics["kind"] if "kind" in thematics.columns else pl.Series([None] * thematics.height)
        table = {
            r["thematic_id"]: r for r, k in zip(thematics.iter_rows(named=True), kind, strict=True) if k != "total"
        }
        declared = [r for r, k in zip(thematics.iter_rows(named=True), kind, strict=True) if k == "total"]
        for thematic in [*ledger, *(t for t in table if t not in ledger)]:
            what = f"Thématique « {thematic} »"
            if thematic not in table:
                if ledger[thematic]:
                    messages.append(f"{what} : grand livre {_eur(ledger[thematic])}, absente de la table thematics")
            elif thematic not in ledger:
                messages.append(f"{what} : absente du grand livre, table thematics {_eur(table[thematic]['amount'])}")
            else:
                messages += _compare(what, ledger[thematic], table[thematic], "amount", "thematics")
        for row in declared:
            messages += _compare("Thématiques, total (CP)", totals.cp, row, "amount", "thematics")
    return messages


def _compare(what: str, value: int, row: dict, column: str, table: str) -> list[str]:
    published = row[column]
    if published is None:
        return [f"{what} : grand livre {_eur(value)}, cellule vide dans la table {table}"]
    unit = row.get("unit") or "€"
    decimals = row.get(f"{column}_dp") or 0
    factor = UNIT_FACTORS.get(unit, 1)
    step = Decimal(factor) / 10**decimals
    shown = int((Decimal(value) / step).to_integral_value(rounding="ROUND_HALF_UP") * step)
    if shown == published:
        return []
    text = f"{what} : grand livre {_eur(value)} ≠ table {table} {_eur(published)}"
    text += f" (écart {format_signed_eur(value - published)})"
    if step > 1:
        text += (
            f" ; la table est arrondie à {format_amount(int(step), unit, decimals)} : le grand livre arrondi "
            f"de même donne {format_amount(shown, unit, decimals)}, la table {format_amount(published, unit, decimals)}"
        )
    return [text]


def describe(totals: LedgerTotals) -> list[str]:
    """The diagnostics as French sentences for the check report (empty when there is nothing to say)."""
    d = totals.diagnostics
    notes = []
    if d.out_of_year:
        years = ", ".join(str(y) for y in d.other_years) or "?"
        notes.append(
            f"{_count(d.out_of_year, 'ligne datée', 'lignes datées')} hors de {totals.year} ({years}), "
            f"écartée{'s' if d.out_of_year > 1 else ''} des totaux (AE {_eur(d.out_of_year_ae)}, "
            f"CP {_eur(d.out_of_year_cp)})."
        )
    if d.unknown_destination:
        codes = ", ".join(code or "(vide)" for code in d.unknown_codes)
        if d.unknown_codes_count > len(d.unknown_codes):
            codes += f"… ({format_number(d.unknown_codes_count)} codes)"
        notes.append(
            f"{_count(d.unknown_destination, 'ligne', 'lignes')} de {totals.year} sans destination connue de la "
            f"nomenclature ({codes}) : comptée{'s' if d.unknown_destination > 1 else ''} dans les totaux AE et CP "
            f"mais dans aucune mission ni thématique (AE {_eur(d.unknown_ae)}, CP {_eur(d.unknown_cp)})."
        )
    if d.negative:
        notes.append(
            f"{_count(d.negative, 'ligne négative', 'lignes négatives')} (annulations) en {totals.year}, "
            "comptée" + ("s" if d.negative > 1 else "") + " dans les totaux, qu'elles diminuent."
        )
    return notes


def _eur(euros: int) -> str:
    """`1 234 €`, and `−1 234 €` (minus sign) below zero."""
    return format_eur(euros) if euros >= 0 else format_signed_eur(euros)


def _count(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


# --- tables shaped like the aggregated ones --------------------------------------------------------

_KIND_DTYPES = {"int": pl.Int64, "amount": pl.Int64, "headline": pl.Int64, "pct": pl.Float64, "number": pl.Float64}


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


def _typed_table(name: str, values: dict[str, list]) -> pl.DataFrame:
    """A frame with the columns and dtypes of the typed table `name` (see contract.parse_table)."""
    n = len(next(iter(values.values())))
    data: dict[str, pl.Series] = {"_line": pl.Series("_line", [0] * n, pl.Int64)}
    for column in TABLES[name].columns:
        dtype = _KIND_DTYPES.get(column.kind, pl.String)
        default = "€" if column.name == "unit" else None
        data[column.name] = pl.Series(column.name, values.get(column.name, [default] * n), dtype)
        if column.kind in ("amount", "pct", "number", "headline"):
            decimals = [0] * n if column.kind == "amount" and column.name in values else [None] * n
            data[f"{column.name}_dp"] = pl.Series(f"{column.name}_dp", decimals, pl.Int8)
        if column.kind == "headline":
            data[f"{column.name}_unit"] = pl.Series(f"{column.name}_unit", [None] * n, pl.String)
    return pl.DataFrame(list(data.values()))


# --- messages about the file itself ----------------------------------------------------------------


def _source_of(ledger: pl.LazyFrame) -> str:
    """The file scan_ledger read the lines from (see SOURCE), from the schema only."""
    try:
        dtype = ledger.collect_schema().get(SOURCE)
    except (pl.exceptions.PolarsError, OSError):
        return "grand livre"
    if isinstance(dtype, pl.Enum) and len(dtype.categories) == 1:
        return str(dtype.categories[0])
    return "grand livre"


def _path_of(source: str) -> Path | None:
    path = Path(source)
    return path if path.is_file() else None


def _is_csv(source: str) -> bool:
    return source.lower().endswith(".csv")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _file_problem(path: Path | None, source: str, exc: BaseException) -> Problem:
    message = _first_line(exc)
    if "utf-8" in message.lower() or "utf8" in message.lower():
        line = _first_non_utf8_line(path) if path is not None else None
        return Problem(source, "un fichier encodé en UTF-8 (réexporter en « CSV UTF-8 »)", line)
    if _is_csv(source):
        expected = (
            "un CSV séparé par des virgules, une écriture par ligne, autant de champs que de colonnes "
            "dans l'en-tête, guillemets fermés"
        )
        found = _first_ragged_line(path) if path is not None else None
        if found:
            line, fields, width = found
            return Problem(source, f"{width} champs comme l'en-tête (trouvé : {fields})", line, None, None)
        return Problem(source, expected, value=message)
    return Problem(source, "un fichier de grand livre lisible", value=message)


def _first_ragged_line(path: Path) -> tuple[int, int, int] | None:
    """(line, fields, header fields) of the first record with more fields than the header, else of
    the first with fewer (an unclosed quote swallows the lines after it). Read with the csv module:
    only on the error path."""
    short = None
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return None
        start = reader.line_num + 1
        for row in reader:
            if len(row) > len(header):
                return start, len(row), len(header)
            if row and len(row) < len(header) and short is None:
                short = start, len(row), len(header)
            start = reader.line_num + 1
    return short


def _first_non_utf8_line(path: Path) -> int | None:
    """The first line that is not UTF-8 (read line by line: only on the error path)."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None

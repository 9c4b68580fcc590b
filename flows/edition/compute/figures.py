"""Shares, variances and execution rates over the typed tables. Pure: frames in, frames out.

Rounding of shares (documented in inputs/README.md): a share is the line's amount divided by the
declared total of its table — the total the reader sees — and is displayed to one decimal. By default
each share is rounded half-up on its own, so a reader who divides gets the printed number; the table
then says when the rounded shares do not add up to its total. An edition may ask for the
largest-remainder method instead (`[shares] rounding = "largest-remainder"`): each line gets its share
rounded down, and the tenths still missing to the total go to the lines with the largest remainders.
Where a published edition printed its own shares, those are kept while their data is unchanged
(see `with_displayed_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from flows.edition.compute import published
from flows.edition.french import UNIT_FACTORS, compact_parts, format_share, round_half_up

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

# The budget stages of the revenue, in order: their columns (their printed names are the wording file's,
# `wording.stage_label`, from the code and the edition's year).
STAGES: tuple[str, ...] = ("previous_year", "br1", "br2", "br3", "br4", "final")


def lines(frame: pl.DataFrame) -> pl.DataFrame:
    """The detail lines of a table with a `kind` column (its declared total removed)."""
    return frame.filter(pl.col("kind") == "line") if "kind" in frame.columns else frame


def total_row(frame: pl.DataFrame) -> dict[str, Any]:
    """The declared total row of a table with a `kind` column."""
    return frame.filter(pl.col("kind") == "total").row(0, named=True)


def largest_remainder(exact_pcts: list[float], decimals: int = 1, target: float = 100.0) -> list[Decimal]:
    """Round percentages so that they add up to `target` exactly (Hamilton's method).

    Ties on the remainder go to the larger exact value, then to the earlier line, so the result does
    not depend on anything but the inputs.
    """
    if not exact_pcts:
        return []
    scale = 10**decimals
    units = [Decimal(str(p)) * scale for p in exact_pcts]
    floors = [int(u) for u in units]  # shares are non-negative
    missing = int(round_half_up(Decimal(str(target)) * scale, 0)) - sum(floors)
    order = sorted(range(len(units)), key=lambda i: (-(units[i] - floors[i]), -units[i], i))
    for i in order[: max(0, missing)]:
        floors[i] += 1
    return [Decimal(f) / scale for f in floors]


HALF_UP, LARGEST_REMAINDER = "half-up", "largest-remainder"
SHARE_METHODS = (HALF_UP, LARGEST_REMAINDER)


def with_shares(
    frame: pl.DataFrame, amount: str, base: int, prefix: str = "share", method: str = HALF_UP
) -> pl.DataFrame:
    """Add `<prefix>_exact` (percent, unrounded) and `<prefix>` (one decimal: each rounded on its own,
    or by largest remainder so that they add up to the rounded total)."""
    if base <= 0:
        return frame.with_columns(
            pl.lit(None, pl.Float64).alias(f"{prefix}_exact"), pl.lit(None, pl.Float64).alias(prefix)
        )
    exact = frame.select((pl.col(amount) / base * 100).alias("x"))["x"].to_list()
    if method == LARGEST_REMAINDER:
        target = float(round_half_up(Decimal(sum(frame[amount].to_list())) / base * 100, 1))
        rounded = largest_remainder(exact, 1, target)
    else:
        rounded = [round_half_up(x, 1) for x in exact]
    return frame.with_columns(
        pl.Series(f"{prefix}_exact", exact, pl.Float64),
        pl.Series(prefix, [float(r) for r in rounded], pl.Float64),
    )


def variance(current: int | None, previous: int | None) -> tuple[int | None, float | None]:
    """Absolute and relative (in %) change from `previous` to `current`; None where unknown."""
    if current is None or previous is None:
        return None, None
    delta = current - previous
    return delta, (delta / previous * 100 if previous else None)


def revenue_stages(revenue: pl.DataFrame, year: int) -> pl.DataFrame:
    """The declared revenue total at each budget stage present, with the change from the stage before.

    Stages run: previous year's final revenue → BR1 → BR2 → … → final revenue of the year. Each by its
    code and the edition's year: its printed name is the wording file's (`wording.stage_label`).
    """
    total = total_row(revenue)
    rows: list[dict[str, Any]] = []
    for column in STAGES:
        if column in revenue.columns and total[column] is not None:
            rows.append(
                {
                    "stage": column,
                    "year": year,
                    "amount": total[column],
                    "dp": total[f"{column}_dp"],
                }
            )
    previous: dict[str, Any] | None = None
    for row in rows:
        row["delta"], row["delta_pct"] = variance(row["amount"], previous["amount"] if previous else None)
        # a change is known to the coarser of its two terms' decimals (the table's unit is the same for both)
        row["delta_dp"] = min(row["dp"] or 0, previous["dp"] or 0) if previous else None
        previous = row
    schema: dict[str, PolarsDataType] = {
        "stage": pl.String,
        "year": pl.Int64,
        "amount": pl.Int64,
        "dp": pl.Int8,
        "delta": pl.Int64,
        "delta_pct": pl.Float64,
        "delta_dp": pl.Int8,
    }
    return pl.DataFrame(rows, schema=schema)


def revenue_growth(revenue: pl.DataFrame) -> tuple[int | None, float | None]:
    """Year-over-year change of the total revenue (final vs previous year's final)."""
    total = total_row(revenue)
    return variance(total.get("final"), total.get("previous_year"))


def execution_rates(execution: pl.DataFrame) -> pl.DataFrame:
    """Execution rate per budget (AE, CP): executed / opened when the base is known, else the
    published rate as given — never a base invented to match a rate."""
    computed = pl.when(pl.col("opened").is_not_null() & (pl.col("opened") > 0)).then(
        pl.col("executed") / pl.col("opened") * 100
    )
    return execution.with_columns(
        computed.alias("rate_computed"),
        pl.coalesce(computed, pl.col("rate_pct")).alias("rate"),
        pl.when(pl.col("opened").is_not_null())
        .then(pl.lit("calculé"))
        .otherwise(pl.lit("publié"))
        .alias("rate_source"),
        pl.when(pl.col("rate_pct_dp").is_not_null())
        .then(pl.col("rate_pct_dp"))
        .otherwise(pl.lit(1, pl.Int8))
        .alias("rate_dp"),
    ).sort("budget")


def shown_share(rounded: float, exact: float) -> tuple[float, int]:
    """The share a line shows and its decimals: one decimal, or two for a non-zero share under 0,05 %
    (`0,04 %`); below 0,005 % it stays 0 with two decimals, which `format_share` prints `< 0,01 %`."""
    if rounded == 0 and exact > 0:
        return float(round_half_up(exact, 2)), 2
    return rounded, 1


def share_text(rounded: float | None, exact: float | None, prose: bool = False) -> str:
    """A computed share as printed (`21,4 %`, `0,04 %`, `< 0,01 %`); empty when there is no base."""
    if rounded is None or exact is None:
        return ""
    value, dp = shown_share(rounded, exact)
    return format_share(value, dp, exact, prose)


def mission_split(
    missions: pl.DataFrame, execution: pl.DataFrame, reference: pl.DataFrame, method: str = HALF_UP
) -> pl.DataFrame:
    """AE and CP by mission with each mission's share of the declared AE and CP totals."""
    executed = dict(execution.select("budget", "executed").iter_rows())
    frame = missions.sort("mission").join(reference, on="mission", how="left")
    frame = with_shares(frame, "ae", executed.get("AE") or int(frame["ae"].sum()), "ae_share", method)
    return with_shares(frame, "cp", executed.get("CP") or int(frame["cp"].sum()), "cp_share", method)


def thematic_split(thematics: pl.DataFrame, method: str = HALF_UP) -> pl.DataFrame:
    """Thematic lines, largest first, with shares of the declared total."""
    total = total_row(thematics)["amount"]
    ordered = lines(thematics).sort("amount", descending=True, maintain_order=True)
    return with_shares(ordered, "amount", total, method=method)


def thematic_subset(thematics: pl.DataFrame, exclude: tuple[str, ...], method: str = HALF_UP) -> pl.DataFrame:
    """The thematic lines without the excluded ones, with shares of their own sum."""
    subset = lines(thematics).filter(~pl.col("thematic_id").is_in(list(exclude)))
    subset = subset.sort("amount", descending=True, maintain_order=True)
    return with_shares(subset, "amount", int(subset["amount"].sum()), method=method)


def shares_add_up(shown: list[tuple[float, int]], total: float = 100.0) -> bool:
    """Whether the shares as printed add up to the total as printed (one decimal)."""
    printed = sum((round_half_up(value, dp) for value, dp in shown), Decimal(0))
    return round_half_up(printed, 1) == round_half_up(total, 1)


def precision_eur(unit: str, decimals: int | None) -> Decimal:
    """The smallest step a figure is printed with, in euros (`517,1 M€` → 100 000 €)."""
    scale: int = 10 ** (decimals or 0)
    return Decimal(UNIT_FACTORS[unit]) / scale


@dataclass(frozen=True)
class Comparison:
    """A declared figure against the value computed from its lines."""

    gap: int  # declared − computed
    tolerance: Decimal  # largest gap the rounding of the printed figures can explain
    matches_at_precision: bool  # the computed value, printed like the declared one, reads the same

    @property
    def status(self) -> Literal["ok", "warning", "error"]:
        if self.matches_at_precision:
            return "ok"
        return "warning" if abs(self.gap) <= self.tolerance else "error"


def compare(
    declared: int, declared_unit: str, declared_dp: int | None, computed: int, line_steps: list[Decimal]
) -> Comparison:
    """Compare a declared total with the sum of its lines, at the precision it is printed with.

    A gap that the rounding of the printed figures can explain (half a step per figure) is a
    published inconsistency to report; a larger one is an error.
    """
    step = precision_eur(declared_unit, declared_dp)
    factor = UNIT_FACTORS[declared_unit]
    shown = round_half_up(Decimal(computed) / factor, declared_dp or 0) * factor
    tolerance = (step + sum(line_steps, Decimal(0))) / 2
    return Comparison(declared - computed, tolerance, int(shown) == declared)


def editions_history(editions: Mapping[int, Mapping[str, pl.DataFrame]]) -> pl.DataFrame:
    """Revenue, AE and CP of each edition, oldest first, with the change since the edition before.

    Each amount keeps the precision it is published with (`unit`, `dp`); a change is shown at the
    coarser precision of its two ends (see `coarser`).
    """
    rows: list[dict[str, Any]] = []
    for year in sorted(editions):
        tables = editions[year]
        revenue = total_row(tables["revenue"])
        row: dict[str, Any] = {"year": year}
        executed = {r["budget"]: r for r in tables["execution"].iter_rows(named=True)}
        for key, source, column in (
            ("revenue", revenue, "final"),
            ("ae", executed.get("AE"), "executed"),
            ("cp", executed.get("CP"), "executed"),
        ):
            row[key] = source[column] if source else None
            row[f"{key}_unit"] = source["unit"] if source else None
            row[f"{key}_dp"] = (source[f"{column}_dp"] or 0) if source else None
        rows.append(row)
    previous: dict[str, Any] | None = None
    for row in rows:
        for key in ("revenue", "ae", "cp"):
            delta, pct = variance(row[key], previous[key]) if previous else (None, None)
            row[f"{key}_delta"], row[f"{key}_delta_pct"] = delta, pct
            row[f"{key}_delta_from"] = previous["year"] if previous else None
        previous = row
    schema: dict[str, PolarsDataType] = {"year": pl.Int64}
    for key in ("revenue", "ae", "cp"):
        schema |= {
            key: pl.Int64,
            f"{key}_unit": pl.String,
            f"{key}_dp": pl.Int8,
            f"{key}_delta": pl.Int64,
            f"{key}_delta_pct": pl.Float64,
            f"{key}_delta_from": pl.Int64,
        }
    return pl.DataFrame(rows, schema=schema)


def coarser(a: tuple[str, int], b: tuple[str, int]) -> tuple[str, int]:
    """Of two printing precisions (unit, decimals), the coarser: a change between `305 600 382 €` and
    `522,2 M€` is only known to 0,1 M€."""
    return a if precision_eur(*a) >= precision_eur(*b) else b


SHARE_TOLERANCE_PT = 0.1  # a published share within one printed tenth of the exact share is still valid


def published_share_valid(published: float | None, exact: float | None) -> bool:
    """A published share is kept while it is a rounding of the current exact share."""
    return published is not None and exact is not None and abs(published - exact) <= SHARE_TOLERANCE_PT + 1e-9


def published_headline_valid(published: int | None, unit: str | None, decimals: int | None, amount: int) -> bool:
    """A published rounded amount is kept while it is less than one printed step from the amount."""
    return published is not None and unit is not None and abs(published - amount) < precision_eur(unit, decimals)


def published_sources(row: Mapping[str, Any], total: int) -> tuple[dict[str, int], dict[str, int]]:
    """The amounts a thematic line's published share and heading derive from, by figure name."""
    line = f"thematics.{row['thematic_id']}"
    return {line: row["amount"], "thematics.total": total}, {line: row["amount"]}


def _typed_share(row: Mapping[str, Any]) -> str:
    """A published share as the basis records it: value and decimals typed (`21.4:1`)."""
    return f"{row['published_share_pct']}:{row.get('published_share_pct_dp')}"


def _typed_headline(row: Mapping[str, Any]) -> str:
    """A published heading as the basis records it: euros, unit and decimals typed (`153300000:M€:1`)."""
    return f"{row['published_headline']}:{row.get('published_headline_unit')}:{row.get('published_headline_dp')}"


def published_verdicts(
    row: Mapping[str, Any], total: int, basis: published.Basis | None
) -> tuple[published.Verdict | None, published.Verdict | None]:
    """Whether a thematic line's published share and heading are printed (None where none is typed)."""
    share_sources, headline_sources = published_sources(row, total)
    line = f"thematics.{row['thematic_id']}"
    share = head = None
    if (typed_share := row.get("published_share_pct")) is not None:
        share = published.judge(
            f"{line}.share",
            _typed_share(row),
            share_sources,
            basis,
            published_share_valid(typed_share, row["share_exact"]),
        )
    if (typed_head := row.get("published_headline")) is not None:
        unit, dp = row.get("published_headline_unit"), row.get("published_headline_dp")
        head = published.judge(
            f"{line}.rounded",
            _typed_headline(row),
            headline_sources,
            basis,
            published_headline_valid(typed_head, unit, dp, row["amount"]),
        )
    return share, head


def rate_verdict(row: Mapping[str, Any], basis: published.Basis | None) -> published.Verdict | None:
    """A published execution rate printed for want of the credits opened derives from the amount
    executed: it is current while that amount is the one it was first printed with (None: a computed
    rate). A stale one is still printed — nothing can be computed in its place — and reported."""
    if row["opened"] is not None or row["rate_pct"] is None:
        return None
    name = f"execution.{row['budget']}"
    return published.judge(
        f"{name}.rate", f"{row['rate_pct']}:{row['rate_pct_dp']}", {name: row["executed"]}, basis, True
    )


def rates_basis(rates: pl.DataFrame, basis: published.Basis | None) -> dict[str, published.BasisEntry]:
    """The basis of the published execution rates this revision prints."""
    found: dict[str, published.BasisEntry] = {}
    for row in rates.iter_rows(named=True):
        verdict = rate_verdict(row, basis)
        if verdict is not None and verdict.kept:
            name = f"execution.{row['budget']}"
            typed = f"{row['rate_pct']}:{row['rate_pct_dp']}"
            found[f"{name}.rate"] = published.carried(f"{name}.rate", typed, {name: row["executed"]}, basis)
    return found


def published_basis(split: pl.DataFrame, total: int, basis: published.Basis | None) -> dict[str, published.BasisEntry]:
    """The basis of every published value this revision prints (kept ones only)."""
    found: dict[str, published.BasisEntry] = {}
    for row in split.iter_rows(named=True):
        share, head = published_verdicts(row, total, basis)
        share_sources, headline_sources = published_sources(row, total)
        line = f"thematics.{row['thematic_id']}"
        if share is not None and share.kept:
            found[f"{line}.share"] = published.carried(f"{line}.share", _typed_share(row), share_sources, basis)
        if head is not None and head.kept:
            found[f"{line}.rounded"] = published.carried(
                f"{line}.rounded", _typed_headline(row), headline_sources, basis
            )
    return found


def with_displayed_values(
    split: pl.DataFrame, use_published: bool = True, total: int | None = None, basis: published.Basis | None = None
) -> pl.DataFrame:
    """The share and rounded amount each line displays: the published ones where the edition printed
    them and their data has not changed since (see compute/published.py), else the computed ones."""
    shares, share_dps, headlines, units, dps = [], [], [], [], []
    base = total if total is not None else int(split["amount"].sum()) if split.height else 0
    for row in split.iter_rows(named=True):
        share, head = published_verdicts(row, base, basis) if use_published else (None, None)
        if share is not None and share.kept:
            shares.append(row["published_share_pct"])
            share_dps.append(row["published_share_pct_dp"])
        else:
            value, dp = shown_share(row["share"], row["share_exact"])
            shares.append(value)
            share_dps.append(dp)
        if head is not None and head.kept:
            headlines.append(row["published_headline"])
            units.append(row["published_headline_unit"])
            dps.append(row["published_headline_dp"])
        else:
            rounded, unit, decimals = compact_parts(row["amount"])
            headlines.append(rounded)
            units.append(unit)
            dps.append(decimals)
    return split.with_columns(
        pl.Series("share_display", shares, pl.Float64),
        pl.Series("share_display_dp", share_dps, pl.Int8),
        pl.Series("headline", headlines, pl.Int64),
        pl.Series("headline_unit", units, pl.String),
        pl.Series("headline_dp", dps, pl.Int8),
    )


@dataclass
class Figures:
    """Everything computed for one edition; None where the edition has no such data."""

    revenue_stages: pl.DataFrame
    revenue_growth: tuple[int | None, float | None]
    rates: pl.DataFrame
    missions: pl.DataFrame | None
    thematics: pl.DataFrame | None
    thematic_subset: pl.DataFrame | None
    history: pl.DataFrame | None  # this edition and the earlier ones, when there are any
    basis: dict[str, published.BasisEntry] = field(default_factory=dict)  # published values printed, and why


def compute_figures(
    tables: Mapping[str, pl.DataFrame],
    year: int,
    missions_ref: pl.DataFrame,
    subset_exclude: tuple[str, ...],
    earlier_editions: Mapping[int, Mapping[str, pl.DataFrame]] | None = None,
    share_method: str = HALF_UP,
    basis: published.Basis | None = None,
) -> Figures:
    """All shares, variances and rates the brochure prints; `basis` is the latest revision's record of
    the published values it printed (compute/published.py)."""
    missions = tables.get("missions")
    thematics = tables.get("thematics")
    split = None
    rates = execution_rates(tables["execution"])
    printed_basis = rates_basis(rates, basis)
    if thematics is not None:
        total = total_row(thematics)["amount"]
        ordered = thematic_split(thematics, share_method)
        split = with_displayed_values(ordered, total=total, basis=basis)
        printed_basis |= published_basis(ordered, total, basis)
    return Figures(
        revenue_stages=revenue_stages(tables["revenue"], year),
        revenue_growth=revenue_growth(tables["revenue"]),
        rates=rates,
        missions=(
            mission_split(missions, tables["execution"], missions_ref, share_method) if missions is not None else None
        ),
        thematics=split,
        thematic_subset=(
            with_displayed_values(thematic_subset(thematics, subset_exclude, share_method), use_published=False)
            if thematics is not None and subset_exclude
            else None
        ),
        history=editions_history({**earlier_editions, year: tables}) if earlier_editions else None,
        basis=printed_basis,
    )

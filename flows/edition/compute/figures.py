"""Shares, variances and execution rates over the typed tables. Pure: frames in, frames out.

Rounding of shares (documented in inputs/README.md): a share is the line's amount divided by the
declared total of its table — the total the reader sees — and is displayed to one decimal. The
displayed shares of a table are allocated by the largest-remainder method, so they always add up to
exactly 100,0 %: each line gets its share rounded down, and the tenths still missing go to the
lines with the largest remainders. Where a published edition printed its own shares, those are kept
(see reconcile.py) and the differences are reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from flows.edition.french import UNIT_FACTORS, compact_parts, round_half_up

if TYPE_CHECKING:
    from polars._typing import PolarsDataType

STAGES: tuple[tuple[str, str], ...] = (
    ("previous_year", "Recettes {previous}"),
    ("br1", "BR1 {year}"),
    ("br2", "BR2 {year}"),
    ("br3", "BR3 {year}"),
    ("br4", "BR4 {year}"),
    ("final", "Recettes {year}"),
)


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


def with_shares(frame: pl.DataFrame, amount: str, base: int, prefix: str = "share") -> pl.DataFrame:
    """Add `<prefix>_exact` (percent, unrounded) and `<prefix>` (one decimal, coherent with 100,0 %)."""
    if base <= 0:
        return frame.with_columns(
            pl.lit(None, pl.Float64).alias(f"{prefix}_exact"), pl.lit(None, pl.Float64).alias(prefix)
        )
    exact = frame.select((pl.col(amount) / base * 100).alias("x"))["x"].to_list()
    target = float(round_half_up(Decimal(sum(frame[amount].to_list())) / base * 100, 1))
    rounded = largest_remainder(exact, 1, target)
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

    Stages run: previous year's final revenue → BR1 → BR2 → … → final revenue of the year.
    """
    total = total_row(revenue)
    rows: list[dict[str, Any]] = []
    for column, label in STAGES:
        if column in revenue.columns and total[column] is not None:
            rows.append(
                {
                    "stage": column,
                    "label": label.format(year=year, previous=year - 1),
                    "amount": total[column],
                    "dp": total[f"{column}_dp"],
                }
            )
    previous = None
    for row in rows:
        row["delta"], row["delta_pct"] = variance(row["amount"], previous)
        previous = row["amount"]
    schema: dict[str, PolarsDataType] = {
        "stage": pl.String,
        "label": pl.String,
        "amount": pl.Int64,
        "dp": pl.Int8,
        "delta": pl.Int64,
        "delta_pct": pl.Float64,
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


def mission_split(missions: pl.DataFrame, execution: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    """AE and CP by mission with each mission's share of the declared AE and CP totals."""
    executed = dict(execution.select("budget", "executed").iter_rows())
    frame = missions.sort("mission").join(reference, on="mission", how="left")
    frame = with_shares(frame, "ae", executed.get("AE") or int(frame["ae"].sum()), "ae_share")
    return with_shares(frame, "cp", executed.get("CP") or int(frame["cp"].sum()), "cp_share")


def thematic_split(thematics: pl.DataFrame) -> pl.DataFrame:
    """Thematic lines, largest first, with shares of the declared total."""
    total = total_row(thematics)["amount"]
    return with_shares(lines(thematics).sort("amount", descending=True, maintain_order=True), "amount", total)


def thematic_subset(thematics: pl.DataFrame, exclude: tuple[str, ...]) -> pl.DataFrame:
    """The thematic lines without the excluded ones, with shares of their own sum."""
    subset = lines(thematics).filter(~pl.col("thematic_id").is_in(list(exclude)))
    subset = subset.sort("amount", descending=True, maintain_order=True)
    return with_shares(subset, "amount", int(subset["amount"].sum()))


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


def with_displayed_values(split: pl.DataFrame, use_published: bool = True) -> pl.DataFrame:
    """The share and rounded amount each line displays: the published ones where the edition printed
    them and they still agree with the data (a corrected amount makes them stale), else computed."""
    shares, share_dps, headlines, units, dps = [], [], [], [], []
    for row in split.iter_rows(named=True):
        published_share = row.get("published_share_pct") if use_published else None
        if published_share_valid(published_share, row["share_exact"]):
            shares.append(published_share)
            share_dps.append(row["published_share_pct_dp"])
        else:
            shares.append(row["share"])
            share_dps.append(2 if row["share"] == 0 and row["amount"] > 0 else 1)
            if share_dps[-1] == 2:
                shares[-1] = float(round_half_up(row["share_exact"], 2))
        head = row.get("published_headline") if use_published else None
        if published_headline_valid(
            head, row.get("published_headline_unit"), row.get("published_headline_dp"), row["amount"]
        ):
            headlines.append(head)
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


def compute_figures(
    tables: Mapping[str, pl.DataFrame],
    year: int,
    missions_ref: pl.DataFrame,
    subset_exclude: tuple[str, ...],
    earlier_editions: Mapping[int, Mapping[str, pl.DataFrame]] | None = None,
) -> Figures:
    """All shares, variances and rates the brochure prints."""
    missions = tables.get("missions")
    thematics = tables.get("thematics")
    split = with_displayed_values(thematic_split(thematics)) if thematics is not None else None
    return Figures(
        revenue_stages=revenue_stages(tables["revenue"], year),
        revenue_growth=revenue_growth(tables["revenue"]),
        rates=execution_rates(tables["execution"]),
        missions=mission_split(missions, tables["execution"], missions_ref) if missions is not None else None,
        thematics=split,
        thematic_subset=(
            with_displayed_values(thematic_subset(thematics, subset_exclude), use_published=False)
            if thematics is not None and subset_exclude
            else None
        ),
        history=editions_history({**earlier_editions, year: tables}) if earlier_editions else None,
    )

"""Figures named in narrative texts: `[[thematics.investissements.rounded]]` prints the same number as
the table, and changes with it. Amounts typed by hand are found and listed, so an editor can see
which numbers in the prose are not tied to the data.

Syntax (documented in inputs/README.md): `[[table.id]]` or `[[table.id.field]]`, e.g.
`[[revenue.total]]`, `[[execution.AE.rate]]`, `[[thematics.cancer.share]]`, `[[action.p2-msp]]`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from flows.edition.compute import figures as compute
from flows.edition.errors import InputError, Problem
from flows.edition.french import (
    format_amount,
    format_number,
    format_pct,
    format_share,
    format_signed_amount,
)
from flows.edition.ingest.texts import Text

REFERENCE = re.compile(r"\[\[\s*([^\[\]]*?)\s*\]\]")
TYPED_AMOUNT = re.compile(
    r"(?<![\w,.])\d{1,3}(?:[ \u00a0\u202f]\d{3})*(?:,\d+)?[ \u00a0\u202f]?(?:k€|K€|M€|€|millions? d['’]euros)"
)


def _amount(row: dict[str, Any], column: str) -> str | None:
    if row.get(column) is None:
        return None
    return _required_amount(row, column)


def _required_amount(row: dict[str, Any], column: str) -> str:
    """An amount of a column the contract says is never empty."""
    return format_amount(row[column], row["unit"], row.get(f"{column}_dp") or 0)


def stage_variance(row: Mapping[str, Any], unit: str) -> tuple[str, str]:
    """A budget stage's change from the stage before, as printed: (`+3 752 723 €`, `+1,24 %`); in `unit`, the
    unit of the revenue table its amounts are printed in (`+15,7 M€` beside amounts in M€)."""
    delta = format_signed_amount(row["delta"], unit, row["delta_dp"] or 0) if row["delta"] is not None else ""
    pct = format_pct(row["delta_pct"], 2, signed=True) if row["delta_pct"] is not None else ""
    return delta, pct


HISTORY_MEASURES = ("revenue", "ae", "cp")


def history_precision(rows: Iterable[Mapping[str, Any]]) -> tuple[str, int]:
    """The one unit and decimals of the comparison across editions: the coarsest any edition printed its
    figures with, so that every column reads in one unit (2018's `305 600 382 €` beside 2024's `522,2 M€`
    reads `305,6 M€`) and no edition is shown more precise than it was published."""
    printed = [
        (row[f"{key}_unit"], row[f"{key}_dp"] or 0) for row in rows for key in HISTORY_MEASURES if row[key] is not None
    ]
    precision = ("€", 0)
    for other in printed:
        precision = compute.coarser(precision, other)
    return precision


def history_amount(row: Mapping[str, Any], key: str, precision: tuple[str, int]) -> str:
    """An edition's revenue, AE or CP in the comparison across editions, at the comparison's precision
    (`history_precision`): a published figure already at that precision prints as published."""
    return format_amount(row[key], *precision) if row[key] is not None else ""


def revenue_growth_amount(total: Mapping[str, Any], delta: int) -> str:
    """The year's change of the revenue total in the unit the two totals are printed in, known to the coarser
    of their decimals: `+15,7 M€` between `522,2 M€` and `537,9 M€`, `+5 531 708 €` between euro amounts."""
    decimals = min(total.get("final_dp") or 0, total.get("previous_year_dp") or 0)
    return format_signed_amount(delta, total["unit"], decimals)


def history_change(
    row: Mapping[str, Any], before: Mapping[str, Any], key: str, precision: tuple[str, int]
) -> tuple[str, str]:
    """The change of `key` since the edition before, at the comparison's precision (never finer than the
    coarser of its two terms): (`+12,3 M€`, `+4,1 %`)."""
    unit, dp = compute.coarser(
        precision,
        compute.coarser((row[f"{key}_unit"], row[f"{key}_dp"]), (before[f"{key}_unit"], before[f"{key}_dp"])),
    )
    return format_signed_amount(row[f"{key}_delta"], unit, dp), format_pct(row[f"{key}_delta_pct"], 1, signed=True)


def catalogue(tables: Mapping[str, pl.DataFrame], figures: compute.Figures) -> dict[str, str]:
    """Every figure a text may name, already formatted as the brochure prints it."""
    names: dict[str, str] = {}
    revenue = tables["revenue"]
    for row in revenue.iter_rows(named=True):
        for column in compute.STAGES:
            if column in revenue.columns and (text := _amount(row, column)):
                names[f"revenue.{row['line_id']}.{column}"] = text
        if text := _amount(row, "final"):
            names[f"revenue.{row['line_id']}"] = text
    growth = figures.revenue_growth[1]
    if growth is not None:
        names["revenue.growth"] = format_pct(growth, 2, signed=True)
    unit = compute.total_row(revenue)["unit"]
    if figures.revenue_stages.height > 1:  # the variances table is printed from two stages on
        for row in figures.revenue_stages.iter_rows(named=True):
            delta, pct = stage_variance(row, unit)
            if delta:
                names[f"revenue.stages.{row['stage']}.delta"] = delta
            if pct:
                names[f"revenue.stages.{row['stage']}.delta_pct"] = pct
    if figures.history is not None:
        rows = list(figures.history.iter_rows(named=True))
        precision = history_precision(rows)
        for index, row in enumerate(rows):
            for key in HISTORY_MEASURES:
                if text := history_amount(row, key, precision):
                    names[f"history.{row['year']}.{key}"] = text
                if index and row[f"{key}_delta"] is not None:
                    delta, pct = history_change(row, rows[index - 1], key, precision)
                    names[f"history.{row['year']}.{key}.delta"] = delta
                    names[f"history.{row['year']}.{key}.delta_pct"] = pct
    for row in figures.rates.iter_rows(named=True):
        names[f"execution.{row['budget']}"] = _required_amount(row, "executed")
        names[f"execution.{row['budget']}.rate"] = format_pct(row["rate"], row["rate_dp"])
        if opened := _amount(row, "opened"):
            names[f"execution.{row['budget']}.opened"] = opened
    if figures.missions is not None:
        for row in figures.missions.iter_rows(named=True):
            for budget in ("ae", "cp"):
                names[f"missions.{row['mission']}.{budget}"] = _required_amount(row, budget)
                names[f"missions.{row['mission']}.{budget}_share"] = compute.share_text(
                    row[f"{budget}_share"], row[f"{budget}_share_exact"], prose=True
                )
    for table, key in (("cp_by_nature", "nature_id"), ("revenue_priorities", "item_id")):
        if (frame := tables.get(table)) is not None:
            for row in frame.iter_rows(named=True):
                names[f"{table}.{row[key]}"] = _required_amount(row, "amount")
    if figures.thematics is not None:
        total = compute.total_row(tables["thematics"])
        names["thematics.total"] = _required_amount(total, "amount")
        for row in figures.thematics.iter_rows(named=True):
            base = f"thematics.{row['thematic_id']}"
            names[base] = _required_amount(row, "amount")
            names[f"{base}.share"] = format_share(
                row["share_display"], row["share_display_dp"], row["share_exact"], prose=True
            )
            names[f"{base}.rounded"] = format_amount(row["headline"], row["headline_unit"], row["headline_dp"])
    if (amounts := tables.get("action_amounts")) is not None:
        for action_id, group in amounts.group_by("action_id", maintain_order=True):
            for index, row in enumerate(group.iter_rows(named=True), start=1):
                text = _required_amount(row, "amount")
                names[f"action.{action_id[0]}.{index}"] = text
                if index == 1:
                    names[f"action.{action_id[0]}"] = text
    if (key_figures := tables.get("key_figures")) is not None:
        for action_id, group in key_figures.group_by("action_id", maintain_order=True):
            for index, row in enumerate(group.iter_rows(named=True), start=1):
                value = format_number(row["value"], row["value_dp"] or 0)
                names[f"key_figure.{action_id[0]}.{index}"] = f"{value}\u00a0{row['unit']}" if row["unit"] else value
    return names


@dataclass(frozen=True)
class TypedAmount:
    source: str
    line: int
    text: str


def resolve(markdown: str, names: Mapping[str, str], source: str, first_line: int = 1) -> tuple[str, list[Problem]]:
    """Replace every `[[name]]` by its figure; unknown names are problems located by line and column."""
    problems: list[Problem] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in names:
            return names[name]
        line = first_line + markdown.count("\n", 0, match.start())
        column = match.start() - (markdown.rfind("\n", 0, match.start()) + 1) + 1
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = f" (proche : {', '.join(close)})" if close else " (voir inputs/README.md, « Chiffres dans les textes »)"
        problems.append(
            Problem(source, f"le nom d'un chiffre des tables{hint}", line, value=match.group(0), character=column)
        )
        return match.group(0)

    return REFERENCE.sub(replace, markdown), problems


def find_typed_amounts(markdown: str, source: str, first_line: int = 1) -> list[TypedAmount]:
    """Amounts written by hand (not through `[[…]]`), with their line."""
    without_references = REFERENCE.sub(lambda m: " " * len(m.group(0)), markdown)
    return [
        TypedAmount(source, first_line + without_references.count("\n", 0, m.start()), m.group(0))
        for m in TYPED_AMOUNT.finditer(without_references)
    ]


def check_names(texts: Iterable[Text], names: Mapping[str, str]) -> None:
    """Every `[[figure]]` named in a text exists in the catalogue; InputError locating each one that does not."""
    problems: list[Problem] = []
    for text in texts:
        problems += resolve(text.body, names, text.source, text.body_line)[1]
    if problems:
        raise InputError(problems)

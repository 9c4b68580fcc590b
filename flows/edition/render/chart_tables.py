"""Each chart's data as a table, formatted in French: what the web edition shows under a chart, so that a
reader who cannot see the bars reads the same figures they are drawn from.

Built from the data each chart is drawn from (`charts.data.chart_data`), never from the drawing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import polars as pl

from flows.edition.charts.data import chart_data, displayed_share
from flows.edition.compute import catalogue as references
from flows.edition.compute.figures import Figures, share_text
from flows.edition.french import format_amount
from flows.edition.wording import mission_name, stage_label, word_list


class ChartTable(TypedDict):
    headers: list[str]  # the first one heads the rows' labels
    rows: list[list[str]]  # each row: its label, then one figure per other header


def _revenue_stages(data: pl.DataFrame, unit: str) -> ChartTable:
    rows = []
    for r in data.iter_rows(named=True):
        delta, pct = references.stage_variance(r, unit)
        rows.append([stage_label(r["stage"], r["year"]), format_amount(r["amount"], unit, r["dp"] or 0), delta, pct])
    return {"headers": list(word_list("tableaux.etapes")), "rows": rows}


def _missions(data: pl.DataFrame, unit: str) -> ChartTable:
    rows = [
        [
            mission_name(r["mission"], r["short_label"]),
            format_amount(r["ae"], r["unit"], r["ae_dp"] or 0),
            share_text(r["ae_share"], r["ae_share_exact"]),
            format_amount(r["cp"], r["unit"], r["cp_dp"] or 0),
            share_text(r["cp_share"], r["cp_share_exact"]),
        ]
        for r in data.iter_rows(named=True)
    ]
    return {"headers": list(word_list("tableaux.missions")), "rows": rows}


def _thematics(data: pl.DataFrame, unit: str) -> ChartTable:
    rows = [
        [r["label"], format_amount(r["amount"], r["unit"], r["amount_dp"] or 0), displayed_share(r)]
        for r in data.iter_rows(named=True)
    ]
    return {"headers": list(word_list("tableaux.thematiques")), "rows": rows}


def _history(data: pl.DataFrame, unit: str) -> ChartTable:
    precision = references.history_precision(data.iter_rows(named=True))

    def shown(r: dict[str, object], key: str) -> str:
        return references.history_amount(r, key, precision)

    rows = [[str(r["year"]), shown(r, "revenue"), shown(r, "ae"), shown(r, "cp")] for r in data.iter_rows(named=True)]
    return {"headers": list(word_list("tableaux.historique")), "rows": rows}


_TABLES: dict[str, Callable[[pl.DataFrame, str], ChartTable]] = {
    "revenue-stages": _revenue_stages,
    "missions": _missions,
    "thematics": _thematics,
    "thematic-subset": _thematics,
    "history": _history,
}


def chart_tables(figures: Figures, revenue_unit: str) -> dict[str, ChartTable]:
    """The data table of every chart the edition has, by chart key. `revenue_unit`: the unit the revenue
    table is published in (its stages' totals carry their decimals, not their unit)."""
    return {key: _TABLES[key](data, revenue_unit) for key, data in chart_data(figures)}

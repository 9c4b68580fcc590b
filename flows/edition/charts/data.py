"""Which charts an edition has, and the data each is drawn from: plain Polars, no plotting library.

Kept apart from `charts` so that a build whose charts all come from the cache never imports plotnine
and matplotlib (about half a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from flows.edition.compute.figures import Figures
from flows.edition.french import format_amount, format_share


@dataclass(frozen=True)
class DrawnChart:
    """A chart ready for the page: SVG inline as a data: URI, with its alternative text (its caption is
    worded by the templates, from its key)."""

    key: str
    alt: str
    width_cm: float
    src: str


def displayed_amount(row: dict[str, Any]) -> str:
    """A line's rounded amount as the brochure shows it (see compute.with_displayed_values)."""
    return format_amount(row["headline"], row["headline_unit"], row["headline_dp"])


def displayed_share(row: dict[str, Any]) -> str:
    """A line's share as the table and the chart show it (see compute.with_displayed_values)."""
    return format_share(row["share_display"], row["share_display_dp"], row.get("share_exact"))


def chart_data(figures: Figures) -> list[tuple[str, pl.DataFrame]]:
    """(key, data) of every chart the edition's data allows, in the order they appear.

    Each chart is drawn from its own data only, so a chart whose data did not change can be reused.
    """
    found: list[tuple[str, pl.DataFrame]] = []
    if figures.revenue_stages.height > 1:
        found.append(("revenue-stages", figures.revenue_stages))
    if figures.missions is not None:
        found.append(("missions", figures.missions))
    if figures.thematics is not None:
        found.append(("thematics", figures.thematics))
    if figures.history is not None:
        found.append(("history", figures.history))
    if figures.thematic_subset is not None:
        found.append(("thematic-subset", figures.thematic_subset))
    return found

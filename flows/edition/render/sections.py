"""The shapes of the template context: one typed record per part of the brochure.

TypedDicts rather than classes: the templates read them as plain mappings (a test can render a template
from a small literal), while mypy checks that `context.py` fills every key the templates use.
"""

from __future__ import annotations

from typing import Any, TypedDict

from flows.edition.charts.data import DrawnChart
from flows.edition.publish.record import Revision


class Meta(TypedDict):
    title: str
    year: int
    region_name: str
    agency: str
    agency_short: str
    part_label: str
    website: str | None
    logo: str | None  # an inline data: URI
    web_url: str | None  # the web edition's address (flows/edition/render/web.py)


class Badge(TypedDict):
    amount: str
    label: str
    qualifier: str


class KeyFigure(TypedDict):
    value: str
    label: str
    detail: str


class Action(TypedDict):
    anchor: str
    title: str
    badges: list[Badge]
    key_figures: list[KeyFigure]
    html: str


class Section(Action):
    actions: list[Action]  # the section's own actions, under its heading


class Part(TypedDict):
    anchor: str
    number: int
    title: str
    intro_html: str
    sections: list[Section]


class RevenueRow(TypedDict):
    id: str  # the line's id, for the erratum's page references
    label: str
    reference: str
    is_total: bool
    cells: list[str]


class LabelledAmount(TypedDict):
    label: str
    amount: str


class Priority(LabelledAmount):
    qualifier: str


class Variance(TypedDict):
    label: str
    amount: str
    delta: str
    delta_pct: str


class RevenueSection(TypedDict):
    anchor: str
    headers: list[str]
    rows: list[RevenueRow]
    total: str
    lines: list[LabelledAmount]
    growth_pct: str | None
    growth_abs: str | None
    previous_total: str | None
    variances: list[Variance]
    chart: DrawnChart | None
    notes: list[str]
    priorities: list[Priority]


class Execution(TypedDict):
    budget: str
    label: str
    executed: str
    opened: str
    rate: str
    rate_source: str


class MissionRow(TypedDict):
    mission: int
    label: str
    ae: str
    ae_share: str
    cp: str
    cp_share: str


class Missions(TypedDict):
    rows: list[MissionRow]
    total_ae: str
    total_cp: str
    chart: DrawnChart | None
    shares_note: bool  # the shares, each rounded on its own, do not add up to the 100,0 % printed


class SpendingSection(TypedDict):
    anchor: str
    execution: list[Execution]
    natures: list[LabelledAmount]
    cp_total: str
    missions: Missions | None
    notes: list[str]


class ThematicRow(TypedDict):
    id: str
    label: str
    amount: str
    share: str
    headline: str
    html: str


class ThematicsSection(TypedDict):
    anchor: str
    rows: list[ThematicRow]
    total: str
    total_share: str
    top2_share: str
    top2: list[str]  # the two largest thematics' labels as they read inside a sentence
    chart: DrawnChart | None
    subset_chart: DrawnChart | None
    subset_title: str | None
    notes: list[str]
    shares_note: bool  # the shares, each rounded on its own, do not add up to the 100,0 % printed


class HistoryRow(TypedDict):
    year: int
    revenue: str
    ae: str
    cp: str


# "from" is a Python keyword: the functional form names it.
HistoryChange = TypedDict(
    "HistoryChange",
    {"measure": str, "from_year": int, "to_year": int, "from": str, "to": str, "delta": str, "pct": str},
)


class HistorySection(TypedDict):
    anchor: str
    first_year: int
    last_year: int
    rows: list[HistoryRow]
    changes: list[HistoryChange]
    chart: DrawnChart | None


ChiffresSection = RevenueSection | SpendingSection | ThematicsSection | HistorySection


class Chiffres(TypedDict):
    intro_html: str
    sections: list[ChiffresSection]  # in reading order, for the sommaire
    revenue: RevenueSection
    spending: SpendingSection
    thematics: ThematicsSection | None
    history: HistorySection | None


class ErratumRow(TypedDict):
    label: str
    old: str
    new: str
    anchors: list[str]  # where the figure is printed (render/locations.py); the layout gives their pages


class Context(TypedDict):
    meta: Meta
    theme: dict[str, Any]
    fir_html: str
    actions_intro_html: str
    parts: list[Part]
    chiffres: Chiffres
    revision: Revision
    erratum: list[ErratumRow]

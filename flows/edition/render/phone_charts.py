"""The web edition's charts drawn again for a phone: the printed chart, 17 cm wide, shrunk to a 375 px screen
would set its labels in 4 px type, and shown at its size it scrolls sideways with half its bars out of sight.

On a narrow screen each chart is drawn as horizontal bars, one under the other, each group's label on
the full width above its bars and each value written after its bar (its series named in it when there
are several, so that nothing relies on colour alone): every bar, label and value inside 340 px, at the
type size of the page. The same data and the same rounded values as the printed chart
(charts/draw.py), drawn here as SVG by hand, in milliseconds; the print charts are left as they are.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache

import polars as pl
import uharfbuzz as hb

from flows.edition.charts.data import displayed_amount, displayed_share
from flows.edition.french import format_compact, format_number
from flows.edition.theme import ChartPalette
from flows.edition.wording import mission_name, stage_label, words

WIDTH = 340  # the drawing's width in CSS pixels: a 375 px screen less the page's margins
LABEL_SIZE = 13.0  # group labels, as the page's small text
VALUE_SIZE = 12.0  # values after the bars, legend and note
LINE = 1.3  # line height, in type sizes
BAR = 15.0  # a bar's thickness
BAR_GAP = 4.0  # between the bars of one group
GROUP_GAP = 12.0  # between groups
VALUE_GAP = 5.0  # between a bar's end and its value
SWATCH = 11.0  # the legend's colour squares


@dataclass(frozen=True)
class Bar:
    value: float
    text: str  # the value as written after the bar
    fill: str


@dataclass(frozen=True)
class Group:
    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Legend:
    name: str
    fill: str


@dataclass(frozen=True)
class PhoneChart:
    key: str
    groups: tuple[Group, ...]
    legend: tuple[Legend, ...] = ()
    note: str | None = None  # printed under the bars, as the print chart's caption (the unit)


class Measure:
    """Text widths in the font the browser draws the chart with (embedded in it): labels wrap where they
    would, and no value is cut at the drawing's edge."""

    def __init__(self, font: bytes):
        self.font = hb.Font(hb.Face(font))
        self.upem: int = self.font.face.upem

    def width(self, text: str, size: float) -> float:
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        hb.shape(self.font, buffer, {"kern": True, "liga": True})
        return float(sum(p.x_advance for p in buffer.glyph_positions) * size / self.upem)

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """`text` in lines no wider than `width` (a single word wider than that stays whole)."""
        lines: list[str] = []
        for word in text.split():
            if lines and self.width(f"{lines[-1]} {word}", size) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        return lines or [""]


@cache
def _measure(font: bytes) -> Measure:
    return Measure(font)


def phone_chart(key: str, data: pl.DataFrame, palette: ChartPalette) -> PhoneChart:
    """What the chart `key` shows, as groups of bars: the printed chart's data and values
    (charts/draw.py), one group per bar or per group of bars of the print."""
    if key == "revenue-stages":
        return PhoneChart(
            key,
            tuple(
                Group(
                    stage_label(r["stage"], r["year"]),
                    (
                        Bar(
                            r["amount"],
                            format_compact(r["amount"], 1),
                            palette.light if r["stage"] == "previous_year" else palette.primary,
                        ),
                    ),
                )
                for r in data.iter_rows(named=True)
            ),
        )
    if key == "missions":
        return PhoneChart(
            key,
            tuple(
                Group(
                    mission_name(r["mission"], r.get("short_label")),
                    (
                        Bar(r["ae"], f"AE {format_number(r['ae'] / 1e6, 1)}", palette.primary),
                        Bar(r["cp"], f"CP {format_number(r['cp'] / 1e6, 1)}", palette.light),
                    ),
                )
                for r in data.iter_rows(named=True)
            ),
            (
                Legend(words("graphiques.legende_ae"), palette.primary),
                Legend(words("graphiques.legende_cp"), palette.light),
            ),
            words("graphiques.unite_millions"),
        )
    if key in ("thematics", "thematic-subset"):
        return PhoneChart(
            key,
            tuple(
                Group(r["label"], (Bar(r["amount"], f"{displayed_amount(r)} · {displayed_share(r)}", palette.primary),))
                for r in data.iter_rows(named=True)
            ),
        )
    if key == "history":
        fills = (palette.primary, palette.mid, palette.light)
        names = ("recettes", "ae", "cp")
        measures = [
            (column, words(f"graphiques.court_{name}"), fill)
            for column, name, fill in zip(("revenue", "ae", "cp"), names, fills, strict=True)
        ]
        return PhoneChart(
            key,
            tuple(
                Group(
                    str(r["year"]),
                    tuple(
                        Bar(r[column], f"{short} {format_compact(r[column])}", fill)
                        for column, short, fill in measures
                        if r[column] is not None
                    ),
                )
                for r in data.iter_rows(named=True)
            ),
            tuple(Legend(words(f"graphiques.mesure_{name}"), fill) for name, fill in zip(names, fills, strict=True)),
        )
    raise KeyError(key)


def _text(x: float, y: float, size: float, text: str, ink: str) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{ink}">{html.escape(text)}</text>'


def phone_svg(chart: PhoneChart, palette: ChartPalette, font: bytes) -> str:
    """The chart as an SVG `WIDTH` px wide (scaled with its viewBox): legend, then each group's label and
    bars, longest bar to scale with the room its value leaves."""
    measure = _measure(font)
    parts: list[str] = []
    y = 0.0
    if chart.legend:  # colour squares and names, as many on a line as fit
        x = 0.0
        for item in chart.legend:
            width = SWATCH + 4 + measure.width(item.name, VALUE_SIZE)
            if x and x + width > WIDTH:
                x, y = 0.0, y + VALUE_SIZE * LINE
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="{SWATCH:g}" height="{SWATCH:g}" fill="{item.fill}" '
                f'stroke="{palette.ink}" stroke-width="0.5"/>'
            )
            parts.append(_text(x + SWATCH + 4, y + VALUE_SIZE, VALUE_SIZE, item.name, palette.ink))
            x += width + 14
        y += VALUE_SIZE * LINE + GROUP_GAP
    bars = [bar for group in chart.groups for bar in group.bars]
    widest_value = max((measure.width(bar.text, VALUE_SIZE) for bar in bars), default=0.0)
    room = WIDTH - widest_value - VALUE_GAP - 1
    largest = max((bar.value for bar in bars), default=0) or 1
    for group in chart.groups:
        for line in measure.wrap(group.label, LABEL_SIZE, WIDTH):
            parts.append(_text(0, y + LABEL_SIZE, LABEL_SIZE, line, palette.ink))
            y += LABEL_SIZE * LINE
        y += 2
        for bar in group.bars:
            length = max(0.0, bar.value) / largest * room
            parts.append(
                f'<rect x="0.5" y="{y:.1f}" width="{length:.1f}" height="{BAR:g}" fill="{bar.fill}" '
                f'stroke="{palette.ink}" stroke-width="0.5"/>'
            )
            parts.append(_text(length + VALUE_GAP, y + BAR / 2 + VALUE_SIZE * 0.36, VALUE_SIZE, bar.text, palette.ink))
            y += BAR + BAR_GAP
        y += GROUP_GAP - BAR_GAP
    if chart.note:
        parts.append(_text(0, y + VALUE_SIZE, VALUE_SIZE, chart.note, palette.ink))
        y += VALUE_SIZE * LINE
    height = round(y + 2)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f"font-family=\"Inter, 'DejaVu Sans', sans-serif\">" + "".join(parts) + "</svg>"
    )

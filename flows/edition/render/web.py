"""The web edition: the whole brochure as one accessible HTML page, rendered from the same context as the
PDF (`context.build_context`) by templates/web/edition.html.j2, which extends the brochure's template.

One self-contained file (stylesheet inline, charts and logo as data: URIs, the reader's own fonts), so that
it can be published as `web/index.html` beside the PDF and served as is by the portal.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import itertools
import re
from collections.abc import Mapping
from pathlib import Path

from flows.edition.charts.data import DrawnChart, chart_data
from flows.edition.compute.figures import total_row
from flows.edition.ingest.snapshot import Edition
from flows.edition.prepare import Prepared
from flows.edition.publish.record import Revision
from flows.edition.render.chart_fonts import with_font
from flows.edition.render.chart_tables import ChartTable, chart_tables
from flows.edition.render.context import build_context
from flows.edition.render.html import environment
from flows.edition.render.phone_charts import phone_chart, phone_svg
from flows.edition.theme import WHITE, ChartPalette, text_shade
from flows.edition.wording import words

TEMPLATE = "web/edition.html.j2"
FIGURE_MACROS = "web/_figures.html.j2"  # charts with their data tables, in place of the brochure's
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
# A table block of the brochure's template, up to its table's caption.
_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)
_HEAD = re.compile(r"<thead>(.*?)</thead>", re.DOTALL)
_ROW = re.compile(r"<tr\b.*?</tr>", re.DOTALL)
_CELL = re.compile(r"<(th|td)\b([^>]*)>")
_TAGS = re.compile(r"<[^>]+>")
# The brochure leaves the column of its change table's row headers unnamed; a screen reader needs its name.
_UNNAMED = re.compile(r'(<table class="figures history-changes">.*?<thead><tr>)<th scope="col"></th>', re.DOTALL)
# An aside of the brochure without a role of its own (its key figures, inside a section).
_ASIDE = re.compile(r"<aside\b(?![^>]*\brole=)([^>]*)>")
_TABLE_BLOCK = re.compile(r'<div class="table-block">(?=((?:(?!</div>).)*?<caption>(.*?)</caption>))', re.DOTALL)


def web_edition(
    edition: Edition,
    prepared: Prepared,
    charts: Mapping[str, DrawnChart],
    revision: Revision,
    url: str | None,
    pdf_name: str,
    templates_dir: Path,
    chart_font: bytes | None = None,
) -> str:
    """The web edition of a revision: the brochure's own context (same figures, texts and charts), the
    charts' data tables, a link to the brochure `pdf_name` beside it; `url`: its own public address, shown
    in its footer as on the back cover (none: not shown, validate/address.py). `chart_font`: the font the charts'
    labels are set in, embedded in each chart (cut to its characters) so that browsers draw them as printed;
    with it each chart also gets its drawing for phones (render/phone_charts.py)."""
    phone: dict[str, str] = {}
    if chart_font is not None:
        charts = {key: dataclasses.replace(c, src=with_font(c.src, chart_font)) for key, c in charts.items()}
        phone = phone_drawings(prepared, edition.meta.primary, chart_font, set(charts))
    context = build_context(edition, prepared, charts, revision, url)
    tables = chart_tables(prepared.figures, total_row(edition.tables["revenue"])["unit"])
    return render_web(context, tables, pdf_name, templates_dir, phone)


def phone_drawings(prepared: Prepared, primary: str, font: bytes, keys: set[str]) -> dict[str, str]:
    """The narrow drawing of each chart among `keys`, as a `data:` URI with its font: what a phone shows."""
    palette = ChartPalette.from_primary(primary)
    return {
        key: with_font(svg_data_uri(phone_svg(phone_chart(key, data, palette), palette, font)), font)
        for key, data in chart_data(prepared.figures)
        if key in keys
    }


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_web(
    context: Mapping[str, object],
    tables: Mapping[str, ChartTable],
    pdf_name: str,
    templates_dir: Path,
    phone_charts: Mapping[str, str] | None = None,
) -> str:
    """Fill the web edition's template from the brochure's context, with each chart's data table and, where
    given, its drawing for phones (`phone_charts`, by chart key).
    `pdf_name`: the brochure's file name, linked relatively (`../<name>`) from `web/index.html`."""
    theme = context["theme"]
    assert isinstance(theme, Mapping)
    web = {
        "pdf_href": f"../{pdf_name}",
        # brand colours used as text (and under white text): darkened where the brand's own would not reach
        # AAA contrast (7:1) on the page's white and light tint; borders and bars keep the brand's own
        "link": text_shade(theme["primary"], (WHITE, theme["tint_light"])),
        "accent_text": text_shade(theme["accent"], (WHITE, theme["tint_light"])),
    }
    page = {
        **context,
        "figure_macros": FIGURE_MACROS,
        "chart_tables": tables,
        "phone_charts": phone_charts or {},
        "web": web,
    }
    rendered = environment(templates_dir).get_template(TEMPLATE).render(**page)
    return noted_asides(labelled_cells(named_headers(scrollable_tables(rendered))))


def scrollable_tables(page: str) -> str:
    """Make each table block a named region reachable by keyboard: on a phone a wide table scrolls
    sideways inside it (WCAG 2.1.1; a data table is exempt from reflow, not from the keyboard)."""
    hole = "\x00"  # the caption, already HTML, goes in after the wording's own text is escaped
    label = html.escape(words("web.tableau_region", legende=hole), quote=True)
    return _TABLE_BLOCK.sub(
        lambda m: (
            f'<div class="table-block" role="region" tabindex="0" aria-label="{label.replace(hole, m.group(2))}">'
        ),
        page,
    )


def noted_asides(page: str) -> str:
    """Make each of the brochure's asides (a section's key figures) a note: an `<aside>` is a complementary
    landmark, and one inside the page's main landmark would be announced as a landmark of its own, out of
    place (axe-core's landmark-complementary-is-top-level); a note is what they are, an aside to the text."""
    return _ASIDE.sub(r'<aside\1 role="note">', page)


def named_headers(page: str) -> str:
    """Name the change table's first column (« Indicateur »), for screen readers only: it looks as printed."""
    name = html.escape(words("web.indicateur"))
    return _UNNAMED.sub(lambda m: f'{m.group(1)}<th scope="col"><span class="visually-hidden">{name}</span></th>', page)


def labelled_cells(page: str) -> str:
    """Give each data cell its column's name (`data-label`): on a phone each row of a table is shown as a
    card, each figure under the name of its column (web.css), instead of a table wider than the screen."""

    def table(match: re.Match[str]) -> str:
        head = _HEAD.search(match.group(0))
        if head is None:
            return match.group(0)
        names = [_TAGS.sub("", cell).strip() for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1))]
        body = match.group(0)[head.end() :]
        return match.group(0)[: head.end()] + _ROW.sub(lambda row: _label_row(row.group(0), names), body)

    return _TABLE.sub(table, page)


def _label_row(row: str, names: list[str]) -> str:
    position = itertools.count()

    def cell(match: re.Match[str]) -> str:
        index = next(position)
        if match.group(1) != "td" or index >= len(names) or not names[index] or "data-label" in match.group(2):
            return match.group(0)
        return f'<td{match.group(2)} data-label="{names[index]}">'

    return _CELL.sub(cell, row)


def style_hashes(page: str) -> list[str]:
    """The CSP hashes (`'sha256-…'`) of a page's inline <style> elements: its own CSS may apply, nothing else."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"
        for css in _STYLE.findall(page)
    ]

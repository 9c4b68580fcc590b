"""The web edition: the whole brochure as one accessible HTML page, rendered from the same context as the
PDF (`context.build_context`) by templates/web/edition.html.j2, which extends the brochure's template.

One self-contained file (stylesheet inline, charts and logo as data: URIs, the reader's own fonts), so that
it can be published as `web/index.html` beside the PDF and served as is by the portal.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from flows.edition.charts.data import DrawnChart
from flows.edition.compute.figures import total_row
from flows.edition.ingest.snapshot import Edition
from flows.edition.prepare import Prepared
from flows.edition.publish.record import Revision
from flows.edition.render.chart_fonts import with_font
from flows.edition.render.chart_tables import ChartTable, chart_tables
from flows.edition.render.context import build_context
from flows.edition.render.html import environment
from flows.edition.theme import mix

TEMPLATE = "web/edition.html.j2"
FIGURE_MACROS = "web/_figures.html.j2"  # charts with their data tables, in place of the brochure's
AA_TEXT = 4.5  # WCAG 2.1 AA contrast ratio for normal text
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
# A table block of the brochure's template, up to its table's caption.
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
    labels are set in, embedded in each chart (cut to its characters) so that browsers draw them as printed."""
    if chart_font is not None:
        charts = {key: dataclasses.replace(c, src=with_font(c.src, chart_font)) for key, c in charts.items()}
    context = build_context(edition, prepared, charts, revision, url)
    tables = chart_tables(prepared.figures, total_row(edition.tables["revenue"])["unit"])
    return render_web(context, tables, pdf_name, templates_dir)


def render_web(
    context: Mapping[str, object], tables: Mapping[str, ChartTable], pdf_name: str, templates_dir: Path
) -> str:
    """Fill the web edition's template from the brochure's context, with each chart's data table.
    `pdf_name`: the brochure's file name, linked relatively (`../<name>`) from `web/index.html`."""
    theme = context["theme"]
    assert isinstance(theme, Mapping)
    web = {
        "pdf_href": f"../{pdf_name}",
        # brand colours used as text: darkened where the brand's own would not reach AA contrast
        "link": readable(theme["primary"], theme["tint_light"]),
        "accent_text": readable(theme["accent"], theme["tint_light"]),
    }
    page = {**context, "figure_macros": FIGURE_MACROS, "chart_tables": tables, "web": web}
    return scrollable_tables(environment(templates_dir).get_template(TEMPLATE).render(**page))


def scrollable_tables(page: str) -> str:
    """Make each table block a named region reachable by keyboard: on a phone a wide table scrolls
    sideways inside it (WCAG 2.1.1; a data table is exempt from reflow, not from the keyboard)."""
    return _TABLE_BLOCK.sub(
        lambda m: f'<div class="table-block" role="region" tabindex="0" aria-label="Tableau : {m.group(2)}">', page
    )


def luminance(colour: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two `#rrggbb` colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str, ratio: float = AA_TEXT) -> str:
    """`colour` as is when it reads on `background` (and on white) at `ratio`, else mixed with black just
    enough: a light brand colour still gives links and titles that pass WCAG AA."""
    for step in range(0, 101, 2):
        candidate = mix(colour, "#000000", 1 - step / 100) if step else colour.lower()
        if min(contrast(candidate, background), contrast(candidate, "#ffffff")) >= ratio:
            return candidate
    return "#000000"


def style_hashes(page: str) -> list[str]:
    """The CSP hashes (`'sha256-…'`) of a page's inline <style> elements: its own CSS may apply, nothing else."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"
        for css in _STYLE.findall(page)
    ]

"""The heavy parts of the build, one chart or one group of pages each: module-level functions, so that a
worker process (flows/pipeline/workers.py) can import and run them. Defined once, for the build and the
preview."""

from __future__ import annotations

import threading

import polars as pl

from flows import paths
from flows.edition.charts.data import DrawnChart
from flows.edition.render.paginate import PageGroup

_PYPLOT = threading.Lock()  # matplotlib's pyplot is not thread-safe: one chart at a time per process
_WARM_UP = '<html lang="fr"><head><link rel="stylesheet" href="brochure.css"></head><body><p>Aperçu</p></body></html>'


def draw_chart(key: str, data: pl.DataFrame, primary: str) -> DrawnChart:
    """Draw one chart to SVG (text kept as text, in a data: URL), with its alternative text."""
    with _PYPLOT:
        from flows.edition.charts import draw, svg  # plotnine and matplotlib: only when a chart is really drawn

        svg.register_fonts(paths.FONTS_DIR)
        chart = draw.build(key, data, primary)
        return DrawnChart(chart.key, chart.alt, chart.width_cm, svg.svg_data_uri(svg.chart_svg(chart)))


def lay_out_group(document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
    """Lay out one group of the brochure's pages (starting at page `first`), tagged (PDF/UA-1)."""
    from flows.edition.render.layout import lay_out_pages

    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs)


def lay_out_preview(document: str, stubs: tuple[str, ...], first: int) -> PageGroup:
    """Lay out one group as the build does, untagged: the same pages, pixels and text, a quarter faster
    (the PDF/UA structure matters for the published file, not for a page on screen)."""
    from flows.edition.render.layout import lay_out_pages

    return lay_out_pages(document, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], stubs, variant=None, texts=True)


def warm_up_pages() -> None:
    """Load what a layout needs, in a worker, before the first group it is given."""
    lay_out_preview(_WARM_UP, (), 1)


def warm_up_charts() -> None:
    """Load what a chart needs (plotnine and matplotlib: 2 s the first time, the chart fonts), and draw a
    small one: what matplotlib sets up for the first figure (its SVG backend, the font's metrics) is then
    done too, a fifth of a second the build's first chart no longer waits for."""
    from plotnine import aes, element_text, geom_col, ggplot, theme

    from flows.edition.charts import draw, svg

    svg.register_fonts(paths.FONTS_DIR)
    frame = pl.DataFrame({"x": ["Aperçu"], "y": [1.0]})
    plot = ggplot(frame, aes("x", "y")) + geom_col() + theme(text=element_text(family=draw.FONT_FAMILY))
    svg.chart_svg(draw.Chart("warm-up", plot, "", 4, 3))


def warm_up(what: str) -> None:
    """In a worker before its first job: "charts", what a layout needs (WeasyPrint, the brochure's fonts,
    fontconfig's cache) and what a chart needs; "build", a chart's only (a build's workers draw its charts and
    make its other forms, its own process lays the pages out); "pages", a layout's only."""
    if what == "build":
        warm_up_charts()
        return
    lay_out_preview(_WARM_UP, (), 1)
    if what == "charts":
        warm_up_charts()

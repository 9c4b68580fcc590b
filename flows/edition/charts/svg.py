"""Charts to SVG with matplotlib (text kept as text, stable ids), and SVG to an inline data: URI.

Imported only when a chart is really drawn: a build whose charts come from the cache skips ~0.5 s.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.edition.charts.draw import Chart

_FONTS_REGISTERED: set[Path] = set()


def _configure_matplotlib() -> None:
    """Imported only when a chart is drawn: a correction served from the chart cache skips ~0.5 s."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: crisp, selectable, 4× faster to lay out
    matplotlib.rcParams["svg.hashsalt"] = "fir-brochure"  # stable ids: same data, same bytes


def register_fonts(fonts_dir: Path) -> None:
    """Make the shipped font family available to matplotlib (once per process)."""
    _configure_matplotlib()
    from matplotlib import font_manager

    for path in sorted(fonts_dir.glob("*.otf")):
        if path not in _FONTS_REGISTERED:
            font_manager.fontManager.addfont(str(path))
            _FONTS_REGISTERED.add(path)


def chart_svg(chart: Chart) -> str:
    """Draw a chart to SVG text at its print size."""
    _configure_matplotlib()
    import matplotlib.pyplot as plt

    figure = chart.plot.draw()
    figure.set_size_inches(chart.width_cm / 2.54, chart.height_cm / 2.54)
    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.02, transparent=True
    )
    plt.close(figure)
    return buffer.getvalue().decode("utf-8")


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")

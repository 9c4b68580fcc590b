"""Context → HTML (Jinja2) → PDF (WeasyPrint), and charts → SVG.

Templates render from a plain dictionary built by `context.build_context`, so a test can render a
template from a small fixture. The PDF renderer fetches nothing but the project's own templates/
assets, the edition's folder and inline `data:` URIs.
"""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

import matplotlib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.edition.charts import Chart

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: crisp, selectable, 4× faster to lay out
matplotlib.rcParams["svg.hashsalt"] = "fir-brochure"  # stable ids: same data, same bytes

_FONTS_REGISTERED: set[Path] = set()


def register_fonts(fonts_dir: Path) -> None:
    """Make the shipped font family available to matplotlib (once per process)."""
    from matplotlib import font_manager

    for path in sorted(fonts_dir.glob("*.otf")):
        if path not in _FONTS_REGISTERED:
            font_manager.fontManager.addfont(str(path))
            _FONTS_REGISTERED.add(path)


def chart_svg(chart: Chart) -> str:
    """Draw a chart to SVG text at its print size."""
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


def render_html(context: dict, templates_dir: Path) -> str:
    """Fill the brochure template; every value is escaped unless marked safe by our own code."""
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("brochure.html.j2").render(**context)


def _allowed_fetcher(roots: list[Path]):
    from weasyprint import URLFetcher

    resolved_roots = [root.resolve() for root in roots]

    class LockedFetcher(URLFetcher):
        """Serves `data:` URIs and files under the allowed roots; refuses everything else."""

        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path == root or root in path.parents for root in resolved_roots) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"ressource refusée (hors des dossiers autorisés) : {url}")

    return LockedFetcher()


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def print_pdf(
    html: str, base_dir: Path, allowed_roots: list[Path], metadata: dict[str, str], variant: str | None = "pdf/ua-1"
) -> tuple[bytes, int, list[str]]:
    """Lay out and write the PDF; return its bytes, its page count and what WeasyPrint warned about."""
    from weasyprint import HTML

    collector = _LogCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        options = {"pdf_variant": variant} if variant else {}
        html_doc = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=_allowed_fetcher(allowed_roots))
        document = html_doc.render(**options)
        pdf = document.write_pdf(pdf_identifier=metadata.get("identifier", "").encode() or None, **options)
    finally:
        logger.removeHandler(collector)
    return pdf, len(document.pages), collector.messages

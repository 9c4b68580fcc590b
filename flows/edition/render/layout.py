"""Context → HTML (Jinja2) → PDF (WeasyPrint), and charts → SVG.

Templates render from a plain dictionary built by `context.build_context`, so a test can render a
template from a small fixture. The PDF renderer fetches nothing but the project's own templates/
assets, the edition's folder and inline `data:` URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.edition.render import assemble
from flows.edition.render.paginate import Brochure, PageGroup, paginate

if TYPE_CHECKING:
    from flows.edition.charts.draw import Chart

_FONTS_REGISTERED: set[Path] = set()
_LAYOUT = threading.local()  # WeasyPrint's font configuration, one per thread (Pango objects are not shared)


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


def local_files_digest(html: str) -> str:
    """SHA-256 over the local files a document shows (the edition's logo): part of the layout's cache key,
    since a new logo under the same name leaves the HTML unchanged."""
    digest = hashlib.sha256()
    for uri in sorted(set(re.findall(r'(?:src|href)="(file://[^"]+)"', html))):
        path = Path(unquote(urlparse(uri).path))
        digest.update(uri.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return digest.hexdigest()


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


PUBLISHED_VARIANT = "pdf/ua-1"  # accessible: tagged, reading order, alt texts
_CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch), PDF counts points (72 per inch)


def lay_out_pages(document_html: str, base_dir: Path, allowed_roots: list[Path], stubs: tuple[str, ...]) -> PageGroup:
    """Lay out one group of pages and write it as a tagged PDF, with its anchors and bookmarks."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_LAYOUT, "fonts", None) is None:
        # One per thread for every group laid out: the brochure's @font-face fonts are registered with
        # fontconfig once, not once per group (same PDF bytes, measured).
        _LAYOUT.fonts = FontConfiguration()
    collector = _LogCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        source = HTML(string=document_html, base_url=str(base_dir) + "/", url_fetcher=_allowed_fetcher(allowed_roots))
        document = source.render(font_config=_LAYOUT.fonts, pdf_variant=PUBLISHED_VARIANT)
        pdf = document.write_pdf(pdf_variant=PUBLISHED_VARIANT)
    finally:
        logger.removeHandler(collector)
    anchors: dict[str, int] = {}
    bookmarks = []
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name not in stubs:
                anchors.setdefault(name, index)
        for level, label, (x, y), state in page.bookmarks:
            bookmarks.append((level, label, index, x * _CSS_PX_TO_PT, (page.height - y) * _CSS_PX_TO_PT, state))
    return PageGroup(pdf, len(document.pages), anchors, bookmarks, stubs, collector.messages)


@dataclass
class PrintedPdf:
    published: bytes  # PDF/UA-1
    archival: bytes  # PDF/A-3a (and UA-1) with the figure tables attached
    pages: int
    warnings: list[str]  # what WeasyPrint logged: missing glyphs, refused resources, dropped CSS


def print_pdf(
    brochure: Brochure,
    attachments: list[tuple[str, bytes]],
    attachment_date: dt.datetime,
    font_dirs: Sequence[Path] = (),
) -> PrintedPdf:
    """Bind the laid-out page groups into the published PDF (one subset per font of `font_dirs`),
    then derive the archival copy from it."""
    published = assemble.merge(brochure.groups, font_dirs)
    archival = assemble.archival_copy(published, attachments, attachment_date)
    warnings = list(dict.fromkeys(w for group in brochure.groups for w in group.warnings))
    return PrintedPdf(published, archival, brochure.pages, warnings)


def print_document(
    html: str,
    base_dir: Path,
    allowed_roots: list[Path],
    attachments: list[tuple[str, bytes]],
    attachment_date: dt.datetime,
) -> PrintedPdf:
    """Print a whole document in one call, nothing cached (the flow caches each group of pages)."""
    brochure = paginate(html, lambda document, stubs, _: lay_out_pages(document, base_dir, allowed_roots, stubs))
    return print_pdf(brochure, attachments, attachment_date, [base_dir / "fonts"])

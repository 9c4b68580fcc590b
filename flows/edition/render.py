"""Context → HTML (Jinja2) → PDF (WeasyPrint), and charts → SVG.

Templates render from a plain dictionary built by `context.build_context`, so a test can render a
template from a small fixture. The PDF renderer fetches nothing but the project's own templates/
assets, the edition's folder and inline `data:` URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import time
from dataclasses import dataclass
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


PUBLISHED_VARIANT = "pdf/ua-1"  # accessible: tagged, reading order, alt texts
ARCHIVAL_VARIANT = "pdf/a-3a"  # archival, tagged, and may carry the edition's data as attachments


@dataclass
class PrintedPdf:
    published: bytes  # PDF/UA-1
    archival: bytes  # PDF/A-3a with the figure tables attached
    pages: int
    warnings: list[str]  # what WeasyPrint logged: missing glyphs, refused resources, dropped CSS
    layout_seconds: float = 0.0
    write_seconds: float = 0.0


def print_pdf(
    html: str,
    base_dir: Path,
    allowed_roots: list[Path],
    identifier: str,
    attachments: list[tuple[str, bytes]],
    attachment_date: dt.datetime,
) -> PrintedPdf:
    """Lay the pages out once, then write the published and the archival PDF from the same layout."""
    from weasyprint import HTML, Attachment

    collector = _LogCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        started = time.perf_counter()
        source = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=_allowed_fetcher(allowed_roots))
        document = source.render(pdf_variant=PUBLISHED_VARIANT)
        laid_out = time.perf_counter()
        pdf_id = identifier.encode()
        published = document.write_pdf(pdf_variant=PUBLISHED_VARIANT, pdf_identifier=pdf_id)
        files = [
            Attachment(
                file_obj=io.BytesIO(data),
                name=name,
                description=f"Données de l'édition : {name}",
                created=attachment_date,
                modified=attachment_date,
                relationship="Data",
            )
            for name, data in attachments
        ]
        archival = document.write_pdf(pdf_variant=ARCHIVAL_VARIANT, pdf_identifier=pdf_id, attachments=files)
    finally:
        logger.removeHandler(collector)
    archival = fix_pdfa(archival)
    return PrintedPdf(
        published, archival, len(document.pages), collector.messages, laid_out - started, time.perf_counter() - laid_out
    )


def fix_pdfa(pdf: bytes) -> bytes:
    """Mend the two PDF/A rules WeasyPrint 70 breaks.

    - PDFA3A-METADATA-FILTER-001: the XMP metadata stream must not be compressed.
    - PDFA3A-STREAM-LENGTH-001: a stream's /Length must match the bytes between `stream` and
      `endstream`. A compressed stream whose last byte is a carriage return reads, to a validator, as
      ending one byte early (CR + the LF before `endstream` look like one end-of-line marker), so such
      streams are compressed again at another level until they do not end with CR.
    """
    import zlib

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        metadata = document.Root.Metadata
        metadata.write(metadata.read_bytes())  # written back without a filter
        for obj in document.objects:
            if not isinstance(obj, pikepdf.Stream) or not obj.read_raw_bytes().endswith(b"\r"):
                continue
            data = obj.read_bytes()
            if obj.get("/Filter") == pikepdf.Name.FlateDecode and "/DecodeParms" not in obj:
                for level in (8, 7, 6, 5, 4, 3, 2, 1):
                    encoded = zlib.compress(data, level)
                    if not encoded.endswith(b"\r"):
                        obj.write(encoded, filter=pikepdf.Name.FlateDecode)
                        break
                else:
                    obj.write(data)
            elif not data.endswith(b"\r"):
                obj.write(data)
        out = io.BytesIO()
        # compress_streams=False: pikepdf must not compress (and possibly end in CR) what WeasyPrint left plain
        document.save(out, deterministic_id=True, compress_streams=False)
    return out.getvalue()

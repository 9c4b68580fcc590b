"""HTML → PDF with WeasyPrint: one group of pages at a time, then the groups bound into the published
PDF and its archival copy.

The renderer fetches nothing but the project's own templates/ assets (fonts, CSS) and inline `data:`
URIs (charts, logo): the edition's files reach the layout as bytes from the snapshot, never by path.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flows.edition.publish.errors import PrintProfileMissing
from flows.edition.render import assemble
from flows.edition.render.paginate import Brochure, PageGroup, paginate

_LAYOUT = threading.local()  # WeasyPrint's font configuration, one per thread (Pango objects are not shared)


def _allowed_fetcher(roots: list[Path]) -> Any:  # a weasyprint.URLFetcher (WeasyPrint is untyped)
    from weasyprint import URLFetcher

    resolved_roots = [root.resolve() for root in roots]

    class LockedFetcher(URLFetcher):
        """Serves `data:` URIs and files under the allowed roots; refuses everything else."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path == root or root in path.parents for root in resolved_roots) and path.is_file():
                    return super().fetch(url, headers)
            raise ValueError(f"ressource refusée (hors des dossiers autorisés) : {url}")

    return LockedFetcher()


def _weasyprint_logger() -> logging.Logger:
    """WeasyPrint's logger, heard only through the collector each layout attaches: what it says reaches the
    user once, in the build's report (« [mise en page] … »), never as a line in English from Prefect's console
    handler (the warm-up page's unset colour used to print one in every build's terminal)."""
    logger = logging.getLogger("weasyprint")
    if logger.propagate:
        logger.propagate = False
        logger.addHandler(logging.NullHandler())  # no handler at all would send it to logging's last resort
    return logger


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


PUBLISHED_VARIANT = "pdf/ua-1"  # accessible: tagged, reading order, alt texts
_CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch), PDF counts points (72 per inch)


def lay_out_pages(
    document_html: str,
    base_dir: Path,
    allowed_roots: list[Path],
    stubs: tuple[str, ...],
    variant: str | None = PUBLISHED_VARIANT,
    texts: bool = False,
) -> PageGroup:
    """Lay out one group of pages and write it as a tagged PDF, with its anchors, bookmarks and named pages.
    `variant=None`: untagged, the same pages a quarter faster (`fir preview`,
    which only shows them); `texts`: with each page's text, as laid out."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_LAYOUT, "fonts", None) is None:
        # One per thread for every group laid out: the brochure's @font-face fonts are registered with
        # fontconfig once, not once per group (same PDF bytes, measured).
        _LAYOUT.fonts = FontConfiguration()
    collector = _LogCollector()
    logger = _weasyprint_logger()
    logger.addHandler(collector)
    try:
        source = HTML(string=document_html, base_url=str(base_dir) + "/", url_fetcher=_allowed_fetcher(allowed_roots))
        document = source.render(font_config=_LAYOUT.fonts, pdf_variant=variant)
        pdf = document.write_pdf(pdf_variant=variant)
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
    page_texts = tuple(page_text(page) for page in document.pages) if texts else ()
    names = tuple(page_name(page) for page in document.pages)
    return PageGroup(pdf, len(document.pages), anchors, bookmarks, stubs, collector.messages, page_texts, names)


def page_name(page: Any) -> str:
    """A laid-out page's named page (CSS `page: cover`), "" for none: the print file paints its bleed by it.
    Read from the page's box (`Page._page_box`, not public: WeasyPrint is pinned)."""
    return page._page_box.page_type.name or ""


def page_text(page: Any) -> str:
    """A laid-out page's text, a line per line box in reading order (not its footer, stamped later): the very text
    boxes WeasyPrint draws, 2 ms for a page where reading them back from the PDF took 12. Reads the page's box tree
    (`Page._page_box`, not public: WeasyPrint is pinned, and tests/test_preview.py reads these texts)."""
    from weasyprint.formatting_structure import boxes

    lines: list[str] = []

    def walk(box: Any) -> None:
        if isinstance(box, boxes.LineBox):
            line = "".join(child.text for child in box.descendants() if isinstance(child, boxes.TextBox))
            if line.strip():
                lines.append(line)
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(page._page_box)
    return "\n".join(lines)


def print_profile(path: Path) -> bytes:
    """The print file's CMYK output profile. Raises PrintProfileMissing (operational trouble, exit 3)
    when it is not there."""
    try:
        return path.read_bytes()
    except OSError:
        raise PrintProfileMissing(path) from None


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
    published = assemble.merge(brochure.groups, font_dirs, brochure.footers)
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

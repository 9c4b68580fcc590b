"""Laid-out pages as a browser shows them: one PNG per PDF page, drawn by PDFium from the very PDF WeasyPrint
wrote (never from the HTML). Each page's text comes with its layout (`layout.page_text`)."""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium

DPI = 110  # an A4 page 910 px wide: sharp on a laptop screen, about 0.05 s per page
_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one call at a time in the process


def page_png(pdf: bytes, index: int, dpi: int = DPI) -> bytes:
    """Page `index` (from 0) of `pdf` as a PNG image at `dpi`."""
    with _PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[index]
            image = page.render(scale=dpi / 72).to_pil()
            page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # speed over size: served on the loopback only
    return buffer.getvalue()

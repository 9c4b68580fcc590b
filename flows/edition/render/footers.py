"""The brochure's footers (« ARS … - FIR 2024 | 12 », in the page's outer corner), laid out once for the whole
brochure and stamped on its pages when they are bound.

A footer is the only thing on a page that depends on where the page stands: its number, and the corner (the
outer one: left on a left-hand page, right on a right-hand one). Laid out without their footers, the groups of
pages (render/paginate.py) no longer depend on where they start: they can be laid out side by side, before
their first page is known, and a group that moves is not laid out again. The footers are laid out apart, as a
document of as many pages as the brochure, each page named as the brochure's (a cover or an opener has none),
with the stylesheet's own `@page` rules: each footer is where the brochure's stylesheet puts it. Each of its
pages is then drawn over the brochure's page of the same number, as a pagination artifact (PDF/UA: a running
footer is not part of the content's structure, and a reader does not read it out on each page).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html import escape

import pikepdf
from pikepdf import Name

_FOOTER_STYLE = re.compile(r'<style class="page-footer" data-first-page="(left|right)"( media="not all")?>')
_ATTACHMENT = re.compile(r"<link\s[^>]*rel=[\"']?attachment[^>]*>", re.IGNORECASE)
_MARKED = {"BDC", "BMC", "EMC"}  # the layout's marked content: the stamp is one artifact as a whole
_ARTIFACT = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC q 1 0 0 1 0 0 cm %s Do Q EMC\n"


def without_footers(head: str) -> str:
    """A group's head with its footers off: its pages are the same wherever the group starts."""
    return _FOOTER_STYLE.sub(r'<style class="page-footer" data-first-page="\1" media="not all">', head)


def sheet_document(head: str, tail: str, names: Sequence[str]) -> str:
    """The footers of a brochure whose pages are named `names` ("" for a page with no name), from page 1 (a
    right-hand page): a document of as many empty pages, each named as the brochure's page."""
    head = _ATTACHMENT.sub("", head)  # the brochure's attachments are its own, not the footers'
    head = _FOOTER_STYLE.sub(
        lambda m: (
            f'<style class="page-footer" data-first-page="{m.group(1)}"'
            + ("" if m.group(1) == "right" else ' media="not all"')
            + ">"
        ),
        head,
    )
    pages = "".join(
        f'<div class="footer-page" style="{"break-before: page; " if index else ""}'
        f'{f"page: {escape(name)}; " if name else ""}height: 1px"></div>'
        for index, name in enumerate(names)
    )
    return head + pages + tail


def stamp(pdf: pikepdf.Pdf, sheet: pikepdf.Pdf, first_page: int = 1) -> None:
    """Draw over each page of `pdf` the footer of its page number (`first_page` for its first page) from
    `sheet` (a laid-out `sheet_document`), as a pagination artifact; pages whose footer is empty (a cover, an
    opener) are left as they are. The page's own drawing is closed first (WeasyPrint leaves its coordinates
    flipped), so the footer stands where the sheet's layout put it."""
    for index, page in enumerate(pdf.pages):
        number = first_page + index
        if number > len(sheet.pages):
            break
        footer = _footer_form(pdf, sheet.pages[number - 1])
        if footer is None:
            continue
        # Named by its page number: the pages of a group share their resources, and the same bytes each time.
        name = page.add_resource(footer, Name.XObject, Name(f"/FirFooter{number}"))
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(b"\nQ\n" + _ARTIFACT % bytes(str(name), "ascii")))


def _footer_form(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Object | None:
    """The sheet's page as a form XObject in `pdf`, without the layout's marked content; None when empty."""
    operations = [
        instruction for instruction in pikepdf.parse_content_stream(page) if str(instruction.operator) not in _MARKED
    ]
    if not any(str(instruction.operator) in ("Tj", "TJ", "'", '"') for instruction in operations):
        return None
    form = pdf.copy_foreign(page.as_form_xobject())
    form.write(pikepdf.unparse_content_stream(operations))
    return form


def stamped(pdf: bytes, sheet: bytes, first_page: int) -> bytes:
    """A group's PDF with its footers, its first page being `first_page` (the preview shows its pages so)."""
    with pikepdf.open(io.BytesIO(pdf)) as document, pikepdf.open(io.BytesIO(sheet)) as footers:
        stamp(document, footers, first_page)
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()

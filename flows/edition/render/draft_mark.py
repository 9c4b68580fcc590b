"""The reviewers' copy of a draft: the very PDF approval will publish, with a mark (« PROJET — ne pas
diffuser », templates/libelles.toml) across and atop every page, so a draft that leaks cannot pass for the
agency's publication.

The mark is stamped onto the bound PDF rather than laid out again: the pages under it are, byte for
byte, the pages that will be published, and stamping costs milliseconds instead of a second layout.
It is drawn as an artifact (outside the structure tree), in a base-14 font that needs no embedding.
"""

from __future__ import annotations

import io
import math

import pikepdf
from pikepdf import Dictionary, Name

from flows.edition.wording import words

_RED = "0.78 0.1 0.1"
_HELVETICA_BOLD_EM = 0.66  # advance of this mark in Helvetica-Bold, in ems per character (measured on the page)


def mark_draft(pdf: bytes, mark: str | None = None) -> bytes:
    """`pdf` with `mark` written diagonally (translucent) and in a banner at the top of every page; by default
    the wording file's (`pdf.filigrane_projet`, « PROJET — ne pas diffuser »)."""
    mark = mark or words("pdf.filigrane_projet")
    text = pikepdf.String(mark.encode("cp1252"))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        font = document.make_indirect(
            Dictionary(
                Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Helvetica-Bold"), Encoding=Name.WinAnsiEncoding
            )
        )
        faint = document.make_indirect(Dictionary(Type=Name.ExtGState, ca=0.18, CA=0.18))
        for page in document.pages:
            left, bottom, right, top = (float(v) for v in page.mediabox)
            width, height = right - left, top - bottom
            diagonal = math.hypot(width, height)
            size = 0.62 * diagonal / (len(mark) * _HELVETICA_BOLD_EM)
            angle = math.atan2(height, width)
            cos, sin = math.cos(angle), math.sin(angle)
            half = len(mark) * _HELVETICA_BOLD_EM * size / 2
            # start so that the line's middle sits on the page's centre
            x = left + width / 2 - half * cos + size * 0.35 * sin
            y = bottom + height / 2 - half * sin - size * 0.35 * cos
            banner = 9.0
            banner_x = left + width / 2 - len(mark) * _HELVETICA_BOLD_EM * banner / 2
            stream = (
                b"q /Artifact BMC "
                + f"/FirDraftGs gs {_RED} rg BT /FirDraft {size:.2f} Tf "
                f"{cos:.4f} {sin:.4f} {-sin:.4f} {cos:.4f} {x:.2f} {y:.2f} Tm ".encode()
                + text.unparse()
                + b" Tj ET EMC Q q /Artifact BMC "
                + f"{_RED} rg BT /FirDraft {banner} Tf {banner_x:.2f} {top - 14:.2f} Td ".encode()
                + text.unparse()
                + b" Tj ET EMC Q"
            )
            page.contents_coalesce()
            page.contents_add(document.make_stream(b"q\n"), prepend=True)
            page.contents_add(document.make_stream(b"\nQ\n" + stream))
            page.add_resource(font, Name.Font, Name("/FirDraft"))
            page.add_resource(faint, Name.ExtGState, Name("/FirDraftGs"))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)  # the same draft, the same bytes (fir rebuild compares them)
        return out.getvalue()

"""The charts' SVG for a browser: the same drawing the brochure prints, with the subset of the font its
labels are set in embedded.

A browser shows an SVG image with the fonts installed on the reader's machine only (an image loads
nothing but data: URLs): without Inter, labels fall back to a wider face and run into the bars. The
brochure's PDF embeds the font; the web edition's charts carry the few glyphs they use (a few kB each).
"""

from __future__ import annotations

import base64
import html
import re

import uharfbuzz as hb

SVG_URI = "data:image/svg+xml;base64,"
_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def chart_characters(svg: str) -> set[str]:
    """Every character the chart's labels show."""
    return {c for text in _TEXT.findall(svg) for c in html.unescape(_TAG.sub("", text))}


def subset_font(font: bytes, characters: set[str]) -> bytes:
    """`font` cut down to `characters` (HarfBuzz: the same bytes for the same characters)."""
    plan = hb.SubsetInput()
    for character in sorted(characters):
        plan.unicode_set.add(ord(character))
    plan.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.DESUBROUTINIZE
    subset = hb.subset(hb.Face(font), plan)
    if subset is None:
        raise ValueError("HarfBuzz could not subset the font")
    return bytes(subset.blob.data)


def with_font(src: str, font: bytes, family: str = "Inter") -> str:
    """A chart's `data:` URI with `font`, cut to the chart's characters, declared as `family` inside it."""
    svg = base64.b64decode(src.removeprefix(SVG_URI)).decode("utf-8")
    opening = _SVG_OPEN.search(svg)
    characters = chart_characters(svg)
    if opening is None or not characters:
        return src
    data = base64.b64encode(subset_font(font, characters)).decode("ascii")
    face = f"<style>@font-face {{ font-family: '{family}'; src: url(data:font/otf;base64,{data}); }}</style>"
    svg = svg[: opening.end()] + face + svg[opening.end() :]
    return SVG_URI + base64.b64encode(svg.encode("utf-8")).decode("ascii")

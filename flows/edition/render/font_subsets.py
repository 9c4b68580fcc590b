"""One subset per font for the whole brochure, instead of one per group of pages.

Each group of pages is laid out on its own, so WeasyPrint embeds in each its own subset of every font
it uses: bound together, the brochure carried 36 subsets of five Inter styles (523 KB of fonts). The
subsets keep the font's glyph ids (HarfBuzz's "retain GIDs"), so the glyphs a page draws are the same
ids in every subset: one subset of the shipped font holding the union of those glyphs (cut by
HarfBuzz with WeasyPrint's own settings) can serve every group. Each group keeps its own widths
(`/W`) and text mapping (`/ToUnicode`): small, and its glyph positions were computed with them. A
font whose source file is not among ours (a system fallback) keeps its per-group subsets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pikepdf
import uharfbuzz as hb
from pikepdf import Array, Dictionary, Name

# The tables WeasyPrint drops from its subsets (weasyprint/pdf/fonts.py): text is already shaped.
_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
_FLAGS = (
    hb.SubsetFlags.RETAIN_GIDS  # glyph ids stay those of the font, as in WeasyPrint's subsets
    | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
    | hb.SubsetFlags.DESUBROUTINIZE
    | hb.SubsetFlags.NOTDEF_OUTLINE
    | hb.SubsetFlags.NO_HINTING
)
_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)


class FontMergeError(ValueError):
    """Subsets that cannot share one program (glyph ids remapped, an unexpected CMap): left as they are."""


def share_font_subsets(pdf: pikepdf.Pdf, font_dirs: list[Path]) -> int:
    """Give every Type 0 font of `pdf` drawn from one of our font files a single shared subset.

    Returns how many fonts are now shared.
    """
    sources = _font_files(font_dirs)
    by_font: dict[str, list[Dictionary]] = defaultdict(list)
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == Name.Font and obj.get("/Subtype") == Name.Type0:
            program = _font_program(obj)
            if program is not None and (name := _postscript_name(program.read_bytes())) in sources:
                by_font[name].append(obj)
    shared = 0
    for name, fonts in by_font.items():
        if len(fonts) < 2:
            continue
        try:
            _share(pdf, fonts, sources[name])
        except FontMergeError:
            continue
        shared += 1
    return shared


def _share(pdf: pikepdf.Pdf, fonts: list[Dictionary], source: bytes) -> None:
    """One font program for `fonts`; each keeps its own widths and text mapping, which its pages'
    glyph positions were computed with (WeasyPrint rounds a glyph's width at the size it first meets)."""
    glyphs = {0}  # .notdef, which every font program must have
    for font in fonts:
        descendant = font.DescendantFonts[0]
        if descendant.get("/CIDToGIDMap", Name.Identity) != Name.Identity:
            raise FontMergeError("glyph ids are not the font's")
        glyphs |= _glyphs_with_widths(descendant.get("/W", Array()))
        if "/ToUnicode" in font:
            glyphs |= _glyphs_with_text(font.ToUnicode.read_bytes())
    first = fonts[0].DescendantFonts[0].FontDescriptor
    key = _program_key(first)
    if key is None:
        raise FontMergeError("no embedded font program")
    program = pdf.make_stream(_subset(source, sorted(glyphs)))
    for name, value in first[key].items():  # /Subtype /OpenType, or TrueType's /Length1 (updated below)
        if name not in ("/Length", "/Filter", "/DecodeParms"):
            program[name] = value
    if "/Length1" in program:
        program.Length1 = len(program.read_bytes())
    for font in fonts:
        descriptor = font.DescendantFonts[0].FontDescriptor
        descriptor[key] = program
        if "/CIDSet" in descriptor:  # optional; if present it must list every glyph of the program
            del descriptor["/CIDSet"]


def _font_files(font_dirs: list[Path]) -> dict[str, bytes]:
    """PostScript name → font file content, for the fonts we ship."""
    files: dict[str, bytes] = {}
    for folder in font_dirs:
        for path in sorted([*folder.glob("*.otf"), *folder.glob("*.ttf")]):
            data = path.read_bytes()
            if name := _postscript_name(data):
                files.setdefault(name, data)
    return files


def _font_program(font: Dictionary) -> pikepdf.Object | None:
    descendants = font.get("/DescendantFonts")
    if not descendants:
        return None
    descriptor = descendants[0].get("/FontDescriptor", Dictionary())
    key = _program_key(descriptor)
    return descriptor.get(key) if key else None


def _program_key(descriptor: pikepdf.Object) -> str | None:
    return next((k for k in ("/FontFile3", "/FontFile2", "/FontFile") if k in descriptor), None)


def _postscript_name(program: bytes) -> str | None:
    """The font's PostScript name (name id 6), or None for a program HarfBuzz cannot read as a font."""
    name: str | None = hb.Face(program).get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME)
    return name


def _subset(source: bytes, glyph_ids: list[int]) -> bytes:
    """The source font cut down to `glyph_ids`, each kept at its id, as WeasyPrint cuts its subsets."""
    plan = hb.SubsetInput()
    for glyph in glyph_ids:
        plan.glyph_set.add(glyph)
    plan.flags = _FLAGS
    dropped = plan.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
    for tag in _DROPPED_TABLES:
        dropped.add(int.from_bytes(tag.encode("ascii"), "big"))
    font = hb.subset(hb.Face(source), plan)
    if font is None:
        raise FontMergeError("HarfBuzz could not subset the font")
    return bytes(font.blob.data)


def _glyphs_with_widths(widths: pikepdf.Object) -> set[int]:
    """The glyph ids a CIDFont's `/W` lists: `c [w1 w2 …]` and `c_first c_last w` entries."""
    glyphs: set[int] = set()
    items = list(widths)
    index = 0
    while index < len(items):
        start = int(items[index])
        if isinstance(items[index + 1], Array):
            glyphs.update(range(start, start + len(items[index + 1])))
            index += 2
        else:
            glyphs.update(range(start, int(items[index + 1]) + 1))
            index += 3
    return glyphs


def _glyphs_with_text(cmap: bytes) -> set[int]:
    """The glyph ids a `/ToUnicode` CMap maps to text (its bfchar entries)."""
    if _BFRANGE.search(cmap):  # WeasyPrint writes bfchar entries only; a range would need expanding
        raise FontMergeError("bfrange in ToUnicode")
    return {int(cid, 16) for block in _BFCHAR_BLOCK.findall(cmap) for cid, _ in _BFCHAR.findall(block)}

"""The print shop's file: the brochure's very pages as PDF/X-4, in CMYK, with bleed, crop marks and a page
count padded for saddle stitching.

The print document is the published brochure's HTML plus a print stylesheet: the same page groups, the
same page breaks and numbers (bleed adds paper outside the A4 page, it does not change the page), so each
group is laid out and cached like the published one. Blank pages, to make the count a multiple of 4 (a
saddle-stitched brochure is folded sheets of 4 pages), go just before the back cover: every page before
them, an erratum included, keeps its number, and the back cover stays the last page.

Colours: the brand colours and text are CMYK (theme.PrintColours, `device-cmyk()`, written as DeviceCMYK,
which the CMYK output intent characterises). What stays RGB — charts (SVG), the logo (PNG), a few light
details — is made ICC-based sRGB when binding, which PDF/X-4 accepts (device-independent colour, converted
by the printer's RIP), instead of DeviceRGB, which it does not with a CMYK output intent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from flows.edition.render.assemble import _import, _srgb_profile
from flows.edition.render.font_subsets import share_font_subsets
from flows.edition.render.paginate import MARKER, Brochure, PageGroup
from flows.edition.theme import PRINT_GREYS, PrintColours, css_cmyk
from flows.edition.wording import words

PRINT_VARIANT = "pdf/x-4"
BLEED_MM = 3
SLUG_MM = 10  # paper beyond the bleed, where the marks are drawn (the press sheet is larger than A4 + bleed)
_MARK_LENGTH_MM = 6
_BAND_MM = 9  # the part opener's coloured band: `.part-header`'s border-left in brochure.css
_PT_PER_MM = 72 / 25.4
SIGNATURE = 4  # pages per folded sheet of a saddle-stitched brochure
# The characterisation the profile is built from (ICC registry name), said in the output intent (and in words
# by the wording file, `pdf.condition_impression`)
OUTPUT_CONDITION = "FOGRA39"
_SRGB = Name("/FirSRGB")


def blank_pages(pages: int) -> int:
    """How many blank pages make `pages` a multiple of 4."""
    return -pages % SIGNATURE


def stylesheet(colours: PrintColours) -> str:
    """The print stylesheet: bleed, CMYK colours, backgrounds into the bleed (the marks are drawn when binding).

    No `@color-profile`: WeasyPrint would parse and compress the 250 KB profile for every group of pages
    (≈ 1 s each, measured); the output intent is added once, when binding."""
    greys = "\n".join(
        f"{selector} {{ color: {css_cmyk(PRINT_GREYS[grey])}; }}"
        for grey, selector in (
            ("#555", ".table-note, .source, table.figures .reference, .part-empty"),
            ("#444", ".prose em, .key-detail"),
            ("#333", "figure.chart figcaption"),
        )
    )
    primary, light, footer = css_cmyk(colours.primary), css_cmyk(colours.tint_light), css_cmyk(PRINT_GREYS["#555"])
    paper = "device-cmyk(0 0 0 0)"
    band = _BAND_MM + BLEED_MM
    return f"""<style class="print">
:root {{ --brand-primary: {primary}; --brand-accent: {css_cmyk(colours.accent)}; --tint-light: {light};
  --tint-border: {css_cmyk(colours.tint_border)}; --ink: {css_cmyk(colours.ink)}; }}
@page {{ bleed: {BLEED_MM}mm;
  @bottom-left {{ color: {footer}; }} @bottom-right {{ color: {footer}; }} }}
/* Pages whose colour reaches the edge: the page's own background covers the bleed too */
@page cover {{ background: {primary}; }}
@page opener {{ background: {primary}; }}
@page part-opener {{ background: {light}; }}
@page blank {{ @bottom-left {{ content: none; }} @bottom-right {{ content: none; }} }}
/* The part opener's band reaches the edges: drawn by a box out of the flow (the layout is unchanged) that
   covers the 9 mm border and the bleed on three sides */
.part-header {{ position: relative; border-left-color: transparent; }}
.part-header::before {{ content: ""; position: absolute; left: -{band}mm; width: {band}mm;
  top: -{BLEED_MM}mm; bottom: -{BLEED_MM}mm; background: {primary}; }}
.cover, .opener, .back-cover, .back-website a, .cover-year, .opener-title, table.figures thead th {{ color: {paper}; }}
.badge {{ color: {paper}; }}
{greys}
.blank-page {{ page: blank; break-before: page; height: 1mm; }}
</style>
"""


def print_html(html: str, style: str, blanks: int) -> str:
    """The print document: the brochure with the print stylesheet, and `blanks` blank pages in a group of
    their own before the last group (the back cover)."""
    head, sep, rest = html.partition("</head>")
    document = head + style + sep + rest
    if blanks:
        before, marker, back_cover = document.rpartition(MARKER)
        if not marker:
            raise ValueError("document sans groupe de pages pour la quatrième de couverture")
        pages = '<section class="blank-pages">' + '<div class="blank-page"></div>' * blanks + "</section>\n"
        document = before + MARKER + "\n" + pages + MARKER + back_cover
    return document


def print_group(document: str, style: str) -> str:
    """The print document's version of one of the brochure's group documents (render/paginate.py's
    `group_document`): the same, with the print stylesheet where `print_html` puts it, before the group's
    page counter. Equal to the print document's group at the same page, so it can be laid out beside the
    brochure's groups, before the print document is paginated."""
    counter = "<style>@page :first {"
    return document.replace(counter, style + counter, 1)


class PrintLayoutMismatch(RuntimeError):
    """The print file's pages are not the brochure's (a bug in the print stylesheet, not a user mistake)."""


def check_same_pages(published: Brochure, printed: Brochure, blanks: int) -> None:
    """The print file must have the published brochure's pages, page for page, plus the blank ones."""
    if printed.pages != published.pages + blanks:
        raise PrintLayoutMismatch(
            f"fichier pour l'imprimeur : {printed.pages} pages au lieu de {published.pages} + {blanks} blanches"
        )
    moved = sorted(a for a, page in published.page_numbers.items() if printed.page_numbers.get(a) != page)
    if moved:
        raise PrintLayoutMismatch(f"fichier pour l'imprimeur : « {moved[0]} » n'est pas à la page de la brochure")


def bind(groups: Sequence[PageGroup], profile: bytes, font_dirs: Sequence[Path], created: dt.datetime) -> bytes:
    """One PDF/X-4 file from the print groups: the CMYK output intent with its `profile`, no links (paper
    has none), one font subset per style, RGB made ICC-based sRGB, dates fixed to `created`."""
    out = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(group.pdf)) for group in groups]
    try:
        for source in sources:
            with warnings.catch_warnings():  # no named destinations nor links in the print file
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                out.pages.extend(source.pages)
        first = sources[0]
        if "/Lang" in first.Root:
            out.Root.Lang = first.Root.Lang
        out.Root.Metadata = _import(out, first.Root.Metadata)
        out.trailer.Info = out.make_indirect(_import(out, first.trailer.Info))
    finally:
        for source in sources:
            source.close()
    out.Root.OutputIntents = Array([output_intent(out, profile)])
    srgb = out.make_indirect(Array([Name.ICCBased, out.make_stream(_srgb_profile(), N=3)]))
    registration = _registration_colour(out)
    for page in out.pages:
        if "/Annots" in page.obj:
            del page.obj["/Annots"]
        add_marks(out, page, registration)
    make_rgb_icc_based(out, srgb)
    share_font_subsets(out, list(font_dirs))
    stamp = created.astimezone(dt.UTC)
    out.trailer.Info.CreationDate = out.trailer.Info.ModDate = String(stamp.strftime("D:%Y%m%d%H%M%SZ"))
    with out.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = stamp.isoformat()
        # the same pages, the same identifier (WeasyPrint draws a random one each time it lays a group out)
        xmp["xmpMM:DocumentID"] = f"uuid:{uuid.uuid5(uuid.NAMESPACE_OID, _pages_digest(out))}"
    buffer = io.BytesIO()
    out.save(buffer, min_version="1.6", deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def add_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, registration: pikepdf.Object) -> None:
    """Crop marks at each corner and a registration target in the middle of each side, in the slug around
    the bleed (outside the BleedBox, so the trimmed page never shows them), in registration colour (every
    plate); the MediaBox grows to hold them.

    WeasyPrint's own `marks: crop cross` are drawn inside the bleed, over the backgrounds that reach into it:
    on the cover they were dark lines on the dark blue, where the printer cannot see them."""
    x0, y0, x1, y1 = (float(v) for v in page.obj.TrimBox)
    bleed, length = BLEED_MM * _PT_PER_MM, _MARK_LENGTH_MM * _PT_PER_MM
    out = bleed + SLUG_MM * _PT_PER_MM
    page.obj.MediaBox = Array([x0 - out, y0 - out, x1 + out, y1 + out])
    page.obj.BleedBox = Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
    if "/CropBox" in page.obj:
        del page.obj["/CropBox"]
    paths = []
    for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        paths.append(f"{x + dx * bleed:.2f} {y:.2f} m {x + dx * (bleed + length):.2f} {y:.2f} l")
        paths.append(f"{x:.2f} {y + dy * bleed:.2f} m {x:.2f} {y + dy * (bleed + length):.2f} l")
    middle = bleed + length / 2
    radius = length / 4
    for cx, cy in (
        ((x0 + x1) / 2, y0 - middle),
        ((x0 + x1) / 2, y1 + middle),
        (x0 - middle, (y0 + y1) / 2),
        (x1 + middle, (y0 + y1) / 2),
    ):
        paths.append(f"{cx - length / 2:.2f} {cy:.2f} m {cx + length / 2:.2f} {cy:.2f} l")
        paths.append(f"{cx:.2f} {cy - length / 2:.2f} m {cx:.2f} {cy + length / 2:.2f} l")
        paths.append(_circle(cx, cy, radius))
    page.add_resource(registration, Name.ColorSpace, Name("/FirAll"))
    marks = "q /FirAll CS 1 SCN 0.25 w " + " ".join(paths) + " S Q"
    page.contents_coalesce()
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n" + marks.encode()))


def _circle(cx: float, cy: float, r: float) -> str:
    k = 0.5523 * r  # four Bézier arcs
    return (
        f"{cx + r:.2f} {cy:.2f} m {cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
        f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
        f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
        f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c"
    )


def _registration_colour(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The `All` separation: one tint on every plate, the colour of printer's marks."""
    tint = Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([0, 0, 0, 0]), C1=Array([1, 1, 1, 1]), N=1)
    return pdf.make_indirect(Array([Name.Separation, Name.All, Name.DeviceCMYK, pdf.make_indirect(tint)]))


def _pages_digest(pdf: pikepdf.Pdf) -> str:
    """A digest of what the pages draw (their content streams), free of WeasyPrint's dates and identifiers."""
    digest = hashlib.sha256()
    for page in pdf.pages:
        contents = page.obj.Contents
        for stream in contents if isinstance(contents, Array) else [contents]:
            digest.update(hashlib.sha256(stream.read_bytes()).digest())
    return digest.hexdigest()


def output_intent(pdf: pikepdf.Pdf, profile: bytes) -> pikepdf.Object:
    """The PDF/X output intent: printing condition FOGRA39, characterised by `profile` (embedded)."""
    from PIL import ImageCms  # Pillow, which WeasyPrint depends on: the profile's own name

    description = ImageCms.ImageCmsProfile(io.BytesIO(profile)).profile.profile_description or OUTPUT_CONDITION
    return pdf.make_indirect(
        Dictionary(
            Type=Name.OutputIntent,
            S=Name.GTS_PDFX,
            OutputConditionIdentifier=String(OUTPUT_CONDITION),
            OutputCondition=String(words("pdf.condition_impression")),
            RegistryName=String("http://www.color.org"),
            Info=String(description),
            DestOutputProfile=pdf.make_stream(profile, N=4),
        )
    )


def make_rgb_icc_based(pdf: pikepdf.Pdf, srgb: pikepdf.Object) -> int:
    """Replace DeviceRGB by ICC-based sRGB everywhere in `pdf`: colour operators of content streams, images,
    transparency groups, shadings. Returns how many colour operators were rewritten."""
    rewritten = 0
    for page in pdf.pages:
        _add_colour_space(page.obj.Resources, srgb)
        rewritten += _rewrite_content(pdf, page.obj, srgb)
    for obj in pdf.objects:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        if obj.get("/ColorSpace") == Name.DeviceRGB:
            obj.ColorSpace = srgb
        group = obj.get("/Group")
        if isinstance(group, Dictionary) and group.get("/CS") == Name.DeviceRGB:
            group.CS = srgb
        if isinstance(obj, pikepdf.Stream) and (
            obj.get("/Subtype") == Name.Form or (obj.get("/Type") == Name.Pattern and obj.get("/PatternType") == 1)
        ):
            resources = obj.get("/Resources")
            if isinstance(resources, Dictionary):
                _add_colour_space(resources, srgb)
            rewritten += _rewrite_content(pdf, obj, srgb)
    return rewritten


def _add_colour_space(resources: pikepdf.Object, srgb: pikepdf.Object) -> None:
    if "/ColorSpace" not in resources:
        resources.ColorSpace = Dictionary()
    resources.ColorSpace[_SRGB] = srgb


def _rewrite_content(pdf: pikepdf.Pdf, holder: pikepdf.Object, srgb: pikepdf.Object) -> int:
    """`r g b rg` → `/FirSRGB cs r g b sc` (and stroking); `/DeviceRGB cs` → `/FirSRGB cs`."""
    changed = 0
    out: list[Any] = []
    for instruction in pikepdf.parse_content_stream(holder):
        operands, operator = instruction.operands, instruction.operator
        op = str(operator)
        if op in ("rg", "RG"):
            fill = op == "rg"
            out.append(([_SRGB], pikepdf.Operator("cs" if fill else "CS")))
            out.append((list(operands), pikepdf.Operator("sc" if fill else "SC")))
            changed += 1
        elif op in ("cs", "CS") and operands and operands[0] == Name.DeviceRGB:
            out.append(([_SRGB], operator))
            changed += 1
        else:
            out.append(instruction)
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:
            holder.Contents = pdf.make_stream(data)
    return changed

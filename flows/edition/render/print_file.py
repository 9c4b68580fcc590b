"""The print shop's file: the brochure's very pages as PDF/X-4, in CMYK, with bleed, crop marks and a page
count padded for saddle stitching.

Made from the published brochure's laid-out page groups, not laid out a second time: the print file's pages
are the brochure's by construction (bleed adds paper outside the A4 page, it does not change the page).
Binding them for the press changes what surrounds and colours the pages, never where anything stands:

- colours: the theme's colours (brand colours, their tints, the text's ink, the greys of secondary text,
  white paper) become the printer's CMYK values (theme.press_plates, written as DeviceCMYK, which the CMYK
  output intent characterises); every other RGB colour — the logo, a chart's lighter series — is made
  ICC-based sRGB, which PDF/X-4 accepts (device-independent colour, converted by the printer's
  RIP), instead of DeviceRGB, which it does not with a CMYK output intent;
- bleed: the pages whose colour reaches the edge (named pages `cover`, `opener`, `part-opener`, as the
  stylesheet names them) have that colour painted 3 mm beyond the trim, the part opener's band too;
- marks: crop marks and registration targets in the slug around the bleed;
- blank pages, to make the count a multiple of 4 (a saddle-stitched brochure is folded sheets of 4 pages),
  just before the back cover: every page before them, an erratum included, keeps its number, and the back
  cover stays the last page;
- no links, no structure tree (paper has neither), the PDF/X-4 identification in the metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from flows.edition.render.assemble import _import, _srgb_profile
from flows.edition.render.font_subsets import share_font_subsets
from flows.edition.render.footers import stamp as stamp_footers
from flows.edition.render.paginate import PageGroup
from flows.edition.theme import Cmyk, PrintColours, Theme, press_plates
from flows.edition.wording import words

PDFX_VERSION = "PDF/X-4"
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
Rgb = tuple[int, int, int]  # sRGB channels, 0…255


def blank_pages(pages: int) -> int:
    """How many blank pages make `pages` a multiple of 4."""
    return -pages % SIGNATURE


def bind(
    groups: Sequence[PageGroup],
    theme: Theme,
    profile: bytes,
    font_dirs: Sequence[Path],
    created: dt.datetime,
    footers: PageGroup | None = None,
) -> bytes:
    """One PDF/X-4 file from the brochure's laid-out groups: its pages and their footers (stamped from
    `footers`, render/footers.py), the blank ones before the back cover, each page's bleed painted, the theme's
    colours in CMYK and the others ICC-based sRGB, the CMYK output intent with its `profile`, one font subset
    per style, dates fixed to `created`."""
    colours = PrintColours.from_brand(theme.primary, theme.accent)
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
        if footers is not None:
            with pikepdf.open(io.BytesIO(footers.pdf)) as sheet:
                stamp_footers(out, sheet)
    finally:
        for source in sources:
            source.close()
    names = [name for group in groups for name in (group.names or ("",) * group.pages)]
    for page, name in zip(out.pages, names, strict=True):
        for key in ("/Annots", "/StructParents", "/Tabs"):
            if key in page.obj:
                del page.obj[key]
        page.obj.TrimBox = Array(list(page.obj.MediaBox))
        paint_bleed(out, page, name, colours)
    _insert_blank_pages(out, blank_pages(len(out.pages)))
    out.Root.OutputIntents = Array([output_intent(out, profile)])
    srgb = out.make_indirect(Array([Name.ICCBased, out.make_stream(_srgb_profile(), N=3)]))
    make_press_colours(out, srgb, press_plates(theme, colours))
    registration = _registration_colour(out)
    for page in out.pages:
        add_marks(out, page, registration)
    share_font_subsets(out, list(font_dirs))
    _identify(out, created)
    buffer = io.BytesIO()
    out.save(buffer, min_version="1.6", deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _insert_blank_pages(pdf: pikepdf.Pdf, blanks: int) -> None:
    """`blanks` empty pages of the back cover's size, just before it."""
    if not blanks:
        return
    size = Array(list(pdf.pages[-1].obj.MediaBox))
    for _ in range(blanks):
        contents = pdf.make_stream(b"")
        blank = pdf.make_indirect(
            Dictionary(Type=Name.Page, MediaBox=size, TrimBox=size, Resources=Dictionary(), Contents=contents)
        )
        pdf.pages.insert(len(pdf.pages) - 1, pikepdf.Page(blank))


def _identify(pdf: pikepdf.Pdf, created: dt.datetime) -> None:
    """The PDF/X-4 identification (a print file, not the accessible brochure it was made from), and dates
    fixed to `created`."""
    stamp = created.astimezone(dt.UTC)
    info = pdf.trailer.Info
    info.CreationDate = info.ModDate = String(stamp.strftime("D:%Y%m%d%H%M%SZ"))
    info.Trapped = Name("/False")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        if "pdfuaid:part" in xmp:
            del xmp["pdfuaid:part"]
        for key in ("pdfxid:GTS_PDFXVersion", "pdfx:GTS_PDFXVersion", "pdfx:GTS_PDFXConformance"):
            xmp[key] = PDFX_VERSION
        xmp["pdf:Trapped"] = "False"
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = stamp.isoformat()
        xmp["xmpMM:RenditionClass"] = "proof:pdf"
        xmp["xmpMM:VersionID"] = "1"
        # the same pages, the same identifier (WeasyPrint draws a random one each time it lays a group out)
        xmp["xmpMM:DocumentID"] = f"uuid:{uuid.uuid5(uuid.NAMESPACE_OID, _pages_digest(pdf))}"


def paint_bleed(pdf: pikepdf.Pdf, page: pikepdf.Page, name: str, colours: PrintColours) -> None:
    """Paint the colour the named page carries to the trim into the bleed: the cover's and the openers'
    primary, under the page (it shows only beyond the trim); the part opener's light tint under it, and its
    band over it, from the bleed's edge to the band's inner edge, over the page's own band in the same colour
    (one shape: no seam where the page's band meets the bleed, as two shapes side by side would show)."""
    x0, y0, x1, y1 = (float(v) for v in page.obj.TrimBox)
    bleed = BLEED_MM * _PT_PER_MM
    whole = (x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed)
    under, over = [], []
    if name in ("cover", "opener"):
        under.append(_fill(colours.primary, whole))
    elif name == "part-opener":
        under.append(_fill(colours.tint_light, whole))
        over.append(_fill(colours.primary, (x0 - bleed, y0 - bleed, x0 + _BAND_MM * _PT_PER_MM, y1 + bleed)))
    if under:
        page.contents_add(pdf.make_stream(f"q {' '.join(under)} Q\n".encode()), prepend=True)
    if over:  # after the page's content, which leaves its coordinates flipped: wrapped to be undone first
        page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
        page.contents_add(pdf.make_stream(f"\nQ\nq {' '.join(over)} Q\n".encode()))


def _fill(cmyk: Cmyk, box: tuple[float, float, float, float]) -> str:
    left, bottom, right, top = box
    return f"{_cmyk_operands(cmyk)} k {left:.2f} {bottom:.2f} {right - left:.2f} {top - bottom:.2f} re f"


def _cmyk_operands(cmyk: Cmyk) -> str:
    return " ".join(f"{value / 100:g}" for value in cmyk)


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


def make_press_colours(pdf: pikepdf.Pdf, srgb: pikepdf.Object, press: Mapping[Rgb, Cmyk] | None = None) -> int:
    """Replace DeviceRGB everywhere in `pdf` (colour operators of content streams, images, transparency groups,
    shadings): a colour of `press` by its CMYK value, any other by ICC-based sRGB. Returns how many colour
    operators were rewritten."""
    press = press or {}
    rewritten = 0
    for page in pdf.pages:
        _add_colour_space(page.obj.Resources, srgb)
        rewritten += _rewrite_content(pdf, page.obj, press)
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
            rewritten += _rewrite_content(pdf, obj, press)
    return rewritten


def _add_colour_space(resources: pikepdf.Object, srgb: pikepdf.Object) -> None:
    if "/ColorSpace" not in resources:
        resources.ColorSpace = Dictionary()
    resources.ColorSpace[_SRGB] = srgb


def _rewrite_content(pdf: pikepdf.Pdf, holder: pikepdf.Object, press: Mapping[Rgb, Cmyk]) -> int:
    """`r g b rg` → `c m y k k` for a colour of `press`, else `/FirSRGB cs r g b sc` (and stroking);
    `/DeviceRGB cs` → `/FirSRGB cs`."""
    changed = 0
    out: list[Any] = []
    for instruction in pikepdf.parse_content_stream(holder):
        operands, operator = instruction.operands, instruction.operator
        op = str(operator)
        if op in ("rg", "RG"):
            fill = op == "rg"
            cmyk = press.get(tuple(round(float(value) * 255) for value in operands))  # type: ignore[arg-type]
            if cmyk is not None:
                out.append(([value / 100 for value in cmyk], pikepdf.Operator("k" if fill else "K")))
            else:
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

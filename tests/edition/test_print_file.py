"""The print file's pure parts: padding for saddle stitching, the print document, CMYK colours, marks."""

from __future__ import annotations

import datetime as dt
import io

import pikepdf
import pytest

from flows.edition.render import print_file
from flows.edition.theme import PrintColours, Theme, channels, press_plates, process_colour, screen


@pytest.mark.parametrize(("pages", "blanks"), [(32, 0), (44, 0), (45, 3), (46, 2), (47, 1), (1, 3)])
def test_blank_pages_make_a_multiple_of_four(pages, blanks):
    assert print_file.blank_pages(pages) == blanks
    assert (pages + blanks) % 4 == 0


def test_the_brand_colours_are_given_in_cmyk_and_the_tints_are_screens_of_them():
    colours = PrintColours.from_brand("#00467f", "#d4006e")
    assert colours.primary == (96, 61, 0, 35) and colours.accent == (0, 98, 11, 10)
    assert colours.tint_light == (6, 4, 0, 2)  # 6,2 % of each ink: close to the screen's #eff3f7
    assert colours.ink == (0, 0, 0, 100)  # text in black ink alone


def test_a_brand_colour_not_in_the_table_gets_a_plain_conversion():
    assert process_colour("#ffffff") == (0, 0, 0, 0)
    assert process_colour("#000000") == (0, 0, 0, 100)
    assert process_colour("#ff0000") == (0, 100, 100, 0)
    assert screen((100, 50, 0, 20), 0.5) == (50, 25, 0, 10)


def test_the_themes_colours_as_drawn_become_the_printers_cmyk():
    theme = Theme.from_brand("#00467f", "#d4006e")
    found = press_plates(theme, PrintColours.from_brand(theme.primary, theme.accent))
    assert found[(0x00, 0x46, 0x7F)] == (96, 61, 0, 35) and found[(0xD4, 0x00, 0x6E)] == (0, 98, 11, 10)
    assert found[(255, 255, 255)] == (0, 0, 0, 0)  # white is the paper: no ink
    assert found[(0x55, 0x55, 0x55)] == (0, 0, 0, 85) and found[(0x1D, 0x1D, 0x1B)] == (0, 0, 0, 100)
    assert found[channels(theme.tint_light)] == (6, 4, 0, 2)


def _page(width: float = 200, height: float = 300) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width, height))
    page = pdf.pages[0]
    page.obj.TrimBox = pikepdf.Array([0, 0, width, height])
    page.obj.Contents = pdf.make_stream(b"0.2 0.4 0.6 rg 0 0 10 10 re f 1 0 0 RG 0 0 m 5 5 l S")
    return pdf


def test_marks_sit_outside_the_bleed_and_the_media_box_holds_them():
    pdf = _page()
    print_file.add_marks(pdf, pdf.pages[0], print_file._registration_colour(pdf))
    page = pdf.pages[0].obj
    mm = 72 / 25.4
    assert [float(v) for v in page.BleedBox] == pytest.approx([-3 * mm, -3 * mm, 200 + 3 * mm, 300 + 3 * mm])
    assert [float(v) for v in page.MediaBox] == pytest.approx([-13 * mm, -13 * mm, 200 + 13 * mm, 300 + 13 * mm])
    instructions = pikepdf.parse_content_stream(pdf.pages[0])
    start = next(n for n, i in enumerate(instructions) if list(i.operands) == [pikepdf.Name("/FirAll")])
    marks = instructions[start:]
    assert len([i for i in marks if str(i.operator) == "m"]) == 4 * 2 + 4 * 3  # 8 crop marks, 4 targets
    moves = [[float(v) for v in i.operands] for i in marks if str(i.operator) == "m"]
    inside = [
        (x, y)
        for x, y in moves
        if -3 * mm + 0.01 < x < 200 + 3 * mm - 0.01 and -3 * mm + 0.01 < y < 300 + 3 * mm - 0.01
    ]
    assert not inside  # every mark starts at or beyond the bleed's edge


def test_rgb_colour_becomes_icc_based_srgb_and_a_press_colour_cmyk():
    pdf = _page()
    srgb = pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(b"profile", N=3)]))
    assert print_file.make_press_colours(pdf, srgb, {(255, 0, 0): (0, 100, 100, 0)}) == 2
    operators = [(str(i.operator), [float(v) for v in i.operands] if str(i.operator) == "K" else list(i.operands))
                 for i in pikepdf.parse_content_stream(pdf.pages[0])]  # fmt: skip
    assert ("cs", [pikepdf.Name("/FirSRGB")]) in operators  # 0.2 0.4 0.6: no colour of the theme
    assert ("K", [0.0, 1.0, 1.0, 0.0]) in operators  # 1 0 0 RG: the press's red
    assert not [op for op, _ in operators if op in ("rg", "RG")]
    saved = io.BytesIO()
    pdf.save(saved)
    assert b"/DeviceRGB" not in saved.getvalue()


HTML = (
    '<html lang="fr"><head><title>t</title><link rel="stylesheet" href="brochure.css"></head><body>'
    '<section class="part-header"><p>Partie</p></section><p>Texte</p></body></html>'
)


def _bound(created: dt.datetime) -> bytes:
    from flows import paths
    from flows.edition.render.layout import lay_out_pages

    group = lay_out_pages(HTML, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], ())
    assert group.names == ("part-opener", "")  # the part opener's named page, then a plain one
    theme = Theme.from_brand("#00467f", "#d4006e")
    return print_file.bind([group], theme, paths.PRINT_PROFILE.read_bytes(), [paths.FONTS_DIR], created)


def test_the_brochures_pages_bound_for_the_press():
    """Two pages laid out as the brochure's (tagged): bound, two blank pages before the last one, the part
    opener's tint and band painted into the bleed, CMYK brand colours, no structure, PDF/X-4 metadata."""
    pdf = pikepdf.open(io.BytesIO(_bound(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))))
    assert len(pdf.pages) == 4
    for blank in pdf.pages[1:3]:  # nothing but the marks in the slug: strokes, no text, no fill
        assert {str(i.operator) for i in pikepdf.parse_content_stream(blank)} <= {
            "q",
            "Q",
            "CS",
            "SCN",
            "w",
            "m",
            "l",
            "c",
            "S",
        }
    first = pdf.pages[0]
    assert "/StructParents" not in first.obj and "/StructTreeRoot" not in pdf.Root and "/MarkInfo" not in pdf.Root
    operators = [(str(i.operator), [float(v) for v in i.operands]) for i in pikepdf.parse_content_stream(first)
                 if str(i.operator) in ("k", "re")]  # fmt: skip
    mm = 72 / 25.4
    bleed = [-3 * mm, -3 * mm, 595.28 + 6 * mm, 841.89 + 6 * mm]
    assert operators[:2] == [("k", [0.06, 0.04, 0.0, 0.02]), ("re", pytest.approx(bleed, abs=0.02))]
    band = [-3 * mm, -3 * mm, 12 * mm, 841.89 + 6 * mm]  # the band, from the edge of the bleed, one shape
    assert operators[-2:] == [("k", [0.96, 0.61, 0.0, 0.35]), ("re", pytest.approx(band, abs=0.02))]  # over it
    xmp = pdf.open_metadata()
    assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-4" and "pdfuaid:part" not in xmp
    assert str(pdf.trailer.Info.Trapped) == "/False"


def test_the_same_pages_laid_out_twice_bind_to_the_same_bytes():
    """WeasyPrint dates each group and gives it a random identifier: binding fixes both."""
    import time

    created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    files = []
    for _ in range(2):
        files.append(_bound(created))
        time.sleep(1.1)  # WeasyPrint's dates count seconds
    assert files[0] == files[1]

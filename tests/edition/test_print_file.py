"""The print file's pure parts: padding for saddle stitching, the print document, CMYK colours, marks."""

from __future__ import annotations

import io

import pikepdf
import pytest

from flows.edition.render import print_file
from flows.edition.render.paginate import MARKER, split
from flows.edition.theme import PrintColours, css_cmyk, process_colour, screen


@pytest.mark.parametrize(("pages", "blanks"), [(32, 0), (44, 0), (45, 3), (46, 2), (47, 1), (1, 3)])
def test_blank_pages_make_a_multiple_of_four(pages, blanks):
    assert print_file.blank_pages(pages) == blanks
    assert (pages + blanks) % 4 == 0


HTML = (
    "<html><head><style>x</style></head><body>"
    f"{MARKER}<section class='cover'>c</section>{MARKER}<section class='chiffres'>f</section>"
    "<section class='erratum'>e</section>"  # the erratum follows the last content, in its group
    f"{MARKER}<section class='back-cover'>b</section></body></html>"
)


def test_blank_pages_go_in_a_group_of_their_own_after_the_erratum_and_before_the_back_cover():
    document = print_file.print_html(HTML, "<style class='print'></style>", 3)
    _, groups, _ = split(document)
    assert [g.strip()[:22] for g in groups] == [
        "<section class='cover'",
        "<section class='chiffr",
        '<section class="blank-',
        "<section class='back-c",
    ]
    assert groups[2].count('class="blank-page"') == 3
    assert document.index("<style class='print'>") < document.index("</head>")


def test_no_blank_page_leaves_the_groups_as_they_are():
    assert split(print_file.print_html(HTML, "", 0))[1] == split(HTML)[1]


def test_the_brand_colours_are_given_in_cmyk_and_the_tints_are_screens_of_them():
    colours = PrintColours.from_brand("#00467f", "#d4006e")
    assert colours.primary == (96, 61, 0, 35) and colours.accent == (0, 98, 11, 10)
    assert colours.tint_light == (6, 4, 0, 2)  # 6,2 % of each ink: close to the screen's #eff3f7
    assert colours.ink == (0, 0, 0, 100)  # text in black ink alone
    assert css_cmyk(colours.primary) == "device-cmyk(0.96 0.61 0 0.35)"


def test_a_brand_colour_not_in_the_table_gets_a_plain_conversion():
    assert process_colour("#ffffff") == (0, 0, 0, 0)
    assert process_colour("#000000") == (0, 0, 0, 100)
    assert process_colour("#ff0000") == (0, 100, 100, 0)
    assert screen((100, 50, 0, 20), 0.5) == (50, 25, 0, 10)


def test_the_stylesheet_sets_bleed_cmyk_colours_and_page_backgrounds():
    style = print_file.stylesheet(PrintColours.from_brand("#00467f", "#d4006e"))
    assert "bleed: 3mm" in style
    assert "@page cover { background: device-cmyk(0.96 0.61 0 0.35); }" in style
    assert "--ink: device-cmyk(0 0 0 1)" in style
    assert "#" not in style.replace("#555", "").replace("#444", "").replace("#333", "")  # no RGB colour


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


def test_rgb_colour_becomes_icc_based_srgb():
    pdf = _page()
    srgb = pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(b"profile", N=3)]))
    assert print_file.make_rgb_icc_based(pdf, srgb) == 2
    operators = [(str(i.operator), list(i.operands)) for i in pikepdf.parse_content_stream(pdf.pages[0])]
    assert ("cs", [pikepdf.Name("/FirSRGB")]) in operators and ("CS", [pikepdf.Name("/FirSRGB")]) in operators
    assert not [op for op, _ in operators if op in ("rg", "RG")]
    saved = io.BytesIO()
    pdf.save(saved)
    assert b"/DeviceRGB" not in saved.getvalue()


def test_the_same_pages_laid_out_twice_bind_to_the_same_bytes():
    """WeasyPrint dates each PDF/X group and gives it a random identifier: binding fixes both."""
    import datetime as dt
    import time

    from flows import paths
    from flows.edition.render.layout import lay_out_pages

    style = print_file.stylesheet(PrintColours.from_brand("#00467f", "#d4006e"))
    document = print_file.print_html(f"<html><head></head><body>{MARKER}<p>Texte</p></body></html>", style, 1)
    _, groups, _ = split(document)
    html = f"<html><head>{style}</head><body>{groups[0]}</body></html>"
    created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    files = []
    for _ in range(2):
        group = lay_out_pages(html, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], (), print_file.PRINT_VARIANT)
        files.append(print_file.bind([group], paths.PRINT_PROFILE.read_bytes(), [paths.FONTS_DIR], created))
        time.sleep(1.1)  # WeasyPrint's dates count seconds
    assert files[0] == files[1]

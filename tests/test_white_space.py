"""No page of either brochure is more than 30 % blank (issue 23), read back from the published PDFs as images.

« Blank », precisely: each page is drawn at 50 dpi in grey levels and cropped to its content box (the page less
the margins of brochure.css's `@page`, so the running footer is left out). A row of pixels is inked when one of
its pixels is darker than 235 (paper is 255; the pale tint behind headline figures, ~242, counts as paper). The
blank share of a page is the height of its bands of un-inked rows at least 15 mm tall (about three lines of
text), over the content box's height: the space left under the last line, or a hole in the middle of the page.
The gaps between lines, paragraphs, headings, tables and charts are narrower and never count. A half-filled
second column does not count either: a row inked in one column is inked.

Exceptions, as the issue states them, found from the pages themselves rather than from page numbers:
- the designed pages — cover, part openers and back cover — whose background covers the whole sheet (a pixel
  of the margin is not paper); each one other than the first and the last is checked to be an opener by its
  text (« en actions », « en chiffres » or the title of one of the edition's parts);
- the last page of a part, before the next part's opener (the page just before an opener);
- the pages that pad the print file to a multiple of four exist in the print file only, not in the brochure
  read here.
The erratum of a corrected edition is not an exception: the corrected 2024 (tests/helpers.py's correction) is read
too, its erratum on the last page of content.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from flows import paths
from tests.conftest import REGION
from tests.helpers import fir_build, move_100_000_to_investments
from tests.portal_helpers import copy_outputs

DPI = 50
PX_PER_MM = DPI / 25.4
INK_BELOW = 235  # grey level: darker is ink
BAND_MM = 15  # an un-inked band at least this tall is blank space
MAX_BLANK = 0.30


def _page_margins_mm() -> tuple[float, float, float, float]:
    """The content pages' margins (top, right, bottom, left), as brochure.css's first `@page` rule sets them."""
    css = (paths.TEMPLATES_DIR / "brochure.css").read_text(encoding="utf-8")
    rule = re.search(r"@page\s*\{[^@}]*margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", css)
    assert rule, "brochure.css: la règle @page et ses marges en mm"
    top, right, bottom, left = (float(v) for v in rule.groups())
    return top, right, bottom, left


def blank_share(page: Image.Image, margins_mm: tuple[float, float, float, float]) -> float:
    """The share of the content box's height in un-inked bands at least BAND_MM tall (module docstring)."""
    grey = page.convert("L")
    top, right, bottom, left = (round(m * PX_PER_MM) for m in margins_mm)
    box = grey.crop((left, top, grey.width - right, grey.height - bottom))
    width, height = box.size
    pixels = box.load()
    inked = [any(pixels[x, y] < INK_BELOW for x in range(width)) for y in range(height)]
    band = BAND_MM * PX_PER_MM
    blank = run = 0
    for row_inked in [*inked, True]:  # the sentinel closes the band under the last line
        if row_inked:
            blank += run if run >= band else 0
            run = 0
        else:
            run += 1
    return blank / height


def _is_designed(page: Image.Image) -> bool:
    """Cover, opener or back cover: their background reaches the sheet's edge (3 mm in, half-way down)."""
    grey = page.convert("L")
    return grey.getpixel((round(3 * PX_PER_MM), grey.height // 2)) < 250


def _pages(pdf: Path) -> tuple[list[Image.Image], list[str]]:
    document = pdfium.PdfDocument(pdf)
    images = [document[i].render(scale=DPI / 72).to_pil() for i in range(len(document))]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return images, [" ".join(t.split()) for t in text.split("\f")[: len(images)]]


def _a4(lines_mm: list[tuple[float, float]]) -> Image.Image:
    """A white A4 page at DPI with black bars from y0 to y1 (mm from the top), as lines of text would be."""
    page = Image.new("RGB", (round(210 * PX_PER_MM), round(297 * PX_PER_MM)), "white")
    draw = ImageDraw.Draw(page)
    for y0, y1 in lines_mm:
        draw.rectangle(
            (round(30 * PX_PER_MM), round(y0 * PX_PER_MM), round(150 * PX_PER_MM), round(y1 * PX_PER_MM)), "black"
        )
    return page


def test_the_measure_counts_the_space_under_the_last_line_and_holes_but_not_line_gaps():
    margins = (20.0, 18.0, 22.0, 18.0)  # content box: 255 mm tall, from 20 to 275 mm
    full = [(y, y + 3) for y in range(20, 272, 5)]  # lines 3 mm tall every 5 mm, to the foot of the box
    assert blank_share(_a4(full), margins) == pytest.approx(0.0, abs=0.01)
    top_half = [(y, y + 3) for y in range(20, 146, 5)]  # text down to 148 mm: 127 mm blank under it
    assert blank_share(_a4(top_half), margins) == pytest.approx(127 / 255, abs=0.02)
    hole = [(20, 100), (160, 275)]  # a 60 mm hole mid-page
    assert blank_share(_a4(hole), margins) == pytest.approx(60 / 255, abs=0.02)
    paragraphs = [(y, y + 20) for y in range(20, 275, 32)]  # 12 mm between blocks: not blank space
    assert blank_share(_a4(paragraphs), margins) == pytest.approx(0.0, abs=0.01)
    assert blank_share(_a4([]), margins) == 1.0


@pytest.fixture(scope="module")
def corrected_2024(real_builds, tmp_path_factory) -> Path:
    """The session's published 2024, corrected (its revision 2 carries an erratum), in a copy of its outputs."""
    base = tmp_path_factory.mktemp("white-space-correction")
    outputs = copy_outputs(real_builds[2024][0].parents[2], base / "outputs")
    inputs = base / "inputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    move_100_000_to_investments(inputs)
    fir_build(2024, outputs, inputs, reason="correction de deux thématiques")
    return paths.brochure_path(outputs, REGION, 2024)


@pytest.mark.parametrize(("year", "corrected"), [(2018, False), (2024, False), (2024, True)])
def test_no_page_is_more_than_30_percent_blank_but_before_an_opener(real_builds, year, corrected, request):
    edition = request.getfixturevalue(f"edition_{year}")
    images, texts = _pages(request.getfixturevalue("corrected_2024") if corrected else real_builds[year][0])
    if corrected:  # the erratum shares the last page of content, before the back cover
        assert [i for i, text in enumerate(texts) if "Erratum — révision 2" in text] == [len(texts) - 2]
        assert len(texts) == len(pdfium.PdfDocument(real_builds[year][0]))  # no page added to the first edition's
    margins = _page_margins_mm()
    designed = [_is_designed(image) for image in images]
    assert designed[0] and designed[-1], "la couverture et la quatrième de couverture"
    assert edition.meta.agency in texts[-1]
    part_titles = [" ".join(t.split()) for t in edition.tables["parts"]["title"]]
    openers = set()
    for index in range(1, len(images) - 1):
        if designed[index]:
            text = texts[index]
            is_opener = re.search(r"\ben (actions|chiffres)\b", text, re.IGNORECASE) or any(
                title in text for title in part_titles
            )
            assert is_opener, f"page {index + 1} : fond pleine page sans être une ouverture de partie : {text[:80]}"
            openers.add(index)
    assert len(openers) == len(part_titles) + 2  # every part, « en actions » and « en chiffres »
    too_blank = {}
    for index, image in enumerate(images):
        if designed[index] or index + 1 in openers:
            continue  # cover, opener, back cover; the last page of a part before the next one's opener
        share = blank_share(image, margins)
        if share > MAX_BLANK:
            too_blank[index + 1] = f"{share:.0%} : {texts[index][:60]}"
    assert not too_blank, too_blank

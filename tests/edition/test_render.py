"""Templates render from a plain context; the PDF renderer only reads what it is allowed to."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess

from flows import paths
from flows.edition.ingest.logo import Logo
from flows.edition.render import layout as render
from tests.helpers import brochure_html, input_file


def _html(edition) -> str:
    return brochure_html(edition)


def test_brand_colours_and_logo_come_from_the_edition_metadata(edition_2024, tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    logo = Logo(input_file(path), "image/svg+xml")
    branded = dataclasses.replace(
        edition_2024, meta=dataclasses.replace(edition_2024.meta, primary="#2e7d32", logo=logo)
    )
    html = _html(branded)
    assert "--primary: #2e7d32" in html
    assert f'<img class="cover-logo" src="{logo.data_uri}"' in html


def test_text_is_escaped_by_the_templates(edition_2018):
    actions = edition_2018.tables["actions"]
    hostile = actions.with_columns(actions["title"].str.replace("^", "<script>x</script>"))
    edition = dataclasses.replace(edition_2018, tables={**edition_2018.tables, "actions": hostile})
    html = _html(edition)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_the_renderer_refuses_files_outside_the_allowed_folders(tmp_path):
    html = (
        '<html lang="fr"><head><title>t</title></head><body><p>x</p>'
        '<img src="file:///etc/passwd" alt="a"><img src="../../../etc/hostname" alt="b"></body></html>'
    )
    printed = render.print_document(
        html, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], [], dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    refused = [w for w in printed.warnings if "refusée" in w]
    assert len(refused) == 2, printed.warnings
    assert b"root:" not in printed.published


def test_page_groups_share_one_subset_per_font_holding_every_groups_glyphs():
    """Two groups set in Inter with different letters: bound, they use one font program per style,
    which draws the letters of both (text read back), and the PDF is smaller than with two subsets."""
    import io

    import pikepdf
    import uharfbuzz as hb

    from flows.edition.render import assemble, paginate

    html = (
        '<html lang="fr"><head><title>t</title><link rel="stylesheet" href="brochure.css"></head><body>'
        "<!--fir:pages--><p>Recettes 2024 : 303 543 407 €</p>"
        "<!--fir:pages--><p>Dépenses : 99,1 % — AZERTY wxyz</p></body></html>"
    )
    brochure = paginate.paginate(
        html, lambda d, s, _: render.lay_out_pages(d, paths.TEMPLATES_DIR, [paths.TEMPLATES_DIR], s)
    )
    separate = assemble.merge(brochure.groups)
    shared = assemble.merge(brochure.groups, [paths.FONTS_DIR])
    assert len(shared) < len(separate)
    with pikepdf.open(io.BytesIO(shared)) as pdf:
        fonts = [font for page in pdf.pages for font in page.Resources.Font.values()]
        programs = {font.DescendantFonts[0].FontDescriptor.FontFile3.objgen for font in fonts}
        assert len(fonts) == 2 and len(programs) == 1  # one style (Inter Regular) on two pages: one program
        shared_font = hb.Font(hb.Face(fonts[0].DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()))
    source = hb.Font(hb.Face((paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()))
    for letter in "RD9AZwxyz€":  # letters of one page or the other, drawn by the shared program
        glyph = source.get_nominal_glyph(ord(letter))
        assert shared_font.get_glyph_extents(glyph).width > 0, letter
    text = subprocess.run(["pdftotext", "-", "-"], input=shared, capture_output=True, check=True).stdout.decode()
    assert "Recettes 2024 : 303 543 407 €" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "AZERTY wxyz" in text

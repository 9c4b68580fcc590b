"""Templates render from a plain context; the PDF renderer only reads what it is allowed to."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re
import subprocess
from html.parser import HTMLParser

import pytest

from flows import paths
from flows.edition.charts import data as chart_data
from flows.edition.charts import draw, svg
from flows.edition.charts.data import DrawnChart
from flows.edition.ingest import snapshot as ingest
from flows.edition.ingest.logo import Logo
from flows.edition.prepare import prepare
from flows.edition.publish.record import Change, Revision
from flows.edition.render import context
from flows.edition.render import layout as render
from flows.edition.render.html import render_html
from flows.edition.theme import Theme
from tests.conftest import REGION
from tests.helpers import brochure_html, input_file


def _html(edition, revision: Revision | None = None) -> str:
    return brochure_html(edition, revision)


def test_the_sommaire_is_worded_by_the_template_from_the_brochures_own_structure(edition_2024):
    """Every entry leads to a heading of the brochure, in reading order; the erratum comes last."""
    revision = Revision(2, "correction", (Change("x", "x", "1", "2"),), 1)
    html = _html(edition_2024, revision)
    sommaire, body = html.split('<section class="sommaire">')[1].split("</section>", 1)
    entries = re.findall(r'<li class="toc-(\d)"><a href="#([^"]+)" data-page="@@page:\2@@">([^<]+)</a>', sommaire)
    anchors = [anchor for _, anchor, _ in entries]
    positions = [body.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions)
    assert entries[0] == ("1", "en-actions", "Le Fonds d&#39;intervention régional 2024… en actions")
    assert entries[1][2].startswith("Partie 1 – ")
    assert ("3", "recettes", "Les recettes 2024") in entries
    assert ("3", "thematiques", "Répartition du FIR 2024 par grandes thématiques de dépense") in entries
    assert entries[-1] == ("1", "erratum", "Erratum")


def test_brand_colours_and_logo_come_from_the_edition_metadata(edition_2024, tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    logo = Logo(input_file(path), "image/svg+xml")
    branded = dataclasses.replace(
        edition_2024, meta=dataclasses.replace(edition_2024.meta, primary="#2e7d32", logo=logo)
    )
    html = _html(branded)
    assert "--brand-primary: #2e7d32" in html
    assert f'<img class="cover-logo" src="{logo.data_uri}"' in html


def test_a_green_brand_gets_green_boxes_and_green_charts(edition_2024):
    """The 2024 brochure, charts included, with a green primary: no colour of the blue brand is left in the
    page, its charts or the stylesheet, which hard-codes no colour but greys."""
    green = "#2e7d32"
    edition = dataclasses.replace(edition_2024, meta=dataclasses.replace(edition_2024.meta, primary=green))
    snapshot = dataclasses.replace(ingest.read_snapshot(paths.INPUTS_DIR, REGION, edition.meta.year), edition=edition)
    prepared = prepare(snapshot)
    svg.register_fonts(paths.FONTS_DIR)
    drawn = {}
    for key, data in chart_data.chart_data(prepared.figures):
        chart = draw.build(key, data, green)
        uri = svg.svg_data_uri(svg.chart_svg(chart))
        drawn[key] = DrawnChart(key, chart.alt, chart.width_cm, uri)
    assert "history" in drawn  # the chart with three series, the third in the mid tint
    html = render_html(context.build_context(edition, prepared, drawn), paths.TEMPLATES_DIR)
    svgs = [base64.b64decode(uri).decode() for uri in re.findall(r"data:image/svg\+xml;base64,([^\"]+)", html)]
    css = (paths.TEMPLATES_DIR / "brochure.css").read_text(encoding="utf-8")
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", "\n".join([html, *svgs]))}

    blue = Theme.from_brand("#00467f", edition.meta.accent)
    blue_colours = {blue.primary, blue.tint_light, blue.tint_border, blue.chart.light, blue.chart.mid}
    hand_picked = {"#eef3f8", "#c9d6e4", "#b9c9dc", "#6f8fb3"}  # the blue tints before they were derived
    assert not used & (blue_colours | hand_picked)
    theme = Theme.from_brand(green, edition.meta.accent)
    assert f"--tint-light: {theme.tint_light}; --tint-border: {theme.tint_border};" in html
    assert {theme.chart.primary, theme.chart.light, theme.chart.mid} <= used
    for colour in re.findall(r"#([0-9a-fA-F]{3,8})\b", css):
        rgb = colour[:6] if len(colour) >= 6 else "".join(c * 2 for c in colour)
        assert len(set(re.findall("..", rgb))) == 1, f"#{colour} in brochure.css: a colour of the theme?"


def test_text_is_escaped_by_the_templates(edition_2018):
    actions = edition_2018.tables["actions"]
    hostile = actions.with_columns(actions["title"].str.replace("^", "<script>x</script>"))
    edition = dataclasses.replace(edition_2018, tables={**edition_2018.tables, "actions": hostile})
    html = _html(edition)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


class _RecasedText(HTMLParser):
    """The text of the elements whose class the stylesheet re-cases, outside the `keep-case` spans."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, classes: set[str]) -> None:
        super().__init__()
        self.classes = classes
        self.open: list[tuple[str, set[str]]] = []  # the elements the parser is inside: tag, classes
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:  # a void element holds no text and has no end tag
            self.open.append((tag, set((dict(attrs).get("class") or "").split())))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass  # `<br />`: no text inside

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        classes = [c for _, c in self.open]
        if any(c & self.classes for c in classes) and not any("keep-case" in c for c in classes):
            self.texts.append(data)


@pytest.mark.parametrize("year", [2018, 2024])
def test_no_unit_is_left_to_the_stylesheets_recasing(year):
    """Every value printed in an element whose case brochure.css changes keeps its units out of it
    (`208 k€`, never `208 K€`): through the templates' `keep_case` filter."""
    css = (paths.TEMPLATES_DIR / "brochure.css").read_text(encoding="utf-8")
    classes = {
        name
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
        if re.search(r"text-transform:\s*(?!none)", body)
        for name in re.findall(r"\.([\w-]+)", selectors)
    }
    assert {"thematic-title", "section-title", "key-label"} <= classes
    parser = _RecasedText(classes)
    parser.feed(_html(ingest.read_edition(paths.INPUTS_DIR, REGION, year)))
    assert parser.texts  # the check saw the upper-cased headings
    assert not [t for t in parser.texts if re.search(r"[kM]€", t)]


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


@pytest.mark.parametrize(
    ("year", "captions"),
    [
        (2018, ["Recettes aux étapes budgétaires", "Dépenses par mission (AE et CP)"]),
        (
            2024,
            [
                "Répartition par grande thématique",
                "Répartition du FIR 2024 hors investissements et permanence des soins",  # edition.toml's title
                "Recettes et dépenses du FIR, éditions 2018 à 2024",
            ],
        ),
    ],
)
def test_chart_captions_are_worded_by_the_templates(year, captions):
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, year)
    prepared = prepare(snapshot)
    charts = {
        key: DrawnChart(key, "alt", 16, f"data:image/svg+xml;base64,{key}")
        for key, _ in chart_data.chart_data(prepared.figures)
    }
    html = render_html(context.build_context(snapshot.edition, prepared, charts), paths.TEMPLATES_DIR)
    assert re.findall(r"<figcaption>([^<]*)</figcaption>", html) == [c.replace("'", "&#39;") for c in captions]

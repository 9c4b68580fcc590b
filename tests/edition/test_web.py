"""The web edition's pure parts: the charts' data tables, its address's setting, the
page rendered from the brochure's own context (no browser, no Prefect; tests/test_web_edition.py builds both
real editions and checks them in Chromium; tests/edition/test_address.py: which addresses may be printed)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from flows import paths
from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.ingest.snapshot import Snapshot
from flows.edition.prepare import prepare
from flows.edition.publish.record import Change, Revision
from flows.edition.render import web
from flows.edition.render.chart_tables import chart_tables
from flows.edition.render.context import build_context
from flows.edition.render.html import render_html
from tests.conftest import REGION

NNBSP, NBSP = "\u202f", "\u00a0"


def test_each_chart_has_the_table_of_the_data_it_is_drawn_from(edition_2018, edition_2024):
    tables_2018 = chart_tables(prepare(Snapshot(edition_2018)).figures, "€")
    assert list(tables_2018) == ["revenue-stages", "missions"]
    missions = tables_2018["missions"]
    assert missions["headers"] == ["Mission", "AE", "Part des AE", "CP", "Part des CP"]
    assert missions["rows"][0][:3] == [
        "Mission 1 – Promotion de la santé et prévention",
        f"45{NNBSP}022{NNBSP}026{NBSP}€",
        f"14,8{NBSP}%",
    ]
    stages = tables_2018["revenue-stages"]["rows"]
    assert stages[0][:2] == ["Recettes 2017", f"300{NNBSP}068{NNBSP}674{NBSP}€"]
    assert stages[-1] == [
        "Recettes 2018",
        f"305{NNBSP}600{NNBSP}382{NBSP}€",
        f"+1{NNBSP}546{NNBSP}812{NBSP}€",
        f"+0,51{NBSP}%",
    ]

    tables_2024 = chart_tables(prepare(Snapshot(edition_2024)).figures, "€")
    thematics = tables_2024["thematics"]["rows"]
    assert len(thematics) == 25
    assert thematics[0] == ["Investissements en ES et ESMS", f"153{NNBSP}285{NNBSP}611{NBSP}€", f"28,5{NBSP}%"]
    subset = tables_2024["thematic-subset"]["rows"]  # shares of the subset, not of the whole
    assert subset[0][0].startswith("Accès aux soins des personnes") and subset[0][2] == f"15,2{NBSP}%"


def test_the_history_table_gives_every_edition_in_one_unit():
    """2018 published to the euro, 2024 to 0,1 M€: each column in M€ to one decimal, as the brochure's table."""
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, 2024)
    history = chart_tables(prepare(snapshot).figures, "€")["history"]
    assert history["headers"] == ["Édition", "Recettes", "AE exécutées", "CP exécutés"]
    assert [row[0] for row in history["rows"]] == ["2018", "2024"]
    assert history["rows"][0][1:] == [f"305,6{NBSP}M€", f"303,5{NBSP}M€", f"306,6{NBSP}M€"]
    assert history["rows"][1][1] == f"522,2{NBSP}M€"


def test_edition_toml_may_name_the_web_address_and_a_wrong_one_is_located(inputs_copy):
    path = inputs_copy / REGION / "2024" / "edition.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + '\n[publication]\nweb_url = "https://www.ars.example/fir-2024/"\n', encoding="utf-8")
    assert ingest.read_edition(inputs_copy, REGION, 2024).meta.web_url == "https://www.ars.example/fir-2024/"
    path.write_text(text + '\n[publication]\nweb_url = "www.ars.example"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"colonne « publication\.web_url » : valeur « www\.ars\.example » — attendu"):
        ingest.read_edition(inputs_copy, REGION, 2024)


def _web_page(edition, revision: Revision | None = None) -> str:
    prepared = prepare(Snapshot(edition))
    context = build_context(edition, prepared, {}, revision or Revision(1, ""), "https://fir.example/web/")
    return web.render_web(context, chart_tables(prepared.figures, "€"), "fir.pdf", paths.TEMPLATES_DIR)


def test_the_web_page_is_the_brochures_text_with_its_own_frame(edition_2024):
    page = _web_page(edition_2024)
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert page.count("<h1") == 1 and page.count("<main") == 1
    skip = re.search(r'<body>\s*(?:<!--.*?-->\s*)*<a class="skip-link" href="#([^"]+)"', page, re.DOTALL)
    assert skip and f'<main id="{skip.group(1)}"' in page
    assert '<link rel="stylesheet"' not in page and "@@page" not in page  # self-contained, no page numbers
    assert page.count('href="../fir.pdf"') == 2
    # the brochure's sections, word for word: every anchor of the PDF's HTML is in the page
    brochure = render_html(build_context(edition_2024, prepare(Snapshot(edition_2024)), {}), paths.TEMPLATES_DIR)
    assert set(re.findall(r' id="([^"]+)"', brochure)) <= set(re.findall(r' id="([^"]+)"', page))
    toc = page.split('<nav class="web-toc"')[1].split("</nav>")[0]
    assert all(f' id="{target}"' in page for target in re.findall(r'href="#([^"]+)"', toc))
    # every table block scrolls on a phone: a named region reachable by keyboard
    blocks = re.findall(r'<div class="table-block"[^>]*>', page)
    assert blocks and all('role="region" tabindex="0" aria-label="Tableau : ' in b for b in blocks)


def test_the_erratum_links_each_changed_figure_instead_of_giving_its_page(edition_2024):
    revision = Revision(2, "correction", (Change("thematics.cancer", "Parcours Cancer", "1", "2"),), 1)
    page = _web_page(edition_2024, revision)
    erratum = page.split('id="erratum"')[1]
    targets = re.findall(r'<a href="#([^"]+)"', erratum)
    assert "@@pages" not in erratum and targets and all(f' id="{target}"' in page for target in targets)


def test_only_the_pages_own_styles_are_allowed():
    page = "<style>a { color: red; }</style><p>x</p><style>p{}</style>"
    digests = [base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() for css in ("a { color: red; }", "p{}")]
    assert web.style_hashes(page) == [f"'sha256-{digest}'" for digest in digests]


def test_each_chart_carries_the_glyphs_of_its_labels_so_browsers_draw_it_as_printed(edition_2018):
    from flows.edition.render import chart_fonts
    from tests.helpers import draw_charts

    chart = draw_charts(edition_2018, prepare(Snapshot(edition_2018)).figures)["missions"]
    font = (paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()
    src = chart_fonts.with_font(chart.src, font)
    assert src == chart_fonts.with_font(chart.src, font)  # same chart, same bytes
    svg = base64.b64decode(src.removeprefix(chart_fonts.SVG_URI)).decode()
    original = base64.b64decode(chart.src.removeprefix(chart_fonts.SVG_URI)).decode()
    assert svg.replace(re.search(r"<style>@font-face.*?</style>", svg).group(0), "") == original  # the same drawing
    assert {"M", "€", "5", ","} <= chart_fonts.chart_characters(original)
    embedded = base64.b64decode(re.search(r"font/otf;base64,([A-Za-z0-9+/=]+)", svg).group(1))
    assert 1_000 < len(embedded) < len(font) / 10


def _texts(svg: str) -> list[tuple[float, float, str]]:
    """(x, font size, text) of each label of a drawing."""
    import html

    found = re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="([\d.]+)"[^>]*>(.*?)</text>', svg)
    return [(float(x), float(size), html.unescape(text)) for x, size, text in found]


@pytest.mark.parametrize("year", [2018, 2024])
def test_each_chart_has_a_phone_drawing_with_every_bar_label_and_value_inside_it(year):
    from flows.edition.charts.data import chart_data
    from flows.edition.render import phone_charts
    from flows.edition.theme import ChartPalette

    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, year)
    figures = prepare(snapshot).figures
    font = (paths.FONTS_DIR / "Inter-Regular.otf").read_bytes()
    measure = phone_charts.Measure(font)
    palette = ChartPalette.from_primary(snapshot.edition.meta.primary)
    tables = chart_tables(figures, "€")
    drawn = {}
    for key, data in chart_data(figures):
        chart = phone_charts.phone_chart(key, data, palette)
        svg = phone_charts.phone_svg(chart, palette, font)
        assert svg.startswith(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {phone_charts.WIDTH} ')
        texts = _texts(svg)
        for x, size, text in texts:  # nothing runs past the drawing's right edge, nothing starts left of it
            assert x >= 0 and x + measure.width(text, size) <= phone_charts.WIDTH, (key, text)
        widths = [float(w) for w in re.findall(r'<rect x="0.5" y="[\d.]+" width="([\d.]+)"', svg)]
        assert (
            len(widths)
            == sum(len(group.bars) for group in chart.groups)
            == len(tables[key]["rows"]) * (2 if key == "missions" else 3 if key == "history" else 1)
        )
        assert max(widths) < phone_charts.WIDTH
        shown = " ".join(text for _, _, text in texts)
        for row in tables[key]["rows"]:  # every label of the chart's data table, whole
            assert all(word in shown.split() for word in row[0].split()), (key, row[0])
        drawn[key] = [text for _, _, text in texts]
    if year == 2018:
        assert drawn["revenue-stages"][:2] == ["Recettes 2017", f"300,1{NBSP}M€"]
        assert "AE 45,0" in drawn["missions"] and "Montants en millions d'euros" in drawn["missions"]
    else:
        assert f"153,3{NBSP}M€ · 28,5{NBSP}%" in drawn["thematics"]
        assert f"208{NBSP}k€ · 0,04{NBSP}%" in drawn["thematics"]


def test_each_figure_of_a_table_carries_its_columns_name_for_the_phones_cards(edition_2018):
    page = _web_page(edition_2018)
    missions = page.split('<table class="figures missions">')[1].split("</table>")[0]
    first = re.findall(r"<tr\b.*?</tr>", missions.split("<tbody>")[1], re.DOTALL)[0]
    assert re.findall(r'<td class="num" data-label="([^"]+)">', first) == ["AE", "Part", "CP", "Part"]
    changes = (
        '<table class="figures history-changes"><thead><tr><th scope="col"></th><th scope="col">Période</th></tr>'
        '</thead><tbody><tr><th scope="row">Recettes</th><td>2018 → 2024</td></tr></tbody></table>'
    )
    named = web.labelled_cells(web.named_headers(changes))
    assert '<th scope="col"><span class="visually-hidden">Indicateur</span></th>' in named
    assert '<td data-label="Période">2018 → 2024</td>' in named


def test_a_sections_key_figures_are_a_note_not_a_landmark_inside_the_main_one(edition_2018):
    """An <aside> is a complementary landmark, out of place inside <main>: each one of the page is a note."""
    page = _web_page(edition_2018)
    asides = re.findall(r"<aside\b[^>]*>", page)
    assert len(asides) >= 6 and set(asides) == {'<aside class="key-figures" role="note">'}
    assert web.noted_asides('<aside role="region" aria-label="x">') == '<aside role="region" aria-label="x">'


def test_the_brand_colours_are_darkened_for_text_only(edition_2018):
    """Text and what white text sits on: the agency's magenta darkened to #a20053 (7.9:1 on white, 7.1:1 on
    the light tint); rules and bars keep the brand's own #d4006e."""
    page = _web_page(edition_2018)
    assert "--accent-text: #a20053;" in page and "--link: #00467f;" in page and "--brand-accent: #d4006e;" in page
    assert "border-top: 3px solid var(--brand-accent)" in page


def test_what_the_web_layer_adds_for_phones_never_reaches_the_printed_brochure():
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, 2024)
    prepared = prepare(snapshot)
    context = build_context(snapshot.edition, prepared, {})
    brochure = render_html(context, paths.TEMPLATES_DIR)
    page = web.render_web(context, chart_tables(prepared.figures, "€"), "fir.pdf", paths.TEMPLATES_DIR, {"x": "y"})
    assert "data-label" in page and '<span class="visually-hidden">Indicateur</span>' in page
    assert '<aside class="key-figures" role="note">' in page and '<aside class="key-figures">' in brochure
    assert render_html(context, paths.TEMPLATES_DIR) == brochure  # the same bytes after the web page
    assert 'role="note"' not in brochure and "--accent-text" not in brochure
    assert "data-label" not in brochure and "<picture" not in brochure and "visually-hidden" not in brochure
    assert '<table class="figures history-changes">' in brochure and '<th scope="col"></th>' in brochure

"""The web edition's pure parts: the charts' data tables, readable brand colours, its address's setting, the
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


@pytest.mark.parametrize(
    ("brand", "background"),
    [("#00467f", "#eff3f7"), ("#d4006e", "#ffffff"), ("#7fd4ff", "#ffffff"), ("#ffcc00", "#f5f5f5")],
)
def test_brand_colours_used_as_text_reach_wcag_aa(brand, background):
    colour = web.readable(brand, background)
    assert web.contrast(colour, background) >= 4.5 and web.contrast(colour, "#ffffff") >= 4.5
    if web.contrast(brand, background) >= 4.5 and web.contrast(brand, "#ffffff") >= 4.5:
        assert colour == brand  # a brand that already reads is kept as it is


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

"""The dictionary the templates render from, built from the real editions: order, anchors and French figures.

French formats: a narrow no-break space (U+202F) between thousands, a no-break space (U+00A0) before
€, M€, k€ and %.
"""

from __future__ import annotations

import re

import pytest

from flows import paths
from flows.edition.charts.data import DrawnChart
from flows.edition.ingest import snapshot as ingest
from flows.edition.prepare import prepare
from flows.edition.publish.record import Change, Revision
from flows.edition.render import context
from flows.edition.render.sections import Context
from tests.conftest import REGION

NNBSP, NBSP = "\u202f", "\u00a0"


def _context(edition: ingest.Edition, charts: dict | None = None, revision: Revision | None = None) -> Context:
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, edition.meta.year)
    return context.build_context(edition, prepare(snapshot), charts or {}, revision)


@pytest.fixture(scope="module")
def context_2024(edition_2024) -> Context:
    return _context(edition_2024)


@pytest.fixture(scope="module")
def context_2018(edition_2018) -> Context:
    return _context(edition_2018)


def _fr(text: str) -> str:
    """Figures written `538_736_879 €` in the tests: `_` between thousands, a plain space before the unit."""
    return re.sub(r" (?=(?:€|k€|M€|%))", NBSP, text.replace("_", NNBSP))


# --- structure --------------------------------------------------------------------------------------------
# (the sommaire's wording is the template's: see test_render.py)


def test_the_2024_parts_and_sections_come_in_reading_order(context_2024, edition_2024):
    parts = context_2024["parts"]
    assert [p["number"] for p in parts] == sorted(edition_2024.tables["parts"]["number"].to_list())
    assert parts[0]["anchor"] == "partie-territoires-prioritaires"
    assert parts[0]["title"] == "Une action renforcée au bénéfice de territoires prioritaires"
    assert parts[0]["sections"][0]["anchor"] == "p1-bassin-minier"
    sections = edition_2024.tables["actions"].filter(edition_2024.tables["actions"]["parent_id"].is_null())
    assert sum(len(p["sections"]) for p in parts) == sections.height
    assert [s["anchor"] for s in context_2024["chiffres"]["sections"]] == [
        "recettes",
        "depenses",
        "thematiques",
        "evolution",
    ]


# --- figures in French ------------------------------------------------------------------------------------


def test_the_2024_thematic_table_is_formatted_in_french(context_2024):
    thematics = context_2024["chiffres"]["thematics"]
    assert thematics["total"] == _fr("538_736_879 €")  # the published total, kept (lines add up to 882 €)
    assert thematics["total_share"] == _fr("100,0 %") and thematics["top2_share"] == _fr("49,9 %")
    assert thematics["top2"] == [  # as they read inside the sentence that names them
        "investissements en ES et ESMS",
        "permanence des soins et accès aux soins non programmés",
    ]
    first, last = thematics["rows"][0], thematics["rows"][-1]
    assert (first["label"], first["amount"], first["share"], first["headline"]) == (
        "Investissements en ES et ESMS",
        _fr("153_285_611 €"),
        _fr("28,5 %"),
        _fr("153,3 M€"),
    )
    assert (last["label"], last["amount"], last["share"], last["headline"]) == (
        "Démocratie sanitaire",
        _fr("208_058 €"),
        _fr("0,04 %"),  # two decimals under 0,1 %
        _fr("208 k€"),
    )
    assert len(thematics["rows"]) == 25
    assert any(_fr("538_736_882 €") in note for note in thematics["notes"])  # the gap, told to readers


def test_a_thematics_in_sentence_form_is_printed_in_the_sentence(inputs_copy):
    """Without `label_in_sentence` a label is set in the sentence as typed but for its first letter; with
    it, the form typed there."""
    path = inputs_copy / REGION / "2024" / "thematics.csv"
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    rows = [header.replace(";label;", ";label;label_in_sentence;")]
    for line in lines:
        cells = line.split(";")
        cells.insert(3, "Investissements en ES et ESMS" if cells[0] == "investissements" else "")
        rows.append(";".join(cells))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    snapshot = ingest.read_snapshot(inputs_copy, REGION, 2024)
    thematics = context.build_context(snapshot.edition, prepare(snapshot), {})["chiffres"]["thematics"]
    assert thematics["top2"] == [
        "Investissements en ES et ESMS",  # typed so in label_in_sentence
        "permanence des soins et accès aux soins non programmés",  # left empty: the label, first letter lowered
    ]
    assert thematics["rows"][0]["label"] == "Investissements en ES et ESMS"


def test_a_thematic_text_prints_the_tables_figures(context_2024):
    investments = context_2024["chiffres"]["thematics"]["rows"][0]
    assert _fr("Avec 153_285_611 €, soit 28,5 % des crédits de paiement") in investments["html"]


def test_the_2018_revenue_and_spending_figures(context_2018):
    revenue = context_2018["chiffres"]["revenue"]
    assert revenue["total"] == _fr("305_600_382 €") and revenue["previous_total"] == _fr("300_068_674 €")
    assert revenue["growth_pct"] == _fr("+1,84 %") and revenue["growth_abs"] == _fr("+5_531_708 €")
    spending = context_2018["chiffres"]["spending"]
    assert [(e["budget"], e["executed"], e["rate"]) for e in spending["execution"]] == [
        ("AE", _fr("303_543_407 €"), _fr("99,1 %")),
        ("CP", _fr("306_620_703 €"), _fr("99,5 %")),
    ]
    mission_2 = next(r for r in spending["missions"]["rows"] if r["mission"] == 2)
    assert (mission_2["ae"], mission_2["ae_share"], mission_2["cp"], mission_2["cp_share"]) == (
        _fr("75_670_273 €"),
        _fr("24,9 %"),
        _fr("79_854_978 €"),
        _fr("26,0 %"),
    )
    assert context_2018["chiffres"]["thematics"] is None and context_2018["chiffres"]["history"] is None


def test_the_2024_history_compares_with_2018(context_2024):
    history = context_2024["chiffres"]["history"]
    assert [r["year"] for r in history["rows"]] == [2018, 2024]
    # one unit per column: 2018's figures, published to the euro, at 2024's precision (522,2 M€ kept as printed)
    assert [(r["revenue"], r["ae"], r["cp"]) for r in history["rows"]] == [
        (_fr("305,6 M€"), _fr("303,5 M€"), _fr("306,6 M€")),
        (_fr("522,2 M€"), _fr("536,9 M€"), _fr("538,7 M€")),
    ]
    revenue = next(c for c in history["changes"] if c["measure"] == "revenue")
    assert revenue == {
        "measure": "revenue",
        "from_year": 2018,
        "to_year": 2024,
        "from": _fr("305,6 M€"),  # published to the euro in 2018, shown in the column's unit (issue 23)
        "to": _fr("522,2 M€"),
        "delta": _fr("+216,6 M€"),
        "pct": _fr("+70,9 %"),
    }


def test_charts_are_placed_where_their_section_shows_them(edition_2024):
    charts = {key: DrawnChart(key, "alt", 16, f"data:{key}") for key in ("thematics", "thematic-subset", "history")}
    chiffres = _context(edition_2024, charts)["chiffres"]
    assert chiffres["thematics"]["chart"] == charts["thematics"]
    assert chiffres["thematics"]["subset_chart"] == charts["thematic-subset"]
    assert chiffres["history"]["chart"] == charts["history"]
    assert chiffres["revenue"]["chart"] is None


# --- revision ---------------------------------------------------------------------------------------------


def test_a_first_publication_is_revision_1_without_erratum(context_2024):
    assert context_2024["revision"] == Revision(1, "")
    assert not context_2024["revision"].erratum


def test_the_revision_given_is_the_revision_printed(edition_2024):
    revision = Revision(2, "correction", (Change("thematics.total", "Total", "1 €", "2 €"),), 1)
    assert _context(edition_2024, revision=revision)["revision"] is revision


def test_variances_of_amounts_in_millions_are_in_millions(inputs_copy):
    """A revenue table in M€ with last year's total and a budget stage (as a 2025 edition made from 2024 has):
    the change over the year and each stage's change read in M€ beside the M€ amounts, never `+15 700 000 €`."""
    path = inputs_copy / REGION / "2024" / "revenue.csv"
    path.write_text(
        "line_id;kind;label;reference;unit;previous_year;br1;final\n"
        "delegations-nationales;line;Délégations nationales (arrêtés);;M€;;510;517,1\n"
        "titres-de-recettes;line;Titres de recettes recouvrés par l'agent comptable;;M€;;5,1;5,1\n"
        "total;total;Total des recettes;;M€;506,5;515,1;522,2\n",
        encoding="utf-8",
    )
    snapshot = ingest.read_snapshot(inputs_copy, REGION, 2024)
    revenue = context.build_context(snapshot.edition, prepare(snapshot), {})["chiffres"]["revenue"]
    assert (revenue["growth_pct"], revenue["growth_abs"]) == (_fr("+3,10 %"), _fr("+15,7 M€"))
    assert [(v["amount"], v["delta"]) for v in revenue["variances"]] == [
        (_fr("506,5 M€"), ""),
        (_fr("515,1 M€"), _fr("+8,6 M€")),
        (_fr("522,2 M€"), _fr("+7,1 M€")),
    ]

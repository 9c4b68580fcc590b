"""The dictionary the templates render from, built from the real editions: order, anchors and French figures.

French formats: a narrow no-break space (U+202F) between thousands, a no-break space (U+00A0) before
€, M€, k€ and %.
"""

from __future__ import annotations

import re

import pytest

from flows import paths
from flows.edition import compute, context, ingest, reconcile
from tests.conftest import REGION

NNBSP, NBSP = "\u202f", "\u00a0"


def _context(edition: ingest.Edition, charts: dict | None = None, revision: dict | None = None) -> dict:
    earlier, _ = ingest.read_other_editions(paths.INPUTS_DIR, REGION, edition.meta.year)
    figures = compute.compute_figures(
        edition.tables, edition.meta.year, edition.missions_ref, edition.meta.subset_exclude, earlier
    )
    return context.build_context(edition, figures, reconcile.validate(edition), charts or {}, revision)


@pytest.fixture(scope="module")
def context_2024(edition_2024) -> dict:
    return _context(edition_2024)


@pytest.fixture(scope="module")
def context_2018(edition_2018) -> dict:
    return _context(edition_2018)


def _fr(text: str) -> str:
    """Figures written `538_736_879 €` in the tests: `_` between thousands, a plain space before the unit."""
    return re.sub(r" (?=(?:€|k€|M€|%))", NBSP, text.replace("_", NNBSP))


# --- sommaire ---------------------------------------------------------------------------------------------


def test_the_2024_sommaire_lists_parts_sections_and_figures_in_reading_order(context_2024, edition_2024):
    sommaire = context_2024["sommaire"]
    parts = edition_2024.tables["parts"]
    sections = edition_2024.tables["actions"].filter(edition_2024.tables["actions"]["parent_id"].is_null())
    assert len(sommaire) == 2 + parts.height + sections.height + 4 == 25
    assert sommaire[0] == {
        "href": "#en-actions",
        "title": "Le Fonds d'intervention régional 2024… en actions",
        "level": 1,
    }
    assert sommaire[1] == {
        "href": "#partie-territoires-prioritaires",
        "title": "Partie 1 – Une action renforcée au bénéfice de territoires prioritaires",
        "level": 2,
    }
    assert sommaire[2]["href"] == "#p1-bassin-minier" and sommaire[2]["level"] == 3
    assert [e["title"] for e in sommaire if e["level"] == 2] == [
        f"Partie {r['number']} – {r['title']}" for r in parts.sort("number").iter_rows(named=True)
    ]
    assert sommaire[-5:] == [
        {"href": "#en-chiffres", "title": "Le Fonds d'intervention régional 2024… en chiffres", "level": 1},
        {"href": "#recettes", "title": "Les recettes 2024", "level": 3},
        {"href": "#depenses", "title": "Les dépenses 2024", "level": 3},
        {"href": "#thematiques", "title": "Répartition du FIR 2024 par grandes thématiques de dépense", "level": 3},
        {"href": "#evolution", "title": "Le FIR de 2018 à 2024", "level": 3},
    ]


def test_every_sommaire_entry_points_at_an_anchor_of_the_context(context_2024):
    anchors = {"en-actions", "en-chiffres"}
    for part in context_2024["parts"]:
        anchors |= {part["anchor"], *(s["anchor"] for s in part["sections"])}
    anchors |= {s["anchor"] for s in context_2024["chiffres"]["sections"]}
    hrefs = [entry["href"] for entry in context_2024["sommaire"]]
    assert len(set(hrefs)) == len(hrefs)
    assert {href.removeprefix("#") for href in hrefs} == anchors


# --- figures in French ------------------------------------------------------------------------------------


def test_the_2024_thematic_table_is_formatted_in_french(context_2024):
    thematics = context_2024["chiffres"]["thematics"]
    assert thematics["total"] == _fr("538_736_879 €")  # the published total, kept (lines add up to 882 €)
    assert thematics["total_share"] == _fr("100,0 %") and thematics["top2_share"] == _fr("49,9 %")
    assert thematics["top2"] == [
        "Investissements en ES et ESMS",
        "Permanence des soins et accès aux soins non programmés",
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
    revenue = next(c for c in history["changes"] if c["label"] == "Recettes")
    assert revenue == {
        "label": "Recettes",
        "period": "2018 → 2024",
        "from": _fr("305_600_382 €"),
        "to": _fr("522,2 M€"),
        "delta": _fr("+216,6 M€"),
        "pct": _fr("+70,9 %"),
    }


def test_charts_are_placed_where_their_section_shows_them(edition_2024):
    charts = {key: {"key": key, "src": f"data:{key}"} for key in ("thematics", "thematic-subset", "history")}
    chiffres = _context(edition_2024, charts)["chiffres"]
    assert chiffres["thematics"]["chart"] == charts["thematics"]
    assert chiffres["thematics"]["subset_chart"] == charts["thematic-subset"]
    assert chiffres["history"]["chart"] == charts["history"]
    assert chiffres["revenue"]["chart"] is None


# --- revision and erratum ---------------------------------------------------------------------------------


def test_without_an_erratum_the_sommaire_has_no_erratum_entry(edition_2024, context_2024):
    assert "#erratum" not in [e["href"] for e in context_2024["sommaire"]]
    assert context_2024["revision"] == {"number": 1, "reason": "", "erratum": [], "previous": None}
    unchanged = {"number": 2, "reason": "mise en page", "erratum": [], "previous": 1}
    assert _context(edition_2024, revision=unchanged)["sommaire"] == context_2024["sommaire"]


def test_an_erratum_adds_one_last_entry_and_leaves_the_others_as_they_were(edition_2024, context_2024):
    revision = {
        "number": 2,
        "reason": "correction",
        "erratum": [{"figure": "thematics.total", "label": "Total", "old": "1 €", "new": "2 €"}],
        "previous": 1,
    }
    corrected = _context(edition_2024, revision=revision)
    assert corrected["sommaire"] == [*context_2024["sommaire"], {"href": "#erratum", "title": "Erratum", "level": 1}]
    assert corrected["revision"] == revision

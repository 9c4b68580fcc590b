"""Published values follow their data: a value typed "as published" is printed only while the amounts it
derives from are those it was first printed with (compute/published.py)."""

from __future__ import annotations

import pytest

from flows.edition.compute import figures as compute
from flows.edition.compute import published
from flows.edition.validate.reconcile import validate


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _figures(edition, basis=None) -> compute.Figures:
    meta = edition.meta
    return compute.compute_figures(
        edition.tables, meta.year, edition.missions_ref, meta.subset_exclude, None, meta.share_rounding, basis
    )


def test_a_first_publication_records_each_published_value_with_its_amounts(edition_2024):
    basis = _figures(edition_2024).basis
    assert basis["thematics.permanence-des-soins.share"] == {
        "typed": "21.4:1",
        "sources": {"thematics.permanence-des-soins": 115_072_012, "thematics.total": 538_736_879},
        "revision": None,
    }
    assert basis["thematics.investissements.rounded"]["sources"] == {"thematics.investissements": 153_285_611}
    assert basis["execution.AE.rate"] == {"typed": "99.9:1", "sources": {"execution.AE": 536_900_000}, "revision": None}


def test_values_stand_while_their_amounts_are_unchanged_and_give_way_when_one_moved(edition_2024):
    basis = {name: {**entry, "revision": 1} for name, entry in _figures(edition_2024).basis.items()}
    unchanged = _figures(edition_2024, basis)
    assert unchanged.basis == basis  # carried forward with their first revision
    moved = dict(basis)
    moved["thematics.permanence-des-soins.share"] = {
        **basis["thematics.permanence-des-soins.share"],
        "sources": {"thematics.permanence-des-soins": 115_172_012, "thematics.total": 538_736_879},
    }
    figures = _figures(edition_2024, moved)
    row = figures.thematics.filter(figures.thematics["thematic_id"] == "permanence-des-soins").row(0, named=True)
    assert (row["share_display"], row["share_display_dp"]) == (21.4, 1)  # computed 21,36 % → 21,4 %: same text
    assert "thematics.permanence-des-soins.share" not in figures.basis  # the computed share now, not the typed one
    report = validate(edition_2024, moved)
    [finding] = [_plain(f.message) for f in report.findings if "part publiée 21,4 % remplacée" in _plain(f.message)]
    assert "depuis la révision 1" in finding and "115 172 012 € → 115 072 012 €" in finding


def test_a_published_rate_whose_executed_amount_moved_is_reported_asking_for_the_credits_opened(edition_2018):
    basis = {
        "execution.AE.rate": published.BasisEntry(typed="99.1:1", sources={"execution.AE": 303_543_406}, revision=1)
    }
    report = validate(edition_2018, basis)
    [warning] = [_plain(f.message) for f in report.warnings if f.table == "execution"]
    assert "AE : taux publié 99,1 % conservé faute de crédits ouverts" in warning
    assert "depuis la révision 1 (303 543 406 € → 303 543 407 €)" in warning and "opened" in warning
    assert not [f for f in validate(edition_2018, None).findings if f.table == "execution"]


@pytest.mark.parametrize(("typed", "kept"), [("21.4:1", False), ("21.3:1", True)])
def test_a_value_typed_anew_starts_a_new_basis(typed: str, kept: bool):
    basis = {"x.share": published.BasisEntry(typed="21.4:1", sources={"x": 1}, revision=1)}
    verdict = published.judge("x.share", typed, {"x": 2}, basis, within_rounding=True)
    assert verdict.kept is kept
    assert published.carried("x.share", typed, {"x": 2}, basis)["revision"] == (1 if typed == "21.4:1" else None)


SHARES_NOTE = "Chaque part est arrondie au dixième, indépendamment des autres : leur somme peut différer de 100 %."


def _with_thematics(edition, amounts: list[int]):
    """The edition with its thematic lines replaced by lines of these amounts (no published values)."""
    import dataclasses

    import polars as pl

    rows = [
        {"thematic_id": f"t{i}", "kind": "line", "label": f"Thématique {i}", "unit": "€", "amount": a}
        for i, a in enumerate(amounts, start=1)
    ]
    rows.append({"thematic_id": "total", "kind": "total", "label": "Total", "unit": "€", "amount": sum(amounts)})
    frame = pl.DataFrame(rows).with_columns(pl.lit(None, pl.Int8).alias("amount_dp"), pl.lit(0).alias("_line"))
    return dataclasses.replace(edition, tables={**edition.tables, "thematics": frame}, texts={})


@pytest.mark.parametrize(
    ("rounding", "shares", "note"),
    [("half-up", ["33,3", "33,3", "33,3"], True), ("largest-remainder", ["33,4", "33,3", "33,3"], False)],
)
def test_three_equal_thematics_print_33_3_each_with_the_note_unless_allocated(edition_2024, rounding, shares, note):
    import dataclasses

    from flows.edition.ingest.snapshot import Snapshot
    from flows.edition.prepare import prepare
    from flows.edition.render.context import build_context

    edition = _with_thematics(edition_2024, [1_000_000] * 3)
    meta = dataclasses.replace(edition.meta, share_rounding=rounding, subset_exclude=())
    edition = dataclasses.replace(edition, meta=meta)
    context = build_context(edition, prepare(Snapshot(edition)), {})
    thematics = context["chiffres"]["thematics"]
    assert [_plain(r["share"]) for r in thematics["rows"]] == [f"{s} %" for s in shares]
    assert thematics["shares_note"] is note
    from flows import paths
    from flows.edition.render.html import render_html

    assert (SHARES_NOTE in render_html(context, paths.TEMPLATES_DIR)) is note  # printed under the table

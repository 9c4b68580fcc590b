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


def test_a_published_rate_whose_executed_amount_moved_is_an_error_asking_for_the_credits_opened(edition_2018):
    basis = {
        "execution.AE.rate": published.BasisEntry(typed="99.1:1", sources={"execution.AE": 303_543_406}, revision=1)
    }
    report = validate(edition_2018, basis)
    [error] = [_plain(f.message) for f in report.errors if f.table == "execution"]
    assert "AE : taux publié 99,1 % périmé, le montant exécuté a changé depuis la révision 1" in error
    assert "303 543 406 € → 303 543 407 €" in error and "opened" in error
    assert not [f for f in validate(edition_2018, None).errors if f.table == "execution"]


@pytest.mark.parametrize(("typed", "kept"), [("21.4:1", False), ("21.3:1", True)])
def test_a_value_typed_anew_starts_a_new_basis(typed: str, kept: bool):
    basis = {"x.share": published.BasisEntry(typed="21.4:1", sources={"x": 1}, revision=1)}
    verdict = published.judge("x.share", typed, {"x": 2}, basis, within_rounding=True)
    assert verdict.kept is kept
    assert published.carried("x.share", typed, {"x": 2}, basis)["revision"] == (1 if typed == "21.4:1" else None)

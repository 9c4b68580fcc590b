"""Figures named in texts come from the tables; figures typed by hand are listed."""

from __future__ import annotations

import pytest

from flows.edition.compute import catalogue as references
from flows.edition.compute import figures as compute
from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.prepare import prepare
from flows.edition.validate import reconcile
from tests.conftest import REGION


def _names(edition):
    figures = compute.compute_figures(
        edition.tables, edition.meta.year, edition.missions_ref, edition.meta.subset_exclude
    )
    return references.catalogue(edition.tables, figures)


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_catalogue_formats_figures_as_the_tables_print_them(edition_2018, edition_2024):
    names_2018, names_2024 = _names(edition_2018), _names(edition_2024)
    assert _plain(names_2018["revenue.total"]) == "305 600 382 €"
    assert _plain(names_2018["revenue.growth"]) == "+1,84 %"
    assert _plain(names_2018["execution.AE.rate"]) == "99,1 %"
    assert _plain(names_2018["missions.4.cp"]) == "98 995 487 €"
    assert _plain(names_2024["thematics.investissements.share"]) == "28,5 %"
    assert _plain(names_2024["thematics.investissements.rounded"]) == "153,3 M€"
    assert _plain(names_2024["thematics.democratie-sanitaire.share"]) == "0,04 %"
    assert _plain(names_2024["revenue_priorities.soins-palliatifs"]) == "2 M€"
    assert _plain(names_2024["action.p3-culture-palliative.2"]) == "138 k€"


def test_resolve_replaces_names_and_locates_unknown_ones(edition_2024):
    names = _names(edition_2024)
    text, problems = references.resolve(
        "Total : [[thematics.total]].\nPart : [[thematics.cancr.share]]", names, "texts/x.md", first_line=3
    )
    assert _plain(text).startswith("Total : 538 736 879 €.")
    [problem] = problems
    assert (problem.file, problem.line, problem.character, problem.value) == (
        "texts/x.md",
        4,
        8,
        "[[thematics.cancr.share]]",
    )
    assert problem.column is None  # a text has lines, not columns
    assert problem.location() == "texts/x.md, ligne 4, caractère 8"
    assert "thematics.cancer.share" in problem.expected


def test_unknown_figure_name_stops_validation_with_its_location(inputs_copy):
    path = inputs_copy / REGION / "2024" / "texts" / "chiffres.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nVoir [[recettes.totale]].\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        prepare(ingest.read_snapshot(inputs_copy, REGION, 2024))
    message = str(caught.value)
    assert "texts/chiffres.md, ligne 5, caractère 6 : valeur « [[recettes.totale]] »" in message


def test_typed_amounts_are_listed_not_refused(edition_2018):
    report = reconcile.validate(edition_2018)
    typed = {(t.source.rsplit("/", 1)[-1], t.text) for t in report.typed_amounts}
    assert ("autonomie-etp.md", "68 350 €") in typed
    assert ("conditions-de-travail.md", "2,9 millions d'euros") in typed
    assert not any("chiffres.md" in t.source for t in report.typed_amounts)  # that text names its figures


def test_typed_amount_detection():
    found = references.find_typed_amounts(
        "Un total de 1 234 € et [[revenue.total]], puis 2,5 M€ en 2024.\n45 k€", "t.md"
    )
    assert [(t.line, t.text) for t in found] == [(1, "1 234 €"), (1, "2,5 M€"), (2, "45 k€")]

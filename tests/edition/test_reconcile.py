"""The validation report on the published figures, and what makes a build stop."""

from __future__ import annotations

import pytest

from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.validate import reconcile
from tests.conftest import REGION


def _messages(report):
    return [f.message.replace("\u202f", " ").replace("\u00a0", " ") for f in report.findings]


def test_2024_thematic_total_gap_is_a_warning_with_both_values(edition_2024):
    report = reconcile.validate(edition_2024)
    assert not report.errors
    gap = [m for m in _messages(report) if "Dépenses par thématique :" in m]
    assert gap and "538 736 879 €" in gap[0] and "538 736 882 €" in gap[0] and "−3 €" in gap[0]


def test_2018_ae_by_mission_gap_is_a_warning_with_both_values(edition_2018):
    report = reconcile.validate(edition_2018)
    assert not report.errors
    assert [f.level for f in report.findings] == ["warning"]
    message = _messages(report)[0]
    assert "303 543 407 €" in message and "303 543 408 €" in message and "−1 €" in message


def test_2018_revenue_table_reconciles_at_every_stage(edition_2018):
    report = reconcile.validate(edition_2018)
    assert not [f for f in report.findings if f.table == "revenue"]


def test_2024_published_rounding_oddities_are_reported_not_fixed(edition_2024):
    messages = " | ".join(_messages(reconcile.validate(edition_2024)))
    assert "100,14 %" in messages  # printed shares add up to 100,14 %
    assert "Parcours Obésité » : titre publié 2,4 M€" in messages and "2,5 M€" in messages


def test_gap_beyond_rounding_is_an_error_naming_the_cell(inputs_copy):
    path = inputs_copy / REGION / "2018" / "missions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("45 022 026", "45 122 026"), encoding="utf-8")
    report = reconcile.validate(ingest.read_edition(inputs_copy, REGION, 2018))
    assert len(report.errors) == 1
    assert report.errors[0].where == (
        f"{REGION}/2018/execution.csv, ligne 2, colonne « Montant exécuté dans l'année (executed) »"
    )
    assert "tolérance" in report.errors[0].message


def test_unknown_mission_and_unknown_part_are_input_errors(inputs_copy):
    folder = inputs_copy / REGION / "2018"
    (folder / "missions.csv").write_text(
        (folder / "missions.csv").read_text(encoding="utf-8").replace("\n5;", "\n6;"), encoding="utf-8"
    )
    actions = folder / "actions.csv"
    lines = actions.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(";")
    first[1] = "orientation-inconnue"
    lines[1] = ";".join(first)
    actions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        reconcile.validate(ingest.read_edition(inputs_copy, REGION, 2018))
    text = str(caught.value)
    assert "missions.csv, ligne 6, colonne « Numéro de la mission (mission) » : valeur « 6 »" in text
    assert "actions.csv, ligne 2, colonne « Partie (part_id) » : valeur « orientation-inconnue »" in text


def test_a_corrected_amount_replaces_stale_published_heading_and_share(inputs_copy):
    from flows.edition.compute import figures as compute

    path = inputs_copy / REGION / "2024" / "thematics.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("208 058;0,04;208 k€", "1 208 058;0,04;208 k€").replace("538 736 879", "539 736 879")
    path.write_text(text, encoding="utf-8")
    for name, old, new in (("execution.csv", "538,7", "539,7"), ("cp_by_nature.csv", "535,7", "536,7")):
        other = inputs_copy / REGION / "2024" / name  # the CP executed follow the correction
        other.write_text(other.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    report = reconcile.validate(edition)
    assert not report.errors
    messages = " | ".join(_messages(report))
    assert "titre publié 208 k€ périmé" in messages and "remplacé par 1,2 M€" in messages
    assert "part publiée 0,04 % périmée" in messages
    figures = compute.compute_figures(edition.tables, 2024, edition.missions_ref, edition.meta.subset_exclude)
    row = figures.thematics.filter(figures.thematics["thematic_id"] == "democratie-sanitaire").row(0, named=True)
    assert (row["headline"], row["headline_unit"], row["share_display"]) == (1_200_000, "M€", 0.2)

"""What the portal says of the catalogue's records: an erratum in plain words, the validation report in
groups (no build: the records are written here as the store keeps them)."""

from __future__ import annotations

from flows.edition.publish.manifest import ChangeEntry
from flows.notices import wording


def test_an_erratum_reads_as_one_french_sentence():
    changes = [
        ChangeEntry(figure="missions.2.AE", label="Mission 2 — AE", old="75 670 273 €", new="75 670 274 €", pages=[12]),
        ChangeEntry(figure="execution.AE", label="AE exécutées", old="1 €", new="2 €", pages=[3, 12, 4]),
        ChangeEntry(figure="old.record", label="Recettes", old="1", new="2"),  # recorded before pages were kept
    ]
    assert wording.erratum_sentence(changes) == (
        "Cette révision corrige 3 chiffres : Mission 2 — AE : 75 670 273 € devient 75 670 274 € (page 12) ; "
        "AE exécutées : 1 € devient 2 € (pages 3, 4 et 12) ; Recettes : 1 devient 2."
    )
    assert wording.erratum_sentence(changes[:1]).startswith("Cette révision corrige 1 chiffre :")
    assert wording.erratum_sentence([]) == ""


def test_the_validation_report_comes_back_in_groups():
    lines = [
        "Édition hauts-de-france 2024 : 9 tables, 77 textes, 58 rapprochements.",
        "",
        "Dépenses par thématique (hauts-de-france/2024/thematics.csv)",
        "  [avertissement] Total publié 538 736 879 € ≠ somme des lignes 538 736 882 €.",
        "      où : hauts-de-france/2024/thematics.csv, ligne 27, colonne « Montant (amount) »",
        "  [erreur] Part inconnue.",
        "",
        "Montants saisis à la main dans les textes, non reliés aux tables (2 dans 1 fichier(s)) — à relire :",
        "  hauts-de-france/2024/texts/fir.md, ligne 1 : 750 M€",
        "  hauts-de-france/2024/texts/fir.md, ligne 3 : 31 M€",
        "",
        "Bilan : 1 erreur(s), 1 avertissement(s) — des erreurs empêchent la construction.",
    ]
    report = wording.structured_report(lines)
    assert report.summary.startswith("Édition hauts-de-france 2024")
    assert report.verdict.startswith("Bilan : 1 erreur(s)")
    assert [g.title for g in report.groups] == ["Dépenses par thématique (hauts-de-france/2024/thematics.csv)"]
    first, second = report.groups[0].findings
    assert (first.level, first.label, first.where) == (
        "warning",
        "avertissement",
        "hauts-de-france/2024/thematics.csv, ligne 27, colonne « Montant (amount) »",
    )
    assert (second.level, second.message, second.where) == ("error", "Part inconnue.", "")
    assert report.typed is not None and report.typed.lines[1] == "hauts-de-france/2024/texts/fir.md, ligne 3 : 31 M€"
    assert (report.count("error"), report.count("warning")) == (1, 1)
    assert wording.structured_report([]).groups == []

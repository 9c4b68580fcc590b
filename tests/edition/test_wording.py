"""The wording file (templates/libelles.toml) is checked whole when read: a key missing or unknown, a
placeholder the code does not give, an empty text stop the build with the file, the line and what was
expected, instead of printing an empty or wrong text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows import paths
from flows.edition import wording
from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.prepare import prepare
from tests.conftest import REGION

SOURCE = paths.TEMPLATES_DIR / wording.FILE_NAME


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the project's templates/ whose wording file has `old` replaced by `new` (once)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    text = SOURCE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    (templates / wording.FILE_NAME).write_text(text.replace(old, new), encoding="utf-8")
    return templates


def _line(templates: Path, start: str) -> int:
    lines = (templates / wording.FILE_NAME).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.startswith(start))


def test_the_projects_wording_file_has_every_text_the_code_asks_for():
    found = wording.read(SOURCE)
    assert set(found.texts) == set(wording.KEYS)
    assert wording.words("etapes.br1", annee=2018, annee_precedente=2017) == "BR1 2018"
    assert wording.stage_label("previous_year", 2024) == "Recettes 2023"
    assert wording.mission_name(2, "Organisation des soins") == "Mission 2 – Organisation des soins"
    assert wording.word_list("tableaux.thematiques") == ("Thématique", "Montant", "Part")


def test_a_placeholder_the_code_does_not_give_stops_the_build_at_its_line(tmp_path):
    templates = _broken(tmp_path, "totalisent {somme} ;", "totalisent {total} ;")
    with pytest.raises(InputError) as raised:
        wording.read(templates / wording.FILE_NAME)
    (problem,) = raised.value.problems
    assert problem.file == "templates/libelles.toml"
    assert problem.line == _line(templates, "note_ecart_arrondi =")
    assert problem.expected == (
        "dans « tableaux.note_ecart_arrondi », seulement ces valeurs entre accolades : {somme}, {publie}"
    )
    assert "{total}" in str(problem)


def test_a_missing_key_an_unknown_key_and_an_empty_text_are_each_named(tmp_path):
    templates = _broken(
        tmp_path,
        'legende_cp = "Crédits de paiement (CP)"\n',
        'legende_pc = "Crédits de paiement (CP)"\nunite_millions_x = ""\n',
    )
    with pytest.raises(InputError) as raised:
        wording.read(templates / wording.FILE_NAME)
    messages = [str(p) for p in raised.value.problems]
    assert messages == [
        "templates/libelles.toml : valeur « graphiques.legende_cp » — attendu : un texte pour la clé "
        "« graphiques.legende_cp » (elle manque au fichier)",
        f"templates/libelles.toml, ligne {_line(templates, 'legende_pc')} : valeur « graphiques.legende_pc » — "
        "attendu : une clé connue (celle-ci n'est utilisée nulle part)",
        f"templates/libelles.toml, ligne {_line(templates, 'unite_millions_x')} : valeur "
        "« graphiques.unite_millions_x » — attendu : une clé connue (celle-ci n'est utilisée nulle part)",
    ]


def test_an_empty_text_a_text_for_a_list_and_a_mark_the_pdf_font_lacks_are_refused(tmp_path):
    templates = _broken(tmp_path, 'filigrane_projet = "PROJET — ne pas diffuser"', 'filigrane_projet = "PROJET ✎"')
    text = (templates / wording.FILE_NAME).read_text(encoding="utf-8")
    text = text.replace('unite_millions = "Montants en millions d\'euros"', 'unite_millions = " "')
    text = text.replace('thematiques = ["Thématique", "Montant", "Part"]', 'thematiques = "Thématique"')
    (templates / wording.FILE_NAME).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        wording.read(templates / wording.FILE_NAME)
    expected = {(p.line, p.expected) for p in raised.value.problems}
    assert expected == {
        (_line(templates, "unite_millions"), "un texte non vide pour « graphiques.unite_millions »"),
        (_line(templates, "thematiques ="), "une liste de textes pour « tableaux.thematiques »"),
        (_line(templates, "filigrane_projet"), "dans « pdf.filigrane_projet », des caractères latins (Windows-1252)"),
    }


def test_a_file_toml_cannot_read_is_an_input_error_too(tmp_path):
    templates = _broken(tmp_path, 'br1 = "BR1 {annee}"\n', 'br1 = "BR1 {annee}\n')
    with pytest.raises(InputError, match=r"templates/libelles.toml — attendu : un fichier TOML valide"):
        wording.read(templates / wording.FILE_NAME)


def test_a_broken_wording_file_stops_check_and_build_before_anything_is_printed(tmp_path, monkeypatch):
    """`prepare` (what `fir check` and `fir build` run first) words the budget stages: it stops there."""
    templates = _broken(tmp_path, 'br1 = "BR1 {annee}"', 'br1 = "BR1 {année}"')
    monkeypatch.setattr(wording, "TEMPLATES_DIR", templates)
    snapshot = ingest.read_snapshot(paths.INPUTS_DIR, REGION, 2018)
    with pytest.raises(InputError, match=r"ligne \d+ : valeur « BR1 \{année\} » — attendu : dans « etapes.br1 »"):
        prepare(snapshot)


def test_an_edited_wording_file_is_read_again(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(SOURCE, templates / wording.FILE_NAME)
    assert wording.wording(templates)("graphiques.unite_millions") == "Montants en millions d'euros"
    text = SOURCE.read_text(encoding="utf-8").replace("Montants en millions d'euros", "En millions d'euros")
    (templates / wording.FILE_NAME).write_text(text, encoding="utf-8")
    assert wording.wording(templates)("graphiques.unite_millions") == "En millions d'euros"


def test_the_code_must_give_every_value_a_text_may_use():
    with pytest.raises(KeyError, match=r"tableaux\.note_ecart_arrondi"):
        wording.words("tableaux.note_ecart_arrondi", somme="1 €")


def test_a_problem_is_located_in_its_own_group(tmp_path):
    """`titre` is set in many groups: the problem points at the line of the group it is in."""
    templates = _broken(tmp_path, 'titre = "Recettes du FIR {annee}"', 'titre = "Recettes du FIR {an}"')
    with pytest.raises(InputError) as raised:
        wording.read(templates / wording.FILE_NAME)
    (problem,) = raised.value.problems
    assert problem.line == _line(templates, 'titre = "Recettes du FIR {an}"')
    assert (
        problem.expected == "dans « donnees_ouvertes.revenue.titre », seulement ces valeurs entre accolades : {annee}"
    )

"""More of the corpus, run the same way (`fir check` in a child process, as a user runs it): what the
file system holds instead of a file, a damaged missions reference, workbooks with notes and hidden
sheets. The expected messages are written out, not computed from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.edition.contract import TABLES
from tests.bad_inputs import test_corpus as corpus
from tests.bad_inputs.test_corpus import E24, Case, Mutation, workbook


def replaced_by(file: str, make: str) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file
        path.unlink()
        if make == "folder":
            path.mkdir()
        else:
            path.symlink_to(make)

    return mutate


def reference(content: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder.parent.parent / "_reference" / "missions.csv").write_text(content, encoding="utf-8")

    return mutate


def sheet_state(name: str, state: str):
    def edit(book) -> None:
        sheet = book[name] if name in book.sheetnames else book.create_sheet(name)
        if name not in TABLES:
            sheet.append(["à faire", "relire les montants"])
        sheet.sheet_state = state

    return edit


def then_edit(*edits):
    def edit(book) -> None:
        for one in edits:
            one(book)

    return edit


CASES = [
    Case(
        "folder-named-like-a-table",
        replaced_by("thematics.csv", "folder"),
        (f"{E24}/thematics.csv — attendu : un fichier, pas un dossier",),
    ),
    Case(
        "table-is-a-broken-link",
        replaced_by("thematics.csv", "../../partage/thematics.csv"),
        (
            f"{E24}/thematics.csv — attendu : un fichier lisible (c'est un lien symbolique vers "
            "« ../../partage/thematics.csv », qui n'existe pas)",
        ),
    ),
    Case(
        "missions-reference-not-a-number",
        reference("mission;short_label\n1;Prévention\ndeux;Parcours\n"),
        (
            "_reference/missions.csv, ligne 3, colonne « Numéro de la mission (mission) » : valeur « deux » — "
            "attendu : "
            "un nombre entier (au plus 9 chiffres)",
        ),
    ),
    Case(
        "xlsx-notes-and-hidden-sheets-accepted",
        workbook(then_edit(sheet_state("_notes", "visible"), sheet_state("Brouillon", "hidden"))),
        (
            "Lecture des fichiers (inputs)",
            "[information] feuille « _notes » ignorée : son nom commence par « _ » (notes)",
            "[information] feuille « Brouillon » ignorée : elle est masquée",
            f"où : {E24}/figures.xlsx",
            "Bilan : 0 erreur(s),",
        ),
        exit=0,
    ),
    Case(
        "xlsx-required-sheet-hidden",
        workbook(sheet_state("execution", "hidden")),
        (
            f"{E24}/figures.xlsx — attendu : la table « execution » (execution.csv, ou une feuille « execution » "
            "de figures.xlsx) ; la feuille « execution » est masquée : l'afficher",
        ),
    ),
]


def test_ids_are_new():
    assert not {case.id for case in CASES} & {case.id for case in corpus.CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_real_world_file(case: Case, inputs_copy: Path):
    corpus.test_bad_input(case, inputs_copy)

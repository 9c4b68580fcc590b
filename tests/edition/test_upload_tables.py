"""The check of an uploaded figures file (flows/edition/authoring/upload_tables.py): the guiding workbook filled
in and saved by LibreOffice, or one table as CSV, against the real 2024 edition and a 2025 edition made from it."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import paths
from flows.edition.authoring.new_edition import create_edition
from flows.edition.authoring.upload_report import Located
from flows.edition.authoring.upload_tables import NO_STORED_VALUES, TablesUpload, check_table_csv, check_workbook
from flows.edition.authoring.workbook import earlier_edition, workbook_bytes
from flows.edition.contract import EXPECTED
from flows.edition.ingest.snapshot import read_edition
from tests.conftest import REGION
from tests.office import SOFFICE, cell_of, fill, save_with_libreoffice, typed_as_before

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/setup.sh installs it)")

CSV_2024 = (
    "action_amounts.csv",
    "actions.csv",
    "cp_by_nature.csv",
    "execution.csv",
    "key_figures.csv",
    "parts.csv",
    "revenue.csv",
    "revenue_priorities.csv",
    "thematics.csv",
)
# Compared with the spaces of the French conventions (U+202F between thousands, U+00A0 before €) made plain.
THEMATICS_GAP = (
    "Feuille « thematics » (Dépenses par thématique), cellule F27, colonne « Montant » : valeur « 538 736 879 » "
    "— Dépenses par thématique : total publié 538 736 879 € ≠ somme des lignes 538 736 882 € "
    "(écart −3 €). Écart publié, valeurs conservées telles que publiées."
)


class Made:
    """A copy of inputs/ with 2025 made from 2024 (`fir new`), its workbook (`fir workbook`) and that workbook
    filled in with 2024's figures, as typed (openpyxl) and as saved by LibreOffice, with and without a mistake."""

    def __init__(self, folder: Path) -> None:
        self.inputs = folder / "inputs"
        shutil.copytree(paths.INPUTS_DIR, self.inputs)
        create_edition(self.inputs, REGION, 2025)
        edition = read_edition(self.inputs, REGION, 2025, allow_incomplete=True)
        self.blank = workbook_bytes(edition, earlier_edition(self.inputs, REGION, 2025)[0], self.inputs)
        self.typed = fill(self.blank, typed_as_before(self.blank))
        self.total = cell_of(self.blank, "revenue", 4, "final")  # the revenue's declared total of the year
        self.saved = save_with_libreoffice(
            {
                "rempli.xlsx": self.typed,
                "texte.xlsx": fill(self.typed, {("revenue", self.total): "beaucoup"}),
                "total.xlsx": fill(self.typed, {("revenue", self.total): 600}),
            }
        )


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    return Made(tmp_path_factory.mktemp("upload"))


def _digest(folder: Path) -> str:
    """Every file under `folder` (links followed), names and bytes: what must not change."""
    found = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        found.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            found.update(path.read_bytes())
    return found.hexdigest()


def _apply(inputs: Path, changes: Mapping[str, bytes | None]) -> None:
    for name, data in changes.items():
        path = inputs / name
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _plain(items: tuple[Located, ...]) -> list[str]:
    """The points' sentences, their narrow and no-break spaces written as plain spaces."""
    return [item.text.replace("\u202f", " ").replace("\u00a0", " ") for item in items]


def _upload(made: Made, name: str) -> TablesUpload:
    return check_workbook(made.inputs, REGION, 2025, "chiffres 2025.xlsx", made.saved[name])


def test_the_workbook_filled_with_last_years_figures_is_accepted_with_its_changes(made: Made, tmp_path: Path):
    before = _digest(made.inputs)
    upload = _upload(made, "rempli.xlsx")
    assert _digest(made.inputs) == before  # the working copy is never touched by a check
    assert upload.accepted and not upload.errors and not upload.elsewhere
    assert upload.summary == (
        "Classeur « chiffres 2025.xlsx » accepté : aucune erreur dans les tableaux, 8 rapprochements vérifiés ; "
        "1 avertissement (écarts publiés, conservés tels que publiés : à relire) ; reste à compléter avant de "
        "construire : 77 textes (liste ci-dessous)."
    )
    assert _plain(upload.warnings) == [THEMATICS_GAP]
    gap = upload.warnings[0]
    assert (gap.sheet, gap.table, gap.cell, gap.column, gap.value) == (
        "thematics",
        "Dépenses par thématique",
        "F27",
        "Montant",
        "538\u202f736\u202f879",  # as a French spreadsheet shows it, not « 538736879 » as the file stores it
    )
    # every cell typed: what remains are the texts to rewrite, which the finance staff do not write
    assert len(upload.todo) == 77 and all(item.file.startswith("texts/") for item in upload.todo)
    assert upload.todo[0].text == (
        "« texts/actions.md », ligne 1 : texte à réécrire — un texte à jour (supprimer la ligne "
        "« <!-- À RÉÉCRIRE … --> » une fois le texte réécrit)"
    )
    folder = f"{REGION}/2025"
    old = {name: (made.inputs / folder / name).read_bytes() for name in CSV_2024}
    assert upload.changes == {
        f"{folder}/figures.xlsx": made.saved["rempli.xlsx"],
        **{f"{folder}/{name}": None for name in CSV_2024},
        **{f"{folder}/_anciens-csv/{name}": data for name, data in old.items()},  # what --ranger-csv does
    }
    # written into a copy, the changes give an edition with 2024's figures (brochure 2024: 522,2 M€ of revenue)
    copy = tmp_path / "inputs"
    shutil.copytree(made.inputs, copy)
    _apply(copy, upload.changes)
    edition = read_edition(copy, REGION, 2025, allow_incomplete=True)
    assert not edition.todo.tables and len(edition.todo.texts) == 77
    revenue = edition.tables["revenue"]
    assert revenue.filter(revenue["kind"] == "total")["final"].to_list() == [522_200_000]
    thematics = edition.tables["thematics"]
    assert thematics.filter(thematics["kind"] == "total")["amount"].to_list() == [538_736_879]


def test_a_workbook_uploaded_again_replaces_only_itself(made: Made, tmp_path: Path):
    copy = tmp_path / "inputs"
    shutil.copytree(made.inputs, copy)
    _apply(copy, _upload(made, "rempli.xlsx").changes)
    again = check_workbook(copy, REGION, 2025, "chiffres 2025.xlsx", made.saved["rempli.xlsx"])
    assert again.accepted and again.changes == {}
    assert again.summary.endswith("identique aux fichiers de l'édition : rien à enregistrer.")
    fixed = check_workbook(copy, REGION, 2025, "corrigé.xlsx", made.saved["texte.xlsx"])
    assert not fixed.accepted and fixed.changes == {}


def test_text_in_an_amount_cell_is_refused_on_its_sheet_and_cell(made: Made):
    before = _digest(made.inputs)
    upload = _upload(made, "texte.xlsx")
    assert _digest(made.inputs) == before
    assert not upload.accepted and upload.changes == {}
    assert upload.summary == (
        "Classeur « chiffres 2025.xlsx » refusé : 1 erreur à corriger, située ci-dessous (feuille et cellule). "
        "Rien n'a été modifié : corrigez le classeur puis déposez-le à nouveau."
    )
    (error,) = upload.errors
    assert error.text == (
        "Feuille « revenue » (Recettes), cellule K4, colonne « Montant final de l'année » : valeur « beaucoup » "
        f"— attendu : {EXPECTED['amount']}"
    )
    assert (error.sheet, error.cell, error.column, error.value, error.expected) == (
        "revenue",
        "K4",
        "Montant final de l'année",
        "beaucoup",
        EXPECTED["amount"],
    )


def test_a_total_that_does_not_reconcile_is_refused_on_its_cell(made: Made):
    upload = _upload(made, "total.xlsx")
    assert not upload.accepted and upload.changes == {}
    (error,) = _plain(upload.errors)
    assert error == (
        "Feuille « revenue » (Recettes), cellule K4, colonne « Montant final de l'année » : valeur « 600,0 » — "
        "Recettes, Recettes 2025 : total déclaré 600,0 M€ ≠ somme des lignes 522 200 000 € "
        "(écart +77 800 000 €, au-delà de la tolérance d'arrondi de 150 000 €)."
    )
    assert upload.lines()[1:4] == ["", "Erreurs à corriger (1) :", f"  - {upload.errors[0].text}"]
    assert upload.lines()[4:6] == ["", "Reste à compléter (77) :"]
    located = upload.errors[0]
    assert (located.sheet, located.cell, located.column, located.value) == (
        "revenue",
        "K4",
        "Montant final de l'année",
        "600,0",
    )
    assert _plain(upload.warnings) == [THEMATICS_GAP]  # the published gap, still said


def test_a_workbook_saved_without_its_formulas_values_says_how_to_save_it(made: Made):
    # typed by a program (openpyxl), a formula in an amount cell: the file holds no value for it
    formula = fill(made.typed, {("revenue", made.total): "=K2+K3"})
    upload = check_workbook(made.inputs, REGION, 2025, "chiffres 2025.xlsx", formula)
    assert not upload.accepted and upload.changes == {}
    assert upload.summary.startswith(NO_STORED_VALUES + " Classeur « chiffres 2025.xlsx » refusé : 1 erreur")
    assert NO_STORED_VALUES.startswith("Ce classeur a été enregistré sans les valeurs calculées de ses formules")
    (error,) = upload.errors
    assert error.text == (
        "Feuille « revenue » (Recettes), cellule K4, colonne « Montant final de l'année » : valeur « =K2+K3 » — "
        "attendu : une formule enregistrée avec sa valeur calculée (le fichier n'en contient pas : ouvrir et "
        "enregistrer le classeur dans Excel ou LibreOffice, ou coller en valeurs)"
    )
    # saved by LibreOffice, the same formula has its value: accepted, read as the sum it shows
    (saved,) = save_with_libreoffice({"formule.xlsx": formula}).values()
    assert check_workbook(made.inputs, REGION, 2025, "chiffres 2025.xlsx", saved).accepted


def test_values_typed_by_a_program_are_read_not_taken_as_empty(made: Made):
    """The check sums beside the totals have no value in a file written by openpyxl: never read, no error."""
    upload = check_workbook(made.inputs, REGION, 2025, "chiffres 2025.xlsx", made.typed)
    assert upload.accepted and _plain(upload.warnings) == [THEMATICS_GAP]


def test_the_blank_workbook_lists_the_cells_still_to_fill_on_their_sheet(made: Made):
    upload = check_workbook(made.inputs, REGION, 2025, "vide.xlsx", made.blank)
    assert upload.accepted and not upload.complete and upload.checks == 0
    revenue = [item.text for item in upload.todo if item.sheet == "revenue"]
    assert revenue == [
        "Feuille « revenue » (Recettes), colonne « Montant final de l'année » : 3 montants à saisir "
        "(cellules K2, K3, K4)"
    ]
    assert "reste à compléter avant de construire : 190 cellules et 77 textes" in upload.summary


def test_an_id_that_points_nowhere_is_refused_before_every_amount_is_typed(made: Made):
    cell = cell_of(made.blank, "action_amounts", 2, "action_id")
    typo = fill(made.blank, {("action_amounts", cell): "p9-inconnue"})
    upload = check_workbook(made.inputs, REGION, 2025, "vide.xlsx", typo)
    assert not upload.accepted and upload.changes == {}
    (error,) = upload.errors
    assert (error.sheet, error.cell, error.column, error.value) == (
        "action_amounts",
        cell,
        "Section ou action",
        "p9-inconnue",
    )
    assert error.text.startswith(
        f"Feuille « action_amounts » (Montants des actions), cellule {cell}, colonne « Section ou action » : "
        "valeur « p9-inconnue » — attendu : "
    )
    assert len(upload.todo) > 77  # the cells still to type are listed with it


def test_a_csv_table_with_a_bad_line_is_refused_on_its_line_and_column(inputs_copy: Path):
    real = (inputs_copy / REGION / "2024" / "revenue.csv").read_bytes()
    lines = real.decode().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines) if text.startswith("total;"))
    cells = lines[line].split(";")
    cells[-1] = "cinq cent" + ("\n" if cells[-1].endswith("\n") else "")
    bad = "".join([*lines[:line], ";".join(cells), *lines[line + 1 :]]).encode()
    before = _digest(inputs_copy)
    upload = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", bad)
    assert _digest(inputs_copy) == before
    assert not upload.accepted and upload.changes == {}
    (error,) = upload.errors
    assert error.text == (
        f"« recettes.csv » (Recettes), ligne {line + 1}, colonne « Montant final de l'année » : valeur « cinq cent » "
        f"— attendu : {EXPECTED['amount']}"
    )
    assert (error.file, error.line, error.column, error.cell) == (
        "recettes.csv",
        line + 1,
        "Montant final de l'année",
        None,
    )
    assert upload.summary.startswith("Fichier « recettes.csv » (table Recettes) refusé : 1 erreur à corriger")
    same = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", real)
    assert same.accepted and same.changes == {} and same.complete and same.checks == 58
    relabelled = real.replace(b"Total des recettes;", b"Total des recettes du FIR;")
    changed = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", relabelled)
    assert changed.accepted and changed.changes == {f"{REGION}/2024/revenue.csv": relabelled}
    assert changed.summary == (
        "Fichier « recettes.csv » (table Recettes) accepté : aucune erreur dans les tableaux, 58 rapprochements "
        "vérifiés ; 4 avertissements (écarts publiés, conservés tels que publiés : à relire) ; l'édition peut être "
        "construite une fois ce dépôt enregistré."
    )


def test_sheets_that_are_no_table_and_merged_cells_are_refused_on_their_sheet(made: Made):
    book = load_workbook(_bytes_file(made.saved["rempli.xlsx"]))
    book.create_sheet("Feuil1")["A1"] = "mes notes"
    book.create_sheet("_calculs")["A1"] = "gardée de côté"
    book["revenue"].merge_cells("C2:D2")
    buffer = io.BytesIO()
    book.save(buffer)
    upload = check_workbook(made.inputs, REGION, 2025, "chiffres 2025.xlsx", buffer.getvalue())
    assert not upload.accepted and upload.changes == {}
    assert [error.text for error in upload.errors] == [
        "Feuille « revenue » (Recettes), cellules C2:D2 — attendu : des cellules non fusionnées (défusionner et "
        "recopier la valeur)",
        "Feuille « Feuil1 » — attendu : des feuilles nommées parmi : revenue, revenue_priorities, execution, "
        "missions, cp_by_nature, thematics, parts, actions, action_amounts, key_figures. Une feuille à vous (notes, "
        "calculs) peut rester dans le classeur sans être lue : renommez-la en commençant par « _ » (« _Feuil1 ») "
        "ou masquez-la (clic droit sur l'onglet, Masquer)",
    ]
    assert upload.summary.startswith(
        "Classeur « chiffres 2025.xlsx » refusé : 2 erreurs à corriger, situées ci-dessous"
    )


def test_an_error_in_a_text_is_listed_but_does_not_refuse_the_figures(inputs_copy: Path):
    text = inputs_copy / REGION / "2024" / "texts" / "fir.md"
    text.write_text(text.read_text(encoding="utf-8") + "\nVoir [[thematics.inconnue.share]].\n", encoding="utf-8")
    line = text.read_text(encoding="utf-8").count("\n")
    real = (inputs_copy / REGION / "2024" / "revenue.csv").read_bytes()
    relabelled = real.replace(b"Total des recettes;", b"Total des recettes du FIR;")
    upload = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", relabelled)
    assert upload.accepted and not upload.complete and upload.checks == 58 and len(upload.warnings) == 4
    assert upload.changes == {f"{REGION}/2024/revenue.csv": relabelled}
    assert [item.text for item in upload.elsewhere] == [
        f"« texts/fir.md », ligne {line}, caractère 6 : valeur « [[thematics.inconnue.share]] » — attendu : le nom "
        "d'un chiffre des tables (proche : thematics.cancer.share, thematics.divers.share, thematics.numerique.share)"
    ]
    assert upload.summary.endswith("à corriger ailleurs dans l'édition avant de construire : 1 erreur.")


def test_a_workbook_downloaded_for_another_edition_is_said_first(made: Made):
    last_year = read_edition(made.inputs, REGION, 2024)
    upload = check_workbook(made.inputs, REGION, 2025, "chiffres.xlsx", workbook_bytes(last_year))
    said = upload.warnings[0]
    assert said.text == (
        "Feuille « À lire », cellule A1 : valeur « Chiffres de la brochure FIR — Hauts-de-France, 2024 » — ce classeur "
        "a été téléchargé pour l'édition Hauts-de-France, 2024, pas pour l'édition Hauts-de-France, 2025 où il est "
        "déposé : vérifiez que c'est le bon fichier avant de l'enregistrer (ses chiffres remplaceraient ceux de "
        "l'édition)"
    )
    assert (said.sheet, said.cell) == ("À lire", "A1")
    # the 2025 workbook names 2025: no such warning
    assert not any(w.sheet == "À lire" for w in _upload(made, "rempli.xlsx").warnings)


def test_a_csv_total_that_does_not_reconcile_is_refused_on_its_line(inputs_copy: Path):
    real = (inputs_copy / REGION / "2024" / "revenue.csv").read_bytes()
    upload = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", real.replace(b";522,2", b";600,0"))
    assert not upload.accepted and upload.changes == {}
    assert _plain(upload.errors) == [
        "« recettes.csv » (Recettes), ligne 4, colonne « Montant final de l'année » : valeur « 600,0 » — Recettes, "
        "Recettes 2024 : total déclaré 600,0 M€ ≠ somme des lignes 522 200 000 € (écart +77 800 000 €, au-delà de "
        "la tolérance d'arrondi de 150 000 €)."
    ]


def test_csv_files_already_set_aside_stay_and_a_name_taken_there_refuses(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    aside = folder / "_anciens-csv"
    aside.mkdir()
    (aside / "notes.csv").write_bytes(b"une ancienne copie\n")
    workbook = workbook_bytes(read_edition(inputs_copy, REGION, 2024))
    before = _digest(inputs_copy)
    upload = check_workbook(inputs_copy, REGION, 2024, "chiffres.xlsx", workbook)
    assert _digest(inputs_copy) == before  # the real _anciens-csv/ untouched: the moves are in the shadow
    assert upload.accepted and upload.complete and upload.checks == 58
    assert sorted(upload.changes) == sorted(
        [f"{REGION}/2024/figures.xlsx"]
        + [f"{REGION}/2024/{name}" for name in CSV_2024]
        + [f"{REGION}/2024/_anciens-csv/{name}" for name in CSV_2024]
    )
    (aside / "revenue.csv").write_bytes(b"une copie plus ancienne\n")
    taken = check_workbook(inputs_copy, REGION, 2024, "chiffres.xlsx", workbook)
    assert not taken.accepted and taken.changes == {}
    assert taken.errors[0].text == (
        "« chiffres.xlsx » — attendu : aucun fichier CSV déjà mis de côté sous le même nom dans _anciens-csv/ "
        "(revenue.csv) : ce dépôt y rangerait les fichiers CSV que le classeur remplace ; demandez à "
        "l'administrateur de retirer les anciennes copies"
    )


def test_a_csv_table_of_an_edition_kept_in_a_workbook_is_refused(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    edition = read_edition(inputs_copy, REGION, 2024)
    (folder / "figures.xlsx").write_bytes(workbook_bytes(edition))
    for name in CSV_2024:
        (folder / name).unlink()
    upload = check_table_csv(inputs_copy, REGION, 2024, "revenue", "recettes.csv", b"line_id;kind\n")
    assert not upload.accepted and upload.changes == {}
    assert upload.errors[0].expected == (
        "la table « Recettes » dans le classeur figures.xlsx de l'édition (sa feuille « revenue ») : l'édition tient "
        "ses tableaux dans ce classeur. Déposez le classeur complété plutôt qu'un fichier CSV"
    )


def test_files_that_are_no_workbook_or_no_edition_are_refused(inputs_copy: Path):
    macro = check_workbook(inputs_copy, REGION, 2024, "chiffres.xlsm", b"PK")
    assert not macro.accepted and macro.summary == (
        "« chiffres.xlsm » refusé : valeur « chiffres.xlsm » — attendu : un classeur Excel enregistré au format "
        ".xlsx (« Classeur Excel (*.xlsx) »). Rien n'a été modifié."
    )
    damaged = check_workbook(inputs_copy, REGION, 2024, "chiffres.xlsx", b"pas un classeur")
    assert not damaged.accepted and [e.text for e in damaged.errors] == [
        "« chiffres.xlsx » — attendu : un classeur Excel .xlsx valide (ouverture impossible : BadZipFile)"
    ]
    missing = check_workbook(inputs_copy, REGION, 2031, "chiffres.xlsx", b"PK")
    assert not missing.accepted and missing.summary == (
        "« chiffres.xlsx » refusé — attendu : une édition existante : l'édition hauts-de-france 2031 n'existe pas "
        "encore, créez-la d'abord (à partir de l'année précédente). Rien n'a été modifié."
    )
    unknown = check_table_csv(inputs_copy, REGION, 2024, "budget", "budget.csv", b"")
    assert not unknown.accepted and unknown.errors[0].expected.startswith("une table parmi : revenue, ")


def test_office_saves_the_workbook_with_its_formulas_values(made: Made):
    """tests/office.py: typed with openpyxl, the check sums have no value; saved by LibreOffice, they have."""
    assert made.total == "K4"
    typed = load_workbook(_bytes_file(made.typed), data_only=True)["revenue"]
    saved = load_workbook(_bytes_file(made.saved["rempli.xlsx"]), data_only=True)["revenue"]
    header = [cell.value for cell in saved[1]]
    check = header.index("Contrôle : somme des lignes — Montant final de l'année") + 1
    assert typed.cell(4, check).value is None
    assert saved.cell(4, check).value == pytest.approx(522.2)  # 517,1 + 5,1 M€, the 2024 lines
    assert [saved.cell(row, 11).value for row in (2, 3, 4)] == [517.1, 5.1, 522.2]


def _bytes_file(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)

"""Inputs as finance staff really save them (issue 13, item 5): a CSV from French Excel in Windows-1252,
a workbook whose cells are formulas, hidden and notes sheets, and whatever the file system holds
instead of a file — each read, or refused with a located French message, never with a traceback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from polars.testing import assert_frame_equal

from flows.edition.errors import InputError
from flows.edition.ingest import files
from flows.edition.ingest import snapshot as ingest
from flows.edition.validate import reconcile
from tests.check_helpers import SOFFICE, fir_check, save_with_libreoffice
from tests.conftest import REGION
from tests.helpers import csv_to_xlsx

E24 = f"{REGION}/2024"
NEEDS_LIBREOFFICE = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice absent: scripts/setup.sh installs it")


def _problems(caught: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(problem) for problem in caught.value.problems]


# --- CSV saved by French Excel: "CSV (séparateur : point-virgule)", Windows-1252 -----------------------

LABEL = "Cancer"
FRENCH_LABEL = "Cancer : l’accès aux soins, 5 € à l’été"  # é, €, ’: bytes 0xE9, 0x80, 0x92 in Windows-1252


def _excel_thematics(folder: Path, encoding: str) -> None:
    """thematics.csv with accents, € and ’ in a label, saved with CRLF line ends in `encoding`."""
    path = folder / "thematics.csv"
    text = path.read_text(encoding="utf-8")
    assert LABEL in text
    path.write_bytes(text.replace(LABEL, FRENCH_LABEL, 1).replace("\n", "\r\n").encode(encoding))


def test_a_windows_1252_csv_reads_like_its_utf8_twin_with_a_warning(inputs_copy: Path, tmp_path: Path):
    twin = tmp_path / "twin"
    shutil.copytree(inputs_copy, twin)
    _excel_thematics(inputs_copy / REGION / "2024", "cp1252")
    _excel_thematics(twin / REGION / "2024", "utf-8")
    assert b"\x80" in (inputs_copy / REGION / "2024" / "thematics.csv").read_bytes()

    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    utf8 = ingest.read_edition(twin, REGION, 2024)
    assert_frame_equal(edition.tables["thematics"], utf8.tables["thematics"], check_exact=True)
    assert f"Parcours {FRENCH_LABEL}" in edition.tables["thematics"]["label"].to_list()
    assert utf8.notices == ()
    [notice] = edition.notices
    assert (notice.level, notice.source) == ("warning", f"{E24}/thematics.csv")
    assert notice.message == (
        "thematics.csv est encodé en Windows-1252 (pas en UTF-8) : lu en Windows-1252 ; vérifier ses accents, "
        "ou l'enregistrer en « CSV UTF-8 » pour ne plus voir cet avertissement"
    )
    # The archival copy attaches the file as it was read, byte for byte.
    attached = dict(edition.attachments)["thematics.csv"]
    assert attached == (inputs_copy / REGION / "2024" / "thematics.csv").read_bytes()


def test_fir_check_reports_the_windows_1252_warning_with_the_file(inputs_copy: Path, edition_2024):
    _excel_thematics(inputs_copy / REGION / "2024", "cp1252")
    code, output = fir_check(inputs_copy, 2024)
    assert code == 0, output
    assert (
        "Lecture des fichiers (inputs)\n"
        "  [avertissement] thematics.csv est encodé en Windows-1252 (pas en UTF-8) : lu en Windows-1252 ;"
    ) in output
    assert f"      où : {E24}/thematics.csv\n" in output
    published = len(reconcile.validate(edition_2024).warnings)  # the real edition's own warnings
    # + the encoding's, + no web address set (the tests set none: validate/address.py)
    assert f"Bilan : 0 erreur(s), {published + 2} avertissement(s)" in output


def test_a_csv_in_neither_utf8_nor_windows_1252_is_refused_at_the_first_byte_neither_has(inputs_copy: Path):
    path = inputs_copy / REGION / "2024" / "actions.csv"
    # A DOS (code page 850) export: é is 0x82, which Windows-1252 reads (as ‚); É is 0x90, which it has not.
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[18] = lines[18].rsplit(";", 1)[0] + ";Élargir la médiation en santé"  # the first É: line 19
    path.write_bytes("\n".join(lines).encode("cp850", errors="replace"))
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    assert _problems(caught) == [
        f"{E24}/actions.csv, ligne 19 : valeur « octet 0x90 » — attendu : "
        "un fichier encodé en UTF-8 ou en Windows-1252 (ré-exporter en « CSV UTF-8 »)"
    ]


def test_a_csv_with_a_utf8_bom_gets_no_windows_1252_fallback(inputs_copy: Path):
    path = inputs_copy / REGION / "2024" / "parts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    [problem] = _problems(caught)
    assert problem.startswith(f"{E24}/parts.csv, ligne ")
    assert problem.endswith(
        "— attendu : un fichier encodé en UTF-8, comme l'annonce sa marque d'ordre des octets (BOM)"
    )


def test_markdown_and_toml_stay_utf8_only(inputs_copy: Path):
    path = inputs_copy / REGION / "2024" / "texts" / "fir.md"
    path.write_bytes("Crédits.\n".encode("cp1252"))
    with pytest.raises(InputError, match="un texte encodé en UTF-8"):
        ingest.read_edition(inputs_copy, REGION, 2024)


# --- workbooks with formulas ---------------------------------------------------------------------------

# Cells of the 2024 thematics sheet (row 1: header; rows 2–26: lines; row 27: the declared total) given
# as formulas whose results are the published values, as a finance officer would have typed them.
FORMULAS = {
    "E27": "=SUM(E2:E26)-3",  # the published total, 3 € under the sum of its lines
    "E4": "=41000000+139625",
    "F2": "=57/2",  # 28,5 (%), its cell formatted with one decimal
    "C3": '=CONCATENATE("Permanence des soins"," et accès aux soins non programmés")',
    "B27": '=LOWER("TOTAL")',
    "G27": '=IF(1,"","")',  # an empty text: the published heading of the total row is empty
}


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two workbooks of the 2024 edition saved by LibreOffice: `values`, whose formulas give the
    published values, and `errors`, whose formula divides by zero."""
    if SOFFICE is None:
        pytest.skip("LibreOffice absent: scripts/setup.sh installs it")
    from flows import paths

    made = tmp_path_factory.mktemp("workbooks")
    written = []
    for name, formulas in (("values", FORMULAS), ("errors", {"E4": "=41139625/0"})):
        folder = made / name
        shutil.copytree(paths.INPUTS_DIR / REGION / "2024", folder)
        book_path = csv_to_xlsx(folder)
        book = load_workbook(book_path)
        for cell, formula in formulas.items():
            book["thematics"][cell] = formula
        book.save(book_path)
        written.append(book_path.rename(made / f"{name}.xlsx"))
    saved = save_with_libreoffice(written, made / "saved")
    return {path.stem: path for path in saved}


def _with_workbook(inputs: Path, workbook: Path) -> None:
    """The 2024 edition of `inputs` with its tables in `workbook` instead of CSV files."""
    folder = inputs / REGION / "2024"
    for path in folder.glob("*.csv"):
        path.unlink()
    shutil.copy(workbook, folder / "figures.xlsx")


@NEEDS_LIBREOFFICE
def test_formula_cells_are_read_as_the_values_the_workbook_stores(
    saved_by_libreoffice: dict[str, Path], inputs_copy: Path, edition_2024
):
    workbook = saved_by_libreoffice["values"]
    formulas = load_workbook(workbook)["thematics"]
    assert {cell: formulas[cell].data_type for cell in FORMULAS} == dict.fromkeys(FORMULAS, "f")  # still formulas
    _with_workbook(inputs_copy, workbook)
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    assert edition.tables.keys() == edition_2024.tables.keys()
    for name, frame in edition_2024.tables.items():
        assert_frame_equal(edition.tables[name], frame, check_exact=True)
    code, output = fir_check(inputs_copy, 2024)
    assert code == 0 and "538 736 879 €" in output, output


@NEEDS_LIBREOFFICE
def test_a_formula_whose_stored_value_is_an_error_is_refused_with_its_cell(
    saved_by_libreoffice: dict[str, Path], inputs_copy: Path
):
    _with_workbook(inputs_copy, saved_by_libreoffice["errors"])
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    assert _problems(caught) == [
        f"{E24}/figures.xlsx, feuille « thematics », cellule E4, colonne « Montant (amount) » : valeur « "
        "=41139625/0 » — "
        "attendu : une formule dont le résultat n'est pas une erreur (résultat enregistré : #DIV/0!)"
    ]


def test_a_formula_saved_without_its_value_is_refused_with_its_cell(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    book_path = csv_to_xlsx(folder)
    book = load_workbook(book_path)
    book["thematics"]["E27"] = "=SUM(E2:E26)"  # openpyxl writes formulas without computing them
    book["parts"]["A1"] = '=LOWER("PART_ID")'  # a header cell: no column to name
    book.save(book_path)
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    uncomputed = (
        "attendu : une formule enregistrée avec sa valeur calculée (le fichier n'en contient pas : "
        "ouvrir et enregistrer le classeur dans Excel ou LibreOffice, ou coller en valeurs)"
    )
    problems = _problems(caught)
    assert (
        f"{E24}/figures.xlsx, feuille « thematics », cellule E27, colonne « Montant (amount) » : "
        + (f"valeur « =SUM(E2:E26) » — {uncomputed}")
        in problems
    )
    assert f'{E24}/figures.xlsx, feuille « parts », cellule A1 : valeur « =LOWER("PART_ID") » — {uncomputed}' in (
        problems
    )


def test_an_error_typed_in_a_cell_is_refused(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    book_path = csv_to_xlsx(folder)
    book = load_workbook(book_path)
    book["parts"]["C2"] = "#N/A"
    book["parts"]["C2"].data_type = "e"
    book.save(book_path)
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    assert _problems(caught) == [
        f"{E24}/figures.xlsx, feuille « parts », cellule C2, colonne « Titre (title) » : valeur « #N/A » — "
        "attendu : une valeur, pas une erreur de calcul"
    ]


# --- hidden sheets, notes sheets --------------------------------------------------------------------


def _workbook_with(folder: Path, *sheets: tuple[str, str]) -> None:
    """figures.xlsx from the edition's CSV files, plus sheets (name, state) — or a table sheet's state."""
    book_path = csv_to_xlsx(folder)
    book = load_workbook(book_path)
    for name, state in sheets:
        sheet = book[name] if name in book.sheetnames else book.create_sheet(name)
        if sheet.max_row == 1 and sheet.max_column == 1:
            sheet.append(["note", "à relire"])
        sheet.sheet_state = state
    book.save(book_path)


def test_hidden_and_notes_sheets_are_ignored_and_listed_by_fir_check(inputs_copy: Path, edition_2024):
    _workbook_with(
        inputs_copy / REGION / "2024", ("_notes", "visible"), ("Brouillon", "hidden"), ("Calculs", "veryHidden")
    )
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    for name, frame in edition_2024.tables.items():
        assert_frame_equal(edition.tables[name], frame, check_exact=True)
    code, output = fir_check(inputs_copy, 2024)
    assert code == 0, output
    workbook = f"      où : {E24}/figures.xlsx\n"
    assert (
        "Lecture des fichiers (inputs)\n"
        "  [information] feuille « _notes » ignorée : son nom commence par « _ » (notes)\n"
        + workbook
        + "  [information] feuille « Brouillon » ignorée : elle est masquée\n"
        + workbook
        + "  [information] feuille « Calculs » ignorée : elle est masquée\n"
        + workbook
    ) in output
    published = len(reconcile.validate(edition_2024).warnings) + 1  # + no web address set (validate/address.py)
    assert f"Bilan : 0 erreur(s), {published} avertissement(s)" in output  # information is not a warning


def test_a_hidden_table_sheet_is_ignored_with_a_warning(inputs_copy: Path):
    _workbook_with(inputs_copy / REGION / "2024", ("cp_by_nature", "hidden"))
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    assert "cp_by_nature" not in edition.tables
    [warning] = [f for f in reconcile.validate(edition).findings if f.table == "inputs"]
    assert (warning.level, warning.where) == ("warning", f"{E24}/figures.xlsx")
    assert warning.message == (
        "feuille « cp_by_nature » masquée, donc ignorée : la table « cp_by_nature » n'est pas lue de ce classeur "
        "(afficher la feuille pour qu'elle le soit)"
    )


def test_a_required_table_on_a_hidden_sheet_is_missing_and_said_hidden(inputs_copy: Path):
    _workbook_with(inputs_copy / REGION / "2024", ("execution", "hidden"))
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2024)
    assert _problems(caught) == [
        f"{E24}/figures.xlsx — attendu : la table « execution » (execution.csv, ou une feuille « execution » de "
        "figures.xlsx) ; la feuille « execution » est masquée : l'afficher"
    ]


# --- what the file system holds instead of a file ---------------------------------------------------


def _replace(path: Path, by: str) -> None:
    """Put something else where the file `path` was: a folder, a link to nowhere, a looping link, a FIFO."""
    path.unlink()
    if by == "folder":
        path.mkdir()
    elif by == "broken link":
        path.symlink_to("/nonexistent/thematics.csv")
    elif by == "looping link":
        path.symlink_to(path.name)
    elif by == "fifo":
        os.mkfifo(path)


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("folder", "un fichier, pas un dossier"),
        (
            "broken link",
            "un fichier lisible (c'est un lien symbolique vers « /nonexistent/thematics.csv », qui n'existe pas)",
        ),
        ("looping link", "un fichier lisible (c'est un lien symbolique qui boucle sur lui-même)"),
        ("fifo", "un fichier ordinaire, pas un tube nommé (FIFO)"),  # read without waiting for a writer
    ],
)
@pytest.mark.parametrize("file", ["thematics.csv", "edition.toml", "texts/fir.md"])
def test_something_else_than_a_file_is_a_located_input_error(inputs_copy: Path, file: str, by: str, expected: str):
    _replace(inputs_copy / REGION / "2024" / file, by)
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1, output
    assert f"  - {E24}/{file} — attendu : {expected}\n" in output
    assert "Traceback" not in output


def test_a_workbook_replaced_by_a_broken_link_is_not_taken_as_absent(inputs_copy: Path):
    (inputs_copy / REGION / "2024" / "figures.xlsx").symlink_to("figures-2024.xlsx")
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1
    assert (
        f"{E24}/figures.xlsx — attendu : un fichier lisible (c'est un lien symbolique vers « figures-2024.xlsx »"
        in (output)
    )


def test_a_file_the_system_refuses_to_read_is_a_located_input_error(inputs_copy: Path, monkeypatch: pytest.MonkeyPatch):
    # Tests run as root, for whom `chmod 000` does not prevent reading: the refusal is simulated where
    # the reader opens files, with the error the system gives a user without the right.
    refused = inputs_copy / REGION / "2024" / "parts.csv"
    real_open = os.open

    def open_refusing(path, flags, *args, **kwargs):
        if Path(path) == refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", open_refusing)
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1, output
    assert (
        f"{E24}/parts.csv — attendu : un fichier lisible (lecture refusée : donner le droit de lecture à "
        "l'utilisateur qui lance la commande)"
    ) in output


def test_texts_as_a_file_and_a_folder_named_like_a_text_are_located(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    shutil.rmtree(folder / "texts" / "thematics")
    (folder / "texts" / "thematics.md").mkdir()
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1 and f"{E24}/texts/thematics.md — attendu : un fichier, pas un dossier" in output, output
    shutil.rmtree(folder / "texts")
    (folder / "texts").write_text("textes", encoding="utf-8")
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1 and f"{E24}/texts — attendu : un dossier texts/ contenant les textes (.md)" in output, output


# --- _reference/missions.csv -------------------------------------------------------------------------

REFERENCE = "_reference/missions.csv"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "mission;short_label\nun;Prévention\n",
            [
                f"{REFERENCE}, ligne 2, colonne « Numéro de la mission (mission) » : valeur « un » — attendu : "
                "un nombre entier (au plus 9 chiffres)"
            ],
        ),
        (
            "mission;label\n1;Prévention\n",
            [
                f"{REFERENCE}, ligne 1, colonne « label » : valeur « label » — attendu : une colonne parmi : "
                "mission, short_label",
                f"{REFERENCE}, ligne 1, colonne « Nom court de la mission (short_label) » — attendu : "
                "une colonne « Nom court de la mission (short_label) » (un texte non vide)",
            ],
        ),
        (
            "mission;short_label\n1;Prévention\n1;Parcours\n",
            [
                f"{REFERENCE}, ligne {line}, colonne « Numéro de la mission (mission) » : valeur « 1 » — "
                "attendu : une valeur de « Numéro de la mission (mission) » "
                "unique dans la table (doublon)"
                for line in (2, 3)
            ],
        ),
        (
            "mission;short_label\n1;\n",
            [
                f"{REFERENCE}, ligne 2, colonne « Nom court de la mission (short_label) » : valeur «  » — attendu : "
                "un texte non vide (la cellule est vide)"
            ],
        ),
        (
            "",
            [
                f"{REFERENCE}, ligne 1 — attendu : "
                "un en-tête de colonnes puis des lignes de données (le fichier est vide)"
            ],
        ),
        ("mission;short_label\n", [f"{REFERENCE}, ligne 1 — attendu : au moins une ligne de données après l'en-tête"]),
        (b"\x00\x01\x02PK", [f"{REFERENCE} — attendu : un fichier texte CSV (il contient des octets nuls)"]),
    ],
    ids=["not-a-number", "misspelt-column", "duplicate", "empty-label", "empty-file", "header-only", "binary"],
)
def test_a_bad_missions_reference_is_a_located_input_error(
    inputs_copy: Path, content: str | bytes, expected: list[str]
):
    path = inputs_copy / REFERENCE
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1, output
    for problem in expected:
        assert f"  - {problem}\n" in output, output


def test_a_windows_1252_missions_reference_is_read_with_a_warning(inputs_copy: Path):
    path = inputs_copy / REFERENCE
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    assert "Promotion de la santé et prévention" in edition.missions_ref["short_label"].to_list()
    assert [(n.level, n.source) for n in edition.notices] == [("warning", REFERENCE)]


def test_the_missions_reference_frame_is_unchanged(edition_2018):
    assert edition_2018.missions_ref.columns == ["mission", "short_label"]
    assert edition_2018.missions_ref["mission"].to_list() == [1, 2, 3, 4, 5]


def test_a_logo_that_is_a_looping_link_is_a_located_input_error(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    meta = folder / "edition.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("[brand]\n", '[brand]\nlogo = "logo.svg"\n'), "utf-8")
    (folder / "logo.svg").symlink_to("logo.svg")
    code, output = fir_check(inputs_copy, 2024)
    assert code == 1
    assert (
        f"{E24}/edition.toml, colonne « brand.logo » : valeur « logo.svg » — attendu : "
        "un fichier logo lisible (c'est un lien symbolique qui boucle)"
    ) in output


def test_a_windows_1252_nomenclature_is_read_with_a_warning_and_the_ledger_stays_utf8(inputs_copy: Path):
    from tests.test_ledger_edition import _write_ledger

    folder = inputs_copy / REGION / "2018"
    _write_ledger(folder)
    nomenclature = folder / "nomenclature.csv"
    nomenclature.write_bytes(nomenclature.read_text(encoding="utf-8").encode("cp1252"))
    edition = ingest.read_edition(inputs_copy, REGION, 2018)
    assert [(n.level, n.source) for n in edition.notices] == [("warning", f"{REGION}/2018/nomenclature.csv")]
    ledger = folder / "ledger.csv"
    ledger.write_bytes(ledger.read_text(encoding="utf-8").encode("cp1252"))
    with pytest.raises(InputError, match=r"ledger\.csv, ligne 2 — attendu : un fichier encodé en UTF-8"):
        ingest.read_edition(inputs_copy, REGION, 2018)

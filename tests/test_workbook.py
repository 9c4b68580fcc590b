"""`fir workbook`: the edition's tables as a figures.xlsx for people, read back to the very same frames."""

from __future__ import annotations

import contextlib
import gc
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import cli
from flows.edition.authoring.workbook import COLUMN_TITLES, LAST_ROW, earlier_edition, workbook_bytes
from flows.edition.errors import InputError
from flows.edition.ingest.snapshot import Edition, read_edition
from flows.edition.ingest.xlsx_cells import column_name, helper_header
from tests.check_helpers import SOFFICE, fir_check
from tests.conftest import REGION
from tests.helpers import csv_to_xlsx


def _fir(*args: str) -> tuple[int, str]:
    """A `fir` command in this process: (exit code, stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        gc.unfreeze()  # the command freezes the collector as it ends; the tests go on
    return code, out.getvalue() + err.getvalue()


def _as_workbook(inputs: Path, year: int, with_earlier: bool = False) -> tuple[Edition, Path]:
    """The edition read from its CSV files, then written as figures.xlsx in place of them (`with_earlier`:
    with the earlier edition's figures beside, as `fir workbook` writes it)."""
    edition = read_edition(inputs, REGION, year)
    earlier = earlier_edition(inputs, REGION, year)[0] if with_earlier else None
    folder = inputs / REGION / str(year)
    for path in folder.glob("*.csv"):
        path.unlink()
    target = folder / "figures.xlsx"
    target.write_bytes(workbook_bytes(edition, earlier, inputs))
    return edition, target


def _assert_same_tables(before: Edition, after: Edition) -> None:
    assert list(after.tables) == list(before.tables) or set(after.tables) == set(before.tables)
    for name, frame in before.tables.items():
        assert after.tables[name].equals(frame), name


def _without_file_names(output: str) -> str:
    """A `fir check` report with its file names and cell references left out: what must not change."""
    output = re.sub(r"figures\.xlsx, feuille « (\w+) »", r"\1.csv", output)
    return re.sub(r"(, )?cellule [A-Z]+\d+", "", output)


@pytest.mark.parametrize("year", [2018, 2024])
def test_export_then_import_gives_the_same_frames_and_the_same_check(inputs_copy: Path, year: int):
    code_csv, check_csv = fir_check(inputs_copy, year)
    edition, path = _as_workbook(inputs_copy, year, with_earlier=True)
    if year == 2024:  # 2018's figures beside, for memory: the reader leaves them aside
        revenue = load_workbook(path)["revenue"]
        headers = [cell.value for cell in revenue[1]]
        final = headers.index("Montant final de l'année (final)") + 1
        assert headers[final] == "Pour mémoire : 2018"
        # the lines titres-de-recettes (row 3) and total (row 4) are in both editions: 2018's final, in euros
        assert [revenue.cell(row, final + 1).value for row in (2, 3, 4)] == [None, 2_640_727, 305_600_382]
        assert revenue.cell(4, final + 1).number_format == '#,##0" €"'
    again = read_edition(inputs_copy, REGION, year)
    _assert_same_tables(edition, again)
    assert again.notices == edition.notices  # the guide sheet is left aside without a word
    code_xlsx, check_xlsx = fir_check(inputs_copy, year)
    assert (code_xlsx, _without_file_names(check_xlsx)) == (code_csv, _without_file_names(check_csv))


def _validations(sheet) -> dict[str, str]:
    """Column letter → the list a drop-down offers, for every drop-down of a sheet."""
    found = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        for cell_range in validation.sqref.ranges:
            assert (cell_range.min_row, cell_range.max_row) == (2, LAST_ROW)
            found[cell_range.coord.rstrip("0123456789").split(":")[0].rstrip("0123456789")] = validation.formula1
    return found


def test_the_workbook_offers_drop_downs_for_every_closed_set(inputs_copy: Path):
    _, path_2024 = _as_workbook(inputs_copy, 2024)
    _, path_2018 = _as_workbook(inputs_copy, 2018)
    book = load_workbook(path_2024)
    assert book.sheetnames == [
        "À lire",
        "revenue",
        "revenue_priorities",
        "execution",
        "cp_by_nature",
        "thematics",
        "parts",
        "actions",
        "action_amounts",
        "key_figures",
    ]
    units = '"€,k€,M€"'
    assert _validations(book["revenue"]) == {"B": '"line,total"', "E": units}
    assert _validations(book["revenue_priorities"]) == {"D": units}
    assert _validations(book["execution"]) == {"A": '"AE,CP"', "C": units}
    assert _validations(book["cp_by_nature"]) == {"C": units}
    assert _validations(book["thematics"]) == {"B": '"line,total"', "E": units}
    assert _validations(book["parts"]) == {}
    actions = f"actions!$A$2:$A${LAST_ROW}"
    assert _validations(book["actions"]) == {"B": f"parts!$A$2:$A${LAST_ROW}", "C": actions}
    assert _validations(book["action_amounts"]) == {"A": actions, "D": units}
    assert _validations(book["key_figures"]) == {"A": actions, "C": '"%,€,k€,M€"'}
    assert _validations(load_workbook(path_2018)["missions"]) == {"A": '"1,2,3,4,5"', "B": units}


def test_the_header_row_titles_each_column_in_french_and_keeps_the_contract_name_the_reader_reads(
    inputs_copy: Path,
):
    _, path = _as_workbook(inputs_copy, 2024)
    sheet = load_workbook(path)["thematics"]
    header = [c.value for c in sheet[1]][:8]
    assert header[:3] == [
        "Identifiant de la thématique (thematic_id)",
        "Genre : ligne ou total (kind)",
        "Libellé imprimé (label)",
    ]
    assert header[5] == "Montant (amount)"
    assert [column_name(text) for text in header] == [
        "thematic_id",
        "kind",
        "label",
        "label_in_sentence",
        "unit",
        "amount",
        "published_share_pct",
        "published_headline",
    ]
    assert column_name("amount") == "amount" and column_name("Total (M€) (final)") == "final"
    # No table column is ever taken for a help column (« Pour mémoire… », « Contrôle… », « _… »), left unread.
    assert not [t for titles in COLUMN_TITLES.values() for t in titles.values() if helper_header(t)]
    assert helper_header("Pour mémoire : 2024") and helper_header("Contrôle : somme des lignes — Montant")
    assert sheet["F1"].comment.text.startswith("Montant\n")
    assert sheet["A1"].alignment.wrap_text
    assert sheet.freeze_panes == "A2"
    assert sheet["F2"].number_format == "#,##0" and sheet["G2"].number_format == "0.0"
    revenue = load_workbook(path)["revenue"]
    assert revenue["K2"].value == 517.1 and revenue["K2"].number_format == "#,##0.0"


def test_each_declared_total_has_its_check_sum_beside_it(inputs_copy: Path):
    _, path_2018 = _as_workbook(inputs_copy, 2018)
    _, path_2024 = _as_workbook(inputs_copy, 2024)
    thematics = load_workbook(path_2024)["thematics"]
    assert thematics["I1"].value == "Contrôle : somme des lignes — Montant"
    total_row = next(row for row in range(2, thematics.max_row + 1) if thematics[f"B{row}"].value == "total")
    assert thematics[f"I{total_row}"].value == f'=SUMIF($B$2:$B${LAST_ROW},"line",F$2:F${LAST_ROW})'
    rules = [rule for ranges in thematics.conditional_formatting for rule in ranges.rules]
    # Coloured when the gap is more than the declared total's own rounding: here half a euro.
    assert [rule.formula for rule in rules] == [[f"ABS(I{total_row}-F{total_row})>0.5"]]
    revenue = load_workbook(path_2018)["revenue"]
    # 2018 declares a total for the previous year, BR1, BR2, BR3 and the final revenue (no BR4): one check each.
    assert [c.value for c in revenue[1]][11:] == [
        "Contrôle : somme des lignes — Montant final de l'année précédente",
        "Contrôle : somme des lignes — Budget rectificatif 1",
        "Contrôle : somme des lignes — Budget rectificatif 2",
        "Contrôle : somme des lignes — Budget rectificatif 3",
        "Contrôle : somme des lignes — Montant final de l'année",
    ]
    assert revenue["L7"].value == f'=SUMIF($B$2:$B${LAST_ROW},"line",F$2:F${LAST_ROW})'
    assert revenue["P7"].value == f'=SUMIF($B$2:$B${LAST_ROW},"line",K$2:K${LAST_ROW})'
    assert revenue["L2"].value is None  # only beside the total


def test_the_amounts_executed_have_the_sums_they_are_reconciled_with_beside_them(inputs_copy: Path):
    _, path_2018 = _as_workbook(inputs_copy, 2018)
    _, path_2024 = _as_workbook(inputs_copy, 2024)
    execution = load_workbook(path_2018)["execution"]
    assert execution["G1"].value == "Contrôle : somme des missions"
    in_euros = '(1+999*(missions!$B$2:$B$1000="k€")+999999*(missions!$B$2:$B$1000="M€"))'
    back = 'IF($C2="M€",1000000,IF($C2="k€",1000,1))'
    assert execution["G2"].value == f"=SUMPRODUCT(missions!$C$2:$C$1000*{in_euros})/{back}"
    execution = load_workbook(path_2024)["execution"]  # no missions table in 2024: natures and thematics
    assert [execution["G1"].value, execution["H1"].value] == [
        "Contrôle : somme des natures",
        "Contrôle : total des thématiques",
    ]
    assert execution["G2"].value is None and execution["H3"].value.startswith(
        '=SUMPRODUCT((thematics!$B$2:$B$1000="total")*thematics!$F$2:$F$1000*'
    )
    rules = [rule.formula for ranges in execution.conditional_formatting for rule in ranges.rules]
    assert rules == [["ABS(G3-D3)>0.05"], ["ABS(H3-D3)>0.05"]]  # 538,7 M€: half a tenth of a million


def test_the_reader_ignores_the_check_columns_whatever_they_hold(inputs_copy: Path):
    edition, path = _as_workbook(inputs_copy, 2024)
    book = load_workbook(path)
    book["thematics"]["I27"] = "n'importe quoi"
    book["thematics"]["I3"] = "=1/0"  # a formula saved without a value, in an ignored column: no error
    book["revenue"]["L4"] = "#REF!"
    book.save(path)
    _assert_same_tables(edition, read_edition(inputs_copy, REGION, 2024))


def test_a_helper_column_between_table_columns_keeps_cell_references_right(inputs_copy: Path):
    folder = inputs_copy / REGION / "2024"
    path = csv_to_xlsx(folder)
    book = load_workbook(path)
    book["parts"].insert_cols(2)
    book["parts"]["B1"] = "_mes notes"
    book["parts"]["B2"] = "=UNE_FORMULE()"
    book["parts"]["C3"] = "deux"  # the `number` column, now in C
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_edition(inputs_copy, REGION, 2024)
    assert [problem.cell for problem in caught.value.problems] == ["C3"]


def test_sheets_other_than_tables_and_the_guide_are_still_refused(inputs_copy: Path):
    _, path = _as_workbook(inputs_copy, 2024)
    book = load_workbook(path)
    book.create_sheet("revenu").append(["line_id"])  # a misspelt table
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_edition(inputs_copy, REGION, 2024)
    assert [problem.value for problem in caught.value.problems] == ["revenu"]


def test_a_second_workbook_to_an_existing_file_is_refused(inputs_copy: Path, tmp_path: Path):
    target = tmp_path / "classeur.xlsx"
    base = ["workbook", "--region", REGION, "--year", "2024", "--inputs", str(inputs_copy)]
    code, output = _fir(*base, "--output", str(target))
    assert code == 0, output
    written = target.read_bytes()
    code, output = _fir(*base, "--output", str(target))
    assert code == 2
    assert f"Le classeur {target} existe déjà : rien n'a été écrit" in output
    assert target.read_bytes() == written
    target.write_bytes(b"autre chose")
    assert _fir(*base, "--output", str(target), "--force")[0] == 0
    assert target.read_bytes()[:2] == b"PK"


def test_by_default_the_workbook_goes_into_the_edition_folder_and_says_the_csv_must_go(inputs_copy: Path):
    base = ["workbook", "--region", REGION, "--year", "2018", "--inputs", str(inputs_copy)]
    code, output = _fir(*base)
    assert code == 0, output
    target = inputs_copy / REGION / "2018" / "figures.xlsx"
    assert target.is_file()
    assert "fir check refusera l'édition tant que ces fichiers CSV resteront dans le dossier" in output
    before = target.read_bytes()
    code, output = _fir(*base)
    assert code == 2 and "existe déjà" in output
    assert target.read_bytes() == before


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/setup.sh installs it)")
def test_a_workbook_opened_and_saved_in_libreoffice_reads_back_the_same(inputs_copy: Path, tmp_path: Path):
    edition, path = _as_workbook(inputs_copy, 2018)
    saved = tmp_path / "saved"
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", "xlsx", "--outdir", str(saved), str(path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    shutil.copy(saved / "figures.xlsx", path)
    _assert_same_tables(edition, read_edition(inputs_copy, REGION, 2018))
    revenue = load_workbook(path, data_only=True)["revenue"]
    assert revenue["P7"].value == 305_600_382  # LibreOffice computed the check sum of the final revenue
    execution = load_workbook(path, data_only=True)["execution"]
    assert execution["G2"].value == 303_543_408  # the AE by mission, one euro above the AE executed
    assert _validations(load_workbook(path)["missions"]) == {"A": '"1,2,3,4,5"', "B": '"€,k€,M€"'}


def test_a_workbook_into_a_folder_that_does_not_exist_is_refused(inputs_copy: Path, tmp_path: Path):
    target = tmp_path / "absent" / "classeur.xlsx"
    code, output = _fir(
        "workbook", "--region", REGION, "--year", "2024", "--inputs", str(inputs_copy), "--output", str(target)
    )
    assert code == 2 and f"Le dossier {target.parent} n'existe pas" in output
    assert not target.parent.exists()


def test_csv_files_beside_the_workbook_give_one_message_naming_them_the_folder_and_the_command(inputs_copy: Path):
    folder = inputs_copy / REGION / "2018"
    tables = sorted(path.name for path in folder.glob("*.csv"))
    assert len(tables) == 7
    code, output = _fir("workbook", "--region", REGION, "--year", "2018", "--inputs", str(inputs_copy))
    assert code == 0, output
    code, output = fir_check(inputs_copy, 2018)
    assert code == 1
    assert output.count("une seule source") == 1 and output.count("  - ") == 1  # one problem, not seven
    assert "7 table(s) sont à la fois dans figures.xlsx et dans un fichier CSV (revenue.csv, " in output
    assert all(name in output for name in tables)
    assert f"déplacez ces fichiers CSV dans {folder / '_anciens-csv'}/ (un dossier que l'outil ne lit pas)" in output
    command = re.search(r"ou lancez « (.+?) »", output)
    assert command is not None and command.group(1).endswith(
        f"workbook --region {REGION} --year 2018 --ranger-csv --inputs {inputs_copy}"
    )
    result = subprocess.run(command.group(1), shell=True, input="o\n", capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Les déplacer dans {folder / '_anciens-csv'}/ (rien n'est supprimé" in result.stdout
    assert "7 fichier(s) déplacé(s)" in result.stdout
    assert sorted(path.name for path in (folder / "_anciens-csv").iterdir()) == tables
    code, output = fir_check(inputs_copy, 2018)  # the workbook alone: the same report as from the CSV files
    assert code == 0, output
    # Asked again, nothing to move; a file already set aside is never replaced.
    shutil.copy(folder / "_anciens-csv" / "revenue.csv", folder / "revenue.csv")
    result = subprocess.run(command.group(1), shell=True, input="o\n", capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "revenue.csv existe(nt) déjà dans" in result.stderr
    assert (folder / "revenue.csv").is_file()


def test_a_notes_sheet_of_ones_own_is_refused_saying_how_to_keep_it(inputs_copy: Path):
    edition, path = _as_workbook(inputs_copy, 2024)
    book = load_workbook(path)
    book.create_sheet("Notes DAF").append(["Relu avec la DAF le 3 mars"])
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_edition(inputs_copy, REGION, 2024)
    (problem,) = caught.value.problems
    assert problem.value == "Notes DAF"
    assert problem.expected.startswith("des feuilles nommées parmi : revenue, revenue_priorities, ")
    assert problem.expected.endswith(
        "Une feuille à vous (notes, calculs) peut rester dans le classeur sans être lue : renommez-la en "
        "commençant par « _ » (« _Notes DAF ») ou masquez-la (clic droit sur l'onglet, Masquer)"
    )
    refused = path.read_bytes()
    for keep in ("rename", "hide"):  # either way, as the message says, the sheet stays and is not read
        path.write_bytes(refused)
        book = load_workbook(path)
        if keep == "rename":
            book["Notes DAF"].title = "_Notes DAF"
        else:
            book["Notes DAF"].sheet_state = "hidden"
        book.save(path)
        _assert_same_tables(edition, read_edition(inputs_copy, REGION, 2024))


def test_the_earlier_edition_shown_is_the_latest_before_or_the_one_named_by_from(inputs_copy: Path, tmp_path: Path):
    base = ["workbook", "--region", REGION, "--inputs", str(inputs_copy)]
    code, output = _fir(*base, "--year", "2018", "--output", str(tmp_path / "a.xlsx"))
    assert code == 0, output
    assert f"Sans chiffres pour mémoire : aucune édition de {REGION} antérieure à 2018" in output
    assert not any(str(c.value).startswith("Pour mémoire") for c in load_workbook(tmp_path / "a.xlsx")["revenue"][1])
    assert f"Une fois rempli, l'enregistrer sous {inputs_copy / REGION / '2018' / 'figures.xlsx'}" in output
    code, output = _fir(*base, "--year", "2024", "--from", "2018", "--output", str(tmp_path / "b.xlsx"))
    assert code == 0 and "Les chiffres de l'édition 2018 sont montrés pour mémoire" in output
    code, output = _fir(*base, "--year", "2024", "--from", "2024", "--output", str(tmp_path / "c.xlsx"))
    assert code == 2 and f"Refusé : pas d'édition {REGION} 2024 avant 2024" in output
    assert "(éditions antérieures : 2018) ; rien n'a été écrit." in output and not (tmp_path / "c.xlsx").exists()

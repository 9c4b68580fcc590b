"""Reading CSV and XLSX inputs: same frames from both, located errors for bad files."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.edition.errors import InputError
from flows.edition.ingest import snapshot as ingest
from flows.edition.ingest.texts import parse_text
from tests.conftest import REGION
from tests.helpers import csv_to_xlsx, input_file


@pytest.mark.parametrize("year", [2018, 2024])
def test_csv_and_xlsx_give_identical_frames(inputs_copy, year):
    from_csv = ingest.read_edition(inputs_copy, REGION, year)
    csv_to_xlsx(inputs_copy / REGION / str(year))
    from_xlsx = ingest.read_edition(inputs_copy, REGION, year)
    assert from_csv.tables.keys() == from_xlsx.tables.keys()
    for name, frame in from_csv.tables.items():
        assert_frame_equal(frame, from_xlsx.tables[name], check_exact=True)
    assert from_xlsx.sources["revenue"] == f"{REGION}/{year}/figures.xlsx, feuille « revenue »"


def test_comma_separated_utf8_with_bom_and_crlf_reads_the_same(inputs_copy, edition_2018):
    path = inputs_copy / REGION / "2018" / "missions.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    converted = [",".join(f'"{c}"' if "," in c else c for c in line.split(";")) for line in lines]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(converted).encode("utf-8") + b"\r\n")
    edition = ingest.read_edition(inputs_copy, REGION, 2018)
    assert_frame_equal(edition.tables["missions"], edition_2018.tables["missions"])


def test_a_file_in_no_accepted_encoding_is_refused_with_its_line(inputs_copy):
    path = inputs_copy / REGION / "2018" / "revenue.csv"
    lines = path.read_text(encoding="utf-8").encode("cp1252").split(b"\n")  # Windows-1252 alone is read
    lines[2] += b"\x81"  # a byte neither UTF-8 nor Windows-1252 has
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2018)
    message = str(caught.value)
    assert "revenue.csv, ligne 3" in message and "UTF-8 ou en Windows-1252" in message and "0x81" in message
    assert "la table « revenue »" not in message  # no second, misleading "missing table" error


def test_missing_required_table_is_named(inputs_copy):
    (inputs_copy / REGION / "2024" / "execution.csv").unlink()
    with pytest.raises(InputError, match=r"execution\.csv.*la table « execution »"):
        ingest.read_edition(inputs_copy, REGION, 2024)


def test_misspelled_column_names_file_line_and_column(inputs_copy):
    path = inputs_copy / REGION / "2018" / "missions.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("mission;unit;ae;cp", "mision;unit;ae;cp"), encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2018)
    text = str(caught.value)
    assert "missions.csv, ligne 1, colonne « mision »" in text
    assert "colonne « Numéro de la mission (mission) »" in text


def test_non_numeric_amount_names_line_column_value(inputs_copy):
    path = inputs_copy / REGION / "2018" / "missions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("83 576 684", "83 576 68A"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2018)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == (
        f"{REGION}/2018/missions.csv",
        4,
        "ae",
        "83 576 68A",
    )
    assert "montant" in problem.expected


def test_xlsx_formula_and_merged_cells_are_refused_with_cell_reference(inputs_copy):
    from openpyxl import load_workbook

    folder = inputs_copy / REGION / "2018"
    workbook_path = csv_to_xlsx(folder)
    workbook = load_workbook(workbook_path)
    workbook["missions"]["C3"] = "=1+1"
    workbook["revenue"].merge_cells("C2:D2")
    workbook.save(workbook_path)
    with pytest.raises(InputError) as caught:
        ingest.read_edition(inputs_copy, REGION, 2018)
    text = str(caught.value)
    assert "feuille « missions », cellule C3" in text and "formule" in text
    assert "cellule C2:D2" in text and "fusionn" in text


def test_workbook_tables_are_attached_as_csv_that_read_back_identically(inputs_copy, edition_2024):
    csv_to_xlsx(inputs_copy / REGION / "2024")
    edition = ingest.read_edition(inputs_copy, REGION, 2024)
    attachments = dict(edition.attachments)
    assert set(attachments) == {f"{name}.csv" for name in edition_2024.tables}
    folder = inputs_copy / REGION / "2024"
    (folder / "figures.xlsx").unlink()
    for name, data in attachments.items():
        (folder / name).write_bytes(data)
    back = ingest.read_edition(inputs_copy, REGION, 2024)
    for name, frame in edition_2024.tables.items():
        assert_frame_equal(back.tables[name], frame)


def test_not_a_workbook(inputs_copy):
    folder = inputs_copy / REGION / "2018"
    shutil.copy(folder / "missions.csv", folder / "figures.xlsx")
    with pytest.raises(InputError, match=r"figures\.xlsx.*classeur Excel \.xlsx valide"):
        ingest.read_edition(inputs_copy, REGION, 2018)


def test_year_folder_must_agree_with_metadata(inputs_copy):
    path = inputs_copy / REGION / "2018" / "edition.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("year = 2018", "year = 2019"), encoding="utf-8")
    with pytest.raises(InputError, match=r"edition\.toml, colonne « year » : valeur « 2019 » — attendu : 2018"):
        ingest.read_edition(inputs_copy, REGION, 2018)


def test_broken_front_matter_is_located(inputs_copy):
    path = inputs_copy / REGION / "2024" / "texts" / "fir.md"
    path.write_text("---\ntitle: [unclosed\n---\nTexte.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"texts/fir.md, ligne \d+ — attendu : un en-tête YAML valide"):
        ingest.read_edition(inputs_copy, REGION, 2024)


@pytest.mark.parametrize(
    ("raw", "metadata", "body", "body_line"),
    [
        ("---\ntitle: A\n---\nCorps\n", {"title": "A"}, "Corps", 4),
        ("\n\n---\ntitle: A\n---\n\nCorps\nsuite", {"title": "A"}, "Corps\nsuite", 7),
        ("---\n---\nCorps", {}, "Corps", 3),
        ("Corps\n---\nsuite\n---\n", {}, "Corps\n---\nsuite\n---", 1),  # rules in the body, no header
        ("+++\na\n+++\nCorps", {}, "+++\na\n+++\nCorps", 1),  # not a TOML header: body text
    ],
)
def test_front_matter_is_yaml_only_and_the_body_line_is_the_files(tmp_path, raw, metadata, body, body_line):
    path = tmp_path / "texte.md"
    path.write_text(raw, encoding="utf-8")
    text = parse_text(input_file(path, "texts/texte.md"), "texte")
    assert (text.body, text.body_line) == (body, body_line)


@pytest.mark.parametrize("header", ["0: 1", "- une liste"])
def test_a_header_that_is_not_a_mapping_of_names_is_located(tmp_path, header):
    path = tmp_path / "texte.md"
    path.write_text(f"---\n{header}\n---\nCorps\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"texts/texte.md, ligne 2 — attendu : un en-tête YAML de la forme"):
        parse_text(input_file(path, "texts/texte.md"), "texte")


def test_real_editions_are_listed(edition_2024):
    from flows import paths

    assert (REGION, 2018) in ingest.list_editions(paths.INPUTS_DIR)
    assert (REGION, 2024) in ingest.list_editions(paths.INPUTS_DIR)
    assert edition_2024.tables["thematics"].filter(pl.col("kind") == "line").height == 25

"""`fir new` makes next year's edition from the previous one; `fir check` then lists what is still to fill
in as a to-do list, and nothing is built until it is empty."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import cli
from flows.edition.authoring import carry_over
from flows.edition.authoring.markers import marked_line
from flows.edition.ingest.snapshot import Snapshot, read_edition
from flows.edition.ingest.texts import parse_text
from flows.edition.ingest.xlsx_cells import column_name
from flows.edition.prepare import prepare
from flows.edition.validate.missing import IncompleteEdition, texts_todo
from tests.check_helpers import SOFFICE, fir_check, save_with_libreoffice
from tests.conftest import REGION
from tests.helpers import fir, input_file

TABLES_2024 = [
    "action_amounts.csv",
    "actions.csv",
    "cp_by_nature.csv",
    "execution.csv",
    "key_figures.csv",
    "parts.csv",
    "revenue.csv",
    "revenue_priorities.csv",
    "thematics.csv",
]
MARK_2024 = "<!-- À RÉÉCRIRE : texte de l'édition 2024, à mettre à jour pour 2025, puis supprimer cette ligne -->"


def _fir(*args: object) -> tuple[int, str]:
    """A `fir` command in this process: (exit code, stdout + stderr, French spaces as plain spaces)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([str(a) for a in args])
    finally:
        gc.unfreeze()  # the command freezes the collector as it ends; the tests go on
    return code, (out.getvalue() + err.getvalue()).replace("\u202f", " ").replace("\u00a0", " ")


def _new(inputs: Path, year: int, *more: object) -> tuple[int, str]:
    return _fir("new", "--region", REGION, "--year", year, "--inputs", inputs, *more)


def _tree_digest(folder: Path) -> str:
    """One SHA-256 over every path and file content under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture
def edition_2025(inputs_copy: Path) -> Path:
    code, output = _new(inputs_copy, 2025)
    assert code == 0, output
    return inputs_copy / REGION / "2025"


def test_new_from_2024_makes_2025_with_the_same_rows_and_empty_amounts(inputs_copy: Path, edition_2025: Path):
    source = inputs_copy / REGION / "2024"
    files = sorted(p.relative_to(edition_2025).as_posix() for p in edition_2025.rglob("*") if p.is_file())
    texts = sorted(p.relative_to(source).as_posix() for p in (source / "texts").rglob("*.md"))
    assert len(texts) == 77
    assert files == sorted(["edition.toml", *TABLES_2024, *texts])

    meta = tomllib.loads((edition_2025 / "edition.toml").read_text(encoding="utf-8"))
    assert meta["year"] == 2025
    assert meta["title"] == "Le Fonds d'intervention régional 2025"
    assert meta["thematic_subset"]["title"] == "Répartition du FIR 2025 hors investissements et permanence des soins"
    assert meta["thematic_subset"]["exclude"] == ["investissements", "permanence-des-soins"]

    # The previous year's column is 2024's final revenue, as typed; this year's is to type ("?").
    assert _lines(edition_2025 / "revenue.csv") == [
        "line_id;kind;label;reference;unit;previous_year;final",
        "delegations-nationales;line;Délégations nationales (arrêtés);;M€;517,1;?",
        "titres-de-recettes;line;Titres de recettes recouvrés par l'agent comptable;;M€;5,1;?",
        "total;total;Total des recettes;;M€;522,2;?",
    ]
    assert _lines(edition_2025 / "execution.csv") == [
        "budget;label;unit;executed;opened;rate_pct",
        "AE;Autorisations d'engagement;M€;;;?",
        "CP;Crédits de paiement;M€;;;?",
    ]
    # Same thematics, same units, amounts empty; the shares and headings 2024 printed are not carried over.
    thematics = _lines(edition_2025 / "thematics.csv")
    assert thematics[0] == "thematic_id;kind;label;unit;amount"
    assert thematics[1] == "investissements;line;Investissements en ES et ESMS;€;"
    assert thematics[-1] == "total;total;Total;€;"
    before = [line.split(";")[:4] for line in _lines(source / "thematics.csv")[1:]]
    assert [line.split(";")[:4] for line in thematics[1:]] == before
    assert _lines(edition_2025 / "action_amounts.csv")[24:26] == [
        "p3-culture-palliative;au total pour le CSPHF;;k€;",
        "p3-culture-palliative;pour l'équipe;dont;k€;",
    ]
    # Parts and actions keep their ids and order; their titles are marked to be rewritten.
    assert _lines(edition_2025 / "parts.csv")[1] == (
        "territoires-prioritaires;1;[À RÉÉCRIRE, texte de 2024] Une action renforcée au bénéfice de territoires "
        "prioritaires"
    )
    actions = [line.split(";")[:3] for line in _lines(edition_2025 / "actions.csv")]
    assert actions == [line.split(";")[:3] for line in _lines(source / "actions.csv")]
    assert _lines(edition_2025 / "key_figures.csv")[1] == (
        "p2-cls-dynamique;;;CLS;[À RÉÉCRIRE, texte de 2024] dans la région après 26 contrats ou chartes "
        "d'engagement signés en 2024 / début 2025"
    )
    # Every text is the 2024 text under a first line saying it is to be rewritten.
    for text in texts:
        assert (edition_2025 / text).read_text(encoding="utf-8") == (
            MARK_2024 + "\n\n" + (source / text).read_text(encoding="utf-8")
        ), text


def test_previous_year_is_2024s_final_revenue(edition_2025: Path, edition_2024):
    inputs = edition_2025.parent.parent
    made = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    revenue = made.tables["revenue"]
    final_2024 = edition_2024.tables["revenue"]
    assert revenue["line_id"].to_list() == final_2024["line_id"].to_list()
    assert revenue["previous_year"].to_list() == final_2024["final"].to_list() == [517_100_000, 5_100_000, 522_200_000]
    assert revenue["previous_year_dp"].to_list() == [1, 1, 1]
    assert revenue["final"].to_list() == [None, None, None]
    assert made.todo.table("revenue").placeholders == {(2, "final"), (3, "final"), (4, "final")}


def test_check_lists_what_remains_table_by_table_and_text_by_text(edition_2025: Path):
    code, output = fir_check(edition_2025.parent.parent, 2025)
    assert code == 1
    assert "Traceback" not in output and "ERREUR" not in output
    assert output.startswith("Édition hauts-de-france 2025 incomplète : ce qui reste à compléter")
    for expected in (
        "  Recettes (hauts-de-france/2025/revenue.csv) : 3 cellules à compléter\n"
        "    Montant final de l'année (final) : 3 montants à saisir (lignes 2 à 4)",
        "  Exécution AE / CP (hauts-de-france/2025/execution.csv) : 4 cellules à compléter\n"
        "    Montant exécuté dans l'année (executed) : 2 montants à saisir (lignes 2, 3)\n"
        "    Taux d'exécution publié, en % (rate_pct) : 2 valeurs à saisir (lignes 2, 3)",
        "  Dépenses par thématique (hauts-de-france/2025/thematics.csv) : 26 cellules à compléter\n"
        "    Montant (amount) : 26 montants à saisir (lignes 2 à 27)",
        "  Sections et actions (hauts-de-france/2025/actions.csv) : 55 cellules à compléter\n"
        "    Titre publié (title) : 55 textes à réécrire (lignes 2 à 56)",
        "  Chiffres clés (hauts-de-france/2025/key_figures.csv) : 56 cellules à compléter\n"
        "    Nombre (value) : 28 valeurs à saisir (lignes 2 à 29)\n"
        "    Détail, en petit (detail) : 28 textes à réécrire (lignes 2 à 29)",
        "  hauts-de-france/2025/texts/fir.md (ligne 1)",
        "  hauts-de-france/2025/texts/thematics/cancer.md (ligne 1)",
    ):
        assert expected in output, expected
    assert output.count(".md (ligne 1)") == 77
    assert output.rstrip().endswith("À compléter : 9 tableaux (190 cellules), 77 textes. Rien n'a été publié.")


def test_the_list_written_to_a_reader_that_left_ends_quietly(edition_2025: Path):
    """`fir check … | head`: a reader that has left (here before the first line) gets no traceback."""
    inputs = shlex.quote(str(edition_2025.parent.parent))
    command = f"{shlex.quote(sys.executable)} -m flows.cli check --region {REGION} --year 2025 --inputs {inputs} | true"
    run = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr, run.stderr
    assert run.returncode == 141  # as a shell reports a command ended by SIGPIPE


def test_build_refuses_with_the_same_list_and_builds_nothing(edition_2025: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    run = fir("build", "--region", REGION, "--year", 2025, "--inputs", edition_2025.parent.parent, "--outputs", outputs)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output
    assert "  Recettes (hauts-de-france/2025/revenue.csv) : 3 cellules à compléter" in output
    assert "À compléter : 9 tableaux (190 cellules), 77 textes. Rien n'a été publié." in output
    assert not list(outputs.rglob("*.pdf")) if outputs.exists() else True


def test_a_second_new_on_the_same_year_is_refused_and_changes_nothing(inputs_copy: Path, edition_2025: Path):
    before = _tree_digest(inputs_copy)
    code, output = _new(inputs_copy, 2025)
    assert code == 2
    assert f"Refusé : {edition_2025} existe déjà : rien n'a été écrit" in output
    assert _tree_digest(inputs_copy) == before
    # Even an edition only begun (an empty folder) is never written into.
    (inputs_copy / REGION / "2026").mkdir()
    before = _tree_digest(inputs_copy)
    assert _new(inputs_copy, 2026, "--from", 2024)[0] == 2
    assert _tree_digest(inputs_copy) == before


def test_sources_that_cannot_be_used_are_refused_with_exit_2(inputs_copy: Path, edition_2025: Path):
    before = _tree_digest(inputs_copy)
    code, output = _new(inputs_copy, 2017)
    assert (code, "aucune édition de hauts-de-france antérieure à 2017" in output) == (2, True)
    code, output = _new(inputs_copy, 2030, "--from", 2020)
    assert (code, "l'édition hauts-de-france 2020 n'existe pas" in output) == (2, True)
    # The latest edition before 2026 is 2025, still to fill in: not a starting point.
    code, output = _new(inputs_copy, 2026)
    assert code == 2 and "l'édition hauts-de-france 2025 est elle-même incomplète" in output, output
    assert _tree_digest(inputs_copy) == before
    assert not [p for p in (inputs_copy / REGION).iterdir() if p.name.startswith(".")]


def test_new_from_2018_carries_its_budget_stages_and_missions(inputs_copy: Path, edition_2018):
    code, output = _new(inputs_copy, 2019, "--from", 2018)
    assert code == 0, output
    folder = inputs_copy / REGION / "2019"
    assert _lines(folder / "revenue.csv") == [
        "line_id;kind;label;reference;unit;previous_year;br1;br2;br3;final",
        "dotation-2017;line;[À RÉÉCRIRE, texte de 2018] Dotation 2017;;€;;;;;",
        "notification-1;line;[À RÉÉCRIRE, texte de 2018] Notification 2018;"
        "[À RÉÉCRIRE, texte de 2018] Circulaire du 11 mai 2018;€;299 310 111;?;?;?;?",
        "notification-2;line;[À RÉÉCRIRE, texte de 2018] 2e notification 2018;"
        "[À RÉÉCRIRE, texte de 2018] Arrêté du 22 juin 2018;€;2 658 808;?;?;?;?",
        "notification-3;line;[À RÉÉCRIRE, texte de 2018] 3e notification 2018;"
        "[À RÉÉCRIRE, texte de 2018] Arrêté du 31 octobre 2018;€;990 736;;;?;?",
        "titres-de-recettes;line;Titres de recettes;;€;2 640 727;;?;?;?",
        "total;total;Total enveloppe;;€;305 600 382;?;?;?;?",
    ]
    assert _lines(folder / "missions.csv") == ["mission;unit;ae;cp", *[f"{m};€;;" for m in range(1, 6)]]
    made = read_edition(inputs_copy, REGION, 2019, allow_incomplete=True)
    assert (
        made.tables["revenue"]["previous_year"].to_list()[1:] == edition_2018.tables["revenue"]["final"].to_list()[1:]
    )
    assert tomllib.loads((folder / "edition.toml").read_text(encoding="utf-8"))["part_label"] == "Orientation"
    code, output = fir_check(inputs_copy, 2019)
    assert code == 1
    assert "  Dépenses par mission (hauts-de-france/2019/missions.csv) : 10 cellules à compléter" in output
    assert "    Budget rectificatif 2 (br2) : 4 montants à saisir (lignes 3, 4, 6, 7)" in output


def _fill_thematics_with_2024(inputs: Path) -> None:
    source = _lines(inputs / REGION / "2024" / "thematics.csv")
    rows = [";".join(line.split(";")[:5]) for line in source]
    (inputs / REGION / "2025" / "thematics.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_filling_a_table_takes_it_off_the_list_and_a_typo_stays_an_error(edition_2025: Path):
    inputs = edition_2025.parent.parent
    _fill_thematics_with_2024(inputs)
    code, output = fir_check(inputs, 2025)
    assert code == 1
    assert "thematics.csv" not in output
    assert "À compléter : 8 tableaux (164 cellules), 77 textes." in output
    # Half the cp_by_nature table typed, one amount with a letter O for a zero: an error, located.
    path = edition_2025 / "cp_by_nature.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("M€;\n", "M€;12O\n", 1), encoding="utf-8")
    code, output = fir_check(inputs, 2025)
    assert code == 1
    assert "Erreurs à corriger d'abord (1) :" in output
    assert re.search(
        r"cp_by_nature\.csv, ligne 2, colonne « Montant \(amount\) » : valeur « 12O » — attendu : un montant", output
    )
    assert "  CP par nature (hauts-de-france/2025/cp_by_nature.csv) : 1 cellule à compléter\n" in output


def test_once_everything_is_filled_the_usual_validation_applies(edition_2025: Path):
    inputs = edition_2025.parent.parent
    for name in TABLES_2024:
        shutil.copy(inputs / REGION / "2024" / name, edition_2025 / name)
    for text in (edition_2025 / "texts").rglob("*.md"):
        content = text.read_text(encoding="utf-8")
        assert marked_line(content) == 0
        text.write_text(content.removeprefix(MARK_2024 + "\n\n"), encoding="utf-8")
    code, output = fir_check(inputs, 2025)
    assert code == 0, output
    assert output.startswith("Édition hauts-de-france 2025 : 9 tables, 77 textes")
    # 5: the edition's 4, and no web address set (the tests set none: validate/address.py)
    assert "Bilan : 0 erreur(s), 5 avertissement(s) — données utilisables." in output


def test_workbook_of_the_new_edition_reads_back_the_same(edition_2025: Path):
    inputs = edition_2025.parent.parent
    before = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    _, check_csv = fir_check(inputs, 2025)
    code, output = _fir("workbook", "--region", REGION, "--year", 2025, "--inputs", inputs)
    assert code == 0, output
    sheet = load_workbook(edition_2025 / "figures.xlsx")["revenue"]
    header = [column_name(cell.value) for cell in sheet[1]]
    assert header[:10] == ["line_id", "kind", "label", "reference", "unit", "previous_year", "br1", "br2", "br3", "br4"]
    # 2024's final revenue beside the cells to type, checks beside the total to type, 2024's sum beside them
    assert header[10:] == [
        "final",
        "Pour mémoire : 2024",
        "Contrôle : somme des lignes — Montant final de l'année précédente",
        "Contrôle : somme des lignes — Montant final de l'année",
        "Pour mémoire : 2024",
    ]
    assert [cell.value for cell in sheet[4]][:6] == ["total", "total", "Total des recettes", None, "M€", 522.2]
    assert [sheet.cell(row, 11).value for row in (2, 3, 4)] == ["?", "?", "?"]
    for name in TABLES_2024:
        (edition_2025 / name).unlink()
    after = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    assert set(after.tables) == set(before.tables)
    for name, frame in before.tables.items():
        assert after.tables[name].equals(frame), name
    assert [t.placeholders for t in after.todo.tables] == [t.placeholders for t in before.todo.tables]
    assert after.todo.texts == before.todo.texts
    code, check_xlsx = fir_check(inputs, 2025)
    assert code == 1
    as_csv = re.sub(r"figures\.xlsx, feuille « (\w+) »", r"\1.csv", check_xlsx)
    assert as_csv == check_csv


def test_an_edition_kept_in_a_workbook_gets_a_workbook(inputs_copy: Path):
    folder_2024 = inputs_copy / REGION / "2024"
    code, output = _fir("workbook", "--region", REGION, "--year", 2024, "--inputs", inputs_copy)
    assert code == 0, output
    for name in TABLES_2024:
        (folder_2024 / name).unlink()
    code, output = _new(inputs_copy, 2025)
    assert code == 0, output
    folder = inputs_copy / REGION / "2025"
    assert sorted(p.name for p in folder.iterdir()) == ["edition.toml", "figures.xlsx", "texts"]
    assert "(chiffres 2024 pour mémoire)" in output
    revenue = load_workbook(folder / "figures.xlsx")["revenue"]
    assert [revenue["K1"].value, revenue["L1"].value, revenue["L4"].value] == [
        "Montant final de l'année (final)",
        "Pour mémoire : 2024",
        522.2,
    ]
    code, output = fir_check(inputs_copy, 2025)
    assert code == 1
    assert "  Recettes (hauts-de-france/2025/figures.xlsx, feuille « revenue ») : 3 cellules à compléter" in output
    with pytest.raises(IncompleteEdition):
        read_edition(inputs_copy, REGION, 2025)


def test_edition_toml_moves_the_year_on_and_flags_other_dates():
    text = 'year = 2024\ntitle = "FIR 2024"\npublished = 2025-03-15\nnote = "chiffres 2023"\n'
    text += '[brand]\nprimary = "#00467f"\n'
    assert carry_over.new_meta(text, 2024, 2025).splitlines()[1:] == [
        "carried_from = 2024  # ce qui reste tel qu'en 2024 est à relire et confirmer",
        "year = 2025",
        'title = "FIR 2025"',
        "published = 2025-03-15  # À VÉRIFIER (fir new) : 2025-03-15 vient de l'édition 2024",
        'note = "chiffres 2023"  # À VÉRIFIER (fir new) : 2023 vient de l\'édition 2024',
        "[brand]",
        'primary = "#00467f"',
    ]


def test_the_mark_goes_after_a_front_matter_and_is_found_at_its_line(tmp_path: Path):
    path = tmp_path / "fir.md"
    path.write_text("---\ntitre: Le FIR\n---\n\nLe FIR finance.\n", encoding="utf-8")
    text = parse_text(input_file(path, "r/2025/texts/fir.md"), "fir")
    marked = carry_over.marked_text(path.read_text(encoding="utf-8"), text.body_line, 2024, 2025)
    assert marked == f"---\ntitre: Le FIR\n---\n\n{MARK_2024}\n\nLe FIR finance.\n"
    path.write_text(marked, encoding="utf-8")
    again = parse_text(input_file(path, "r/2025/texts/fir.md"), "fir")
    assert [(t.source, t.line) for t in texts_todo({"fir": again})] == [("r/2025/texts/fir.md", 5)]


def test_prepare_refuses_an_edition_read_with_what_it_lacks(edition_2025: Path):
    made = read_edition(edition_2025.parent.parent, REGION, 2025, allow_incomplete=True)
    with pytest.raises(IncompleteEdition) as refused:
        prepare(Snapshot(made))
    assert refused.value.todo == made.todo


def test_a_line_level_ledger_is_not_carried_over_and_it_is_said(inputs_copy: Path):
    from tests.test_ledger_edition import _write_ledger

    _write_ledger(inputs_copy / REGION / "2018")
    code, output = _new(inputs_copy, 2019, "--from", 2018)
    assert code == 0, output
    assert f"Non repris (propres à l'année 2018) : {REGION}/2018/ledger.csv, {REGION}/2018/nomenclature.csv." in output
    folder = inputs_copy / REGION / "2019"
    assert not (folder / "ledger.csv").exists() and not (folder / "nomenclature.csv").exists()
    assert (folder / "missions.csv").exists()


def test_the_2025_workbook_shows_2024s_figures_beside_the_cells_to_type(edition_2025: Path):
    inputs = edition_2025.parent.parent
    before = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    code, output = _fir("workbook", "--region", REGION, "--year", 2025, "--inputs", inputs)
    assert code == 0, output
    assert "Les chiffres de l'édition 2024 sont montrés pour mémoire à côté des cellules à saisir." in output
    book = load_workbook(edition_2025 / "figures.xlsx")

    def beside(sheet_name: str, title: str) -> tuple[int, list]:
        """The column of the header `title` and the values of the column after it, row 2 on."""
        sheet = book[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        column = headers.index(title) + 1
        assert headers[column] == "Pour mémoire : 2024", sheet_name
        return column, [sheet.cell(row, column + 1).value for row in range(2, sheet.max_row + 1)]

    column, memo = beside("revenue", "Montant final de l'année (final)")
    assert memo == [517.1, 5.1, 522.2]  # 2024's final revenue, line by line, in M€
    assert book["revenue"].cell(2, column + 1).number_format == '#,##0.0" M€"'
    assert [book["revenue"].cell(row, column).value for row in (2, 3, 4)] == ["?", "?", "?"]  # still to type
    _, memo = beside("thematics", "Montant (amount)")
    assert memo[0] == 153_285_611 and memo[-1] == 538_736_879  # investissements, and 2024's declared total
    thematics = book["thematics"]
    headers = [cell.value for cell in thematics[1]]
    check = headers.index("Contrôle : somme des lignes — Montant") + 1
    assert headers[check] == "Pour mémoire : 2024"
    assert thematics.cell(thematics.max_row, check + 1).value == 538_736_882  # 2024's lines sum, 3 € above
    _, memo = beside("execution", "Montant exécuté dans l'année (executed)")
    assert memo == [536.9, 538.7]
    _, memo = beside("execution", "Taux d'exécution publié, en % (rate_pct)")
    assert memo == [99.9, 99.8]
    execution = book["execution"]
    headers = [cell.value for cell in execution[1]]
    natures = headers.index("Contrôle : somme des natures") + 1
    assert headers[natures] == "Pour mémoire : 2024" and execution.cell(3, natures + 1).value == 538.7
    _, memo = beside("key_figures", "Nombre (value)")
    assert memo[:2] == [35, 53]  # the key figures of p2-cls-dynamique, in their order
    # Typing into a reference column is refused on the spot, saying where the 2025 figure goes.
    (guard,) = [v for v in book["revenue"].data_validations.dataValidation if v.type == "textLength"]
    assert str(guard.sqref) == "L2:L1000 O2:O1000"
    assert guard.error.endswith("taper le chiffre de 2025 dans la colonne à sa gauche.")
    guide = [row[0] for row in book["À lire"].iter_rows(values_only=True)]
    saved_as = (
        f"inputs/{REGION}/2025/figures.xlsx — sur le poste où ce classeur a été fait : {edition_2025}/figures.xlsx"
    )
    assert any(saved_as in (line or "") for line in guide)
    (csv_files,) = [line for line in guide if "--ranger-csv" in (line or "")]
    assert "les déplacer dans le sous-dossier _anciens-csv/ (l'outil ne le lit pas ; rien n'est perdu)" in csv_files
    # The command the guide gives works as typed from any folder (here answered "no": nothing moves).
    tidy = re.search(r"ou lancer «\u00a0(.+?)\u00a0», qui les y déplace", csv_files)
    assert tidy is not None, csv_files
    refused = _as_typed(tidy.group(1), "n\n", cwd=inputs.parent)
    assert refused.returncode == 2 and "Rien n'a été déplacé." in refused.stdout, refused.stdout + refused.stderr
    assert "revenue.csv" in refused.stdout
    for name in TABLES_2024:  # read back: the same frames, line numbers included, whatever stands beside
        (edition_2025 / name).unlink()
    after = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    for name, frame in before.tables.items():
        assert after.tables[name].equals(frame), name


def _as_typed(command: str, answer: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A command line printed by `fir`, run by a shell as a person would paste it."""
    return subprocess.run(command, shell=True, input=answer, capture_output=True, text=True, timeout=300, cwd=cwd)


def _suggested(output: str, before: str) -> str:
    """The command printed after `before` on a line of `output`."""
    found = re.search(re.escape(before) + r"(.+?)(?: ».*)?$", output, re.MULTILINE)
    assert found is not None, output
    return found.group(1).strip()


def test_every_suggested_command_works_as_typed_with_a_custom_inputs(inputs_copy: Path, tmp_path: Path):
    inputs = tmp_path / "données de l'agence" / "inputs"  # a space and a quote: the shell must get one argument
    inputs.parent.mkdir()
    shutil.move(inputs_copy, inputs)
    code, output = _new(inputs, 2025)
    assert code == 0, output
    check = _suggested(output, "la liste : ")
    assert check.endswith(f"check --region {REGION} --year 2025 --inputs {shlex.quote(str(inputs))}")
    result = _as_typed(check)
    assert result.returncode == 1 and f"Recettes ({REGION}/2025/revenue.csv) : 3 cellules à compléter" in result.stdout
    workbook = _suggested(output, "avec les chiffres 2024 pour mémoire : ")
    result = _as_typed(workbook)
    assert result.returncode == 0, result.stderr
    assert (inputs / REGION / "2025" / "figures.xlsx").is_file()
    tidy = result.stderr.strip().splitlines()[-1].strip()  # the command that sets the CSV files aside
    assert tidy.endswith(f"--ranger-csv --inputs {shlex.quote(str(inputs))}")
    refused = _as_typed(tidy, "n\n")
    assert refused.returncode == 2 and "Rien n'a été déplacé." in refused.stdout
    assert (inputs / REGION / "2025" / "revenue.csv").is_file()
    result = _as_typed(tidy, "o\n")
    assert result.returncode == 0, result.stdout + result.stderr
    aside = inputs / REGION / "2025" / "_anciens-csv"
    assert sorted(p.name for p in aside.iterdir()) == sorted(TABLES_2024)
    assert not list((inputs / REGION / "2025").glob("*.csv"))
    result = _as_typed(_suggested(result.stdout, "Ensuite : "))
    assert result.returncode == 1  # the to-do list, read from the workbook now
    assert f"Recettes ({REGION}/2025/figures.xlsx, feuille « revenue ») : 3 cellules à compléter" in result.stdout
    code, output = _fir("preview", "--region", REGION, "--year", 2031, "--inputs", inputs)
    assert code == 1
    result = _as_typed(_suggested(output, "Les éditions présentes : "))
    assert result.returncode == 0 and result.stdout.splitlines() == [
        f"{REGION} 2018",
        f"{REGION} 2024",
        f"{REGION} 2025",
    ]


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/setup.sh installs it)")
def test_the_2025_workbook_saved_by_libreoffice_reads_back_the_same(edition_2025: Path, tmp_path: Path):
    inputs = edition_2025.parent.parent
    before = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    code, output = _fir("workbook", "--region", REGION, "--year", 2025, "--inputs", inputs)
    assert code == 0, output
    (saved,) = save_with_libreoffice([edition_2025 / "figures.xlsx"], tmp_path / "saved")
    shutil.copy(saved, edition_2025 / "figures.xlsx")
    for name in TABLES_2024:
        (edition_2025 / name).unlink()
    after = read_edition(inputs, REGION, 2025, allow_incomplete=True)
    for name, frame in before.tables.items():
        assert after.tables[name].equals(frame), name
    revenue = load_workbook(edition_2025 / "figures.xlsx", data_only=True)["revenue"]
    assert [revenue.cell(4, column).value for column in range(11, 16)] == ["?", 522.2, 522.2, 0, 522.2]

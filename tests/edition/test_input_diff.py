"""The differences between two versions of an edition's inputs (issue 26): the real 2024 edition read into
a dict of files, against copies changed the way the staff change them — one amount, one paragraph, the
logo, a row — each difference asserted exactly, with its real labels and French numbers."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows import paths
from flows.edition.authoring.input_diff import (
    CellChange,
    FileChange,
    InputDiff,
    MetaChange,
    Segment,
    diff_file,
    diff_inputs,
)
from flows.edition.authoring.new_edition import create_edition
from flows.edition.authoring.text_diff import compare_texts, compare_words
from flows.edition.authoring.workbook import earlier_edition, workbook_bytes
from flows.edition.ingest import snapshot as ingest
from flows.edition.publish import input_versions
from tests.check_helpers import SOFFICE, save_with_libreoffice
from tests.conftest import REGION

E24 = f"{REGION}/2024"
NNBSP, NBSP = "\u202f", "\u00a0"
Files = dict[str, bytes]
NEEDS_LIBREOFFICE = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice absent: scripts/setup.sh installs it")


def read_version(inputs: Path, folder: str) -> Files:
    """An edition's files and the missions reference, by path under inputs/, as the store gives them."""
    found = {p.relative_to(inputs).as_posix(): p.read_bytes() for p in (inputs / folder).rglob("*") if p.is_file()}
    found["_reference/missions.csv"] = (inputs / "_reference/missions.csv").read_bytes()
    return found


@pytest.fixture(scope="module")
def v2024() -> Files:
    return read_version(paths.INPUTS_DIR, E24)


def changed(files: Files, path: str, old: str, new: str) -> Files:
    """A copy of `files` with `old` replaced once by `new` in the file at `path` (which must hold it)."""
    text = files[path].decode("utf-8")
    assert text.count(old) == 1, f"{old!r} in {path}"
    return {**files, path: text.replace(old, new).encode("utf-8")}


def svg_logo(size: int, colour: str) -> bytes:
    """A real SVG logo of exactly `size` bytes (a comment pads it)."""
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    head += f'<rect width="120" height="40" fill="{colour}"/>'
    tail = "</svg>\n"
    padding = size - len(head) - len(tail) - len("<!--  -->")
    return f"{head}<!-- {'x' * padding} -->{tail}".encode("ascii")


def with_logo(files: Files, logo: bytes) -> Files:
    """The edition with `[brand] logo = "logo.svg"` and that logo file."""
    files = changed(files, f"{E24}/edition.toml", 'accent = "#d4006e"\n', 'accent = "#d4006e"\nlogo = "logo.svg"\n')
    return {**files, f"{E24}/logo.svg": logo}


def test_identical_versions_have_no_difference(v2024: Files) -> None:
    diff = diff_inputs(v2024, dict(v2024))
    assert diff == InputDiff()
    assert not diff
    assert diff.summary() == []
    assert diff.headline() == "aucune différence"


def test_one_amount_changed_in_a_csv(v2024: Files) -> None:
    new = changed(v2024, f"{E24}/thematics.csv", ";€;153 285 611;", ";€;153 300 000;")
    diff = diff_inputs(v2024, new)
    expected = CellChange(
        "thematics",
        "Dépenses par thématique",
        "Investissements en ES et ESMS",
        "amount",
        "Montant",
        f"153{NNBSP}285{NNBSP}611{NBSP}€",
        f"153{NNBSP}300{NNBSP}000{NBSP}€",
    )
    assert diff.cells == (expected,)
    assert diff.summary() == [
        f"Dépenses par thématique, Investissements en ES et ESMS, Montant : 153{NNBSP}285{NNBSP}611{NBSP}€ → "
        f"153{NNBSP}300{NNBSP}000{NBSP}€"
    ]
    assert diff.headline() == "1 cellule modifiée"
    assert (diff.texts, diff.settings, diff.files, diff.problems) == ((), (), (), ())
    assert [t.table for t in diff.tables] == ["thematics"]
    assert diff.tables[0].old_source == diff.tables[0].new_source == f"{E24}/thematics.csv"


def test_amounts_and_rates_said_at_the_precision_typed(v2024: Files) -> None:
    new = changed(v2024, f"{E24}/revenue.csv", ";M€;517,1\n", ";M€;520\n")
    new = changed(new, f"{E24}/execution.csv", "536,9;;99,9", "536,9;;99,1")
    assert diff_inputs(v2024, new).summary() == [
        f"Recettes, Délégations nationales (arrêtés), Montant final de l'année : 517,1{NBSP}M€ → 520{NBSP}M€",
        f"Exécution AE / CP, Autorisations d'engagement, Taux d'exécution publié, en % : 99,9{NBSP}% → 99,1{NBSP}%",
    ]


def test_a_paragraph_changed_marks_its_words(v2024: Files) -> None:
    new = changed(v2024, f"{E24}/texts/fir.md", "finance des actions", "soutient des projets")
    diff = diff_inputs(v2024, new)
    assert diff.tables == () and diff.files == ()
    (text,) = diff.texts
    assert (text.path, text.key, text.name, text.status) == (
        f"{E24}/texts/fir.md",
        "fir",
        "Présentation du FIR",
        "changed",
    )
    assert text.summary == "1 paragraphe modifié"
    assert diff.summary() == ["Texte « Présentation du FIR » (fir.md) : 1 paragraphe modifié"]
    kinds = [line.kind for line in text.lines]
    assert kinds.count("changed") == 1 and set(kinds) == {"same", "changed"}
    line = next(line for line in text.lines if line.kind == "changed")
    assert [s for s in line.words if s.kind != "equal"] == [
        Segment("replace", "finance", "soutient"),
        Segment("replace", "actions", "projets"),
    ]
    assert "".join(s.old for s in line.words) == line.old
    assert "".join(s.new for s in line.words) == line.new
    assert line.new is not None and "l'ARS Hauts-de-France soutient des projets et des expérimentations" in line.new


def test_the_logo_replaced(v2024: Files) -> None:
    old = with_logo(v2024, svg_logo(12 * 1024, "#00467f"))
    new = with_logo(v2024, svg_logo(15 * 1024, "#d4006e"))
    diff = diff_inputs(old, new)
    assert diff.files == (FileChange(f"{E24}/logo.svg", "logo", "replaced", 12 * 1024, 15 * 1024),)
    assert diff.summary() == [f"Logo remplacé (12{NBSP}Ko → 15{NBSP}Ko)"]
    assert diff.headline() == "1 fichier modifié"


def test_a_row_added(v2024: Files) -> None:
    row = "sante-mentale;Repérage et prise en charge de la santé mentale des jeunes;;M€;1,2\n"
    new = {**v2024, f"{E24}/revenue_priorities.csv": v2024[f"{E24}/revenue_priorities.csv"] + row.encode()}
    diff = diff_inputs(v2024, new)
    assert diff.cells == () and diff.rows_removed == ()
    (added,) = diff.rows_added
    assert added.row == "Repérage et prise en charge de la santé mentale des jeunes"
    assert added.cells == (
        ("Identifiant", "sante-mentale"),
        ("Libellé", "Repérage et prise en charge de la santé mentale des jeunes"),
        ("Unité", "M€"),
        ("Montant", f"1,2{NBSP}M€"),
    )
    assert diff.summary() == [
        "Priorités nationales, ligne ajoutée : Repérage et prise en charge de la santé mentale des jeunes "
        f"(Montant : 1,2{NBSP}M€)"
    ]


def test_the_four_changes_together(v2024: Files) -> None:
    """One amount, one paragraph, the logo and a row: each said once, in the order tables, texts, files."""
    old = with_logo(v2024, svg_logo(12 * 1024, "#00467f"))
    new = with_logo(v2024, svg_logo(15 * 1024, "#d4006e"))
    new = changed(new, f"{E24}/thematics.csv", ";€;153 285 611;", ";€;153 300 000;")
    new = changed(new, f"{E24}/texts/fir.md", "finance des actions", "soutient des projets")
    row = "sante-mentale;Santé mentale des jeunes;;M€;1,2\n"
    new[f"{E24}/revenue_priorities.csv"] += row.encode()
    started = time.perf_counter()
    diff = diff_inputs(old, new)
    seconds = time.perf_counter() - started
    assert diff.summary() == [
        f"Priorités nationales, ligne ajoutée : Santé mentale des jeunes (Montant : 1,2{NBSP}M€)",
        f"Dépenses par thématique, Investissements en ES et ESMS, Montant : 153{NNBSP}285{NNBSP}611{NBSP}€ → "
        f"153{NNBSP}300{NNBSP}000{NBSP}€",
        "Texte « Présentation du FIR » (fir.md) : 1 paragraphe modifié",
        f"Logo remplacé (12{NBSP}Ko → 15{NBSP}Ko)",
    ]
    assert diff.headline() == "1 cellule modifiée, 1 ligne ajoutée, 1 texte modifié, 1 fichier modifié"
    # 0,15 s cold on the idle 2-core machine (bench/input_diff_bench.py); a wide bound for a loaded one
    assert seconds < 2.0


def test_a_key_figure_inserted_within_its_action_is_one_row_added(v2024: Files) -> None:
    """Key figures have no identifier: a row put between two of an action's rows is added, not a cascade
    of changed cells in the rows after it."""
    path = f"{E24}/key_figures.csv"
    new = changed(
        v2024,
        path,
        "p2-clsm;44;%;",
        "p2-clsm;4;;projets;de création ou d'extension en 2025\np2-clsm;44;%;",
    )
    diff = diff_inputs(v2024, new)
    assert diff.summary() == [
        "Chiffres clés, ligne ajoutée : Une place accrue pour les conseils locaux de santé mentale (CLSM) à "
        "l'échelle des territoires — projets (Nombre : 4)"
    ]


def test_tables_moved_into_the_workbook_change_no_cell(v2024: Files) -> None:
    """The same tables written into figures.xlsx by `fir workbook`'s own writer (with the earlier
    edition's figures beside them), the CSV files gone: no cell changes, one line says where they went."""
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, 2024)
    earlier, _ = earlier_edition(paths.INPUTS_DIR, REGION, 2024)
    workbook = workbook_bytes(edition, earlier, paths.INPUTS_DIR)
    tables = {f"{E24}/{name}.csv" for name in edition.tables}
    new = {path: data for path, data in v2024.items() if path not in tables} | {f"{E24}/figures.xlsx": workbook}
    diff = diff_inputs(v2024, new)
    assert diff.cells == () and diff.rows_added == () and diff.rows_removed == ()
    assert diff.files == () and diff.texts == ()
    names = "Recettes, Priorités nationales, Exécution AE / CP, CP par nature, Dépenses par thématique, Parties, "
    names += "Sections et actions, Montants des actions, Chiffres clés"
    assert diff.summary() == [
        f"Tableaux lus désormais dans le classeur {E24}/figures.xlsx au lieu de fichiers CSV, valeurs inchangées : "
        + names
    ]
    assert diff.headline() == "9 tableaux déplacés"
    assert diff.tables == ()
    assert diff.moved[0].new_source == f"{E24}/figures.xlsx, feuille « revenue »"
    assert diff.moved_lines() == diff.summary()
    back = diff_inputs(new, v2024)
    assert back.cells == () and back.headline() == "9 tableaux déplacés"
    # `fir workbook --ranger-csv` keeps the CSV files in a folder the tool never reads: said in one line
    kept = {f"{E24}/_anciens-csv/{path.rpartition('/')[2]}": v2024[path] for path in sorted(tables)}
    assert diff_inputs(v2024, new | kept).summary()[1:] == [
        "Mis de côté dans le dossier _anciens-csv, que l'outil ne lit pas : action_amounts.csv, actions.csv, "
        "cp_by_nature.csv, execution.csv, key_figures.csv, parts.csv, revenue.csv, revenue_priorities.csv, "
        "thematics.csv"
    ]


def test_a_table_that_cannot_be_read_is_said_not_compared(v2024: Files) -> None:
    new = changed(v2024, f"{E24}/thematics.csv", ";€;153 285 611;", ";€;153 285 6I1;")
    new = changed(new, f"{E24}/revenue.csv", ";M€;517,1\n", ";M€;520\n")
    diff = diff_inputs(v2024, new)
    assert diff.summary() == [
        f"Recettes, Délégations nationales (arrêtés), Montant final de l'année : 517,1{NBSP}M€ → 520{NBSP}M€",
        "Dépenses par thématique : illisible dans la version comparée : "
        f"{E24}/thematics.csv, ligne 2, colonne « Montant (amount) » : valeur « 153 285 6I1 » — attendu : "
        "un montant positif sans symbole, chiffres groupés par espaces, décimales après une virgule "
        "(ex. « 303 543 407 » ou « 2,9 ») ; l'unité est dans la colonne « Unité » ; "
        "ses cellules ne sont pas comparées",
    ]
    assert diff.headline() == "1 cellule modifiée, certains fichiers illisibles"


def test_a_damaged_workbook_is_said_once(v2024: Files) -> None:
    new = {path: data for path, data in v2024.items() if not path.endswith("thematics.csv")}
    new[f"{E24}/figures.xlsx"] = b"PK\x03\x04 not really a workbook"
    diff = diff_inputs(v2024, new)
    assert diff.tables == ()
    assert diff.summary() == [
        f"Classeur illisible dans la version comparée : {E24}/figures.xlsx — attendu : un classeur Excel .xlsx "
        "valide (ouverture impossible : BadZipFile) ; ses tableaux ne sont pas comparés"
    ]
    assert diff.headline() == "certains fichiers illisibles"


def test_cells_still_to_type_are_said_so(v2024: Files) -> None:
    """An edition being filled in (`fir new`): `?` is an amount to type, not an unreadable table."""
    old = changed(v2024, f"{E24}/revenue.csv", ";M€;517,1\n", ";M€;?\n")
    assert diff_inputs(old, v2024).summary() == [
        f"Recettes, Délégations nationales (arrêtés), Montant final de l'année : à saisir → 517,1{NBSP}M€"
    ]


def test_settings_and_next_year(v2024: Files) -> None:
    """The same edition under 2025 (paths compared inside the edition folder): only its settings differ."""
    new = {path.replace(E24, f"{REGION}/2025"): data for path, data in v2024.items()}
    new = changed(new, f"{REGION}/2025/edition.toml", "year = 2024", "year = 2025")
    new = changed(
        new, f"{REGION}/2025/edition.toml", 'title = "Le Fonds d\'intervention régional 2024"', 'title = "Le FIR 2025"'
    )
    diff = diff_inputs(v2024, new)
    assert diff.settings == (
        MetaChange("year", "Année", "2024", "2025"),
        MetaChange("title", "Titre de la brochure", "Le Fonds d'intervention régional 2024", "Le FIR 2025"),
    )
    assert diff.summary() == [
        "Réglages de l'édition (edition.toml), Année : 2024 → 2025",
        "Réglages de l'édition (edition.toml), Titre de la brochure : Le Fonds d'intervention régional 2024 → "
        "Le FIR 2025",
    ]


def test_texts_added_and_removed_named_by_their_action(v2024: Files) -> None:
    path = f"{E24}/texts/actions/p2-clsm.md"
    new = {p: d for p, d in v2024.items() if p != path}
    new[f"{E24}/texts/actions/p2-cpts.md"] = v2024[f"{E24}/texts/actions/p2-cpts.md"] + b"\nUn paragraphe de plus.\n"
    diff = diff_inputs(v2024, new)
    assert [(t.key, t.status) for t in diff.texts] == [("actions/p2-clsm", "removed"), ("actions/p2-cpts", "changed")]
    assert diff.summary() == [
        "Texte « Une place accrue pour les conseils locaux de santé mentale (CLSM) à l'échelle des territoires » "
        "(actions/p2-clsm.md) : texte supprimé (4 paragraphes)",
        "Texte « Continuer à déployer les Communautés professionnelles territoriales de santé (CPTS) » "
        "(actions/p2-cpts.md) : 1 paragraphe ajouté",
    ]


def test_compare_words_folds_a_rewritten_phrase() -> None:
    assert compare_words("Le FIR finance des actions.", "Le FIR soutient de nouveaux projets.") == (
        Segment("equal", "Le FIR ", "Le FIR "),
        Segment("replace", "finance des actions", "soutient de nouveaux projets"),
        Segment("equal", ".", "."),
    )


def test_compare_texts_pairs_a_rewritten_paragraph_among_new_ones() -> None:
    old = "Premier paragraphe inchangé.\n\nLe FIR finance des actions de prévention."
    new = "Premier paragraphe inchangé.\n\nUn tout autre paragraphe ajouté ici.\n\nLe FIR finance des actions de santé."
    changes = compare_texts(old, new)
    assert [line.kind for line in changes.lines] == ["same", "same", "added", "added", "changed"]
    assert changes.summary() == "1 paragraphe modifié, 1 ajouté"


def _workbook_version(v2024: Files) -> tuple[Files, bytes]:
    """The 2024 edition with its tables in figures.xlsx (`fir workbook`'s writer, the earlier edition's
    figures beside them), and that workbook."""
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, 2024)
    earlier, _ = earlier_edition(paths.INPUTS_DIR, REGION, 2024)
    workbook = workbook_bytes(edition, earlier, paths.INPUTS_DIR)
    tables = {f"{E24}/{name}.csv" for name in edition.tables}
    return {path: data for path, data in v2024.items() if path not in tables}, workbook


def _edited(workbook: bytes) -> bytes:
    """The workbook as a person edits it (openpyxl stores a typed number as Excel does): the first
    thematic's amount typed anew, the thematic « Divers » deleted."""
    book = load_workbook(io.BytesIO(workbook))
    sheet = book["thematics"]
    header = [cell.value for cell in sheet[1]]
    amount = next(i for i, title in enumerate(header, 1) if str(title).endswith("(amount)"))
    ident = next(i for i, title in enumerate(header, 1) if str(title).endswith("(thematic_id)"))
    rows = {sheet.cell(row, ident).value: row for row in range(2, sheet.max_row + 1)}
    sheet.cell(rows["investissements"], amount).value = 153_300_000
    sheet.delete_rows(rows["divers"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EDITED = [
    f"Dépenses par thématique, Investissements en ES et ESMS, Montant : 153{NNBSP}285{NNBSP}611{NBSP}€ → "
    f"153{NNBSP}300{NNBSP}000{NBSP}€",
    f"Dépenses par thématique, ligne supprimée : Divers (Montant : 4{NNBSP}708{NNBSP}357{NBSP}€ ; "
    f"Part publiée, en % : 0,9{NBSP}% ; Montant arrondi publié dans le titre : 4,7{NBSP}M€)",
    f"Tableaux lus désormais dans le classeur {E24}/figures.xlsx au lieu de fichiers CSV, valeurs inchangées : "
    "Recettes, Priorités nationales, Exécution AE / CP, CP par nature, Parties, Sections et actions, "
    "Montants des actions, Chiffres clés",
]


def test_a_cell_changed_in_the_workbook(v2024: Files) -> None:
    """One amount typed and one row deleted in the workbook; compared with the CSV version, exactly those."""
    files, workbook = _workbook_version(v2024)
    diff = diff_inputs(v2024, {**files, f"{E24}/figures.xlsx": _edited(workbook)})
    assert diff.summary() == EDITED
    assert diff.rows_removed[0].row == "Divers"
    between_workbooks = diff_inputs(
        {**files, f"{E24}/figures.xlsx": workbook}, {**files, f"{E24}/figures.xlsx": _edited(workbook)}
    )
    assert between_workbooks.summary() == EDITED[:2]


@NEEDS_LIBREOFFICE
def test_a_workbook_saved_by_libreoffice(v2024: Files, tmp_path: Path) -> None:
    """The edited workbook saved by LibreOffice (headless), as the staff's upload would be — its check
    sums computed and stored, its numbers as Calc writes them: the same two changes, nothing else."""
    files, workbook = _workbook_version(v2024)
    (tmp_path / "figures.xlsx").write_bytes(_edited(workbook))
    (saved,) = save_with_libreoffice([tmp_path / "figures.xlsx"], tmp_path / "saved")
    diff = diff_inputs(v2024, {**files, f"{E24}/figures.xlsx": saved.read_bytes()})
    assert diff.summary() == EDITED


def test_a_whole_text_on_one_line_is_compared_word_by_word_quickly() -> None:
    """Every 2024 text pasted as one line (11 000 words), three words changed: three changes, found in a
    fraction of a second (difflib's frequent-word heuristic, on for such a line, keeps them exact)."""
    texts = sorted((paths.INPUTS_DIR / E24 / "texts").rglob("*.md"))
    line = " ".join(path.read_text(encoding="utf-8").replace("\n", " ") for path in texts)
    assert len(line.split()) > 10_000
    started = time.perf_counter()
    segments = compare_words(line, line.replace("santé", "SANTÉ", 3))
    assert time.perf_counter() - started < 2.0  # 0,15 s on the idle 2-core machine
    assert [s for s in segments if s.kind != "equal"] == [Segment("replace", "santé", "SANTÉ")] * 3


def test_files_saved_again_without_a_value_changed(v2024: Files) -> None:
    """A CSV file saved by French Excel (Windows-1252, CRLF), edition.toml with a comment more, a text with a
    blank line more: no value changed, each said as such."""
    thematics = f"{E24}/thematics.csv"
    new = {**v2024, thematics: v2024[thematics].decode("utf-8").replace("\n", "\r\n").encode("cp1252")}
    new = changed(new, f"{E24}/edition.toml", "[brand]\n", "# les couleurs de l'agence\n[brand]\n")
    new[f"{E24}/texts/fir.md"] = v2024[f"{E24}/texts/fir.md"] + b"\n\n"
    diff = diff_inputs(v2024, new)
    assert diff.tables == () and diff.settings == ()
    assert diff.summary() == [
        "Texte « Présentation du FIR » (fir.md) : mise en forme seulement (lignes vides)",
        "Fichier des réglages edition.toml enregistré à nouveau, sans valeur changée",
        "Tableau « thematics.csv » enregistré à nouveau, sans valeur changée",
    ]


def test_next_year_from_fir_new_to_its_workbook_filled_in(inputs_copy: Path) -> None:
    """The yearly routine: `fir new` makes 2025 from 2024 (amounts to type, `?`), then the workbook of 2025
    comes back with one amount typed: that cell is said, from « à saisir » to its value; nothing else."""
    create_edition(inputs_copy, REGION, 2025)
    made = read_version(inputs_copy, f"{REGION}/2025")
    edition = ingest.read_edition(inputs_copy, REGION, 2025, allow_incomplete=True)
    earlier, _ = earlier_edition(inputs_copy, REGION, 2025)
    book = load_workbook(io.BytesIO(workbook_bytes(edition, earlier, inputs_copy)))
    assert book["revenue"]["C2"].value == "Délégations nationales (arrêtés)" and book["revenue"]["K2"].value == "?"
    book["revenue"]["K2"].value = 530.4
    buffer = io.BytesIO()
    book.save(buffer)
    tables = {f"{REGION}/2025/{name}.csv" for name in edition.tables}
    filled = {path: data for path, data in made.items() if path not in tables}
    filled[f"{REGION}/2025/figures.xlsx"] = buffer.getvalue()
    diff = diff_inputs(made, filled)
    assert diff.cells == (
        CellChange(
            "revenue",
            "Recettes",
            "Délégations nationales (arrêtés)",
            "final",
            "Montant final de l'année",
            "à saisir",
            f"530,4{NBSP}M€",
        ),
    )
    assert diff.headline() == "1 cellule modifiée, 8 tableaux déplacés"
    # and from last year's edition, the same cell: its 2024 value, then « à saisir » once 2025 is made
    since_2024 = diff_inputs(read_version(inputs_copy, E24), made)
    assert (
        f"Recettes, Délégations nationales (arrêtés), Montant final de l'année : 517,1{NBSP}M€ → à saisir"
        in since_2024.summary()
    )


def test_hunks_show_the_changes_with_a_paragraph_around() -> None:
    old = "Un.\n\nDeux.\n\nTrois.\n\nQuatre.\n\nCinq.\n\nSix."
    new = "Un.\n\nDeux, modifié.\n\nTrois.\n\nQuatre.\n\nCinq.\n\nSix.\n\nSept."
    hunks = compare_texts(old, new).hunks(context=1)
    assert [[(line.kind, line.new) for line in hunk] for hunk in hunks] == [
        [("same", "Un."), ("same", ""), ("changed", "Deux, modifié."), ("same", ""), ("same", "Trois.")],
        [("same", "Six."), ("added", ""), ("added", "Sept.")],
    ]


def test_one_file_in_a_conflict_named_with_its_version(v2024: Files) -> None:
    """Two browsers saved action_amounts.csv: the difference of that one file, its rows named by the
    actions of the version (the rest of the version is not compared)."""
    path = f"{E24}/action_amounts.csv"
    theirs = changed(v2024, path, "p1-bassin-minier-offre;;;M€;20,5", "p1-bassin-minier-offre;;;M€;21")[path]
    diff = diff_file(path, v2024[path], theirs, v2024)
    assert diff.summary() == [
        "Montants des actions, Une offre de soins et médico-sociale réorganisée et modernisée pour assurer aux "
        f"habitants des soins de qualité, Montant : 20,5{NBSP}M€ → 21{NBSP}M€"
    ]
    alone = diff_file(path, v2024[path], theirs)
    assert [cell.row for cell in alone.cells] == ["p1-bassin-minier-offre"]


def test_a_mission_is_named_by_the_national_list() -> None:
    """2018 gives the missions' amounts: a row is « Mission 1 – its short name » from _reference/missions.csv."""
    v2018 = read_version(paths.INPUTS_DIR, f"{REGION}/2018")
    new = changed(v2018, f"{REGION}/2018/missions.csv", "1;€;45 022 026;43 721 399", "1;€;45 022 026;43 800 000")
    assert diff_inputs(v2018, new).summary() == [
        "Dépenses par mission, Mission 1 – Promotion de la santé et prévention, Crédits de paiement : "
        f"43{NNBSP}721{NNBSP}399{NBSP}€ → 43{NNBSP}800{NNBSP}000{NBSP}€"
    ]


def test_a_text_saved_with_windows_line_ends_is_said_so(v2024: Files) -> None:
    path = f"{E24}/texts/fir.md"
    diff = diff_inputs(v2024, {**v2024, path: v2024[path].replace(b"\n", b"\r\n")})
    assert diff.summary() == ["Texte « Présentation du FIR » (fir.md) : mise en forme seulement (fins de ligne)"]


def test_two_working_copies_as_the_store_records_them(inputs_copy: Path) -> None:
    """The files of an edition as the store of input versions takes them from its working copy
    (input_versions.working_files), before and after an edit on disk: the edit, and nothing else."""
    before = input_versions.working_files(inputs_copy, REGION, 2024)
    assert "_reference/missions.csv" in before and f"{E24}/edition.toml" in before
    csv = inputs_copy / E24 / "execution.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("538,7;;99,8", "538,7;;99,5"), encoding="utf-8")
    after = input_versions.working_files(inputs_copy, REGION, 2024)
    assert diff_inputs(before, after).summary() == [
        f"Exécution AE / CP, Crédits de paiement, Taux d'exécution publié, en % : 99,8{NBSP}% → 99,5{NBSP}%"
    ]


def test_the_national_list_of_missions_compared_as_a_table(v2024: Files) -> None:
    new = changed(v2024, "_reference/missions.csv", "1;Promotion de la santé et prévention", "1;Prévention")
    assert diff_inputs(v2024, new).summary() == [
        "Liste nationale des missions, Mission 1, Nom court de la mission : Promotion de la santé et prévention → "
        "Prévention"
    ]


def test_a_long_summary_cut_for_an_e_mail(v2024: Files) -> None:
    new = changed(v2024, f"{E24}/revenue.csv", ";M€;517,1\n", ";M€;520\n")
    new = changed(new, f"{E24}/execution.csv", "536,9;;99,9", "536,9;;99,1")
    new = changed(new, f"{E24}/texts/fir.md", "finance des actions", "soutient des projets")
    diff = diff_inputs(v2024, new)
    assert len(diff.summary()) == 3 and diff.summary(limit=3) == diff.summary()
    assert diff.summary(limit=2) == [diff.summary()[0], "… et 2 autres changements"]


def test_a_whole_edition_added(v2024: Files) -> None:
    """From nothing to the 2024 edition (its first version): every table, text and setting added."""
    diff = diff_inputs({}, v2024)
    assert diff.headline() == "165 lignes ajoutées, 77 textes ajoutés, 12 réglages modifiés"
    assert diff.summary()[0] == f"Recettes : tableau ajouté (3 lignes, {E24}/revenue.csv)"
    assert "Texte « Introduction de la partie des actions » (actions.md) : texte ajouté (3 paragraphes)" in (
        diff.summary()
    )

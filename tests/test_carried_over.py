"""What an edition made from an earlier one still carries over unchanged (flows/edition/validate/carried_over.py),
on the real inputs: which edition is the earlier one, the unchanged texts and cells, the numbers and years
typed in prose, the tables identical to last year's, and keys that hold while the content does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.edition.authoring import carry_over
from flows.edition.ingest.snapshot import Edition, read_edition
from flows.edition.validate import carried_over
from flows.edition.validate.carried_over import (
    CELL,
    NUMBER,
    PARAGRAPH,
    TABLE,
    TEXT,
    YEAR,
    earlier_year,
    find_carried_over,
    numbers,
    paragraphs,
    read_earlier,
)
from flows.edition.validate.carried_report import by_file, section_lines, without_section
from tests.helpers import REGION

MSP = f"{REGION}/2025/texts/actions/p2-msp.md"


def copy_2024_as_2025(inputs: Path) -> Path:
    """What a user does without `fir new`: the 2024 folder copied as 2025, only the year changed."""
    folder = inputs / REGION / "2025"
    shutil.copytree(inputs / REGION / "2024", folder)
    toml = folder / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("year = 2024", "year = 2025"), encoding="utf-8")
    return folder


@pytest.fixture
def copied(inputs_copy: Path) -> tuple[Path, Edition]:
    copy_2024_as_2025(inputs_copy)
    return inputs_copy, read_edition(inputs_copy, REGION, 2025)


def test_the_earlier_edition_is_the_declared_one_else_the_year_before_else_none():
    assert earlier_year(2025, None, [2018, 2024]) == 2024  # a plain copy of 2024 as 2025
    assert earlier_year(2024, None, [2018, 2024]) is None  # 2018 is six years back: not a starting point
    assert earlier_year(2018, None, [2018, 2024]) is None  # a first edition
    assert earlier_year(2026, 2024, [2018, 2024, 2026]) == 2024  # `fir new --from 2024` wrote carried_from
    assert earlier_year(2026, 2023, [2024]) == 2023  # declared but absent: said, not silently another one
    assert earlier_year(2025, 2025, [2024]) == 2024  # a declaration that is not earlier is ignored


def test_the_real_editions_carry_nothing_over(edition_2018: Edition, edition_2024: Edition):
    from flows import paths

    assert read_earlier(paths.INPUTS_DIR, edition_2024) is None
    assert read_earlier(paths.INPUTS_DIR, edition_2018) is None


def test_a_copy_of_2024_lists_every_text_the_279_msp_fin_2024_and_the_title(copied: tuple[Path, Edition]):
    inputs, edition = copied
    found = read_earlier(inputs, edition)
    assert found is not None and found.earlier_year == 2024 and found.note == ""
    items = found.items
    texts = {i.source for i in items if i.kind == TEXT}
    assert len(texts) == 77 == len(edition.texts)  # every text, unchanged
    msp = [(i.kind, i.line, i.value) for i in items if i.source == MSP]
    assert msp[0][:2] == (TEXT, 1) and msp[0][2].startswith("Le soutien aux MSP a pris plusieurs formes")
    assert (YEAR, 9, "Fin 2024") in msp and (NUMBER, 9, "279") in msp and (NUMBER, 9, "20") in msp
    assert (NUMBER, 3, "15") in msp and (NUMBER, 6, "4e") in msp and (NUMBER, 6, "1re") in msp
    toml = [(i.kind, i.line, i.value) for i in items if i.source.endswith("edition.toml")]
    assert toml == [
        (YEAR, 7, "Le Fonds d'intervention régional 2024"),
        (YEAR, 17, "Répartition du FIR 2024 hors investissements et permanence des soins"),
    ]
    tables = [i.value for i in items if i.kind == TABLE]
    assert tables == [
        "Recettes",
        "Priorités nationales",
        "Exécution AE / CP",
        "CP par nature",
        "Dépenses par thématique",
        "Montants des actions",
        "Chiffres clés",
    ]
    cells = [i for i in items if i.kind == CELL]
    assert len(cells) == len(edition.tables["parts"]) + len(edition.tables["actions"]) + len(
        edition.tables["key_figures"].drop_nulls("detail")
    )
    assert any(
        i.source.endswith("actions.csv") and i.value == "Un déploiement des CLS en nette accélération en 2024"
        for i in cells
    )
    assert len({i.key for i in items}) == len(items)


def test_a_rewritten_paragraph_leaves_the_list_and_its_new_number_comes_in(copied: tuple[Path, Edition]):
    inputs, edition = copied
    earlier = read_edition(inputs, REGION, 2024)
    before = {i.key: i for i in find_carried_over(edition, earlier) if i.source == MSP}
    path = inputs / MSP
    path.write_text(
        path.read_text(encoding="utf-8").replace("Fin 2024, 279 MSP", "Fin 2025, 290 MSP"), encoding="utf-8"
    )
    after = {i.key: i for i in find_carried_over(read_edition(inputs, REGION, 2025), earlier) if i.source == MSP}
    values = {(i.kind, i.line, i.value) for i in after.values()}
    assert (NUMBER, 9, "279") not in values and (YEAR, 9, "Fin 2024") not in values
    assert (NUMBER, 9, "290") in values and (NUMBER, 9, "2025") in values  # a number typed by hand, still to confirm
    assert not any(i.kind == TEXT for i in after.values())  # no longer the whole text: its unchanged paragraphs
    whole = next(i for i in before.values() if i.kind == TEXT)
    assert {k for k, i in after.items() if i.kind == PARAGRAPH} <= set(whole.covers)  # confirmed with the text
    assert {(i.kind, i.line) for i in after.values() if i.kind == PARAGRAPH} == {
        (PARAGRAPH, n) for n in (1, 3, 4, 5, 6, 7)
    }
    # the numbers of paragraphs untouched keep their keys: a confirmation of them still holds
    unchanged = {k for k, i in before.items() if i.kind == NUMBER and i.line != 9}
    assert unchanged and unchanged <= set(after)


def test_numbers_are_those_a_reader_sees_never_a_figure_reference_nor_a_word():
    text = (
        "En 2023, [[revenue.total]] dont 2,9 M€ et 99,1 % ; 3 010 pharmaciens, la COVID-19, le plan 2020-2024,\n"
        "la 4e promotion, 1. pas un numéro"
    )
    found = [(i.kind, i.line, i.value) for i in numbers(text, "f.md", 10, 2025)]
    assert found == [
        (YEAR, 10, "En 2023"),
        (NUMBER, 10, "2,9\u202fM€"),
        (NUMBER, 10, "99,1\u202f%"),
        (NUMBER, 10, "3\u202f010"),
        (YEAR, 10, "plan 2020"),
        (YEAR, 10, "2020-2024"),
        (NUMBER, 11, "4e"),
        (NUMBER, 11, "1"),
    ]
    assert [i.value for i in numbers("1. Premier point : 12 MSP", "f.md", 1, 2025)] == [
        "12"
    ]  # the list's marker is not


def test_paragraphs_are_blocks_and_list_items_with_their_file_line():
    body = "Intro sur\ndeux lignes.\n\n- un ;\n- deux ;\n\nFin."
    assert paragraphs(body, 5) == [(5, "Intro sur\ndeux lignes."), (8, "- un ;"), (9, "- deux ;"), (11, "Fin.")]


def test_keys_hold_the_content_and_lapse_when_it_changes():
    first = numbers("Fin 2024, 279 MSP.", "f.md", 3, 2025)
    moved = numbers("Fin 2024, 279 MSP.", "f.md", 8, 2025)  # the same paragraph further down the file
    changed = numbers("Fin 2024, 280 MSP.", "f.md", 3, 2025)
    assert [i.key for i in first] == [i.key for i in moved]
    assert not {i.key for i in first} & {i.key for i in changed}


def test_fir_new_records_the_edition_it_starts_from_and_drops_the_source_s_own():
    text = "carried_from = 2023\nyear = 2024\n"
    lines = carry_over.new_meta(text, 2024, 2025).splitlines()
    assert lines[1].startswith("carried_from = 2024") and lines[2:] == ["year = 2025"]


def test_the_section_groups_by_file_and_says_what_to_do(copied: tuple[Path, Edition]):
    inputs, edition = copied
    found = read_earlier(inputs, edition)
    assert found is not None
    lines = section_lines(found, found.items, 0, REGION, 2025, "--inputs /x")
    assert lines[1].startswith(f"À confirmer (repris de l'édition 2024) : {len(found.items)} élément(s) dans ")
    at = lines.index(f"  {MSP} :")
    assert lines[at + 1].startswith("    ligne 1 : texte inchangé depuis l'édition 2024 — « Le soutien aux MSP")
    assert "    ligne 9 : année antérieure à l'édition — « Fin 2024 »" in lines
    assert "    ligne 9 : nombre saisi à la main — 279" in lines
    assert f"fir confirm --region {REGION} --year 2025 --inputs /x " in lines[-1]
    assert len(by_file(found.items)) == len({i.source for i in found.items})
    assert without_section(["Bilan : 0 erreur(s)", *lines]) == ["Bilan : 0 erreur(s)"]
    done = section_lines(found, (), len(found.items), REGION, 2025)
    assert (
        done[1]
        == f"À confirmer (repris de l'édition 2024) : les {len(found.items)} élément(s) repris sont tous confirmés."
    )


def test_a_declared_edition_absent_is_said(copied: tuple[Path, Edition]):
    inputs, _ = copied
    toml = inputs / REGION / "2025" / "edition.toml"
    toml.write_text("carried_from = 2023\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    found = read_earlier(inputs, read_edition(inputs, REGION, 2025))
    assert found is not None and found.earlier_year == 2023 and found.items == ()
    assert "2023" in found.note and "n'est pas dans le dossier des données" in found.note
    assert carried_over.declared_year(read_edition(inputs, REGION, 2025)) == 2023


def test_years_in_table_labels_and_legal_references_are_listed(inputs_copy: Path):
    folder = inputs_copy / REGION / "2019"
    shutil.copytree(inputs_copy / REGION / "2018", folder)
    toml = folder / "edition.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("year = 2018", "year = 2019"), encoding="utf-8")
    found = read_earlier(inputs_copy, read_edition(inputs_copy, REGION, 2019))
    assert found is not None and found.earlier_year == 2018
    revenue = [(i.line, i.value) for i in found.items if i.source.endswith("revenue.csv") and i.kind == YEAR]
    assert (2, "Dotation 2017") in revenue
    assert (3, "Notification 2018") in revenue and (3, "mai 2018") in revenue
    assert (4, "notification 2018") in revenue and (4, "juin 2018") in revenue


def test_the_suggested_options_are_quoted_for_the_shell(tmp_path: Path):
    import shlex

    from flows.carryover import command_options

    inputs, outputs = tmp_path / "données de l'agence", tmp_path / "sorties"
    said = command_options(inputs, outputs)
    assert shlex.split(said) == ["--inputs", str(inputs), "--outputs", str(outputs)]

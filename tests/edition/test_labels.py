"""How an input file is named to a person: its French name first, the file's own name after it."""

from __future__ import annotations

import pytest

from flows.edition.labels import file_label


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("revenue.csv", "Recettes (revenue.csv)"),
        ("cp_by_nature.csv", "CP par nature (cp_by_nature.csv)"),
        ("texts/actions/p2-msp.md", "Texte actions/p2-msp.md"),
        ("edition.toml", "Réglages de l'édition (edition.toml)"),
        ("notes.csv", "notes.csv"),  # no table of the contract: its own name only
    ],
)
def test_an_input_file_is_named_in_french_then_by_its_file(name: str, label: str):
    assert file_label(name) == label

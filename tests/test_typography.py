"""Typography read back from both real brochures, as `fir build` publishes them: units and acronyms in
the case they are typed in, whatever the stylesheet does, and French decimals on the command line."""

from __future__ import annotations

import re
import subprocess

import pytest

from flows import paths
from flows.edition.contract import TABLES
from flows.edition.french import is_acronym
from flows.edition.ingest import snapshot as ingest
from tests.conftest import REGION

YEARS = (2018, 2024)


def _readable_text(pdf: str) -> str:
    """The PDF's text (what a screen reader or a copy gets), spaces made plain, web addresses left out
    (`www.hauts-de-france.ars.sante.fr` is an address, not the acronym ARS)."""
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\S*(?:https?://|www\.)\S*", " ", text)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


@pytest.fixture(scope="module")
def built(real_builds) -> dict[int, tuple[str, str]]:
    """Both editions, built once per session with the real command (conftest.real_builds): (what it
    printed, the brochure's text)."""
    return {year: (stdout, _readable_text(str(pdf))) for year, (pdf, stdout) in real_builds.items() if year in YEARS}


def _acronyms(year: int) -> set[str]:
    """Every acronym typed in a text cell of the edition's tables (labels, titles, details…)."""
    edition = ingest.read_edition(paths.INPUTS_DIR, REGION, year)
    found: set[str] = set()
    for name, table in edition.tables.items():
        for column in TABLES[name].columns:
            if column.kind == "text" and column.name in table.columns:
                for cell in table[column.name].drop_nulls():
                    found |= {w for w in re.findall(r"[^\W\d_]+", cell) if is_acronym(w)}
    return found


@pytest.mark.parametrize("year", YEARS)
def test_no_unit_is_upper_cased(built, year):
    _, text = built[year]
    assert "K€" not in text
    if year == 2024:  # the heading whose CSS upper-casing used to print `208 K€`
        assert "DÉMOCRATIE SANITAIRE : 208 k€, SOIT 0,04 % DU FIR" in text


@pytest.mark.parametrize("year", YEARS)
def test_every_acronym_of_the_tables_is_printed_as_typed(built, year):
    """Wherever the word stands (headings upper-cased by CSS, sentences built from labels, tables), an
    acronym of the inputs is printed in its capitals: never `es et esms` for `ES et ESMS`."""
    _, text = built[year]
    acronyms = _acronyms(year)
    assert len(acronyms) > 10
    recased = {
        (acronym, match.group())
        for acronym in acronyms
        for match in re.finditer(rf"(?<![^\W\d_]){re.escape(acronym)}(?![^\W\d_])", text, re.IGNORECASE)
        if match.group() != acronym
    }
    assert not recased, sorted(recased)
    if year == 2024:
        assert "premières thématiques — investissements en ES et ESMS et permanence des soins" in text


@pytest.mark.parametrize("year", YEARS)
def test_the_command_line_tells_the_build_time_with_a_decimal_comma(built, year):
    printed, _ = built[year]
    assert re.search(r"\(\d+ pages, \d+,\d\u00a0s\)", printed), printed[-600:]

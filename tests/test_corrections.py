"""A correction is right everywhere: on a copy of 2024, 100 000 € move from « Permanence des soins » to
« Investissements » (lines and total still reconciled). The published share and heading of each line
were printed with the old amounts: the corrected brochure prints the values computed from the new
ones, in the table, the headings and the prose, `fir check` says which published values were
replaced, and the erratum lists every printed figure that changed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flows import paths
from flows.edition.publish import store
from tests.conftest import REGION
from tests.helpers import fir, fir_build, move_100_000_to_investments

NBSP, NNBSP = "\u00a0", "\u202f"


def _plain(text: str) -> str:
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def _text(pdf: Path) -> str:
    run = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return _plain(run.stdout)


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    base = tmp_path_factory.mktemp("corrections")
    inputs, outputs = base / "inputs", base / "outputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    fir_build(2024, outputs, inputs)
    move_100_000_to_investments(inputs)
    check = fir("check", "--region", REGION, "--year", 2024, "--inputs", inputs, "--outputs", outputs)
    assert check.returncode == 0, check.stdout + check.stderr
    run = fir_build(2024, outputs, inputs, reason="100 000 € reclassés en investissements")
    return inputs, outputs, _plain(check.stdout), _plain(run.stdout)


def test_fir_check_says_which_published_values_were_replaced_and_why(corrected):
    _, _, check, _ = corrected
    assert (
        "« Permanence des soins et accès aux soins non programmés » : part publiée 21,4 % remplacée par la part "
        "calculée 21,3 % : montant modifié depuis la révision 1 (Permanence des soins et accès aux soins non "
        "programmés : 115 072 012 € → 114 972 012 €)."
    ) in check
    assert "« Investissements en ES et ESMS » : titre publié 153,3 M€ remplacé par 153,4 M€ : montant modifié" in check
    # The investment share was printed with the old amounts too: replaced, by a value that reads the same.
    assert "« Investissements en ES et ESMS » : part publiée 28,5 % remplacée par la part calculée 28,5 %" in check
    # Lines whose amounts did not move keep their published values, without a word.
    assert "vulnérabilité économique et sociale » : part publiée" not in check


def test_the_corrected_brochure_prints_the_new_share_and_heading_everywhere(corrected):
    _, outputs, _, _ = corrected
    text = _text(outputs / REGION / "2024" / f"fir-{REGION}-2024.pdf")
    assert re.search(r"Permanence des soins et accès aux soins non programmés\s+114 972 012 €\s+21,3 %", text)
    assert re.search(r"Investissements en ES et ESMS\s+153 385 611 €\s+28,5 %", text)
    before_erratum = text.split("Erratum")[0]  # the erratum quotes the old values
    assert "115 072 012 €" not in before_erratum and "21,4 %" not in before_erratum
    assert "153,4 M€" in before_erratum and "153,3 M€" not in before_erratum  # heading and chart label


def test_the_catalogue_records_which_published_values_stand_and_since_when(corrected):
    _, outputs, _, _ = corrected
    history = store.open_catalogue(outputs).history(REGION, 2024)
    first, second = history["revisions"]
    assert first["basis"]["thematics.permanence-des-soins.share"] == {
        "typed": "21.4:1",
        "sources": {"thematics.permanence-des-soins": 115_072_012, "thematics.total": 538_736_879},
        "revision": 1,
    }
    assert "thematics.permanence-des-soins.share" not in second["basis"]  # replaced by the computed share
    assert "thematics.investissements.rounded" not in second["basis"]
    assert second["basis"]["thematics.vulnerabilite.share"] == first["basis"]["thematics.vulnerabilite.share"]


def test_the_erratum_lists_the_amounts_the_share_and_the_heading_that_changed(corrected):
    _, outputs, _, run = corrected
    erratum = {
        (e["label"], _plain(e["old"]), _plain(e["new"]))
        for e in store.open_catalogue(outputs).history(REGION, 2024)["revisions"][1]["erratum"]
    }
    pds, invest = "« Permanence des soins et accès aux soins non programmés »", "« Investissements en ES et ESMS »"
    assert {
        (f"{pds[2:-2]}", "115 072 012 €", "114 972 012 €"),
        (f"{pds[2:-2]} — part", "21,4 %", "21,3 %"),
        (f"{invest[2:-2]}", "153 285 611 €", "153 385 611 €"),
        (f"{invest[2:-2]} — montant arrondi", "153,3 M€", "153,4 M€"),
    } <= erratum
    assert "Permanence des soins et accès aux soins non programmés — part : 21,4 % → 21,3 %" in run


def test_every_change_names_the_pages_that_print_its_new_value(corrected):
    _, outputs, _, run = corrected
    pdf = outputs / REGION / "2024" / f"fir-{REGION}-2024.pdf"
    pages = _text(pdf).split("\f")
    erratum = store.open_catalogue(outputs).history(REGION, 2024)["revisions"][1]["erratum"]
    assert len(erratum) >= 4
    for change in erratum:
        assert change["pages"], change
        for page in change["pages"]:  # the new value is on each page named (headings are upper-cased)
            assert _plain(change["new"]) in pages[page - 1], (change, page)
    # The erratum page gives the same pages, and so does the command line.
    erratum_page = next(p for p in pages if "Erratum — révision 2" in p)
    share = next(c for c in erratum if c["figure"] == "thematics.permanence-des-soins.share")
    listed = ", ".join(map(str, share["pages"]))
    assert re.search(rf"21,4 %\s+21,3 %\s+{re.escape(listed)}\s*$", erratum_page, re.MULTILINE), erratum_page
    assert f"21,4 % → 21,3 % (p. {listed})" in run

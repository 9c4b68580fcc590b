"""A line-level ledger feeds the same brochure: it is reconciled with the tables it duplicates and
supplies those the edition does not give."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flows import paths
from flows.edition.ingest import snapshot as ingest
from flows.edition.validate import reconcile
from tests.conftest import REGION
from tests.helpers import fir_build

AE = {1: 45_022_026, 2: 75_670_273, 3: 83_576_684, 4: 99_045_234, 5: 229_191}
CP = {1: 43_721_399, 2: 79_854_978, 3: 83_813_575, 4: 98_995_487, 5: 235_264}
THEMATIC = {
    1: "maladies-infectieuses",
    2: "coordination-parcours",
    3: "permanence-des-soins",
    4: "investissements",
    5: "democratie-sanitaire",
}


def _write_ledger(folder: Path) -> None:
    """The 2018 AE and CP by mission, split into several lines each (cents included), as an extract."""
    lines = ["date,budget,amount,destination,department,beneficiary_category"]
    for budget, amounts in (("AE", AE), ("CP", CP)):
        for mission, euros in amounts.items():
            parts = [euros * 100 // 3, euros * 100 // 3]
            parts.append(euros * 100 - sum(parts))  # three lines adding up to the cent
            for i, cents in enumerate(parts):
                lines.append(f"2018-0{i + 3}-15,{budget},{cents / 100:.2f},M{mission},59,Établissement de santé")
    lines.append("2017-12-31,CP,1000.00,M1,62,Association")  # outside the year: left out, and said so
    (folder / "ledger.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    nomenclature = ["destination,mission,thematic_id,thematic_label"]
    nomenclature += [f"M{m},{m},{THEMATIC[m]},Thématique {m}" for m in AE]
    (folder / "nomenclature.csv").write_text("\n".join(nomenclature) + "\n", encoding="utf-8")


def test_a_ledger_matching_the_tables_reconciles_to_the_euro(inputs_copy):
    folder = inputs_copy / REGION / "2018"
    _write_ledger(folder)
    edition = ingest.read_edition(inputs_copy, REGION, 2018)
    report = reconcile.validate(edition)
    assert not report.errors
    ledger_findings = [f for f in report.findings if f.table == "ledger"]
    assert ledger_findings and all(f.level == "warning" for f in ledger_findings)
    notes = " | ".join(f.message for f in ledger_findings).replace("\u202f", " ").replace("\u00a0", " ")
    assert "Mission" not in notes  # every mission matches the missions table to the euro
    assert "303 543 408 €" in notes and "303 543 407 €" in notes  # the AE total published in the text
    assert "hors de 2018" in notes
    assert f"{REGION}/2018/ledger.csv" in {f.source for f in edition.files}
    header = f"Grand livre (lignes d'engagement et de paiement) ({REGION}/2018/ledger.csv)"
    assert header in reconcile.report_lines(edition, report)  # the report names the ledger's file


def test_without_the_missions_table_the_brochure_is_fed_by_the_ledger(inputs_copy, tmp_path):
    folder = inputs_copy / REGION / "2018"
    _write_ledger(folder)
    (folder / "missions.csv").unlink()
    edition = ingest.read_edition(inputs_copy, REGION, 2018)
    assert edition.sources["missions"] == f"{REGION}/2018/ledger.csv (agrégé)"
    assert edition.tables["missions"]["ae"].to_list() == list(AE.values())
    fir_build(2018, tmp_path / "out", inputs_copy)
    pdf = paths.brochure_path(tmp_path / "out", REGION, 2018)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    assert "75 670 273 €" in text and "98 995 487 €" in text  # mission table, from the ledger
    assert "RÉPARTITION DU FIR 2018 PAR GRANDES THÉMATIQUES" in text.upper()  # thematics, from the ledger

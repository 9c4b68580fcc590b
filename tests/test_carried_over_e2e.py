"""Issue 23's case, with the real commands: the 2024 folder copied as 2025 with only its year changed.
`fir check` lists every unchanged text, every number typed by hand (the 279 of p2-msp.md with its line)
and « Fin 2024 »; the build's report and the staff draft page show them; approving is refused without an
acknowledgement (portal and command line), passes with one and its audit line lists what was left
unconfirmed; a file confirmed (portal or `fir confirm`) leaves the list, and comes back once changed."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows import paths
from flows.edition.publish import confirmations, store
from flows.notices import audit
from flows.portal.web import create_app
from tests.helpers import APPROVER, EDITOR, REGION, fir_build
from tests.portal_helpers import APPROVER_ACCOUNT, add_accounts, audit_lines, log_in
from tests.test_carried_over import copy_2024_as_2025

MSP = f"{REGION}/2025/texts/actions/p2-msp.md"
DRAFT = f"/staff/drafts/{REGION}/2025/1"


def fir(*args: object, user: str = EDITOR) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "LOGNAME": user})


def _section(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("À confirmer (repris de l'édition 2024)"))
    return lines[start:]


def _file_block(section: list[str], source: str) -> list[str]:
    if f"  {source} :" not in section:
        return []
    at = section.index(f"  {source} :")
    block = []
    for line in section[at + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    inputs = tmp_path / "inputs"
    shutil.copytree(paths.INPUTS_DIR, inputs)
    copy_2024_as_2025(inputs)
    return inputs, tmp_path / "outputs"


def test_a_copy_of_2024_as_2025_is_listed_confirmed_and_approved_only_when_acknowledged(copied: tuple[Path, Path]):
    inputs, outputs = copied
    where = ("--region", REGION, "--year", 2025, "--inputs", inputs, "--outputs", outputs)

    # fir check, without a catalogue yet: the data are usable, and what is still 2024's is listed
    check = fir("check", *where)
    assert check.returncode == 0, check.stdout + check.stderr
    section = _section(check.stdout)
    texts = sorted(p.relative_to(inputs).as_posix() for p in (inputs / REGION / "2025" / "texts").rglob("*.md"))
    assert len(texts) == 77
    for source in texts:  # every unchanged text, from its first line
        assert _file_block(section, source)[0].startswith("ligne 1 : texte inchangé depuis l'édition 2024 — « ")
    msp = _file_block(section, MSP)
    assert "ligne 9 : nombre saisi à la main — 279" in msp
    assert "ligne 9 : année antérieure à l'édition — « Fin 2024 »" in msp
    assert "ligne 3 : nombre saisi à la main — 15" in msp
    toml = _file_block(section, f"{REGION}/2025/edition.toml")
    assert "ligne 7 : année antérieure à l'édition — « Le Fonds d'intervention régional 2024 »" in toml
    assert _file_block(section, f"{REGION}/2025/revenue.csv") == [
        "tableau « Recettes » : tous ses chiffres sont ceux de l'édition 2024"
    ]
    assert f"fir confirm --region {REGION} --year 2025 --inputs {inputs} --outputs {outputs} " in section[-1]
    total = int(re.search(r"\) : (\d+) élément\(s\)", section[0]).group(1))  # type: ignore[union-attr]
    assert total > 500

    # fir confirm, on the command line, for one file: it leaves the list
    confirmed = fir("confirm", *where, "texts/fir.md", user=APPROVER)
    assert confirmed.returncode == 0, confirmed.stderr
    fir_md = f"{REGION}/2025/texts/fir.md"
    count = len(_file_block(section, fir_md))
    said = rf"{count} élément\(s\) confirmé\(s\) par ligne de commande \(utilisateur système {APPROVER}\) dans 1"
    assert re.match(said, confirmed.stdout), confirmed.stdout
    assert _file_block(_section(fir("check", *where).stdout), fir_md) == []
    refused = fir("confirm", *where, "texts/inconnu.md")
    assert refused.returncode == 2 and "« texts/inconnu.md » n'a aucun élément repris" in refused.stderr

    # the build: its report ends with the list (fir.md confirmed, p2-msp.md not)
    built = fir_build(2025, outputs, inputs, approve=False)
    build_section = _section(built.stdout)
    assert "ligne 9 : nombre saisi à la main — 279" in _file_block(build_section, MSP)
    assert _file_block(build_section, fir_md) == []
    assert f"{count} déjà confirmé(s)" in build_section[0]
    assert "sinon l'approbation demande --malgre-non-confirmes" in built.stdout

    # the draft page shows them, a form per file
    add_accounts(outputs)
    client = TestClient(create_app(outputs))
    csrf = log_in(client, APPROVER_ACCOUNT)
    page = html.unescape(client.get(DRAFT).text)
    assert "À confirmer (repris de l'édition 2024)" in page
    assert "Texte actions/p2-msp.md</strong> — 11 élément(s) à confirmer" in page
    assert "ligne 9 : nombre saisi à la main — 279" in page and "« Fin 2024 »" in page
    assert f"Texte fir.md</strong> — confirmé par ligne de commande (utilisateur système {APPROVER}), le " in page
    pending = int(re.search(r"J'approuve malgré (\d+) éléments non confirmés", page).group(1))  # type: ignore[union-attr]
    assert pending == total - count
    assert "Rapport de validation" in page and page.count("ligne 9 : nombre saisi à la main — 279") == 1

    # approval without the acknowledgement: refused, on the command line and in the portal
    cli_refused = fir("approve", REGION, 2025, 1, "--outputs", outputs, user=APPROVER)
    assert cli_refused.returncode == 2
    assert f"{pending} élément(s) repris de l'édition 2024" in cli_refused.stderr
    assert "--malgre-non-confirmes" in cli_refused.stderr
    answer = client.post(f"{DRAFT}/approve", data={"csrf": csrf, "comment": "relu"}, follow_redirects=False)
    assert answer.status_code == 409
    assert "n'ont été confirmés par personne" in html.unescape(answer.text)
    refusals = [e for e in audit_lines(outputs, audit.APPROVE) if e.outcome == audit.REFUSED]
    assert len(refusals) == 2 and all("n'ont été confirmés par personne" in e.detail for e in refusals)

    # « J'ai relu et confirmé » for p2-msp.md: recorded with the account and the time, and audited
    answer = client.post(f"{DRAFT}/confirm", data={"csrf": csrf, "source": MSP}, follow_redirects=False)
    assert answer.status_code == 303
    page = html.unescape(client.get(answer.headers["location"]).text)
    assert "Texte actions/p2-msp.md</strong> — confirmé par P Approver, le " in page
    assert "ligne 9 : nombre saisi à la main — 279" not in page
    done = confirmations.confirmed(store.open_catalogue(outputs).engine, REGION, 2025)
    assert {c.confirmed_by for c in done.values() if c.source == MSP} == {APPROVER_ACCOUNT}
    line = audit_lines(outputs, audit.CONFIRM)[0]
    assert line.actor == APPROVER_ACCOUNT and line.detail == f"11 élément(s) confirmé(s) : {MSP}"
    assert _file_block(_section(fir("check", *where).stdout), MSP) == []  # fir check reads the catalogue
    bad = client.post(f"{DRAFT}/confirm", data={"csrf": csrf, "source": "ailleurs.md"}, follow_redirects=False)
    assert bad.status_code == 409

    # a confirmed text changed: its changed paragraph comes back, with its new number
    text = inputs / MSP
    text.write_text(text.read_text(encoding="utf-8").replace("279 MSP", "290 MSP"), encoding="utf-8")
    back = _file_block(_section(fir("check", *where).stdout), MSP)
    assert (
        "ligne 9 : nombre saisi à la main — 290" in back
        and "ligne 9 : année antérieure à l'édition — « Fin 2024 »" in back
    )
    assert "ligne 3 : nombre saisi à la main — 15" not in back  # an untouched paragraph's confirmation holds
    assert not any("paragraphe inchangé" in line for line in back)  # confirmed with the whole text

    # with the acknowledgement: published, and the audit line lists what nobody confirmed
    answer = client.post(
        f"{DRAFT}/approve", data={"csrf": csrf, "comment": "relu", "malgre": "oui"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    approved = next(e for e in audit_lines(outputs, audit.APPROVE) if e.outcome == audit.OK)
    remaining = pending - 11
    assert approved.detail.startswith(
        f"relu ; approuvé malgré {remaining} élément(s) non confirmé(s) repris de l'édition 2024 : "
    )
    assert (
        f"{REGION}/2025/texts/actions/p2-centres-sante.md, ligne 6 : année antérieure à l'édition — « Fin 2024 »"
        in approved.detail
    )
    assert MSP not in approved.detail and fir_md not in approved.detail
    assert store.open_catalogue(outputs).history(REGION, 2025)["revisions"][-1]["status"] == store.PUBLISHED

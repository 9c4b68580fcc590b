"""Approving a draft that still carries over items nobody confirmed (flows/portal/signoff.py): refused
without an acknowledgement, from the command line and the portal alike; with one, published and the audit
line lists them. The confirmation form's refusals (no session, no token) and who may use it. On SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from flows.edition.publish import confirmations, store
from flows.edition.validate.carried_over import NUMBER, TEXT, YEAR, Item
from flows.notices import audit
from flows.portal.signoff import SignOffRefused, sign_off
from flows.portal.web import create_app
from tests.portal_helpers import EDITOR_ACCOUNT, add_accounts, audit_lines, csrf_of, log_in
from tests.store_child import REGION, record

EDITION = 2025
A, B = f"{REGION}/{EDITION}/texts/a.md", f"{REGION}/{EDITION}/texts/b.md"
ITEMS = (
    Item(TEXT, A, 1, "Le texte de l'an dernier", f"text|{A}|aaaa"),
    Item(NUMBER, A, 3, "279", f"number|{A}|bbbb|0|279"),
    Item(YEAR, B, 5, "Fin 2024", f"year|{B}|cccc|0|2024"),
)
PAGE = f"/staff/drafts/{REGION}/{EDITION}/1"


def _draft(catalogue: store.Catalogue, launched_by: str = "alice", items: tuple[Item, ...] = ITEMS) -> None:
    pdfs = {"pdf": b"%PDF-1.7 a", "archive": b"%PDF-1.7 b", "draft": b"%PDF-1.7 PROJET"}
    carried = {"earlier_year": 2024, "items": [item.as_json() for item in items]}
    with catalogue.lock(REGION, EDITION, timeout=10):
        catalogue.record_draft(
            REGION, EDITION, "Hauts-de-France", 1, pdfs, {**record("r1"), "carried_over": carried}, [], launched_by
        )


@pytest.fixture
def catalogue(catalogue_backend: str, tmp_path: Path) -> store.Catalogue:
    return store.open_catalogue(tmp_path / "outputs")


def test_approval_needs_an_acknowledgement_and_its_audit_line_lists_what_was_left(catalogue: store.Catalogue):
    _draft(catalogue)
    with pytest.raises(SignOffRefused, match="3 élément\\(s\\) repris de l'édition 2024") as refused:
        sign_off(catalogue, REGION, EDITION, 1, True, "bob", "127.0.0.1", "relu")
    assert "J'approuve malgré 3 éléments non confirmés" in str(refused.value)
    assert "fir confirm --region hauts-de-france --year 2025" in str(refused.value)
    line = audit.entries(catalogue.engine, 1, audit.APPROVE)[0]
    assert (line.outcome, line.detail) == (audit.REFUSED, str(refused.value))
    assert catalogue.revision(REGION, EDITION, 1)["status"] == store.DRAFT  # type: ignore[index]

    confirmations.record(catalogue.engine, REGION, EDITION, [i for i in ITEMS if i.source == A], "carole")
    command = [sys.executable, "-m", "flows.cli", "approve", REGION, str(EDITION), "1", "--comment", "relu"]
    command += ["--outputs", str(catalogue.outputs)]
    env = {**os.environ, "LOGNAME": "bob"}
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 2 and "1 élément(s) repris de l'édition 2024" in run.stderr
    assert run.stderr.startswith("Refusé : ")
    run = subprocess.run([*command, "--malgre-non-confirmes"], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    line = audit.entries(catalogue.engine, 1, audit.APPROVE)[0]
    assert (line.actor, line.outcome) == ("bob", audit.OK)
    assert line.detail == (
        "relu ; approuvé malgré 1 élément(s) non confirmé(s) repris de l'édition 2024 : "
        f"{B}, ligne 5 : année antérieure à l'édition — « Fin 2024 »"
    )
    assert catalogue.revision(REGION, EDITION, 1)["status"] == store.PUBLISHED  # type: ignore[index]


def test_everything_confirmed_needs_no_acknowledgement(catalogue: store.Catalogue):
    _draft(catalogue)
    confirmations.record(catalogue.engine, REGION, EDITION, ITEMS, "carole")
    assert confirmations.record(catalogue.engine, REGION, EDITION, ITEMS, "denis") == []  # the first one stays
    assert {c.confirmed_by for c in confirmations.confirmed(catalogue.engine, REGION, EDITION).values()} == {"carole"}
    sign_off(catalogue, REGION, EDITION, 1, True, "bob", "127.0.0.1", "relu")
    assert audit.entries(catalogue.engine, 1, audit.APPROVE)[0].detail == "relu"


def test_the_four_eyes_rule_is_said_first_and_a_rejection_needs_no_acknowledgement(catalogue: store.Catalogue):
    _draft(catalogue)
    with pytest.raises(SignOffRefused, match="règle des quatre yeux"):
        sign_off(catalogue, REGION, EDITION, 1, True, "alice", "127.0.0.1", "", acknowledge=True)
    sign_off(catalogue, REGION, EDITION, 1, False, "bob", "127.0.0.1", "textes de 2024")
    assert catalogue.revision(REGION, EDITION, 1)["status"] == store.REJECTED  # type: ignore[index]


def test_the_confirmation_form_refuses_who_may_not_and_an_editor_may(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("FIR_DATABASE_URL", raising=False)
    outputs = tmp_path / "outputs"
    catalogue = store.open_catalogue(outputs)
    _draft(catalogue)
    add_accounts(outputs)
    client = TestClient(create_app(outputs))
    forgery = client.post(f"{PAGE}/confirm", data={"source": A}, follow_redirects=False)  # no token: refused first
    assert forgery.status_code == 403 and "Formulaire expiré ou invalide" in forgery.text
    token = csrf_of(client.get("/staff/login").text)  # the anonymous session's
    anonymous = client.post(f"{PAGE}/confirm", data={"source": A, "csrf": token}, follow_redirects=False)
    assert anonymous.status_code == 401 and "Connexion requise" in anonymous.text
    csrf = log_in(client, EDITOR_ACCOUNT)
    forged = client.post(f"{PAGE}/confirm", data={"source": A, "csrf": "faux"}, follow_redirects=False)
    assert forged.status_code == 403 and "Formulaire expiré ou invalide" in forged.text
    refusals = audit_lines(outputs, audit.ACCESS)
    assert [(e.actor, e.outcome) for e in refusals] == [(EDITOR_ACCOUNT, audit.REFUSED)]  # the anonymous one: counted
    assert confirmations.confirmed(catalogue.engine, REGION, EDITION) == {}

    page = client.get(PAGE).text
    assert csrf_of(page) == csrf and 'name="source" value="hauts-de-france/2025/texts/a.md"' in page
    assert "J&#39;approuve malgré" not in page  # an editor sees no decision form
    done = client.post(f"{PAGE}/confirm", data={"source": A, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?decision=confirme#a-confirmer")
    assert {c.confirmed_by for c in confirmations.confirmed(catalogue.engine, REGION, EDITION).values()} == {
        EDITOR_ACCOUNT
    }
    page = client.get(done.headers["location"]).text
    assert "Fichier confirmé : ses éléments repris quittent la liste." in page
    assert "Texte a.md</strong> — confirmé par E Editor, le " in page
    assert "Texte b.md</strong> — 1 élément(s) à confirmer" in page

    unknown = client.post(f"{PAGE}/confirm", data={"source": "x.md", "csrf": csrf}, follow_redirects=False)
    assert unknown.status_code == 409 and "aucun élément repris à confirmer" in unknown.text
    line = audit_lines(outputs, audit.CONFIRM)[0]
    assert (line.actor, line.outcome) == (EDITOR_ACCOUNT, audit.REFUSED)

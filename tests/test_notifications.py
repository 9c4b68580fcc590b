"""Notifications by e-mail, received by a real SMTP server (aiosmtpd) started on the loopback by the test:
the scheduled annual run makes drafts and tells the approvers; a failing run tells the editors why."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.edition.publish import store
from flows.notices import audit, notify
from flows.portal import accounts
from tests.conftest import REGION
from tests.helpers import APPROVER
from tests.smtp import Inbox, named_by_settings

PASSWORD = "un mot de passe assez long"


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A local SMTP server on 127.0.0.1, named by the service's settings for the test's length."""
    with named_by_settings(monkeypatch) as found:
        monkeypatch.setenv("FIR_PORTAL_URL", "https://fir.example.org")
        yield found


def _staff(outputs: Path) -> None:
    engine = store.open_catalogue(outputs).engine
    accounts.add(engine, "bruno", "approver", PASSWORD, "Bruno Approbateur", "bruno@ars.test")
    accounts.add(engine, "alice", "editor", PASSWORD, "Alice Rédactrice", "alice@ars.test")
    accounts.add(engine, "sans-adresse", "approver", PASSWORD)  # no address: nothing to send


def test_the_scheduled_run_makes_drafts_and_emails_the_approvers(inputs_copy: Path, tmp_path: Path, inbox: Inbox):
    from flows.deploy import annual_run

    outputs = tmp_path / "outputs"
    _staff(outputs)
    annual_run(inputs=str(inputs_copy), outputs=str(outputs), run_date="2019-03-15T06:00:00+01:00")
    [(region, year, _, draft)] = store.open_catalogue(outputs).drafts()
    assert (region, year, draft["revision"]) == (REGION, 2018, 1)
    # the scheduled build's audit line, committed with its draft (issue 24, point 9)
    [line] = audit.entries(store.open_catalogue(outputs).engine, action=audit.BUILD)
    assert (line.actor, line.outcome, line.target) == ("planification annuelle", audit.OK, f"{REGION} 2018")
    assert line.address.startswith("planification annuelle (")
    [message] = inbox.messages
    assert message["X-Envelope-To"] == "bruno@ars.test"  # approvers only, and only those with an address
    assert message["Subject"] == "[FIR] Projet à approuver : Hauts-de-France 2018, révision 1"
    body = message.get_content()
    assert f"https://fir.example.org/staff/drafts/{REGION}/2018/1" in body
    assert "Lancée par : planification annuelle" in body and f"fir approve {REGION} 2018 1" in body
    assert "Première publication de l'édition : aucun chiffre à comparer." in body and " : 0" not in body
    # The command the e-mail gives works pasted into a terminal as it is, from any folder.
    found = re.search(r"^\(ou, dans un terminal : (.+?)\)\s*$", body, re.MULTILINE)
    assert found is not None, body
    approved = subprocess.run(
        found.group(1),
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "LOGNAME": APPROVER},
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert f"Révision 1 de {REGION} 2018 publiée" in approved.stdout


def test_a_failing_scheduled_run_emails_the_editors_what_went_wrong(inputs_copy: Path, tmp_path: Path, inbox: Inbox):
    from flows.deploy import annual_run

    outputs = tmp_path / "outputs"
    _staff(outputs)
    revenue = inputs_copy / REGION / "2018" / "revenue.csv"
    revenue.write_text(revenue.read_text(encoding="utf-8").replace("299 310 111", "299 31O 111", 1), encoding="utf-8")
    with pytest.raises(Exception, match=r"revenue\.csv"):
        annual_run(inputs=str(inputs_copy), outputs=str(outputs), run_date="2019-03-15T06:00:00+01:00")
    assert store.open_catalogue(outputs).drafts() == []
    [line] = audit.entries(store.open_catalogue(outputs).engine, action=audit.BUILD)
    assert (line.actor, line.outcome, line.detail) == ("planification annuelle", audit.FAILED, "données invalides")
    [message] = inbox.messages
    assert message["X-Envelope-To"] == "alice@ars.test"
    assert message["Subject"] == f"[FIR] Échec de la construction : {REGION} 2018"
    body = message.get_content()
    assert "rien n'a été publié" in body and "Données invalides" in body
    assert "revenue.csv" in body and "299 31O 111" in body  # the file and the value, in plain words
    assert "Traceback" not in body


def test_an_unreachable_smtp_server_never_fails_the_notification(monkeypatch: pytest.MonkeyPatch, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there
    monkeypatch.setenv("FIR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FIR_SMTP_PORT", str(port))
    monkeypatch.setenv("FIR_SMTP_PASSWORD", "secret-du-serveur")
    assert notify.send(["x@ars.test"], "essai", "corps") is False
    assert "non envoyé" in caplog.text and "secret-du-serveur" not in caplog.text
    assert "secret-du-serveur" not in repr(notify.smtp_settings())

"""Decisions are atomic and truthful (issue 24, points 1, 2 and 9), faults injected from outside the code:
a public file made immutable (`chattr +i`) while `fir approve` rewrites the views, `fir approve` killed
(SIGKILL) the instant its commit is visible, an SMTP server down. The status change, its audit line and
its notifications commit together; what fails after the commit says what is true, and `fir repair` or the
next command completes it. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from flows.edition.publish import store
from flows.notices import audit, outbox
from flows.notices.tables import outbox as outbox_table
from flows.portal import accounts
from tests.smtp import free_port, smtp_env, smtp_server
from tests.store_child import REGION, YEAR, record

NAME = f"fir-{REGION}-{YEAR}"
PASSWORD = "un mot de passe assez long"
UNCHANGED = "Rien de ce qui était publié n'a changé"


def _without_smtp() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FIR_SMTP_")}


def _pdfs(tag: str) -> dict[str, bytes]:
    return {
        "pdf": f"%PDF-1.7 {tag}".encode() * 50,
        "archive": f"%PDF-1.7 archive {tag}".encode() * 50,
        "draft": f"%PDF-1.7 PROJET {tag}".encode() * 50,
    }


def _draft(catalogue: store.Catalogue, number: int, tag: str) -> None:
    with catalogue.lock(REGION, YEAR, timeout=10):
        catalogue.record_draft(REGION, YEAR, "Hauts-de-France", number, _pdfs(tag), record(tag), [], "alice")


def _fir(*args: object, user: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "flows.cli", *(str(a) for a in args)]
    environment = {**(env if env is not None else os.environ), "LOGNAME": user}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def _run(*args: object, user: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    child = _fir(*args, user=user, env=env)
    out, err = child.communicate(timeout=300)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def _approvals(catalogue: store.Catalogue, number: int) -> list[audit.Entry]:
    return [
        e for e in audit.entries(catalogue.engine, action=audit.APPROVE) if e.target == f"{REGION} {YEAR} r{number}"
    ]


def _chattr(flag: str, path: Path) -> None:
    subprocess.run(["chattr", flag, str(path)], check=True)


@pytest.fixture
def catalogue(catalogue_backend: str, tmp_path: Path) -> store.Catalogue:
    found = store.open_catalogue(tmp_path / "outputs")
    accounts.add(found.engine, "alice", "editor", PASSWORD, "Alice Rédactrice", "alice@ars.test")
    accounts.add(found.engine, "bruno", "approver", PASSWORD, "Bruno Approbateur", "bruno@ars.test")
    return found


@pytest.mark.parametrize("immutable", ["manifest.json", f"{NAME}.pdf"])
def test_an_approval_whose_public_files_cannot_be_rewritten_says_it_is_published_and_repair_ends_it(
    catalogue: store.Catalogue, immutable: str
):
    outputs, folder = catalogue.outputs, catalogue.outputs / REGION / str(YEAR)
    _draft(catalogue, 1, "r1")
    first = _run("approve", REGION, YEAR, 1, "--comment", "relu", "--outputs", outputs, user="bruno")
    assert first.returncode == 0, first.stderr
    _draft(catalogue, 2, "r2")
    frozen = folder / immutable
    _chattr("+i", frozen)  # before the approval: the views' rewrite after its commit fails
    try:
        approved = _run("approve", REGION, YEAR, 2, "--comment", "relu", "--outputs", outputs, user="bruno")
    finally:
        _chattr("-i", frozen)
    assert approved.returncode == 3, approved.stdout + approved.stderr
    said = approved.stderr
    assert said.startswith(f"Révision 2 de {REGION} {YEAR} publiée ; fichiers publics pas tous à jour ("), said
    assert str(frozen) in said and "opération non permise" in said and "fir repair --outputs" in said
    assert UNCHANGED not in said and "Traceback" not in said
    # what it said is true: published in the catalogue, with its audit line
    assert catalogue.revision(REGION, YEAR, 2)["status"] == "published"
    [line] = _approvals(catalogue, 2)
    assert (line.actor, line.outcome, line.detail) == ("bruno", audit.OK, "relu")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [r["revision"] for r in manifest["revisions"]] != [1, 2] or immutable != "manifest.json"

    repaired = _run("repair", "--outputs", outputs, user="bruno")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [r["revision"] for r in manifest["revisions"]] == [1, 2]
    assert (folder / f"{NAME}.pdf").read_bytes() == _pdfs("r2")["pdf"]
    assert (folder / f"{NAME}-archive.pdf").read_bytes() == _pdfs("r2")["archive"]
    assert not (folder / "projets").exists()
    assert manifest["revisions"][-1]["pdf"]["sha256"] == hashlib.sha256(_pdfs("r2")["pdf"]).hexdigest()


def test_a_draft_whose_views_cannot_be_written_is_recorded_with_its_audit_line_and_said_so(
    catalogue: store.Catalogue,
):
    folder = catalogue.outputs / REGION / str(YEAR)
    _draft(catalogue, 1, "r1")
    projets = folder / "projets"
    _chattr("+i", projets)  # the marked copy of draft 2 cannot be put beside r1's
    try:
        with catalogue.lock(REGION, YEAR, timeout=10), pytest.raises(store.ViewsNotUpdated) as raised:

            def in_transaction(conn: sa.Connection, draft: dict) -> None:
                audit.record(conn, "alice", "tests", audit.BUILD, f"{REGION} {YEAR}", audit.OK, "r2 enregistré")

            catalogue.record_draft(
                REGION, YEAR, "Hauts-de-France", 2, _pdfs("r2"), record("r2"), [], "alice", in_transaction
            )
    finally:
        _chattr("-i", projets)
    from flows.operations import operational_message

    said = operational_message(raised.value)
    assert said is not None and said.startswith(f"Projet de révision 2 de {REGION} {YEAR} enregistré ; fichiers")
    assert UNCHANGED not in said and "fir repair" in said
    assert raised.value.entry is not None and raised.value.entry["status"] == "draft"
    assert [e.detail for e in audit.entries(catalogue.engine, action=audit.BUILD)] == ["r2 enregistré"]
    catalogue.recover(REGION, YEAR)
    assert (projets / "r2" / f"{NAME}-projet.pdf").read_bytes() == _pdfs("r2")["draft"]


def _kill_once_published(catalogue: store.Catalogue, number: int, child: subprocess.Popen, within: float = 120) -> None:
    """SIGKILL `child` as soon as revision `number` is published, never after it could finish: the child is
    stopped (SIGSTOP) while each look at the catalogue is made and runs only between two looks, at the lowest
    priority; a busy machine that descheduled this test right after the commit used to let the child end
    (exit 0) before the kill was sent."""
    os.setpriority(os.PRIO_PROCESS, child.pid, 19)
    deadline = time.monotonic() + within
    # A plain read (the catalogue's own SQLite connections begin IMMEDIATE: they would wait for the stopped child)
    engine = (
        sa.create_engine(f"sqlite:///file:{catalogue.outputs / 'catalogue.sqlite3'}?mode=ro&uri=true")
        if catalogue.engine.dialect.name == "sqlite"
        else catalogue.engine
    )
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            os.kill(child.pid, signal.SIGSTOP)
            status = conn.execute(
                sa.text("SELECT status FROM revisions WHERE number = :n"), {"n": number}
            ).scalar_one_or_none()
            conn.rollback()
            if status == "published":
                os.kill(child.pid, signal.SIGKILL)  # stopped: it dies here, right after its commit
                return
            os.kill(child.pid, signal.SIGCONT)
            assert child.poll() is None, child.communicate()
            time.sleep(0.002)
    raise AssertionError("jamais publiée")


def test_an_approval_killed_right_after_its_commit_keeps_its_audit_line_and_its_notice_is_sent_later(
    catalogue: store.Catalogue,
):
    port = free_port()
    outputs = catalogue.outputs
    _draft(catalogue, 1, "r1")
    # The approver's shell has no SMTP settings (the service has them): the child cannot send the notice
    # whenever the kill lands, so what sends it afterwards is what is tested.
    child = _fir(
        "approve", REGION, YEAR, 1, "--comment", "relu", "--outputs", outputs, user="bruno", env=_without_smtp()
    )
    try:
        _kill_once_published(catalogue, 1, child)
    finally:
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    [line] = _approvals(catalogue, 1)  # committed with the status, killed or not
    assert (line.actor, line.outcome) == ("bruno", audit.OK)
    assert outbox.owed(catalogue.engine) == 1
    with smtp_server(port) as inbox:
        after = _run("drafts", "--outputs", outputs, user="alice", env={**os.environ, **smtp_env(port)})
        assert after.returncode == 0, after.stderr
        assert inbox.subjects() == [f"[FIR] Publiée : Hauts-de-France {YEAR}, révision 1"]
        assert inbox.messages[0]["To"] == "alice@ars.test"
    assert outbox.owed(catalogue.engine) == 0
    assert len(_approvals(catalogue, 1)) == 1  # nothing added twice by what came after


def test_an_approval_while_the_smtp_server_is_down_says_the_notice_waits_and_repair_sends_it(
    catalogue: store.Catalogue,
):
    port = free_port()  # nobody listens there yet
    env = {**os.environ, **smtp_env(port)}
    _draft(catalogue, 1, "r1")
    approved = _run(
        "approve", REGION, YEAR, 1, "--comment", "relu", "--outputs", catalogue.outputs, user="bruno", env=env
    )
    assert approved.returncode == 0, approved.stderr
    assert f"Révision 1 de {REGION} {YEAR} publiée" in approved.stdout
    assert "1 notification(s) en attente d'envoi" in approved.stderr and "fir repair" in approved.stderr
    with catalogue.engine.connect() as conn:
        [row] = conn.execute(sa.select(outbox_table)).all()
    assert row.attempts == 1 and row.done_at is None and row.next_attempt > time.time()  # waits before trying again
    with smtp_server(port) as inbox:
        repaired = _run("repair", "--outputs", catalogue.outputs, user="bruno", env=env)
        assert repaired.returncode == 0, repaired.stderr
        assert "Notifications en attente envoyées : 1" in repaired.stdout
        assert inbox.subjects() == [f"[FIR] Publiée : Hauts-de-France {YEAR}, révision 1"]
    assert outbox.owed(catalogue.engine) == 0


def test_a_refused_approval_owes_nothing_and_its_refusal_is_audited(catalogue: store.Catalogue):
    _draft(catalogue, 1, "r1")
    mine = _run("approve", REGION, YEAR, 1, "--comment", "ok", "--outputs", catalogue.outputs, user="alice")
    assert mine.returncode == 2 and "quatre yeux" in mine.stderr
    assert [(e.actor, e.outcome) for e in _approvals(catalogue, 1)] == [("alice", audit.REFUSED)]
    assert outbox.owed(catalogue.engine, kind=None) == 0
    assert catalogue.revision(REGION, YEAR, 1)["status"] == "draft"


def test_an_approval_from_the_portal_whose_public_files_cannot_be_rewritten_says_it_is_published(
    catalogue: store.Catalogue,
):
    from fastapi.testclient import TestClient

    from flows.portal.staff import DECISIONS
    from flows.portal.web import create_app
    from tests.portal_helpers import log_in

    folder = catalogue.outputs / REGION / str(YEAR)
    _draft(catalogue, 1, "r1")
    client = TestClient(create_app(catalogue.outputs))
    csrf = log_in(client, "bruno", PASSWORD)
    frozen = folder / "manifest.json"
    _chattr("+i", frozen)
    try:
        answer = client.post(
            f"/staff/drafts/{REGION}/{YEAR}/1/approve", data={"csrf": csrf, "comment": "relu"}, follow_redirects=False
        )
    finally:
        _chattr("-i", frozen)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/drafts/{REGION}/{YEAR}/1?decision=approve-vues"
    assert "publiée ; fichiers publics pas tous à jour" in DECISIONS["approve-vues"]
    assert catalogue.revision(REGION, YEAR, 1)["status"] == "published"
    [line] = _approvals(catalogue, 1)
    assert (line.actor, line.outcome, line.detail) == ("bruno", audit.OK, "relu")
    catalogue.recover(REGION, YEAR)  # what `fir repair` and `fir serve` do first
    assert [r["revision"] for r in json.loads(frozen.read_text(encoding="utf-8"))["revisions"]] == [1]


def _owe(catalogue: store.Catalogue, subject: str) -> None:
    with catalogue.engine.begin() as conn:
        outbox.enqueue(conn, [outbox.Email(["alice@ars.test"], subject, "corps")])


def test_the_service_sends_what_is_owed_every_little_while(catalogue: store.Catalogue, monkeypatch: pytest.MonkeyPatch):
    import threading

    port = free_port()
    for key, value in smtp_env(port).items():
        monkeypatch.setenv(key, value)
    _owe(catalogue, "[FIR] en attente")
    stop = threading.Event()
    with smtp_server(port) as inbox:
        sender = outbox.keep_delivering(catalogue.engine, stop, every_s=0.2)
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        sender.join(timeout=30)
    assert inbox.subjects() == ["[FIR] en attente"]
    assert outbox.owed(catalogue.engine) == 0


def test_a_message_claimed_by_a_process_that_died_is_sent_by_the_next(
    catalogue: store.Catalogue, monkeypatch: pytest.MonkeyPatch
):
    port = free_port()
    for key, value in smtp_env(port).items():
        monkeypatch.setenv(key, value)
    _owe(catalogue, "[FIR] réclamé par un mort")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its pid names no process any more
    with catalogue.engine.begin() as conn:
        conn.execute(
            sa.update(outbox_table).values(
                claimed_until=time.time() + 3600, claimed_by=f"{dead.pid}@{socket.gethostname()}"
            )
        )
    with smtp_server(port) as inbox:
        assert outbox.deliver(catalogue.engine).sent == 1
    assert inbox.subjects() == ["[FIR] réclamé par un mort"]
    # a claim of a living process is respected: nothing is sent twice at once
    _owe(catalogue, "[FIR] réclamé par un vivant")
    with catalogue.engine.begin() as conn:
        conn.execute(
            sa.update(outbox_table)
            .where(outbox_table.c.done_at.is_(None))
            .values(claimed_until=time.time() + 3600, claimed_by=f"{os.getpid()}@{socket.gethostname()}")
        )
    assert outbox.deliver(catalogue.engine).sent == 0 and outbox.owed(catalogue.engine) == 1

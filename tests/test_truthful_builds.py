"""A build whose steps after the draft's commit fail says what is true (issue 24, point 9): the draft rNN
is recorded, with its audit line, and what did not complete — never « rien n'a été publié ». Faults from
outside: the approvers' SMTP server down, an old Prefect result the clean-up cannot delete (`chattr +i`),
the timings file in a folder nobody may write (`chattr +i`). A real build of the 2018 edition."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from flows.edition.publish import store
from flows.notices import audit, outbox
from flows.portal import accounts
from tests.conftest import REGION
from tests.helpers import EDITOR, build_command, fir
from tests.smtp import free_port, smtp_server

PASSWORD = "un mot de passe assez long"


def test_a_build_whose_later_steps_fail_says_its_draft_is_recorded_and_what_did_not_complete(
    inputs_copy: Path, tmp_path: Path
):
    outputs = tmp_path / "outputs"
    engine = store.open_catalogue(outputs).engine
    accounts.add(engine, "bruno", "approver", PASSWORD, "Bruno Approbateur", "bruno@ars.test")
    port = free_port()  # the approvers' SMTP server: down during the build
    results = tmp_path / "prefect-results"
    results.mkdir()
    stale = results / "0ld-result-of-another-year"
    stale.write_bytes(b"x" * 100)
    old = time.time() - 100 * 86400
    os.utime(stale, (old, old))  # what the clean-up after the build removes, but cannot: immutable
    timings = tmp_path / "mesures"
    timings.mkdir()
    env = {
        **os.environ,
        "LOGNAME": EDITOR,
        "FIR_SMTP_HOST": "127.0.0.1",
        "FIR_SMTP_PORT": str(port),
        "FIR_SMTP_FROM": "fir@ars.test",
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(results),
    }
    command = [*build_command(2018, outputs, inputs_copy), "--timings", str(timings / "durees.json")]
    for path in (stale, timings):
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        built = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    finally:
        for path in (stale, timings):
            subprocess.run(["chattr", "-i", str(path)], check=True)
    said = built.stderr
    assert built.returncode == 3, built.stdout + said
    recorded = f"Projet de révision 1 de {REGION} 2018 enregistré"
    assert f"{recorded} ; notification des approbateurs en attente (" in said and "fir repair" in said
    assert f"{recorded} ; nettoyage des résultats Prefect non fait" in said and str(stale) in said
    assert f"{recorded} ; durées des étapes non écrites ({timings / 'durees.json'} : opération non permise)" in said
    assert "Rien n'a été publié" not in said and "n'a changé" not in said and "Traceback" not in said
    assert "— révision 1 (" in built.stdout  # the draft's usual report, then what did not complete

    catalogue = store.open_catalogue(outputs)
    assert catalogue.revision(REGION, 2018, 1)["status"] == "draft"
    [line] = audit.entries(engine, action=audit.BUILD)
    assert (line.actor, line.outcome, line.target) == (EDITOR, audit.OK, f"{REGION} 2018")
    assert line.address.startswith("ligne de commande") and "motif : —" in line.detail
    assert outbox.owed(engine) == 1

    with smtp_server(port) as inbox:
        repaired = subprocess.run(
            [*build_command(2018, outputs)[:3], "repair", "--outputs", str(outputs)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert inbox.subjects() == ["[FIR] Projet à approuver : Hauts-de-France 2018, révision 1"]
    assert outbox.owed(engine) == 0


def test_a_build_refused_or_failing_writes_its_audit_line_too(inputs_copy: Path, tmp_path: Path):
    outputs = tmp_path / "outputs"
    store.open_catalogue(outputs)
    revenue = inputs_copy / REGION / "2018" / "revenue.csv"
    revenue.write_text(revenue.read_text(encoding="utf-8").replace("299 310 111", "299 31O 111", 1), encoding="utf-8")
    failed = fir("build", "--region", REGION, "--year", 2018, "--inputs", inputs_copy, "--outputs", outputs)
    assert failed.returncode == 1 and "Rien n'a été publié" in failed.stderr
    [line] = audit.entries(store.open_catalogue(outputs).engine, action=audit.BUILD)
    assert (line.outcome, line.target, line.detail) == (audit.FAILED, f"{REGION} 2018", "données invalides")


def test_a_build_killed_the_instant_its_draft_is_committed_keeps_its_audit_line_and_its_notice(
    inputs_copy: Path, tmp_path: Path
):
    import signal

    import sqlalchemy as sa

    outputs = tmp_path / "outputs"
    engine = store.open_catalogue(outputs).engine
    accounts.add(engine, "bruno", "approver", PASSWORD, "Bruno Approbateur", "bruno@ars.test")
    port = free_port()
    smtp = {"FIR_SMTP_HOST": "127.0.0.1", "FIR_SMTP_PORT": str(port), "FIR_SMTP_FROM": "fir@ars.test"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIR_SMTP_")}  # the child cannot send
    child = subprocess.Popen(
        build_command(2018, outputs, inputs_copy),
        env={**env, "LOGNAME": EDITOR},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 900
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute(sa.text("SELECT count(*) FROM revisions")).scalar():
                    break
                conn.rollback()
                assert child.poll() is None, child.communicate()
                time.sleep(0.005)
        os.killpg(child.pid, signal.SIGKILL)  # the build and the Prefect server it started
    finally:
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert store.open_catalogue(outputs).revision(REGION, 2018, 1)["status"] == "draft"
    [line] = audit.entries(engine, action=audit.BUILD)  # committed with the draft
    assert (line.actor, line.outcome) == (EDITOR, audit.OK)
    assert outbox.owed(engine) == 1
    with smtp_server(port) as inbox:
        after = subprocess.run(
            [*build_command(2018, outputs)[:3], "drafts", "--outputs", str(outputs)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **smtp},
        )
    assert after.returncode == 0, after.stderr
    assert inbox.subjects() == ["[FIR] Projet à approuver : Hauts-de-France 2018, révision 1"]
    assert outbox.owed(engine) == 0
